/**
 * accessRequestWorkflow on a real Temporal dev server, with the real activities over in-memory
 * ports. Each test fails if the rule it names breaks.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type Duration } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { ulid } from 'ulid';
import type { Activities } from '../../activities';
import { createFakePorts, type FakePorts } from '../../activities/fakes';
import { classifyFailure } from '../../activities/errors';
import { resolveRequest } from '../../activities/policy/resolve';
import { accessRequestWorkflowId, SA } from '../../workflows/constants';
import {
  approveUpdate,
  cancelUpdate,
  denyUpdate,
  extendUpdate,
  revokeSignal,
  revokeUpdate,
  statusQuery,
} from '../../workflows/access-request/messages';
import type { AccessRequestInput, RequestState } from '../../workflows/access-request/types';
import { accessRequestWorkflow } from '../../workflows';
import { connectHarness, createTestWorker, uniqueQueue, type TestHarness } from '../helpers/temporal';
import { testPolicy } from '../helpers/policies';
import { workflowCode } from '../../workers/workflow-code';
import { waitFor } from '../helpers/wait';

let h: TestHarness;
beforeAll(async () => {
  h = await connectHarness();
});
afterAll(async () => {
  await h?.close();
});

const EventType = temporal.api.enums.v1.EventType;
const PROD = '00g_prod_db_admin';
const AWS = '00g_aws_ro';

interface Run {
  ports: FakePorts;
  start(input: Partial<AccessRequestInput> & { resource: string; requester?: string }, options?: { workflowTaskTimeout?: Duration }): Promise<WorkflowHandle<typeof accessRequestWorkflow>>;
}

/** Runs `fn` with a worker on a fresh queue and fresh fake ports. */
async function withWorker(fn: (run: Run) => Promise<void>, activities: Partial<Activities> = {}, ports?: FakePorts): Promise<void> {
  const taskQueue = uniqueQueue('wf');
  const { worker, ports: p } = await createTestWorker(h, { taskQueue, activities, ports, policy: testPolicy() });
  const run: Run = {
    ports: p,
    async start(input, options = {}) {
      const requestId = ulid();
      return h.client.workflow.start(accessRequestWorkflow, {
        ...options,
        taskQueue,
        workflowId: accessRequestWorkflowId(requestId),
        args: [{ requestId, requester: 'alice@example.com', justification: 'OPS-42 incident', ...input }],
      });
    },
  };
  await worker.runUntil(fn(run));
}

const status = (wf: WorkflowHandle) => wf.query(statusQuery);
const allowlist = (ports: FakePorts, userId: string, login: string, groupId: string) =>
  ports.audit.putStandingRecord(
    { userId, groupId, login, source: 'allowlist', by: 'admin@example.com', at: new Date().toISOString(), reason: 'test' },
    { id: `allowlist:${userId}:${groupId}`, requestId: `standing-${userId}`, seq: 0, type: 'standing_member_added', actor: 'admin@example.com', resource: '', at: new Date().toISOString() },
  );
const statusIs = (wf: WorkflowHandle, s: RequestState['status']) => waitFor(async () => (await status(wf)).status === s, `status ${s}`);
const resolvedOf = (wf: WorkflowHandle) => waitFor(async () => (await status(wf)).resolved, 'resolution');

async function rejection(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
    throw err;
  }
  throw new Error('expected the update to be rejected');
}

async function approveBoth(wf: WorkflowHandle) {
  await resolvedOf(wf);
  await wf.executeUpdate(approveUpdate, { args: [{ approver: 'bob@example.com' }] });
  return wf.executeUpdate(approveUpdate, { args: [{ approver: 'carol@example.com', via: 'slack' }] });
}

