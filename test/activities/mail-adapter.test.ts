/**
 * The mail adapter (nodemailer, pooled) against the SMTP emulator: what it returns, and how each
 * SMTP failure is classified for Temporal's retries.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createMailAdapter, toMailFailure, type MailAdapter } from '../../activities/adapters/mail';
import { mailFromSettings } from '../../activities/adapters/from-settings';
import { renderMail } from '../../activities/mail/message';
import { settingsSchema } from '../../activities/settings';
import type { ReceivedMail } from '../../emulators';
import { failureOf, startTestEmulators, type RunningEmulators } from '../helpers/emulators';

let emulators: RunningEmulators;
const adapters: MailAdapter[] = [];

beforeAll(async () => {
  emulators = await startTestEmulators({ okta: false, slack: false, jira: false, smtp: 0 });
});
afterAll(async () => {
  for (const adapter of adapters) adapter.close();
  await emulators.close();
});
beforeEach(async () => {
  await request(emulators.smtp.url).post('/_emulator/reset').expect(204);
});

function adapter(url = emulators.smtp.smtpUrl, timeouts?: Parameters<typeof createMailAdapter>[0]['timeouts']): MailAdapter {
  const created = createMailAdapter({ url, from: 'Gatehouse <gatehouse@example.com>', timeouts });
  adapters.push(created);
  return created;
}

async function received(to?: string): Promise<ReceivedMail[]> {
  return (await request(emulators.smtp.url).get('/_emulator/messages').query(to ? { to } : {}).expect(200)).body.messages;
}

const content = renderMail({
  subject: 'Your temporary account',
  heading: 'A temporary account for Élodie Lefèvre',
  paragraphs: ['It closes itself in 24 hours.'],
  fields: [
    { label: 'Login', value: 'elodie.lefevre.tmp@example.com' },
    { label: 'Temporary password', value: 'Xy7!pq<&>' },
  ],
  action: { label: 'Extend', url: 'http://127.0.0.1:3000/v1/temporary-accounts/ta_1' },
});

describe('mail adapter', () => {
  it('sends text and HTML from MAIL_FROM and returns the messageId', async () => {
    const result = await adapter().send({ to: 'bob@example.com', replyTo: 'it-support@example.com', ...content });
    expect(result).toEqual({ messageId: expect.stringMatching(/^<.+@.+>$/) });
    const [mail] = await received('bob@example.com');
    expect(mail).toMatchObject({ messageId: result.messageId, subject: 'Your temporary account', replyTo: 'it-support@example.com', to: ['bob@example.com'] });
    expect(mail!.from).toContain('<gatehouse@example.com>');
    expect(mail!.text.split('\n')).toContain('Temporary password: Xy7!pq<&>');
    expect(mail!.html).toContain('Xy7!pq&#60;&#38;&#62;');
  });

  it('works with credentials in SMTP_URL, through mailFromSettings', async () => {
    const settings = settingsSchema.parse({ SMTP_URL: `smtp://gatehouse:s3cret@127.0.0.1:${emulators.smtp.port}` });
    const mail = mailFromSettings(settings)!;
    adapters.push(mail);
    const result = await mail.send({ to: ['alice@example.com', 'bob@example.com'], ...content });
    const [delivered] = await received();
    expect(delivered).toMatchObject({ messageId: result.messageId, to: ['alice@example.com', 'bob@example.com'] });
    // The development default sender.
    expect(delivered!.from).toContain('<gatehouse@example.com>');
    expect(mailFromSettings(settingsSchema.parse({}))).toBeUndefined();
  });

  it('an outage (transient 451) is a retryable MailUnavailable; mail flows when it ends', async () => {
    const mail = adapter();
    await request(emulators.smtp.url).post('/_emulator/faults').send({ outage: { seconds: 60, code: 451 } }).expect(200);
    const failure = await failureOf(mail.send({ to: 'alice@example.com', ...content }));
    expect(failure).toMatchObject({ type: 'MailUnavailable', nonRetryable: false });
    expect(failure.message).toContain('451');
    // The message body never reaches the failure (it lands in workflow history).
    expect(failure.message).not.toContain('Xy7');

    await request(emulators.smtp.url).post('/_emulator/faults').send({ outage: { seconds: 60, code: 421 } }).expect(200);
    expect(await failureOf(mail.send({ to: 'alice@example.com', ...content }))).toMatchObject({ type: 'MailUnavailable', nonRetryable: false });

    await request(emulators.smtp.url).delete('/_emulator/faults').expect(204);
    await mail.send({ to: 'alice@example.com', ...content });
    expect(await received('alice@example.com')).toHaveLength(1);
  });

  it('a permanent 550 is a non-retryable MailRejected; a partial refusal is reported, not thrown', async () => {
    const mail = adapter();
    await request(emulators.smtp.url).post('/_emulator/faults').send({ reject: { recipients: ['gone@example.com'] } }).expect(200);
    const failure = await failureOf(mail.send({ to: 'gone@example.com', ...content }));
    expect(failure).toMatchObject({ type: 'MailRejected', nonRetryable: true });
    expect(failure.message).toContain('550');

    const partial = await mail.send({ to: ['gone@example.com', 'bob@example.com'], ...content });
    expect(partial).toEqual({ messageId: expect.any(String), rejected: ['gone@example.com'] });
    expect(await received('bob@example.com')).toHaveLength(1);
  });

  it('an unreachable port is a retryable MailUnavailable, at once', async () => {
    const closed = await freePort();
    const started = Date.now();
    const failure = await failureOf(adapter(`smtp://127.0.0.1:${closed}`).send({ to: 'alice@example.com', ...content }));
    expect(failure).toMatchObject({ type: 'MailUnavailable', nonRetryable: false });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a server that never greets is a MailUnavailable within the greeting timeout', async () => {
    const silent = await silentServer();
    try {
      const started = Date.now();
      const failure = await failureOf(adapter(`smtp://127.0.0.1:${silent.port}`, { greeting: 300 }).send({ to: 'alice@example.com', ...content }));
      expect(failure).toMatchObject({ type: 'MailUnavailable', nonRetryable: false });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await silent.close();
    }
  });

  it('the whole send is bounded even when the server answers slowly', async () => {
    await request(emulators.smtp.url).post('/_emulator/faults').send({ latencyMs: 5_000 }).expect(200);
    const started = Date.now();
    const failure = await failureOf(adapter(undefined, { send: 500 }).send({ to: 'alice@example.com', ...content }));
    expect(failure).toMatchObject({ type: 'MailUnavailable', nonRetryable: false });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('classifies login refusals and messages that cannot be sent as they are', () => {
    expect(toMailFailure(Object.assign(new Error('Invalid login: 535 5.7.8 bad'), { code: 'EAUTH', responseCode: 535, permanent: true }))).toMatchObject({ type: 'MailAuthFailed', nonRetryable: false });
    expect(toMailFailure(Object.assign(new Error('No recipients defined'), { code: 'EENVELOPE' }))).toMatchObject({ type: 'MailRejected', nonRetryable: true });
    expect(toMailFailure(Object.assign(new Error('554 5.7.1 spam'), { code: 'EMESSAGE', responseCode: 554, permanent: true }))).toMatchObject({ type: 'MailRejected', nonRetryable: true });
    expect(toMailFailure(Object.assign(new Error('Greeting never received'), { code: 'ETIMEDOUT' }))).toMatchObject({ type: 'MailUnavailable', nonRetryable: false });
  });
});

/** A port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Accepts TCP connections and never says a word (a hung mail server). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => r());
      }),
  };
}
