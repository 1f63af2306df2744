/**
 * A throwaway PostgreSQL from Debian's server packages (installed with apt when missing): initdb
 * in a directory, loopback only, trust authentication, run as the `postgres` user when we are
 * root (the server refuses root). Used by `.ci/run` (the audit store's PostgreSQL tests) and by
 * `npm run cluster` (Temporal's persistence and visibility, and the audit log).
 *
 *   tsx scripts/postgres.ts start <dir>   starts (initdb on first use), prints the superuser URL
 *   tsx scripts/postgres.ts stop <dir>    stops it (the directory stays)
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './temporal-server';

type Log = (line: string) => void;

export interface PostgresOptions {
  /** Holds data/, the log and the socket; an existing data/ is reused. */
  dir: string;
  /** 0 or absent: a free port. */
  port?: number;
  log?: Log;
}

export interface Postgres {
  dir: string;
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication on loopback). */
  url: string;
  version: string;
  pid(): number | undefined;
  /** Runs SQL as the superuser (psql -v ON_ERROR_STOP=1); returns stdout. */
  psql(sql: string, database?: string): string;
  stop(): Promise<void>;
  /** A fast shutdown and a start on the same data and port; resolves when it accepts connections. */
  restart(): Promise<{ downMs: number }>;
}

const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed server's bin directory; installs Debian's `postgresql` when allowed and missing. */
export function findPostgresBin(opts: { install: boolean; log?: Log } = { install: true }): string {
  const newest = () => {
    const versions = existsSync(PG_ROOT) ? readdirSync(PG_ROOT).filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb'))) : [];
    const v = versions.sort((a, b) => Number(a) - Number(b)).at(-1);
    return v ? join(PG_ROOT, v, 'bin') : undefined;
  };
  const found = newest();
  if (found || !opts.install) {
    if (!found) throw new Error(`no PostgreSQL server under ${PG_ROOT} (apt-get install postgresql)`);
    return found;
  }
  if (userInfo().uid !== 0) throw new Error(`no PostgreSQL server under ${PG_ROOT}: install Debian's postgresql package (apt-get install postgresql)`);
  opts.log?.('[postgres] installing Debian’s postgresql with apt-get…');
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'postgresql']]) {
    const r = spawnSync('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed:\n${r.stderr}`);
  }
  const installed = newest();
  if (!installed) throw new Error('apt-get installed postgresql but no server appeared under /usr/lib/postgresql');
  return installed;
}

/** pg_ctl and psql on one data directory, as the postgres user when we are root. */
function controller(where: string, bin: string) {
  const asRoot = userInfo().uid === 0;
  const dir = asRoot ? reachableByPostgres(resolve(where)) : resolve(where);
  const data = join(dir, 'data');
  const run = (tool: string, args: string[], input?: string): SpawnSyncReturns<string> => {
    const [cmd, ...full] = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, tool), ...args] : [join(bin, tool), ...args];
    return spawnSync(cmd!, full, { encoding: 'utf8', input, cwd: dir, timeout: 120_000 });
  };
  const check = (what: string, r: SpawnSyncReturns<string>) => {
    if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}):\n${r.stderr || r.stdout}${logTail(dir)}`);
    return r.stdout;
  };
  return {
    data,
    prepare() {
      mkdirSync(dir, { recursive: true });
      if (asRoot) {
        chownPostgres(dir);
        if (spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-w', dir]).status !== 0) throw new Error(`the postgres user cannot reach ${dir}: every parent directory must be searchable by others`);
      }
      if (!existsSync(join(data, 'PG_VERSION'))) check('initdb', run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']));
    },
    // TCP on loopback only: no Unix socket (its path limit of 107 bytes breaks deep checkouts).
    start: (port: number) => check('pg_ctl start', run('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', '-o', `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=''`, 'start'])),
    stop() {
      if (existsSync(join(data, 'postmaster.pid'))) check('pg_ctl stop', run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']));
    },
    psql: (port: number, sql: string, database: string) =>
      check('psql', run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAt', '-f', '-'], sql)),
  };
}

export async function startPostgres(opts: PostgresOptions): Promise<Postgres> {
  const log = opts.log ?? (() => {});
  const bin = findPostgresBin({ install: true, log });
  const pg = controller(opts.dir, bin);
  pg.prepare();
  const port = opts.port || (await freePort());
  pg.start(port);
  // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
  const version = /\(PostgreSQL\) (\S+)/.exec(spawnSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
  log(`[postgres] PostgreSQL ${version} on 127.0.0.1:${port} (${pg.data})`);
  return {
    dir: opts.dir,
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    version,
    pid() {
      try {
        return Number(readFileSync(join(pg.data, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
      } catch {
        return undefined;
      }
    },
    psql: (sql, database = 'postgres') => pg.psql(port, sql, database),
    async stop() {
      pg.stop();
    },
    async restart() {
      const t0 = Date.now();
      pg.stop();
      pg.start(port);
      return { downMs: Date.now() - t0 };
    },
  };
}

/** Stops the server running on `dir` (startPostgres' directory), if any: a leftover of a killed run. */
export function stopPostgres(dir: string): void {
  if (!existsSync(dir)) return;
  const pg = controller(dir, findPostgresBin({ install: false }));
  if (existsSync(join(pg.data, 'postmaster.pid'))) pg.stop();
}

/**
 * As root, the server runs as the postgres user, who must be able to reach its directory. Under a
 * private parent (a checkout in `mktemp -d`, mode 0700) it cannot: the cluster then lives in a
 * directory of its own under the system temp directory, named after `dir` (the same one each time), in
 * /tmp, and `dir` holds a symlink to it.
 */
function reachableByPostgres(dir: string): string {
  mkdirSync(dir, { recursive: true });
  // A private directory of its own (mktemp -d) under a public parent is enough once it is theirs.
  chownPostgres(dir);
  if (spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', dir]).status === 0) return dir;
  const elsewhere = join('/tmp', `gatehouse-pg-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}`);
  mkdirSync(elsewhere, { recursive: true, mode: 0o755 });
  chmodSync(elsewhere, 0o755);
  const link = join(dir, 'cluster');
  if (!existsSync(link)) symlinkSync(elsewhere, link);
  return elsewhere;
}

function chownPostgres(dir: string): void {
  const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (ids.status !== 0) throw new Error('running as root but there is no postgres user (install Debian’s postgresql package)');
  chownSync(dir, Number(ids.stdout), Number(gid.stdout));
}

function logTail(dir: string): string {
  try {
    return `\n--- ${join(dir, 'postgres.log')} (end) ---\n${readFileSync(join(dir, 'postgres.log'), 'utf8').split('\n').slice(-15).join('\n')}`;
  } catch {
    return '';
  }
}

/** The CLI for `.ci/run`: `start <dir>` prints the URL on stdout (and the version on stderr); `stop <dir>`. */
async function main(): Promise<void> {
  const [command, dir] = process.argv.slice(2);
  if (!dir || (command !== 'start' && command !== 'stop')) throw new Error('usage: tsx scripts/postgres.ts start|stop <dir>');
  if (command === 'stop') return stopPostgres(dir);
  const pg = await startPostgres({ dir, log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${pg.url}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
