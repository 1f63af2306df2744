/**
 * The benchmark scenarios. Each drives Gatehouse through its public HTTP API and times outcomes
 * with the Okta emulator's own membership timestamps.
 */
import { Client, Connection } from '@temporalio/client';
import type { bareGrantWorkflow } from '../../bench/bare/workflow';
import { type ApiClient, FINAL_STATUSES, HttpFailure, type MembershipLog, percentiles, pool, retrying, sleep, type RequestView } from './client';
import type { Pairs } from './pairs';
import { cpuMeter, rssOf } from './proc';
import { createOktaClient } from '../../activities/adapters/okta';
import { registerEventHook } from '../okta-event-hook';
import { APPROVER, QUARANTINE_GROUP, RISK_RESOURCES, RISK_USERS, riskGroup, riskLogin, riskResource, riskUserId, type Stack } from './stack';

export interface Ctx {
  stack: Stack;
  api: ApiClient;
  members: MembershipLog;
  pairs: Pairs;
  progress: (line: string) => void;
  /** Latest `worker stats` line of the first worker. */
  workerStats: () => WorkerStats | undefined;
}

export interface WorkerStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  cachedWorkflows: number;
}

type Dist = ReturnType<typeof percentiles>;
const ms = (n: number) => `${Math.round(n)}ms`;

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

// ---------------------------------------------------------------- (1) approval latency

export interface LatencyResult {
  requests: number;
  concurrency: number;
  /** approve call returned → emulator added the member (0 when it was already in before the answer). */
  approveReturnedToMember: Dist;
  /** approve call sent → member. */
  approveSentToMember: Dist;
  memberBeforeAnswer: number;
  approveCall: Dist;
  errors: number;
}

export async function approvalLatency(ctx: Ctx, opts: { requests: number; concurrency: number; grantMs: number }): Promise<LatencyResult> {
  const fromReturn: number[] = [];
  const fromSend: number[] = [];
  const calls: number[] = [];
  let before = 0;
  let errors = 0;
  let done = 0;
  await withTicker(5000, () => ctx.progress(`  latency: ${done}/${opts.requests}`), () =>
    pool(opts.requests, opts.concurrency, async () => {
      const pair = ctx.pairs.take('approval');
      try {
        const created = await retrying(() => ctx.api.create({ requester: pair.login, resource: pair.resource, duration: `${opts.grantMs}ms` }));
        const sent = Date.now();
        await ctx.api.approve(created.id, APPROVER);
        const returned = Date.now();
        const added = await ctx.members.waitFor(pair.groupId, pair.userId, 'add', sent - 5);
        calls.push(returned - sent);
        fromSend.push(added.at - sent);
        fromReturn.push(Math.max(0, added.at - returned));
        if (added.at <= returned) before++;
      } catch (err) {
        errors++;
        ctx.progress(`  latency error: ${String(err)}`);
      }
      done++;
    }),
  );
  return {
    requests: opts.requests,
    concurrency: opts.concurrency,
    approveReturnedToMember: percentiles(fromReturn),
    approveSentToMember: percentiles(fromSend),
    memberBeforeAnswer: before,
    approveCall: percentiles(calls),
    errors,
  };
}

// ---------------------------------------------------------------- Slack path

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

// ---------------------------------------------------------------- (2) revoke lag

export interface RevokeResult {
  grants: number;
  windowMs: number;
  /** Actual spread of the expiresAt values (ms). */
  expirySpreadMs: number;
  lag: Dist;
  /** create call sent → member, auto-approved (compared with the bare workflow). */
  createToMember: Dist;
  missing: number;
  errors: number;
  serverCpu: { cpuSeconds: number; coresAvg: number };
}

