/**
 * Gatehouse in Slack, end to end (issue 4): the real Bolt app mounted on the API (createApp with
 * mountSlack), the real WebClient against the Slack emulator, whose clicks, slash commands and
 * modal submissions arrive as correctly signed requests; a worker on the real dev server whose
 * Slack and Okta ports are the real adapters against the emulators. Outcomes are read through
 * the HTTP API, the Okta adapter, @slack/web-api and the emulator's state.
 */
import { apiToken } from '../helpers/tokens';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import type { Worker } from '@temporalio/worker';
import { pino } from 'pino';
import request from 'supertest';
import { createActivities } from '../../activities';
import { createOktaAdapter } from '../../activities/adapters/okta';
import { createSlackAdapter } from '../../activities/adapters/slack';
import { createFakePorts } from '../../activities/fakes';
import { parsePolicy } from '../../activities/policy/load';
import type { OktaPort } from '../../activities/ports';
import { createApp } from '../../api/app';
import { mountSlack } from '../../api/slack';
import { slackSignature } from '../../emulators';
import { accessRequestWorkflowId } from '../../workflows/constants';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { connectHarness, createTestWorker, uniqueQueue, type TestHarness } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const SECRET = 'slack-test-signing-secret';
const TOKEN = 'slack-test-token-0123456789';
const GROUP = '00g_prod_db_admin';
const CHANNEL = 'CACCESSAPPR'; // #access-approvals in the emulator

const POLICY = parsePolicy(
  `
defaults: { approvalTimeout: 1h, reminderAfter: 30m, expiryWarning: 0s }
resources:
  slack-db:
    name: Slack test database
    okta: { groupId: ${GROUP} }
    owners: [carol@example.com]
    duration: { default: 10m, max: 1h }
    extensions: { max: 1, maxTotal: 1h30m }
    justification: { required: true, pattern: "^[A-Z]+-[0-9]+" }
    eligibility: { any: [ { attribute: department, in: [Engineering, SRE] } ] }
    approval:
      steps:
        - { approvers: manager, count: 1 }
        - { approvers: owners, count: 1 }
    slackChannel: "#access-approvals"
  slack-crm:
    name: Sales CRM admin
    okta: { groupId: 00g_aws_ro }
    duration: { default: 1h, max: 2h }
    eligibility: { any: [ { attribute: department, equals: Sales } ] }
    approval: { auto: true }
`,
  'slack-test-policy.yaml',
);

interface Msg {
  ts?: string;
  text?: string;
  edited?: unknown;
  blocks?: Array<{ type?: string; text?: { text?: string }; elements?: Array<{ action_id?: string }> }>;
}

let emulators: RunningEmulators;
let harness: TestHarness;
let worker: Worker;
let running: Promise<void>;
let server: Server;
let api: ReturnType<typeof createApp>;
let okta: OktaPort;
let web: WebClient;
let slackUrl: string;
const created: string[] = [];

