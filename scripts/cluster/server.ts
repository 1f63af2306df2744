/**
 * A real Temporal cluster on this machine (research round 2 §8): the Temporal Server built from
 * go.temporal.io/server on a throwaway PostgreSQL, with N history shards, its schemas set up by the
 * SQL tool from the schemas embedded in it, the `default` namespace and Gatehouse's search
 * attributes, and optionally the Web UI server. The handle can restart the server process and
 * PostgreSQL on the same data and ports (chaos does both).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { parse, stringify } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../workflows/constants';
import { startPostgres, type Postgres } from '../postgres';
import { ensureSearchAttributes } from '../temporal-server';
import { findClusterBinaries, type ClusterBinaries } from './binaries';

type Log = (line: string) => void;

export interface TemporalClusterOptions {
  /** Config, logs and PostgreSQL's data; an existing directory is reused (its shard count is fixed). */
  dir: string;
  /** History shards; fixed forever once the cluster's database exists. Default 4. */
  shards?: number;
  /** The frontend's gRPC port; the server's other ports follow it (+1 … +9), all below 32768. 0 or absent: free ports. */
  port?: number;
  /** The Web UI's port (0: a free one); absent: no UI. */
  uiPort?: number;
  /** PostgreSQL's port; 0 or absent: a free one. */
  pgPort?: number;
  /** history.timerProcessorMaxTimeShift (the server default is 1s). */
  timerShift?: string;
  namespace?: string;
  retentionDays?: number;
  log: Log;
}

export interface TemporalCluster {
  address: string;
  port: number;
  namespace: string;
  uiUrl?: string;
  /** The server's Prometheus /metrics. */
  metricsUrl: string;
  shards: number;
  /** What the frontend reports (getClusterInfo). */
  info: { serverVersion: string; historyShardCount: number; persistenceStore: string; visibilityStore: string };
  postgres: Postgres;
  /** A database on the same PostgreSQL for Gatehouse's audit log (DATABASE_URL). */
  auditDatabaseUrl: string;
  /** The server process's pid (CPU figures). */
  pid(): number | undefined;
  /** PostgreSQL's write counters so far, all databases: WAL bytes and committed transactions. */
  /** WAL written and transactions committed so far (all databases), and each database's size in bytes. */
  writes(): { walBytes: number; commits: number; sizeBytes: number; databases: Record<string, number> };
  running(): boolean;
  /** Stops the server process and starts it again on the same database and ports. */
  restart(): Promise<{ downMs: number }>;
  /** Stops PostgreSQL (fast) and starts it again; the server reconnects by itself. */
  restartPostgres(): Promise<{ downMs: number }>;
  /** Stops the UI, the server and PostgreSQL, in that order. */
  stop(): Promise<void>;
}

const TEMPORAL_DB = 'temporal';
const VISIBILITY_DB = 'temporal_visibility';
const AUDIT_DB = 'gatehouse_audit';

