/**
 * The risk-response workflows on the real dev server with the fake ports: the serializer continues
 * as new with its state and its unhandled events; a refused incident is said in the channel post;
 * a quarantine Okta refuses leaves the revocations alone.
 */
import { randomUUID } from 'node:crypto';
import { classifyFailure } from '../../activities/errors';
import { createFakePorts, type FakePorts } from '../../activities/fakes';
import { createRiskActivities, riskWorkflowsFromTemporal } from '../../activities/risk';
import { SA, userRiskWorkflowId } from '../../workflows/constants';
import type { RiskEventInput, RiskLevel } from '../../workflows/risk/event';
import { riskEventSignal, userRiskQuery } from '../../workflows/risk/messages';
import type { RiskPolicySnapshot } from '../../workflows/risk/types';
import type { userRiskWorkflow } from '../../workflows/risk/user-risk';
import { testPolicy } from '../helpers/policies';
import { connectHarness, createTestWorker, uniqueQueue, type TestHarness } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const POLICY: RiskPolicySnapshot = { quarantineGroupId: '00g_high_risk', mediumGroupId: '00g_medium_risk', securityChannel: '#security-alerts', incident: { projectKey: 'SEC', issueType: 'Incident' } };

let h: TestHarness;
beforeAll(async () => {
  h = await connectHarness();
});
afterAll(async () => {
  await h?.close();
});

let published = Date.now();
const event = (userId: string, login: string, level: RiskLevel): RiskEventInput => ({ uuid: randomUUID(), eventType: 'user.risk.detect', published: new Date(++published).toISOString(), kind: 'level', userId, login, level });

/** A worker on its own queue over fresh fake ports (changed by `prepare`), for the length of `run`. */
async function withWorker(prepare: (ports: FakePorts) => void, run: (ports: FakePorts, taskQueue: string) => Promise<void>): Promise<void> {
  const taskQueue = uniqueQueue('risk-wf');
  const ports = createFakePorts();
  prepare(ports);
  const activities = createRiskActivities({ okta: ports.okta, ledger: ports.audit, workflows: riskWorkflowsFromTemporal(h.client, taskQueue) });
  const { worker } = await createTestWorker(h, { taskQueue, ports, policy: testPolicy(), activities });
  await worker.runUntil(() => run(ports, taskQueue));
}

const signalWithStart = (taskQueue: string, e: RiskEventInput, eventsPerRun?: number) =>
  h.client.workflow.signalWithStart<typeof userRiskWorkflow, [{ event: RiskEventInput; policy: RiskPolicySnapshot }]>('userRiskWorkflow', {
    taskQueue,
    workflowId: userRiskWorkflowId(e.userId),
    args: [{ userId: e.userId, login: e.login, ...(eventsPerRun ? { eventsPerRun } : {}) }],
    signal: riskEventSignal,
    signalArgs: [{ event: e, policy: POLICY }],
  });

/**
 * A copy of a demo user under a login of its own. The Temporal server is shared by every suite and a
 * serializer ended at HIGH keeps its `high` status, so the API would refuse that user's requests in
 * later suites: these tests never raise a demo user.
 */
function cloneUser(ports: FakePorts, of: string): { userId: string; login: string } {
  const suffix = randomUUID().slice(0, 8);
  const userId = `${of}_${suffix}`;
  const login = `${of.replace(/^00u_/, '')}-${suffix}@example.com`;
  ports.okta.users.set(userId, { ...ports.okta.users.get(of)!, id: userId, login });
  return { userId, login };
}

const terminate = (workflowId: string) => h.client.workflow.getHandle(workflowId).terminate('test done').catch(() => undefined);

