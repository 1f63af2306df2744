/**
 * End to end over HTTP with the real adapters (issue 3's acceptance test): the Okta, Slack and
 * Jira emulators on free ports, a worker PROCESS (workers/main.ts, the production composition
 * root: settings → policy → adapters over the official SDKs) on its own task queue, and the API
 * built with createApp in this process over the real Okta adapter (oktaFromSettings). Every
 * outcome is read back through the vendors' own SDKs: Okta through the adapter (okta-sdk-nodejs),
 * Jira through jira.js Version3Client, Slack through @slack/web-api.
 *
 * Jira is reached through a transparent proxy (test/helpers/lossy-proxy.ts) so one scenario can
 * lose the answer of a create that succeeded.
 */
import type { EffectsResult } from '../../workflows/shared/effects';
import { MockActivityEnvironment } from '@temporalio/testing';
import { apiToken } from '../helpers/tokens';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { WebClient } from '@slack/web-api';
import { Version3Client } from 'jira.js';
import { pino } from 'pino';
import request from 'supertest';
import type { Application } from 'express';
import { createActivities, jiraLabelFor } from '../../activities';
import { oktaFromSettings, jiraFromSettings, slackFromSettings } from '../../activities/adapters/from-settings';
import { createFakePorts } from '../../activities/fakes';
import type { OktaPort } from '../../activities/ports';
import { loadSettings } from '../../activities/settings';
import { createApp } from '../../api/app';
import { accessRequestWorkflowId } from '../../workflows/constants';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { startLossyProxy, type LossyProxy } from '../helpers/lossy-proxy';
import { testPolicy, writeTestPolicy } from '../helpers/policies';
import { processEnv, startProcess, type ChildHandle } from '../helpers/processes';
import { uniqueQueue } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const TOKEN = 'e2e-token-0123456789abcdef';
const PROD = '00g_prod_db_admin';
const AWS = '00g_aws_ro';

type View = Record<string, unknown> & { id: string; status: string };

let emulators: RunningEmulators;
let jiraProxy: LossyProxy;
let worker: ChildHandle;
let connection: Connection;
let app: Application;
let okta: OktaPort;
let jira: Version3Client;
let slack: WebClient;
let env: NodeJS.ProcessEnv;
const created: string[] = [];

beforeAll(async () => {
  emulators = await startTestEmulators({ okta: 0, slack: 0, jira: 0 });
  jiraProxy = await startLossyProxy(emulators.jira.url);
  const taskQueue = uniqueQueue('e2e');
  env = processEnv(emulators, {
    GATEHOUSE_TASK_QUEUE: taskQueue,
    GATEHOUSE_POLICY: writeTestPolicy(mkdtempSync(join(tmpdir(), 'gh-e2e-pol-'))),
    JIRA_HOST: jiraProxy.url,
  });
  worker = startProcess('workers/main.ts', env);
  const settings = loadSettings(env);
  okta = oktaFromSettings(settings)!;
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const policy = testPolicy();
  app = createApp({
    temporal: new Client({ connection }),
    taskQueue,
    policy: () => policy,
    okta,
    tokens: apiToken(TOKEN, 'e2e'),
    webUiUrl: 'http://127.0.0.1:8233',
    namespace: 'default',
    logger: pino({ level: 'silent' }),
  });
  // Readers straight at the emulators, through the vendors' SDKs.
  jira = new Version3Client({ host: emulators.jira.url, authentication: { basic: { email: 'auditor@example.com', apiToken: 'test' } } });
  slack = new WebClient('xoxb-test-token', { slackApiUrl: emulators.slack.apiUrl, retryConfig: { retries: 0 } });
  await worker.waitForLine(/worker started/);
});

afterAll(async () => {
  // Whatever a failed test left running: cancel (the workflow revokes), then terminate stragglers.
  const client = connection ? new Client({ connection }) : undefined;
  for (const id of created) {
    const handle = client?.workflow.getHandle(accessRequestWorkflowId(id));
    try {
      if ((await handle?.describe())?.status.name === 'RUNNING') await handle?.terminate('e2e cleanup');
    } catch {
      // already gone
    }
  }
  await worker?.kill('SIGTERM');
  await connection?.close();
  await jiraProxy?.close();
  await emulators?.close();
});

// ---- HTTP helpers

const post = (path: string, body: unknown) => request(app).post(path).set('Authorization', `Bearer ${TOKEN}`).send(body as object);

