/**
 * The Temporal dev server for benchmarks and chaos runs: like scripts/temporal-server.ts
 * (SQLite in WAL mode, Gatehouse's search attributes and dynamic config) plus the dynamic-config
 * values a benchmark wants to vary (timer precision), and a restart on the same file and port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../workflows/constants';
import { findTemporalCli } from '../temporal-cli';
import { DEV_SERVER_CONFIG, ensureSearchAttributes, freePort } from '../temporal-server';

export interface BenchServerOptions {
  dbFile: string;
  port?: number;
  /** history.timerProcessorMaxTimeShift, e.g. "1s" (the server default) or "10ms". */
  timerShift?: string;
  /** More `--dynamic-config-value KEY=JSON` entries. */
  dynamicConfig?: string[];
  cliPath?: string;
}

export interface BenchServer {
  address: string;
  port: number;
  pid(): number | undefined;
  /** Stopped (SIGTERM, then SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** Stops and starts again on the same SQLite file and port; resolves when it answers. */
  restart(): Promise<{ downMs: number }>;
  running(): boolean;
}

const SA_TYPE: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime' };

export async function startBenchServer(opts: BenchServerOptions): Promise<BenchServer> {
  const cli = opts.cliPath ?? (await findTemporalCli());
  const port = opts.port || (await freePort());
  const address = `127.0.0.1:${port}`;
  mkdirSync(dirname(opts.dbFile), { recursive: true });
  const args = [
    'server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'error',
    '--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal',
  ];
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${SA_TYPE[key.type]}`);
  // The same server Gatehouse runs in dev mode and tests (one partition, eager activities).
  for (const setting of DEV_SERVER_CONFIG) args.push('--dynamic-config-value', setting);
  if (opts.timerShift) args.push('--dynamic-config-value', `history.timerProcessorMaxTimeShift="${opts.timerShift}"`);
  for (const value of opts.dynamicConfig ?? []) args.push('--dynamic-config-value', value);

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const output: string[] = [];

  const launch = async () => {
    const proc = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const keep = (chunk: Buffer) => {
      output.push(...chunk.toString().split('\n').filter(Boolean));
      if (output.length > 50) output.splice(0, output.length - 50);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`temporal dev server exited (${proc.exitCode}):\n${output.join('\n')}`);
      try {
        const connection = await Connection.connect({ address, connectTimeout: 2000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          break;
        } finally {
          await connection.close();
        }
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`temporal dev server at ${address} not ready: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await ensureSearchAttributes(address, 'default');
  };

  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    address,
    port,
    pid: () => child?.pid,
    stop,
    async restart() {
      const t0 = Date.now();
      await stop();
      await launch();
      return { downMs: Date.now() - t0 };
    },
    running: () => !!child && child.exitCode === null && child.signalCode === null,
  };
}