describe('accessRequestWorkflow', () => {
  it('walks the full lifecycle: two steps, grant, durable expiry, revoke, Jira closed, audit complete', () =>
    withWorker(async ({ ports, start }) => {
      const wf = await start({ resource: 'prod-db-admin', durationMs: 2000 });
      const r = await resolvedOf(wf);
      expect(r.steps.map((s) => s.approvers)).toEqual([['bob@example.com'], ['carol@example.com']]);
      expect(ports.okta.memberLogins(PROD)).toEqual(['dave@example.com']);
      const afterFirst = await wf.executeUpdate(approveUpdate, { args: [{ approver: 'bob@example.com' }] });
      expect(afterFirst.status).toBe('pending_approval');
      expect(afterFirst.currentStep).toBe(1);
      await wf.executeUpdate(approveUpdate, { args: [{ approver: 'carol@example.com', via: 'slack' }] });
      await statusIs(wf, 'active');
      expect(ports.okta.memberLogins(PROD)).toEqual(['alice@example.com', 'dave@example.com']);

      const final = await wf.result();
      expect(final.status).toBe('expired');
      expect(final.standingMember).toBe(false);
      expect(Date.parse(final.endedAt!)).toBeGreaterThanOrEqual(Date.parse(final.expiresAt!));
      expect(ports.okta.memberLogins(PROD)).toEqual(['dave@example.com']);
      expect(final.approvals.map((a) => [a.step, a.approver, a.via])).toEqual([
        [1, 'bob@example.com', 'http'],
        [2, 'carol@example.com', 'slack'],
      ]);
      // One Jira ticket, commented and Done; approvers were asked in Slack and the messages updated.
      expect(ports.jira.issues).toHaveLength(1);
      expect(ports.jira.issues[0]!.status).toBe('Done');
      expect(ports.jira.issues[0]!.comments.join('\n')).toMatch(/Approved by bob@example\.com.*step 1 of 2/);
      expect(final.jira?.key).toBe(ports.jira.issues[0]!.key);
      expect(ports.slack.dmsTo('U_BOB').length).toBeGreaterThan(0);
      expect(ports.slack.messages.some((m) => m.channel === '#access-approvals' && m.updates > 0 && /Approved by carol/.test(m.text))).toBe(true);
      expect(ports.slack.dmsTo('U_ALICE').map((m) => m.text).join('\n')).toMatch(/active until/);
      // The audit trail is complete, ordered and free of duplicates.
      const trail = ports.audit.trail(final.requestId);
      expect(trail.map((e) => e.type)).toEqual(['requested', 'resolved', 'approval_step_opened', 'approved', 'approval_step_opened', 'approved', 'granted', 'expiry_warned', 'expired']);
      expect(trail.map((e) => e.seq)).toEqual(trail.map((_, i) => i + 1));
      expect(final.sideEffectFailures).toEqual([]);
    }));

  it('rejects bad decisions in the validator, leaving no trace in history', () =>
    withWorker(async ({ start }) => {
      const wf = await start({ resource: 'prod-db-admin' });
      await resolvedOf(wf);
      expect(await rejection(wf.executeUpdate(approveUpdate, { args: [{ approver: 'alice@example.com' }] }))).toBe('SelfApproval');
      expect(await rejection(wf.executeUpdate(approveUpdate, { args: [{ approver: 'erin@example.com' }] }))).toBe('NotAnApprover');
      expect(await rejection(wf.executeUpdate(approveUpdate, { args: [{ approver: 'carol@example.com' }] }))).toBe('NotAnApprover');
      expect(await rejection(wf.executeUpdate(denyUpdate, { args: [{ approver: 'erin@example.com' }] }))).toBe('NotAnApprover');
      await wf.executeUpdate(approveUpdate, { args: [{ approver: 'bob@example.com' }] });
      expect(await rejection(wf.executeUpdate(approveUpdate, { args: [{ approver: 'bob@example.com' }] }))).toBe('AlreadyDecided');
      const history = await wf.fetchHistory();
      const accepted = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
      expect(accepted).toHaveLength(1);
      await wf.executeUpdate(cancelUpdate, { args: [{ actor: 'alice@example.com' }] });
      expect((await wf.result()).status).toBe('cancelled');
    }));

  it('treats a repeated update id as the same decision (a double click approves once)', () =>
    withWorker(async ({ start }) => {
      const wf = await start({ resource: 'prod-db-admin' });
      await resolvedOf(wf);
      const click = () => wf.executeUpdate(approveUpdate, { args: [{ approver: 'bob@example.com', via: 'slack' }], updateId: 'slack-action-123' });
      await Promise.all([click(), click()]);
      expect((await status(wf)).approvals).toHaveLength(1);
      await wf.signal(revokeSignal, { actor: 'alice@example.com', reason: 'never mind' });
      expect((await wf.result()).status).toBe('cancelled');
    }));

  it('needs `count` distinct approvers in a step', () =>
    withWorker(async ({ ports, start }) => {
      const wf = await start({ resource: 'two-of-three' });
      await resolvedOf(wf);
      await wf.executeUpdate(approveUpdate, { args: [{ approver: 'carol@example.com' }] });
      expect((await status(wf)).status).toBe('pending_approval');
      await wf.executeUpdate(approveUpdate, { args: [{ approver: 'frank@example.com' }] });
      await statusIs(wf, 'active');
      expect(ports.okta.memberLogins(AWS)).toContain('alice@example.com');
      await wf.executeUpdate(revokeUpdate, { args: [{ actor: 'alice@example.com' }] });
      expect((await wf.result()).status).toBe('revoked');
    }));

  it('ends as denied on one denial, and never grants', () =>
    withWorker(async ({ ports, start }) => {
      const wf = await start({ resource: 'prod-db-admin' });
      await resolvedOf(wf);
      await wf.executeUpdate(approveUpdate, { args: [{ approver: 'bob@example.com' }] });
      const denied = await wf.executeUpdate(denyUpdate, { args: [{ approver: 'carol@example.com', reason: 'use the read replica' }] });
      expect(denied.status).toBe('denied');
      const final = await wf.result();
      expect(final.endReason).toMatch(/carol.*read replica/);
      expect(ports.okta.calls.filter((c) => c.startsWith('add'))).toEqual([]);
      expect(await ports.audit.openLeases()).toEqual([]);
      expect(ports.jira.issues[0]!.status).toBe('Done');
      // The workflow has closed: the server itself refuses further updates.
      await expect(wf.executeUpdate(approveUpdate, { args: [{ approver: 'carol@example.com' }] })).rejects.toThrow(/already completed/);
    }));

  it('times out without a decision, after reminding the approvers with backoff', () =>
    withWorker(async ({ ports, start }) => {
      const wf = await start({ resource: 'hurry' });
      const final = await wf.result();
      expect(final.status).toBe('approval_timed_out');
      // 400 ms, then +800 ms, then +1600 ms would pass the 2.5 s deadline: exactly two reminders.
      expect(final.remindersSent).toBe(2);
      // The request and two reminders; on timeout every copy says so and loses its buttons.
      const toDave = ports.slack.dmsTo('U_DAVE');
      expect(toDave).toHaveLength(3);
      expect(toDave.every((m) => /Timed out/.test(m.text) && m.updates === 1)).toBe(true);
      expect(ports.audit.trail(final.requestId).map((e) => e.type)).toEqual(['requested', 'resolved', 'approval_step_opened', 'reminder_sent', 'reminder_sent', 'approval_timed_out']);
    }));

  it('lets only the requester cancel a pending request', () =>
    withWorker(async ({ start }) => {
      const wf = await start({ resource: 'prod-db-admin' });
      await resolvedOf(wf);
      expect(await rejection(wf.executeUpdate(cancelUpdate, { args: [{ actor: 'bob@example.com' }] }))).toBe('NotRequester');
      const view = await wf.executeUpdate(cancelUpdate, { args: [{ actor: 'alice@example.com' }] });
      expect(view.status).toBe('cancelled');
      expect((await wf.result()).status).toBe('cancelled');
    }));

  it('leaves a standing member (an allowlist record) in the group after the grant ends', () =>
    withWorker(async ({ ports, start }) => {
      await allowlist(ports, '00u_dave', 'dave@example.com', PROD);
      const wf = await start({ resource: 'prod-db-admin', requester: 'dave@example.com', durationMs: 1000 });
      await resolvedOf(wf);
      await wf.executeUpdate(approveUpdate, { args: [{ approver: 'bob@example.com' }] });
      await wf.executeUpdate(approveUpdate, { args: [{ approver: 'carol@example.com' }] });
      const final = await wf.result();
      expect(final.status).toBe('expired');
      expect(final.standingMember).toBe(true);
      expect(ports.okta.memberLogins(PROD)).toEqual(['dave@example.com']);
      expect(ports.okta.calls.filter((c) => c.startsWith('remove'))).toEqual([]);
      expect(ports.audit.events.some((e) => e.type === 'drift_detected')).toBe(false);
    }));

  // ---- issue 10: whose membership it is

  it('does not take "already in the group" for standing access: drift is reported and ends with the grant', () =>
    withWorker(async ({ ports, start }) => {
      // A membership Gatehouse never gave (left behind, or added behind its back), no standing record.
      await ports.okta.addUserToGroup(AWS, '00u_alice');
      const wf = await start({ resource: 'aws-readonly', durationMs: 1000 });
      const final = await wf.result();
      expect(final.status).toBe('expired');
      expect(final.standingMember).toBe(false);
      expect(final.driftAtGrant).toBe(true);
      expect(ports.okta.memberLogins(AWS)).toEqual([]);
      const drift = ports.audit.events.find((e) => e.type === 'drift_detected' && e.requestId === final.requestId);
      expect(drift?.details).toMatchObject({ groupId: AWS, userId: '00u_alice' });
      expect(ports.slack.messages.some((m) => m.channel === '#security-alerts' && /already in Okta group 00g_aws_ro/.test(m.text))).toBe(true);
      expect([...ports.audit.standing.values()]).toEqual([]);
    }));

  it('two resources on one group: the first grant ending leaves the membership the second still holds', () =>
    withWorker(async ({ ports, start }) => {
      const long = await start({ resource: 'long-readonly' });
      await statusIs(long, 'active');
      const short = await start({ resource: 'aws-readonly', durationMs: 1000 });
      const ended = await short.result();
      expect(ended.status).toBe('expired');
      expect(ended.driftAtGrant).toBe(false);
      expect(ports.okta.memberLogins(AWS)).toEqual(['alice@example.com']);
      expect((await status(long)).status).toBe('active');
      await long.executeUpdate(revokeUpdate, { args: [{ actor: 'alice@example.com' }] });
      expect((await long.result()).status).toBe('revoked');
      expect(ports.okta.memberLogins(AWS)).toEqual([]);
      expect(await ports.audit.openLeases({ groupId: AWS })).toEqual([]);
    }));

  it('an add that lands late, after an early revoke, is removed again (late_add_removed)', () => {
    const fakes = createFakePorts();
    const add = fakes.okta.addUserToGroup.bind(fakes.okta);
    let attempts = 0;
    // The first attempt's request reaches Okta but its answer never comes back: Okta applies the
    // add 3 s later, after the retry succeeded and the grant was revoked.
    fakes.okta.addUserToGroup = async (groupId, userId) => {
      if (++attempts === 1) {
        setTimeout(() => void add(groupId, userId), 3000);
        throw classifyFailure('Okta', undefined, 'socket hang up');
      }
      await add(groupId, userId);
    };
    return withWorker(
      async ({ ports, start }) => {
        const wf = await start({ resource: 'long-readonly' });
        await statusIs(wf, 'active');
        await wf.executeUpdate(revokeUpdate, { args: [{ actor: 'alice@example.com' }] });
        const final = await wf.result();
        expect(final.status).toBe('revoked');
        expect(ports.okta.memberLogins(AWS)).toEqual([]);
        expect(ports.audit.trail(final.requestId).map((e) => e.type)).toContain('late_add_removed');
      },
      {},
      fakes,
    );
  });

  it('a grant whose Okta add outlives its workflow task and the grant itself replays the way it ran', () => {
    // Found by chaos: a local activity longer than 80 % of the task timeout makes the SDK complete
    // the task empty and take a new one. A replay merges those tasks and runs the first one's code
    // at the second one's clock: the grant's end taken from that clock moved on replay, and the
    // hold started a timer where the run had revoked ("Missing associated machine for
    // LocalActivity(3)"). The grant starts in the first task, as when the API resolved it.
    const fakes = createFakePorts();
    const add = fakes.okta.addUserToGroup.bind(fakes.okta);
    fakes.okta.addUserToGroup = async (groupId, userId) => {
      await new Promise((r) => setTimeout(r, 2500));
      await add(groupId, userId);
    };
    return withWorker(
      async ({ ports, start }) => {
        const resolution = await resolveRequest(testPolicy(), fakes.okta, { requester: 'alice@example.com', resource: 'aws-readonly', durationMs: 1000 });
        if (!resolution.ok) throw new Error(resolution.message);
        const wf = await start({ resource: 'aws-readonly', durationMs: 1000, resolved: resolution.resolved }, { workflowTaskTimeout: '2s' });
        const final = await wf.result();
        expect(final.status).toBe('expired');
        expect(ports.okta.memberLogins(AWS)).toEqual([]);
        const history = await wf.fetchHistory();
        const types = history.events!.map((e) => e.eventType);
        const firstMarker = types.indexOf(EventType.EVENT_TYPE_MARKER_RECORDED);
        // The task was heartbeated while the add ran: two task completions before its marker.
        expect(types.slice(0, firstMarker).filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length).toBeGreaterThanOrEqual(2);
        await Worker.runReplayHistory(workflowCode(process.env.GATEHOUSE_TEST_BUNDLE), history, wf.workflowId);
      },
      {},
      fakes,
    );
  });

  it('a request cancelled while Jira is down still gets its ticket once Jira is back', () => {
    // Found by chaos: the records batch was cancelled with the workflow, and the ticket it was
    // still trying to open (Jira in an outage) was never opened.
    const fakes = createFakePorts();
    const create = fakes.jira.createIssue.bind(fakes.jira);
    let jiraUp = false;
    fakes.jira.createIssue = async (input) => {
      if (!jiraUp) throw classifyFailure('Jira', 503, 'Service Unavailable');
      return create(input);
    };
    return withWorker(
      async ({ ports, start }) => {
        const wf = await start({ resource: 'long-readonly' });
        await statusIs(wf, 'active');
        await wf.cancel();
        await waitFor(async () => (await wf.describe()).status.name === 'COMPLETED' || ports.okta.memberLogins(AWS).length === 0, 'the grant ended');
        jiraUp = true;
        const final = await wf.result();
        expect(final.status).toBe('revoked');
        expect(ports.jira.issues.filter((i) => i.labels.includes(`gatehouse-${final.requestId.toLowerCase()}`))).toHaveLength(1);
      },
      {},
      fakes,
    );
  });

  it('a workflow cancelled while the add is in flight still ends with the user out of the group', () => {
    const fakes = createFakePorts();
    const add = fakes.okta.addUserToGroup.bind(fakes.okta);
    let release: (() => void) | undefined;
    // The add is held (Okta slow); the workflow is cancelled meanwhile; the add then lands.
    fakes.okta.addUserToGroup = async (groupId, userId) => {
      await new Promise<void>((r) => (release = r));
      await add(groupId, userId);
    };
    return withWorker(
      async ({ ports, start }) => {
        const wf = await start({ resource: 'long-readonly' });
        await waitFor(() => release, 'the add to be in flight');
        await wf.cancel();
        setTimeout(() => release!(), 2000);
        const final = await wf.result();
        expect(final.status).toBe('revoked');
        expect(ports.okta.memberLogins(AWS)).toEqual([]);
        expect(await ports.audit.openLeases({ groupId: AWS })).toEqual([]);
      },
      {},
      fakes,
    );
  });

  it('extends the durable timer within policy and refuses past it', () =>
    withWorker(async ({ start }) => {
      const wf = await start({ resource: 'prod-db-admin', durationMs: 2000 });
      await approveBoth(wf);
      const active = await waitFor(async () => ((await status(wf)).status === 'active' ? status(wf) : undefined), 'active');
      expect(await rejection(wf.executeUpdate(extendUpdate, { args: [{ actor: 'bob@example.com', durationMs: 1000 }] }))).toBe('NotRequester');
      // maxTotal 6s: 2s granted + 5s would be 7s.
      expect(await rejection(wf.executeUpdate(extendUpdate, { args: [{ actor: 'alice@example.com', durationMs: 4500 }] }))).toBe('BeyondPolicy');
      const extended = await wf.executeUpdate(extendUpdate, { args: [{ actor: 'alice@example.com', durationMs: 2000 }] });
      expect(Date.parse(extended.expiresAt!)).toBe(Date.parse(active.expiresAt!) + 2000);
      expect(await rejection(wf.executeUpdate(extendUpdate, { args: [{ actor: 'alice@example.com', durationMs: 1000 }] }))).toBe('BeyondPolicy');
      const final = await wf.result();
      expect(final.status).toBe('expired');
      expect(Date.parse(final.endedAt!)).toBeGreaterThanOrEqual(Date.parse(extended.expiresAt!));
      expect(final.extensions).toHaveLength(1);
    }));

  it('revokes early by Update and by Signal', () =>
    withWorker(async ({ ports, start }) => {
      const a = await start({ resource: 'long-readonly' });
      const b = await start({ resource: 'long-readonly', requester: 'carol@example.com' });
      await statusIs(a, 'active');
      await statusIs(b, 'active');
      expect(ports.okta.memberLogins(AWS)).toEqual(['alice@example.com', 'carol@example.com']);
      expect(await rejection(a.executeUpdate(revokeUpdate, { args: [{ actor: 'erin@example.com' }] }))).toBe('NotAllowed');
      const view = await a.executeUpdate(revokeUpdate, { args: [{ actor: 'alice@example.com', reason: 'done early' }] });
      expect(view.revokeRequested?.by).toBe('alice@example.com');
      await b.signal(revokeSignal, { actor: 'system:risk', reason: 'user risk HIGH' });
      const [fa, fb] = await Promise.all([a.result(), b.result()]);
      expect([fa.status, fa.endReason]).toEqual(['revoked', 'revoked by alice@example.com: done early']);
      expect([fb.status, fb.endReason]).toEqual(['revoked', 'revoked by system:risk: user risk HIGH']);
      expect(ports.okta.memberLogins(AWS)).toEqual([]);
    }));

  it('revokes when the workflow itself is cancelled', () =>
    withWorker(async ({ ports, start }) => {
      const wf = await start({ resource: 'long-readonly' });
      await statusIs(wf, 'active');
      await wf.cancel();
      const final = await wf.result();
      expect(final.status).toBe('revoked');
      expect(final.endReason).toMatch(/workflow cancelled/);
      expect(ports.okta.memberLogins(AWS)).toEqual([]);
    }));

  it('keeps retrying the revoke through an Okta outage', () => {
    let failures = 0;
    const fakes = createFakePorts();
    const remove = fakes.okta.removeUserFromGroup.bind(fakes.okta);
    fakes.okta.removeUserFromGroup = async (groupId, userId) => {
      if (++failures <= 3) throw classifyFailure('Okta', 503, 'service unavailable');
      await remove(groupId, userId);
    };
    return withWorker(
      async ({ ports, start }) => {
        const wf = await start({ resource: 'aws-readonly', durationMs: 500 });
        const final = await wf.result();
        expect(final.status).toBe('expired');
        expect(failures).toBe(4);
        expect(ports.okta.memberLogins(AWS)).toEqual([]);
      },
      {},
      fakes,
    );
  });

  it('never lets Slack or Jira failures block the grant or the revoke', () => {
    const fakes = createFakePorts();
    fakes.jira.createIssue = () => Promise.reject(classifyFailure('Jira', 400, 'project GATE does not exist'));
    fakes.slack.postMessage = () => Promise.reject(classifyFailure('Slack', 400, 'channel_not_found'));
    return withWorker(
      async ({ ports, start }) => {
        const wf = await start({ resource: 'aws-readonly', durationMs: 1000 });
        await statusIs(wf, 'active');
        expect(ports.okta.memberLogins(AWS)).toEqual(['alice@example.com']);
        const final = await wf.result();
        expect(final.status).toBe('expired');
        expect(ports.okta.memberLogins(AWS)).toEqual([]);
        expect(final.jira).toBeUndefined();
        expect(new Set(final.sideEffectFailures.map((f) => f.system))).toEqual(new Set(['jira', 'slack']));
        // The audit trail is whole all the same.
        expect(ports.audit.trail(final.requestId).map((e) => e.type)).toEqual(['requested', 'resolved', 'approved', 'granted', 'expired']);
      },
      {},
      fakes,
    );
  });

  it('fails with a reason when the policy refuses the request at resolution', () =>
    withWorker(async ({ ports, start }) => {
      const wf = await start({ resource: 'prod-db-admin', requester: 'erin@example.com' });
      const final = await wf.result();
      expect(final.status).toBe('failed');
      expect(final.failureReason).toMatch(/not_eligible/);
      expect(ports.okta.calls).toEqual([]);
    }));

  it('keeps search attributes and current details current for the Web UI', () =>
    withWorker(async ({ start }) => {
      const wf = await start({ resource: 'long-readonly' });
      await statusIs(wf, 'active');
      const desc = await waitFor(async () => {
        const d = await wf.describe();
        return d.typedSearchAttributes.get(SA.status) === 'active' ? d : undefined;
      }, 'search attribute GatehouseStatus=active');
      expect(desc.typedSearchAttributes.get(SA.expiresAt)?.toISOString()).toBe((await status(wf)).expiresAt);
      const listed = await waitFor(async () => {
        for await (const w of h.client.workflow.list({ query: `GatehouseStatus = "active" AND WorkflowId = "${wf.workflowId}"` })) return w;
        return undefined;
      }, 'visibility query');
      expect(listed.workflowId).toBe(wf.workflowId);
      await wf.executeUpdate(revokeUpdate, { args: [{ actor: 'alice@example.com' }] });
      await wf.result();
      const closed = await waitFor(async () => {
        const d = await wf.describe();
        return d.typedSearchAttributes.get(SA.status) === 'revoked' ? d : undefined;
      }, 'search attribute GatehouseStatus=revoked');
      expect(closed.status.name).toBe('COMPLETED');
    }));
});
