/**
 * Starts the Temporal dev server (`temporal server start-dev`) as a child process with Gatehouse's
 * search attributes, waits until it answers, and makes sure the attributes exist even on an
 * existing SQLite file (where --search-attribute is ignored).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/constants';
import { findTemporalCli } from './temporal-cli';

export interface DevServerOptions {
  port?: number; // 0 or absent: a free port
  uiPort?: number;
  headless?: boolean;
  /** SQLite file; absent: in memory. */
  dbFile?: string;
  namespace?: string;
  /** For tests: timers shorter than a second fire on time. */
  fastTimers?: boolean;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** How long closed workflows stay in the namespace (the dev server's default is 1 day). */
  retentionDays?: number;
  onOutput?: (line: string) => void;
  cliPath?: string;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const SA_TYPE: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime' };
// Numeric values of temporal.api.enums.v1.IndexedValueType (5 is BOOL: a DATETIME registered as 5 rejects every date).
const SA_ENUM: Record<string, number> = { KEYWORD: 2, DATETIME: 6 };

/**
 * Dynamic config of every dev server Gatehouse starts. One process, so one task-queue partition:
 * a task never waits for a poller on another partition. Eager activity execution: an activity
 * scheduled by a workflow task completion goes straight back to the worker that completed it,
 * without a matching round trip.
 */
export const DEV_SERVER_CONFIG = ['matching.numTaskqueueReadPartitions=1', 'matching.numTaskqueueWritePartitions=1', 'system.enableActivityEagerExecution=true'];

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const cli = opts.cliPath ?? (await findTemporalCli());
  const port = opts.port || (await freePort());
  const namespace = opts.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace, '--log-level', opts.logLevel ?? 'warn'];
  let uiUrl: string | undefined;
  if (opts.headless) args.push('--headless');
  else {
    const uiPort = opts.uiPort || port + 1000;
    args.push('--ui-port', String(uiPort));
    uiUrl = `http://127.0.0.1:${uiPort}`;
  }
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${SA_TYPE[key.type]}`);
  for (const setting of DEV_SERVER_CONFIG) args.push('--dynamic-config-value', setting);
  if (opts.fastTimers) args.push('--dynamic-config-value', 'history.timerProcessorMaxTimeShift="10ms"');

  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const onLine = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      if (output.length > 50) output.shift();
      opts.onOutput?.(line);
    }
  };
  child.stdout!.on('data', onLine);
  child.stderr!.on('data', onLine);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const address = `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await Promise.race([
      waitForServer(address, namespace, 60_000),
      exited.then((code) => {
        throw new Error(`temporal dev server exited (code ${code}) before it was ready:\n${output.join('\n')}`);
      }),
    ]);
    await ensureSearchAttributes(address, namespace);
    if (opts.retentionDays) await setRetention(cli, address, namespace, opts.retentionDays);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, uiUrl, namespace, process: child, stop };
}

async function waitForServer(address: string, namespace: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`temporal dev server at ${address} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}

/**
 * Registers missing Gatehouse search attributes (needed on an existing database and on a new
 * cluster, which has none). One registered with another type cannot be fixed here: it fails.
 */
export async function ensureSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing: Record<string, number> = {};
    for (const key of SEARCH_ATTRIBUTES) {
      const type = existing.customAttributes?.[key.name];
      if (type === undefined || type === null) missing[key.name] = SA_ENUM[key.type]!;
      else if (type !== SA_ENUM[key.type]) throw new Error(`search attribute ${key.name} is registered in ${namespace} as type ${type}, not ${key.type} (${SA_ENUM[key.type]}): use a new namespace or database`);
    }
    if (Object.keys(missing).length > 0) {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    }
  } finally {
    await connection.close();
  }
}

/** Uses the CLI: the gRPC call wants a protobuf Long, and the CLI is at hand anyway. */
export async function setRetention(cli: string, address: string, namespace: string, days: number): Promise<void> {
  const r = spawnSync(cli, ['operator', 'namespace', 'update', '--address', address, '--retention', `${days * 24}h`, namespace], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`cannot set the retention of ${namespace}: ${r.stderr || r.stdout}`);
}