async function view(id: string): Promise<View> {
  const res = await request(app).get(`/v1/requests/${id}`).set('Authorization', `Bearer ${TOKEN}`);
  if (res.status !== 200) throw new Error(`GET /v1/requests/${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as View;
}

const waitForView = (id: string, ok: (v: View) => boolean, what: string, timeoutMs = 30_000) =>
  waitFor(async () => {
    const v = await view(id);
    return ok(v) ? v : null;
  }, `request ${id}: ${what}`, timeoutMs, 100);

async function create(requester: string, resource = 'prod-db-admin', extra: Record<string, unknown> = {}): Promise<View> {
  const res = await post('/v1/requests', { requester, resource, duration: resource === 'prod-db-admin' ? '3s' : '2s', justification: 'OPS-1 rotate the replication credentials', ...extra });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  created.push(res.body.id);
  return res.body as View;
}

async function approve(id: string, approver: string): Promise<View> {
  const res = await post(`/v1/requests/${id}/approve`, { approver, comment: `ok from ${approver}` });
  if (res.status !== 200) throw new Error(`approve by ${approver} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as View;
}

/** create → resolved → bob approves → carol approves; returns the id and when carol approved. */
async function requestAndApprove(requester: string): Promise<{ id: string; approvedAt: number }> {
  const { id } = await create(requester);
  await waitForView(id, (v) => (v.steps as unknown[]).length > 0, 'resolved');
  await approve(id, 'bob@example.com');
  const after = await approve(id, 'carol@example.com');
  const approvedAt = Date.now();
  expect(['provisioning', 'active']).toContain(after.status);
  return { id, approvedAt };
}

// ---- readers through the vendors' SDKs

const members = async (groupId: string) => (await okta.listGroupMembers(groupId)).map((u) => u.login);

interface AdfNode {
  type?: string;
  text?: string;
  content?: AdfNode[];
}
const adfText = (node: unknown): string => {
  const n = (node ?? {}) as AdfNode;
  return (n.text ?? '') + (n.content ?? []).map(adfText).join(n.type === 'doc' ? '\n' : '');
};

async function issuesWithLabel(label: string) {
  const result = await jira.issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({ jql: `project = GATE AND labels = "${label}"`, fields: ['summary', 'status', 'labels'] });
  return result.issues ?? [];
}

async function ticket(key: string) {
  const issue = await jira.issues.getIssue({ issueIdOrKey: key, fields: ['status', 'labels', 'summary'] });
  const { comments = [] } = await jira.issueComments.getComments({ issueIdOrKey: key });
  return { status: issue.fields.status?.name ?? '', labels: issue.fields.labels ?? [], comments: comments.map((c) => adfText(c.body)) };
}

/** The bot's messages in the DM with a person (by e-mail), newest first. */
async function dmHistory(email: string) {
  const user = await slack.users.lookupByEmail({ email });
  const opened = await slack.conversations.open({ users: user.user!.id! });
  const history = await slack.conversations.history({ channel: opened.channel!.id!, limit: 200 });
  return (history.messages ?? []) as { ts?: string; text?: string; blocks?: { type: string }[]; edited?: unknown }[];
}

const aboutRequest = (id: string) => (m: { text?: string; blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []).includes(id) || (m.text ?? '').includes(id);

async function faults(emulatorUrl: string, body: unknown): Promise<void> {
  const res = await fetch(`${emulatorUrl}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`faults answered ${res.status}: ${await res.text()}`);
}

async function clearFaults(emulatorUrl: string): Promise<void> {
  await fetch(`${emulatorUrl}/_emulator/faults`, { method: 'DELETE' });
}

// ---- scenarios

describe('a full lifecycle over HTTP', () => {
  it('alice: approved by bob then carol, granted in Okta, recorded in Jira and Slack, revoked at expiry', async () => {
    expect(await members(PROD)).not.toContain('alice@example.com');
    const { id, approvedAt } = await requestAndApprove('alice@example.com');

    await waitFor(async () => (await members(PROD)).includes('alice@example.com'), 'alice in 00g_prod_db_admin (read through Okta)');
    const grantLatency = Date.now() - approvedAt;
    const active = await waitForView(id, (v) => v.status === 'active', 'active');
    expect(active.standingMember).toBe(false);
    expect(active.approvals).toEqual([
      expect.objectContaining({ step: 1, approver: 'bob@example.com', decision: 'approved', via: 'http:e2e' }),
      expect.objectContaining({ step: 2, approver: 'carol@example.com', decision: 'approved', via: 'http:e2e' }),
    ]);

    // Slack: each approver's DM copy was updated in place with the outcome, buttons gone.
    for (const [approver, step] of [['bob@example.com', 1], ['carol@example.com', 2]] as const) {
      const msg = await waitFor(async () => {
        const mine = (await dmHistory(approver)).filter(aboutRequest(id));
        return mine.length === 1 && (mine[0]!.text ?? '').includes(`Approved by ${approver}`) ? mine[0] : null;
      }, `${approver}'s approval DM updated in place`);
      expect(msg.text).toContain(`step ${step} of 2`);
      expect(msg.edited).toBeTruthy();
      expect((msg.blocks ?? []).some((b) => b.type === 'actions')).toBe(false);
    }

    // Expiry: alice is removed, dave (standing member) is untouched.
    const expiresAt = Date.parse(active.expiresAt as string);
    await waitFor(async () => !(await members(PROD)).includes('alice@example.com'), 'alice removed at expiry', 30_000);
    const revokeLag = Date.now() - expiresAt;
    expect(await members(PROD)).toContain('dave@example.com');
    const ended = await waitForView(id, (v) => v.status === 'expired', 'expired');
    expect(ended.endReason).toMatch(/ran out/);

    // Jira: one ticket, a comment per decision, the grant and the end, then Done.
    const key = (ended.jira as { key: string }).key;
    const t = await waitFor(async () => {
      const x = await ticket(key);
      return x.status === 'Done' ? x : null;
    }, `${key} Done`);
    expect(t.labels).toContain(jiraLabelFor(id));
    expect(t.comments).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Step 1 of 2: Approved by bob@example.com'),
        expect.stringContaining('Step 2 of 2: Approved by carol@example.com'),
        expect.stringMatching(/^Access granted until /),
        expect.stringContaining('Request expired'),
      ]),
    );
    expect(await issuesWithLabel(jiraLabelFor(id))).toHaveLength(1);
    console.log(`e2e alice: membership ${grantLatency} ms after the last approval; removed ${revokeLag} ms after expiry`);
  });

  it('dave, a standing member (allowlisted): still a member after expiry; standingMember: true', async () => {
    expect(await members(PROD)).toContain('dave@example.com');
    expect((await post('/v1/standing-members', { login: 'dave@example.com', groupId: PROD, reason: 'on-call DBA' })).status).toBe(201);
    const { id } = await requestAndApprove('dave@example.com');
    const active = await waitForView(id, (v) => v.status === 'active', 'active');
    expect(active.standingMember).toBe(true);
    const ended = await waitForView(id, (v) => v.status === 'expired', 'expired');
    expect(ended.standingMember).toBe(true);
    expect(await members(PROD)).toContain('dave@example.com');
    const key = (ended.jira as { key: string }).key;
    const t = await waitFor(async () => {
      const x = await ticket(key);
      return x.status === 'Done' ? x : null;
    }, `${key} Done`);
    expect(t.comments).toEqual(expect.arrayContaining([expect.stringContaining('a standing member: the membership stays')]));
  });
});

