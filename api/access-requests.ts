/**
 * What the HTTP routes ask of Temporal about access requests: start one, read its state, decide
 * on it, find an open one, list them. Routes stay thin (parse → call this → map); this module
 * knows the workflow's messages, search attributes and how to degrade when no worker answers.
 */
import { createHash } from 'node:crypto';
import type { Client, WorkflowExecutionDescription, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import type { Lease } from '../activities/ports';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { monotonicFactory } from 'ulid';
import { accessRequestWorkflowId, requestIdFromWorkflowId, SA } from '../workflows/constants';
import { KIND, requestQuery } from '../workflows/shared/visibility';
import { Rejection, type RejectionReason } from '../workflows/access-request/errors';
import { statusQuery } from '../workflows/access-request/messages';
import { startDetails, summaryLine } from '../workflows/access-request/wording';
import { approveAutomatically, checkCancel, checkDecision, checkExtend, checkRevoke, initialState } from '../workflows/access-request/state';
import { OPEN_STATUSES, REQUEST_STATUSES, type AccessRequestInput, type RequestState, type RequestStatus } from '../workflows/access-request/types';
import type { accessRequestWorkflow } from '../workflows/access-request/workflow';
import { rejectionError, rejectionOf } from './errors';
import { createPageTokens } from './page-tokens';

/** The validators of the workflow's Updates, by Update name, for a request whose workflow has closed. */
const CHECKS: Record<string, (state: RequestState, arg: never) => RejectionReason | null> = {
  approve: checkDecision,
  deny: checkDecision,
  extend: checkExtend,
  revoke: checkRevoke,
  cancel: checkCancel,
};

/** A ULID, or the id derived from an idempotency key (IK + 26 Crockford characters). */
export const REQUEST_ID_PATTERN = /^(?:[0-7][0-9A-HJKMNP-TV-Z]{25}|IK[0-9A-HJKMNP-TV-Z]{26})$/;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const nextUlid = monotonicFactory();

export const newRequestId = (): string => nextUlid();

/** The same caller sending the same key for the same requester always names the same request. */
export function requestIdForIdempotencyKey(caller: string, requester: string, key: string): string {
  const digest = createHash('sha256').update(`${caller}\n${requester.toLowerCase()}\n${key}`).digest();
  let bits = 0n;
  for (const byte of digest.subarray(0, 17)) bits = (bits << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < 26; i++) out += CROCKFORD[Number((bits >> BigInt(5 * i)) & 31n)];
  return `IK${out}`;
}

/** Where a state came from: the live workflow, its final result, or (degraded) visibility only. */
export type StateSource = 'query' | 'result' | 'update' | 'visibility' | 'input';

export interface LoadedState {
  state: RequestState;
  source: StateSource;
  running: boolean;
}

export interface RequestServiceOptions {
  temporal: Client;
  /** The grant ledger (read-only): how a request whose workflow was terminated really ended. */
  ledger?: { lease(requestId: string): Promise<Lease | null> };
  taskQueue: string;
  /** How long a status query may wait for a worker before the API answers from visibility. */
  queryTimeoutMs?: number;
  /** How long an Update may wait for a worker before the API answers 503. */
  updateTimeoutMs?: number;
  /** Signs page tokens; replicas that share it accept each other's tokens. */
  pageTokenKey: Buffer;
  /** Refuses (throws) a request its requester may not file at all just now: quarantined for risk. */
  riskGate?: (input: AccessRequestInput) => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createRequestService(opts: RequestServiceOptions) {
  const { temporal, taskQueue } = opts;
  const queryTimeoutMs = opts.queryTimeoutMs ?? 3000;
  const updateTimeoutMs = opts.updateTimeoutMs ?? 10_000;
  // Visibility is eventually consistent: requests this process just started are remembered, so a
  // quick second POST still sees the first one. Per-key serialisation closes the in-process race.
  const recentStarts = new Map<string, { requestId: string; at: number }>();
  const locks = new Map<string, Promise<unknown>>();

  const handleOf = (requestId: string) => temporal.workflow.getHandle<typeof accessRequestWorkflow>(accessRequestWorkflowId(requestId));

  /** Queries the status, retrying briefly (a just-started workflow may not answer yet). */
  async function queryState(handle: WorkflowHandle, timeoutMs: number): Promise<RequestState | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await temporal.withDeadline(deadline, () => handle.query(statusQuery));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw err;
        if (Date.now() + 100 >= deadline) return undefined;
        await sleep(100);
      }
    }
  }

  /**
   * The request's state, best source first: a running workflow answers its query; a completed one
   * returned its final state; otherwise (no worker, terminated) the search attributes tell the status.
   */
  async function loadState(requestId: string, timeoutMs = queryTimeoutMs): Promise<LoadedState> {
    const handle = handleOf(requestId);
    const desc = await handle.describe();
    const running = desc.status.name === 'RUNNING';
    if (desc.status.name === 'COMPLETED') {
      try {
        return { state: await handle.result(), source: 'result', running };
      } catch {
        // fall through to the query
      }
    }
    const queried = await queryState(handle, timeoutMs);
    // A query on a terminated workflow replays it up to where it stopped: right data, stale status.
    if (queried && (running || desc.status.name === 'COMPLETED')) return { state: queried, source: 'query', running };
    const lease = running ? null : await opts.ledger?.lease(requestId).catch(() => null);
    const fallback = stateFromVisibility(desc, lease ?? undefined);
    return { state: queried ? { ...queried, status: fallback.status, endedAt: fallback.endedAt, endReason: fallback.endReason } : fallback, source: 'visibility', running };
  }

  async function findOpenRequest(requester: string, resource: string, except?: string): Promise<string | undefined> {
    const candidates = new Set<string>();
    const key = `${requester.toLowerCase()}\n${resource}`;
    const recent = recentStarts.get(key);
    if (recent && Date.now() - recent.at < 5 * 60_000) candidates.add(recent.requestId);
    else recentStarts.delete(key);
    const query = requestQuery({ requester, resource, running: true });
    for await (const wf of temporal.workflow.list({ query, pageSize: 20 })) {
      candidates.add(requestIdFromWorkflowId(wf.workflowId));
      if (candidates.size >= 20) break;
    }
    candidates.delete(except ?? '');
    for (const id of candidates) {
      try {
        // Visibility may lag: describe (consistent) and the query confirm the request is still open.
        const { state, running } = await loadState(id);
        if (running && OPEN_STATUSES.includes(state.status)) return id;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    if (recent) recentStarts.delete(key);
    return undefined;
  }

  /** Runs `fn` with no other create for the same requester and resource in flight in this process. */
  async function exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(fn);
    locks.set(key, run);
    try {
      return await run;
    } finally {
      if (locks.get(key) === run) locks.delete(key);
    }
  }

  /**
   * Starts a request unless the same person already has one open for the resource: the one way
   * every channel (HTTP, Slack) creates requests, serialised per person and resource.
   */
  async function submit(input: AccessRequestInput, idempotent: boolean): Promise<LoadedState & { created: boolean }> {
    return exclusive(`${input.requester}\n${input.resource}`, async () => {
      await opts.riskGate?.(input);
      const open = await findOpenRequest(input.requester, input.resource, input.requestId);
      if (open) throw new OpenRequestExists(open, input.requester, input.resource);
      return start(input, idempotent);
    });
  }

  async function start(input: AccessRequestInput, idempotent: boolean): Promise<LoadedState & { created: boolean }> {
    const handle = await temporal.workflow.start<typeof accessRequestWorkflow>('accessRequestWorkflow', {
      taskQueue,
      workflowId: accessRequestWorkflowId(input.requestId),
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      ...(idempotent ? { workflowIdConflictPolicy: 'USE_EXISTING' as const } : {}),
      typedSearchAttributes: [
        { key: SA.kind, value: KIND.accessRequest },
        { key: SA.status, value: 'pending_approval' },
        { key: SA.requester, value: input.requester },
        { key: SA.resource, value: input.resource },
      ],
      staticSummary: summaryLine(input.requester, input.resource, input.durationMs),
      staticDetails: startDetails(input),
      args: [input],
    });
    recentStarts.set(`${input.requester.toLowerCase()}\n${input.resource}`, { requestId: input.requestId, at: Date.now() });
    // The answer is what Temporal returned: the start. With USE_EXISTING a concurrent twin (same
    // idempotency key) may have started the workflow first: then its own state is the answer.
    if (idempotent) {
      const existing = await queryState(handle, queryTimeoutMs);
      if (existing && existing.createdAt !== input.submittedAt) return { state: existing, source: 'query', running: true, created: false };
    }
    return { state: stateAtStart(input), source: 'input', running: true, created: true };
  }

  /**
   * Sends a decision Update. A request still being resolved (NotReady) is retried for a moment,
   * so a client that approves right after creating doesn't have to.
   */
  async function decide<A>(requestId: string, update: UpdateDefinition<RequestState, [A]>, arg: A, updateId?: string): Promise<LoadedState> {
    const handle = handleOf(requestId);
    const notReadyUntil = Date.now() + 5000;
    let result: RequestState;
    for (;;) {
      try {
        result = await temporal.withDeadline(Date.now() + updateTimeoutMs, () =>
          handle.executeUpdate(update, { args: [arg], ...(updateId ? { updateId } : {}) }),
        );
        break;
      } catch (err) {
        if (rejectionOf(err) === Rejection.NotReady && Date.now() < notReadyUntil) {
          await sleep(100);
          continue;
        }
        // An Update to a closed workflow fails as "not found"; the request exists, it is just over.
        // The workflow's own validator, run on its last state, says why, as the workflow would.
        if (err instanceof WorkflowNotFoundError) {
          const { state, running } = await loadState(requestId);
          if (!running) {
            const check = CHECKS[update.name] as ((s: RequestState, a: A) => RejectionReason | null) | undefined;
            const refusal = check?.(state, arg) ?? { type: Rejection.WrongState, message: `request is ${state.status}; it can no longer be decided on` };
            throw rejectionError(refusal);
          }
        }
        throw err;
      }
    }
    return { state: result, source: 'update', running: true };
  }

  const pageTokens = createPageTokens(opts.pageTokenKey);

  async function list(filter: { status?: RequestStatus; requester?: string; resource?: string }, pageSize: number, pageToken?: string) {
    // The iterator of client.workflow.list() hides page tokens; the raw service call exposes them.
    const query = requestQuery(filter);
    const nextPageToken = pageToken ? pageTokens.decode(query, pageToken) : Buffer.alloc(0);
    const response = await temporal.withDeadline(Date.now() + 10_000, () =>
      temporal.workflowService.listWorkflowExecutions({ namespace: temporal.options.namespace, query, pageSize, nextPageToken }),
    );
    const infos = await Promise.all(
      response.executions.map((raw) => executionInfoFromRaw(raw, temporal.options.loadedDataConverter, raw, temporal.options.namespace)),
    );
    const items = await Promise.all(
      infos.map(async (info): Promise<LoadedState> => {
        try {
          return await loadState(requestIdFromWorkflowId(info.workflowId), Math.min(queryTimeoutMs, 2000));
        } catch {
          return { state: stateFromVisibility(info), source: 'visibility', running: info.status.name === 'RUNNING' };
        }
      }),
    );
    const token = response.nextPageToken;
    // Visibility narrows; the state decides (a closed workflow's lease may make it `revoked`, say).
    return { items: filter.status ? items.filter((i) => i.state.status === filter.status) : items, nextPageToken: token && token.length > 0 ? pageTokens.encode(query, Buffer.from(token)) : null };
  }

  return { loadState, findOpenRequest, submit, decide, list };
}
export type RequestService = ReturnType<typeof createRequestService>;

