/**
 * The risk-response paths for `npm run capture-histories` (scripts/capture-histories.ts): one
 * Okta event's workflow, a user's serializer through HIGH (grants revoked, a stale event, a
 * duplicate) and back to LOW, MEDIUM, an app rollback, and access reviews decided by the manager
 * and by the timeout. The user's serializer never ends: its history is taken once it is idle.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { ulid } from 'ulid';
import { createFakePorts, type FakePorts } from '../activities/fakes';
import { resolveRequest } from '../activities/policy/resolve';
import { createRiskActivities, riskWorkflowsFromTemporal } from '../activities/risk';
import { accessRequestWorkflow, riskEventWorkflow, type accessReviewWorkflow } from '../workflows';
import { statusQuery } from '../workflows/access-request/messages';
import { accessRequestWorkflowId, accessReviewWorkflowId, riskEventWorkflowId, userRiskWorkflowId } from '../workflows/constants';
import type { RiskEventInput, RiskLevel } from '../workflows/risk/event';
import { decideReviewUpdate, userRiskQuery } from '../workflows/risk/messages';
import type { HighRiskAppRule, RiskPolicySnapshot, UserRiskState } from '../workflows/risk/types';
import { testPolicy } from '../test/helpers/policies';
import { createTestWorker, uniqueQueue, type TestHarness } from '../test/helpers/temporal';
import { waitFor } from '../test/helpers/wait';

const POLICY: RiskPolicySnapshot = {
  quarantineGroupId: '00g_high_risk',
  mediumGroupId: '00g_medium_risk',
  securityChannel: '#security-alerts',
  incident: { projectKey: 'SEC', issueType: 'Incident' },
  reviewersGroupId: '00g_security',
};
const PAM: HighRiskAppRule = { id: '0oa_pam', name: 'Privileged access manager', onHigh: 'rollback', reviewTimeoutMs: 3_600_000, onTimeout: 'revoke' };
const PAYROLL: HighRiskAppRule = { id: '0oa_payroll', name: 'Payroll', onHigh: 'review', reviewTimeoutMs: 3_600_000, onTimeout: 'revoke' };
const WIKI: HighRiskAppRule = { id: '0oa_wiki', name: 'Internal wiki', onHigh: 'review', reviewTimeoutMs: 1500, onTimeout: 'revoke' };

interface Ctx {
  client: Client;
  taskQueue: string;
  ports: FakePorts;
  save(workflowId: string, name: string): void;
}

const USERS: Record<string, string> = { alice: '00u_alice', carol: '00u_carol', erin: '00u_erin' };
let published = Date.now();

function levelEvent(who: string, level: RiskLevel, at = ++published): RiskEventInput {
  return { uuid: randomUUID(), eventType: 'user.risk.detect', published: new Date(at).toISOString(), kind: 'level', userId: USERS[who]!, login: `${who}@example.com`, level, detectionName: 'Session Influenced User Risk', reasons: ['New Device', 'New IP'], orgUrl: 'https://acme.okta.com' };
}

function appEvent(who: string, app: HighRiskAppRule): RiskEventInput {
  return { uuid: randomUUID(), eventType: 'application.user_membership.add', published: new Date(++published).toISOString(), kind: 'app_assignment', userId: USERS[who]!, login: `${who}@example.com`, app: { id: app.id, name: app.name } };
}

async function deliver(ctx: Ctx, event: RiskEventInput, policy: RiskPolicySnapshot = POLICY): Promise<string> {
  const wf = await ctx.client.workflow.start(riskEventWorkflow, { taskQueue: ctx.taskQueue, workflowId: riskEventWorkflowId(event.uuid), args: [{ event, policy }] });
  await wf.result();
  return wf.workflowId;
}

/** Until the serializer has no activity pending and its last task is complete (its records are all written). */
async function idle(ctx: Ctx, workflowId: string, ok: (s: UserRiskState) => boolean = () => true): Promise<void> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  await waitFor(async () => {
    if (!ok(await handle.query(userRiskQuery))) return false;
    const desc = await handle.describe();
    return (desc.raw.pendingActivities ?? []).length === 0 && desc.raw.pendingWorkflowTask == null;
  }, `${workflowId} idle`);
}

async function grant(ctx: Ctx, requester: string): Promise<void> {
  const policy = testPolicy();
  const requestId = ulid();
  const input = { requestId, requester, resource: 'long-readonly', submittedAt: new Date().toISOString() };
  const resolution = await resolveRequest(policy, ctx.ports.okta, input);
  if (!resolution.ok) throw new Error(resolution.message);
  const wf = await ctx.client.workflow.start(accessRequestWorkflow, { taskQueue: ctx.taskQueue, workflowId: accessRequestWorkflowId(requestId), args: [{ ...input, resolved: resolution.resolved }] });
  await waitFor(async () => (await wf.query(statusQuery)).status === 'active', 'granted');
}

