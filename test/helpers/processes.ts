import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningEmulators } from './emulators';
import { waitFor } from './wait';

const ROOT = join(__dirname, '..', '..');

export interface ChildHandle {
  child: ChildProcess;
  output: string[];
  /** Resolves when a line matching `re` has been printed. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs one of the project's entry points (`workers/main.ts`, `api/main.ts`) as a real process, from the sources with tsx. */
export function startProcess(script: string, env: NodeJS.ProcessEnv): ChildHandle {
  return startNode(['--import', 'tsx', script], env, { label: script });
}

/**
 * Runs `node <args>` as a real process (the compiled entry points: `dist/workers/main.js`), with
 * its output collected; `cwd` defaults to the repository.
 */
export function startNode(args: string[], env: NodeJS.ProcessEnv, opts: { cwd?: string; label?: string } = {}): ChildHandle {
  const label = opts.label ?? args.at(-1) ?? 'node';
  const child = spawn(process.execPath, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output,
    waitForLine: (re, timeoutMs = 60_000) =>
      waitFor(() => {
        if (child.exitCode !== null) throw new Error(`${label} exited (${child.exitCode}):\n${output.join('\n')}`);
        return output.find((l) => re.test(l));
      }, `${label} to print ${re}`, timeoutMs, 100),
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** The environment that points a worker or API process at the test server and the emulators. */
export function processEnv(emulators: RunningEmulators, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-proc-'));
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
    GATEHOUSE_WORKFLOW_BUNDLE: process.env.GATEHOUSE_TEST_BUNDLE,
    GATEHOUSE_AUDIT_DB: join(dir, 'audit.sqlite'),
    // No drift schedule from test processes (one namespace, many workers); test/reconcile runs it directly.
    GATEHOUSE_RECONCILE_EVERY: 'off',
    OKTA_ORG_URL: emulators.okta.url,
    OKTA_API_TOKEN: 'test-okta-token',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: 'test-signing-secret',
    SLACK_API_URL: emulators.slack.apiUrl,
    SLACK_TEAM_ID: 'T_GATEHOUSE',
    JIRA_HOST: emulators.jira.url,
    JIRA_EMAIL: 'gatehouse@example.com',
    JIRA_API_TOKEN: 'test-jira-token',
    JIRA_PROJECT_KEY: 'GATE',
    ...extra,
  };
}
