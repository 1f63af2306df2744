/**
 * Temporary accounts in Slack: `/access temp` opens the form for a manager, problems show next to
 * their field, a valid form starts the account; the manager's DM shows the login with Extend and
 * Close now, which work. The real Bolt app on the API, the Slack emulator sending signed
 * payloads, a worker on the real dev server with the real Okta, Slack and mail adapters against
 * the emulators.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import type { Worker } from '@temporalio/worker';
import { pino } from 'pino';
import request from 'supertest';
import { createActivities } from '../../activities';
import { createMailAdapter, type MailAdapter } from '../../activities/adapters/mail';
import { createOktaAdapter, createOktaClient } from '../../activities/adapters/okta';
import { createSlackAdapter } from '../../activities/adapters/slack';
import { createFakePorts } from '../../activities/fakes';
import type { OktaPort } from '../../activities/ports';
import { createApp } from '../../api/app';
import { mountSlack } from '../../api/slack';
import { setupOktaSchema } from '../../scripts/okta-setup';
import { temporaryAccountWorkflowId } from '../../workflows/constants';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { testPolicy } from '../helpers/policies';
import { connectHarness, createTestWorker, uniqueQueue, type TestHarness } from '../helpers/temporal';
import { apiToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait';

const SECRET = 'slack-ta-signing-secret';
const TOKEN = 'slack-ta-token-0123456789';
const POLICY = testPolicy();

interface Msg {
  ts?: string;
  text?: string;
  blocks?: Array<{ type?: string; elements?: Array<{ action_id?: string }> }>;
}

let emulators: RunningEmulators;
let harness: TestHarness;
let worker: Worker;
let running: Promise<void>;
let server: Server;
let api: ReturnType<typeof createApp>;
let okta: OktaPort;
let mail: MailAdapter;
let web: WebClient;

beforeAll(async () => {
  emulators = await startTestEmulators({ okta: 0, slack: { signingSecret: SECRET }, jira: false, smtp: 0 });
  await setupOktaSchema(createOktaClient({ orgUrl: emulators.okta.url, token: 'test-okta-token' }));
  okta = createOktaAdapter({ orgUrl: emulators.okta.url, token: 'test-okta-token' });
  mail = createMailAdapter({ url: emulators.smtp.smtpUrl, from: 'Gatehouse <gatehouse@example.com>' });
  const fakes = createFakePorts();
  harness = await connectHarness();
  const taskQueue = uniqueQueue('slack-ta');
  ({ worker } = await createTestWorker(harness, {
    taskQueue,
    policy: POLICY,
    activities: createActivities({ okta, slack: createSlackAdapter({ botToken: 'xoxb-test', apiUrl: emulators.slack.apiUrl }), jira: fakes.jira, audit: fakes.audit, mail, policy: () => POLICY }),
  }));
  running = worker.run();
  api = createApp({
    temporal: harness.client,
    taskQueue,
    policy: () => POLICY,
    okta,
    tokens: apiToken(TOKEN, 'slack-ta'),
    webUiUrl: 'http://127.0.0.1:8233',
    namespace: 'default',
    logger: pino({ level: 'silent' }),
    beforeParsers: (app, service, { accounts }) => {
      mountSlack(app, { botToken: 'xoxb-test', signingSecret: SECRET, apiUrl: emulators.slack.apiUrl, teamId: 'T_GATEHOUSE', service, accounts, policy: () => POLICY, okta, logger: pino({ level: 'silent' }) });
    },
  });
  server = api.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  emulators.slack.emulator.setApp({ appEventsUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events` });
  web = new WebClient('xoxb-test', { slackApiUrl: emulators.slack.apiUrl, retryConfig: { retries: 0 } });
});

afterAll(async () => {
  const query = `TaskQueue = "${worker?.options.taskQueue}" AND ExecutionStatus = "Running"`;
  for await (const wf of harness.client.workflow.list({ query })) await harness.client.workflow.getHandle(wf.workflowId).terminate('test cleanup').catch(() => undefined);
  worker?.shutdown();
  await running;
  mail?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await harness?.close();
  await emulators?.close();
});

const slack = () => emulators.slack.emulator.state;
const slackUrl = () => emulators.slack.url;
const dmChannel = (userId: string) => [...slack().conversations.values()].find((c) => c.is_im && c.user === userId)?.id;
const hasButton = (m: Msg, actionId: string) => (m.blocks ?? []).some((b) => b.type === 'actions' && (b.elements ?? []).some((e) => e.action_id === actionId));
const history = async (channel: string | undefined): Promise<Msg[]> => (channel ? (((await web.conversations.history({ channel, limit: 200 })).messages ?? []) as Msg[]) : []);
const openModal = (user: string, callbackId: string, notIn: Set<string>) =>
  waitFor(() => [...slack().views.values()].find((v) => v.user === user && v.callback_id === callbackId && v.open && !notIn.has(v.id)), `${callbackId} modal for ${user}`);
const openIds = () => new Set([...slack().views.keys()]);

async function submit(viewId: string, values: Record<string, Record<string, unknown>>) {
  const res = await request(slackUrl()).post('/_emulator/views/submit').send({ viewId, values });
  expect(res.status).toBe(200);
  return res.body as { body: { errors?: Record<string, string> }; viewOpen: boolean };
}
const select = (value: string) => ({ type: 'static_select', selected_option: { text: { type: 'plain_text', text: value }, value } });

it('/access temp: the form for a manager, inline errors, then the account; Extend and Close now from the DM', async () => {
  let seen = openIds();
  await request(slackUrl()).post('/_emulator/commands').send({ user: 'U_BOB', command: '/access', text: 'temp' }).expect(200);
  const form = await openModal('U_BOB', 'temporary_account_create', seen);
  expect(JSON.stringify(form.blocks)).toContain('"value":"paris-shared-inbox"');
  const day = String(24 * 3_600_000);

  const values = (firstName: string, email: string) => ({
    first_name: { first_name: firstName },
    last_name: { last_name: 'Dubois' },
    personal_email: { personal_email: { type: 'email_text_input', value: email } },
    validity: { validity: select(day) },
    groups: { groups: { type: 'multi_static_select', selected_options: [{ text: { type: 'plain_text', text: 'Paris' }, value: 'paris-shared-inbox' }] } },
    reason: { reason: 'interim at the Paris office' },
  });
  const bad = await submit(form.id, values('<Chloé>', 'not-an-address'));
  expect(bad.viewOpen).toBe(true);
  expect(bad.body.errors).toEqual({ first_name: expect.stringMatching(/^Letters, spaces/), personal_email: expect.any(String) });

  const good = await submit(form.id, values('Chloé', 'chloe@example.net'));
  expect(good.viewOpen).toBe(false);

  // The workflow's DM: the login, with Extend and Close now.
  const ready = await waitFor(async () => (await history(dmChannel('U_BOB'))).find((m) => (m.text ?? '').includes('chloe.dubois.tmp@example.org') && hasButton(m, 'close_temporary_account')), "bob's DM with the login");
  expect(hasButton(ready, 'extend_temporary_account')).toBe(true);
  const accountId = JSON.stringify(ready.blocks).match(/Account `([0-9A-Z]{26})`/)![1]!;

  // Extend: the picker, bounded by maxTotal, then the Update.
  seen = openIds();
  await request(slackUrl()).post('/_emulator/actions').send({ user: 'U_BOB', channel: dmChannel('U_BOB'), ts: ready.ts, actionId: 'extend_temporary_account' }).expect(200);
  const picker = await openModal('U_BOB', 'extend_temporary_account_duration', seen);
  const before = (await harness.client.workflow.getHandle(temporaryAccountWorkflowId(accountId)).query('status')) as { expiresAt: string };
  expect((await submit(picker.id, { duration: { duration: select(String(3_600_000)) } })).viewOpen).toBe(false);
  await waitFor(async () => {
    const s = (await harness.client.workflow.getHandle(temporaryAccountWorkflowId(accountId)).query('status')) as { expiresAt: string };
    return Date.parse(s.expiresAt) - Date.parse(before.expiresAt) === 3_600_000;
  }, 'the extension');

  // Close now: alice (not the manager) is refused; bob closes it, and Okta deletes the user.
  const alice = await request(slackUrl()).post('/_emulator/actions').send({ user: 'U_ALICE', channel: dmChannel('U_BOB'), ts: ready.ts, actionId: 'close_temporary_account' }).expect(200);
  expect(alice.body.status).toBe(200);
  await request(slackUrl()).post('/_emulator/actions').send({ user: 'U_BOB', channel: dmChannel('U_BOB'), ts: ready.ts, actionId: 'close_temporary_account' }).expect(200);
  const final = await harness.client.workflow.getHandle(temporaryAccountWorkflowId(accountId)).result();
  expect([final.status, final.endReason, final.via]).toEqual(['closed', 'closed by bob@example.com: closed from Slack', 'slack']);
  expect(await okta.getUser('chloe.dubois.tmp@example.org')).toBeNull();
});