/**
 * `count` ports free at once (held open together, so they differ), all below 32768: PostgreSQL
 * stores a membership port in a SMALLINT (cluster_membership.rpc_port), and the kernel's ephemeral
 * ports (what port 0 gives) start at 32768.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    while (servers.length < count) {
      const srv = createServer();
      const port = 20_000 + Math.floor(Math.random() * 12_000);
      const ok = await new Promise<boolean>((resolve) => {
        srv.once('error', () => resolve(false));
        srv.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (ok) servers.push(srv);
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

interface Ports {
  frontend: number;
  history: number;
  matching: number;
  worker: number;
  http: number;
  membership: [number, number, number, number];
  metrics: number;
}

async function choosePorts(port?: number): Promise<Ports> {
  if (port && port + 9 > 32_767) throw new Error(`Temporal's ports must be below 32768 (PostgreSQL keeps membership ports in a SMALLINT): ${port} + 9 is not`);
  const p = port ? Array.from({ length: 10 }, (_, i) => port + i) : await freePorts(10);
  return { frontend: p[0]!, history: p[1]!, matching: p[2]!, worker: p[3]!, http: p[4]!, membership: [p[5]!, p[6]!, p[7]!, p[8]!], metrics: p[9]! };
}

/** The minimal server configuration of round 2 §8, written from an object. */
function serverConfig(pg: Postgres, ports: Ports, shards: number, dynamicConfigFile: string): unknown {
  const store = (databaseName: string, maxConns: number) => ({
    sql: { pluginName: 'postgres12', databaseName, connectAddr: `127.0.0.1:${pg.port}`, connectProtocol: 'tcp', user: TEMPORAL_DB, password: '', maxConns, maxIdleConns: maxConns, maxConnLifetime: '1h' },
  });
  const rpc = (grpcPort: number, membershipPort: number, extra: object = {}) => ({ rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra } });
  const disabled = { history: { state: 'disabled' }, visibility: { state: 'disabled' } };
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'pg-default',
      visibilityStore: 'pg-visibility',
      numHistoryShards: shards,
      datastores: { 'pg-default': store(TEMPORAL_DB, 20), 'pg-visibility': store(VISIBILITY_DB, 10) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${ports.metrics}` } },
    },
    services: {
      frontend: rpc(ports.frontend, ports.membership[0], { httpPort: ports.http }),
      history: rpc(ports.history, ports.membership[1]),
      matching: rpc(ports.matching, ports.membership[2]),
      worker: rpc(ports.worker, ports.membership[3]),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: disabled,
    namespaceDefaults: { archival: disabled },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/** The dynamic config docker-compose.temporal.yml mounts too, plus the timer precision a run asks for. */
function dynamicConfig(timerShift?: string): Record<string, unknown> {
  const shared = parse(readFileSync(join(__dirname, '..', '..', 'config', 'temporal-dynamicconfig.yaml'), 'utf8')) as Record<string, unknown>;
  return { ...shared, ...(timerShift ? { 'history.timerProcessorMaxTimeShift': [{ value: timerShift }] } : {}) };
}

/**
 * Temporal's two databases and schemas, with the schemas embedded in the SQL tool. `create` and
 * `setup-schema -v 0.0` leave an existing database alone and `update-schema` brings it to the
 * tool's version, so these run on every start (docker-compose.temporal.yml runs the same).
 */
export const SCHEMA_STEPS: ReadonlyArray<{ db: string; args: string[] }> = [
  { db: TEMPORAL_DB, schema: 'postgresql/v12/temporal' },
  { db: VISIBILITY_DB, schema: 'postgresql/v12/visibility' },
].flatMap(({ db, schema }) => [
  { db, args: ['create'] },
  { db, args: ['setup-schema', '-v', '0.0'] },
  { db, args: ['update-schema', '--schema-name', schema] },
]);

/** The role, the audit database, then the schema steps. */
function setUpDatabases(pg: Postgres, sqlTool: string): void {
  if (pg.psql(`SELECT 1 FROM pg_roles WHERE rolname = '${TEMPORAL_DB}'`).trim() !== '1') pg.psql(`CREATE ROLE ${TEMPORAL_DB} LOGIN CREATEDB`);
  if (pg.psql(`SELECT 1 FROM pg_database WHERE datname = '${AUDIT_DB}'`).trim() !== '1') pg.psql(`CREATE DATABASE ${AUDIT_DB} OWNER ${TEMPORAL_DB}`);
  const common = ['--ep', '127.0.0.1', '-p', String(pg.port), '-u', TEMPORAL_DB, '--pl', 'postgres12'];
  for (const { db, args } of SCHEMA_STEPS) {
    const r = spawnSync(sqlTool, [...common, '--db', db, ...args], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`temporal-sql-tool --db ${db} ${args.join(' ')} failed:\n${r.stderr || r.stdout}`);
  }
}

export async function startTemporalCluster(opts: TemporalClusterOptions): Promise<TemporalCluster> {
  const { log } = opts;
  const shards = opts.shards ?? 4;
  const namespace = opts.namespace ?? 'default';
  mkdirSync(opts.dir, { recursive: true });
  const binaries: ClusterBinaries = await findClusterBinaries({ ui: opts.uiPort !== undefined, log });
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log(`[cluster] while stopping: ${String(err)}`));
    stops.length = 0;
  };
  try {
    const postgres = await startPostgres({ dir: join(opts.dir, 'postgres'), port: opts.pgPort, log });
    stops.push(() => postgres.stop());
    const shardsFile = join(opts.dir, 'shards');
    if (existsSync(join(opts.dir, 'config', 'development.yaml')) && existsSync(shardsFile)) {
      const existing = Number(readFileSync(shardsFile, 'utf8'));
      if (existing !== shards) throw new Error(`${opts.dir} holds a cluster with ${existing} history shards (fixed when it was created); remove it or ask for ${existing}`);
    }
    log('[cluster] setting up the temporal and temporal_visibility schemas…');
    setUpDatabases(postgres, binaries.sqlTool);
    writeFileSync(shardsFile, String(shards));

    const ports = await choosePorts(opts.port);
    const dcFile = join(opts.dir, 'dynamicconfig.yaml');
    writeFileSync(dcFile, stringify(dynamicConfig(opts.timerShift)));
    mkdirSync(join(opts.dir, 'config'), { recursive: true });
    writeFileSync(join(opts.dir, 'config', 'development.yaml'), stringify(serverConfig(postgres, ports, shards, dcFile)));
    const address = `127.0.0.1:${ports.frontend}`;

    const server = supervise('temporal-server', binaries.server, ['--root', opts.dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'], join(opts.dir, 'temporal.log'));
    const launch = async () => {
      server.start();
      await waitServing(address, server, 120_000);
    };
    log(`[cluster] starting Temporal Server ${shards} shards on ${address}…`);
    stops.push(() => server.stop());
    await launch();
    await ensureNamespace(address, namespace, opts.retentionDays ?? 3);
    await ensureSearchAttributes(address, namespace);
    await waitSearchAttributes(address, namespace, 60_000);
    const info = await clusterInfo(address);
    log(`[cluster] Temporal Server ${info.serverVersion} ready: ${info.historyShardCount} history shards, persistence ${info.persistenceStore}, visibility ${info.visibilityStore}`);

    let uiUrl: string | undefined;
    if (binaries.ui && opts.uiPort !== undefined) {
      const uiPort = opts.uiPort || (await freePorts(1))[0]!;
      const uiRoot = join(opts.dir, 'ui');
      mkdirSync(join(uiRoot, 'config'), { recursive: true });
      writeFileSync(
        join(uiRoot, 'config', 'development.yaml'),
        stringify({ temporalGrpcAddress: address, host: '127.0.0.1', port: uiPort, enableUi: true, defaultNamespace: namespace, cors: { cookieInsecure: true }, notifyOnNewVersion: false }),
      );
      const ui = supervise('temporal-ui', binaries.ui, ['--root', uiRoot, '--env', 'development', 'start'], join(opts.dir, 'ui.log'));
      ui.start();
      stops.push(() => ui.stop());
      uiUrl = `http://127.0.0.1:${uiPort}`;
      await waitHttp(`${uiUrl}/api/v1/namespaces`, ui, 60_000);
    }

    return {
      address,
      port: ports.frontend,
      namespace,
      uiUrl,
      metricsUrl: `http://127.0.0.1:${ports.metrics}/metrics`,
      shards,
      info,
      postgres,
      auditDatabaseUrl: `postgres://${TEMPORAL_DB}@127.0.0.1:${postgres.port}/${AUDIT_DB}`,
      pid: () => server.pid(),
      writes() {
        const [wal, commits, sizes] = postgres
          .psql(
            `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0'), (SELECT sum(xact_commit) FROM pg_stat_database), ` +
              `(SELECT string_agg(datname || '=' || pg_database_size(datname), ',') FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres')`,
          )
          .trim()
          .split('|');
        const databases = Object.fromEntries((sizes ?? '').split(',').filter(Boolean).map((pair) => [pair.split('=')[0]!, Number(pair.split('=')[1])]));
        return { walBytes: Number(wal), commits: Number(commits), sizeBytes: Object.values(databases).reduce((a, b) => a + b, 0), databases };
      },
      running: () => server.running(),
      async restart() {
        const t0 = Date.now();
        await server.stop();
        await launch();
        await waitNamespace(address, namespace, 60_000);
        return { downMs: Date.now() - t0 };
      },
      restartPostgres: () => postgres.restart(),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

interface Supervised {
  start(): void;
  stop(): Promise<void>;
  pid(): number | undefined;
  running(): boolean;
  exitedEarly(): string | undefined;
}

/** A long-running child whose output goes to a log file; its last lines explain an early exit. */
function supervise(name: string, binary: string, args: string[], logFile: string): Supervised {
  let child: ChildProcess | undefined;
  let exited = Promise.resolve();
  const tail: string[] = [];
  const running = () => !!child && child.exitCode === null && child.signalCode === null;
  return {
    start() {
      // Its own process group: a Ctrl-C in the terminal reaches the Gatehouse processes, while the
      // server stays up until they have drained and it is stopped in its turn (as pg_ctl does for PostgreSQL).
      const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      child = proc;
      tail.length = 0;
      exited = new Promise((resolve) => proc.once('exit', () => resolve()));
      const keep = (chunk: Buffer) => {
        appendFileSync(logFile, chunk);
        tail.push(...chunk.toString().split('\n').filter(Boolean));
        if (tail.length > 40) tail.splice(0, tail.length - 40);
      };
      proc.stdout!.on('data', keep);
      proc.stderr!.on('data', keep);
    },
    async stop() {
      const proc = child;
      if (!proc || !running()) return;
      proc.kill('SIGTERM');
      // The server hands its shards back on SIGTERM; that can take a while under load.
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
    pid: () => child?.pid,
    running,
    exitedEarly: () => (child && !running() ? `${name} exited (${child.exitCode ?? child.signalCode}); see ${logFile}:\n${tail.join('\n')}` : undefined),
  };
}

async function retryUntil<T>(what: string, timeoutMs: number, attempt: () => Promise<T>, child?: Supervised): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const early = child?.exitedEarly();
    if (early) throw new Error(early);
    try {
      return await attempt();
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function withConnection<T>(address: string, fn: (c: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

/** The frontend answers its gRPC health check with SERVING. */
function waitServing(address: string, server: Supervised, timeoutMs: number): Promise<void> {
  return retryUntil(`Temporal Server at ${address}`, timeoutMs, () =>
    withConnection(address, async (c) => {
      const res = await c.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' });
      if (res.status !== 1) throw new Error(`health ${res.status}`);
    }), server);
}

function waitNamespace(address: string, namespace: string, timeoutMs: number): Promise<void> {
  return retryUntil(`namespace ${namespace}`, timeoutMs, () => withConnection(address, async (c) => void (await c.workflowService.describeNamespace({ namespace }))));
}

/** Only `temporal-system` exists on a new cluster. */
async function ensureNamespace(address: string, namespace: string, retentionDays: number): Promise<void> {
  await withConnection(address, async (c) => {
    try {
      await c.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`) });
    } catch (err) {
      if (!/already exists/i.test(String(err))) throw err;
    }
  });
  await waitNamespace(address, namespace, 60_000);
}

/** A visibility query naming every attribute with a value of its type fails until the frontend's caches know them. */
function waitSearchAttributes(address: string, namespace: string, timeoutMs: number): Promise<void> {
  const query = SEARCH_ATTRIBUTES.map((key) => (key.type === 'DATETIME' ? `${key.name} < "2100-01-01T00:00:00Z"` : `${key.name} = "probe"`)).join(' AND ');
  return retryUntil('search attributes', timeoutMs, () => withConnection(address, async (c) => void (await c.workflowService.countWorkflowExecutions({ namespace, query }))));
}

async function clusterInfo(address: string): Promise<TemporalCluster['info']> {
  return withConnection(address, async (c) => {
    const info = await c.workflowService.getClusterInfo({});
    return {
      serverVersion: info.serverVersion ?? '?',
      historyShardCount: info.historyShardCount ?? 0,
      persistenceStore: info.persistenceStore ?? '?',
      visibilityStore: info.visibilityStore ?? '?',
    };
  });
}

async function waitHttp(url: string, child: Supervised, timeoutMs: number): Promise<void> {
  await retryUntil(url, timeoutMs, async () => {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${res.status}`);
  }, child);
}
