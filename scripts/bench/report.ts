/** Machine facts, the results JSON and the Markdown table. */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BareResult, CapacityResult, LatencyResult, RevokeResult, RiskResult, SlackResult, ThroughputResult } from './scenarios';
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
  machine: MachineFacts;
  latency?: LatencyResult;
  slack?: SlackResult;
  revoke?: RevokeResult;
  throughput?: ThroughputResult;
  bare?: BareResult;
  capacity?: CapacityResult;
  risk?: RiskResult;
  /** Load average sampled every few seconds during the run (1-minute figure). */
  loadSamples: number[];
}

const d = (x: { p50: number; p95: number; p99: number; max: number; n: number }) => `p50 ${x.p50} · p95 ${x.p95} · p99 ${x.p99} · max ${x.max} ms (n=${x.n})`;
const cpu = (byProcess: Record<string, number>) => Object.entries(byProcess).map(([k, v]) => `${k} ${v}`).join(', ');
const mib = (b: number | undefined) => (b === undefined ? 'n/a' : `${Math.round(b / 1048576)} MiB`);
const verdict = (ok: boolean | undefined) => (ok === undefined ? '—' : ok ? '**met**' : '**not met**');

export function markdown(r: BenchResults): string {
  const rows: string[][] = [];
  if (r.latency) {
    const l = r.latency;
    rows.push(['Approval → Okta membership (approve call returned → member)', `${d(l.approveReturnedToMember)}; ${l.memberBeforeAnswer}/${l.requests} already in before the answer; concurrency ${l.concurrency}; errors ${l.errors}`, 'p99 ≤ 250 ms (zero)', r.profile === 'zero' ? verdict(l.approveReturnedToMember.p99 <= 250) : '—']);
    rows.push(['… approve call sent → member', d(l.approveSentToMember), '', '']);
  }
  if (r.slack) {
    const s = r.slack;
    rows.push(['Slack Approve button → membership', 'skipped' in s ? `skipped: ${s.skipped}` : `${d(s.actionReturnedToMember)}; sent→member ${d(s.actionSentToMember)}; errors ${s.errors}`, '', '']);
  }
  if (r.revoke) {
    const v = r.revoke;
    rows.push([`Revoke lag, ${v.grants} grants expiring within ${v.windowMs / 1000} s (expiresAt → removed)`, `${d(v.lag)}; actual expiry spread ${(v.expirySpreadMs / 1000).toFixed(1)} s; missing ${v.missing}; errors ${v.errors}; server ${v.serverCpu.coresAvg} cores`, 'p99 ≤ 1.5 s', verdict(v.missing === 0 && v.lag.p99 <= 1500)]);
  }
  if (r.throughput) {
    const t = r.throughput;
    rows.push([`Throughput: full lifecycles (request, approval, grant ${t.grantMs / 1000} s, expiry, revoke), ${t.durationS} s, ${t.concurrency} clients`, `**${t.sustainedPerSec}/s** sustained (${t.overallPerSec}/s overall; ${t.completed}/${t.started} expired); errors ${t.errors}; create+approve ${d(t.createAndApprove)}; CPU (cores) ${cpu(t.cpuByProcess)}${t.database ? `; PostgreSQL per lifecycle ${t.database.walKiBPerLifecycle} KiB WAL, ${t.database.commitsPerLifecycle} commits` : ''}`, '≥ 30/s', verdict(t.sustainedPerSec >= 30 && t.errors === 0)]);
  }
  if (r.bare) {
    const b = r.bare;
    rows.push([`Bare workflow (add, timer, remove), ${b.durationS} s, ${b.concurrency} clients`, `**${b.sustainedPerSec}/s** sustained; start→member ${d(b.startToMember)}; revoke lag ${d(b.revokeLag)}; errors ${b.errors}; CPU (cores) ${cpu(b.cpuByProcess)}`, '', '']);
    if (r.throughput && b.sustainedPerSec > 0) {
      const ratio = b.sustainedPerSec / Math.max(r.throughput.sustainedPerSec, 0.01);
      rows.push(['Overhead vs bare: lifecycles/s (bare ÷ Gatehouse)', `${ratio.toFixed(1)}×`, '≤ 1.5×', verdict(ratio <= 1.5)]);
    }
    if (r.revoke && b.startToMember.n > 0) {
      rows.push(['Overhead vs bare: start → member p50 (Gatehouse auto-approved over HTTP ÷ bare start)', `${(r.revoke.createToMember.p50 / Math.max(b.startToMember.p50, 1)).toFixed(1)}× (${r.revoke.createToMember.p50} vs ${b.startToMember.p50} ms)`, '≤ 1.5×', verdict(r.revoke.createToMember.p50 / Math.max(b.startToMember.p50, 1) <= 1.5)]);
    }
  }
  if (r.capacity) {
    const c = r.capacity;
    rows.push([`Capacity: open grants held (target ${c.target})`, `${c.open} open${c.cappedAfterS ? ` (creation stopped at the ${c.cappedAfterS} s cap)` : ''} (${c.createPerSec}/s to create); worker RSS ${mib(c.workerRss)} (peak ${mib(c.workerRssPeak)}), heap ${mib(c.workerHeapUsed)}/${mib(c.workerHeapTotal)}, ${c.cachedWorkflows ?? '?'} cached; server RSS ${mib(c.serverRss)}, CPU ${c.serverCpuDuringCreate.coresAvg} cores creating, ${c.serverCpuIdle.coresAvg} idle; errors ${c.errors}`, '10,000 open with worker RSS ≤ 1.5 GiB', verdict(c.open >= 10_000 && c.workerRssPeak <= 1.5 * 1024 ** 3)]);
  }
  if (r.risk) {
    const k = r.risk;
    rows.push([`Risk response: HIGH event delivered → the last of ${k.grantsPerUser} grants removed (one user at a time)`, `${d(k.deliveryToLastRemoval)}; first removal ${d(k.deliveryToFirstRemoval)}; quarantined ${d(k.deliveryToQuarantine)}; hook answered ${d(k.hookAnswer)}; errors ${k.errors}`, '', '']);
  }
  const m = r.machine;
  const loads = r.loadSamples.length ? `${Math.min(...r.loadSamples).toFixed(2)}–${Math.max(...r.loadSamples).toFixed(2)}` : 'n/a';
  return [
    `### ${r.startedAt.slice(0, 10)} · profile \`${r.profile}\` · timer shift ${r.timerShift}`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB; Node ${m.node}; ${m.temporalCli}; TS SDK ${m.temporalSdk}; ${r.workers} worker process(es)${Object.keys(r.workerEnv).length ? ` with ${Object.entries(r.workerEnv).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}. Load average at start ${m.loadAtStart}, at end ${m.loadAtEnd ?? 'n/a'}, 1-min load during the run ${loads} (other work shared the machine).`,
    '',
    '| measurement | result | target | |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
  ].join('\n');
}