describe('faults', () => {
  afterEach(async () => {
    await clearFaults(emulators.okta.url);
    await clearFaults(emulators.jira.url);
  });

  it('an Okta outage on the remove route during the revoke: removed once the outage ends, the request ends expired', async () => {
    const { id } = await requestAndApprove('alice@example.com');
    const active = await waitForView(id, (v) => v.status === 'active', 'active');
    expect(await members(PROD)).toContain('alice@example.com');
    const expiresAt = Date.parse(active.expiresAt as string);
    // Just before expiry: a 4 s outage of every DELETE under /api/v1/groups/.
    await waitFor(() => Date.now() >= expiresAt - 500, 'just before expiry', 10_000, 20);
    const outageSeconds = 4;
    await faults(emulators.okta.url, { outage: { seconds: outageSeconds, status: 503, route: 'DELETE /api/v1/groups/*' } });
    const outageEnds = Date.now() + outageSeconds * 1000;

    // The revoke runs and is refused (5xx), the membership stays while the outage lasts…
    await waitFor(() => emulators.okta.emulator.faults.injected.serverErrors > 0, 'the revoke to hit the outage', 10_000);
    expect(await members(PROD)).toContain('alice@example.com');
    // …and is retried until it succeeds after the outage.
    await waitFor(async () => !(await members(PROD)).includes('alice@example.com'), 'alice removed after the outage', 30_000);
    const removedAt = Date.now();
    expect(removedAt).toBeGreaterThanOrEqual(outageEnds - 200);
    const ended = await waitForView(id, (v) => v.status === 'expired', 'expired');
    expect(ended.failureReason).toBeNull();
    expect(await members(PROD)).toContain('dave@example.com');
    console.log(`e2e Okta outage: ${emulators.okta.emulator.faults.injected.serverErrors} refused removes; removed ${removedAt - outageEnds} ms after the outage ended (${removedAt - expiresAt} ms after expiry)`);
  });

  it('a Jira outage during the whole request: grant and revoke on time, the Jira records catch up afterwards', async () => {
    const outageSeconds = 14;
    await faults(emulators.jira.url, { outage: { seconds: outageSeconds, status: 503 } });
    const outageEnds = Date.now() + outageSeconds * 1000;
    const { id, approvedAt } = await requestAndApprove('alice@example.com');
    await waitFor(async () => (await members(PROD)).includes('alice@example.com'), 'alice granted while Jira is down', 10_000);
    const grantLatency = Date.now() - approvedAt;
    const active = await view(id);
    expect(active.jira).toBeNull();
    const expiresAt = Date.parse(active.expiresAt as string);
    await waitFor(async () => !(await members(PROD)).includes('alice@example.com'), 'alice removed while Jira is down', 15_000);
    const revokeLag = Date.now() - expiresAt;
    const ended = await waitForView(id, (v) => v.status === 'expired', 'expired');
    // All of that happened while Jira was still down.
    expect(Date.now()).toBeLessThan(outageEnds);
    expect(ended.jira).toBeNull();
    expect(emulators.jira.emulator.faults.injected.serverErrors).toBeGreaterThan(0);
    expect(grantLatency).toBeLessThan(5_000);
    expect(revokeLag).toBeLessThan(5_000);

    // After the outage: exactly one ticket, with every record, Done.
    const issues = await waitFor(async () => {
      const found = await issuesWithLabel(jiraLabelFor(id));
      return found.length > 0 && found[0]!.fields.status?.name === 'Done' ? found : null;
    }, 'the Jira ticket to catch up and close', 60_000, 250);
    expect(issues).toHaveLength(1);
    const t = await ticket(issues[0]!.key);
    expect(t.comments).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Step 1 of 2: Approved by bob@example.com'),
        expect.stringContaining('Step 2 of 2: Approved by carol@example.com'),
        expect.stringMatching(/^Access granted until /),
        expect.stringContaining('Request expired'),
      ]),
    );
    const caughtUp = await waitForView(id, (v) => !!v.jira, 'the view to carry the ticket');
    expect(caughtUp.status).toBe('expired');
    console.log(`e2e Jira outage: membership ${grantLatency} ms after approval, removed ${revokeLag} ms after expiry; ticket closed ${Date.now() - outageEnds} ms after the outage`);
  });
});

