/**
 * Temporary accounts end to end (issue 12), on the real dev server with the emulators and the
 * official SDKs: a worker PROCESS (workers/main.ts: the real Okta adapter over okta-sdk-nodejs,
 * nodemailer to the SMTP emulator, Slack over @slack/web-api), the API built with createApp over
 * the real Okta adapter. Outcomes are read through Okta (the adapter), the SMTP emulator's
 * /_emulator/messages, Slack's conversations.history, the audit store and the workflow history.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import request from 'supertest';
import type { Application } from 'express';
import { oktaFromSettings } from '../../activities/adapters/from-settings';
import { createOktaClient } from '../../activities/adapters/okta';
import { AuditStore } from '../../activities/audit/store';
import type { OktaPort } from '../../activities/ports';
import { loadSettings } from '../../activities/settings';
import { createApp } from '../../api/app';
import { accountViewSchema } from '../../api/temporary-account-view';
import { setupOktaSchema } from '../../scripts/okta-setup';
import { temporaryAccountWorkflowId } from '../../workflows/constants';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { testPolicy, writeTestPolicy } from '../helpers/policies';
import { processEnv, startProcess, type ChildHandle } from '../helpers/processes';
import { uniqueQueue } from '../helpers/temporal';
import { apiToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait';

const TOKEN = 'temp-accounts-token-0123456789';
const INBOX = '00g_paris_inbox';
const CALENDAR = '00g_field_calendar';

type View = Record<string, unknown> & { id: string; status: string; login: string | null; expiresAt: string | null; notifications: { to: string; kind: string }[] };
interface Mail {
  to: string[];
  subject: string;
  text: string;
  html: string | null;
}

let emulators: RunningEmulators;
let connection: Connection;
let client: Client;
let app: Application;
let okta: OktaPort;
let slack: WebClient;
let env: NodeJS.ProcessEnv;
let worker: ChildHandle;
/** Every worker process's output, killed ones included: the credential must appear in none. */
const logs: string[][] = [];
const created: string[] = [];

function startWorker(): ChildHandle {
  const w = startProcess('workers/main.ts', env);
  logs.push(w.output);
  return w;
}

beforeAll(async () => {
  emulators = await startTestEmulators({ okta: 0, slack: 0, jira: 0, smtp: 0 });
  // As dev mode does: the custom profile attributes first (Okta refuses them otherwise).
  await setupOktaSchema(createOktaClient({ orgUrl: emulators.okta.url, token: 'test-okta-token' }));
  env = processEnv(emulators, {
    GATEHOUSE_TASK_QUEUE: uniqueQueue('temp-accounts'),
    GATEHOUSE_POLICY: writeTestPolicy(mkdtempSync(join(tmpdir(), 'gh-ta-pol-'))),
    SMTP_URL: emulators.smtp.smtpUrl,
    // A killed worker's sticky queue hands its workflows back to the shared queue within a second.
    GATEHOUSE_STICKY_TIMEOUT_MS: '1000',
  });
  okta = oktaFromSettings(loadSettings(env))!;
  // Someone already holds the first login Élodie Lefèvre would get.
  await okta.createUser({ login: 'elodie.lefevre.tmp@example.org', email: 'elodie.lefevre.tmp@example.org', firstName: 'Elodie', lastName: 'Lefevre' });
  worker = startWorker();
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection });
  const policy = testPolicy();
  app = createApp({
    temporal: client,
    taskQueue: env.GATEHOUSE_TASK_QUEUE!,
    policy: () => policy,
    okta,
    tokens: apiToken(TOKEN, 'hr-tool'),
    webUiUrl: 'http://127.0.0.1:8233',
    namespace: 'default',
    logger: pino({ level: 'silent' }),
  });
  slack = new WebClient('xoxb-test-token', { slackApiUrl: emulators.slack.apiUrl, retryConfig: { retries: 0 } });
  await worker.waitForLine(/worker started/);
});

afterAll(async () => {
  for (const id of created) {
    try {
      const handle = client?.workflow.getHandle(temporaryAccountWorkflowId(id));
      if ((await handle?.describe())?.status.name === 'RUNNING') await handle?.terminate('test cleanup');
    } catch {
      // already gone
    }
  }
  await worker?.kill('SIGTERM');
  await connection?.close();
  await emulators?.close();
});

// ---- helpers

const post = (path: string, body: unknown) => request(app).post(path).set('Authorization', `Bearer ${TOKEN}`).send(body as object);