export async function revokeLag(ctx: Ctx, opts: { grants: number; windowMs: number; concurrency: number }): Promise<RevokeResult> {
  // A pilot measures how fast grants can be created, so the whole burst can be aimed at one window.
  const pilotN = Math.min(30, Math.ceil(opts.grants / 3));
  const t0 = Date.now();
  await pool(pilotN, opts.concurrency, async () => {
    const pair = ctx.pairs.take('auto');
    await retrying(() => ctx.api.create({ requester: pair.login, resource: pair.resource, duration: '1s' }));
  });
  const rate = pilotN / Math.max((Date.now() - t0) / 1000, 0.001);
  // The pilot runs on an idle system; sustained creation measured about 3× slower (every grant
  // created adds its own activities and timers), so aim late rather than early.
  const windowStart = Date.now() + (opts.grants / rate) * 1000 * 3.5 + 10_000;
  ctx.progress(`  revoke: pilot creation ~${rate.toFixed(1)}/s; aiming ${opts.grants} expiries at ${new Date(windowStart).toISOString()} + ${opts.windowMs} ms`);

  const grants: Array<{ id: string; groupId: string; userId: string; expiresAt: number }> = [];
  const createToMember: number[] = [];
  let errors = 0;
  let created = 0;
  await withTicker(5000, () => ctx.progress(`  revoke: ${created}/${opts.grants} created`), () =>
    pool(opts.grants, opts.concurrency, async (i) => {
      const pair = ctx.pairs.take('auto');
      try {
        const target = windowStart + (i / opts.grants) * opts.windowMs;
        const sent = Date.now();
        const durationMs = Math.max(1000, Math.round(target - sent));
        const view = await retrying(() => ctx.api.create({ requester: pair.login, resource: pair.resource, duration: `${durationMs}ms` }));
        const added = await ctx.members.waitFor(pair.groupId, pair.userId, 'add', sent - 5);
        createToMember.push(added.at - sent);
        grants.push({ id: view.id, groupId: pair.groupId, userId: pair.userId, expiresAt: await expiresAtOf(ctx.api, view.id) });
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
    expirySpreadMs: expiries.length ? Math.max(...expiries) - Math.min(...expiries) : 0,
    lag: percentiles(lags),
    createToMember: percentiles(createToMember),
    missing,
    errors,
    serverCpu: cpu.read(),
  };
}

// ---------------------------------------------------------------- (3) throughput

export interface ThroughputResult {
  durationS: number;
  concurrency: number;
  grantMs: number;
  started: number;
  /** Lifecycles whose revoke landed in [start + grant, start + grant + duration], per second. */
  sustainedPerSec: number;
  /** All started lifecycles that ended `expired`, over the time from the first start to the last revoke. */
  completed: number;
  overallPerSec: number;
  createAndApprove: Dist;
  errors: number;
  errorSamples: string[];
  serverCpu: { cpuSeconds: number; coresAvg: number };
  workerCpu: { cpuSeconds: number; coresAvg: number };
  /** Average cores used per process over the run (where the CPU went). */
  cpuByProcess: Record<string, number>;
  /** On a cluster: PostgreSQL's writes per lifecycle started (WAL and commits, all databases). */
  database?: { walKiBPerLifecycle: number; commitsPerLifecycle: number };
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
  return () => Object.fromEntries(Object.entries(meters).map(([name, meter]) => [name, meter.read().coresAvg]));
}

export async function throughput(ctx: Ctx, opts: { durationS: number; concurrency: number; grantMs: number }): Promise<ThroughputResult> {
  const started: Array<{ id: string; groupId: string; userId: string; at: number }> = [];
  const calls: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  const fail = (err: unknown) => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(String(err).slice(0, 200));
  };
  const serverCpu = cpuMeter(ctx.stack.server?.pid());
  const workerCpu = cpuMeter(ctx.stack.workers[0]?.child.pid);
  const cpuAll = stackCpu(ctx.stack);
  const writes0 = ctx.stack.cluster?.writes();
  const t0 = Date.now();
  const end = t0 + opts.durationS * 1000;
  await withTicker(5000, () => ctx.progress(`  throughput: ${started.length} started, ${Math.round((Date.now() - t0) / 1000)}s`), () =>
    Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (Date.now() < end) {
          const pair = ctx.pairs.take('approval');
          const sent = Date.now();
          try {
            const view = await ctx.api.create({ requester: pair.login, resource: pair.resource, duration: `${opts.grantMs}ms` });
            await ctx.api.approve(view.id, APPROVER);
            calls.push(Date.now() - sent);
            started.push({ id: view.id, groupId: pair.groupId, userId: pair.userId, at: sent });
          } catch (err) {
            fail(err);
            if (err instanceof HttpFailure && err.status >= 500) await sleep(200);
          }
        }
      }),
    ),
  );
  const cpuByProcess = cpuAll();
  ctx.progress(`  throughput: ${started.length} started; waiting for their revokes…`);
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
  const cpuS = serverCpu.read();
  const cpuW = workerCpu.read();
  const windowFrom = t0 + opts.grantMs;
  const windowTo = windowFrom + opts.durationS * 1000;
  const inWindow = removedAt.filter((at) => at >= windowFrom && at < windowTo).length;
  // Final statuses through the API (each lifecycle must end `expired`).
  ctx.progress(`  throughput: checking ${started.length} final statuses…`);
  let completed = 0;
  await pool(started.length, 8, async (i) => {
    const s = started[i]!;
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        const view: RequestView = await retrying(() => ctx.api.get(s.id));
        if (FINAL_STATUSES.has(view.status)) {
          if (view.status === 'expired') completed++;
          else fail(new Error(`${s.id} ended ${view.status}`));
          return;
        }
      } catch (err) {
        fail(err);
        return;
      }
      if (Date.now() > deadline) return fail(new Error(`${s.id} not final after 120 s`));
      await sleep(500);
    }
  });
  const lastRemove = removedAt.length ? Math.max(...removedAt) : Date.now();
  const writes1 = ctx.stack.cluster?.writes();
  const perLifecycle = (n: number) => Math.round((n / Math.max(started.length, 1)) * 10) / 10;
  return {
    database:
      writes0 && writes1 ? { walKiBPerLifecycle: perLifecycle((writes1.walBytes - writes0.walBytes) / 1024), commitsPerLifecycle: perLifecycle(writes1.commits - writes0.commits) } : undefined,
    durationS: opts.durationS,
    concurrency: opts.concurrency,
    grantMs: opts.grantMs,
    started: started.length,
    sustainedPerSec: Math.round((inWindow / opts.durationS) * 10) / 10,
    completed,
    overallPerSec: Math.round((completed / ((lastRemove - t0) / 1000)) * 10) / 10,
    createAndApprove: percentiles(calls),
    errors,
    errorSamples,
    serverCpu: cpuS,
    workerCpu: cpuW,
    cpuByProcess,
  };
}

