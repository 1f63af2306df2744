/**
 * The temporary-account service (SPEC §11), used by the HTTP routes, Slack and the portal alike:
 * check a request against the policy, start the workflow, read an account, extend or close it
 * (Updates: the workflow's validators decide), list them from Temporal visibility. It answers from
 * what Temporal returned (the start, the Update), not from a describe after a change.
 */
import type { Client, WorkflowExecutionDescription, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import { resolveTemporaryAccount, type AccountChoices } from '../activities/policy/temporary-accounts';
import type { Policy } from '../activities/policy/schema';
import type { OktaPort } from '../activities/ports';
import { SA, temporaryAccountWorkflowId } from '../workflows/constants';
import { accountQuery, KIND } from '../workflows/shared/visibility';
import { Rejection } from '../workflows/temporary-account/errors';
import { accountStatusQuery, closeAccountUpdate, extendAccountUpdate, type CloseAccountInput, type ExtendAccountInput } from '../workflows/temporary-account/messages';
import { initialState } from '../workflows/temporary-account/state';
import { ACCOUNT_STATUSES, type AccountState, type AccountStatus, type TemporaryAccountInput } from '../workflows/temporary-account/types';
import { startDetails, summaryLine } from '../workflows/temporary-account/wording';
import type { temporaryAccountWorkflow } from '../workflows/temporary-account/workflow';
import { HttpError, notFound } from './errors';
import { createPageTokens } from './page-tokens';

export interface LoadedAccount {
  state: AccountState;
  /** Only visibility answered (no worker): the status is right, the details may lag. */
  partial: boolean;
  running: boolean;
}

export interface TemporaryAccountServiceOptions {
  temporal: Client;
  taskQueue: string;
  okta: Pick<OktaPort, 'getUser' | 'listGroupMembers'>;
  policy: () => Policy;
  pageTokenKey: Buffer;
  /** The portal's base URL: mail and Slack link to its /temporary-accounts page. */
  publicUrl?: string;
  queryTimeoutMs?: number;
  updateTimeoutMs?: number;
}

/** The memo every account carries: its input, so visibility alone can still describe it. */
const MEMO_KEY = 'account';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const accountIdOf = (workflowId: string) => workflowId.replace(/^temporary-account-/, '');
const isStatus = (v: unknown): v is AccountStatus => typeof v === 'string' && (ACCOUNT_STATUSES as readonly string[]).includes(v);

export function createTemporaryAccountService(opts: TemporaryAccountServiceOptions) {
  const { temporal, taskQueue } = opts;
  const queryTimeoutMs = opts.queryTimeoutMs ?? 3000;
  const updateTimeoutMs = opts.updateTimeoutMs ?? 10_000;
  const pageTokens = createPageTokens(opts.pageTokenKey);
  const portalUrl = opts.publicUrl ? `${opts.publicUrl.replace(/\/+$/, '')}/temporary-accounts` : undefined;

  const handleOf = (accountId: string) => temporal.workflow.getHandle<typeof temporaryAccountWorkflow>(temporaryAccountWorkflowId(accountId));

  async function queryState(handle: WorkflowHandle, timeoutMs: number): Promise<AccountState | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await temporal.withDeadline(deadline, () => handle.query(accountStatusQuery));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw err;
        if (Date.now() + 100 >= deadline) return undefined;
        await sleep(100);
      }
    }
  }

  /** What visibility and the memo say (no worker needed). */
  async function fromVisibility(info: WorkflowExecutionInfo | WorkflowExecutionDescription): Promise<AccountState> {
    const input = (info.memo?.[MEMO_KEY] ?? undefined) as TemporaryAccountInput | undefined;
    if (!input) throw notFound('temporary account');
    const sa = info.typedSearchAttributes;
    const saStatus = sa.get(SA.status);
    const abnormal = info.status.name !== 'RUNNING' && info.status.name !== 'COMPLETED';
    const state = initialState(input, info.startTime.getTime());
    const login = sa.get(SA.resource);
    const expiresAt = sa.get(SA.expiresAt);
    return {
      ...state,
      status: abnormal ? 'failed' : isStatus(saStatus) ? saStatus : 'provisioning',
      ...(login ? { login } : {}),
      ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
      ...(info.closeTime ? { closedAt: info.closeTime.toISOString() } : {}),
      ...(abnormal ? { endReason: `the workflow was ${info.status.name.toLowerCase()}`, failureReason: `the workflow was ${info.status.name.toLowerCase()}` } : {}),
    };
  }

  /** The account, best source first: the live query, the final result, else visibility. */
  async function load(accountId: string, timeoutMs = queryTimeoutMs): Promise<LoadedAccount> {
    const handle = handleOf(accountId);
    let desc: WorkflowExecutionDescription;
    try {
      desc = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound('temporary account');
      throw err;
    }
    const running = desc.status.name === 'RUNNING';
    if (desc.status.name === 'COMPLETED') {
      try {
        return { state: await handle.result(), partial: false, running };
      } catch {
        // fall through
      }
    }
    const queried = running ? await queryState(handle, timeoutMs) : undefined;
    if (queried) return { state: queried, partial: false, running };
    return { state: await fromVisibility(desc), partial: true, running };
  }

  /** The policy's answer for this manager and these choices (resolved once, here). */
  const resolve = (manager: string, choices: AccountChoices) => resolveTemporaryAccount(opts.policy(), opts.okta, { manager, ...choices }, portalUrl ? { portalUrl } : {});

  /** Starts the workflow; with an idempotency key a repeated start finds the first one. */
  async function start(input: TemporaryAccountInput): Promise<LoadedAccount & { created: boolean }> {
    const handle = await temporal.workflow.start<typeof temporaryAccountWorkflow>('temporaryAccountWorkflow', {
      taskQueue,
      workflowId: temporaryAccountWorkflowId(input.accountId),
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: SA.kind, value: KIND.temporaryAccount },
        { key: SA.status, value: 'provisioning' },
        { key: SA.requester, value: input.manager },
      ],
      memo: { [MEMO_KEY]: input },
      staticSummary: summaryLine(input),
      staticDetails: startDetails(input),
      args: [input],
    });
    // A concurrent twin (the same idempotency key) may have started it first: its state is the answer.
    const existing = await queryState(handle, Math.min(queryTimeoutMs, 1000));
    if (existing && existing.createdAt !== input.submittedAt) return { state: existing, partial: false, running: true, created: false };
    return { state: initialState(input, Date.parse(input.submittedAt ?? '') || Date.now()), partial: !existing, running: true, created: true };
  }

  /** Sends an Update (the workflow's validator decides); a closed account is 409. */
  async function change<A>(accountId: string, update: UpdateDefinition<AccountState, [A]>, arg: A, updateId?: string): Promise<LoadedAccount> {
    const handle = handleOf(accountId);
    try {
      const state = await temporal.withDeadline(Date.now() + updateTimeoutMs, () => handle.executeUpdate(update, { args: [arg], ...(updateId ? { updateId } : {}) }));
      return { state, partial: false, running: true };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        const { state, running } = await load(accountId);
        if (!running) throw new HttpError(409, 'conflict', `the account is ${state.status}`, [{ reason: Rejection.WrongState }]);
      }
      throw err;
    }
  }

  const extend = (accountId: string, input: ExtendAccountInput, updateId?: string) => change(accountId, extendAccountUpdate, input, updateId);
  const close = (accountId: string, input: CloseAccountInput, updateId?: string) => change(accountId, closeAccountUpdate, input, updateId);

  async function list(filter: { manager?: string; status?: AccountStatus }, pageSize: number, pageToken?: string) {
    const query = accountQuery(filter);
    const nextPageToken = pageToken ? pageTokens.decode(query, pageToken) : Buffer.alloc(0);
    const response = await temporal.withDeadline(Date.now() + 10_000, () =>
      temporal.workflowService.listWorkflowExecutions({ namespace: temporal.options.namespace, query, pageSize, nextPageToken }),
    );
    const infos = await Promise.all(response.executions.map((raw) => executionInfoFromRaw(raw, temporal.options.loadedDataConverter, raw, temporal.options.namespace)));
    const items = await Promise.all(
      infos.map(async (info): Promise<LoadedAccount> => {
        try {
          return await load(accountIdOf(info.workflowId), Math.min(queryTimeoutMs, 2000));
        } catch {
          return { state: await fromVisibility(info), partial: true, running: info.status.name === 'RUNNING' };
        }
      }),
    );
    const token = response.nextPageToken;
    return { items, nextPageToken: token && token.length > 0 ? pageTokens.encode(query, Buffer.from(token)) : null };
  }

  return { load, resolve, start, extend, close, list };
}
export type TemporaryAccountService = ReturnType<typeof createTemporaryAccountService>;
