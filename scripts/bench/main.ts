/**
 * `npm run bench`: starts Temporal (the SQLite dev server, or with --cluster a Temporal cluster on
 * PostgreSQL), the emulators, the worker(s), the API and the bare comparison worker; measures
 * Gatehouse (through the HTTP API) and the bare workflow under the same load, side by side; and
 * writes bench/results/<date>-<profile>.json and .md. `npm run bench -- --help` lists the flags.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { findClusterBinaries } from '../cluster/binaries';
import { findTemporalCli } from '../temporal-cli';
import { ApiClient, MembershipLog } from './client';
import { Pairs } from './pairs';
import { loadAverage, ROOT } from './proc';
import { machineFacts, markdown, type BenchResults } from './report';
import { approvalLatency, capacity, historyEvents, revokeLag, riskResponse, slackApprovalLatency, throughput, type Ctx, type WorkerStats } from './scenarios';
import type { Child } from './proc';
import { startStack, type Profile } from './stack';

const ALL = ['events', 'throughput', 'latency', 'slack', 'revoke', 'capacity', 'risk'] as const;
type Scenario = (typeof ALL)[number];

const HELP = `npm run bench -- [flags]
  --profile zero|realistic      emulator latency profile (default zero)
  --scenarios a,b,…             of ${ALL.join(',')} (default all);
                                each measures Gatehouse, then the bare workflow (slack: Gatehouse only)
  --quick                       everything small (< 3 min)
  --samples N                   completed lifecycles counted per kind in events (default 5)
  --latency-requests N          approvals timed (default 200), --latency-concurrency N (default 4)
  --slack-requests N            approvals through Slack (default 20)
  --grants N                    revoke burst size per side (default 1000), --window S expiry window (default 10)
  --duration S                  throughput duration per side (default 60), --concurrency N clients (default 24)
  --grant-ms MS                 grant length in throughput (default 5000)
  --capacity N                  open grants to hold (default 10000), --hold S idle measurement (default 30)
  --risk-trials N               users at HIGH risk, one after another, each holding 20 grants (default 10)
  --capacity-concurrency N      grants opened at a time (default 32)
  --capacity-max-s S            stop opening capacity grants after S seconds per side (default 1200)
  --workers N                   Gatehouse worker processes (default 1)
  --worker-env K=V              worker tuning, repeatable (e.g. GATEHOUSE_MAX_CACHED_WORKFLOWS=500)
  --timer-shift D               history.timerProcessorMaxTimeShift (default: the server's, 1s)
  --reuse                       use the server at TEMPORAL_ADDRESS instead of starting one
  --cluster                     a Temporal cluster on PostgreSQL (scripts/cluster) instead of the dev server
  --shards N                    its history shards (default 4)
  --apis N                      API processes (default 1; the load goes through the first)
  --keep-db                     keep the run's data (.data/bench/<run>/: the SQLite file, or the cluster's PostgreSQL)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'zero' },
      scenarios: { type: 'string' },
      quick: { type: 'boolean', default: false },
      samples: { type: 'string' },
      'latency-requests': { type: 'string' },
      'latency-concurrency': { type: 'string' },
      'slack-requests': { type: 'string' },
      grants: { type: 'string' },
      window: { type: 'string' },
      duration: { type: 'string' },
      concurrency: { type: 'string' },
      'grant-ms': { type: 'string' },
      capacity: { type: 'string' },
      'capacity-concurrency': { type: 'string' },
      hold: { type: 'string' },
      'capacity-max-s': { type: 'string' },
      'risk-trials': { type: 'string' },
      workers: { type: 'string', default: '1' },
      'worker-env': { type: 'string', multiple: true, default: [] },
      'timer-shift': { type: 'string' },
      reuse: { type: 'boolean', default: false },
      cluster: { type: 'boolean', default: false },
      shards: { type: 'string', default: '4' },
      apis: { type: 'string', default: '1' },
      'keep-db': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  const profile = values.profile as Profile;
  if (profile !== 'zero' && profile !== 'realistic') throw new Error(`--profile must be zero or realistic`);
  const quick = values.quick;
  const num = (v: string | undefined, full: number, small: number) => (v !== undefined ? Number(v) : quick ? small : full);
  const sizes = {
    samples: num(values.samples, 5, 3),
    latencyRequests: num(values['latency-requests'], 200, 20),
    latencyConcurrency: num(values['latency-concurrency'], 4, 4),
    slackRequests: num(values['slack-requests'], 20, 5),
    grants: num(values.grants, 1000, 60),
    windowMs: num(values.window, 10, 5) * 1000,
    durationS: num(values.duration, 60, 10),
    concurrency: num(values.concurrency, 24, 16),
    grantMs: num(values['grant-ms'], 5000, 3000),
    capacity: num(values.capacity, 10_000, 150),
    capacityConcurrency: num(values['capacity-concurrency'], 32, 32),
    holdS: num(values.hold, 30, 3),
    capacityMaxS: num(values['capacity-max-s'], 1200, 30),
    riskTrials: num(values['risk-trials'], 10, 3),
  };
  for (const [name, value] of Object.entries(sizes)) if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be a positive number (got ${value})`);
  const scenarios = new Set<Scenario>((values.scenarios?.split(',').map((s) => s.trim()) as Scenario[] | undefined) ?? [...ALL]);
  for (const s of scenarios) if (!ALL.includes(s)) throw new Error(`unknown scenario ${s} (${ALL.join(', ')})`);
  const workerEnv = Object.fromEntries(values['worker-env'].map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

  // One (user, resource) pair per lifecycle and family; the closed loops' counts are ceilings.
  const resources = 8;
  const burst = scenarios.has('revoke') ? sizes.grants + 40 : 0;
  const held = scenarios.has('capacity') ? sizes.capacity : 0;
  const loop = scenarios.has('throughput') ? sizes.durationS * 300 : 0;
  const needed = Math.max(
    sizes.samples + burst + held, // auto
    10 + sizes.samples + sizes.latencyRequests + sizes.slackRequests + loop, // one approval
    10 + sizes.samples + sizes.latencyRequests + burst + loop + held, // bare
  );
  const users = Math.ceil(needed / resources) + 10;

  const runId = new Date().toISOString().replace(/[:.]/g, '-');
  const dataDir = join(ROOT, '.data', 'bench', runId);
  const reuse = values.reuse ? process.env.TEMPORAL_ADDRESS : undefined;
  if (values.reuse && !reuse) throw new Error('--reuse needs TEMPORAL_ADDRESS');
  if (values.reuse && values.cluster) throw new Error('--reuse and --cluster exclude each other');
  const cluster = values.cluster ? await findClusterBinaries({ log: (l) => console.log(l) }) : undefined;
  const cli = reuse ? undefined : (cluster?.server ?? (await findTemporalCli((l) => console.log(l))));
  const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    profile,
    timerShift: values['timer-shift'] ?? 'server default (1s)',
    workers: Number(values.workers),
    workerEnv,
    sizes,
    machine: machineFacts(cli),
    loadSamples: [],
  };
  const loadTimer = setInterval(() => results.loadSamples.push(Number(loadAverage().split(' ')[0])), 5000);
  log(`bench: profile ${profile}, scenarios ${[...scenarios].join(',')}, ${users} users × ${resources} resources, load ${results.machine.loadAtStart}`);

  const stack = await startStack({
    users,
    resources,
    reuse,
    cluster: cluster ? { shards: Number(values.shards) } : undefined,
    apis: Number(values.apis),
    dbFile: join(dataDir, 'temporal.sqlite'),
    timerShift: values['timer-shift'],
    workers: Number(values.workers),
    workerEnv,
    bare: true,
    dataDir,
    log,
  });
  if (stack.cluster) {
    const { info, postgres } = stack.cluster;
    results.machine.temporalCli = `Temporal Server ${info.serverVersion} cluster (${info.historyShardCount} history shards, ${info.persistenceStore} on PostgreSQL ${postgres.version}, ${values.apis} API process(es))`;
  }
  const members = new MembershipLog(stack.emulators.okta);
  members.start();
  const connection = await Connection.connect({ address: stack.address });
  const ctx: Ctx = {
    stack,
    api: new ApiClient(stack.api.url, stack.api.token),
    temporal: new Client({ connection }),
    members,
    pairs: new Pairs(users, resources),
    progress: log,
    workerStats: latestStats(stack.workers[0]),
    bareStats: latestStats(stack.bare?.process),
  };
  try {
    await stack.setProfile(profile);
    // Warm-up: a few lifecycles on each side so start-up costs (first workflow task, connections) stay out of the numbers.
    log('warm-up…');
    await approvalLatency(ctx, { requests: 5, concurrency: 1, grantMs: 1000 });
    // The open-grant count comes last: its 6-hour grants stay open to the end of the run.
    if (scenarios.has('events')) {
      log(`(1) history events per lifecycle: ${sizes.samples} completed samples of each kind`);
      results.events = await historyEvents(ctx, { samples: sizes.samples, grantMs: 1000 });
    }
    if (scenarios.has('throughput')) {
      log(`(2) lifecycles/s: ${sizes.durationS} s per side, ${sizes.concurrency} clients, ${sizes.grantMs} ms grants`);
      results.throughput = await throughput(ctx, { durationS: sizes.durationS, concurrency: sizes.concurrency, grantMs: sizes.grantMs });
    }
    if (scenarios.has('latency')) {
      log(`(3) approve sent → member: ${sizes.latencyRequests} requests per side, ${sizes.latencyConcurrency} at a time`);
      results.latency = await approvalLatency(ctx, { requests: sizes.latencyRequests, concurrency: sizes.latencyConcurrency, grantMs: 3000 });
    }
    if (scenarios.has('slack')) {
      log(`(3b) approval through Slack: ${sizes.slackRequests} requests`);
      results.slack = await slackApprovalLatency(ctx, { requests: sizes.slackRequests, grantMs: 3000 });
      if ('skipped' in results.slack) log(`  skipped: ${results.slack.skipped}`);
    }
    if (scenarios.has('revoke')) {
      log(`(4) revoke lag: ${sizes.grants} grants expiring within ${sizes.windowMs / 1000} s, Gatehouse then bare`);
      results.revoke = await revokeLag(ctx, { grants: sizes.grants, windowMs: sizes.windowMs, concurrency: 16 });
    }
    if (scenarios.has('risk')) {
      log(`(6) risk response: ${sizes.riskTrials} users at HIGH, each holding 20 grants`);
      results.risk = await riskResponse(ctx, { trials: sizes.riskTrials });
    }
    if (scenarios.has('capacity')) {
      log(`(5) open grants: ${sizes.capacity}, ${sizes.capacityConcurrency} at a time, then as many bare workflows`);
      results.capacity = await capacity(ctx, { grants: sizes.capacity, concurrency: sizes.capacityConcurrency, holdS: sizes.holdS, maxS: sizes.capacityMaxS });
    }
  } finally {
    clearInterval(loadTimer);
    members.stop();
    await connection.close().catch(() => undefined);
    results.machine.loadAtEnd = loadAverage();
    log('stopping…');
    await stack.stop();
    if (!values['keep-db'] && !reuse) rmSync(dataDir, { recursive: true, force: true });
  }
  if (reuse && results.capacity) log(`note: ${results.capacity.gatehouse.open + results.capacity.bare.open} capacity grants (6 h) are still open on ${reuse}`);

  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const subset = scenarios.size < ALL.length ? `-${[...scenarios].join('+')}` : '';
  const base = join(outDir, `${results.startedAt.slice(0, 10)}${cluster ? `-cluster${values.shards}` : ''}-${profile}${quick ? '-quick' : ''}${subset}${values['timer-shift'] ? `-shift${values['timer-shift']}` : ''}`);
  const table = markdown(results);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, table);
  console.log(`\n${table}\nwrote ${base}.json and ${base}.md`);
}

/** The latest `worker stats` line a worker process printed (Gatehouse's or the bare one's). */
function latestStats(child: Child | undefined): () => WorkerStats | undefined {
  let stats: WorkerStats | undefined;
  child?.onLine((line) => {
    if (!line.includes('worker stats')) return;
    try {
      stats = JSON.parse(line) as WorkerStats;
    } catch {
      // not JSON
    }
  });
  return () => stats;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