async function view(id: string): Promise<View> {
  const res = await request(app).get(`/v1/temporary-accounts/${id}`).set('Authorization', `Bearer ${TOKEN}`);
  if (res.status !== 200) throw new Error(`GET answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as View;
}

const waitForView = (id: string, ok: (v: View) => boolean, what: string, timeoutMs = 30_000) =>
  waitFor(async () => {
    const v = await view(id);
    return ok(v) ? v : null;
  }, `account ${id}: ${what}`, timeoutMs, 100);

async function ask(body: Record<string, unknown>): Promise<View> {
  const res = await post('/v1/temporary-accounts', { manager: 'bob@example.com', reason: 'redeployed to the Paris office', ...body });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  created.push(res.body.id);
  return res.body as View;
}

async function mailTo(address: string): Promise<Mail[]> {
  const res = await fetch(`${emulators.smtp.url}/_emulator/messages?to=${encodeURIComponent(address)}`);
  return ((await res.json()) as { messages: Mail[] }).messages;
}

const about = (login: string) => (m: Mail) => m.text.includes(login) || m.subject.includes(login);

async function dmHistory(email: string) {
  const user = await slack.users.lookupByEmail({ email });
  const opened = await slack.conversations.open({ users: user.user!.id! });
  return ((await slack.conversations.history({ channel: opened.channel!.id!, limit: 200 })).messages ?? []) as { text?: string; blocks?: unknown[] }[];
}

async function faults(body: unknown): Promise<void> {
  const res = await fetch(`${emulators.okta.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`faults answered ${res.status}`);
}

/** The workflow's history as text, every payload decoded (payload data is base64 in the JSON form). */
async function historyText(accountId: string): Promise<string> {
  const { events } = await client.workflow.getHandle(temporaryAccountWorkflowId(accountId)).fetchHistory();
  return JSON.stringify(events, (key, value: unknown) => (key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value));
}

// ---- scenarios

describe('the whole life of a temporary account', () => {
  it('created with a unique login and its groups, credential to the manager only, warned, extended, refused past five days, closed and deleted on expiry', async () => {
    const started = Date.now();
    const body = { firstName: 'Élodie', lastName: 'Lefèvre', personalEmail: 'elodie.perso@example.net', validity: '4s', groups: ['paris-shared-inbox', 'field-calendar'], idempotencyKey: 'interview-42' };
    const first = await ask(body);
    expect(first.status).toBe('provisioning');
    expect(accountViewSchema.safeParse(first).success).toBe(true);
    // The same idempotency key: the same account, 200.
    const again = await post('/v1/temporary-accounts', { manager: 'bob@example.com', reason: 'redeployed to the Paris office', ...body });
    expect([again.status, again.body.id]).toEqual([200, first.id]);

    const active = await waitForView(first.id, (v) => v.status === 'active', 'active');
    const login = active.login!;
    expect(login).toBe('elodie.lefevre.tmp2@example.org');
    const createdAfter = Date.now() - started;

    // Extend at once (the manager), then past five days (refused with the limit), then by someone else (refused).
    const extended = await post(`/v1/temporary-accounts/${first.id}/extend`, { actor: 'bob@example.com', duration: '3s' });
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.body.expiresAt) - Date.parse(active.expiresAt!)).toBe(3000);
    const tooFar = await post(`/v1/temporary-accounts/${first.id}/extend`, { actor: 'bob@example.com', duration: '5d' });
    expect(tooFar.status).toBe(422);
    expect(tooFar.body.error.message).toContain(active.maxExpiresAt as string);
    const stranger = await post(`/v1/temporary-accounts/${first.id}/extend`, { actor: 'carol@example.com', duration: '1s' });
    expect(stranger.status).toBe(403);

    // Okta, through the SDK: the user, its marker and manager, its groups, a password to change.
    const user = (await okta.getUser(login))!;
    expect(user.status).toBe('PASSWORD_EXPIRED');
    expect(user.profile).toMatchObject({ gatehouseTemporary: true, gatehouseManager: 'bob@example.com', firstName: 'Élodie', lastName: 'Lefèvre', email: login });
    for (const group of [INBOX, CALENDAR]) expect((await okta.listGroupMembers(group)).map((u) => u.login)).toContain(login);

    // Mail: the credential on a line of its own, to the manager only.
    const credentialMail = await waitFor(async () => (await mailTo('bob@example.com')).find((m) => about(login)(m) && /^Temporary password: /m.test(m.text)), 'the credential mail');
    const password = /^Temporary password: (\S+)$/m.exec(credentialMail.text)![1]!;
    expect(password.length).toBeGreaterThanOrEqual(12);
    const welcome = await waitFor(async () => (await mailTo('elodie.perso@example.net')).find(about(login)), "the employee's mail");
    expect(welcome.text).not.toMatch(/^Temporary password:/m);
    expect(JSON.stringify(welcome)).not.toContain(password);

    // Warned before the end, then closed on time and deleted in Okta.
    const closed = await waitForView(first.id, (v) => v.status === 'closed', 'closed', 30_000);
    const lag = Date.parse(closed.closedAt as string) - Date.parse(closed.expiresAt!);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(5000);
    expect(closed.endReason).toBe('the account reached its expiry');
    expect(await okta.getUser(login)).toBeNull();
    expect(await okta.getUser(user.id)).toBeNull();

    // Notices: the manager (mail and Slack) and the employee, at each step.
    const final = await waitForView(first.id, (v) => v.notifications.filter((n) => n.kind === 'account_closed').length === 3, 'the closing notices', 20_000);
    const kinds = final.notifications.map((n) => `${n.kind} ${n.to}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'account_ready bob@example.com',
        'account_ready slack:bob@example.com',
        'welcome elodie.perso@example.net',
        'expiry_warning bob@example.com',
        'expiry_warning slack:bob@example.com',
        'account_closed bob@example.com',
        'account_closed slack:bob@example.com',
        'account_closed elodie.perso@example.net',
      ]),
    );
    const bobMail = (await mailTo('bob@example.com')).filter(about(login)).map((m) => m.subject);
    expect(bobMail).toEqual(expect.arrayContaining([expect.stringContaining('sign-in details'), expect.stringContaining('is active until'), expect.stringContaining('ends at'), expect.stringContaining('was closed')]));
    expect((await mailTo('elodie.perso@example.net')).map((m) => m.subject)).toEqual(['Your temporary account', 'Your temporary account was closed']);
    const dms = await dmHistory('bob@example.com');
    const ready = dms.find((m) => (m.text ?? '').includes(`Temporary account ${login}`) && (m.text ?? '').includes('is active'));
    expect(JSON.stringify(ready?.blocks)).toContain('"action_id":"extend_temporary_account"');
    expect(JSON.stringify(ready?.blocks)).toContain('"action_id":"close_temporary_account"');

    // The audit trail, in the worker's store.
    const store = new AuditStore({ sqlitePath: env.GATEHOUSE_AUDIT_DB! });
    const trail = await waitFor(async () => {
      const t = await store.trail(first.id);
      return t.some((e) => e.type === 'account_closed') ? t : null;
    }, 'the audit trail');
    await store.close();
    expect(trail.map((e) => e.type)).toEqual(
      expect.arrayContaining(['temporary_account_requested', 'login_chosen', 'account_created', 'credential_sent', 'extended', 'expiry_warned', 'closing', 'account_closed']),
    );

    // The credential appears nowhere but in that one e-mail: not in the history, the logs, the API, the audit log or Slack.
    const history = await historyText(first.id);
    expect(history).toContain(login);
    expect(history).not.toContain(password);
    expect(logs.flat().join('\n')).not.toContain(password);
    expect(logs.flat().join('\n')).toContain(first.id);
    expect(JSON.stringify(final)).not.toContain(password);
    expect(JSON.stringify(trail)).not.toContain(password);
    expect(JSON.stringify(dms)).not.toContain(password);
    console.log(`temporary account: active ${createdAfter} ms after the request; closed ${lag} ms after expiry`);
  });
});

describe('what the API refuses', () => {
  it('403 for a manager the policy refuses, 422 with what is allowed, 400 for bad names, 404 when the feature is off', async () => {
    const refused = await post('/v1/temporary-accounts', { manager: 'alice@example.com', firstName: 'A', lastName: 'B', validity: '24h', reason: 'x' });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden']);
    const notOffered = await post('/v1/temporary-accounts', { manager: 'frank@example.com', firstName: 'A', lastName: 'B', validity: '12h', groups: ['payroll', 'field-calendar'], reason: 'x' });
    expect(notOffered.status).toBe(422);
    expect(notOffered.body.error.details).toEqual([
      expect.objectContaining({ field: 'groups', allowed: ['paris-shared-inbox', 'field-calendar'] }),
      expect.objectContaining({ field: 'validity', allowed: ['4s', '24h', '48h'] }),
    ]);
    const badName = await post('/v1/temporary-accounts', { manager: 'frank@example.com', firstName: '<script>', lastName: 'B', validity: '24h', reason: 'x' });
    expect(badName.status).toBe(400);
    const unknownAccount = await request(app).get('/v1/temporary-accounts/01J00000000000000000000000').set('Authorization', `Bearer ${TOKEN}`);
    expect(unknownAccount.status).toBe(404);
    const noScope = await request(createApp({ temporal: client, taskQueue: 'x', policy: testPolicy, okta, tokens: apiToken(TOKEN, 'reader', ['requests:read']), webUiUrl: 'http://x', namespace: 'default', logger: pino({ level: 'silent' }) }))
      .get('/v1/temporary-accounts')
      .set('Authorization', `Bearer ${TOKEN}`);
    expect(noScope.status).toBe(403);
    const { temporaryAccounts: _off, ...withoutAccounts } = testPolicy();
    const off = createApp({ temporal: client, taskQueue: 'x', policy: () => withoutAccounts, okta, tokens: apiToken(TOKEN, 't'), webUiUrl: 'http://x', namespace: 'default', logger: pino({ level: 'silent' }) });
    const offAnswer = await request(off).post('/v1/temporary-accounts').set('Authorization', `Bearer ${TOKEN}`).send({ manager: 'bob@example.com', firstName: 'A', lastName: 'B', validity: '24h', reason: 'x' });
    expect(offAnswer.status).toBe(404);
  });

  it('lists by manager and status, with page tokens', async () => {
    const a = await ask({ manager: 'frank@example.com', firstName: 'Anne-Marie', lastName: "O'Neil", validity: '24h' });
    const b = await ask({ manager: 'frank@example.com', firstName: 'Jürgen', lastName: 'Groß', validity: '24h' });
    await waitForView(b.id, (v) => v.status === 'active', 'active');
    expect((await view(b.id)).login).toBe('jurgen.gross.tmp@example.org');
    const page1 = await waitFor(async () => {
      const res = await request(app).get('/v1/temporary-accounts?manager=frank@example.com&status=active&pageSize=1').set('Authorization', `Bearer ${TOKEN}`);
      return res.body.items?.length === 1 && res.body.nextPageToken ? res.body : null;
    }, 'a first page of frank\'s active accounts');
    const page2 = await request(app).get(`/v1/temporary-accounts?manager=frank@example.com&status=active&pageSize=1&pageToken=${page1.nextPageToken}`).set('Authorization', `Bearer ${TOKEN}`);
    expect([page1.items[0].id, page2.body.items[0].id].sort()).toEqual([a.id, b.id].sort());
    for (const id of [a.id, b.id]) expect((await post(`/v1/temporary-accounts/${id}/close`, { actor: 'frank@example.com', reason: 'done' })).status).toBe(200);
  });
});

describe('faults', () => {
  it('a close while Okta is down finishes when Okta is back', async () => {
    const account = await ask({ firstName: 'Marc', lastName: 'Durand', validity: '24h' });
    const { login } = await waitForView(account.id, (v) => v.status === 'active', 'active');
    const outageSeconds = 4;
    await faults({ outage: { seconds: outageSeconds, status: 503, route: 'DELETE /api/v1/users/*' } });
    const outageEnds = Date.now() + outageSeconds * 1000;
    const closing = await post(`/v1/temporary-accounts/${account.id}/close`, { actor: 'bob@example.com', reason: 'left early' });
    expect([closing.status, closing.body.status]).toEqual([200, 'closing']);
    await waitFor(() => emulators.okta.emulator.faults.injected.serverErrors > 0, 'the close to hit the outage', 10_000);
    expect(await okta.getUser(login!)).not.toBeNull();
    const closed = await waitForView(account.id, (v) => v.status === 'closed', 'closed after the outage', 60_000);
    expect(Date.parse(closed.closedAt as string)).toBeGreaterThanOrEqual(outageEnds - 200);
    expect(closed.endReason).toBe('closed by bob@example.com: left early');
    expect(await okta.getUser(login!)).toBeNull();
    await fetch(`${emulators.okta.url}/_emulator/faults`, { method: 'DELETE' });
  });

  it('a worker SIGKILLed while the account sleeps: the account is still closed on time', async () => {
    const account = await ask({ firstName: 'Zoé', lastName: 'Martin', validity: '4s' });
    await waitForView(account.id, (v) => v.status === 'active', 'active');
    // Room for a replacement worker to start before the expiry (a few seconds for tsx and the bundle).
    const active = (await post(`/v1/temporary-accounts/${account.id}/extend`, { actor: 'bob@example.com', duration: '8s' })).body as View;
    await worker.kill('SIGKILL');
    worker = startWorker();
    await worker.waitForLine(/worker started/);
    const closed = await waitForView(account.id, (v) => v.status === 'closed', 'closed after the restart', 30_000);
    const lag = Date.parse(closed.closedAt as string) - Date.parse(active.expiresAt!);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(3000);
    expect(await okta.getUser(active.login!)).toBeNull();
    console.log(`temporary account closed ${lag} ms after expiry across a SIGKILLed worker`);
  });
});
