/** Machine facts, the results JSON and the Markdown table (Gatehouse and the bare workflow side by side). */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BurstResult, CapacityResult, EventCount, EventsResult, HoldResult, LatencyResult, LoopResult, RevokeResult, RiskResult, SlackResult, ThroughputResult } from './scenarios';
import { loadAverage, ROOT } from './proc';

export interface MachineFacts {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  temporalCli: string;
  temporalSdk: string;
  loadAtStart: string;
  loadAtEnd?: string;
}

export function machineFacts(cli: string | undefined): MachineFacts {
  const version = cli ? spawnSync(cli, ['--version'], { encoding: 'utf8' }).stdout.trim() : 'reused server (unknown)';
  const sdk = (JSON.parse(readFileSync(join(ROOT, 'node_modules/@temporalio/worker/package.json'), 'utf8')) as { version: string }).version;
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    temporalCli: version,
    temporalSdk: sdk,
    loadAtStart: loadAverage(),
  };
}

export interface BenchResults {
  startedAt: string;
  profile: string;
  timerShift: string;
  workers: number;
  workerEnv: Record<string, string>;
  /** The sizes this run used (flags, or their defaults). */
  sizes: Record<string, number>;
  machine: MachineFacts;
  events?: EventsResult;
  latency?: LatencyResult;
  slack?: SlackResult;
  revoke?: RevokeResult;
  throughput?: ThroughputResult;
  capacity?: CapacityResult;
  risk?: RiskResult;
  /** Load average sampled every few seconds during the run (1-minute figure). */
  loadSamples: number[];
}

/** Issue 11's targets. */
export const TARGETS = { oneStepEvents: 40, throughputVsBare: 0.67, approveP99Ms: 250, revokeP99VsBare: 1.5, openGrants: 10_000, workerRssBytes: 1.5 * 1024 ** 3 };

type Dist = { p50: number; p95: number; p99: number; max: number; n: number };
const n = (x: number) => x.toLocaleString('en-US');
const p50p99 = (x: Dist) => (x.n ? `p50 ${n(x.p50)} · p99 ${n(x.p99)} ms` : 'none measured');
const full = (x: Dist) => (x.n ? `p50 ${n(x.p50)} · p95 ${n(x.p95)} · p99 ${n(x.p99)} · max ${n(x.max)} ms (n=${x.n})` : 'none measured');
const cpu = (byProcess: Record<string, number>) => Object.entries(byProcess).map(([k, v]) => `${k} ${v}`).join(', ');
const mib = (b: number | undefined) => (b === undefined ? 'n/a' : `${n(Math.round(b / 1048576))} MiB`);
const over = (value: number, limit: number, unit: string) => `${n(Math.round(value - limit))}${unit} over (+${Math.round(((value - limit) / Math.max(limit, 1)) * 100)}%)`;
const MET = '**met**';
const notMet = (why: string) => `**not met**: ${why}`;

function events(c: EventCount, bare?: EventCount): string {
  if (!c.n) return `none counted (errors ${c.errors})`;
  const spread = c.min === c.max ? '' : `, ${c.min}–${c.max}`;
  const ratio = bare?.n ? `; ${(c.median / bare.median).toFixed(1)}× bare` : '';
  return `${c.median} (n=${c.n}${spread}${ratio})${c.errors ? `; errors ${c.errors}` : ''}`;
}

function eventRows(e: EventsResult): string[][] {
  const bare = events(e.bare);
  const one = e.oneStep;
  const verdict = !one.n ? notMet('none counted') : one.max <= TARGETS.oneStepEvents ? MET : notMet(`${one.max} events, ${over(one.max, TARGETS.oneStepEvents, '')}`);
  return [
    ['History events per lifecycle: one approval (median of completed samples)', events(one, e.bare), bare, `≤ ${TARGETS.oneStepEvents}`, verdict],
    ['… two approvals', events(e.twoStep, e.bare), bare, '', ''],
    ['… auto-approved', events(e.auto, e.bare), bare, '', ''],
  ];
}

function throughputRow(t: ThroughputResult): string[] {
  const g = t.gatehouse;
  const b = t.bare;
  const needed = Math.round(b.sustainedPerSec * TARGETS.throughputVsBare * 10) / 10;
  const ratio = g.sustainedPerSec / Math.max(b.sustainedPerSec, 0.01);
  const verdict =
    b.sustainedPerSec <= 0
      ? notMet('the bare workflow completed nothing')
      : g.errors
        ? notMet(`${g.errors} Gatehouse lifecycles failed`)
        : g.sustainedPerSec >= needed
          ? `${MET} (${ratio.toFixed(2)}× bare)`
          : notMet(`${ratio.toFixed(2)}× bare (overhead ${(1 / Math.max(ratio, 0.001)).toFixed(1)}×), ${(needed - g.sustainedPerSec).toFixed(1)}/s short of ${needed}/s`);
  return [
    `Lifecycles/s, closed loop: ${t.concurrency} clients, ${t.grantMs / 1000} s grants, ${t.durationS} s per side`,
    `**${g.sustainedPerSec}/s** (${g.expired}/${g.started} ended \`expired\`; errors ${g.errors})`,
    `**${b.sustainedPerSec}/s** (${b.completed}/${b.started} removed; errors ${b.errors})`,
    `≥ ${TARGETS.throughputVsBare} × bare (≥ ${needed}/s)`,
    verdict,
  ];
}

