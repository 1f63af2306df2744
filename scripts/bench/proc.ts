/**
 * Child processes of the benchmark and chaos runs (worker, API, bare worker) and what /proc tells
 * about them: resident memory and CPU time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface Child {
  name: string;
  child: ChildProcess;
  /** Last lines printed (stdout and stderr). */
  output: string[];
  /** Every line is offered here too (stats lines are parsed by the caller). */
  onLine(fn: (line: string) => void): void;
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  alive(): boolean;
}

/** Runs a TypeScript entry point (`workers/main.ts`, `api/main.ts`, `bench/bare/worker.ts`) with tsx. */
export function startChild(name: string, script: string, env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const listeners: Array<(line: string) => void> = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      output.push(line);
      for (const fn of listeners) fn(line);
    }
    if (output.length > 400) output.splice(0, output.length - 200);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    output,
    onLine: (fn) => listeners.push(fn),
    alive,
    waitForLine(re, timeoutMs = 90_000) {
      return new Promise((resolve, reject) => {
        const found = output.find((l) => re.test(l));
        if (found) return resolve(found);
        const timer = setTimeout(() => reject(new Error(`${name}: no line matching ${re} after ${timeoutMs} ms:\n${output.slice(-30).join('\n')}`)), timeoutMs);
        listeners.push((line) => {
          if (re.test(line)) {
            clearTimeout(timer);
            resolve(line);
          }
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code ?? signal}) before printing ${re}:\n${output.slice(-30).join('\n')}`));
        });
      });
    },
    async kill(signal = 'SIGTERM') {
      if (alive()) child.kill(signal);
      const timer = setTimeout(() => alive() && child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size in bytes (VmRSS), or undefined when the process is gone or /proc is absent. */
export function rssOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces): [0] is field 3. */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds (user + system) the process has used so far; with `children`, plus its live
 * children's and the ones it has waited for (PostgreSQL runs a process per connection).
 */
export function cpuSecondsOf(pid: number | undefined, children = false): number | undefined {
  if (!pid) return undefined;
  try {
    const fields = statFields(pid);
    let ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    if (children) {
      ticks += Number(fields[13]) + Number(fields[14]); // cutime, cstime of reaped children
      for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
        try {
          const child = statFields(entry);
          if (Number(child[1]) === pid) ticks += Number(child[11]) + Number(child[12]);
        } catch {
          // gone meanwhile
        }
      }
    }
    return ticks / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Samples a process's CPU use (with its children: see cpuSecondsOf): `read()` gives the average share of one core so far. */
export function cpuMeter(pid: number | undefined, children = false) {
  const t0 = Date.now();
  const c0 = cpuSecondsOf(pid, children) ?? 0;
  return {
    read(): { cpuSeconds: number; coresAvg: number } {
      const seconds = (cpuSecondsOf(pid, children) ?? c0) - c0;
      return { cpuSeconds: Math.round(seconds * 10) / 10, coresAvg: Math.round((seconds / Math.max((Date.now() - t0) / 1000, 0.001)) * 100) / 100 };
    },
  };
}

export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}
