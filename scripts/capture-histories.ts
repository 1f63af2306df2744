/**
 * `npm run capture-histories`: runs every path of the access-request workflow (and the risk
 * response's, scripts/capture-risk-histories.ts) on a fresh dev server and writes each history to
 * test/replay/histories/, where the replay test guards them.
 * Run it after a deliberate, patched() change to add the new path's history; never to "fix" a
 * failing replay.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { ulid } from 'ulid';
import { classifyFailure } from '../activities/errors';
import { accessRequestWorkflow, reconcileWorkflow, temporaryAccountWorkflow } from '../workflows';
import { createReconcileActivities } from '../activities/audit/reconcile';
import { AuditStore } from '../activities/audit/store';
import { createFakePorts, type FakePorts } from '../activities/fakes';
import { resolveRequest } from '../activities/policy/resolve';
import { parsePolicy } from '../activities/policy/load';
import { approveUpdate, cancelUpdate, denyUpdate, extendUpdate, revokeSignal, revokeUpdate, statusQuery } from '../workflows/access-request/messages';
import { accessRequestWorkflowId, temporaryAccountWorkflowId } from '../workflows/constants';
import { resolveTemporaryAccount } from '../activities/policy/temporary-accounts';
import { accountStatusQuery, closeAccountUpdate, closeSignal, extendAccountUpdate } from '../workflows/temporary-account/messages';
import type { AccessRequestInput } from '../workflows/access-request/types';
import { testPolicy } from '../test/helpers/policies';
import { connectHarness, createTestWorker, uniqueQueue, type TestHarness } from '../test/helpers/temporal';
import { waitFor } from '../test/helpers/wait';
import { captureRisk } from './capture-risk-histories';
import { findTemporalCli } from './temporal-cli';
import { startDevServer } from './temporal-server';

type Handle = WorkflowHandle<typeof accessRequestWorkflow>;
interface Scenario {
  name: string;
  input: Partial<AccessRequestInput> & { resource: string };
  /** Changes the fake systems before the run (a refusal, an outage, a record). */
  prepare?(ports: FakePorts): Promise<void> | void;
  /** Start without the policy snapshot, as a direct start does: the workflow resolves by activity. */
  unresolved?: boolean;
  drive(wf: Handle): Promise<void>;
}

const until = (wf: Handle, status: string) => waitFor(async () => (await wf.query(statusQuery)).status === status, status);
const approve = (wf: Handle, approver: string) => wf.executeUpdate(approveUpdate, { args: [{ approver }] });
const none = async () => undefined;