// ---------------------------------------------------------------- (5) the bare workflow

export interface BareResult {
  durationS: number;
  concurrency: number;
  grantMs: number;
  started: number;
  sustainedPerSec: number;
  startToMember: Dist;
  revokeLag: Dist;
  errors: number;
  cpuByProcess: Record<string, number>;
}

export async function bare(ctx: Ctx, opts: { durationS: number; concurrency: number; grantMs: number }): Promise<BareResult> {
  if (!ctx.stack.bare) throw new Error('the bare worker is not running');
  const connection = await Connection.connect({ address: ctx.stack.address });
  const client = new Client({ connection });
  const taskQueue = ctx.stack.bare.taskQueue;
  const started: Array<{ id: string; groupId: string; userId: string; at: number }> = [];
  const startToMember: number[] = [];
  let errors = 0;
  const cpuAll = stackCpu(ctx.stack);
  const t0 = Date.now();
  const end = t0 + opts.durationS * 1000;
  let n = 0;
  try {
    await withTicker(5000, () => ctx.progress(`  bare: ${started.length} started`), () =>
      Promise.all(
        Array.from({ length: opts.concurrency }, async () => {
          while (Date.now() < end) {
            const pair = ctx.pairs.take('bare');
            const id = `bench-bare-${t0}-${n++}`;
            const sent = Date.now();
            try {
              await client.workflow.start<typeof bareGrantWorkflow>('bareGrantWorkflow', {
                taskQueue,
                workflowId: id,
                args: [{ groupId: pair.groupId, userId: pair.userId, durationMs: opts.grantMs }],
              });
              // Closed loop like the Gatehouse driver: the next start waits for this grant.
              const added = await ctx.members.waitFor(pair.groupId, pair.userId, 'add', sent - 5);
              startToMember.push(added.at - sent);
              started.push({ id, groupId: pair.groupId, userId: pair.userId, at: sent });
            } catch {
              errors++;
            }
          }
        }),
      ),
    );
    const cpuByProcess = cpuAll();
    const lags: number[] = [];
    const removedAt: number[] = [];
    await pool(started.length, 32, async (i) => {
      const s = started[i]!;
      try {
        const result = await client.workflow.getHandle(s.id).result();
        const removed = await ctx.members.waitFor(s.groupId, s.userId, 'remove', s.at, 10_000);
        removedAt.push(removed.at);
        lags.push(removed.at - (result as { expiresAt: number }).expiresAt);
      } catch {
        errors++;
      }
    });
    const windowFrom = t0 + opts.grantMs;
    const inWindow = removedAt.filter((at) => at >= windowFrom && at < windowFrom + opts.durationS * 1000).length;
    return {
      durationS: opts.durationS,
      concurrency: opts.concurrency,
      grantMs: opts.grantMs,
      started: started.length,
      sustainedPerSec: Math.round((inWindow / opts.durationS) * 10) / 10,
      startToMember: percentiles(startToMember),
      revokeLag: percentiles(lags),
      errors,
      cpuByProcess,
    };
  } finally {
    await connection.close();
  }
}

