import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, ExpressReceiver, type BlockAction, type ButtonAction } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import express from 'express';
import request from 'supertest';
import { WebSocket } from 'ws';
import { createSlackEmulator, loadDirectory, type SlackEmulator } from '../../emulators';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { waitFor } from '../helpers/wait';

const SECRET = 'test-signing-secret';

/** Written from Slack's documentation, independently of the emulator's signer. */
function verifySlackSignature(secret: string, headers: Record<string, string | undefined>, rawBody: string): boolean {
  const timestamp = Number(headers['x-slack-request-timestamp']);
  const signature = headers['x-slack-signature'] ?? '';
  if (!Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
  return expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
}

interface Received {
  headers: Record<string, string | undefined>;
  rawBody: string;
}

/** A stand-in app that records what Slack (the emulator) sent and checks the signature. */
async function startRecordingApp(secret: string): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const app = express();
  app.post('/slack/events', express.raw({ type: () => true }), (req, res) => {
    const rawBody = (req.body as Buffer).toString('utf8');
    received.push({ headers: req.headers as Record<string, string | undefined>, rawBody });
    if (!verifySlackSignature(secret, req.headers as Record<string, string | undefined>, rawBody)) return void res.status(401).end();
    res.json({ received: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`, received, server };
}

const approvalBlocks = [
  { type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: '*alice* asks for *prod-db-admin*' } },
  {
    type: 'actions',
    block_id: 'decision',
    elements: [
      { type: 'button', action_id: 'approve_request', text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: 'req-42' },
      { type: 'button', action_id: 'deny_request', text: { type: 'plain_text', text: 'Deny' }, style: 'danger', value: 'req-42' },
    ],
  },
];

describe('Slack emulator: Web API wire format', () => {
  let slack: SlackEmulator;
  beforeEach(() => {
    slack = createSlackEmulator({ directory: loadDirectory() });
  });
  const auth = { Authorization: 'Bearer xoxb-test' };

  it('accepts form bodies with blocks as a JSON string, and JSON bodies', async () => {
    const form = await request(slack.app).post('/api/chat.postMessage').set(auth).type('form').send({ channel: '#access-approvals', text: 'hi', blocks: JSON.stringify(approvalBlocks) }).expect(200);
    expect(form.body).toMatchObject({ ok: true, channel: 'CACCESSAPPR', message: { text: 'hi' } });
    expect(form.body.message.blocks).toHaveLength(2);
    const json = await request(slack.app).post('/api/chat.postMessage').set(auth).send({ channel: 'U_BOB', text: 'dm' }).expect(200);
    expect(json.body.channel).toMatch(/^D/);
  });

  it('answers errors as HTTP 200 ok:false', async () => {
    expect((await request(slack.app).post('/api/chat.postMessage').type('form').send({ channel: 'x', text: 'y' }).expect(200)).body).toEqual({ ok: false, error: 'not_authed' });
    expect((await request(slack.app).post('/api/chat.nope').set(auth).expect(200)).body).toEqual({ ok: false, error: 'unknown_method' });
    expect((await request(slack.app).post('/api/chat.postMessage').set(auth).send({ channel: '#access-approvals' }).expect(200)).body).toEqual({ ok: false, error: 'no_text' });
    expect((await request(slack.app).post('/api/users.lookupByEmail').set(auth).send({ email: 'x@example.com' }).expect(200)).body).toEqual({ ok: false, error: 'users_not_found' });
    expect((await request(slack.app).post('/api/chat.update').set(auth).send({ channel: 'CACCESSAPPR', ts: '1.2', text: 'x' }).expect(200)).body.error).toBe('message_not_found');
  });

  it('serves auth.test and conversations.history newest first', async () => {
    const me = await request(slack.app).post('/api/auth.test').set(auth).expect(200);
    expect(me.body).toMatchObject({ ok: true, team_id: 'T_GATEHOUSE', user_id: slack.state.bot.userId, bot_id: slack.state.bot.botId });
    for (const text of ['one', 'two', 'three']) await request(slack.app).post('/api/chat.postMessage').set(auth).send({ channel: '#security-alerts', text }).expect(200);
    const history = await request(slack.app).post('/api/conversations.history').set(auth).send({ channel: 'CSECURITYAL', limit: 2 }).expect(200);
    expect(history.body.messages.map((m: { text: string }) => m.text)).toEqual(['three', 'two']);
    expect(history.body.has_more).toBe(true);
    const rest = await request(slack.app).post('/api/conversations.history').set(auth).send({ channel: 'CSECURITYAL', cursor: history.body.response_metadata.next_cursor }).expect(200);
    expect(rest.body.messages.map((m: { text: string }) => m.text)).toEqual(['one']);
  });

  it('answers injected 429s with Retry-After, never on /_emulator', async () => {
    await request(slack.app).post('/_emulator/faults').send({ burst429: { count: 5, retryAfterSec: 3 } }).expect(200);
    const limited = await request(slack.app).post('/api/auth.test').set(auth).expect(429);
    expect(limited.headers['retry-after']).toBe('3');
    await request(slack.app).get('/_emulator/state').expect(200);
    await request(slack.app).get('/').expect(200);
  });

  it('shows every conversation and live buttons on the page at /', async () => {
    const posted = await request(slack.app).post('/api/chat.postMessage').set(auth).send({ channel: '#access-approvals', text: 'Approval needed', blocks: approvalBlocks }).expect(200);
    const page = await request(slack.app).get('/').expect(200).expect('content-type', /html/);
    expect(page.text).toContain('#access-approvals');
    expect(page.text).toContain('<b>alice</b> asks for <b>prod-db-admin</b>');
    expect(page.text).toContain(`data-ts="${posted.body.ts}"`);
    expect(page.text).toContain('data-action="approve_request"');
    expect(page.text).toContain('<option value="U_ALICE">');
  });
});

describe('Slack emulator: Socket Mode', () => {
  const APP_TOKEN = 'xapp-1-A0GATEHOUSE-1-emulatortest';
  let emulators: RunningEmulators;
  beforeAll(async () => {
    emulators = await startTestEmulators({ okta: false, jira: false, smtp: false, slack: { socketMode: true, socket: { appToken: APP_TOKEN, ackTimeoutMs: 500 } } });
  });
  afterAll(() => emulators.close());
  const open = (token?: string) => {
    const t = request(emulators.slack.url).post('/api/apps.connections.open');
    return token ? t.set('Authorization', `Bearer ${token}`) : t;
  };
  /** A plain WebSocket client written from Slack's documentation, independent of @slack/socket-mode. */
  const connect = (url: string) =>
    new Promise<{ ws: WebSocket; messages: Array<Record<string, unknown>> }>((resolve, reject) => {
      const ws = new WebSocket(url);
      const messages: Array<Record<string, unknown>> = [];
      ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
      ws.once('open', () => resolve({ ws, messages }));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });

  it('apps.connections.open takes only the app-level token and returns a one-time ws:// URL on loopback', async () => {
    expect((await open().expect(200)).body).toEqual({ ok: false, error: 'not_authed' });
    expect((await open('xoxb-test').expect(200)).body).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect((await open('xapp-1-other').expect(200)).body).toEqual({ ok: false, error: 'invalid_auth' });
    const { body } = await open(APP_TOKEN).expect(200);
    expect(body.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f-]+&app_id=A0GATEHOUSE$/);

    const first = await connect(body.url);
    await waitFor(() => first.messages.find((m) => m.type === 'hello'), 'hello');
    expect(first.messages[0]).toMatchObject({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0GATEHOUSE' } });
    // The same URL twice: refused.
    await expect(connect(body.url)).rejects.toThrow(/upgrade refused: 401/);
    first.ws.close();
    await waitFor(async () => (await request(emulators.slack.url).get('/_emulator/socket')).body.open === 0, 'the connection gone');
  });

  it('pushes envelopes, answers with the ack payload, and reports a missing ack or connection', async () => {
    const { body } = await open(APP_TOKEN).expect(200);
    const app = await connect(body.url);
    app.ws.on('message', (data) => {
      const envelope = JSON.parse(String(data)) as { envelope_id?: string; type: string; payload?: { command?: string } };
      // Acks commands with a message, leaves events unacknowledged.
      if (envelope.envelope_id && envelope.type === 'slash_commands') app.ws.send(JSON.stringify({ envelope_id: envelope.envelope_id, payload: { text: `ran ${envelope.payload?.command}` } }));
    });
    await waitFor(() => app.messages.find((m) => m.type === 'hello'), 'hello');
    const command = await request(emulators.slack.url).post('/_emulator/commands').send({ user: 'U_ALICE', command: '/access', text: 'x' }).expect(200);
    expect(command.body).toMatchObject({ status: 200, body: { text: 'ran /access' } });
    const envelope = app.messages.find((m) => m.type === 'slash_commands')!;
    expect(envelope).toMatchObject({ envelope_id: expect.any(String), accepts_response_payload: true, payload: { command: '/access', text: 'x', user_id: 'U_ALICE', team_id: 'T_GATEHOUSE', trigger_id: expect.any(String) } });

    const event = await request(emulators.slack.url).post('/_emulator/events').send({ event: { type: 'app_home_opened', user: 'U_ALICE' } });
    expect(event.status).toBe(504);
    expect(event.body.error).toBe('envelope_not_acked');
    expect(app.messages.find((m) => m.type === 'events_api')).toMatchObject({ accepts_response_payload: false, retry_attempt: 0, payload: { type: 'event_callback', event: { type: 'app_home_opened', user: 'U_ALICE' } } });

    expect((await request(emulators.slack.url).post('/_emulator/socket/drop').expect(200)).body.dropped).toBe(1);
    await waitFor(() => app.ws.readyState === WebSocket.CLOSED, 'the client sees the cut');
    const lost = await request(emulators.slack.url).post('/_emulator/commands').send({ user: 'U_ALICE', command: '/access' });
    expect(lost.status).toBe(409);
    expect(lost.body.error).toBe('no_socket_connection');
  });
});

describe('Slack emulator: pressing buttons as a user', () => {
  let slack: SlackEmulator;
  let recorder: Awaited<ReturnType<typeof startRecordingApp>>;
  let posted: { channel: string; ts: string };

  beforeAll(async () => {
    recorder = await startRecordingApp(SECRET);
  });
  afterAll(() => new Promise<void>((resolve) => recorder.server.close(() => resolve())));
  beforeEach(async () => {
    recorder.received.length = 0;
    slack = createSlackEmulator({ directory: loadDirectory(), appEventsUrl: recorder.url, signingSecret: SECRET });
    const res = await request(slack.app).post('/api/chat.postMessage').set({ Authorization: 'Bearer xoxb-test' }).send({ channel: 'U_BOB', text: 'Approve?', blocks: approvalBlocks });
    posted = { channel: res.body.channel, ts: res.body.ts };
  });

  it('sends a signed, form-encoded block_actions payload and returns the app’s answer', async () => {
    const res = await request(slack.app)
      .post('/_emulator/actions')
      .send({ user: 'bob@example.com', channel: posted.channel, ts: posted.ts, actionId: 'approve_request' })
      .expect(200);
    expect(res.body).toMatchObject({ status: 200, body: { received: true } });

    expect(recorder.received).toHaveLength(1);
    const [sent] = recorder.received;
    expect(sent?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(verifySlackSignature(SECRET, sent?.headers ?? {}, sent?.rawBody ?? '')).toBe(true);
    const payload = JSON.parse(new URLSearchParams(sent?.rawBody).get('payload') ?? '{}');
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U_BOB', username: 'bob', team_id: 'T_GATEHOUSE' },
      team: { id: 'T_GATEHOUSE' },
      container: { type: 'message', message_ts: posted.ts, channel_id: posted.channel },
      channel: { id: posted.channel },
      message: { ts: posted.ts, text: 'Approve?' },
      actions: [{ type: 'button', action_id: 'approve_request', block_id: 'decision', value: 'req-42' }],
    });
    expect(payload.actions[0].action_ts).toMatch(/^\d+\.\d{6}$/);
    expect(payload.trigger_id).toEqual(expect.any(String));
    expect(payload.response_url).toMatch(/\/response_url\/[0-9a-f]+$/);
  });

  it('POSTs an Events API event as signed JSON', async () => {
    const res = await request(slack.app).post('/_emulator/events').send({ event: { type: 'app_home_opened', user: 'U_BOB', tab: 'home' } }).expect(200);
    expect(res.body.status).toBe(200);
    const [sent] = recorder.received;
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(verifySlackSignature(SECRET, sent?.headers ?? {}, sent?.rawBody ?? '')).toBe(true);
    expect(JSON.parse(sent?.rawBody ?? '{}')).toMatchObject({ type: 'event_callback', team_id: 'T_GATEHOUSE', api_app_id: 'A0GATEHOUSE', event: { type: 'app_home_opened', user: 'U_BOB' }, event_id: expect.stringMatching(/^Ev/) });
  });

  it('lets the response_url replace, then delete, the message it was issued for', async () => {
    const res = await request(slack.app).post('/_emulator/actions').send({ user: 'U_BOB', channel: posted.channel, ts: posted.ts, actionId: 'deny_request' }).expect(200);
    const path = new URL(res.body.payload.response_url).pathname;
    await request(slack.app).post(path).send({ replace_original: true, text: 'Denied by @bob' }).expect(200);
    const message = slack.state.conversations.get(posted.channel)?.messages.find((m) => m.ts === posted.ts);
    expect(message?.text).toBe('Denied by @bob');
    expect(message?.blocks).toBeUndefined();
    await request(slack.app).post(path).send({ text: 'only you see this' }).expect(200);
    expect(slack.state.conversations.get(posted.channel)?.ephemeral).toContainEqual(expect.objectContaining({ user: 'U_BOB', text: 'only you see this' }));
    await request(slack.app).post(path).send({ delete_original: true }).expect(200);
    expect(slack.state.conversations.get(posted.channel)?.messages.some((m) => m.ts === posted.ts)).toBe(false);
    await request(slack.app).post('/response_url/unknown').send({ text: 'x' }).expect(404);
  });

  it('reports the app’s 401 when the app expects another secret', async () => {
    slack.setApp({ signingSecret: 'some-other-secret' });
    const res = await request(slack.app).post('/_emulator/actions').send({ user: 'U_BOB', channel: posted.channel, ts: posted.ts, actionId: 'approve_request' }).expect(200);
    expect(res.body.status).toBe(401);
  });

  it('refuses unknown users, messages and actions', async () => {
    await request(slack.app).post('/_emulator/actions').send({ user: 'nobody@example.com', channel: posted.channel, ts: posted.ts, actionId: 'approve_request' }).expect(404);
    await request(slack.app).post('/_emulator/actions').send({ user: 'U_BOB', channel: posted.channel, ts: '1.000001', actionId: 'approve_request' }).expect(404);
    const missing = await request(slack.app).post('/_emulator/actions').send({ user: 'U_BOB', channel: posted.channel, ts: posted.ts, actionId: 'extend_request' }).expect(404);
    expect(missing.body.error).toBe('action_not_found');
    await request(slack.app).post('/_emulator/actions').send({ user: 'U_BOB' }).expect(400);
  });
});

describe('Slack emulator driving a real Bolt app', () => {
  let emulators: RunningEmulators;
  let server: Server;
  const clicks: Array<{ user: string; value: string; channel?: string }> = [];
  const submissions: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    emulators = await startTestEmulators({ okta: false, jira: false, slack: { signingSecret: SECRET } });
    const receiver = new ExpressReceiver({ signingSecret: SECRET, endpoints: '/slack/events' });
    const bolt = new App({
      token: 'xoxb-test',
      receiver,
      clientOptions: { slackApiUrl: emulators.slack.apiUrl, retryConfig: { retries: 0 } },
    });
    bolt.action<BlockAction<ButtonAction>>('approve_request', async ({ ack, body, action, respond }) => {
      await ack();
      clicks.push({ user: body.user.id, value: action.value ?? '', channel: body.channel?.id });
      await respond({ replace_original: true, text: `Approved by <@${body.user.id}>` });
    });
    bolt.command('/access', async ({ ack, body, client }) => {
      await ack();
      await client.views.open({
        trigger_id: body.trigger_id,
        view: {
          type: 'modal',
          callback_id: 'access_request',
          title: { type: 'plain_text', text: 'Request access' },
          submit: { type: 'plain_text', text: 'Request' },
          blocks: [{ type: 'input', block_id: 'why', label: { type: 'plain_text', text: 'Why?' }, element: { type: 'plain_text_input', action_id: 'text' } }],
        },
      });
    });
    bolt.view('access_request', async ({ ack, view, body }) => {
      const why = view.state.values.why?.text?.value ?? '';
      if (!/^[A-Z]+-\d+/.test(why)) return void (await ack({ response_action: 'errors', errors: { why: 'Cite a ticket key' } }));
      await ack();
      submissions.push({ user: body.user.id, why });
    });
    server = receiver.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    emulators.slack.emulator.setApp({ appEventsUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events` });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await emulators?.close();
  });

  it('delivers a button press Bolt accepts, and Bolt’s respond() replaces the message', async () => {
    const web = new WebClient('xoxb-test', { slackApiUrl: emulators.slack.apiUrl, retryConfig: { retries: 0 } });
    const posted = await web.chat.postMessage({ channel: '#access-approvals', text: 'Approve?', blocks: approvalBlocks });
    const res = await request(emulators.slack.url)
      .post('/_emulator/actions')
      .send({ user: 'carol@example.com', channel: posted.channel, ts: posted.ts, actionId: 'approve_request' })
      .expect(200);
    expect(res.body.status).toBe(200);
    expect(clicks).toContainEqual({ user: 'U_CAROL', value: 'req-42', channel: posted.channel });
    await waitFor(
      async () => (await web.conversations.history({ channel: posted.channel ?? '' })).messages?.find((m) => m.ts === posted.ts)?.text === 'Approved by <@U_CAROL>',
      'the message to be replaced through response_url',
      5000,
    );
  });

  it('runs a slash command that opens a modal, then submits it (errors keep it open)', async () => {
    const command = await request(emulators.slack.url).post('/_emulator/commands').send({ user: 'U_ALICE', command: '/access', text: '' }).expect(200);
    expect(command.body.status).toBe(200);
    const view = await waitFor(() => [...emulators.slack.emulator.state.views.values()].find((v) => v.callback_id === 'access_request' && v.open), 'the modal to open', 5000);
    expect(view.user).toBe('U_ALICE');

    const refused = await request(emulators.slack.url).post('/_emulator/views/submit').send({ viewId: view.id, values: { why: { text: 'because' } } }).expect(200);
    expect(refused.body).toMatchObject({ status: 200, body: { response_action: 'errors' }, viewOpen: true });

    const accepted = await request(emulators.slack.url).post('/_emulator/views/submit').send({ viewId: view.id, values: { why: { text: 'INC-42 outage' } } }).expect(200);
    expect(accepted.body.viewOpen).toBe(false);
    expect(submissions).toContainEqual({ user: 'U_ALICE', why: 'INC-42 outage' });
  });
});