/** A second open request for the same person and resource (SPEC §4): callers answer 409. */
export class OpenRequestExists extends Error {
  constructor(
    readonly requestId: string,
    readonly requester: string,
    readonly resource: string,
  ) {
    super(`${requester} already has an open request for ${resource}: ${requestId}`);
    this.name = 'OpenRequestExists';
  }
}

/** What the workflow's state is the moment it starts (its own initial state, from the same input). */
export function stateAtStart(input: AccessRequestInput): RequestState {
  const state = initialState(input, Date.parse(input.submittedAt ?? '') || Date.now());
  if (state.resolved?.autoApprove) approveAutomatically(state);
  return state;
}

const isStatus = (v: unknown): v is RequestStatus => typeof v === 'string' && (REQUEST_STATUSES as readonly string[]).includes(v);

/**
 * What visibility alone says about a request (no worker needed). A workflow that ended without
 * ending its grant (terminated, reset, failed) is told by the ledger: the drift sweep closes its
 * lease, and the request then reads `revoked` with the sweep's reason (SPEC §8).
 */
export function stateFromVisibility(info: WorkflowExecutionInfo | WorkflowExecutionDescription, lease?: Lease): RequestState {
  const sa = info.typedSearchAttributes;
  const saStatus = sa.get(SA.status);
  const closedAbnormally = info.status.name !== 'RUNNING' && info.status.name !== 'COMPLETED';
  const how = `the workflow was ${info.status.name.toLowerCase().replace(/_/g, ' ')}`;
  let status: RequestStatus = isStatus(saStatus) ? saStatus : 'pending_approval';
  let endReason: string | undefined;
  if (closedAbnormally && lease?.endedAt) [status, endReason] = ['revoked', lease.endReason ?? how];
  else if (closedAbnormally && lease) [status, endReason] = ['revoking', `${how} while the grant was in force: the next drift sweep revokes it`];
  else if (closedAbnormally) [status, endReason] = ['failed', how];
  const expiresAt = sa.get(SA.expiresAt);
  return {
    ...initialState(
      { requestId: requestIdFromWorkflowId(info.workflowId), requester: sa.get(SA.requester) ?? '', resource: sa.get(SA.resource) ?? '', submittedAt: info.startTime.toISOString() },
      info.startTime.getTime(),
    ),
    status,
    ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
    ...(info.closeTime ? { endedAt: lease?.endedAt ?? info.closeTime.toISOString() } : {}),
    ...(endReason ? { endReason, ...(status === 'failed' ? { failureReason: endReason } : {}) } : {}),
  };
}
