/**
 * `npm run chaos`: lifecycles under fire (worker SIGKILLs, a Temporal server restart, emulator
 * faults), then the invariants. Exits 1 on any violation, naming the request.
 *   --lifecycles N (300)  --span S (180)  --kills N (6)  --no-restart  --faults full|burst|none
 *   --cluster: on a Temporal cluster on PostgreSQL (scripts/cluster), which also restarts PostgreSQL;
 *   --shards N (4)  --workers N (1; 3 on the cluster)  --apis N (1; 2 on the cluster)
 */
import { parseArgs } from 'node:util';
import { findClusterBinaries } from '../cluster/binaries';
import { findTemporalCli } from '../temporal-cli';
import { formatReport, runChaos } from './run';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lifecycles: { type: 'string', default: '300' },
      span: { type: 'string', default: '180' },
      kills: { type: 'string', default: '6' },
      'no-restart': { type: 'boolean', default: false },
      faults: { type: 'string', default: 'full' },
      settle: { type: 'string', default: '300' },
      cluster: { type: 'boolean', default: false },
      shards: { type: 'string', default: '4' },
      workers: { type: 'string' },
      apis: { type: 'string' },
      'no-interference': { type: 'boolean', default: false },
    },
  });
  if (values.cluster) await findClusterBinaries({ log: (l) => console.log(l) });
  else await findTemporalCli((l) => console.log(l));
  const span = Number(values.span);
  const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  const report = await runChaos({
    lifecycles: Number(values.lifecycles),
    spanS: span,
    grantMs: [3000, 10_000],
    // Spread the kills over the span.
    killEveryS: [Math.max(5, span / (Number(values.kills) + 1) / 2), Math.max(10, (span / (Number(values.kills) + 1)) * 1.5)],
    maxKills: Number(values.kills),
    serverRestart: !values['no-restart'],
    faults: values.faults as 'full' | 'burst' | 'none',
    settleTimeoutS: Number(values.settle),
    interfere: !values['no-interference'],
    cluster: values.cluster ? { shards: Number(values.shards) } : undefined,
    workers: Number(values.workers ?? (values.cluster ? 3 : 1)),
    apis: Number(values.apis ?? (values.cluster ? 2 : 1)),
    log,
  });
  console.log(`\n${formatReport(report)}`);
  process.exit(report.ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
