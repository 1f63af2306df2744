/**
 * A chaos run: a load of short access-request lifecycles through the HTTP API while worker
 * processes are SIGKILLed and replaced, the Temporal server is restarted on its SQLite file, and
 * the emulators fail; then the invariants are checked. On a cluster (scripts/cluster) the server
 * process is restarted on the same PostgreSQL, then PostgreSQL itself, and the requests are spread
 * over several APIs. Used by `npm run chaos`, the small run in test/chaos/chaos.test.ts and the
 * cluster run in test/cluster/cluster.test.ts.
 *
 * Besides the load, some lifecycles are interfered with (issue 10): revoked right after the grant,
 * their workflow cancelled, terminated or reset while the grant is in force, or run as two grants
 * of one person on one Okta group through two resources. The drift sweep runs throughout (its
 * first run records the baselines: the standing members). Every invariant is judged once the
 * workflows have closed, and the ledger is checked against Okta at the end.
 */
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { accessRequestWorkflowId } from '../../workflows/constants';
import { ApiClient, FINAL_STATUSES, HttpFailure, MembershipLog, pool, retrying, sleep, type RequestView } from '../bench/client';
import { ROOT, type Child } from '../bench/proc';
import { APPROVER, approvalGroup, approvalResource, autoGroup, autoResource, standingLogin, startStack, twinResource, userId, userLogin, type Stack } from '../bench/stack';
import Database from 'better-sqlite3';
import { AuditStore } from '../../activities/audit/store';
import { reconcileWorkflow } from '../../workflows/reconcile/workflow';
import { percentiles } from '../bench/client';
import type { TemporalCluster } from '../cluster/server';
import { readAuditTrail, type AuditEventRecord } from './audit-source';

export interface ChaosOptions {
  lifecycles: number;
  /** Requests are spread over this many seconds. */
  spanS: number;
  grantMs: [number, number];
  /** Random intervals between worker kills (seconds); 0 kills = none. */
  killEveryS: [number, number];
  maxKills: number;
  serverRestart: boolean;
  /** 'full': Okta 10 % 5xx, a 429 burst, a 30 s Jira outage, a Slack outage; 'burst': Okta 10 % 5xx for 10 s. */
  faults: 'full' | 'burst' | 'none';
  /** Reuse this Temporal server (no restart possible then). */
  reuse?: string;
  /** A Temporal cluster on PostgreSQL instead of the dev server; serverRestart then restarts PostgreSQL too. */
  cluster?: { shards?: number };
  /** Gatehouse worker processes (default 1). */
  workers?: number;
  /** API processes (default 1): each request is filed on one and approved on the next. */
  apis?: number;
  /** Start a new worker after each kill (default true); false: the other workers carry on alone (the last one is never killed). */
  replaceKilled?: boolean;
  gatehouseBundle?: string;
  settleTimeoutS: number;
  /** Revoke early, cancel, terminate and reset some workflows, and run twin grants (default true). */
  interfere?: boolean;
  log: (line: string) => void;
}

export interface Check {
  name: string;
  checked: number;
  violations: string[];
  note?: string;
}

export interface ChaosReport {
  /** What the cluster's frontend reported (absent on the dev server). */
  cluster?: TemporalCluster['info'];
  workers: number;
  apis: number;
  lifecycles: number;
  kills: number;
  serverDownMs: number;
  postgresDownMs: number;
  workerGapMs: number;
  faults: string[];
  checks: Check[];
  /** How long the records of a request took to finish after it ended (workflow closed − request ended). */
  recordsCatchUp: { p50: number; max: number; afterOutages: Record<string, number> };
  ok: boolean;
  elapsedS: number;
}

/** What is done to a lifecycle besides letting it run: each has its expected end. */
type Interference = 'none' | 'early-revoke' | 'cancel' | 'terminate' | 'reset' | 'twin';

interface Lifecycle {
  n: number;
  login: string;
  userId: string;
  resource: string;
  groupId: string;
  standing: boolean;
  interference: Interference;
  id?: string;
  /** For `twin`: the second request, on the other resource of the same group. */
  twinId?: string;
  error?: string;
  view?: RequestView;
  twinView?: RequestView;
  /** When the workflow closed (all its records done), from Temporal. */
  closedAt?: number;
  /**
   * What the interference found: `applied` while the grant was active (and when, against the
   * expiry it saw), or `missed` when the request had already ended (a slow, killed worker).
   */
  interfered?: { applied: true; at: number; expiresAt: number } | { applied: false; why: string };
}

/**
 * The statuses a lifecycle may end with. An interference that ends the grant early means
 * `revoked`, if it landed clearly before the expiry; one sent within a second of the expiry may
 * lose the race to the timer; one that found the request over changes nothing.
 */
function expectedStatuses(lc: Lifecycle): string[] {
  if (!['early-revoke', 'cancel', 'terminate'].includes(lc.interference)) return ['expired'];
  const i = lc.interfered;
  if (!i || !i.applied) return ['expired'];
  return i.at < i.expiresAt - 1000 ? ['revoked'] : ['revoked', 'expired'];
}

