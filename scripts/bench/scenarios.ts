/**
 * The benchmark scenarios. Each measures Gatehouse (driven through its public HTTP API) and then
 * the bare workflow (started with the Temporal client on its own task queue) under the same load,
 * one after the other on the same server, and times outcomes with the Okta emulator's own
 * membership timestamps.
 */
import type { Client } from '@temporalio/client';
import type { bareGrantWorkflow, BareGrantInput } from '../../bench/bare/workflow';
import { accessRequestWorkflowId } from '../../workflows/constants';
import { type ApiClient, FINAL_STATUSES, HttpFailure, type MembershipLog, percentiles, pool, retrying, sleep, type RequestView } from './client';
import type { Family, Pair, Pairs } from './pairs';
import { cpuMeter, rssOf } from './proc';
import { createOktaClient } from '../../activities/adapters/okta';
import { registerEventHook } from '../okta-event-hook';
import { APPROVER, APPROVER2, QUARANTINE_GROUP, RISK_RESOURCES, RISK_USERS, riskGroup, riskLogin, riskResource, riskUserId, type Stack } from './stack';

export interface Ctx {
  stack: Stack;
  api: ApiClient;
  temporal: Client;
  members: MembershipLog;
  pairs: Pairs;
  progress: (line: string) => void;
  /** Latest `worker stats` line of the first Gatehouse worker, and of the bare worker. */
  workerStats: () => WorkerStats | undefined;
  bareStats: () => WorkerStats | undefined;
}

export interface WorkerStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  cachedWorkflows: number;
}

type Dist = ReturnType<typeof percentiles>;
type Cpu = { cpuSeconds: number; coresAvg: number };

/** Progress every `every` ms while `work` runs. */
async function withTicker<T>(every: number, tick: () => void, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(tick, every);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Reads a request until it has an expiresAt (it is active), through the API. */
async function expiresAtOf(api: ApiClient, id: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const view = await retrying(() => api.get(id));
    if (view.expiresAt) return Date.parse(view.expiresAt);
    await sleep(100);
  }
  throw new Error(`request ${id} never showed an expiresAt`);
}

