/**
 * Slack over Socket Mode (issue 15, item 3): the same Bolt app as over HTTP, on Bolt's
 * SocketModeReceiver (the official @slack/socket-mode client) connected to the Slack emulator
 * with an app-level token. The emulator pushes clicks, slash commands and view submissions as
 * envelopes and waits for their acks; nothing is POSTed to the API. A worker on the real dev
 * server with the real Okta and Slack adapters against the emulators carries the requests out.
 */
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
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
import { mountSlack, SlackSocketModeError, type SlackApp } from '../../api/slack';
import { slackSignature } from '../../emulators';
import { accessRequestWorkflowId } from '../../workflows/constants';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { processEnv, startProcess } from '../helpers/processes';
import { connectHarness, createTestWorker, uniqueQueue, type TestHarness } from '../helpers/temporal';
import { apiToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait';

const APP_TOKEN = 'xapp-1-A0GATEHOUSE-1111-socketmodetestsecret';
const TOKEN = 'socket-test-token-0123456789';
const GROUP = '00g_prod_db_admin';

const POLICY = parsePolicy(
  `
defaults: { approvalTimeout: 1h, reminderAfter: 30m, expiryWarning: 0s }
resources:
  socket-db:
    name: Socket test database
    okta: { groupId: ${GROUP} }
    duration: { default: 10m, max: 1h }
    justification: { required: true, pattern: "^[A-Z]+-[0-9]+" }
    eligibility: { any: [ { attribute: department, in: [Engineering, SRE] } ] }
    approval:
      steps:
        - { approvers: manager, count: 1 }
`,
  'socket-test-policy.yaml',
);

interface Msg {
  ts?: string;
  text?: string;
  blocks?: Array<{ type?: string; text?: { text?: string }; elements?: Array<{ action_id?: string }> }>;
}

let emulators: RunningEmulators;
let harness: TestHarness;
let worker: Worker;
let running: Promise<void>;
let server: Server;
let api: ReturnType<typeof createApp>;
let slack: SlackApp;
let okta: OktaPort;
let web: WebClient;
let slackUrl: string;
const created: string[] = [];
const logLines: string[] = [];

/** A pino logger whose lines the tests can read (to prove the app token never appears). */
const capturedLogger = () =>
  pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );

beforeAll(async () => {
  emulators = await startTestEmulators({ okta: 0, slack: { socketMode: true, socket: { appToken: APP_TOKEN } }, jira: false });
  slackUrl = emulators.slack.url;
  okta = createOktaAdapter({ orgUrl: emulators.okta.url, token: 'test-okta-token' });
  const fakes = createFakePorts();
  harness = await connectHarness();
  const taskQueue = uniqueQueue('socket');
  ({ worker } = await createTestWorker(harness, {
    taskQueue,
    policy: POLICY,
    activities: createActivities({ okta, slack: createSlackAdapter({ botToken: 'xoxb-test', apiUrl: emulators.slack.apiUrl }), jira: fakes.jira, audit: fakes.audit, policy: () => POLICY }),
  }));
  running = worker.run();
  api = createApp({
    temporal: harness.client,
    taskQueue,
    policy: () => POLICY,
    okta,
    tokens: apiToken(TOKEN, 'socket-tests'),
    webUiUrl: 'http://127.0.0.1:8233',
    namespace: 'default',
    logger: pino({ level: 'silent' }),
    beforeParsers: (app, service) => {
      slack = mountSlack(app, { botToken: 'xoxb-test', appToken: APP_TOKEN, apiUrl: emulators.slack.apiUrl, teamId: 'T_GATEHOUSE', service, policy: () => POLICY, okta, logger: capturedLogger() });
    },
  });
  server = api.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  // Resolves at the emulator's hello.
  await slack.start();
  web = new WebClient('xoxb-test', { slackApiUrl: emulators.slack.apiUrl, retryConfig: { retries: 0 } });
});

afterAll(async () => {
  for (const id of created) {
    const handle = harness?.client.workflow.getHandle(accessRequestWorkflowId(id));
    try {
      if ((await handle?.describe())?.status.name === 'RUNNING') await handle?.terminate('socket test cleanup');
    } catch {
      // already gone
    }
  }
  await slack?.stop();
  worker?.shutdown();
  await running;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await harness?.close();
  await emulators?.close();
});

// ---- helpers

