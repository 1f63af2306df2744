/**
 * The whole system for a benchmark or chaos run, as separate processes on this machine: Temporal
 * (the dev server on a SQLite file, a server to reuse, or a cluster on PostgreSQL from
 * scripts/cluster), the emulators (seeded with a generated directory, or the demo one), Gatehouse
 * worker(s), the API process(es), and optionally the bare comparison worker.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { DirectoryInput } from '../../emulators';
import { API_SCOPES } from '../../activities/settings';
import { bundleOptions } from '../../workers/workflow-code';
import { startTemporalCluster, type TemporalCluster, type TemporalClusterOptions } from '../cluster/server';
import { freePort } from '../temporal-server';
import { startBenchServer, type BenchServer } from './server';
import { ROOT, startChild, type Child } from './proc';

export const APPROVER = 'approver@bench.example';
/** The second step's approver of the two-step resources (one person decides once per request). */
export const APPROVER2 = 'approver2@bench.example';
export const userLogin = (i: number) => `u${i}@bench.example`;
export const userId = (i: number) => `00u_b${i}`;
export const standingLogin = (k: number) => `standing${k}@bench.example`;
export const autoResource = (k: number) => `bench-auto-${k}`;
export const approvalResource = (k: number) => `bench-appr-${k}`;
export const autoGroup = (k: number) => `00g_bench_auto_${k}`;
export const approvalGroup = (k: number) => `00g_bench_appr_${k}`;
export const twoStepResource = (k: number) => `bench-two-${k}`;
export const twoStepGroup = (k: number) => `00g_bench_two_${k}`;
export const bareGroup = (k: number) => `00g_bench_bare_${k}`;
/** A second resource on the auto-approved group: two grants of one person on one Okta group. */
export const twinResource = (k: number) => `bench-twin-${k}`;
/** Risk response: users who each hold one grant of every risk resource, and the quarantine group. */
export const RISK_RESOURCES = 20;
export const RISK_USERS = 20;
export const riskLogin = (i: number) => `risk${i}@bench.example`;
export const riskUserId = (i: number) => `00u_risk${i}`;
export const riskResource = (k: number) => `bench-risk-${k}`;
export const riskGroup = (k: number) => `00g_bench_risk_${k}`;
export const QUARANTINE_GROUP = '00g_bench_quarantine';

export type Profile = 'zero' | 'realistic';

export interface StackOptions {
  users: number;
  resources: number;
  /** Adds one standing member per bench group (chaos checks they are never removed). */
  standingMembers?: boolean;
  /** An address to reuse instead of starting a dev server. */
  reuse?: string;
  /** A Temporal cluster on PostgreSQL instead of the dev server (its directory defaults to dataDir/cluster). */
  cluster?: Omit<TemporalClusterOptions, 'log' | 'dir' | 'timerShift'> & { dir?: string };
  dbFile: string;
  timerShift?: string;
  dynamicConfig?: string[];
  workers: number;
  workerEnv?: NodeJS.ProcessEnv;
  bare: boolean;
  dataDir: string;
  log: (line: string) => void;
  /** A prebuilt Gatehouse workflow bundle (tests pass theirs); else bundled here. */
  gatehouseBundle?: string;
  /** Slack appears only with a bot token and a signing secret: chaos and bench keep it on. */
  apiEnv?: NodeJS.ProcessEnv;
  /** API processes (default 1), on apiPort, apiPort + 1, … (default: free ports). */
  apis?: number;
  apiPort?: number;
  /** The demo directory and config/policy.yaml on task queue `gatehouse` (npm run cluster), not the bench ones. */
  demo?: boolean;
}

export interface Stack {
  address: string;
  /** The server chaos restarts: the dev server, or the cluster's server process. */
  server?: BenchServer;
  cluster?: TemporalCluster;
  /** The first of `apis`. */
  api: { url: string; token: string; process: Child };
  /** OKTA_EVENT_HOOK_SECRET of the APIs (risk response). */
  hookSecret: string;
  apis: Array<{ url: string; process: Child }>;
  emulators: { okta: string; slack: string; jira: string; process: Child };
  workers: Child[];
  bare?: { process: Child; taskQueue: string };
  taskQueue: string;
  /** Where the worker keeps the audit log and the grant ledger (chaos reads the ledger). */
  auditStore: { databaseUrl?: string; sqlitePath: string };
  /** Starts one more Gatehouse worker process (chaos replaces killed ones). */
  startWorker(): Promise<Child>;
  setProfile(profile: Profile): Promise<void>;
  faults(system: 'okta' | 'slack' | 'jira', body: Record<string, unknown>): Promise<void>;
  clearFaults(): Promise<void>;
  stop(): Promise<void>;
}