beforeAll(async () => {
  emulators = await startTestEmulators({ okta: 0, slack: { signingSecret: SECRET }, jira: false });
  slackUrl = emulators.slack.url;
  okta = createOktaAdapter({ orgUrl: emulators.okta.url, token: 'test-okta-token' });
  const slack = createSlackAdapter({ botToken: 'xoxb-test', apiUrl: emulators.slack.apiUrl });
  const fakes = createFakePorts();
  harness = await connectHarness();
  const taskQueue = uniqueQueue('slack');
  ({ worker } = await createTestWorker(harness, {
    taskQueue,
    policy: POLICY,
    activities: createActivities({ okta, slack, jira: fakes.jira, audit: fakes.audit, policy: () => POLICY }),
  }));
  running = worker.run();
  api = createApp({
    temporal: harness.client,
    taskQueue,
    policy: () => POLICY,
    okta,
    tokens: apiToken(TOKEN, 'slack-tests'),
    webUiUrl: 'http://127.0.0.1:8233',
    namespace: 'default',
    logger: pino({ level: 'silent' }),
    beforeParsers: (app, service) => {
      mountSlack(app, { botToken: 'xoxb-test', signingSecret: SECRET, apiUrl: emulators.slack.apiUrl, teamId: 'T_GATEHOUSE', service, policy: () => POLICY, okta, logger: pino({ level: process.env.SLACK_TEST_LOG ?? 'silent' }) });
    },
  });
  server = api.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  emulators.slack.emulator.setApp({ appEventsUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events` });
  web = new WebClient('xoxb-test', { slackApiUrl: emulators.slack.apiUrl, retryConfig: { retries: 0 } });
});

afterAll(async () => {
  for (const id of created) {
    const handle = harness?.client.workflow.getHandle(accessRequestWorkflowId(id));
    try {
      if ((await handle?.describe())?.status.name === 'RUNNING') await handle?.terminate('slack test cleanup');
    } catch {
      // already gone
    }
  }
  worker?.shutdown();
  await running;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await harness?.close();
  await emulators?.close();
});

// ---- helpers

const auth = (t: request.Test) => t.set('Authorization', `Bearer ${TOKEN}`);

async function view(id: string): Promise<Record<string, unknown> & { status: string }> {
  const res = await auth(request(api).get(`/v1/requests/${id}`));
  if (res.status !== 200) throw new Error(`GET ${id}: ${res.status}`);
  return res.body;
}
const waitForView = (id: string, ok: (v: Awaited<ReturnType<typeof view>>) => boolean, what: string) =>
  waitFor(async () => {
    const v = await view(id);
    return ok(v) ? v : null;
  }, `${id}: ${what}`);

async function createByHttp(): Promise<string> {
  const res = await auth(request(api).post('/v1/requests')).send({ requester: 'alice@example.com', resource: 'slack-db', justification: 'OPS-42 replication lag' });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  created.push(res.body.id);
  return res.body.id;
}

const slackState = () => emulators.slack.emulator.state;
const dmChannel = (userId: string) => [...slackState().conversations.values()].find((c) => c.is_im && c.user === userId)?.id;
const about = (id: string) => (m: Msg) => JSON.stringify(m.blocks ?? []).includes(id);
const hasButton = (m: Msg, actionId: string) => (m.blocks ?? []).some((b) => b.type === 'actions' && (b.elements ?? []).some((e) => e.action_id === actionId));
const blockText = (m: Msg) => (m.blocks ?? []).map((b) => b.text?.text ?? '').join('\n');

/** Messages in a conversation, read through @slack/web-api (oldest first). */
async function history(channel: string | undefined): Promise<Msg[]> {
  if (!channel) return [];
  return ((await web.conversations.history({ channel, limit: 200 })).messages ?? []).reverse() as Msg[];
}

/** The one message about request `id` in `channel` that carries button `actionId`. */
const messageWithButton = (channel: () => string | undefined, id: string, actionId: string) =>
  waitFor(async () => (await history(channel())).find((m) => about(id)(m) && hasButton(m, actionId)), `a message about ${id} with ${actionId}`);

/** Presses a button as `user` through the emulator (a signed block_actions request to the app). */
async function press(user: string, channel: string, ts: string, actionId: string) {
  const res = await request(slackUrl).post('/_emulator/actions').send({ user, channel, ts, actionId });
  expect(res.status).toBe(200);
  expect(res.body.status).toBe(200); // acked
  return res.body as { status: number; payload: Record<string, unknown> };
}

const ephemeralTo = (channel: string, user: string) => slackState().conversations.get(channel)?.ephemeral.filter((e) => e.user === user).map((e) => e.text) ?? [];
const waitForEphemeral = (channel: string, user: string, re: RegExp) =>
  waitFor(() => ephemeralTo(channel, user).find((t) => re.test(t)), `an ephemeral message to ${user} matching ${re}`);

const openModal = (user: string, callbackId: string, notIn: Set<string> = new Set()) =>
  waitFor(() => [...slackState().views.values()].find((v) => v.user === user && v.callback_id === callbackId && v.open && !notIn.has(v.id)), `${callbackId} modal for ${user}`);
const openModalIds = () => new Set([...slackState().views.keys()]);

async function submit(viewId: string, values: Record<string, Record<string, unknown>>) {
  const res = await request(slackUrl).post('/_emulator/views/submit').send({ viewId, values });
  expect(res.status).toBe(200);
  return res.body as { status: number; body: { response_action?: string; errors?: Record<string, string> }; viewOpen: boolean };
}
const option = (value: string) => ({ type: 'static_select', selected_option: { text: { type: 'plain_text', text: value }, value } });
const members = async () => (await okta.listGroupMembers(GROUP)).map((u) => u.login);

// ---- the tests

describe('the Slack request URL', () => {
  const payload = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U_BOB' }, team: { id: 'T_GATEHOUSE' }, actions: [{ action_id: 'approve_request', value: '01J00000000000000000000000', action_ts: '1.2' }] }))}`;
  const post = (timestamp: number, signature: string) =>
    request(api)
      .post('/slack/events')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('X-Slack-Request-Timestamp', String(timestamp))
      .set('X-Slack-Signature', signature)
      .send(payload);

  it('refuses a forged signature and a stale timestamp with 401, and accepts a correctly signed request', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await post(now, slackSignature('not-the-secret', now, payload))).status).toBe(401);
    const stale = now - 6 * 60;
    expect((await post(stale, slackSignature(SECRET, stale, payload))).status).toBe(401);
    expect((await post(now, 'v0=' + '0'.repeat(64))).status).toBe(401);
    // The control: the same body, signed now with the right secret, reaches Bolt and is acked.
    expect((await post(now, slackSignature(SECRET, now, payload))).status).toBe(200);
  });
});