export const scenarios: Scenario[] = [
  { name: 'one-step-approved-expired', input: { resource: 'one-step' }, drive: async (wf) => void (await approve(wf, 'bob@example.com')) },
  {
    name: 'two-steps-approved-extended-expired',
    input: { resource: 'prod-db-admin', durationMs: 1500 },
    async drive(wf) {
      await approve(wf, 'bob@example.com');
      await approve(wf, 'carol@example.com');
      await until(wf, 'active');
      await wf.executeUpdate(extendUpdate, { args: [{ actor: 'alice@example.com', durationMs: 1000 }] });
    },
  },
  {
    name: 'approved-in-slack',
    input: { resource: 'prod-db-admin', durationMs: 1000, via: 'slack' },
    async drive(wf) {
      await wf.executeUpdate(approveUpdate, { args: [{ approver: 'bob@example.com', via: 'slack' }], updateId: 'slack:approve:capture:1' });
      await wf.executeUpdate(approveUpdate, { args: [{ approver: 'carol@example.com', via: 'slack' }], updateId: 'slack:approve:capture:2' });
    },
  },
  { name: 'auto-approved-expired', input: { resource: 'long-readonly', durationMs: 1000 }, drive: none },
  { name: 'auto-approved-expired-with-warning', input: { resource: 'aws-readonly', durationMs: 2000 }, drive: none },
  { name: 'resolved-by-activity', input: { resource: 'aws-readonly', durationMs: 1000 }, unresolved: true, drive: none },
  { name: 'denied', input: { resource: 'prod-db-admin' }, drive: async (wf) => void (await wf.executeUpdate(denyUpdate, { args: [{ approver: 'bob@example.com', reason: 'no' }] })) },
  { name: 'cancelled-by-requester', input: { resource: 'prod-db-admin' }, drive: async (wf) => void (await wf.executeUpdate(cancelUpdate, { args: [{ actor: 'alice@example.com' }] })) },
  { name: 'cancelled-by-signal-while-pending', input: { resource: 'prod-db-admin' }, drive: (wf) => wf.signal(revokeSignal, { actor: 'system:risk' }) },
  { name: 'approval-timed-out-with-reminders', input: { resource: 'hurry' }, drive: none },
  {
    name: 'revoked-by-update',
    input: { resource: 'long-readonly' },
    async drive(wf) {
      await until(wf, 'active');
      await wf.executeUpdate(revokeUpdate, { args: [{ actor: 'alice@example.com', reason: 'done' }] });
    },
  },
  {
    name: 'revoked-by-signal',
    input: { resource: 'long-readonly' },
    async drive(wf) {
      await until(wf, 'active');
      await wf.signal(revokeSignal, { actor: 'system:risk', reason: 'risk' });
    },
  },
  {
    name: 'workflow-cancelled-while-active',
    input: { resource: 'long-readonly' },
    async drive(wf) {
      await until(wf, 'active');
      await wf.cancel();
    },
  },
  {
    name: 'standing-member-allowlisted',
    input: { resource: 'prod-db-admin', requester: 'dave@example.com', durationMs: 1000 },
    prepare: (ports) =>
      void ports.audit.putStandingRecord(
        { userId: '00u_dave', groupId: '00g_prod_db_admin', login: 'dave@example.com', source: 'allowlist', by: 'admin@example.com', at: new Date().toISOString(), reason: 'capture' },
        { id: 'capture-allowlist', requestId: 'standing', seq: 0, type: 'standing_member_added', actor: 'admin@example.com', resource: '', at: new Date().toISOString() },
      ),
    async drive(wf) {
      await approve(wf, 'bob@example.com');
      await approve(wf, 'carol@example.com');
    },
  },
  { name: 'drift-at-grant', input: { resource: 'aws-readonly', durationMs: 1000 }, prepare: (ports) => ports.okta.addUserToGroup('00g_aws_ro', '00u_alice'), drive: none },
  {
    name: 'late-add-removed',
    input: { resource: 'long-readonly' },
    prepare(ports) {
      const add = ports.okta.addUserToGroup.bind(ports.okta);
      let attempts = 0;
      ports.okta.addUserToGroup = async (groupId, userId) => {
        if (++attempts === 1) {
          setTimeout(() => void add(groupId, userId), 2000);
          throw classifyFailure('Okta', undefined, 'socket hang up');
        }
        await add(groupId, userId);
      };
    },
    async drive(wf) {
      await until(wf, 'active');
      await wf.executeUpdate(revokeUpdate, { args: [{ actor: 'alice@example.com' }] });
    },
  },
  { name: 'failed-resolution', input: { resource: 'prod-db-admin', requester: 'erin@example.com' }, unresolved: true, drive: none },
  {
    name: 'failed-grant-refused-by-okta',
    input: { resource: 'aws-readonly' },
    prepare: (ports) => void (ports.okta.addUserToGroup = () => Promise.reject(classifyFailure('Okta', 404, 'group gone'))),
    drive: none,
  },
  {
    name: 'side-effects-failing',
    input: { resource: 'aws-readonly', durationMs: 1000 },
    prepare(ports) {
      ports.jira.createIssue = () => Promise.reject(classifyFailure('Jira', 400, 'no project'));
      ports.slack.postMessage = () => Promise.reject(classifyFailure('Slack', 400, 'channel_not_found'));
    },
    drive: none,
  },
];