// ---------------------------------------------------------------- (4) capacity

export interface CapacityResult {
  target: number;
  open: number;
  createPerSec: number;
  workerRss: number | undefined;
  workerRssPeak: number;
  workerHeapUsed: number | undefined;
  workerHeapTotal: number | undefined;
  cachedWorkflows: number | undefined;
  serverRss: number | undefined;
  serverCpuDuringCreate: { cpuSeconds: number; coresAvg: number };
  serverCpuIdle: { cpuSeconds: number; coresAvg: number };
  errors: number;
  /** Set when creation stopped at the time cap before the target. */
  cappedAfterS?: number;
}

export async function capacity(ctx: Ctx, opts: { grants: number; concurrency: number; holdS: number; maxS: number }): Promise<CapacityResult> {
  const workerPid = ctx.stack.workers[0]?.child.pid;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(workerPid) ?? 0)), 1000);
  const cpuCreate = cpuMeter(ctx.stack.server?.pid());
  let open = 0;
  let errors = 0;
  let capped = 0;
  const t0 = Date.now();
  try {
    await withTicker(10_000, () => {
      const s = ctx.workerStats();
      ctx.progress(`  capacity: ${open}/${opts.grants} open; worker RSS ${mib(rssOf(workerPid))}, cached ${s?.cachedWorkflows ?? '?'}`);
    }, () =>
      pool(opts.grants, opts.concurrency, async () => {
        // A time cap: on a slow machine the report says how many were open when it hit.
        if (Date.now() - t0 > opts.maxS * 1000) return void capped++;
        const pair = ctx.pairs.take('auto');
        try {
          const sent = Date.now();
          await retrying(() => ctx.api.create({ requester: pair.login, resource: pair.resource, duration: '6h' }));
          await ctx.members.waitFor(pair.groupId, pair.userId, 'add', sent - 5);
          open++;
        } catch (err) {
          errors++;
          ctx.progress(`  capacity error: ${String(err)}`);
        }
      }),
    );
    const createPerSec = open / ((Date.now() - t0) / 1000);
    const during = cpuCreate.read();
    if (capped) ctx.progress(`  capacity: stopped creating after the ${opts.maxS} s cap`);
    ctx.progress(`  capacity: ${open} grants open; holding ${opts.holdS}s to measure the idle cost…`);
    const idle = cpuMeter(ctx.stack.server?.pid());
    await sleep(opts.holdS * 1000);
    const s = ctx.workerStats();
    return {
      target: opts.grants,
      open,
      createPerSec: Math.round(createPerSec * 10) / 10,
      workerRss: rssOf(workerPid),
      workerRssPeak: peak,
      workerHeapUsed: s?.heapUsed,
      workerHeapTotal: s?.heapTotal,
      cachedWorkflows: s?.cachedWorkflows,
      serverRss: rssOf(ctx.stack.server?.pid()),
      serverCpuDuringCreate: during,
      serverCpuIdle: idle.read(),
      errors,
      cappedAfterS: capped ? opts.maxS : undefined,
    };
  } finally {
    clearInterval(sampler);
  }
}

export const mib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${Math.round(bytes / 1048576)} MiB`);
export { ms };

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
      ctx.progress(`  risk: trial ${i + 1}: delivery → last of ${RISK_RESOURCES} removals ${ms(toLast.at(-1)!)} (hook answered in ${ms(delivery.durationMs)})`);
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