const RESOURCES = 4;
const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

function plan(count: number, interfere: boolean): Lifecycle[] {
  const actions: Interference[] = ['cancel', 'terminate', 'reset'];
  return Array.from({ length: count }, (_, n) => {
    // Every 10th lifecycle is asked for by a standing member of the group: it must stay a member.
    // Those rotate over resources and both kinds, so few of them queue behind one another.
    const standing = n % 10 === 5;
    const k = standing ? Math.floor(n / 10) % RESOURCES : n % RESOURCES;
    const interference: Interference = !interfere || standing ? 'none' : n % 10 === 6 ? 'early-revoke' : n % 10 === 7 ? 'twin' : n % 10 === 8 ? actions[Math.floor(n / 10) % 3]! : 'none';
    const approval = interference !== 'none' ? false : standing ? Math.floor(n / 40) % 2 === 1 : n % 2 === 1;
    return {
      n,
      login: standing ? standingLogin(k) : userLogin(n),
      userId: standing ? `00u_standing${k}` : userId(n),
      resource: approval ? approvalResource(k) : autoResource(k),
      groupId: approval ? approvalGroup(k) : autoGroup(k),
      standing,
      interference,
    };
  });
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const t0 = Date.now();
  const { log } = opts;
  const runId = `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  const dataDir = join(ROOT, '.data', 'chaos', runId);
  // Standing lifecycles reuse one user per resource: never two of them open at once on a resource.
  const lifecycles = plan(opts.lifecycles, opts.interfere !== false);
  const stack: Stack = await startStack({
    users: opts.lifecycles + 10,
    resources: RESOURCES,
    standingMembers: true,
    reuse: opts.reuse,
    cluster: opts.cluster,
    apis: opts.apis,
    dbFile: join(dataDir, 'temporal.sqlite'),
    workers: opts.workers ?? 1,
    bare: false,
    dataDir,
    log,
    gatehouseBundle: opts.gatehouseBundle,
  });
  // A 5xx from the API is a bug (never an outage answer): its log line goes into the chaos log.
  for (const a of stack.apis) a.process.onLine((line) => {
    if (/"level":(50|60)/.test(line) && !/"statusCode":503/.test(line)) log(`[${a.process.name}] ${line.slice(0, 2000)}`);
  });
  const api = new ApiClient(stack.api.url, stack.api.token);
  const apis = stack.apis.map((a) => new ApiClient(a.url, stack.api.token));
  const members = new MembershipLog(stack.emulators.okta);
  members.start(100);
  const connection = await Connection.connect({ address: stack.address });
  const temporal = new Client({ connection });
  // The drift sweep: first once, before any grant (it records the baselines: the standing members), then throughout.
  let sweeps = 0;
  const sweep = () =>
    temporal.workflow
      .execute(reconcileWorkflow, { taskQueue: stack.taskQueue, workflowId: `chaos-reconcile-${runId}-${++sweeps}`, args: [{ reason: 'chaos' }] })
      .catch((err: unknown) => log(`[chaos] drift sweep failed: ${String(err)}`));
  await sweep();
  log('[chaos] first drift sweep done: baselines recorded');
  // A worker that dies on its own (not one chaos killed) is reported with its last words.
  const killed = new Set<Child>();
  let stopping = false;
  const watch = (w: Child) =>
    w.child.once('exit', (code, signal) => {
      if (killed.has(w) || stopping) return;
      log(`[chaos] ${w.name} exited by itself (${signal ?? code}):\n${w.output.filter((l) => !l.includes('worker stats')).slice(-20).join('\n')}`);
    });
  stack.workers.forEach(watch);
  const faultsDone: string[] = [];
  let kills = 0;
  let serverDownMs = 0;
  let postgresDownMs = 0;
  let workerGapMs = 0;
  let loadDone = false;
  /** When each records outage ended (for the catch-up figures). */
  const faultWindows: Record<string, number> = {};
  /** Waits for the grant, then revokes it early, or cancels, terminates or resets its workflow. */
  const interfere = async (lc: Lifecycle) => {
    const deadline = Date.now() + 120_000;
    let view: RequestView | undefined;
    for (;;) {
      view = await api.get(lc.id!).catch(() => undefined);
      if (view?.status === 'active' && view.expiresAt) break;
      if ((view && FINAL_STATUSES.has(view.status)) || Date.now() > deadline) {
        lc.interfered = { applied: false, why: `the request was ${view?.status ?? 'unreadable'} before it could be interfered with` };
        return;
      }
      await sleep(200);
    }
    const at = Date.now();
    const expiresAt = Date.parse(view.expiresAt!);
    const handle = temporal.workflow.getHandle(accessRequestWorkflowId(lc.id!));
    if (lc.interference === 'early-revoke') {
      try {
        await retrying(() => api.revoke(lc.id!, lc.login, `${runId}-${lc.n}-revoke`), 120_000);
      } catch (err) {
        // Refused because the grant ran out meanwhile (a retry after a lost answer, a slow worker).
        if (err instanceof HttpFailure && err.status === 409 && /"WrongState"/.test(err.body)) {
          lc.interfered = { applied: false, why: `the revoke was refused: ${err.body.slice(0, 200)}` };
          return;
        }
        throw err;
      }
    } else if (lc.interference === 'cancel') await handle.cancel();
    else if (lc.interference === 'terminate') await handle.terminate('chaos: terminated while the grant was in force');
    else if (lc.interference === 'reset') await resetToFirstTask(temporal, accessRequestWorkflowId(lc.id!));
    lc.interfered = { applied: true, at, expiresAt };
  };
  try {
    // ---- chaos, in the background
    const chaos: Promise<void>[] = [];
    const at = (fraction: number, what: string, fn: () => Promise<unknown>) =>
      chaos.push(
        sleep(fraction * opts.spanS * 1000).then(async () => {
          log(`[chaos] ${what}`);
          try {
            await fn();
            faultsDone.push(what);
          } catch (err) {
            log(`[chaos] ${what} failed: ${String(err)}`);
          }
        }),
      );
    if (opts.faults === 'full') {
      at(0.1, 'Okta: 10 % of calls answer 500 (for 40 s)', async () => {
        await stack.faults('okta', { errorRate: { '*': 0.1 } });
        await sleep(40_000);
        await stack.faults('okta', { errorRate: {} });
      });
      at(0.3, 'Okta: a burst of 25 × 429', () => stack.faults('okta', { burst429: { count: 25, retryAfterSec: 1 } }));
      at(0.4, 'Jira: 30 s outage (503)', async () => {
        await stack.faults('jira', { outage: { seconds: 30 } });
        faultWindows.Jira = Date.now() + 30_000;
      });
      at(0.7, 'Slack: 20 s outage (503)', async () => {
        await stack.faults('slack', { outage: { seconds: 20 } });
        faultWindows.Slack = Date.now() + 20_000;
      });
      at(0.25, 'Okta: group adds answered (and applied) only after 12 s, over the 10 s request timeout (for 20 s)', () =>
        stack.faults('okta', { slow: { route: 'PUT /api/v1/groups/*', ms: 12_000, seconds: 20 } }),
      );
      if (!stack.cluster) at(0.65, 'Audit store: the SQLite file write-locked for 10 s', () => lockSqlite(stack.auditStore.sqlitePath, 10_000));
    } else if (opts.faults === 'burst') {
      at(0.2, 'Okta: 10 % of calls answer 500 (for 10 s)', async () => {
        await stack.faults('okta', { errorRate: { '*': 0.1 } });
        await sleep(10_000);
        await stack.faults('okta', { errorRate: {} });
      });
      if (!stack.cluster) at(0.5, 'Audit store: the SQLite file write-locked for 6 s', () => lockSqlite(stack.auditStore.sqlitePath, 6000));
    }
    const sweeper = (async () => {
      while (!loadDone) {
        await sleep(15_000);
        if (!loadDone) await sweep();
      }
    })();
    let serverBack = Promise.resolve();
    if (opts.serverRestart && stack.server) {
      at(0.55, `Temporal server: stop and restart on the same ${stack.cluster ? 'PostgreSQL' : 'SQLite file'}`, async () => {
        let done = () => {};
        serverBack = new Promise((resolve) => (done = resolve));
        const { downMs } = await stack.server!.restart().finally(done);
        serverDownMs += downMs;
        log(`[chaos] Temporal server back after ${downMs} ms`);
      });
    }
    if (opts.serverRestart && stack.cluster) {
      // Not while the server is down: each outage on its own.
      at(0.8, 'PostgreSQL: fast shutdown and restart under the running server', async () => {
        await serverBack;
        const { downMs } = await stack.cluster!.restartPostgres();
        postgresDownMs += downMs;
        log(`[chaos] PostgreSQL back after ${downMs} ms`);
      });
    }
    const killer = (async () => {
      if (opts.maxKills <= 0) return;
      while (!loadDone && kills < opts.maxKills) {
        await sleep(rand(...opts.killEveryS) * 1000);
        if (loadDone) break;
        const alive = stack.workers.filter((w) => w.alive());
        const victim = alive[0];
        if (!victim) continue;
        if (opts.replaceKilled === false && alive.length < 2) break;
        const killedAt = Date.now();
        log(`[chaos] SIGKILL ${victim.name} (pid ${victim.child.pid})${alive.length > 1 ? `; ${alive.length - 1} other worker(s) keep going` : ''}`);
        killed.add(victim);
        await victim.kill('SIGKILL');
        kills++;
        if (opts.replaceKilled === false) continue;
        await sleep(rand(0, 2000));
        const next = await stack.startWorker();
        watch(next);
        workerGapMs += Date.now() - killedAt;
        log(`[chaos] ${next.name} started (pid ${next.child.pid}) ${Date.now() - killedAt} ms after the kill`);
      }
    })();

    // ---- the load: open loop, one lifecycle every span/count seconds, each retried through failures
    const standingBusy = new Map<string, Promise<void>>();
    let started = 0;
    const progress = setInterval(() => log(`[load] ${started}/${lifecycles.length} requests sent, ${kills} worker kills`), 10_000);
    await Promise.all(
      lifecycles.map(async (lc) => {
        await sleep((lc.n / lifecycles.length) * opts.spanS * 1000);
        const key = `${lc.login}|${lc.resource}`;
        // Standing members' lifecycles on one resource run one after the other (get and set with no await between).
        const previous = lc.standing ? standingBusy.get(key) : undefined;
        let release = () => {};
        if (lc.standing) standingBusy.set(key, new Promise<void>((resolve) => (release = resolve)));
        await previous;
        const run = (async () => {
          // Interfered-with grants last longer, so the interference has time to land while they are active.
          const interfered = ['early-revoke', 'cancel', 'terminate', 'reset'].includes(lc.interference);
          const grantMs = Math.round(interfered ? rand(opts.grantMs[1] * 2, opts.grantMs[1] * 3) : rand(...opts.grantMs));
          try {
            const file = (resource: string, ms: number, key: string) =>
              retrying(
                () => apis[lc.n % apis.length]!.create({ requester: lc.login, resource, duration: `${ms}ms`, idempotencyKey: key }),
                240_000,
                // A standing member's previous request may still be settling (its Jira/Slack records): wait for it.
                (err) => lc.standing && err.status === 409 && /already has an open request/.test(err.body),
              );
            // Twins: a long grant and a short one of the same person on one group (two resources).
            const view = await file(lc.resource, lc.interference === 'twin' ? grantMs * 2 : grantMs, `${runId}-${lc.n}`);
            lc.id = view.id;
            if (lc.interference === 'twin') lc.twinId = (await file(twinResource(lc.n % RESOURCES), grantMs, `${runId}-${lc.n}-twin`)).id;
            started++;
            if (['early-revoke', 'cancel', 'terminate', 'reset'].includes(lc.interference)) await interfere(lc);
            if (lc.resource.startsWith('bench-appr')) {
              // A request still being resolved answers 409 NotReady (the API waits 5 s for it; a busy cluster takes longer): try again.
              const notReady = (err: HttpFailure) => err.status === 409 && err.body.includes('"NotReady"');
              await retrying(() => apis[(lc.n + 1) % apis.length]!.approve(view.id, APPROVER, `${runId}-${lc.n}-approve`), 240_000, notReady).catch((err: unknown) => {
                // Applied before a lost answer: the retry finds it decided (409 already decided / not pending).
                if (!(err instanceof HttpFailure && err.status === 409)) throw err;
              });
            }
            // A terminated request stays `partial` (answered from visibility and the ledger): final is final.
            if (lc.standing) await waitFinal(api, view.id, 240_000, true);
          } catch (err) {
            lc.error = String(err);
            log(`[load] lifecycle ${lc.n}: ${lc.error}`);
          }
        })();
        await run.finally(release);
      }),
    );
    loadDone = true;
    clearInterval(progress);
    log(`[load] all ${lifecycles.length} requests sent; waiting for the chaos schedule and for every workflow to close…`);
    await killer;
    await Promise.all(chaos);
    await sweeper;
    await stack.clearFaults();

    // ---- settle: every workflow closes (its records done), then one more sweep closes what dead
    // workflows left; only then are the invariants judged.
    const settleBy = Date.now() + opts.settleTimeoutS * 1000;
    await pool(lifecycles.length, 8, async (i) => {
      const lc = lifecycles[i]!;
      if (lc.id) lc.closedAt = await waitClosed(temporal, lc.id, settleBy);
      if (lc.twinId) await waitClosed(temporal, lc.twinId, settleBy);
    });
    await sweep();
    await pool(lifecycles.length, 8, async (i) => {
      const lc = lifecycles[i]!;
      if (lc.id) lc.view = await waitFinal(api, lc.id, 30_000, true).catch(() => undefined);
      if (lc.twinId) lc.twinView = await waitFinal(api, lc.twinId, 30_000, true).catch(() => undefined);
    });
    await members.poll();

    const checks = await check(stack, members, lifecycles, { serverDownMs: serverDownMs + postgresDownMs, workerGapMs, kills }, join(dataDir, 'audit.ndjson'));
    checks.push(...(await ledgerChecks(stack, temporal)));
    // Why a request did not end: its workflow's state, read from Temporal before everything stops.
    const stuck = lifecycles.filter((lc) => lc.id && (!lc.view || !FINAL_STATUSES.has(lc.view.status)));
    if (stuck.length) {
      const finalCheck = checks.find((c) => c.name.startsWith('every request reached'))!;
      const diagnosis = await diagnose(stack.address, stuck.map((lc) => lc.id!));
      finalCheck.violations = finalCheck.violations.map((v) => {
        const id = /request (\S+)/.exec(v)?.[1];
        return id && diagnosis.has(id) ? `${v} — ${diagnosis.get(id)}` : v;
      });
    }
    const report: ChaosReport = {
      recordsCatchUp: catchUp(lifecycles, faultWindows),
      cluster: stack.cluster?.info,
      workers: opts.workers ?? 1,
      apis: stack.apis.length,
      lifecycles: lifecycles.length,
      kills,
      serverDownMs,
      postgresDownMs,
      workerGapMs,
      faults: faultsDone,
      checks,
      ok: checks.every((c) => c.violations.length === 0),
      elapsedS: Math.round((Date.now() - t0) / 1000),
    };
    return report;
  } finally {
    loadDone = true;
    stopping = true;
    members.stop();
    await connection.close().catch(() => undefined);
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The workflow's status, pending activities (with their last failure) and last history events. */
/** Where the histories of requests that did not end are written, for a replay. */
const STUCK_DIR = join(tmpdir(), 'gatehouse-chaos-stuck');

async function diagnose(address: string, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    for (const id of ids) {
      try {
        const handle = client.workflow.getHandle(accessRequestWorkflowId(id));
        const desc = await handle.describe();
        const pending = (desc.raw.pendingActivities ?? []).map(
          (a) => `${a.activityType?.name} attempt ${a.attempt} (${a.lastFailure?.message?.slice(0, 120) ?? 'no failure'})`,
        );
        const history = await handle.fetchHistory();
        const events = history.events ?? [];
        // Kept for a replay (Worker.runReplayHistory) when the run ends: the data directory is removed.
        mkdirSync(STUCK_DIR, { recursive: true });
        writeFileSync(join(STUCK_DIR, `${id}.json`), historyToJSON(history));
        const name = (t: unknown) => (typeof t === 'number' ? (proto.api.enums.v1.EventType[t] ?? String(t)) : String(t ?? '')).replace('EVENT_TYPE_', '');
        const last = events.slice(-6).map((e) => name(e.eventType));
        const taskFailure = [...events].reverse().find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure;
        const why = taskFailure ? `; last workflow task failure: ${taskFailure.message?.slice(0, 400)} ${taskFailure.stackTrace?.split('\n').slice(0, 4).join(' | ') ?? ''}` : '';
        out.set(id, `workflow ${desc.status.name}; pending activities: ${pending.join('; ') || 'none'}; last events: ${last.join(', ')}${why}`);
      } catch (err) {
        out.set(id, `cannot describe the workflow: ${String(err)}`);
      }
    }
  } finally {
    await connection.close();
  }
  return out;
}

/** Waits until the request's workflow (its latest run) has closed; returns when, or undefined at the deadline. */
async function waitClosed(temporal: Client, id: string, deadline: number): Promise<number | undefined> {
  const handle = temporal.workflow.getHandle(accessRequestWorkflowId(id));
  while (Date.now() < deadline) {
    try {
      const desc = await handle.describe();
      if (desc.status.name !== 'RUNNING') return desc.closeTime?.getTime() ?? Date.now();
    } catch {
      // the server may be restarting
    }
    await sleep(1000);
  }
  return undefined;
}

/** Resets a workflow to its first workflow task: a new run replays it from the start (an operator's reset). */
async function resetToFirstTask(temporal: Client, workflowId: string): Promise<void> {
  // The run described is the run whose history is read: a reset names an event of that run.
  const desc = await temporal.workflow.getHandle(workflowId).describe();
  const history = await temporal.workflow.getHandle(workflowId, desc.runId).fetchHistory();
  const firstTask = history.events?.find((e) => e.workflowTaskCompletedEventAttributes)?.eventId;
  if (firstTask === undefined || firstTask === null) throw new Error(`${workflowId}: no completed workflow task to reset to`);
  await temporal.workflowService.resetWorkflowExecution({
    namespace: temporal.options.namespace,
    workflowExecution: { workflowId, runId: desc.runId },
    reason: 'chaos: reset while the grant was in force',
    workflowTaskFinishEventId: firstTask,
    requestId: `${workflowId}-reset`,
  });
}

/** Holds SQLite's write lock on the audit store for `ms`: every write meanwhile waits, then fails and is retried. */
async function lockSqlite(file: string, ms: number): Promise<void> {
  const db = new Database(file, { timeout: 10_000 });
  try {
    db.prepare('BEGIN EXCLUSIVE').run();
    await sleep(ms);
    db.prepare('ROLLBACK').run();
  } finally {
    db.close();
  }
}

/**
 * The ledger against Okta once everything has closed (issue 10): nobody is in a managed group
 * without an open lease or a standing record; no lease is open for a workflow that has closed;
 * every standing record says where it comes from.
 */
async function ledgerChecks(stack: Stack, temporal: Client): Promise<Check[]> {
  const unexplained: Check = { name: 'nobody is in a managed group without an open lease or a standing record', checked: 0, violations: [] };
  const dangling: Check = { name: 'no lease is open for a closed workflow', checked: 0, violations: [] };
  const sourced: Check = { name: 'every standing record has a source', checked: 0, violations: [] };
  const store = new AuditStore({ ...stack.auditStore, readOnly: true });
  try {
    const oktaState = (await (await fetch(`${stack.emulators.okta}/_emulator/state`)).json()) as { groups: Array<{ id: string; members: string[] }> };
    const open = await store.openLeases();
    const standing = await store.standingRecords();
    const managed = oktaState.groups.filter((g) => g.id.startsWith('00g_bench_auto_') || g.id.startsWith('00g_bench_appr_'));
    for (const group of managed) {
      for (const userId of group.members) {
        unexplained.checked++;
        const explained = open.some((l) => l.userId === userId && l.groupId === group.id) || standing.some((r) => r.userId === userId && r.groupId === group.id);
        if (!explained) unexplained.violations.push(`${userId} is in ${group.id} with no open lease and no standing record`);
      }
    }
    for (const lease of open) {
      dangling.checked++;
      const status = (await temporal.workflow.getHandle(lease.workflowId).describe().catch(() => undefined))?.status.name;
      if (status !== 'RUNNING') dangling.violations.push(`request ${lease.requestId} (${lease.login} in ${lease.groupId}): lease open, workflow ${status ?? 'gone'}`);
    }
    for (const record of standing) {
      sourced.checked++;
      if (record.source !== 'baseline' && record.source !== 'allowlist') sourced.violations.push(`${record.login} in ${record.groupId}: source ${String(record.source)}`);
    }
    // Nothing open at all is also fine: say what was looked at.
    if (dangling.checked === 0) dangling.note = 'no lease open at the end';
  } finally {
    await store.close();
  }
  return [unexplained, dangling, sourced];
}

/** Records catch-up: workflow closed − request ended, over every request, and after each records outage. */
function catchUp(lifecycles: Lifecycle[], outagesEnded: Record<string, number>): ChaosReport['recordsCatchUp'] {
  const lags: number[] = [];
  for (const lc of lifecycles) {
    const ended = lc.view?.endedAt ? Date.parse(String(lc.view.endedAt)) : undefined;
    if (lc.closedAt && ended) lags.push(Math.max(0, lc.closedAt - ended));
  }
  const afterOutages: Record<string, number> = {};
  for (const [system, endedAt] of Object.entries(outagesEnded)) {
    const closedAfter = lifecycles.filter((lc) => lc.closedAt && lc.closedAt > endedAt && lc.view?.endedAt && Date.parse(String(lc.view.endedAt)) < endedAt).map((lc) => lc.closedAt! - endedAt);
    afterOutages[system] = closedAfter.length ? Math.max(...closedAfter) : 0;
  }
  const p = percentiles(lags);
  return { p50: p.p50, max: p.max, afterOutages };
}

/** Waits for a final status. A workflow that is closed (terminated, reset away) is answered from
 * visibility and the ledger and stays `partial` for good: after settling, that is accepted. */
async function waitFinal(api: ApiClient, id: string, timeoutMs: number, acceptPartial = false): Promise<RequestView> {
  const deadline = Date.now() + timeoutMs;
  let last: RequestView | undefined;
  while (Date.now() < deadline) {
    try {
      last = await api.get(id);
      if (FINAL_STATUSES.has(last.status) && (acceptPartial || !last.partial)) return last;
    } catch {
      // the server or API may be restarting
    }
    await sleep(1000);
  }
  throw new Error(`request ${id} did not end within ${timeoutMs} ms (last status ${last?.status ?? 'unknown'})`);
}

async function check(
  stack: Stack,
  members: MembershipLog,
  lifecycles: Lifecycle[],
  chaos: { serverDownMs: number; workerGapMs: number; kills: number },
  auditFile: string,
): Promise<Check[]> {
  const c = (name: string, note?: string): Check => ({ name, checked: 0, violations: [], note });
  const sent = c('every lifecycle was accepted by the API');
  const final = c('every request reached a final status');
  // Activity start-to-close (30 s) and the sticky queue timeout (10 s) after a kill, plus retry back-off.
  const allowanceMs = chaos.serverDownMs + chaos.workerGapMs + (chaos.kills > 0 ? 45_000 : 0) + 15_000;
  const removed = c(
    'every granted membership was removed in time, and not while another grant held it',
    `allowed: the end of the grant + ${Math.round(allowanceMs / 1000)} s = server (and database) down + worker gaps + 45 s after any kill (activity and sticky-queue timeouts) + 15 s; a terminated workflow's grant: by the next drift sweep`,
  );
  const once = c('no request was granted twice');
  const standing = c('no standing member was removed');
  const audit = c('every audit trail is complete and duplicate-free');
  const jira = c('exactly one Jira ticket per request');

  const jiraState = (await (await fetch(`${stack.emulators.jira}/_emulator/state`)).json()) as { issues: Array<{ key: string; labels: string[] }> };
  const ticketsByLabel = new Map<string, string[]>();
  for (const issue of jiraState.issues) for (const label of issue.labels) ticketsByLabel.set(label, [...(ticketsByLabel.get(label) ?? []), issue.key]);
  const oktaState = (await (await fetch(`${stack.emulators.okta}/_emulator/state`)).json()) as { groups: Array<{ id: string; members: string[] }> };
  const groupMembers = new Map(oktaState.groups.map((g) => [g.id, new Set(g.members)]));
  let maxLateMs = 0;
  let auditFrom = '';

  for (const lc of lifecycles) {
    const name = `request ${lc.id ?? `#${lc.n} (never created)`} (${lc.login} → ${lc.resource})`;
    sent.checked++;
    if (!lc.id) {
      sent.violations.push(`${name}: ${lc.error ?? 'not created'}`);
      continue;
    }
    final.checked++;
    const view = lc.view;
    if (!lc.closedAt) final.violations.push(`${name}: the workflow did not close`);
    if (!view || !FINAL_STATUSES.has(view.status)) final.violations.push(`${name}: status ${view?.status ?? 'unknown'}`);
    else if (!expectedStatuses(lc).includes(view.status)) {
      const why = lc.interfered && !lc.interfered.applied ? `; interference missed: ${lc.interfered.why}` : '';
      final.violations.push(`${name}: ended ${view.status}, expected ${expectedStatuses(lc).join(' or ')} (${String(view.endReason ?? '')}${why})`);
    }
    if (lc.twinId && lc.twinView?.status !== 'expired') final.violations.push(`${name}: its twin ${lc.twinId} ended ${lc.twinView?.status ?? 'unknown'}`);

    const events = members.forPair(lc.groupId, lc.userId);
    if (lc.standing) {
      standing.checked++;
      if (events.some((e) => e.op === 'remove')) standing.violations.push(`${name}: the standing member was removed`);
      if (!groupMembers.get(lc.groupId)?.has(lc.userId)) standing.violations.push(`${name}: the standing member is no longer in ${lc.groupId}`);
    } else {
      once.checked++;
      const adds = events.filter((e) => e.op === 'add' && e.changed);
      // Twins are two requests on one pair (each may add once); an add that landed late, after
      // the revoke, must have been taken back by the read-back (`late_add_removed` in the trail).
      const trail = await readAuditTrail({ apiUrl: stack.api.url, token: stack.api.token, file: auditFile }, lc.id).catch(() => undefined);
      const lateAddsRemoved = trail?.events.filter((e) => e.type === 'late_add_removed').length ?? 0;
      const allowedAdds = (lc.twinId ? 2 : 1) + lateAddsRemoved;
      if (adds.length > allowedAdds) once.violations.push(`${name}: added ${adds.length} times (allowed ${allowedAdds})`);
      removed.checked++;
      if (groupMembers.get(lc.groupId)?.has(lc.userId)) removed.violations.push(`${name}: still a member of ${lc.groupId}`);
      const removal = events.filter((e) => e.op === 'remove' && e.changed).at(-1);
      // A grant ends at its expiry, or (revoked) when it ended; a terminated one waits for the sweep.
      const endsAt = lc.interference === 'terminate' ? undefined : view?.status === 'revoked' && view.endedAt ? Date.parse(String(view.endedAt)) : view?.expiresAt ? Date.parse(view.expiresAt) : undefined;
      if (adds.length > 0 && !removal) removed.violations.push(`${name}: never removed`);
      if (removal && endsAt) {
        const late = removal.at - endsAt;
        maxLateMs = Math.max(maxLateMs, late);
        if (late > allowanceMs) removed.violations.push(`${name}: removed ${late} ms after the grant ended`);
      }
      // Two grants on one group: the membership stays until the later one ends.
      if (lc.twinId && view?.grantedAt && view.expiresAt) {
        const early = events.find((e) => e.op === 'remove' && e.changed && e.at > Date.parse(String(view.grantedAt)) + 500 && e.at < Date.parse(view.expiresAt!) - 500);
        if (early) removed.violations.push(`${name}: removed ${Date.parse(view.expiresAt!) - early.at} ms before its grant ended (its twin ended first)`);
      }
    }

    audit.checked++;
    try {
      const trail = await readAuditTrail({ apiUrl: stack.api.url, token: stack.api.token, file: auditFile }, lc.id);
      auditFrom = trail.from;
      const problem = auditProblem(trail.events, view?.status);
      if (problem && !(lc.interference === 'terminate' && lc.interfered?.applied && terminatedTrailOk(trail.events))) audit.violations.push(`${name}: ${problem}`);
    } catch (err) {
      audit.violations.push(`${name}: cannot read the trail: ${String(err)}`);
    }

    jira.checked++;
    const tickets = ticketsByLabel.get(`gatehouse-${lc.id.toLowerCase()}`) ?? [];
    // A terminated workflow runs no more code: a ticket it had not opened yet is never opened.
    const terminated = lc.interference === 'terminate' && lc.interfered?.applied;
    if (tickets.length > 1 || (tickets.length === 0 && !terminated)) jira.violations.push(`${name}: ${tickets.length} Jira tickets (${tickets.join(', ')})`);
    if (lc.twinId && (ticketsByLabel.get(`gatehouse-${lc.twinId.toLowerCase()}`) ?? []).length !== 1) jira.violations.push(`${name}: its twin has no single Jira ticket`);
  }
  removed.note += `; latest removal ${maxLateMs} ms after expiresAt`;
  audit.note = `read through ${auditFrom === 'api' ? 'GET /v1/audit' : 'the NDJSON audit file'}`;
  return [sent, final, removed, once, standing, audit, jira];
}

