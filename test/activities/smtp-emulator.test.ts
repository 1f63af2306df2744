/**
 * The SMTP emulator (SPEC §14) driven by nodemailer, the client the mail adapter uses: logins,
 * text and HTML, several recipients, the /_emulator surface, faults and the page of received mail.
 */
import nodemailer from 'nodemailer';
import request from 'supertest';
import type { ReceivedMail } from '../../emulators';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';

let emulators: RunningEmulators;
const transports: { close(): void }[] = [];

beforeAll(async () => {
  emulators = await startTestEmulators({ okta: false, slack: false, jira: false, smtp: 0 });
});
afterAll(async () => {
  for (const t of transports) t.close();
  await emulators.close();
});
beforeEach(async () => {
  await request(emulators.smtp.url).post('/_emulator/reset').expect(204);
});

function transport(url = emulators.smtp.smtpUrl) {
  const t = nodemailer.createTransport(url);
  transports.push(t);
  return t;
}

async function messages(to?: string): Promise<ReceivedMail[]> {
  const res = await request(emulators.smtp.url)
    .get('/_emulator/messages')
    .query(to ? { to } : {})
    .expect(200);
  return res.body.messages;
}

describe('SMTP emulator', () => {
  it('accepts mail without a login and with any login in the URL', async () => {
    const port = emulators.smtp.port;
    await transport().sendMail({ from: 'gatehouse@example.com', to: 'alice@example.com', subject: 'no login', text: 'one' });
    const withLogin = transport(`smtp://gatehouse%40acme.com:s3cr%3At@127.0.0.1:${port}`);
    await expect(withLogin.verify()).resolves.toBe(true);
    await withLogin.sendMail({ from: 'gatehouse@example.com', to: 'alice@example.com', subject: 'with login', text: 'two' });
    expect((await messages()).map((m) => m.subject)).toEqual(['no login', 'with login']);
  });

  it('keeps text and HTML, the headers and every envelope recipient', async () => {
    const info = await transport().sendMail({
      from: 'Gatehouse <gatehouse@example.com>',
      to: ['Alice@Example.com', 'bob@example.com'],
      cc: 'carol@example.com',
      bcc: 'dave@example.com',
      replyTo: 'security@example.com',
      subject: 'Your temporary account',
      text: 'Hello\nTemporary password: Xy7!pq\n',
      html: '<p>Hello</p><p><b>Temporary password:</b> Xy7!pq</p>',
    });
    const [mail] = await messages();
    expect(mail).toEqual({
      id: expect.stringMatching(/^msg_/),
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      from: expect.stringContaining('<gatehouse@example.com>'),
      to: expect.any(Array),
      subject: 'Your temporary account',
      text: 'Hello\nTemporary password: Xy7!pq\n',
      html: '<p>Hello</p><p><b>Temporary password:</b> Xy7!pq</p>',
      messageId: info.messageId,
      replyTo: 'security@example.com',
    });
    // nodemailer lowercases the domain; the local part is kept.
    expect(mail!.to.map((a) => a.toLowerCase())).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com']);
    expect(mail!.from).toMatch(/^"?Gatehouse"? </);
    expect(mail!.text.split('\n')).toContain('Temporary password: Xy7!pq');
  });

  it('answers html null for a text-only message', async () => {
    await transport().sendMail({ from: 'gatehouse@example.com', to: 'erin@example.com', subject: 'plain', text: 'only text' });
    const [mail] = await messages();
    expect(mail!.html).toBeNull();
    expect(mail!.text.trim()).toBe('only text');
  });

  it('filters by recipient, case-insensitively, and resets', async () => {
    const t = transport();
    await t.sendMail({ from: 'gatehouse@example.com', to: 'alice@example.com', subject: 'for alice', text: '1' });
    await t.sendMail({ from: 'gatehouse@example.com', to: ['bob@example.com', 'ALICE@example.com'], subject: 'for both', text: '2' });
    await t.sendMail({ from: 'gatehouse@example.com', to: 'bob@example.com', subject: 'for bob', text: '3' });
    expect((await messages('Alice@Example.COM')).map((m) => m.subject)).toEqual(['for alice', 'for both']);
    expect((await messages('bob@example.com')).map((m) => m.subject)).toEqual(['for both', 'for bob']);
    expect(await messages('nobody@example.com')).toEqual([]);
    await request(emulators.smtp.url).get('/_emulator/messages?to=a@x&to=b@x').expect(400);

    const state = await request(emulators.smtp.url).get('/_emulator/state').expect(200);
    expect(state.body).toMatchObject({ smtp: `127.0.0.1:${emulators.smtp.port}`, messages: 3 });
    await request(emulators.smtp.url).post('/_emulator/reset').expect(204);
    expect(await messages()).toEqual([]);
    const after = await request(emulators.smtp.url).get('/_emulator/state').expect(200);
    expect(after.body.messages).toBe(0);
    expect(after.body.version).toBeGreaterThan(state.body.version);
  });

  it('answers a transient 451 or 421 during an outage, and delivers again after it', async () => {
    const t = transport();
    await request(emulators.smtp.url).post('/_emulator/faults').send({ outage: { seconds: 60, code: 451 } }).expect(200);
    await expect(t.sendMail({ from: 'gatehouse@example.com', to: 'alice@example.com', subject: 's', text: 't' })).rejects.toMatchObject({ responseCode: 451, permanent: false });
    await request(emulators.smtp.url).post('/_emulator/faults').send({ outage: { seconds: 60 } }).expect(200);
    await expect(t.sendMail({ from: 'gatehouse@example.com', to: 'alice@example.com', subject: 's', text: 't' })).rejects.toMatchObject({ responseCode: 421, permanent: false });
    const state = await request(emulators.smtp.url).get('/_emulator/state').expect(200);
    expect(state.body.faults).toMatchObject({ outage: { code: 421 }, injected: { transient: 2 } });

    await request(emulators.smtp.url).delete('/_emulator/faults').expect(204);
    await t.sendMail({ from: 'gatehouse@example.com', to: 'alice@example.com', subject: 'after the outage', text: 't' });
    expect((await messages()).map((m) => m.subject)).toEqual(['after the outage']);
  });

  it('refuses chosen recipients with a permanent 550; the others still get the mail', async () => {
    const t = transport();
    await request(emulators.smtp.url).post('/_emulator/faults').send({ reject: { recipients: ['Gone@example.com'] } }).expect(200);
    await expect(t.sendMail({ from: 'gatehouse@example.com', to: 'gone@example.com', subject: 's', text: 't' })).rejects.toMatchObject({ responseCode: 550, permanent: true });
    const info = await t.sendMail({ from: 'gatehouse@example.com', to: ['gone@example.com', 'bob@example.com'], subject: 'partial', text: 't' });
    expect(info.rejected).toEqual(['gone@example.com']);
    expect(await messages()).toEqual([expect.objectContaining({ subject: 'partial', to: ['bob@example.com'] })]);
  });

  it('validates fault settings with a 400', async () => {
    const bad = await request(emulators.smtp.url).post('/_emulator/faults').send({ outage: { seconds: 5, code: 503 } }).expect(400);
    expect(bad.body.error).toBe('invalid_body');
    await request(emulators.smtp.url).post('/_emulator/faults').send({ reject: { recipients: [] } }).expect(400);
    await request(emulators.smtp.url).post('/_emulator/faults').set('content-type', 'application/json').send('{nope').expect(400);
  });

  it('shows every message on the page, newest first, with the HTML escaped into a sandboxed frame', async () => {
    const t = transport();
    await t.sendMail({ from: 'gatehouse@example.com', to: 'alice@example.com', subject: 'first', text: 'Login: alice.tmp' });
    await t.sendMail({
      from: 'gatehouse@example.com',
      to: 'bob@example.com',
      subject: 'second <script>alert("subject")</script>',
      text: 'Temporary password: <x>&y',
      html: '<p onclick="steal()">Hi</p><script>alert("body")</script>',
    });
    const res = await request(emulators.smtp.url).get('/').expect(200);
    const page = res.text;
    expect(res.headers['content-security-policy']).toMatch(/script-src 'nonce-/);
    expect(page).toContain('name="viewport"');
    // Newest first.
    expect(page.indexOf('second &#60;script&#62;')).toBeGreaterThan(-1);
    expect(page.indexOf('second &#60;script&#62;')).toBeLessThan(page.indexOf('<h2>first</h2>'));
    expect(page).toContain('Temporary password: &#60;x&#62;&#38;y');
    expect(page).toContain('bob@example.com');
    // The mail's markup only appears escaped, inside a sandbox without allow-scripts.
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<p onclick');
    const frame = /<iframe class="html" sandbox="([^"]*)"[^>]*srcdoc="([^"]*)"/.exec(page);
    expect(frame?.[1]).not.toContain('allow-scripts');
    expect(frame?.[1]).not.toContain('allow-same-origin');
    expect(frame?.[2]).toContain('&#60;script&#62;alert(&#34;body&#34;)&#60;/script&#62;');
    // The page's own script is the only one, and carries the nonce.
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).toMatch(/<script nonce="[^"]+">/);

    const filtered = await request(emulators.smtp.url).get('/').query({ to: 'alice@example.com' }).expect(200);
    expect(filtered.text).toContain('<h2>first</h2>');
    expect(filtered.text).not.toContain('second &#60;script');
  });
});
