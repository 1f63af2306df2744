/**
 * `startCluster`: Gatehouse scaled out on one machine. A Temporal cluster on PostgreSQL
 * (./server.ts: the real server with N history shards, its Web UI), the emulators with the demo
 * directory, several worker processes and several API processes, all as separate processes through
 * the stack the benchmark and chaos runs use (scripts/bench/stack.ts).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../bench/stack';
import { stopPostgres } from '../postgres';

export interface ClusterOptions {
  /** History shards (default 4); fixed once the cluster's database exists. */
  shards?: number;
  /** Gatehouse worker processes (default 3) and API processes (default 2). */
  workers?: number;
  apis?: number;
  /** The Temporal frontend's port (the server's other ports follow it); 0 or absent: free ports. */
  port?: number;
  /** The Web UI's port (0: a free one); false: no UI. */
  uiPort?: number | false;
  /** The first API's port (the others follow it); absent: free ports. */
  apiPort?: number;
  pgPort?: number;
  /** Everything the run writes (default .data/cluster). */
  dir?: string;
  /** Keep the database between runs (requests survive); else the directory is emptied first. */
  keepData?: boolean;
  /** history.timerProcessorMaxTimeShift (server default 1s). */
  timerShift?: string;
  log: (line: string) => void;
}

export const DEFAULT_CLUSTER_DIR = join(__dirname, '..', '..', '.data', 'cluster');

export function clusterTemporalDir(dir: string): string {
  return join(dir, 'temporal');
}

export async function startCluster(opts: ClusterOptions): Promise<Stack> {
  const dir = opts.dir ?? DEFAULT_CLUSTER_DIR;
  const temporalDir = clusterTemporalDir(dir);
  // A run killed without its cleanup leaves PostgreSQL running on the directory.
  stopPostgres(join(temporalDir, 'postgres'));
  if (!opts.keepData) rmSync(dir, { recursive: true, force: true });
  return startStack({
    demo: true,
    users: 0,
    resources: 0,
    cluster: { dir: temporalDir, shards: opts.shards ?? 4, port: opts.port, uiPort: opts.uiPort === false ? undefined : (opts.uiPort ?? 0), pgPort: opts.pgPort },
    timerShift: opts.timerShift,
    workers: opts.workers ?? 3,
    apis: opts.apis ?? 2,
    apiPort: opts.apiPort,
    bare: false,
    dataDir: dir,
    dbFile: '',
    log: opts.log,
  });
}