/** Vendor API calls so far, per emulator and route (`GET /_emulator/request-counts`). */
async function apiCalls(stack: Stack): Promise<Record<string, Record<string, number>>> {
  const { okta, slack, jira } = stack.emulators;
  const entries = await Promise.all(
    Object.entries({ okta, slack, jira }).map(async ([name, url]) => {
      const res = await fetch(`${url}/_emulator/request-counts`);
      return [name, res.ok ? ((await res.json()) as { counts: Record<string, number> }).counts : {}] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** Calls per lifecycle between two apiCalls() snapshots: per vendor, and per route (`okta GET /api/v1/…`). */
function callsPerLifecycle(before: Record<string, Record<string, number>>, after: Record<string, Record<string, number>>, lifecycles: number): ApiCallsPerLifecycle {
  const round = (n: number) => Math.round((n / Math.max(lifecycles, 1)) * 100) / 100;
  const byVendor: Record<string, number> = {};
  const byRoute: Record<string, number> = {};
  for (const [vendor, counts] of Object.entries(after)) {
    let total = 0;
    for (const [route, n] of Object.entries(counts)) {
      const delta = n - (before[vendor]?.[route] ?? 0);
      if (delta <= 0) continue;
      total += delta;
      byRoute[`${vendor} ${route}`] = round(delta);
    }
    byVendor[vendor] = round(total);
  }
  return { byVendor, byRoute };
}

export interface ApiCallsPerLifecycle {
  byVendor: Record<string, number>;
  byRoute: Record<string, number>;
}

/** CPU meters over every process of the stack, and this one (the load generator). */
function stackCpu(stack: Stack) {
  const meters = {
    temporal: cpuMeter(stack.server?.pid()),
    // `worker` is the first worker process; with --workers N the others follow by name.
    ...Object.fromEntries(stack.workers.map((w, i) => [i === 0 ? 'worker' : w.name, cpuMeter(w.child.pid)])),
    api: cpuMeter(stack.api.process.child.pid),
    emulators: cpuMeter(stack.emulators.process.child.pid),
    driver: cpuMeter(process.pid),
    ...(stack.cluster ? { postgres: cpuMeter(stack.cluster.postgres.pid(), true) } : {}),
    ...(stack.bare ? { bareWorker: cpuMeter(stack.bare.process.child.pid) } : {}),
  };
  const read = (pick: (c: Cpu) => number) => Object.fromEntries(Object.entries(meters).map(([name, meter]) => [name, pick(meter.read())]));
  return { cores: () => read((c) => c.coresAvg), seconds: () => read((c) => c.cpuSeconds) };
}

// ---------------------------------------------------------------- the two sides

/** Unique per run, so a reused server never sees a bare workflow id twice. */
const BARE_RUN = Date.now().toString(36);
let bareSeq = 0;

/** Starts one bare workflow (add, sleep, remove) and returns its id. */
async function startBare(ctx: Ctx, pair: Pair, timing: Pick<BareGrantInput, 'durationMs' | 'expiresAt'>): Promise<string> {
  if (!ctx.stack.bare) throw new Error('the bare worker is not running');
  const workflowId = `bench-bare-${BARE_RUN}-${bareSeq++}`;
  await ctx.temporal.workflow.start<typeof bareGrantWorkflow>('bareGrantWorkflow', {
    taskQueue: ctx.stack.bare.taskQueue,
    workflowId,
    args: [{ groupId: pair.groupId, userId: pair.userId, ...timing }],
  });
  return workflowId;
}

/** A Gatehouse request with its approvals, as a client sends them; resolves with the request id once the last approval answered. */
async function requestApproved(
  ctx: Ctx,
  pair: Pair,
  durationMs: number,
  approvers: string[],
): Promise<{ id: string; createSent: number; approveSent: number; approveReturned: number }> {
  const createSent = Date.now();
  const created = await retrying(() => ctx.api.create({ requester: pair.login, resource: pair.resource, duration: `${durationMs}ms` }));
  let approveSent = Date.now();
  for (const approver of approvers) {
    approveSent = Date.now();
    await ctx.api.approve(created.id, approver);
  }
  return { id: created.id, createSent, approveSent, approveReturned: Date.now() };
}

// ---------------------------------------------------------------- history events per lifecycle

export interface EventCount {
  /** Completed workflows counted. */
  n: number;
  median: number;
  min: number;
  max: number;
  errors: number;
}

export interface EventsResult {
  oneStep: EventCount;
  twoStep: EventCount;
  auto: EventCount;
  bare: EventCount;
}

/**
 * Runs `samples` short lifecycles of each kind to the end and counts their history events with the
 * Temporal client (every event is a server write: the cost the other rows follow).
 */
export async function historyEvents(ctx: Ctx, opts: { samples: number; grantMs: number }): Promise<EventsResult> {
  const count = async (family: Family, run: (pair: Pair) => Promise<string>): Promise<EventCount> => {
    const counts: number[] = [];
    let errors = 0;
    await pool(opts.samples, 4, async () => {
      try {
        const handle = ctx.temporal.workflow.getHandle(await run(ctx.pairs.take(family)));
        await handle.result();
        counts.push((await handle.fetchHistory()).events?.length ?? 0);
      } catch (err) {
        errors++;
        ctx.progress(`  events error (${family}): ${String(err)}`);
      }
    });
    const sorted = counts.sort((a, b) => a - b);
    return { n: sorted.length, median: sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN, errors };
  };
  const gatehouse = (approvers: string[]) => async (pair: Pair) => accessRequestWorkflowId((await requestApproved(ctx, pair, opts.grantMs, approvers)).id);
  return {
    oneStep: await count('approval', gatehouse([APPROVER])),
    twoStep: await count('two', gatehouse([APPROVER, APPROVER2])),
    auto: await count('auto', gatehouse([])),
    bare: await count('bare', (pair) => startBare(ctx, pair, { durationMs: opts.grantMs })),
  };
}

// ---------------------------------------------------------------- approve sent → member

export interface LatencyResult {
  requests: number;
  concurrency: number;
  gatehouse: {
    /** approve call sent → the emulator added the member (the Update answers after the grant). */
    approveSentToMember: Dist;
    /** The create call and the approve call. */
    createCall: Dist;
    approveCall: Dist;
    /** Approvals whose member was in before the answer arrived (all of them: the Update waits for the grant). */
    memberBeforeAnswer: number;
    errors: number;
  };
  bare: { startSentToMember: Dist; errors: number };
}

export async function approvalLatency(ctx: Ctx, opts: { requests: number; concurrency: number; grantMs: number }): Promise<LatencyResult> {
  const fromSend: number[] = [];
  const creates: number[] = [];
  const calls: number[] = [];
  let before = 0;
  let errors = 0;
  let done = 0;
  await withTicker(5000, () => ctx.progress(`  latency: Gatehouse ${done}/${opts.requests}`), () =>
    pool(opts.requests, opts.concurrency, async () => {
      const pair = ctx.pairs.take('approval');
      try {
        const { createSent, approveSent, approveReturned } = await requestApproved(ctx, pair, opts.grantMs, [APPROVER]);
        const added = await ctx.members.waitFor(pair.groupId, pair.userId, 'add', approveSent - 5);
        creates.push(approveSent - createSent);
        calls.push(approveReturned - approveSent);
        fromSend.push(added.at - approveSent);
        if (added.at <= approveReturned) before++;
      } catch (err) {
        errors++;
        ctx.progress(`  latency error: ${String(err)}`);
      }
      done++;
    }),
  );
  const bareFromSend: number[] = [];
  let bareErrors = 0;
  done = 0;
  await withTicker(5000, () => ctx.progress(`  latency: bare ${done}/${opts.requests}`), () =>
    pool(opts.requests, opts.concurrency, async () => {
      const pair = ctx.pairs.take('bare');
      try {
        const sent = Date.now();
        await startBare(ctx, pair, { durationMs: opts.grantMs });
        bareFromSend.push((await ctx.members.waitFor(pair.groupId, pair.userId, 'add', sent - 5)).at - sent);
      } catch (err) {
        bareErrors++;
        ctx.progress(`  latency error (bare): ${String(err)}`);
      }
      done++;
    }),
  );
  return {
    requests: opts.requests,
    concurrency: opts.concurrency,
    gatehouse: { approveSentToMember: percentiles(fromSend), createCall: percentiles(creates), approveCall: percentiles(calls), memberBeforeAnswer: before, errors },
    bare: { startSentToMember: percentiles(bareFromSend), errors: bareErrors },
  };
}

// ---------------------------------------------------------------- Slack path (Gatehouse only)

export type SlackResult = { skipped: string } | { requests: number; actionReturnedToMember: Dist; actionSentToMember: Dist; errors: number };

export async function slackApprovalLatency(ctx: Ctx, opts: { requests: number; grantMs: number }): Promise<SlackResult> {
  const probe = await ctx.api.raw('POST', '/slack/events', '{}', { 'content-type': 'application/json' });
  if (probe.status === 404) return { skipped: 'Slack receiver not available (POST /slack/events answers 404)' };
  const slack = ctx.stack.emulators.slack;
  const web = async (method: string, params: Record<string, string>) => {
    const res = await fetch(`${slack}/api/${method}?${new URLSearchParams(params)}`, { headers: { authorization: 'Bearer xoxb-bench-token' } });
    return (await res.json()) as Record<string, unknown>;
  };
  const approver = (await web('users.lookupByEmail', { email: APPROVER })) as { user?: { id: string } };
  if (!approver.user) return { skipped: 'the approver is not in the Slack emulator' };
  const dm = (await web('conversations.open', { users: approver.user.id })) as { channel?: { id: string } };
  const channel = dm.channel?.id;
  if (!channel) return { skipped: 'cannot open the approver DM in the Slack emulator' };

  const fromReturn: number[] = [];
  const fromSend: number[] = [];
  let errors = 0;
  for (let n = 0; n < opts.requests; n++) {
    const pair = ctx.pairs.take('approval');
    try {
      const created = await retrying(() => ctx.api.create({ requester: pair.login, resource: pair.resource, duration: `${opts.grantMs}ms` }));
      // The approval DM with a button whose value is the request id.
      let ts: string | undefined;
      for (let i = 0; i < 100 && !ts; i++) {
        const history = (await web('conversations.history', { channel, limit: '20' })) as { messages?: Array<{ ts: string; blocks?: unknown[] }> };
        ts = history.messages?.find((m) => JSON.stringify(m.blocks ?? []).includes(`"value":"${created.id}"`))?.ts;
        if (!ts) await sleep(50);
      }
      if (!ts) throw new Error(`no approval DM for ${created.id}`);
      const sent = Date.now();
      const res = await fetch(`${slack}/_emulator/actions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: APPROVER, channel, ts, actionId: 'approve_request', value: created.id }),
      });
      const returned = Date.now();
      const reply = await res.text();
      if (!res.ok) throw new Error(`Slack action answered ${res.status}: ${reply}`);
      const added = await ctx.members.waitFor(pair.groupId, pair.userId, 'add', sent - 5, 15_000).catch(async (err: unknown) => {
        const view = await ctx.api.get(created.id).catch(() => undefined);
        // What the app told the clicker (its ephemeral reply through response_url).
        const state = (await (await fetch(`${slack}/_emulator/state`)).json()) as { conversations?: Array<{ id: string; ephemeral?: Array<{ text: string }> }> };
        const told = state.conversations?.find((c) => c.id === channel)?.ephemeral?.at(-1)?.text;
        const apiSaid = ctx.stack.api.process.output.filter((l) => /slack/i.test(l)).slice(-2).join(' | ').slice(0, 400);
        throw new Error(`${String(err)}; request is ${view?.status}; the app told the approver: ${told ?? '(nothing)'}; API log: ${apiSaid}`);
      });
      fromSend.push(added.at - sent);
      fromReturn.push(Math.max(0, added.at - returned));
    } catch (err) {
      errors++;
      ctx.progress(`  slack error: ${String(err)}`);
    }
  }
  return { requests: opts.requests, actionReturnedToMember: percentiles(fromReturn), actionSentToMember: percentiles(fromSend), errors };
}

// ---------------------------------------------------------------- revoke lag under an expiry burst

export interface BurstResult {
  grants: number;
  windowMs: number;
  /** How fast grants were created while aiming (pilot), per second. */
  pilotPerSec: number;
  /** Actual spread of the expiresAt values (ms). */
  expirySpreadMs: number;
  /** Grants whose expiry had passed before the last one was created (creation slower than aimed). */
  late: number;
  /** expiresAt → the emulator removed the member. */
  lag: Dist;
  /** start sent → member (Gatehouse: an auto-approved create over HTTP; bare: the workflow start). */
  startToMember: Dist;
  missing: number;
  errors: number;
  serverCpu: Cpu;
}

export interface RevokeResult {
  gatehouse: BurstResult;
  bare: BurstResult;
}

/** One side of a burst: opens a grant on `pair` meant to expire at `target`; returns its real expiresAt. */
type Grant = (pair: Pair, target: number) => Promise<{ expiresAt: number; startToMember: number }>;

/**
 * `grants` grants aimed to expire within `windowMs`, Gatehouse's burst first and the bare
 * workflow's after every Gatehouse removal landed (never overlapping), on the same server.
 */
export async function revokeLag(ctx: Ctx, opts: { grants: number; windowMs: number; concurrency: number }): Promise<RevokeResult> {
  const gatehouse: Grant = async (pair, target) => {
    const sent = Date.now();
    // The policy's shortest grant is 1 s.
    const durationMs = Math.max(1000, Math.round(target - sent));
    const view = await retrying(() => ctx.api.create({ requester: pair.login, resource: pair.resource, duration: `${durationMs}ms` }));
    const added = await ctx.members.waitFor(pair.groupId, pair.userId, 'add', sent - 5);
    return { expiresAt: await expiresAtOf(ctx.api, view.id), startToMember: added.at - sent };
  };
  const bare: Grant = async (pair, target) => {
    const sent = Date.now();
    // The same 1 s floor as Gatehouse's.
    const expiresAt = Math.max(target, sent + 1000);
    await startBare(ctx, pair, { durationMs: 0, expiresAt });
    const added = await ctx.members.waitFor(pair.groupId, pair.userId, 'add', sent - 5);
    return { expiresAt, startToMember: added.at - sent };
  };
  ctx.progress('  revoke: Gatehouse burst');
  const g = await burst(ctx, opts, 'auto', gatehouse);
  ctx.progress('  revoke: bare burst (Gatehouse burst finished)');
  const b = await burst(ctx, opts, 'bare', bare);
  return { gatehouse: g, bare: b };
}

async function burst(ctx: Ctx, opts: { grants: number; windowMs: number; concurrency: number }, family: Family, grant: Grant): Promise<BurstResult> {
  // A pilot measures how fast grants can be created, so the whole burst can be aimed at one window.
  const pilotN = Math.min(30, Math.ceil(opts.grants / 3));
  const t0 = Date.now();
  await pool(pilotN, opts.concurrency, async () => void (await grant(ctx.pairs.take(family), Date.now())));
  const rate = pilotN / Math.max((Date.now() - t0) / 1000, 0.001);
  // Sustained creation can be slower than the pilot's (every grant created adds its own work and
  // timers): aim a little late rather than early; grants that expire before the burst is created
  // are counted as `late`.
  const windowStart = Date.now() + (opts.grants / rate) * 1000 * 1.5 + 5000;
  ctx.progress(`  revoke: pilot creation ~${rate.toFixed(1)}/s; aiming ${opts.grants} expiries at ${new Date(windowStart).toISOString()} + ${opts.windowMs} ms`);

  const grants: Array<Pair & { expiresAt: number }> = [];
  const startToMember: number[] = [];
  let errors = 0;
  let created = 0;
  await withTicker(5000, () => ctx.progress(`  revoke: ${created}/${opts.grants} created`), () =>
    pool(opts.grants, opts.concurrency, async (i) => {
      const pair = ctx.pairs.take(family);
      try {
        const g = await grant(pair, windowStart + (i / opts.grants) * opts.windowMs);
        startToMember.push(g.startToMember);
        grants.push({ ...pair, expiresAt: g.expiresAt });
      } catch (err) {
        errors++;
        ctx.progress(`  revoke error: ${String(err)}`);
      }
      created++;
    }),
  );
  const late = grants.filter((g) => g.expiresAt < Date.now()).length;
  if (late) ctx.progress(`  revoke: ${late} grants already expired before creation finished (creation slower than the pilot)`);
  const cpu = cpuMeter(ctx.stack.server?.pid());
  const lags: number[] = [];
  let missing = 0;
  await withTicker(3000, () => ctx.progress(`  revoke: ${lags.length}/${grants.length} removed`), () =>
    Promise.all(
      grants.map(async (g) => {
        try {
          const removed = await ctx.members.waitFor(g.groupId, g.userId, 'remove', 0, Math.max(g.expiresAt - Date.now(), 0) + 90_000);
          lags.push(removed.at - g.expiresAt);
        } catch {
          missing++;
        }
      }),
    ),
  );
  const expiries = grants.map((g) => g.expiresAt);
  return {
    grants: grants.length,
    windowMs: opts.windowMs,
    pilotPerSec: Math.round(rate * 10) / 10,
    expirySpreadMs: expiries.length ? Math.max(...expiries) - Math.min(...expiries) : 0,
    late,
    lag: percentiles(lags),
    startToMember: percentiles(startToMember),
    missing,
    errors,
    serverCpu: cpu.read(),
  };
}

// ---------------------------------------------------------------- lifecycles/s

export interface LoopResult {
  started: number;
  /** Lifecycles whose revoke landed in [start + grant, start + grant + duration], per second. */
  sustainedPerSec: number;
  /** Lifecycles whose member was removed, over the time from the first start to the last removal. */
  completed: number;
  overallPerSec: number;
  /** One client iteration: start sent → member in (Gatehouse: create + approve; bare: start). */
  startToMember: Dist;
  errors: number;
  errorSamples: string[];
  serverCpu: Cpu;
  /** Average cores used per process over the run (where the CPU went). */
  cpuByProcess: Record<string, number>;
  /**
   * CPU seconds per lifecycle started, per process, from the first start to the last removal (so
   * every lifecycle's whole cost is in, revoke included): the input of the capacity model.
   */
  cpuSecondsPerLifecycle: Record<string, number>;
  /**
   * On a cluster: PostgreSQL's writes per lifecycle started (WAL and commits, all databases) and
   * how much the databases grew (histories, visibility, the audit log; before any retention).
   */
  database?: { walKiBPerLifecycle: number; commitsPerLifecycle: number; growthKiBPerLifecycle: number; growthKiBByDatabase: Record<string, number> };
  /** Okta, Slack and Jira calls per lifecycle started (against the vendors' rate limits). */
  apiCalls?: ApiCallsPerLifecycle;
  /** Approvals the API answered 503 `unavailable` (its wait for a worker ran out), sent again with the same key. */
  approvalRetries?: number;
}

export interface ThroughputResult {
  durationS: number;
  concurrency: number;
  grantMs: number;
  /** Gatehouse: request, one approval, grant, expiry, revoke; each checked to end `expired`. */
  gatehouse: LoopResult & { expired: number };
  bare: LoopResult;
}

/**
 * Closed loop, `concurrency` clients for `durationS` per side: each client starts a lifecycle,
 * waits for its member to be in (seen in the emulator's log, the same for both sides), and starts
 * the next. Gatehouse first, then the bare workflow once every Gatehouse revoke landed.
 */
export async function throughput(ctx: Ctx, opts: { durationS: number; concurrency: number; grantMs: number }): Promise<ThroughputResult> {
  const g = await closedLoop(ctx, opts, 'Gatehouse', 'approval', async (pair) => (await requestApproved(ctx, pair, opts.grantMs, [APPROVER])).id);
  // Final statuses through the API: each lifecycle must end `expired`.
  ctx.progress(`  throughput: checking ${g.ids.length} final statuses…`);
  let expired = 0;
  const fail = (err: unknown) => {
    g.result.errors++;
    if (g.result.errorSamples.length < 5) g.result.errorSamples.push(String(err).slice(0, 200));
  };
  await pool(g.ids.length, 8, async (i) => {
    const id = g.ids[i]!;
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        const view: RequestView = await retrying(() => ctx.api.get(id));
        if (FINAL_STATUSES.has(view.status)) {
          if (view.status === 'expired') expired++;
          else fail(new Error(`${id} ended ${view.status}`));
          return;
        }
      } catch (err) {
        return fail(err);
      }
      if (Date.now() > deadline) return fail(new Error(`${id} not final after 120 s`));
      await sleep(500);
    }
  });
  const b = await closedLoop(ctx, opts, 'bare', 'bare', (pair) => startBare(ctx, pair, { durationMs: opts.grantMs }));
  return { durationS: opts.durationS, concurrency: opts.concurrency, grantMs: opts.grantMs, gatehouse: { ...g.result, expired }, bare: b.result };
}

async function closedLoop(
  ctx: Ctx,
  opts: { durationS: number; concurrency: number; grantMs: number },
  label: string,
  family: Family,
  start: (pair: Pair) => Promise<string>,
): Promise<{ result: LoopResult; ids: string[] }> {
  const started: Array<Pair & { id: string; at: number }> = [];
  const iterations: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  const fail = (err: unknown) => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(String(err).slice(0, 200));
  };
  const serverCpu = cpuMeter(ctx.stack.server?.pid());
  const cpuAll = stackCpu(ctx.stack);
  const writes0 = ctx.stack.cluster?.writes();
  const calls0 = await apiCalls(ctx.stack).catch(() => undefined);
  const retries0 = ctx.api.unavailableRetries;
  const t0 = Date.now();
  const end = t0 + opts.durationS * 1000;
  await withTicker(5000, () => ctx.progress(`  throughput (${label}): ${started.length} started, ${Math.round((Date.now() - t0) / 1000)}s`), () =>
    Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (Date.now() < end) {
          const pair = ctx.pairs.take(family);
          const sent = Date.now();
          try {
            const id = await start(pair);
            started.push({ ...pair, id, at: sent });
            await ctx.members.waitFor(pair.groupId, pair.userId, 'add', sent - 5);
            iterations.push(Date.now() - sent);
          } catch (err) {
            fail(err);
            if (err instanceof HttpFailure && err.status >= 500) await sleep(200);
          }
        }
      }),
    ),
  );
  const cpuByProcess = cpuAll.cores();
  ctx.progress(`  throughput (${label}): ${started.length} started; waiting for their revokes…`);
  const removedAt: number[] = [];
  await Promise.all(
    started.map(async (s) => {
      try {
        removedAt.push((await ctx.members.waitFor(s.groupId, s.userId, 'remove', s.at, opts.grantMs + 180_000)).at);
      } catch (err) {
        fail(err);
      }
    }),
  );
  const windowFrom = t0 + opts.grantMs;
  const inWindow = removedAt.filter((at) => at >= windowFrom && at < windowFrom + opts.durationS * 1000).length;
  const lastRemove = removedAt.length ? Math.max(...removedAt) : Date.now();
  const writes1 = ctx.stack.cluster?.writes();
  const cpuSeconds = cpuAll.seconds();
  const calls1 = calls0 && (await apiCalls(ctx.stack).catch(() => undefined));
  const perLifecycle = (n: number, digits = 1) => Math.round((n / Math.max(started.length, 1)) * 10 ** digits) / 10 ** digits;
  return {
    ids: started.map((s) => s.id),
    result: {
      started: started.length,
      sustainedPerSec: Math.round((inWindow / opts.durationS) * 10) / 10,
      completed: removedAt.length,
      overallPerSec: Math.round((removedAt.length / Math.max((lastRemove - t0) / 1000, 0.001)) * 10) / 10,
      startToMember: percentiles(iterations),
      errors,
      errorSamples,
      serverCpu: serverCpu.read(),
      cpuByProcess,
      cpuSecondsPerLifecycle: Object.fromEntries(Object.entries(cpuSeconds).map(([name, s]) => [name, perLifecycle(s, 3)])),
      database:
        writes0 && writes1
          ? {
              walKiBPerLifecycle: perLifecycle((writes1.walBytes - writes0.walBytes) / 1024),
              commitsPerLifecycle: perLifecycle(writes1.commits - writes0.commits),
              growthKiBPerLifecycle: perLifecycle((writes1.sizeBytes - writes0.sizeBytes) / 1024),
              growthKiBByDatabase: Object.fromEntries(Object.entries(writes1.databases).map(([db, size]) => [db, perLifecycle((size - (writes0.databases[db] ?? 0)) / 1024)])),
            }
          : undefined,
      apiCalls: calls0 && calls1 ? callsPerLifecycle(calls0, calls1, started.length) : undefined,
      approvalRetries: ctx.api.unavailableRetries - retries0,
    },
  };
}

// ---------------------------------------------------------------- open grants held

export interface HoldResult {
  target: number;
  open: number;
  /** Time to open them (s), and the rate. */
  createSeconds: number;
  createPerSec: number;
  workerRss: number | undefined;
  workerRssPeak: number;
  workerHeapUsed: number | undefined;
  workerHeapTotal: number | undefined;
  cachedWorkflows: number | undefined;
  serverRss: number | undefined;
  serverCpuDuringCreate: Cpu;
  serverCpuIdle: Cpu;
  /** On a cluster: PostgreSQL's CPU while the grants sit open, and how much the databases grew per open grant. */
  postgresCpuIdle?: Cpu;
  databaseKiBPerOpen?: number;
  errors: number;
  /** Set when creation stopped at the time cap before the target. */
  cappedAfterS?: number;
}

export interface CapacityResult {
  concurrency: number;
  gatehouse: HoldResult;
  /** As many 6-hour bare workflows as Gatehouse held, opened after (the Gatehouse grants stay open). */
  bare: HoldResult;
}

export async function capacity(ctx: Ctx, opts: { grants: number; concurrency: number; holdS: number; maxS: number }): Promise<CapacityResult> {
  const open = async (pair: Pair, start: () => Promise<unknown>) => {
    const sent = Date.now();
    await start();
    await ctx.members.waitFor(pair.groupId, pair.userId, 'add', sent - 5);
  };
  const gatehouse = await hold(ctx, opts, {
    label: 'Gatehouse',
    family: 'auto',
    pid: ctx.stack.workers[0]?.child.pid,
    stats: ctx.workerStats,
    open: (pair) => open(pair, () => retrying(() => ctx.api.create({ requester: pair.login, resource: pair.resource, duration: '6h' }))),
  });
  const bare = await hold(ctx, { ...opts, grants: gatehouse.open }, {
    label: 'bare',
    family: 'bare',
    pid: ctx.stack.bare?.process.child.pid,
    stats: ctx.bareStats,
    open: (pair) => open(pair, () => startBare(ctx, pair, { durationMs: 6 * 3600_000 })),
  });
  return { concurrency: opts.concurrency, gatehouse, bare };
}

interface HoldSide {
  label: string;
  family: Family;
  pid: number | undefined;
  stats: () => WorkerStats | undefined;
  /** Opens one 6-hour grant; resolves once its member is in. */
  open: (pair: Pair) => Promise<void>;
}

async function hold(ctx: Ctx, opts: { grants: number; concurrency: number; holdS: number; maxS: number }, side: HoldSide): Promise<HoldResult> {
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(side.pid) ?? 0)), 1000);
  const cpuCreate = cpuMeter(ctx.stack.server?.pid());
  const size0 = ctx.stack.cluster?.writes().sizeBytes;
  let open = 0;
  let errors = 0;
  let capped = 0;
  const t0 = Date.now();
  try {
    await withTicker(10_000, () => {
      const rate = open / Math.max((Date.now() - t0) / 1000, 0.001);
      ctx.progress(`  capacity (${side.label}): ${open}/${opts.grants} open (${rate.toFixed(1)}/s); worker RSS ${mib(rssOf(side.pid))}, cached ${side.stats()?.cachedWorkflows ?? '?'}`);
    }, () =>
      pool(opts.grants, opts.concurrency, async () => {
        // A time cap: on a slow machine the report says how many were open when it hit.
        if (Date.now() - t0 > opts.maxS * 1000) return void capped++;
        try {
          await side.open(ctx.pairs.take(side.family));
          open++;
        } catch (err) {
          errors++;
          ctx.progress(`  capacity error (${side.label}): ${String(err)}`);
        }
      }),
    );
    const createSeconds = (Date.now() - t0) / 1000;
    const during = cpuCreate.read();
    if (capped) ctx.progress(`  capacity (${side.label}): stopped creating after the ${opts.maxS} s cap`);
    ctx.progress(`  capacity (${side.label}): ${open} open in ${createSeconds.toFixed(0)} s; holding ${opts.holdS} s to measure the idle cost…`);
    const idle = cpuMeter(ctx.stack.server?.pid());
    const pgIdle = ctx.stack.cluster ? cpuMeter(ctx.stack.cluster.postgres.pid(), true) : undefined;
    await sleep(opts.holdS * 1000);
    const s = side.stats();
    const size1 = ctx.stack.cluster?.writes().sizeBytes;
    return {
      target: opts.grants,
      open,
      createSeconds: Math.round(createSeconds),
      createPerSec: Math.round((open / createSeconds) * 10) / 10,
      workerRss: rssOf(side.pid),
      workerRssPeak: Math.max(peak, rssOf(side.pid) ?? 0),
      workerHeapUsed: s?.heapUsed,
      workerHeapTotal: s?.heapTotal,
      cachedWorkflows: s?.cachedWorkflows,
      serverRss: rssOf(ctx.stack.server?.pid()),
      serverCpuDuringCreate: during,
      serverCpuIdle: idle.read(),
      postgresCpuIdle: pgIdle?.read(),
      databaseKiBPerOpen: size0 !== undefined && size1 !== undefined && open ? Math.round((size1 - size0) / 1024 / open) : undefined,
      errors,
      cappedAfterS: capped ? opts.maxS : undefined,
    };
  } finally {
    clearInterval(sampler);
  }
}

export const mib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${Math.round(bytes / 1048576)} MiB`);

// ---------------------------------------------------------------- (6) risk response

export interface RiskResult {
  trials: number;
  grantsPerUser: number;
  /** The emulator sent the HIGH event to /hooks/okta → the last of the user's grants removed in Okta. */
  deliveryToLastRemoval: Dist;
  /** … → the first removal. */
  deliveryToFirstRemoval: Dist;
  /** … → the user added to the quarantine group. */
  deliveryToQuarantine: Dist;
  /** How long /hooks/okta took to answer the delivery. */
  hookAnswer: Dist;
  errors: number;
}

/**
 * Risk response under a HIGH event (SPEC §12): each trial user holds one active grant of every
 * risk resource (20); the Okta emulator raises `user.risk.detect` at HIGH and delivers it to the
 * registered hook; timed with the emulator's own clock, from the delivery's send to the last of
 * the user's memberships removed. Trials run one after another.
 */
export async function riskResponse(ctx: Ctx, opts: { trials: number }): Promise<RiskResult> {
  const okta = ctx.stack.emulators.okta;
  await registerEventHook(createOktaClient({ orgUrl: okta, token: 'bench-okta-token' }), { url: `${ctx.stack.api.url}/hooks/okta`, name: 'Gatehouse bench', secret: ctx.stack.hookSecret });
  const toLast: number[] = [];
  const toFirst: number[] = [];
  const toQuarantine: number[] = [];
  const answers: number[] = [];
  let errors = 0;
  for (let i = 0; i < Math.min(opts.trials, RISK_USERS); i++) {
    const login = riskLogin(i);
    const user = riskUserId(i);
    try {
      const started = Date.now();
      await pool(RISK_RESOURCES, 5, async (k) => {
        await retrying(() => ctx.api.create({ requester: login, resource: riskResource(k) }));
      });
      await Promise.all(Array.from({ length: RISK_RESOURCES }, (_, k) => ctx.members.waitFor(riskGroup(k), user, 'add', started - 1000)));
      const raised = await fetch(`${okta}/_emulator/risk`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login, level: 'HIGH', reasons: ['bench'] }) });
      if (raised.status !== 201) throw new Error(`raising the risk answered ${raised.status}`);
      const { event } = (await raised.json()) as { event: { uuid: string } };
      const removals = await Promise.all(Array.from({ length: RISK_RESOURCES }, (_, k) => ctx.members.waitFor(riskGroup(k), user, 'remove', started, 60_000)));
      const quarantined = await ctx.members.waitFor(QUARANTINE_GROUP, user, 'add', started, 60_000);
      const delivery = await waitForDelivery(okta, event.uuid);
      const sentAt = Date.parse(delivery.at) - delivery.durationMs;
      const at = removals.map((r) => r.at);
      toLast.push(Math.max(...at) - sentAt);
      toFirst.push(Math.min(...at) - sentAt);
      toQuarantine.push(quarantined.at - sentAt);
      answers.push(delivery.durationMs);
      ctx.progress(`  risk: trial ${i + 1}: delivery → last of ${RISK_RESOURCES} removals ${`${Math.round(toLast.at(-1)!)}ms`} (hook answered in ${`${Math.round(delivery.durationMs)}ms`})`);
    } catch (err) {
      errors++;
      ctx.progress(`  risk: trial ${i + 1} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { trials: opts.trials, grantsPerUser: RISK_RESOURCES, deliveryToLastRemoval: percentiles(toLast), deliveryToFirstRemoval: percentiles(toFirst), deliveryToQuarantine: percentiles(toQuarantine), hookAnswer: percentiles(answers), errors };
}

async function waitForDelivery(okta: string, uuid: string): Promise<{ at: string; durationMs: number; status: number | null }> {
  for (let i = 0; i < 200; i++) {
    const { deliveries } = (await (await fetch(`${okta}/_emulator/event-hooks/deliveries`)).json()) as { deliveries: { kind: string; eventUuids: string[]; attempt: number; at: string; durationMs: number; status: number | null }[] };
    const found = deliveries.find((d) => d.kind === 'event' && d.attempt === 1 && d.eventUuids.includes(uuid));
    if (found) {
      if (found.status !== 200) throw new Error(`the hook answered ${found.status}`);
      return found;
    }
    await sleep(50);
  }
  throw new Error(`no delivery of ${uuid}`);
}
