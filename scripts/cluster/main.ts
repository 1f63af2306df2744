/**
 * `npm run cluster`: Gatehouse on a real Temporal cluster on PostgreSQL, on this machine, without
 * Docker (see ./index.ts). Prints every URL and the API token; Ctrl-C stops everything in reverse
 * order. `npm run cluster -- --help` lists the flags.
 */
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Child } from '../bench/proc';
import { DEFAULT_CLUSTER_DIR, startCluster } from './index';

const HELP = `npm run cluster -- [flags]
  --shards N        history shards (default 4; fixed once the database exists)
  --workers N       Gatehouse worker processes (default 3)
  --apis N          API processes (default 2)
  --port P          Temporal frontend gRPC port (default 7433; the server also takes P+1 … P+9); 0: free ports
  --ui-port P       Web UI port (default 8433; 0: a free one), --no-ui to skip it
  --api-port P      first API port (default 3100; the next APIs take P+1, …)
  --pg-port P       PostgreSQL port (default: a free one)
  --timer-shift D   history.timerProcessorMaxTimeShift (default: the server's, 1s)
  --keep-data       keep .data/cluster between runs (requests survive a restart); default: start empty, delete at exit`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      shards: { type: 'string', default: '4' },
      workers: { type: 'string', default: '3' },
      apis: { type: 'string', default: '2' },
      port: { type: 'string', default: '7433' },
      'ui-port': { type: 'string', default: '8433' },
      'no-ui': { type: 'boolean', default: false },
      'api-port': { type: 'string', default: '3100' },
      'pg-port': { type: 'string' },
      'timer-shift': { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  const t0 = Date.now();
  const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  const starting = startCluster({
    shards: Number(values.shards),
    workers: Number(values.workers),
    apis: Number(values.apis),
    port: Number(values.port),
    uiPort: values['no-ui'] ? false : Number(values['ui-port']),
    apiPort: Number(values['api-port']) || undefined,
    pgPort: values['pg-port'] ? Number(values['pg-port']) : undefined,
    timerShift: values['timer-shift'],
    keepData: values['keep-data'],
    log,
  });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // Ctrl-C during start-up: let it finish (a failed start cleans up after itself), then stop it all.
    const started = await starting.catch(() => undefined);
    log('stopping (reverse order: APIs, workers, emulators, Web UI, Temporal Server, PostgreSQL)…');
    await started?.stop();
    if (!values['keep-data']) rmSync(DEFAULT_CLUSTER_DIR, { recursive: true, force: true });
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const stack = await starting;
  if (stopping) return;
  const cluster = stack.cluster!;

  // Each Gatehouse process's output goes to its own file; an exit is reported here.
  const logs = join(DEFAULT_CLUSTER_DIR, 'logs');
  mkdirSync(logs, { recursive: true });
  const follow = (child: Child) => {
    const file = join(logs, `${child.name}.log`);
    appendFileSync(file, `${child.output.join('\n')}\n`);
    child.onLine((line) => appendFileSync(file, `${line}\n`));
    child.child.once('exit', (code, signal) => !stopping && log(`${child.name} exited (${signal ?? code}); see ${file}`));
  };
  for (const child of [stack.emulators.process, ...stack.workers, ...stack.apis.map((a) => a.process)]) follow(child);

  const api = stack.api.url;
  const token = stack.api.token;
  const pad = (s: string) => s.padEnd(16);
  const lines = [
    '',
    `Gatehouse on a Temporal cluster is running (${Math.round((Date.now() - t0) / 1000)} s to start; Ctrl-C stops everything):`,
    `  ${pad('Temporal')}${cluster.address}   Server ${cluster.info.serverVersion}, ${cluster.info.historyShardCount} history shards, ${cluster.info.persistenceStore}`,
    ...(cluster.uiUrl ? [`  ${pad('Web UI')}${cluster.uiUrl}`] : []),
    `  ${pad('server metrics')}${cluster.metricsUrl}`,
    `  ${pad('PostgreSQL')}${cluster.postgres.url.replace(/\/postgres$/, '')}   ${cluster.postgres.version}; databases temporal, temporal_visibility, gatehouse_audit`,
    ...stack.apis.map((a, i) => `  ${pad(`API ${i + 1}`)}${a.url}   (pid ${a.process.child.pid})`),
    `  ${pad('API token')}${token}`,
    `  ${pad('workers')}${stack.workers.length} processes (pids ${stack.workers.map((w) => w.child.pid).join(', ')}) on task queue ${stack.taskQueue}`,
    `  ${pad('Okta emulator')}${stack.emulators.okta}/_emulator/state`,
    `  ${pad('Slack emulator')}${stack.emulators.slack}/   (messages and buttons)`,
    `  ${pad('Jira emulator')}${stack.emulators.jira}/_emulator/state`,
    `  ${pad('logs')}${logs}/ and ${join(DEFAULT_CLUSTER_DIR, 'temporal')}/{temporal,ui}.log`,
    '',
    'File a request on one API and approve it on the other (the demo policy and directory, as in npm run dev):',
    `  curl -s -X POST ${api}/v1/requests -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '{"requester":"alice@example.com","resource":"prod-db-admin","duration":"2m","justification":"OPS-123 investigate slow queries"}'`,
    `  curl -s -X POST ${stack.apis.at(-1)!.url}/v1/requests/<id>/approve -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '{"approver":"bob@example.com"}'`,
    `Benchmark this cluster: TEMPORAL_ADDRESS=${cluster.address} npm run bench -- --reuse --quick`,
    '',
  ];
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