async function capture(h: TestHarness, s: Scenario, outDir: string, cli: string, address: string) {
  const taskQueue = uniqueQueue('capture');
  const ports = createFakePorts();
  await s.prepare?.(ports);
  const policy = testPolicy();
  const { worker } = await createTestWorker(h, { taskQueue, ports, policy });
  await worker.runUntil(async () => {
    const requestId = ulid();
    const base = { requestId, requester: 'alice@example.com', justification: 'OPS-7 capture', submittedAt: new Date().toISOString(), ...s.input };
    // As the API does: resolved once where the request enters, the snapshot in the input.
    const resolution = s.unresolved ? undefined : await resolveRequest(policy, ports.okta, base);
    const input = resolution?.ok ? { ...base, resolved: resolution.resolved } : base;
    const wf = await h.client.workflow.start(accessRequestWorkflow, { taskQueue, workflowId: accessRequestWorkflowId(requestId), args: [input] });
    await s.drive(wf);
    const final = await wf.result();
    // The CLI writes the canonical JSON form that historyFromJSON reads back.
    const json = execFileSync(cli, ['workflow', 'show', '--address', address, '--workflow-id', wf.workflowId, '--output', 'json'], { encoding: 'utf8' });
    writeFileSync(join(outDir, `${s.name}.json`), json);
    console.log(`${s.name}: ${final.status}, ${(JSON.parse(json) as { events: unknown[] }).events.length} events`);
  });
}

type AccountHandle = WorkflowHandle<typeof temporaryAccountWorkflow>;
interface AccountScenario {
  name: string;
  validity: number;
  prepare?(ports: FakePorts): void;
  drive(wf: AccountHandle): Promise<void>;
}
const accountActive = (wf: AccountHandle) => waitFor(async () => (await wf.query(accountStatusQuery)).status === 'active', 'active');

/** Every path of the temporary-account workflow (test policy: validity 4s or 24h, warning 2s). */
export const accountScenarios: AccountScenario[] = [
  {
    name: 'temporary-account-warned-extended-expired',
    validity: 4000,
    async drive(wf) {
      await accountActive(wf);
      await wf.executeUpdate(extendAccountUpdate, { args: [{ actor: 'bob@example.com', durationMs: 1000 }] });
    },
  },
  {
    name: 'temporary-account-closed-by-update',
    validity: 86_400_000,
    async drive(wf) {
      await accountActive(wf);
      await wf.executeUpdate(closeAccountUpdate, { args: [{ actor: 'bob@example.com', reason: 'left early' }] });
    },
  },
  {
    name: 'temporary-account-closed-by-risk-signal',
    validity: 86_400_000,
    async drive(wf) {
      await accountActive(wf);
      await wf.signal(closeSignal, { actor: 'system:risk', reason: 'risk: HIGH', via: 'okta-hook' });
    },
  },
  {
    name: 'temporary-account-workflow-cancelled',
    validity: 86_400_000,
    async drive(wf) {
      await accountActive(wf);
      await wf.cancel();
    },
  },
  {
    name: 'temporary-account-login-taken-at-create',
    validity: 86_400_000,
    prepare(ports) {
      const create = ports.okta.createUserWithTemporaryPassword.bind(ports.okta);
      let calls = 0;
      ports.okta.createUserWithTemporaryPassword = (input) => (++calls === 1 ? Promise.reject(classifyFailure('Okta', 409, `the login ${input.login} is taken by another user`)) : create(input));
    },
    async drive(wf) {
      await accountActive(wf);
      await wf.executeUpdate(closeAccountUpdate, { args: [{ actor: 'bob@example.com' }] });
    },
  },
  {
    name: 'temporary-account-failed-create',
    validity: 86_400_000,
    prepare: (ports) => void (ports.okta.createUserWithTemporaryPassword = () => Promise.reject(classifyFailure('Okta', 400, 'Api validation failed: gatehouseTemporary'))),
    drive: async () => undefined,
  },
];