it('continues as new with its state, and goes on applying events in order', async () => {
  const userId = `00u_can_${randomUUID().slice(0, 8)}`;
  await withWorker(
    (ports) => void ports.okta.users.set(userId, { ...ports.okta.users.get('00u_erin')!, id: userId, login: `${userId}@example.com` }),
    async (_ports, taskQueue) => {
      const login = `${userId}@example.com`;
      const first = await signalWithStart(taskQueue, event(userId, login, 'MEDIUM'), 2);
      const firstRun = first.signaledRunId;
      for (const level of ['LOW', 'MEDIUM', 'HIGH', 'LOW'] as const) await signalWithStart(taskQueue, event(userId, login, level), 2);
      const handle = h.client.workflow.getHandle(userRiskWorkflowId(userId));
      const state = await waitFor(async () => {
        const s = await handle.query(userRiskQuery);
        return s.events.length === 5 && s.level === 'LOW' ? s : null;
      }, 'five events applied');
      expect(state.events.map((e) => e.outcome)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
      expect(state.quarantine).toBeNull();
      expect(state.medium).toBeNull();
      await waitFor(async () => (await handle.describe()).runId !== firstRun, 'a new run');
      await terminate(userRiskWorkflowId(userId));
    },
  );
});

it('says in the channel when the incident could not be opened; the revocation does not wait', async () => {
  let user = { userId: '', login: '' };
  await withWorker(
    (ports) => {
      user = cloneUser(ports, '00u_alice');
      ports.jira.createIssue = () => Promise.reject(classifyFailure('Jira', 400, 'project SEC does not exist'));
    },
    async (ports, taskQueue) => {
      await signalWithStart(taskQueue, event(user.userId, user.login, 'HIGH'));
      const handle = h.client.workflow.getHandle(userRiskWorkflowId(user.userId));
      const state = await waitFor(async () => {
        const s = await handle.query(userRiskQuery);
        return s.incident?.status === 'failed' ? s : null;
      }, 'the incident failed');
      expect(state.incident?.error).toContain('project SEC does not exist');
      expect(state.quarantine).toMatchObject({ by: 'gatehouse' });
      const post = await waitFor(() => ports.slack.messages.find((m) => m.channel === '#security-alerts' && m.updates === 1), 'the post updated');
      expect(post.text).toContain('Incident: could not be opened in Jira SEC');
      expect(ports.slack.messages.filter((m) => m.channel === '#security-alerts')).toHaveLength(1);
      expect(ports.mail.sent.map((m) => m.to)).toEqual([['bob@example.com']]);
      await terminate(userRiskWorkflowId(user.userId));
    },
  );
});

it('a quarantine group Okta refuses is recorded; the user is still HIGH and refused requests', async () => {
  let user = { userId: '', login: '' };
  await withWorker(
    (ports) => void (user = cloneUser(ports, '00u_carol')),
    async (ports, taskQueue) => {
      await h.client.workflow.signalWithStart<typeof userRiskWorkflow, [{ event: RiskEventInput; policy: RiskPolicySnapshot }]>('userRiskWorkflow', {
        taskQueue,
        workflowId: userRiskWorkflowId(user.userId),
        args: [{ userId: user.userId, login: user.login }],
        signal: riskEventSignal,
        signalArgs: [{ event: event(user.userId, user.login, 'HIGH'), policy: { ...POLICY, quarantineGroupId: '00g_does_not_exist' } }],
      });
      const handle = h.client.workflow.getHandle(userRiskWorkflowId(user.userId));
      const state = await waitFor(async () => {
        const s = await handle.query(userRiskQuery);
        return s.actions.some((a) => a.type === 'quarantine_failed') && s.incident?.status === 'open' ? s : null;
      }, 'the refusal recorded');
      expect(state).toMatchObject({ level: 'HIGH', quarantine: null });
      expect((await handle.describe()).typedSearchAttributes.get(SA.status)).toBe('high');
      await waitFor(() => ports.slack.messages.find((m) => m.text.includes('NOT quarantined')), 'the post says so');
      await terminate(userRiskWorkflowId(user.userId));
    },
  );
});