const auth = (t: request.Test) => t.set('Authorization', `Bearer ${TOKEN}`);
const hub = () => emulators.slack.emulator.socket;
const slackState = () => emulators.slack.emulator.state;
const dmChannel = (userId: string) => [...slackState().conversations.values()].find((c) => c.is_im && c.user === userId)?.id;
const about = (id: string) => (m: Msg) => JSON.stringify(m.blocks ?? []).includes(id);
const hasButton = (m: Msg, actionId: string) => (m.blocks ?? []).some((b) => b.type === 'actions' && (b.elements ?? []).some((e) => e.action_id === actionId));
const members = async () => (await okta.listGroupMembers(GROUP)).map((u) => u.login);

async function view(id: string): Promise<Record<string, unknown> & { status: string }> {
  const res = await auth(request(api).get(`/v1/requests/${id}`));
  if (res.status !== 200) throw new Error(`GET ${id}: ${res.status}`);
  return res.body;
}

async function createByHttp(): Promise<string> {
  const res = await auth(request(api).post('/v1/requests')).send({ requester: 'alice@example.com', resource: 'socket-db', justification: 'OPS-77 socket mode' });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  created.push(res.body.id);
  return res.body.id;
}

async function history(channel: string | undefined): Promise<Msg[]> {
  if (!channel) return [];
  return ((await web.conversations.history({ channel, limit: 200 })).messages ?? []).reverse() as Msg[];
}

const approvalFor = (id: string) => waitFor(async () => (await history(dmChannel('U_BOB'))).find((m) => about(id)(m) && hasButton(m, 'approve_request')), `bob's approval message for ${id}`);

/** bob clicks Approve: the emulator pushes an `interactive` envelope and answers with the app's ack. */
const pressApprove = (ts: string) => request(slackUrl).post('/_emulator/actions').send({ user: 'U_BOB', channel: dmChannel('U_BOB'), ts, actionId: 'approve_request' });

const openModal = (user: string, callbackId: string, notIn: Set<string>) =>
  waitFor(() => [...slackState().views.values()].find((v) => v.user === user && v.callback_id === callbackId && v.open && !notIn.has(v.id)), `${callbackId} modal for ${user}`);
const option = (value: string) => ({ type: 'static_select', selected_option: { text: { type: 'plain_text', text: value }, value } });
const stats = async () => (await request(slackUrl).get('/_emulator/socket').expect(200)).body as { socketMode: boolean; open: number; opened: number; refused: number; envelopes: Array<{ type: string; ack?: unknown }> };

// ---- the tests

