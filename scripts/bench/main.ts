/**
 * `npm run bench`: starts Temporal (the SQLite dev server, or with --cluster a Temporal cluster on
 * PostgreSQL), the emulators, the worker(s), the API and the bare
 * comparison worker, drives load through the HTTP API, and writes bench/results/<date>-<profile>.json
 * and .md. `npm run bench -- --help` lists the flags.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findClusterBinaries } from '../cluster/binaries';
import { findTemporalCli } from '../temporal-cli';
import { ApiClient, MembershipLog } from './client';
import { Pairs } from './pairs';
import { loadAverage, ROOT } from './proc';
import { machineFacts, markdown, type BenchResults } from './report';
import { approvalLatency, bare, capacity, revokeLag, riskResponse, slackApprovalLatency, throughput, type Ctx, type WorkerStats } from './scenarios';
import { startStack, type Profile } from './stack';

const ALL = ['latency', 'slack', 'revoke', 'throughput', 'bare', 'capacity', 'risk'] as const;
type Scenario = (typeof ALL)[number];

const HELP = `npm run bench -- [flags]
  --profile zero|realistic      emulator latency profile (default zero)
  --scenarios a,b,…             of ${ALL.join(',')} (default all)
  --quick                       everything small (< 3 min)
  --latency-requests N          approvals timed (default 200), --latency-concurrency N (default 4)
  --slack-requests N            approvals through Slack (default 20)
  --grants N                    revoke burst size (default 1000), --window S expiry window (default 10)
  --duration S                  throughput and bare duration (default 60), --concurrency N clients (default 24)
  --grant-ms MS                 grant length in throughput and bare (default 5000)
  --capacity N                  open grants to hold (default 10000), --hold S idle measurement (default 30)
  --capacity-max-s S            stop creating capacity grants after S seconds (default 900)
  --risk-trials N               users at HIGH risk, one after another, each holding 20 grants (default 10)
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
      'latency-requests': { type: 'string' },
      'latency-concurrency': { type: 'string' },
      'slack-requests': { type: 'string' },
      grants: { type: 'string' },
      window: { type: 'string' },
      duration: { type: 'string' },
      concurrency: { type: 'string' },
      'grant-ms': { type: 'string' },
      capacity: { type: 'string' },
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
    latencyRequests: num(values['latency-requests'], 200, 20),
    latencyConcurrency: num(values['latency-concurrency'], 4, 4),
    slackRequests: num(values['slack-requests'], 20, 5),
    grants: num(values.grants, 1000, 60),
    windowMs: num(values.window, 10, 5) * 1000,
    durationS: num(values.duration, 60, 10),
    concurrency: num(values.concurrency, 24, 16),
    grantMs: num(values['grant-ms'], 5000, 3000),
    capacity: num(values.capacity, 10_000, 150),
    holdS: num(values.hold, 30, 5),
    capacityMaxS: num(values['capacity-max-s'], 900, 30),
    riskTrials: num(values['risk-trials'], 10, 3),
  };
  const scenarios = new Set<Scenario>((values.scenarios?.split(',').map((s) => s.trim()) as Scenario[] | undefined) ?? [...ALL]);
  for (const s of scenarios) if (!ALL.includes(s)) throw new Error(`unknown scenario ${s} (${ALL.join(', ')})`);
  const workerEnv = Object.fromEntries(values['worker-env'].map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

  const resources = 8;
  const needed = Math.max(
    20 + (scenarios.has('revoke') ? sizes.grants + 20 : 0) + (scenarios.has('capacity') ? sizes.capacity : 0),
    sizes.latencyRequests + sizes.slackRequests + sizes.durationS * 100,
    scenarios.has('bare') ? sizes.durationS * 300 : 0,
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
    bare: scenarios.has('bare'),
    dataDir,
    log,
  });
  if (stack.cluster) {
    const { info, postgres } = stack.cluster;
    results.machine.temporalCli = `Temporal Server ${info.serverVersion} cluster (${info.historyShardCount} history shards, ${info.persistenceStore} on PostgreSQL ${postgres.version}, ${values.apis} API process(es))`;
  }
  const members = new MembershipLog(stack.emulators.okta);
  members.start();
  let stats: WorkerStats | undefined;
  stack.workers[0]?.onLine((line) => {
    if (!line.includes('worker stats')) return;
    try {
      stats = JSON.parse(line) as WorkerStats;
    } catch {
      // not JSON
    }
  });
  const ctx: Ctx = {
    stack,
    api: new ApiClient(stack.api.url, stack.api.token),
    members,
    pairs: new Pairs(users, resources),
    progress: log,
    workerStats: () => stats,
  };
  try {
    await stack.setProfile(profile);
    // Warm-up: a few lifecycles so start-up costs (first workflow task, connections) stay out of the numbers.
    log('warm-up…');
    await approvalLatency(ctx, { requests: 5, concurrency: 1, grantMs: 1000 });
    if (scenarios.has('latency')) {
      log(`(1) approval latency: ${sizes.latencyRequests} requests, ${sizes.latencyConcurrency} at a time`);
      results.latency = await approvalLatency(ctx, { requests: sizes.latencyRequests, concurrency: sizes.latencyConcurrency, grantMs: 3000 });
    }
    if (scenarios.has('slack')) {
      log(`(1b) approval through Slack: ${sizes.slackRequests} requests`);
      results.slack = await slackApprovalLatency(ctx, { requests: sizes.slackRequests, grantMs: 3000 });
      if ('skipped' in results.slack) log(`  skipped: ${results.slack.skipped}`);
    }
    if (scenarios.has('revoke')) {
      log(`(2) revoke lag: ${sizes.grants} grants expiring within ${sizes.windowMs / 1000} s`);
      results.revoke = await revokeLag(ctx, { grants: sizes.grants, windowMs: sizes.windowMs, concurrency: 16 });
    }
    if (scenarios.has('throughput')) {
      log(`(3) throughput: ${sizes.durationS} s, ${sizes.concurrency} clients, ${sizes.grantMs} ms grants`);
      results.throughput = await throughput(ctx, { durationS: sizes.durationS, concurrency: sizes.concurrency, grantMs: sizes.grantMs });
    }
    if (scenarios.has('bare')) {
      log(`(5) bare workflow: ${sizes.durationS} s, ${sizes.concurrency} clients, ${sizes.grantMs} ms grants`);
      results.bare = await bare(ctx, { durationS: sizes.durationS, concurrency: sizes.concurrency, grantMs: sizes.grantMs });
    }
    if (scenarios.has('risk')) {
      log(`(6) risk response: ${sizes.riskTrials} users at HIGH, each holding 20 grants`);
      results.risk = await riskResponse(ctx, { trials: sizes.riskTrials });
    }
    if (scenarios.has('capacity')) {
      log(`(4) capacity: ${sizes.capacity} open grants`);
      results.capacity = await capacity(ctx, { grants: sizes.capacity, concurrency: 16, holdS: sizes.holdS, maxS: sizes.capacityMaxS });
    }
  } finally {
    clearInterval(loadTimer);
    members.stop();
    results.machine.loadAtEnd = loadAverage();
    log('stopping…');
    await stack.stop();
    if (!values['keep-db'] && !reuse) rmSync(dataDir, { recursive: true, force: true });
  }
  if (reuse && results.capacity) log(`note: ${results.capacity.open} capacity grants (6 h) are still open on ${reuse}`);

  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const subset = scenarios.size < ALL.length ? `-${[...scenarios].join('+')}` : '';
  const base = join(outDir, `${results.startedAt.slice(0, 10)}${cluster ? `-cluster${values.shards}` : ''}-${profile}${quick ? '-quick' : ''}${subset}${values['timer-shift'] ? `-shift${values['timer-shift']}` : ''}`);
  const table = markdown(results);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, table);
  console.log(`\n${table}\nwrote ${base}.json and ${base}.md`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
