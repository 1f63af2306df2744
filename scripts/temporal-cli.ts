/**
 * Finds or installs the `temporal` CLI (which embeds the dev server and Web UI). One function for
 * dev mode, tests and benchmarks. Order: TEMPORAL_CLI_PATH → `temporal` on PATH → our cache →
 * `go install` into the cache → the download the Temporal SDK uses (machines with internet).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, arch as osArch, platform as osPlatform } from 'node:os';
import { delimiter, join } from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`;

type Log = (line: string) => void;

export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'gatehouse');
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function works(path: string): boolean {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 && /temporal version/.test(r.stdout);
}

export async function findTemporalCli(log: Log = (l) => process.stderr.write(`${l}\n`)): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!works(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not a working temporal CLI`);
    return fromEnv;
  }
  const path = onPath('temporal');
  if (path && works(path)) return path;
  const cached = join(cacheDir(), 'bin', 'temporal');
  if (existsSync(cached) && works(cached)) return cached;
  const go = findGo();
  if (!go) return download(cached, log);
  const bin = join(cacheDir(), 'bin');
  await goInstall({
    go,
    packages: [GO_PACKAGE],
    gobin: bin,
    args: ['-ldflags', `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`],
    what: `the temporal CLI v${TEMPORAL_CLI_VERSION}`,
    log,
  });
  if (!works(cached)) throw new Error(`go install finished but ${cached} does not run`);
  return cached;
}

/** The Go toolchain on PATH or in its default install place; undefined when there is none. */
export function findGo(): string | undefined {
  return onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

export interface GoInstallOptions {
  go: string;
  packages: string[];
  /** Where the binaries land (named after their package directories). */
  gobin: string;
  /** More `go install` flags (-ldflags, -tags). */
  args?: string[];
  /** For the progress lines, e.g. "the temporal CLI v1.5.1". */
  what: string;
  log: Log;
}

/** `go install` from the Go module proxy (CGO off, like release builds), printing progress as it goes. */
export async function goInstall(opts: GoInstallOptions): Promise<void> {
  const { log } = opts;
  mkdirSync(opts.gobin, { recursive: true });
  log(`[go] building ${opts.what} with ${opts.go} (first time only; takes a few minutes)…`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(opts.go, ['install', ...(opts.args ?? []), ...opts.packages], {
      env: { ...process.env, CGO_ENABLED: '0', GOBIN: opts.gobin, GOFLAGS: '-mod=mod' },
      cwd: cacheDir(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let downloads = 0;
    let tail = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      downloads += (text.match(/go: downloading/g) ?? []).length;
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const ticker = setInterval(() => log(`[go] still building ${opts.what}… ${Math.round((Date.now() - started) / 1000)}s, ${downloads} modules downloaded`), 15_000);
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`go install ${opts.packages.join(' ')} failed (exit ${code}):\n${tail}`));
    });
  });
  log(`[go] built ${opts.what} in ${Math.round((Date.now() - started) / 1000)}s`);
}

/** The same download the Temporal SDK performs (temporal.download), for machines without Go. */
async function download(target: string, log: Log): Promise<string> {
  const platform = { linux: 'linux', darwin: 'darwin', win32: 'windows' }[osPlatform() as string] ?? osPlatform();
  const arch = { x64: 'amd64', arm64: 'arm64' }[osArch() as string] ?? osArch();
  const info = `https://temporal.download/cli/${TEMPORAL_CLI_VERSION}?arch=${arch}&platform=${platform}&format=tar.gz&sdk-name=sdk-typescript&sdk-version=1.24.0`;
  log(`[temporal] no Go toolchain: downloading the temporal CLI (${info})`);
  const meta = (await (await fetch(info)).json()) as { archiveUrl: string; fileToExtract: string };
  const archive = Buffer.from(await (await fetch(meta.archiveUrl)).arrayBuffer());
  const dir = join(cacheDir(), 'download');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cli.tar.gz'), archive);
  const tar = spawnSync('tar', ['-xzf', 'cli.tar.gz', meta.fileToExtract], { cwd: dir });
  if (tar.status !== 0) throw new Error(`cannot extract ${meta.archiveUrl}: ${tar.stderr}`);
  mkdirSync(join(cacheDir(), 'bin'), { recursive: true });
  renameSync(join(dir, meta.fileToExtract), target);
  chmodSync(target, 0o755);
  return target;
}

if (require.main === module) {
  findTemporalCli().then(
    (p) => console.log(p),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
