/**
 * The portal's sign-in, sessions and form checks, over HTTP (no browser): the whole Okta sign-in
 * against the emulator's OpenID provider, signed and expiring cookies, CSRF and origin checks, a
 * person never taken from a form, escaping, refusals mapped from the workflow's validators, and
 * sign-out at Okta. The API runs over the real workflow on a test worker with fake ports (the
 * same people as the emulator's directory).
 */
import type { Request, Response } from 'express';
import request from 'supertest';
import { createCookieJar, SESSION_TTL_MS } from '../../api/portal/session';
import { safeReturnTo } from '../../api/portal/auth-routes';
import { html } from '../../api/portal/html';
import { requestIdForIdempotencyKey } from '../../api/access-requests';
import { requestIdFromWorkflowId } from '../../workflows/constants';
import { requestQuery } from '../../workflows/shared/visibility';
import { startApi, TICKET, type ApiHarness } from '../api/harness';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { parseSignInForm } from '../helpers/oidc';
import { waitFor } from '../helpers/wait';

const PUBLIC_URL = 'http://127.0.0.1:9'; // the redirect URI's base; nothing needs to listen there
const SECRET = 'security-test-session-secret-0123456789';
let api: ApiHarness;
let emulators: RunningEmulators;

beforeAll(async () => {
  emulators = await startTestEmulators({ okta: 0, slack: false, jira: false, smtp: false });
  const { clientId, clientSecret } = emulators.okta.emulator.oidc.devClient;
  api = await startApi({ portal: { publicUrl: PUBLIC_URL, sessionSecret: SECRET, issuer: `${emulators.okta.url}/oauth2/default`, clientId, clientSecret: clientSecret! } });
});
afterAll(async () => {
  await api?.close();
  await emulators?.close();
});
afterEach(async () => {
  await api.endOpenRequests();
});

/** `name=value` of a Set-Cookie the response sent. */
const setCookies = (res: request.Response): string[] => ([] as string[]).concat((res.headers['set-cookie'] as unknown as string[] | undefined) ?? []);
function cookieOf(res: request.Response, name: string): string {
  const header = setCookies(res).find((c) => c.startsWith(`${name}=`));
  if (!header) throw new Error(`no ${name} cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  return header.split(';')[0]!;
}

const portal = () => request(api.app);

/** The Okta sign-in as a browser does it: /auth/login → the emulator's page → choose → /auth/callback. */
async function signIn(login: string, returnTo = '/requests'): Promise<{ cookie: string; res: request.Response }> {
  const start = await portal().get(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  expect(start.status).toBe(303);
  const authorize = new URL(start.headers.location as string);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/auth/callback`);
  const pageRes = await fetch(authorize);
  const form = parseSignInForm(await pageRes.text(), authorize);
  const posted = await fetch(form.action, { method: 'POST', body: new URLSearchParams({ ...form.hidden, login }), redirect: 'manual' });
  const callback = new URL(posted.headers.get('location')!);
  const res = await portal().get(`${callback.pathname}${callback.search}`).set('Cookie', cookieOf(start, 'gatehouse_login'));
  return { cookie: res.status === 303 ? cookieOf(res, 'gatehouse_session') : '', res };
}

/** The CSRF token of a page's forms. */
const csrfOf = (text: string) => /name="_csrf" value="([^"]+)"/.exec(text)?.[1] ?? '';