/**
 * A trail is complete when the workflow's own events (seq 1..n, of its latest run: a reset starts
 * a new run, numbered again) have no gaps or repeats, start `requested` and end with the final
 * status. Events with seq 0 are side records written outside the workflow's numbering
 * (`external_call_retried`, `drift_detected`, the drift sweep's `revoked` for a dead workflow):
 * they are checked for duplicate ids, and the sweep's `revoked` may end the trail.
 */
/**
 * A terminated workflow loses the records it had not written yet (Temporal runs none of its code
 * again), but never the ledger's: the `granted` event (written with the lease) and the sweep's
 * `revoked` (written when it closed the lease), each once.
 */
function terminatedTrailOk(events: AuditEventRecord[]): boolean {
  const ids = new Set(events.map((e) => e.id));
  const granted = events.filter((e) => e.type === 'granted').length;
  const ended = events.filter((e) => e.type === 'revoked' || e.type === 'expired').length;
  return ids.size === events.length && granted === 1 && ended >= 1;
}

export function auditProblem(events: AuditEventRecord[], status: string | undefined): string | null {
  if (events.length === 0) return 'no audit events';
  const ids = new Set(events.map((e) => e.id));
  if (ids.size !== events.length) return `${events.length - ids.size} duplicate event ids`;
  const runOf = (e: AuditEventRecord) => e.id.split(':')[1] ?? '';
  const lastNumbered = [...events].filter((e) => e.seq > 0).sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq).at(-1);
  const numbered = events.filter((e) => e.seq > 0 && (!lastNumbered || runOf(e) === runOf(lastNumbered)));
  const sweptAway = events.some((e) => e.seq === 0 && e.type === 'revoked' && e.actor === 'system:reconcile');
  const seqs = numbered.map((e) => e.seq).sort((a, b) => a - b);
  const describe = () => [...numbered].sort((a, b) => a.seq - b.seq).map((e) => `${e.seq}:${e.type}`).join(',');
  if (new Set(seqs).size !== seqs.length) return `a seq appears twice (${describe()})`;
  if (seqs.some((s, i) => s !== i + 1)) return `seq has gaps (${describe()})`;
  const ordered = [...numbered].sort((a, b) => a.seq - b.seq);
  // The read-back after a removal may record `late_add_removed` after the final event.
  const types = ordered.map((e) => e.type).filter((t, i, all) => !(t === 'late_add_removed' && i === all.length - 1));
  if (types[0] !== 'requested') return `starts with ${types[0]}`;
  if (status && FINAL_STATUSES.has(status) && types.at(-1) !== status && !(sweptAway && status === 'revoked')) return `ends with ${types.at(-1)}, not ${status} (${types.join(',')})`;
  if (status === 'expired' && !types.includes('granted')) return `no granted event (${types.join(',')})`;
  return null;
}