async function captureAccount(h: TestHarness, s: AccountScenario, outDir: string, cli: string, address: string) {
  const taskQueue = uniqueQueue('capture');
  const ports = createFakePorts();
  s.prepare?.(ports);
  const policy = testPolicy();
  const { worker } = await createTestWorker(h, { taskQueue, ports, policy });
  await worker.runUntil(async () => {
    const accountId = ulid();
    const resolution = await resolveTemporaryAccount(policy, ports.okta, { manager: 'bob@example.com', validityMs: s.validity, groups: ['paris-shared-inbox'] });
    if (!resolution.ok) throw new Error(resolution.message);
    const input = { accountId, manager: 'bob@example.com', firstName: 'Élodie', lastName: 'Lefèvre', personalEmail: 'elodie@example.net', validityMs: s.validity, groups: ['paris-shared-inbox'], reason: 'capture', submittedAt: new Date().toISOString(), resolved: resolution.resolved };
    const wf = await h.client.workflow.start(temporaryAccountWorkflow, { taskQueue, workflowId: temporaryAccountWorkflowId(accountId), args: [input] });
    await s.drive(wf);
    const final = await wf.result();
    const json = execFileSync(cli, ['workflow', 'show', '--address', address, '--workflow-id', wf.workflowId, '--output', 'json'], { encoding: 'utf8' });
    writeFileSync(join(outDir, `${s.name}.json`), json);
    console.log(`${s.name}: ${final.status}, ${(JSON.parse(json) as { events: unknown[] }).events.length} events`);
  });
}

/**
 * The drift reconciliation path: baselines already recorded, then one member to report (policy
 * report) and one to remove (policy remove), and the Slack report to the security channel.
 */
const RECONCILE_SCENARIO = 'reconcile-drift-reported-and-removed';
async function captureReconcile(h: TestHarness, outDir: string, cli: string, address: string) {
  const taskQueue = uniqueQueue('capture');
  const policy = parsePolicy(
    `resources:
  prod-db-admin: { name: Prod DB, okta: { groupId: 00g_prod_db_admin }, duration: { default: 1h, max: 2h }, approval: { auto: true } }
  aws-readonly: { name: AWS RO, okta: { groupId: 00g_aws_ro }, duration: { default: 1h, max: 2h }, approval: { auto: true }, reconcile: remove }
`,
    'capture-reconcile.yaml',
  );
  const ports = createFakePorts();
  const store = new AuditStore({ sqlitePath: join(mkdtempSync(join(tmpdir(), 'gatehouse-capture-')), 'audit.sqlite') });
  await store.recordBaseline('00g_prod_db_admin', [{ login: 'dave@example.com', userId: '00u_dave' }]);
  await store.recordBaseline('00g_aws_ro', []);
  await ports.okta.addUserToGroup('00g_prod_db_admin', '00u_erin');
  await ports.okta.addUserToGroup('00g_aws_ro', '00u_frank');
  const activities = createReconcileActivities({ okta: ports.okta, store, policy: () => policy, workflowStatus: async () => 'RUNNING' });
  const { worker } = await createTestWorker(h, { taskQueue, ports: { ...ports, audit: store } as unknown as FakePorts, policy, activities });
  await worker.runUntil(async () => {
    const wf = await h.client.workflow.start(reconcileWorkflow, { taskQueue, workflowId: `gatehouse-reconcile-capture-${ulid()}`, args: [{ reason: 'capture' }] });
    const result = await wf.result();
    const json = execFileSync(cli, ['workflow', 'show', '--address', address, '--workflow-id', wf.workflowId, '--output', 'json'], { encoding: 'utf8' });
    writeFileSync(join(outDir, `${RECONCILE_SCENARIO}.json`), json);
    console.log(`${RECONCILE_SCENARIO}: ${result.groups.map((g) => `${g.groupId} ${g.unexplained.length}`).join(', ')}, ${(JSON.parse(json) as { events: unknown[] }).events.length} events`);
  });
  await store.close();
}

async function main() {
  const outDir = join(__dirname, '..', 'test', 'replay', 'histories');
  mkdirSync(outDir, { recursive: true });
  const cli = await findTemporalCli();
  const server = await startDevServer({ cliPath: cli, headless: true, fastTimers: true });
  const h = await connectHarness(server.address);
  try {
    // `npm run capture-histories -- <name>…` captures only those paths and leaves the other files alone.
    const only = process.argv.slice(2);
    for (const s of scenarios.filter((x) => only.length === 0 || only.includes(x.name))) await capture(h, s, outDir, cli, server.address);
    if (only.length === 0 || only.includes(RECONCILE_SCENARIO)) await captureReconcile(h, outDir, cli, server.address);
    for (const s of accountScenarios.filter((x) => only.length === 0 || only.includes(x.name))) await captureAccount(h, s, outDir, cli, server.address);
    await captureRisk(h, outDir, cli, server.address, only);
  } finally {
    await h.close();
    await server.stop();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