describe('sign-in with Okta', () => {
  it('signs a person in through the authorization code flow and goes back where they were going', async () => {
    const { cookie, res } = await signIn('alice@example.com', '/approvals');
    expect(res.headers.location).toBe('/approvals');
    const set = setCookies(res).join('\n');
    expect(set).toMatch(/gatehouse_session=[^;]+; Max-Age=28800; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax/);
    expect(set).not.toMatch(/Secure/); // http public URL: not Secure (https turns on Secure and __Host-)
    const home = await portal().get('/').set('Cookie', cookie);
    expect(home.text).toContain('Signed in as <strong>alice@example.com</strong>');
    expect(home.text).toContain('Sign out');
  });

  it('sends signed-out visitors to sign in, and never back to another site', async () => {
    const res = await portal().get('/requests');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/auth/login?returnTo=%2Frequests');
    expect((await portal().get('/')).text).toContain('>Sign in</a>');
    expect((await portal().get('/approvals/live')).status).toBe(401);
    for (const evil of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) expect(safeReturnTo(evil)).toBe('/');
    expect(safeReturnTo('/requests/new?resource=aws-readonly')).toBe('/requests/new?resource=aws-readonly');
  });

  it('refuses a callback without its sign-in cookie, or with another state', async () => {
    const start = await portal().get('/auth/login');
    const authorize = new URL(start.headers.location as string);
    const form = parseSignInForm(await (await fetch(authorize)).text(), authorize);
    const posted = await fetch(form.action, { method: 'POST', body: new URLSearchParams({ ...form.hidden, login: 'alice@example.com' }), redirect: 'manual' });
    const callback = new URL(posted.headers.get('location')!);
    const bare = await portal().get(`${callback.pathname}${callback.search}`);
    expect(bare.status).toBe(400);
    expect(bare.text).toContain('did not start here');
    callback.searchParams.set('state', 'another-state');
    const forged = await portal().get(`${callback.pathname}${callback.search}`).set('Cookie', cookieOf(start, 'gatehouse_login'));
    expect(forged.status).toBe(400);
    expect(setCookies(forged).join('')).not.toContain('gatehouse_session=ey');
  });

  it('refuses a person who is not ACTIVE in Okta, and ends the session of one who stops being', async () => {
    api.ports.okta.users.get('00u_erin')!.status = 'SUSPENDED';
    const erin = await signIn('erin@example.com');
    expect(erin.res.status).toBe(403);
    expect(erin.res.text).toContain('SUSPENDED, not ACTIVE');
    expect(erin.cookie).toBe('');

    const frank = await signIn('frank@example.com');
    expect(frank.res.status).toBe(303);
    api.ports.okta.users.get('00u_frank')!.status = 'DEPROVISIONED';
    const after = await portal().get('/requests').set('Cookie', frank.cookie);
    expect(after.status).toBe(403);
    expect(setCookies(after).join('')).toMatch(/gatehouse_session=;/);
  });

  it('signs out with a POST, at Okta too (RP-initiated logout with the ID token as hint)', async () => {
    const { cookie } = await signIn('alice@example.com');
    const page = await portal().get('/auth/logout').set('Cookie', cookie);
    const res = await portal().post('/auth/logout').set('Cookie', cookie).type('form').send({ _csrf: csrfOf(page.text) });
    expect(res.status).toBe(303);
    const logout = new URL(res.headers.location as string);
    expect(`${logout.origin}${logout.pathname}`).toBe(`${emulators.okta.url}/oauth2/default/v1/logout`);
    expect(logout.searchParams.get('post_logout_redirect_uri')).toBe(`${PUBLIC_URL}/`);
    expect(logout.searchParams.get('id_token_hint')).toMatch(/^ey/);
    expect(setCookies(res).join('')).toMatch(/gatehouse_session=;/);
    // The emulator accepts the hint and sends the browser back.
    const back = await fetch(logout, { redirect: 'manual' });
    expect(back.headers.get('location')).toBe(`${PUBLIC_URL}/`);
  });
});

describe('session cookies', () => {
  const fakeRes = () => {
    const jar: Record<string, string> = {};
    return { jar, res: { cookie: (name: string, value: string) => (jar[name] = value), clearCookie: () => undefined } as unknown as Response };
  };
  const reqWith = (cookie: string) => ({ headers: { cookie } }) as Request;

  it('are refused when tampered with, signed with another secret, used for another purpose, or expired', () => {
    let now = Date.now();
    const cookies = createCookieJar(SECRET, { secure: false, now: () => now });
    const { jar, res } = fakeRes();
    cookies.writeSession(res, { userId: '00u_alice', login: 'alice@example.com', name: 'Alice' });
    const value = jar.gatehouse_session!;
    expect(cookies.readSession(reqWith(`gatehouse_session=${value}`))?.login).toBe('alice@example.com');

    const [payload, mac] = value.split('.');
    const bob = Buffer.from(Buffer.from(payload!, 'base64url').toString().replace('alice', 'bob__')).toString('base64url');
    expect(cookies.readSession(reqWith(`gatehouse_session=${bob}.${mac}`))).toBeNull();
    expect(createCookieJar('another-secret-0123456789-0123456789', { secure: false }).readSession(reqWith(`gatehouse_session=${value}`))).toBeNull();
    expect(cookies.readLogin(reqWith(`gatehouse_login=${value}`))).toBeNull();
    now += SESSION_TTL_MS + 1000;
    expect(cookies.readSession(reqWith(`gatehouse_session=${value}`))).toBeNull();
  });

  it('are __Host- and Secure behind https', () => {
    const { jar, res } = fakeRes();
    createCookieJar(SECRET, { secure: true }).writeSession(res, { userId: '00u_alice', login: 'alice@example.com', name: 'Alice' });
    expect(Object.keys(jar)).toEqual(['__Host-gatehouse_session']);
  });
});