export function formatReport(r: ChaosReport): string {
  const where = r.cluster
    ? `Temporal Server ${r.cluster.serverVersion} cluster (${r.cluster.historyShardCount} history shards, ${r.cluster.persistenceStore})`
    : 'the Temporal dev server';
  const lines = [
    `On ${where}, ${r.workers} worker process(es) and ${r.apis} API process(es).`,
    `Chaos run: ${r.lifecycles} lifecycles in ${r.elapsedS} s; ${r.kills} worker SIGKILLs (worker gaps ${Math.round(r.workerGapMs / 1000)} s); Temporal server down ${Math.round(r.serverDownMs / 1000)} s${r.postgresDownMs ? `; PostgreSQL down ${Math.round(r.postgresDownMs / 1000)} s` : ''}`,
    `Faults: ${r.faults.length ? r.faults.join('; ') : 'none'}`,
    `Records catch-up (workflow closed − request ended): p50 ${r.recordsCatchUp.p50} ms, max ${r.recordsCatchUp.max} ms${Object.entries(r.recordsCatchUp.afterOutages)
      .map(([system, ms]) => `; after the ${system} outage ended: ${ms} ms`)
      .join('')}`,
    '',
  ];
  for (const check of r.checks) {
    lines.push(`${check.violations.length === 0 ? 'PASS' : 'FAIL'}  ${check.name}: ${check.checked - Math.min(check.violations.length, check.checked)}/${check.checked} ok${check.note ? ` (${check.note})` : ''}`);
    for (const v of check.violations.slice(0, 20)) lines.push(`      - ${v}`);
    if (check.violations.length > 20) lines.push(`      … and ${check.violations.length - 20} more`);
  }
  lines.push('', r.ok ? 'All invariants hold.' : 'INVARIANTS VIOLATED.');
  return lines.join('\n');
}