export function benchDirectory(users: number, resources: number, standing: boolean): DirectoryInput {
  const people = Array.from({ length: users }, (_, i) => ({
    id: userId(i),
    login: userLogin(i),
    firstName: 'Bench',
    lastName: `User ${i}`,
    profile: { department: 'Engineering' },
  }));
  const standingUsers = standing
    ? Array.from({ length: resources }, (_, k) => ({ id: `00u_standing${k}`, login: standingLogin(k), firstName: 'Standing', lastName: `Member ${k}`, profile: { department: 'Engineering' } }))
    : [];
  const group = (id: string, k: number) => ({ id, name: id, members: standing ? [standingLogin(k)] : [] });
  const riskUsers = Array.from({ length: RISK_USERS }, (_, i) => ({ id: riskUserId(i), login: riskLogin(i), firstName: 'Risk', lastName: `User ${i}`, profile: { department: 'Engineering', managerId: '00u_bench_approver' } }));
  const riskGroups = [...Array.from({ length: RISK_RESOURCES }, (_, k) => ({ id: riskGroup(k), name: riskGroup(k), members: [] })), { id: QUARANTINE_GROUP, name: 'bench-quarantine', members: [] }];
  return {
    users: [
      { id: '00u_bench_approver', login: APPROVER, firstName: 'Bench', lastName: 'Approver', profile: { department: 'Security' } },
      { id: '00u_bench_approver2', login: APPROVER2, firstName: 'Bench', lastName: 'Second Approver', profile: { department: 'Security' } },
      ...people,
      ...standingUsers,
      ...riskUsers,
    ],
    groups: [...Array.from({ length: resources }, (_, k) => [group(autoGroup(k), k), group(approvalGroup(k), k), group(twoStepGroup(k), k), group(bareGroup(k), k)]).flat(), ...riskGroups],
    apps: [],
    jira: { projectKey: 'GATE', projectName: 'Gatehouse' },
    slack: { channels: ['#security-alerts'] },
  };
}

/** Second-scale durations everywhere; no reminders, no expiry warnings (they would add noise). */
export function benchPolicy(resources: number): string {
  const lines = ['defaults: { approvalTimeout: 1h, reminderAfter: 1h, expiryWarning: 0s }', 'resources:'];
  for (let k = 0; k < resources; k++) {
    lines.push(
      `  ${autoResource(k)}:`,
      `    name: Bench auto-approved ${k}`,
      `    okta: { groupId: ${autoGroup(k)} }`,
      '    duration: { default: 1m, max: 6h, min: 1s }',
      '    approval: { auto: true }',
      `  ${twinResource(k)}:`,
      `    name: Bench auto-approved ${k}, on the same group`,
      `    okta: { groupId: ${autoGroup(k)} }`,
      '    duration: { default: 1m, max: 6h, min: 1s }',
      '    approval: { auto: true }',
      `  ${approvalResource(k)}:`,
      `    name: Bench one approval ${k}`,
      `    okta: { groupId: ${approvalGroup(k)} }`,
      '    duration: { default: 1m, max: 6h, min: 1s }',
      '    eligibility: { any: [ { attribute: department, in: [Engineering] } ] }',
      '    approval:',
      '      steps:',
      `        - { approvers: { users: [${APPROVER}] }, count: 1 }`,
      `  ${twoStepResource(k)}:`,
      `    name: Bench two approvals ${k}`,
      `    okta: { groupId: ${twoStepGroup(k)} }`,
      '    duration: { default: 1m, max: 6h, min: 1s }',
      '    eligibility: { any: [ { attribute: department, in: [Engineering] } ] }',
      '    approval:',
      '      steps:',
      `        - { approvers: { users: [${APPROVER}] }, count: 1 }`,
      `        - { approvers: { users: [${APPROVER2}] }, count: 1 }`,
    );
  }
  for (let k = 0; k < RISK_RESOURCES; k++) {
    lines.push(`  ${riskResource(k)}: { name: Bench risk ${k}, okta: { groupId: ${riskGroup(k)} }, duration: { default: 6h, max: 6h }, approval: { auto: true } }`);
  }
  lines.push('risk:', `  quarantineGroupId: ${QUARANTINE_GROUP}`, '  securityChannel: "#security-alerts"', '  incident: { projectKey: GATE, issueType: Task }');
  return `${lines.join('\n')}\n`;
}

/** Emulator latency per profile (SPEC: Okta 80 ms, Slack 120 ms, Jira 200 ms, with jitter). */
export const PROFILES: Record<Profile, Record<'okta' | 'slack' | 'jira', { latencyMs: number; jitterMs: number }>> = {
  zero: { okta: { latencyMs: 0, jitterMs: 0 }, slack: { latencyMs: 0, jitterMs: 0 }, jira: { latencyMs: 0, jitterMs: 0 } },
  realistic: { okta: { latencyMs: 60, jitterMs: 40 }, slack: { latencyMs: 90, jitterMs: 60 }, jira: { latencyMs: 150, jitterMs: 100 } },
};