describe('Slack over Socket Mode', () => {
  it('serves no request URL: /slack/events is 404, even for a correctly signed request', async () => {
    const body = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U_BOB' }, team: { id: 'T_GATEHOUSE' }, actions: [{ action_id: 'approve_request', value: '01J00000000000000000000000', action_ts: '1.2' }] }))}`;
    const now = Math.floor(Date.now() / 1000);
    const res = await request(api)
      .post('/slack/events')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('X-Slack-Request-Timestamp', String(now))
      .set('X-Slack-Signature', slackSignature('any-secret', now, body))
      .send(body);
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe('not_found');
    // Connected the Socket Mode way: one connection, opened with the app-level token.
    expect(await stats()).toMatchObject({ socketMode: true, open: 1 });
  });

  it('an Approve click arrives as an interactive envelope, is acked, and ends in the Okta group', async () => {
    const id = await createByHttp();
    const message = await approvalFor(id);
    const before = (await stats()).envelopes.length;
    const res = await pressApprove(message.ts!);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe(200); // the app's ack over the socket
    await waitFor(async () => (await members()).includes('alice@example.com'), 'alice in the Okta group');
    const active = await waitFor(async () => {
      const v = await view(id);
      return v.status === 'active' ? v : null;
    }, 'active');
    expect(active.approvals).toEqual([expect.objectContaining({ approver: 'bob@example.com', decision: 'approved', via: 'slack' })]);
    const delivered = (await stats()).envelopes.slice(before);
    expect(delivered.map((e) => e.type)).toEqual(['interactive']);
    expect(delivered[0]!.ack).toBeDefined();
    // The answer to the click reaches bob as over HTTP (response_url / ephemeral).
    await waitFor(() => slackState().conversations.get(dmChannel('U_BOB')!)?.ephemeral.some((e) => e.user === 'U_BOB' && /You approved/.test(e.text)), 'bob told of his approval');
    expect((await auth(request(api).post(`/v1/requests/${id}/revoke`)).send({ actor: 'alice@example.com', reason: 'socket test done' })).status).toBe(200);
    await waitFor(async () => !(await members()).includes('alice@example.com'), 'alice out of the group again');
  });

  it('/access arrives as a slash_commands envelope and opens the form; the form answers in the ack (errors), then starts a request', async () => {
    const seen = new Set(slackState().views.keys());
    const command = await request(slackUrl).post('/_emulator/commands').send({ user: 'U_ALICE', command: '/access', text: 'socket-db' });
    expect(command.status).toBe(200);
    expect(command.body.status).toBe(200);
    const form = await openModal('U_ALICE', 'access_request', seen);
    expect(JSON.stringify(form.blocks)).toContain('"value":"socket-db"');

    // Inline errors travel back in the envelope's ack payload (response_action: errors).
    const bad = await request(slackUrl)
      .post('/_emulator/views/submit')
      .send({ viewId: form.id, values: { resource: { resource: option('socket-db') }, duration: { duration: '3h' }, justification: { justification: 'because' } } });
    expect(bad.body).toMatchObject({ status: 200, viewOpen: true, body: { response_action: 'errors', errors: { duration: expect.stringMatching(/exceeds the maximum of 1h/), justification: expect.stringMatching(/must match/) } } });

    const good = await request(slackUrl)
      .post('/_emulator/views/submit')
      .send({ viewId: form.id, values: { resource: { resource: option('socket-db') }, duration: { duration: '20m' }, justification: { justification: 'OPS-78 over the socket' } } });
    expect(good.body).toMatchObject({ status: 200, viewOpen: false });
    const started = await waitFor(async () => {
      const res = await auth(request(api).get('/v1/requests?requester=alice@example.com&resource=socket-db&status=pending_approval'));
      return (res.body.items as Array<Record<string, unknown>>).find((r) => r.via === 'slack' && r.justification === 'OPS-78 over the socket');
    }, 'the request started from Slack');
    created.push(started.id as string);
    expect(started).toMatchObject({ requester: 'alice@example.com', durationMs: 20 * 60_000 });
    const types = (await stats()).envelopes.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['slash_commands', 'interactive']));
    expect((await auth(request(api).post(`/v1/requests/${String(started.id)}/cancel`)).send({ actor: 'alice@example.com' })).status).toBe(200);
  });

  it('reconnects by itself after the connection is cut, and handles the next click', async () => {
    const id = await createByHttp();
    const message = await approvalFor(id);
    const { opened } = await stats();
    const dropped = await request(slackUrl).post('/_emulator/socket/drop').expect(200);
    expect(dropped.body.dropped).toBe(1);
    // Nothing is connected for a moment: a click now would be lost (Slack shows the user an error).
    const lost = await pressApprove(message.ts!);
    expect(lost.status).toBe(409);
    expect(lost.body.error).toBe('no_socket_connection');
    expect((await view(id)).status).toBe('pending_approval');

    // The client notices, asks apps.connections.open for a new URL and connects again.
    await waitFor(async () => {
      const s = await stats();
      return s.open === 1 && s.opened === opened + 1;
    }, 'the app to reconnect', 30_000, 100);
    const res = await pressApprove(message.ts!);
    expect(res.body.status).toBe(200);
    await waitFor(async () => (await members()).includes('alice@example.com'), 'alice in the Okta group after the reconnect');

    // Slack's polite `disconnect` (a server being recycled): a new connection again, no click lost.
    const asked = await request(slackUrl).post('/_emulator/socket/disconnect').expect(200);
    expect(asked.body.asked).toBe(1);
    await waitFor(async () => {
      const s = await stats();
      return s.open === 1 && s.opened === opened + 2;
    }, 'the app to reconnect after disconnect', 30_000, 100);
    expect((await auth(request(api).post(`/v1/requests/${id}/revoke`)).send({ actor: 'alice@example.com', reason: 'socket test done' })).status).toBe(200);
    await waitFor(async () => !(await members()).includes('alice@example.com'), 'alice out of the group again');
  });

  it('acks an Events API envelope, and acks and drops a payload no listener can take', async () => {
    const event = await request(slackUrl).post('/_emulator/events').send({ event: { type: 'app_home_opened', user: 'U_ALICE', channel: 'D0', tab: 'home' } });
    expect(event.status).toBe(200);
    expect(event.body.status).toBe(200);
    // Without the guard Bolt never acks this one and the emulator answers envelope_not_acked.
    const odd = await hub().deliver('interactive', { type: 'nonsense', user: { id: 'U_ALICE' } });
    expect(odd.status).toBe(200);
    const half = await hub().deliver('slash_commands', { command: '/access', user_id: 'U_ALICE' });
    expect(half.status).toBe(200);
    await waitFor(() => logLines.some((l) => /Slack envelope not handled/.test(l) && /no trigger_id|without command, user_id or trigger_id/.test(l)), 'the dropped command logged');
  });

  it('never writes the app token to its logs', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(APP_TOKEN);
    expect(logLines.join('\n')).not.toContain('socketmodetestsecret');
  });
});