describe('an activity retried after the Jira create succeeded', () => {
  it('the create response is lost (the issue exists, the worker saw a 503): the retry finds it, one ticket', async () => {
    jiraProxy.loseResponses({ method: 'POST', path: /^\/rest\/api\/3\/issue\/?$/ });
    const { id } = await create('alice@example.com', 'aws-readonly');
    const withTicket = await waitForView(id, (v) => !!v.jira, 'the ticket key in the view');
    expect(jiraProxy.lost).toEqual([{ method: 'POST', path: '/rest/api/3/issue', upstreamStatus: 201 }]);
    const issues = await issuesWithLabel(jiraLabelFor(id));
    expect(issues.map((i) => i.key)).toEqual([(withTicket.jira as { key: string }).key]);
    // The emulator's own state agrees: one issue carries the label.
    expect([...emulators.jira.emulator.state.issues.values()].filter((i) => i.labels.includes(jiraLabelFor(id)))).toHaveLength(1);
    await waitForView(id, (v) => v.status === 'expired', 'expired');
    await waitFor(async () => !(await members(AWS)).includes('alice@example.com'), 'alice out of 00g_aws_ro');
  });

  it('the Jira open effect applied twice for one request id (real Jira adapter) leaves one issue', async () => {
    const settings = loadSettings({ ...env, JIRA_HOST: emulators.jira.url });
    const activities = createActivities({ ...createFakePorts(), okta: okta, slack: slackFromSettings(settings)!, jira: jiraFromSettings(settings)!, policy: testPolicy });
    const requestId = '01JTESTTWICE0000000000000A';
    const input = { effects: [{ system: 'jira' as const, op: 'open' as const, requestId, summary: 'Access request: twice', description: 'OPS-2' }] };
    const first = (await new MockActivityEnvironment().run(activities.applyEffects, input)) as EffectsResult;
    const second = (await new MockActivityEnvironment().run(activities.applyEffects, input)) as EffectsResult;
    expect(second.jira).toEqual(first.jira);
    expect((await issuesWithLabel(jiraLabelFor(requestId))).map((i) => i.key)).toEqual([first.jira!.key]);
  });
});
