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
  const go = onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (go) return goInstall(go, cached, log);
  return download(cached, log);
}

/** Builds the CLI from the Go module proxy into the cache, printing progress as it goes. */
async function goInstall(go: string, target: string, log: Log): Promise<string> {
  const bin = join(cacheDir(), 'bin');
  mkdirSync(bin, { recursive: true });
  log(`[temporal] building the temporal CLI v${TEMPORAL_CLI_VERSION} with ${go} (first time only; takes a few minutes)…`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', '-ldflags', `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`, GO_PACKAGE], {
      env: { ...process.env, CGO_ENABLED: '0', GOBIN: bin, GOFLAGS: '-mod=mod' },
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
    const ticker = setInterval(() => log(`[temporal] still building… ${Math.round((Date.now() - started) / 1000)}s, ${downloads} modules downloaded`), 15_000);
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`go install ${GO_PACKAGE} failed (exit ${code}):\n${tail}`));
    });
  });
  if (!works(target)) throw new Error(`go install finished but ${target} does not run`);
  log(`[temporal] built ${target} in ${Math.round((Date.now() - started) / 1000)}s`);
  return target;
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