describe('forms', () => {
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    alice = (await signIn('alice@example.com')).cookie;
    bob = (await signIn('bob@example.com')).cookie;
  });
  const form = async (cookie: string, path = '/requests/new') => csrfOf((await portal().get(path).set('Cookie', cookie)).text);
  const file = (cookie: string, fields: Record<string, string>) =>
    portal().post('/requests/new').set('Cookie', cookie).type('form').send({ submission: 'submission-0123456789abcdef', resource: 'prod-db-admin', duration: '', justification: TICKET, ...fields });

  it('are refused from another origin or site, without the session’s token, or naming a person', async () => {
    const csrf = await form(alice);
    // What these forms would file: the request of this submission, on this file's own worker (the
    // Temporal server is shared, so other files' requests for alice may exist meanwhile).
    const submitted = requestIdForIdempotencyKey('portal:00u_alice', 'alice@example.com', 'submission-0123456789abcdef');
    const filedHere = async () => {
      const found: string[] = [];
      const query = `${requestQuery({ requester: 'alice@example.com' })} AND TaskQueue = "${api.taskQueue}"`;
      for await (const wf of api.harness.client.workflow.list({ query })) found.push(requestIdFromWorkflowId(wf.workflowId));
      return found;
    };
    const before = await filedHere();
    const refused = [
      await file(alice, { _csrf: csrf }).set('Origin', 'https://evil.example'),
      await file(alice, { _csrf: csrf }).set('Sec-Fetch-Site', 'cross-site'),
      await file(alice, {}),
      await file(alice, { _csrf: await form(bob) }),
      await file(alice, { _csrf: csrf, requester: 'alice@example.com' }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    expect(refused[0]!.text).toContain('sent from https://evil.example');
    expect(refused[2]!.text).toContain('security token');
    expect(refused[4]!.text).toContain('acts only as the person signed in (alice@example.com)');
    // Nothing was filed: not the request of this submission, nor any other request of alice's on this file's worker.
    expect((await api.get(`/v1/requests/${submitted}`)).status).toBe(404);
    expect(await filedHere()).toEqual(before);
    // The same form from our own origin files the request, once even if sent twice.
    const ok = await file(alice, { _csrf: csrf }).set('Origin', PUBLIC_URL).set('Sec-Fetch-Site', 'same-origin');
    expect(ok.status).toBe(303);
    const id = /\/requests\/([0-9A-Z]+)/.exec(ok.headers.location as string)![1]!;
    api.created.add(id);
    expect(id).toBe(submitted);
    const again = await file(alice, { _csrf: csrf });
    expect(again.headers.location).toBe(`/requests/${id}`);
    expect((await api.view(id)).via).toBe('portal');
  });

  it('show what a person typed as text, never as markup', async () => {
    const csrf = await form(alice);
    const res = await file(alice, { _csrf: csrf, submission: 'another-submission-0123456789', resource: 'aws-readonly', justification: 'OPS-1 <script>alert("x")</script> & <b>bold</b>' });
    expect(res.status).toBe(303);
    const id = /\/requests\/([0-9A-Z]+)/.exec(res.headers.location as string)![1]!;
    api.created.add(id);
    const detail = await portal().get(`/requests/${id}`).set('Cookie', alice);
    expect(detail.text).toContain('OPS-1 &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#60;b&#62;bold&#60;/b&#62;');
    expect(detail.text).not.toContain('<script>alert');
    expect(detail.headers['content-security-policy']).toContain("script-src 'self'");
    expect(detail.headers['x-frame-options']).toBe('DENY');
    expect(`${html`<a title="${'"><img src=x onerror=alert(1)>'}">`}`).toBe('<a title="&#34;&#62;&#60;img src=x onerror=alert(1)&#62;">');
  });

  it('show the workflow validator’s refusal: a second approval by the same person, someone else’s request', async () => {
    const created = await api.create({ requester: 'alice@example.com', resource: 'prod-db-admin', justification: TICKET });
    const id = created.body.id as string;
    await waitFor(async () => ((await api.view(id)).steps as unknown[]).length > 0, 'resolved');
    const csrf = await form(bob, '/approvals');
    const first = await portal().post(`/approvals/${id}/approve`).set('Cookie', bob).type('form').send({ _csrf: csrf });
    expect(first.status).toBe(303);
    const second = await portal().post(`/approvals/${id}/approve`).set('Cookie', bob).type('form').send({ _csrf: csrf });
    // The same Update id: Temporal answers with the first result (one approval recorded).
    expect(second.status).toBe(303);
    const deny = await portal().post(`/approvals/${id}/deny`).set('Cookie', bob).type('form').send({ _csrf: csrf, reason: 'changed my mind' });
    expect(deny.status).toBe(409);
    expect(deny.text).toContain('You can’t deny this request: bob@example.com has already decided on this request.');
    const cancel = await portal().post(`/requests/${id}/cancel`).set('Cookie', bob).type('form').send({ _csrf: csrf });
    expect(cancel.status).toBe(403);
    expect(cancel.text).toContain('You can’t cancel this request: Only the requester can cancel a request.');
    const view = await api.view(id);
    expect((view.approvals as unknown[]).length).toBe(1);
    expect(view.status).toBe('pending_approval');
  });

  it('carry out the requester’s and the approver’s buttons: extend (once per form), I’m done, cancel, deny with a reason', async () => {
    const post = (cookie: string, path: string, fields: Record<string, string> = {}) => portal().post(path).set('Cookie', cookie).type('form').send(fields);
    const csrf = await form(alice);
    // aws-readonly is approved automatically: active at once.
    const filed = await file(alice, { _csrf: csrf, submission: 'extend-submission-0123456789', resource: 'aws-readonly', duration: '1h', justification: '' });
    const active = /\/requests\/([0-9A-Z]+)/.exec(filed.headers.location as string)![1]!;
    api.created.add(active);
    const granted = await api.waitForStatus(active, 'active');
    const page = await portal().get('/requests').set('Cookie', alice);
    expect(page.text).toContain(`action="/requests/${active}/extend"`);
    expect(page.text).toContain('>I’m done</button>');
    for (let i = 0; i < 2; i++) expect((await post(alice, `/requests/${active}/extend`, { _csrf: csrf, n: '0', duration: '15m' })).status).toBe(303);
    const extended = await api.view(active);
    expect(extended.extensions).toHaveLength(1); // the same form sent twice is one extension
    expect(Date.parse(extended.expiresAt as string) - Date.parse(granted.expiresAt as string)).toBe(15 * 60_000);
    expect((await post(alice, `/requests/${active}/revoke`, { _csrf: csrf })).headers.location).toBe(`/requests/${active}?done=revoked`);
    await api.waitForStatus(active, 'revoked');

    const pending = /\/requests\/([0-9A-Z]+)/.exec((await file(alice, { _csrf: csrf, submission: 'cancel-submission-0123456789' })).headers.location as string)![1]!;
    api.created.add(pending);
    await waitFor(async () => ((await api.view(pending)).steps as unknown[]).length > 0, 'resolved');
    const denied = await post(bob, `/approvals/${pending}/deny`, { _csrf: await form(bob, '/approvals'), reason: 'use the read replica <please>' });
    expect(denied.headers.location).toBe('/approvals?done=denied');
    const view = await api.view(pending);
    expect(view.status).toBe('denied');
    expect(view.approvals).toEqual([expect.objectContaining({ approver: 'bob@example.com', decision: 'denied', via: 'portal', comment: 'use the read replica <please>' })]);
    const late = await post(alice, `/requests/${pending}/cancel`, { _csrf: csrf });
    expect(late.status).toBe(409);
    expect(late.text).toContain('You can’t cancel this request: Request is denied; only a pending request can be cancelled.');
  });

  it('answer bad input with a 4xx page, never a 500', async () => {
    const csrf = await form(alice);
    const raw = (body: string, path = '/requests/new') => portal().post(path).set('Cookie', alice).type('form').send(body);
    const answers = await Promise.all([
      portal().get('/requests/%E0%A4%A').set('Cookie', alice),
      portal().get('/requests/not-an-id').set('Cookie', alice),
      portal().get('/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV').set('Cookie', alice),
      portal().get('/nowhere/requests').set('Cookie', alice),
      raw(`_csrf=${csrf}&submission=x&resource=prod-db-admin&justification=%ED%A0%80`),
      raw(`_csrf=${csrf}&submission=submission-0123456789abcdef&resource=a&resource=b`),
      raw(`_csrf=${csrf}&submission=submission-0123456789abcdef&colour=red`),
      raw(`_csrf=${csrf}&submission=submission-0123456789abcdef&justification=${'x'.repeat(20_000)}`),
      raw(`_csrf=${csrf}&duration=forever`, '/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV/extend'),
      raw(`_csrf=${csrf}`, '/approvals/garbage/approve'),
      portal().post('/requests/new').set('Cookie', alice).set('Content-Type', 'application/json').send('{"_csrf":'),
    ]);
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((st) => st >= 400 && st < 500)).toBe(true);
    expect(statuses).toEqual([400, 404, 404, 404, 400, 400, 400, 413, 400, 404, 403]);
  });
});