function latencyRow(l: LatencyResult, profile: string): string[] {
  const g = l.gatehouse.approveSentToMember;
  const verdict =
    profile !== 'zero' ? '— (the target is for the `zero` profile)' : !g.n ? notMet('none measured') : g.p99 <= TARGETS.approveP99Ms ? MET : notMet(`p99 ${n(g.p99)} ms, ${over(g.p99, TARGETS.approveP99Ms, ' ms')}`);
  return [
    `Approve *sent* → member (bare: start sent → member), ${l.requests} requests, ${l.concurrency} at a time`,
    `${p50p99(g)}${l.gatehouse.errors ? `; errors ${l.gatehouse.errors}` : ''}`,
    `${p50p99(l.bare.startSentToMember)}${l.bare.errors ? `; errors ${l.bare.errors}` : ''}`,
    `p99 ≤ ${TARGETS.approveP99Ms} ms (\`zero\`)`,
    verdict,
  ];
}

function burstCell(x: BurstResult): string {
  return `${p50p99(x.lag)} (${x.grants} expiring over ${(x.expirySpreadMs / 1000).toFixed(1)} s${x.missing ? `; **${x.missing} never removed**` : ''}${x.errors ? `; errors ${x.errors}` : ''})`;
}

function revokeRow(r: RevokeResult): string[] {
  const g = r.gatehouse;
  const b = r.bare;
  const limit = Math.round(b.lag.p99 * TARGETS.revokeP99VsBare);
  const verdict =
    !g.lag.n || !b.lag.n
      ? notMet('a burst removed nothing')
      : g.missing
        ? notMet(`${g.missing} grants never removed`)
        : g.lag.p99 <= limit
          ? `${MET} (${(g.lag.p99 / Math.max(b.lag.p99, 1)).toFixed(2)}× bare)`
          : notMet(`p99 ${n(g.lag.p99)} ms = ${(g.lag.p99 / Math.max(b.lag.p99, 1)).toFixed(1)}× bare's ${n(b.lag.p99)} ms, ${over(g.lag.p99, limit, ' ms')} the ${n(limit)} ms limit`);
  return [
    `Revoke lag (expiresAt → removed), ${g.windowMs / 1000} s window; Gatehouse's burst, then the bare one after it (never overlapping), same server`,
    burstCell(g),
    burstCell(b),
    `p99 ≤ ${TARGETS.revokeP99VsBare} × bare p99 (≤ ${n(limit)} ms)`,
    verdict,
  ];
}

function holdCell(h: HoldResult): string {
  return `${n(h.open)} open in ${n(h.createSeconds)} s (${h.createPerSec}/s)${h.cappedAfterS ? `, stopped at the ${h.cappedAfterS} s cap` : ''}; worker RSS ${mib(h.workerRss)} (peak ${mib(h.workerRssPeak)}), ${h.cachedWorkflows ?? '?'} cached${h.errors ? `; errors ${h.errors}` : ''}`;
}

function capacityRow(c: CapacityResult): string[] {
  const g = c.gatehouse;
  const rssOk = g.workerRssPeak <= TARGETS.workerRssBytes;
  const rssNote = rssOk ? `RSS peak ${mib(g.workerRssPeak)} is within 1.5 GiB` : `RSS peak ${mib(g.workerRssPeak)}, ${mib(g.workerRssPeak - TARGETS.workerRssBytes)} over 1.5 GiB`;
  const eta = g.createPerSec > 0 ? `; at ${g.createPerSec}/s, ${n(TARGETS.openGrants)} take ~${Math.ceil(TARGETS.openGrants / g.createPerSec / 60)} min` : '';
  const verdict =
    g.target < TARGETS.openGrants
      ? `— (the run asked for ${n(g.target)}; ${rssNote})`
      : g.open < TARGETS.openGrants
        ? notMet(`${n(g.open)} of ${n(TARGETS.openGrants)} open${g.cappedAfterS ? ` when the ${g.cappedAfterS} s cap hit` : ''}${eta}; ${rssNote}`)
        : rssOk
          ? MET
          : notMet(rssNote);
  return [`Open 6-hour grants held (bare: as many bare workflows), worker RSS from /proc`, holdCell(g), holdCell(c.bare), `${n(TARGETS.openGrants)} open, worker RSS ≤ 1.5 GiB`, verdict];
}

