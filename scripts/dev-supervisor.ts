/**
 * The child processes of `npm run dev`: started with prefixed, human-readable logs, stopped in
 * reverse order (the worker drains first). A worker that dies is started again, and dev mode says
 * so: a worker that stopped on its own exits non-zero precisely so that someone restarts it (here,
 * us; in production, systemd or Kubernetes). Any other child dying stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface SupervisorOptions {
  cwd: string;
  /** Writes one line of a child's output (or of the supervisor's own, under `dev`). */
  say(name: string, line: string): void;
  /** Called once when a child that is not restarted dies. */
  onFatal(code: number): void;
  /** Children restarted when they exit, at most `maxRestartsPerMinute` times a minute. */
  restart?: string[];
  maxRestartsPerMinute?: number;
  restartDelayMs?: number;
}

/** pino JSON lines become "LEVEL message key=value…" for people; anything else passes through. */
export function humanize(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const { level, time: _t, pid: _p, hostname: _h, name: _n, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const lvl = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }[level as number] ?? String(level);
    const extra = Object.entries(rest)
      .filter(([, v]) => v !== undefined && typeof v !== 'object')
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return `${lvl} ${String(msg ?? '')}${extra ? `  ${extra}` : ''}`;
  } catch {
    return line;
  }
}

export function createSupervisor(opts: SupervisorOptions) {
  const children: { name: string; child: ChildProcess }[] = [];
  const restartable = new Set(opts.restart ?? []);
  const maxRestarts = opts.maxRestartsPerMinute ?? 5;
  let stopping = false;

  function start(name: string, script: string, env: NodeJS.ProcessEnv, restarts: number[] = []): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: opts.cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    // Multi-line messages (webpack's bundle report) are cut to their first line.
    const pipe = (chunk: Buffer) => chunk.toString().split('\n').filter(Boolean).forEach((l) => opts.say(name, humanize(l).split('\n')[0]!));
    child.stdout!.on('data', pipe);
    child.stderr!.on('data', pipe);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      const entry = children.findIndex((c) => c.child === child);
      if (entry >= 0) children.splice(entry, 1);
      const recent = restarts.filter((at) => Date.now() - at < 60_000);
      if (restartable.has(name) && recent.length < maxRestarts) {
        opts.say('dev', `${name} exited (${signal ?? code}); starting a new one (restart ${recent.length + 1} in the last minute)`);
        setTimeout(() => !stopping && start(name, script, env, [...recent, Date.now()]), opts.restartDelayMs ?? 1000);
        return;
      }
      opts.say('dev', `${name} exited (${signal ?? code}); stopping everything`);
      opts.onFatal(1);
    });
    children.push({ name, child });
    return child;
  }

  /** Stops every child in reverse order of start: SIGTERM, then SIGKILL after a grace period. */
  async function stopAll(): Promise<void> {
    stopping = true;
    for (const { name, child } of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), name === 'worker' ? 20_000 : 10_000);
      await exited;
      clearTimeout(timer);
      opts.say('dev', `${name} stopped`);
    }
  }

  return { start, stopAll, isStopping: () => stopping, running: () => children.map((c) => ({ name: c.name, pid: c.child.pid })) };
}