const scenarios: Array<{ name: string; run(ctx: Ctx): Promise<void> }> = [
  {
    // One event's workflow, and alice's serializer: HIGH with two grants (revoked), a duplicate and a stale LOW, then LOW.
    name: 'risk-event-delivered',
    async run(ctx) {
      await grant(ctx, 'alice@example.com');
      await grant(ctx, 'alice@example.com');
      const stale = levelEvent('alice', 'LOW');
      const high = levelEvent('alice', 'HIGH');
      ctx.save(await deliver(ctx, high), 'risk-event-delivered');
      await ctx.client.workflow.getHandle(userRiskWorkflowId('00u_alice')).signal('riskEvent', { event: high, policy: POLICY });
      await deliver(ctx, stale);
      await idle(ctx, userRiskWorkflowId('00u_alice'), (s) => s.incident?.status === 'open' && s.events.length === 2);
      await deliver(ctx, levelEvent('alice', 'LOW'));
      await idle(ctx, userRiskWorkflowId('00u_alice'), (s) => s.level === 'LOW');
      ctx.save(userRiskWorkflowId('00u_alice'), 'user-risk-high-stale-duplicate-then-low');
    },
  },
  {
    name: 'user-risk-medium-then-low',
    async run(ctx) {
      await deliver(ctx, levelEvent('erin', 'MEDIUM'));
      await idle(ctx, userRiskWorkflowId('00u_erin'), (s) => s.medium !== null);
      await deliver(ctx, levelEvent('erin', 'LOW'));
      await idle(ctx, userRiskWorkflowId('00u_erin'), (s) => s.level === 'LOW' && s.medium === null);
      ctx.save(userRiskWorkflowId('00u_erin'), 'user-risk-medium-then-low');
    },
  },
  {
    // carol at HIGH: PAM rolled back, Payroll reviewed (bob revokes), the wiki reviewed (times out).
    name: 'user-risk-app-assignments',
    async run(ctx) {
      await deliver(ctx, levelEvent('carol', 'HIGH'));
      await idle(ctx, userRiskWorkflowId('00u_carol'), (s) => s.incident?.status === 'open');
      await deliver(ctx, appEvent('carol', PAM), { ...POLICY, app: PAM });
      const payroll = appEvent('carol', PAYROLL);
      await deliver(ctx, payroll, { ...POLICY, app: PAYROLL });
      const review = ctx.client.workflow.getHandle<typeof accessReviewWorkflow>(accessReviewWorkflowId(payroll.uuid.toLowerCase()));
      await waitFor(async () => {
        try {
          return (await review.executeUpdate(decideReviewUpdate, { args: [{ reviewer: 'bob@example.com', decision: 'revoke', via: 'slack' }] })).status === 'revoked';
        } catch {
          return false;
        }
      }, 'the review decided');
      await review.result();
      ctx.save(review.workflowId, 'access-review-revoked-by-manager');
      const wiki = appEvent('carol', WIKI);
      await deliver(ctx, wiki, { ...POLICY, app: WIKI });
      const timedOut = ctx.client.workflow.getHandle<typeof accessReviewWorkflow>(accessReviewWorkflowId(wiki.uuid.toLowerCase()));
      await waitFor(async () => {
        try {
          return (await timedOut.describe()).status.name === 'COMPLETED';
        } catch {
          return false;
        }
      }, 'the review timed out');
      ctx.save(timedOut.workflowId, 'access-review-timed-out');
      await idle(ctx, userRiskWorkflowId('00u_carol'), (s) => s.reviews.length === 2);
      ctx.save(userRiskWorkflowId('00u_carol'), 'user-risk-app-rollback-and-reviews');
    },
  },
];

export async function captureRisk(h: TestHarness, outDir: string, cli: string, address: string, only: string[]): Promise<void> {
  for (const scenario of scenarios.filter((s) => only.length === 0 || only.includes(s.name))) {
    const taskQueue = uniqueQueue('capture-risk');
    const ports = createFakePorts();
    const activities = createRiskActivities({ okta: ports.okta, ledger: ports.audit, workflows: riskWorkflowsFromTemporal(h.client, taskQueue) });
    const { worker } = await createTestWorker(h, { taskQueue, ports, policy: testPolicy(), activities });
    const ctx: Ctx = {
      client: h.client,
      taskQueue,
      ports,
      save(workflowId, name) {
        const json = execFileSync(cli, ['workflow', 'show', '--address', address, '--workflow-id', workflowId, '--output', 'json'], { encoding: 'utf8' });
        writeFileSync(join(outDir, `${name}.json`), json);
        console.log(`${name}: ${(JSON.parse(json) as { events: unknown[] }).events.length} events`);
      },
    };
    await worker.runUntil(() => scenario.run(ctx));
    // The serializers never end: terminated here, after their histories were saved.
    for await (const wf of h.client.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` })) {
      await h.client.workflow.getHandle(wf.workflowId).terminate('capture done').catch(() => undefined);
    }
  }
}