describe('a bad app token fails closed', () => {
  it('start() rejects with what to fix when Slack refuses the token, and logs no token', async () => {
    const refusedBefore = (await stats()).refused;
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
    const express = (await import('express')).default;
    const wrong = 'xapp-1-A0GATEHOUSE-2222-notthetokenxyz';
    const other = mountSlack(express(), { botToken: 'xoxb-test', appToken: wrong, apiUrl: emulators.slack.apiUrl, teamId: 'T_GATEHOUSE', service: {} as never, policy: () => POLICY, okta, logger });
    const err = await other.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SlackSocketModeError);
    expect((err as Error).message).toMatch(/Slack refused SLACK_APP_TOKEN \(invalid_auth\).*connections:write/);
    expect((err as Error).message).not.toContain(wrong);
    expect(lines.join('\n')).not.toContain('notthetokenxyz');
    expect((await stats()).refused).toBe(refusedBefore + 1);
    await other.stop();
  });

  it.each([
    ['a bot token in SLACK_APP_TOKEN', 'xoxb-1-not-an-app-token-secretbits', /SLACK_APP_TOKEN: an app-level token \(xapp-…\)/],
    ['an app token Slack refuses', 'xapp-1-A0GATEHOUSE-3333-refusedsecretbits', /SLACK_APP_TOKEN: Slack refused SLACK_APP_TOKEN \(invalid_auth\)/],
  ])('the API process exits 1 with %s, naming the variable and not its value', async (_what, appToken, message) => {
    const child = startProcess('api/main.ts', processEnv(emulators, { PORT: '0', GATEHOUSE_API_TOKENS: `socket:${TOKEN}`, SLACK_APP_TOKEN: appToken, SLACK_SIGNING_SECRET: '', JIRA_HOST: '', JIRA_API_TOKEN: '' }));
    try {
      const code = await waitFor(() => child.child.exitCode, 'the API to exit', 60_000, 100);
      expect(code).toBe(1);
      const out = child.output.join('\n');
      expect(out).toMatch(message);
      // That is the one problem: everything else about this API is fine.
      expect(out.match(/^\s+- /gm)).toHaveLength(1);
      expect(out).not.toContain('secretbits');
    } finally {
      await child.kill('SIGKILL');
    }
  });
});

describe('the API process in Socket Mode', () => {
  it('listens, connects out with SLACK_APP_TOKEN (no signing secret), and serves no /slack/events', async () => {
    const { opened } = await stats();
    const child = startProcess('api/main.ts', processEnv(emulators, { PORT: '0', GATEHOUSE_API_TOKENS: `socket:${TOKEN}`, SLACK_APP_TOKEN: APP_TOKEN, SLACK_SIGNING_SECRET: '', JIRA_HOST: '', JIRA_API_TOKEN: '' }));
    try {
      const listening = await child.waitForLine(/Gatehouse API listening/);
      const url = (JSON.parse(listening) as { url: string }).url;
      await child.waitForLine(/Slack Socket Mode connected/);
      expect((await stats()).opened).toBe(opened + 1);
      const res = await request(url).post('/slack/events').type('form').send('payload=%7B%7D');
      expect(res.status).toBe(404);
      expect(child.output.join('\n')).toMatch(/Slack over Socket Mode/);
      expect(child.output.join('\n')).not.toContain('socketmodetestsecret');
    } finally {
      await child.kill();
    }
    await waitFor(async () => (await stats()).open === 1, 'the process connection gone');
  });
});