async function waitHttp(url: string, what: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!child.alive()) throw new Error(`${what} exited:\n${child.output.slice(-30).join('\n')}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} not answering at ${url}:\n${child.output.slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

/** Bundles Gatehouse's workflows (and the bare one) once, so each worker process starts in seconds. */
async function bundles(dataDir: string, bare: boolean, prebuilt?: string): Promise<{ gatehouse: string; bare?: string }> {
  const quiet = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: (m: string) => console.error(m), log: () => {} };
  let gatehouse = prebuilt;
  if (!gatehouse) {
    gatehouse = join(dataDir, 'workflow-bundle.js');
    writeFileSync(gatehouse, (await bundleWorkflowCode({ ...bundleOptions(), logger: quiet })).code);
  }
  if (!bare) return { gatehouse };
  const barePath = join(dataDir, 'bare-bundle.js');
  writeFileSync(barePath, (await bundleWorkflowCode({ workflowsPath: join(ROOT, 'bench/bare/workflow.ts'), logger: quiet })).code);
  return { gatehouse, bare: barePath };
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const { log } = opts;
  mkdirSync(opts.dataDir, { recursive: true });
  const started: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    started.length = 0;
  };
  try {
    const apiCount = opts.apis ?? 1;
    const apiPorts = opts.apiPort ? Array.from({ length: apiCount }, (_, i) => opts.apiPort! + i) : await Promise.all(Array.from({ length: apiCount }, () => freePort()));
    const [oktaPort, slackPort, jiraPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const token = `bench-${randomBytes(12).toString('hex')}`;
    const hookSecret = `bench-hook-${randomBytes(12).toString('hex')}`;
    const signingSecret = `bench-signing-${randomBytes(8).toString('hex')}`;
    // Slack's interactions go to the first API.
    const apiUrl = `http://127.0.0.1:${apiPorts[0]}`;

    log('[stack] bundling workflows…');
    const bundlePromise = bundles(opts.dataDir, opts.bare, opts.gatehouseBundle);

    let server: BenchServer | undefined;
    let cluster: TemporalCluster | undefined;
    let address = opts.reuse ?? '';
    if (opts.cluster) {
      cluster = await startTemporalCluster({ ...opts.cluster, dir: opts.cluster.dir ?? join(opts.dataDir, 'cluster'), timerShift: opts.timerShift, log });
      started.push(() => cluster!.stop());
      server = cluster;
      address = cluster.address;
    } else if (!opts.reuse) {
      log(`[stack] starting the Temporal dev server on ${opts.dbFile}${opts.timerShift ? ` (timerProcessorMaxTimeShift=${opts.timerShift})` : ' (server default timer precision)'}…`);
      server = await startBenchServer({ dbFile: opts.dbFile, timerShift: opts.timerShift, dynamicConfig: opts.dynamicConfig });
      started.push(() => server!.stop());
      address = server.address;
    }

    log('[stack] starting the emulators…');
    const emu = startChild('emulators', 'emulators/main.ts', {
      OKTA_EMULATOR_PORT: String(oktaPort),
      SLACK_EMULATOR_PORT: String(slackPort),
      JIRA_EMULATOR_PORT: String(jiraPort),
      GATEHOUSE_EMULATE: 'okta,slack,jira',
      GATEHOUSE_SLACK_EVENTS_URL: `${apiUrl}/slack/events`,
      SLACK_SIGNING_SECRET: signingSecret,
    });
    started.push(() => emu.kill('SIGTERM'));
    const okta = `http://127.0.0.1:${oktaPort}`;
    const slack = `http://127.0.0.1:${slackPort}`;
    const jira = `http://127.0.0.1:${jiraPort}`;
    for (const url of [okta, slack, jira]) await waitHttp(`${url}/_emulator/state`, 'emulators', emu);
    // The emulators seed the demo directory themselves.
    if (!opts.demo) {
      const directory = benchDirectory(opts.users, opts.resources, !!opts.standingMembers);
      for (const url of [okta, slack, jira]) await post(`${url}/_emulator/seed`, directory);
    }

    let policyFile = join(ROOT, 'config', 'policy.yaml');
    if (!opts.demo) {
      policyFile = join(opts.dataDir, 'bench-policy.yaml');
      writeFileSync(policyFile, benchPolicy(opts.resources));
    }
    const taskQueue = opts.demo ? 'gatehouse' : `gatehouse-bench-${randomBytes(4).toString('hex')}`;
    const common: NodeJS.ProcessEnv = {
      NODE_ENV: 'test',
      LOG_LEVEL: opts.demo ? 'info' : 'warn',
      TEMPORAL_ADDRESS: address,
      // On the cluster the audit log is on its PostgreSQL too, as in production.
      ...(cluster ? { DATABASE_URL: cluster.auditDatabaseUrl } : {}),
      ...(cluster?.uiUrl ? { TEMPORAL_UI_URL: cluster.uiUrl } : {}),
      GATEHOUSE_TASK_QUEUE: taskQueue,
      GATEHOUSE_POLICY: policyFile,
      GATEHOUSE_AUDIT_FILE: join(opts.dataDir, 'audit.ndjson'),
      GATEHOUSE_AUDIT_DB: join(opts.dataDir, 'audit.sqlite'),
      GATEHOUSE_RECONCILE_EVERY: 'off',
      OKTA_ORG_URL: okta,
      OKTA_API_TOKEN: 'bench-okta-token',
      SLACK_BOT_TOKEN: 'xoxb-bench-token',
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: `${slack}/api/`,
      SLACK_TEAM_ID: 'T_GATEHOUSE',
      JIRA_HOST: jira,
      JIRA_EMAIL: 'gatehouse@bench.example',
      JIRA_API_TOKEN: 'bench-jira-token',
      JIRA_PROJECT_KEY: 'GATE',
    };
    const bundled = await bundlePromise;

    const workers: Child[] = [];
    let workerCount = 0;
    const startWorker = async () => {
      const w = startChild(`worker-${++workerCount}`, 'workers/main.ts', {
        ...common,
        GATEHOUSE_WORKFLOW_BUNDLE: bundled.gatehouse,
        GATEHOUSE_WORKER_STATS_MS: '1000',
        ...opts.workerEnv,
      });
      workers.push(w);
      await w.waitForLine(/worker stats/);
      return w;
    };
    started.push(async () => {
      await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    });
    log(`[stack] starting ${opts.workers} worker process(es) and ${apiCount === 1 ? 'the API' : `${apiCount} API processes`}…`);
    // One token drives every call (create and decide); the load is the point, so no rate limit.
    const apis = apiPorts.map((port, i) => {
      const url = `http://127.0.0.1:${port}`;
      const proc = startChild(apiCount === 1 ? 'api' : `api-${i + 1}`, 'api/main.ts', {
        ...common,
        PORT: String(port),
        GATEHOUSE_API_TOKENS: `bench:${token}:${API_SCOPES.join('+')}`,
        GATEHOUSE_RATE_LIMIT: '0',
        OKTA_EVENT_HOOK_SECRET: hookSecret,
        ...opts.apiEnv,
      });
      started.push(() => proc.kill('SIGTERM'));
      return { url, process: proc };
    });
    await Promise.all([...Array.from({ length: opts.workers }, () => startWorker()), ...apis.map((a) => waitHttp(`${a.url}/healthz`, a.process.name, a.process))]);

    let bare: Stack['bare'];
    if (opts.bare) {
      const bareQueue = `${taskQueue}-bare`;
      const proc = startChild('bare-worker', 'bench/bare/worker.ts', {
        TEMPORAL_ADDRESS: address,
        BARE_TASK_QUEUE: bareQueue,
        BARE_WORKFLOW_BUNDLE: bundled.bare,
        OKTA_ORG_URL: okta,
        OKTA_API_TOKEN: 'bench-okta-token',
        GATEHOUSE_WORKER_STATS_MS: '1000',
        // The Gatehouse worker's tuning (GATEHOUSE_MAX_CACHED_WORKFLOWS, …): the same load, the same knobs.
        ...opts.workerEnv,
      });
      started.push(() => proc.kill('SIGTERM'));
      await proc.waitForLine(/bare worker started/);
      bare = { process: proc, taskQueue: bareQueue };
    }

    const faults = async (system: 'okta' | 'slack' | 'jira', body: Record<string, unknown>) => {
      await post(`${{ okta, slack, jira }[system]}/_emulator/faults`, body);
    };
    return {
      address,
      server,
      cluster,
      api: { url: apiUrl, token, process: apis[0]!.process },
      hookSecret,
      apis,
      emulators: { okta, slack, jira, process: emu },
      workers,
      bare,
      taskQueue,
      auditStore: { databaseUrl: cluster?.auditDatabaseUrl, sqlitePath: join(opts.dataDir, 'audit.sqlite') },
      startWorker,
      faults,
      async setProfile(profile) {
        for (const system of ['okta', 'slack', 'jira'] as const) await faults(system, PROFILES[profile][system]);
      },
      async clearFaults() {
        for (const url of [okta, slack, jira]) await fetch(`${url}/_emulator/faults`, { method: 'DELETE' });
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