function details(r: BenchResults): string[] {
  const out: string[] = [];
  const loop = (x: LoopResult) =>
    `${x.overallPerSec}/s overall; iteration (start → member) ${full(x.startToMember)}; server ${x.serverCpu.coresAvg} cores; CPU (cores) ${cpu(x.cpuByProcess)}; CPU seconds per lifecycle ${cpu(x.cpuSecondsPerLifecycle ?? {})}${x.database ? `; PostgreSQL per lifecycle ${x.database.walKiBPerLifecycle} KiB WAL, ${x.database.commitsPerLifecycle} commits, ${x.database.growthKiBPerLifecycle ?? '?'} KiB database growth${x.database.growthKiBByDatabase ? ` (KiB: ${cpu(x.database.growthKiBByDatabase)})` : ''}` : ''}${x.approvalRetries ? `; ${x.approvalRetries} approvals answered 503 (no worker within the API's 10 s) and sent again with the same key` : ''}${x.apiCalls ? `; vendor calls per lifecycle ${cpu(x.apiCalls.byVendor)} (${cpu(x.apiCalls.byRoute)})` : ''}${x.errorSamples.length ? `; errors: ${x.errorSamples.join(' | ')}` : ''}`;
  const burst = (x: BurstResult) =>
    `lag ${full(x.lag)}; pilot creation ${x.pilotPerSec}/s; ${x.late} expired before the burst was created; start → member ${full(x.startToMember)}; server ${x.serverCpu.coresAvg} cores while removing`;
  const hold = (x: HoldResult) =>
    `heap ${mib(x.workerHeapUsed)} of ${mib(x.workerHeapTotal)}; server RSS ${mib(x.serverRss)}, ${x.serverCpuDuringCreate.coresAvg} cores creating, ${x.serverCpuIdle.coresAvg} idle${x.postgresCpuIdle ? `; PostgreSQL ${x.postgresCpuIdle.coresAvg} cores idle` : ''}${x.databaseKiBPerOpen !== undefined ? `, databases grew ${x.databaseKiBPerOpen} KiB per open grant` : ''}`;
  if (r.latency) {
    const g = r.latency.gatehouse;
    out.push(`- Approve → member, Gatehouse: sent → member ${full(g.approveSentToMember)}; the create call ${full(g.createCall)}; the approve call ${full(g.approveCall)}; member in before the answer in ${g.memberBeforeAnswer}/${g.approveSentToMember.n}. Bare: start sent → member ${full(r.latency.bare.startSentToMember)}.`);
  }
  if (r.revoke) out.push(`- Revoke burst, Gatehouse: ${burst(r.revoke.gatehouse)}.`, `- Revoke burst, bare: ${burst(r.revoke.bare)}.`);
  if (r.throughput) out.push(`- Lifecycles, Gatehouse: ${loop(r.throughput.gatehouse)}.`, `- Lifecycles, bare: ${loop(r.throughput.bare)}.`);
  if (r.capacity) out.push(`- Open grants (${r.capacity.concurrency} at a time), Gatehouse: ${hold(r.capacity.gatehouse)}.`, `- Open grants, bare: ${hold(r.capacity.bare)}.`);
  return out;
}

export function markdown(r: BenchResults): string {
  const rows: string[][] = [];
  if (r.events) rows.push(...eventRows(r.events));
  if (r.throughput) rows.push(throughputRow(r.throughput));
  if (r.latency) rows.push(latencyRow(r.latency, r.profile));
  if (r.slack) {
    const s = r.slack;
    rows.push(['Slack Approve button sent → member', 'skipped' in s ? `skipped: ${s.skipped}` : `${p50p99(s.actionSentToMember)} (n=${s.actionSentToMember.n}${s.errors ? `; errors ${s.errors}` : ''})`, '—', '', '']);
  }
  if (r.revoke) rows.push(revokeRow(r.revoke));
  if (r.capacity) rows.push(capacityRow(r.capacity));
  if (r.risk) {
    const k = r.risk;
    rows.push([
      `Risk response: HIGH event delivered → the last of ${k.grantsPerUser} grants removed (one user at a time)`,
      `${full(k.deliveryToLastRemoval)}; first removal ${full(k.deliveryToFirstRemoval)}; quarantined ${full(k.deliveryToQuarantine)}; hook answered ${full(k.hookAnswer)}; errors ${k.errors}`,
      '—',
      '',
      '',
    ]);
  }
  const m = r.machine;
  const loads = r.loadSamples.length ? `${Math.min(...r.loadSamples).toFixed(2)}–${Math.max(...r.loadSamples).toFixed(2)}` : 'n/a';
  const more = details(r);
  return [
    `### ${r.startedAt.slice(0, 10)} · profile \`${r.profile}\` · timer shift ${r.timerShift}`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB; Node ${m.node}; ${m.temporalCli}; TS SDK ${m.temporalSdk}; ${r.workers} worker process(es)${Object.keys(r.workerEnv).length ? ` with ${Object.entries(r.workerEnv).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}. Load average at start ${m.loadAtStart}, at end ${m.loadAtEnd ?? 'n/a'}, 1-min load during the run ${loads} (other work shared the machine).`,
    '',
    'Every row runs Gatehouse first, then the bare workflow (add, sleep, remove; its own worker with the same tuning), one after the other on the same server, with the same clients and grant lengths.',
    '',
    '| measurement | Gatehouse | bare | target | |',
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    ...(more.length ? [...more, ''] : []),
  ].join('\n');
}