describe('a request approved, extended and handed back in Slack', () => {
  let id: string;

  it('bob and carol approve by clicking; refused clicks are explained; a double click counts once', async () => {
    id = await createByHttp();
    const bobDm = await messageWithButton(() => dmChannel('U_BOB'), id, 'approve_request');
    // Full context in the approval message: who (a mention), what, how long, why, which step.
    expect(blockText(bobDm)).toContain('<@U_ALICE>');
    expect(blockText(bobDm)).toMatch(/Slack test database.*10m/);
    expect(blockText(bobDm)).toContain('OPS-42 replication lag');
    expect(blockText(bobDm)).toContain('1 of 2');
    expect(hasButton(bobDm, 'deny_request')).toBe(true);
    const inChannel = await messageWithButton(() => CHANNEL, id, 'approve_request');

    // erin is no approver; alice is the requester: both are told why, ephemerally.
    await press('erin@example.com', CHANNEL, inChannel.ts!, 'approve_request');
    expect(await waitForEphemeral(CHANNEL, 'U_ERIN', /can't approve/)).toMatch(/erin@example\.com is not an approver of step 1/);
    await press('U_ALICE', CHANNEL, inChannel.ts!, 'approve_request');
    expect(await waitForEphemeral(CHANNEL, 'U_ALICE', /can't approve/)).toMatch(/cannot decide on their own request/);
    // A Slack guest is refused before Okta or the workflow is asked.
    await request(slackUrl).patch('/_emulator/users/U_FRANK').send({ is_restricted: true }).expect(200);
    await press('U_FRANK', CHANNEL, inChannel.ts!, 'approve_request');
    expect(await waitForEphemeral(CHANNEL, 'U_FRANK', /does not accept/)).toMatch(/Slack guests cannot act/);
    await request(slackUrl).patch('/_emulator/users/U_FRANK').send({ is_restricted: false }).expect(200);

    // bob's click, delivered twice with the same signed payload (a Slack retry / double click).
    const bobChannel = dmChannel('U_BOB')!;
    const first = await press('U_BOB', bobChannel, bobDm.ts!, 'approve_request');
    const raw = new URLSearchParams({ payload: JSON.stringify(first.payload) }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const again = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
      .post('/slack/events')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('X-Slack-Request-Timestamp', String(ts))
      .set('X-Slack-Signature', slackSignature(SECRET, ts, raw))
      .send(raw);
    expect(again.status).toBe(200);
    await waitFor(() => ephemeralTo(bobChannel, 'U_BOB').filter((t) => /You approved/.test(t)).length >= 2, 'both deliveries answered');
    expect(ephemeralTo(bobChannel, 'U_BOB').join('\n')).not.toMatch(/already decided/);
    const afterBob = await waitForView(id, (v) => v.currentStep === 2, 'step 2');
    expect(afterBob.approvals).toEqual([expect.objectContaining({ step: 1, approver: 'bob@example.com', decision: 'approved', via: 'slack' })]);

    // carol, the owner, approves step 2 from her DM.
    const carolDm = await messageWithButton(() => dmChannel('U_CAROL'), id, 'approve_request');
    expect(blockText(carolDm)).toContain('2 of 2');
    await press('U_CAROL', dmChannel('U_CAROL')!, carolDm.ts!, 'approve_request');
    await waitFor(async () => (await members()).includes('alice@example.com'), 'alice in the Okta group');
    const active = await waitForView(id, (v) => v.status === 'active', 'active');
    expect((active.approvals as unknown[]).length).toBe(2);

    // Every copy of every approval message now shows the decision, with a mention, and no buttons.
    const decided = async (channel: string | undefined) => (await history(channel)).filter(about(id));
    await waitFor(async () => {
      const copies = [...(await decided(dmChannel('U_BOB'))), ...(await decided(dmChannel('U_CAROL'))), ...(await decided(CHANNEL))];
      return copies.length === 4 && copies.every((m) => !hasButton(m, 'approve_request') && /(Approved by <@U_BOB> — step 1 of 2|Approved by <@U_CAROL> — step 2 of 2)/.test(blockText(m)));
    }, 'all four approval messages updated in place');
    expect(blockText((await decided(dmChannel('U_BOB')))[0]!)).toContain('Approved by <@U_BOB> — step 1 of 2');
    expect(blockText((await decided(dmChannel('U_CAROL')))[0]!)).toContain('Approved by <@U_CAROL> — step 2 of 2');

    // The requester heard of each step, then of the grant.
    const aliceDm = (await history(dmChannel('U_ALICE'))).map((m) => m.text ?? '').join('\n');
    expect(aliceDm).toMatch(/submitted/);
    expect(aliceDm).toMatch(/bob@example\.com approved your request .*step 1 of 2/);
  });

  it('extends from the DM within the policy, then hands the access back with I’m done', async () => {
    const aliceChannel = () => dmChannel('U_ALICE');
    const grant = await messageWithButton(aliceChannel, id, 'extend_request');
    expect(grant.text).toMatch(/Access to Slack test database is active until \d\d:\d\d UTC/);
    expect(hasButton(grant, 'revoke_request')).toBe(true);
    const before = await view(id);

    // Not bob's grant to extend.
    await press('U_BOB', aliceChannel()!, grant.ts!, 'extend_request');
    expect(await waitForEphemeral(aliceChannel()!, 'U_BOB', /can't extend/)).toMatch(/only the requester/);

    // alice: the picker offers only what the policy allows (max 1h per extension, 1h30m in all).
    const seen = openModalIds();
    await press('U_ALICE', aliceChannel()!, grant.ts!, 'extend_request');
    const picker = await openModal('U_ALICE', 'extend_request_duration', seen);
    const select = JSON.stringify(picker.blocks);
    expect(select).toContain('"value":"900000"');
    expect(select).toContain('"value":"3600000"');
    expect(select).not.toContain('"value":"7200000"');
    const done = await submit(picker.id, { duration: { duration: option('1800000') } });
    expect(done.viewOpen).toBe(false);
    const extended = await waitForView(id, (v) => (v.extensions as unknown[]).length === 1, 'extended');
    expect(Date.parse(extended.expiresAt as string) - Date.parse(before.expiresAt as string)).toBe(30 * 60_000);
    expect(await waitForEphemeral(aliceChannel()!, 'U_ALICE', /Extended/)).toMatch(/active until/);

    // The policy allows one extension: the second Extend is refused before any form opens.
    await press('U_ALICE', aliceChannel()!, grant.ts!, 'extend_request');
    expect(await waitForEphemeral(aliceChannel()!, 'U_ALICE', /can't extend/)).toMatch(/no more extensions/);

    // I'm done: revoked, out of the group, told so; the buttons are gone.
    await press('U_ALICE', aliceChannel()!, grant.ts!, 'revoke_request');
    const ended = await waitForView(id, (v) => v.status === 'revoked', 'revoked');
    expect(ended.endReason).toMatch(/revoked by alice@example\.com/);
    expect(await members()).not.toContain('alice@example.com');
    await waitFor(async () => (await history(aliceChannel())).some((m) => /ended: revoked \(revoked by alice@example\.com/.test(m.text ?? '')), 'the end DM');
    const replaced = (await history(aliceChannel())).find((m) => m.ts === grant.ts)!;
    expect(hasButton(replaced, 'extend_request')).toBe(false);
  });
});

describe('denying in Slack', () => {
  it('asks for a reason in a modal, then ends the request with it', async () => {
    const id = await createByHttp();
    const bobDm = await messageWithButton(() => dmChannel('U_BOB'), id, 'deny_request');
    const inChannel = await messageWithButton(() => CHANNEL, id, 'deny_request');

    // erin may not decide: told so, and no form opens for her.
    const seen = openModalIds();
    await press('U_ERIN', CHANNEL, inChannel.ts!, 'deny_request');
    expect(await waitForEphemeral(CHANNEL, 'U_ERIN', /can't deny/)).toMatch(/not an approver/);
    expect([...slackState().views.values()].some((v) => v.user === 'U_ERIN' && !seen.has(v.id))).toBe(false);

    await press('U_BOB', dmChannel('U_BOB')!, bobDm.ts!, 'deny_request');
    const modal = await openModal('U_BOB', 'deny_request_reason', seen);
    const empty = await submit(modal.id, { reason: { reason: '' } });
    expect(empty).toMatchObject({ viewOpen: true, body: { response_action: 'errors', errors: { reason: expect.any(String) } } });
    expect((await view(id)).status).toBe('pending_approval');

    const denied = await submit(modal.id, { reason: { reason: 'not during the freeze' } });
    expect(denied.viewOpen).toBe(false);
    const ended = await waitForView(id, (v) => v.status === 'denied', 'denied');
    expect(ended.endReason).toBe('denied by bob@example.com: not during the freeze');
    expect(ended.approvals).toEqual([expect.objectContaining({ approver: 'bob@example.com', decision: 'denied', via: 'slack' })]);
    await waitFor(async () => {
      const copies = [...(await history(dmChannel('U_BOB'))), ...(await history(CHANNEL))].filter(about(id));
      return copies.length === 2 && copies.every((m) => !hasButton(m, 'deny_request') && blockText(m).includes('Denied by <@U_BOB> (not during the freeze) — step 1 of 2'));
    }, 'both approval messages show the denial');
    await waitFor(async () => (await history(dmChannel('U_ALICE'))).some((m) => /ended: denied/.test(m.text ?? '')), 'alice told of the denial');
  });
});

describe('/access', () => {
  it('offers only eligible resources, shows problems in the form, and starts a valid request', async () => {
    // erin (Sales) is offered the CRM only.
    let seen = openModalIds();
    const erin = await request(slackUrl).post('/_emulator/commands').send({ user: 'U_ERIN', command: '/access' }).expect(200);
    expect(erin.body.status).toBe(200);
    const erinForm = await openModal('U_ERIN', 'access_request', seen);
    expect(JSON.stringify(erinForm.blocks)).toContain('"value":"slack-crm"');
    expect(JSON.stringify(erinForm.blocks)).not.toContain('"value":"slack-db"');

    seen = openModalIds();
    await request(slackUrl).post('/_emulator/commands').send({ user: 'U_ALICE', command: '/access', text: 'slack-db' }).expect(200);
    const form = await openModal('U_ALICE', 'access_request', seen);
    const blocks = JSON.stringify(form.blocks);
    expect(blocks).toContain('"value":"slack-db"');
    expect(blocks).not.toContain('"value":"slack-crm"');
    expect(blocks).toContain('"initial_value":"10m"'); // the policy default

    // Past the maximum, and a justification without a ticket key: both shown inline.
    const bad = await submit(form.id, { resource: { resource: option('slack-db') }, duration: { duration: '3h' }, justification: { justification: 'because' } });
    expect(bad.viewOpen).toBe(true);
    expect(bad.body.errors).toEqual({ duration: expect.stringMatching(/exceeds the maximum of 1h/), justification: expect.stringMatching(/must match/) });

    const good = await submit(form.id, { resource: { resource: option('slack-db') }, duration: { duration: '20m' }, justification: { justification: 'OPS-9 slack request' } });
    expect(good.viewOpen).toBe(false);
    const list = await waitFor(async () => {
      const res = await auth(request(api).get('/v1/requests?requester=alice@example.com&resource=slack-db&status=pending_approval'));
      return (res.body.items as Array<Record<string, unknown>>).find((r) => r.via === 'slack');
    }, 'the request started from Slack');
    created.push(list.id as string);
    expect(list).toMatchObject({ requester: 'alice@example.com', resource: 'slack-db', durationMs: 20 * 60_000, justification: 'OPS-9 slack request' });
    await waitFor(async () => (await history(dmChannel('U_ALICE'))).some((m) => (m.text ?? '').includes(`was submitted (request ${String(list.id)})`)), 'alice DMed the status');

    // A second request for the same resource while this one is open: refused in the form.
    seen = openModalIds();
    await request(slackUrl).post('/_emulator/commands').send({ user: 'U_ALICE', command: '/access' }).expect(200);
    const second = await openModal('U_ALICE', 'access_request', seen);
    const conflict = await submit(second.id, { resource: { resource: option('slack-db') }, justification: { justification: 'OPS-10 again' } });
    expect(conflict.viewOpen).toBe(true);
    expect(conflict.body.errors?.resource).toMatch(new RegExp(`already have an open request .*${String(list.id)}`));
  });
});
