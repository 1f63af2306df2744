/**
 * The portal's pages for some people only, in a real browser (Debian's Chromium, playwright-core)
 * over the whole stack (test/portal/stack.ts): a manager creates, extends and closes a temporary
 * account (the worker makes it in the Okta emulator and mails the credential through the SMTP
 * emulator); a security reviewer sees a user Okta rates HIGH, decides their access review, and
 * reads the drift sweep's reports; everyone else gets a 403 page with the reason. Screenshots for
 * the README are saved in docs/screenshots/.
 */
import { randomUUID } from 'node:crypto';
import { Client as OktaClient } from '@okta/okta-sdk-nodejs';
import type { Page } from 'playwright-core';
import { startPortalStack, type PortalStack } from './stack';
import { waitFor } from '../helpers/wait';

const INBOX = '00g_paris_inbox';
const AWS = '00g_aws_ro';
const PAYROLL = '0oa_payroll';
let stack: PortalStack;
let oktaSdk: OktaClient;

beforeAll(async () => {
  stack = await startPortalStack();
  oktaSdk = new OktaClient({ orgUrl: stack.emulators.okta.url, token: 'test-okta-token', cacheMiddleware: null });
});
afterEach(() => {
  expect(stack.pageErrors.splice(0)).toEqual([]);
});
afterAll(async () => {
  await stack?.close();
});

const nav = (page: Page, label: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label });
const notice = (page: Page, text: string) => page.getByRole('status').filter({ hasText: text }).waitFor();

interface Mail {
  to: string[];
  subject: string;
  text: string;
}
async function mailTo(address: string): Promise<Mail[]> {
  const res = await fetch(`${stack.emulators.smtp.url}/_emulator/messages?to=${encodeURIComponent(address)}`);
  return ((await res.json()) as { messages: Mail[] }).messages;
}

type AccountView = { id: string; status: string; login: string | null; manager: string; via: string; groups: string[]; extensions: unknown[]; expiresAt: string | null };
async function account(id: string): Promise<AccountView> {
  const res = await stack.api.get(`/v1/temporary-accounts/${id}`);
  if (res.status !== 200) throw new Error(`GET /v1/temporary-accounts/${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as AccountView;
}

describe('temporary accounts, for managers', () => {
  it('bob creates an account in the form (errors next to the fields first), sees its login but never the password, extends it and closes it', async () => {
    const bob = await stack.signIn('bob@example.com');
    // The Temporal server is shared by every test file: bob may have accounts from other files.
    const accountIds = async (manager: string) => ((await stack.api.get(`/v1/temporary-accounts?manager=${manager}`).expect(200)).body.items as { id: string }[]).map((i) => i.id).sort();
    const bobsBefore = await accountIds('bob@example.com');
    await nav(bob.page, 'Temporary accounts').click();
    await bob.page.getByRole('link', { name: 'New temporary account' }).click();

    // An e-mail address that is not one, and no reason: refused next to each field.
    await bob.page.getByLabel('First name').fill('Élodie');
    await bob.page.getByLabel('Last name').fill('Lefèvre');
    await bob.page.getByLabel('Personal e-mail (optional)').fill('elodie at home');
    await bob.page.getByRole('button', { name: 'Create account' }).click();
    await expect(bob.page.locator('#personalEmail-error').textContent()).resolves.toBe('Not an e-mail address.');
    await expect(bob.page.locator('#reason-error').textContent()).resolves.toBe('Say why this person needs an account.');
    await expect(bob.page.getByLabel('Reason').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(bob.page.getByLabel('Reason').getAttribute('aria-describedby')).resolves.toContain('reason-error');
    await expect(bob.page.getByRole('alert').textContent()).resolves.toContain('The account was not created');
    await expect(bob.page.getByLabel('First name').inputValue()).resolves.toBe('Élodie'); // what he typed is kept
    await stack.screenshot(bob.page, 'temporary-account-new', { fullPage: true });
    expect(await accountIds('bob@example.com')).toEqual(bobsBefore);

    await bob.page.getByLabel('Personal e-mail (optional)').fill('elodie.perso@example.net');
    await bob.page.getByLabel('Valid for').selectOption('24h');
    await bob.page.getByLabel('Paris shared inbox (delegation)').check();
    await bob.page.getByLabel('Reason').fill('Redeployed to the Paris office for the flood response');
    await bob.page.getByRole('button', { name: 'Create account' }).click();
    await notice(bob.page, 'The account is being created');
    const id = /\/temporary-accounts\/([0-9A-Z]+)/.exec(new URL(bob.page.url()).pathname)?.[1] ?? '';
    expect(id).toMatch(/^[0-9A-Z]{26,28}$/);

    // The login appears without a reload once the workflow has chosen it and Okta has the user.
    const login = 'elodie.lefevre.tmp@example.org';
    await bob.page.locator(`[data-account="${id}"] [data-status="active"]`).waitFor({ timeout: 30_000 });
    await expect(bob.page.locator(`[data-account="${id}"] code.login`).textContent()).resolves.toBe(login);
    await stack.screenshot(bob.page, 'temporary-account-created');
    expect(await account(id)).toMatchObject({ status: 'active', login, manager: 'bob@example.com', via: 'portal', groups: ['paris-shared-inbox'] });
    const user = await stack.okta.getUser(login);
    expect(user?.profile).toMatchObject({ gatehouseTemporary: true, gatehouseManager: 'bob@example.com' });
    expect(await stack.okta.isGroupMember(INBOX, user!.id)).toBe(true);

    // The credential went by mail to bob, and nowhere on his pages.
    const mail = await waitFor(async () => (await mailTo('bob@example.com')).find((m) => m.text.includes(login) && /^Temporary password: /m.test(m.text)), 'the credential mail');
    const password = /^Temporary password: (\S+)$/m.exec(mail.text)![1]!;
    expect(await bob.page.content()).not.toContain(password);

    // The list of his accounts; Extend and Close there.
    await nav(bob.page, 'Temporary accounts').click();
    const card = bob.page.locator(`[data-account="${id}"]`);
    await expect(card.locator('code.login').textContent()).resolves.toBe(login);
    await stack.screenshot(bob.page, 'temporary-accounts');
    expect(await bob.page.content()).not.toContain(password);
    const expiresAt = Date.parse((await account(id)).expiresAt!);
    await card.getByLabel('Extend by').selectOption('4h');
    await card.getByRole('button', { name: 'Extend' }).click();
    await notice(bob.page, 'The account is extended');
    expect(Date.parse((await account(id)).expiresAt!) - expiresAt).toBe(4 * 3_600_000);

    await nav(bob.page, 'Temporary accounts').click();
    await card.getByLabel('Reason for closing').fill('Back at her own office');
    await card.getByRole('button', { name: 'Close' }).click();
    await notice(bob.page, 'The account is being closed');
    await waitFor(async () => (await account(id)).status === 'closed', 'the account to close', 30_000, 100);
    expect(await stack.okta.getUser(login)).toBeNull();
  });
});

describe('pages for some people only', () => {
  it('are not in the navigation of others, who get a 403 page with the reason, and whose forms are refused', async () => {
    const alice = await stack.signIn('alice@example.com');
    const alicesAccounts = async () => ((await stack.api.get('/v1/temporary-accounts?manager=alice@example.com').expect(200)).body.items as { id: string }[]).map((i) => i.id).sort();
    const alicesBefore = await alicesAccounts();
    expect(await nav(alice.page, 'Temporary accounts').count()).toBe(0);
    expect(await nav(alice.page, 'Security').count()).toBe(0);
    for (const path of ['/temporary-accounts', '/temporary-accounts/new']) {
      const res = await alice.page.goto(`${stack.url}${path}`);
      expect(res?.status()).toBe(403);
      await expect(alice.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Not allowed');
      await expect(alice.page.getByRole('alert').textContent()).resolves.toContain('alice@example.com’s profile does not match those rules');
    }
    await stack.screenshot(alice.page, 'temporary-accounts-refused', { height: 300 });
    const security = await alice.page.goto(`${stack.url}/security`);
    expect(security?.status()).toBe(403);
    await expect(alice.page.getByRole('alert').textContent()).resolves.toContain('members of the Okta group 00g_security), and alice@example.com is not one of them');

    // A form posted by hand with her own valid token: refused all the same, and nothing is created.
    await alice.page.goto(`${stack.url}/requests`);
    const csrf = await alice.page.locator('input[name="_csrf"]').first().inputValue();
    const posted = await alice.page.request.post(`${stack.url}/temporary-accounts/new`, {
      form: { _csrf: csrf, submission: 'forged-submission-0123456789', firstName: 'Eve', lastName: 'Ident', validity: '24h', reason: 'test' },
      headers: { origin: stack.url },
    });
    expect(posted.status()).toBe(403);
    expect(await alicesAccounts()).toEqual(alicesBefore);

    // A manager is not a reviewer, and a reviewer not a manager.
    const bob = await stack.signIn('bob@example.com');
    expect(await nav(bob.page, 'Security').count()).toBe(0);
    expect((await bob.page.goto(`${stack.url}/security`))?.status()).toBe(403);
    const dave = await stack.signIn('dave@example.com');
    expect(await nav(dave.page, 'Temporary accounts').count()).toBe(0);
    await expect(nav(dave.page, 'Security').count()).resolves.toBe(1);
    expect((await dave.page.goto(`${stack.url}/temporary-accounts`))?.status()).toBe(403);
  });
});

describe('security, for reviewers', () => {
  /** Someone only this file's Okta knows: their risk serializer (user-risk-<id>) is theirs alone on the shared server. */
  const LOGIN = 'quinn.harper@example.com';
  let userId = '';
  const raise = async (level: string) => {
    const res = await fetch(`${stack.emulators.okta.url}/_emulator/risk`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: LOGIN, level, detectionName: 'Session Influenced User Risk', reasons: 'Anomalous Geo-Distance, New Device' }) });
    expect(res.status).toBe(201);
  };
  type RiskView = { level: string; quarantined: boolean; reviews: string[] };
  const riskOf = async () => (await stack.api.get(`/v1/risk/users/${LOGIN}`).expect(200)).body as RiskView;
  const assigned = async () => {
    try {
      await oktaSdk.applicationApi.getApplicationUser({ appId: PAYROLL, userId });
      return true;
    } catch (err) {
      if ((err as { status?: number }).status === 404) return false;
      throw err;
    }
  };
  const sweep = () => stack.temporal.workflow.execute('reconcileWorkflow', { taskQueue: stack.taskQueue, workflowId: `portal-reconcile-${randomUUID()}`, args: [{ reason: 'portal test' }] });

  beforeAll(async () => {
    userId = (await stack.okta.createUser({ login: LOGIN, email: LOGIN, firstName: 'Quinn', lastName: 'Harper', profile: { title: 'Payroll Analyst', department: 'Finance', manager: 'bob@example.com', managerId: '00u_bob' } })).id;
  });
  afterAll(async () => {
    // The Temporal server is shared by every test file: lower who this file raised.
    await raise('LOW').catch(() => undefined);
    await waitFor(async () => (await riskOf()).level === 'LOW', `${LOGIN} lowered after the tests`, 30_000, 100).catch(() => undefined);
    await stack.okta.removeUserFromGroup(AWS, '00u_frank').catch(() => undefined);
  });

  it('dave sees the quarantined user and the drift report, and revokes the access review; a second decision is refused with the reason', async () => {
    // Drift: a first sweep records the groups' baselines; frank then joins AWS read-only without a grant.
    await sweep();
    await stack.okta.addUserToGroup(AWS, '00u_frank');
    await sweep();

    // Okta ITP rates Quinn HIGH (the emulator's event hook delivers it), then Okta assigns Payroll.
    await raise('HIGH');
    await waitFor(async () => (await riskOf()).quarantined, `${LOGIN} quarantined`, 30_000, 100);
    await oktaSdk.applicationApi.assignUserToApplication({ appId: PAYROLL, appUser: { id: userId, scope: 'USER' } });
    const [reviewId] = (await waitFor(async () => {
      const view = await riskOf();
      return view.reviews.length ? view : null;
    }, 'the access review to open', 30_000, 100)).reviews;

    const dave = await stack.signIn('dave@example.com');
    await nav(dave.page, 'Security').click();
    const review = dave.page.locator(`[data-review="${reviewId}"]`);
    const quarantined = dave.page.locator(`#quarantined [data-user="${LOGIN}"]`);
    // The page is not live: it lists what Temporal visibility holds, which may lag the Queries a moment.
    await waitFor(async () => {
      if ((await review.count()) && (await quarantined.count())) return true;
      await dave.page.reload();
      return false;
    }, 'the review and the quarantined user on the Security page', 30_000, 250);
    await expect(review.textContent()).resolves.toContain(`${LOGIN} → Payroll`);
    await expect(quarantined.locator('[data-level="HIGH"]').count()).resolves.toBe(1);
    await expect(quarantined.textContent()).resolves.toContain('put there by Gatehouse');
    await expect(dave.page.locator('#drift [data-drift="drift_detected"]').first().textContent()).resolves.toContain('frank@example.com in aws-readonly');
    await stack.screenshot(dave.page, 'security', { fullPage: true });

    await review.getByLabel('Comment (optional)').fill('Payroll can wait until the risk is cleared');
    const csrf = await review.locator('input[name="_csrf"]').inputValue();
    await review.getByRole('button', { name: 'Revoke' }).click();
    await notice(dave.page, 'Revoked');
    const decided = await waitFor(async () => {
      const body = (await stack.api.get(`/v1/reviews/${reviewId}`).expect(200)).body as { status: string; decision: unknown };
      return body.status === 'revoked' ? body : null;
    }, 'the review revoked', 30_000, 100);
    expect(decided.decision).toMatchObject({ reviewer: 'dave@example.com', decision: 'revoke', via: 'portal', comment: 'Payroll can wait until the risk is cleared' });
    await waitFor(async () => !(await assigned()), 'the Payroll assignment removed in Okta', 30_000, 100);

    // Keep, sent afterwards (an old tab): the workflow refuses it, and the page says why.
    const late = await dave.page.request.post(`${stack.url}/security/reviews/${reviewId}/decide`, { form: { _csrf: csrf, decision: 'keep', comment: '' }, headers: { origin: stack.url } });
    expect(late.status()).toBe(409);
    expect(await late.text()).toContain('You can’t decide this review');
    expect(((await stack.api.get(`/v1/reviews/${reviewId}`)).body as { decision: { decision: string } }).decision.decision).toBe('revoke');

    // On a phone-sized screen the page stays readable.
    await dave.page.goto(`${stack.url}/security`);
    await dave.page.setViewportSize({ width: 390, height: 760 });
    await stack.screenshot(dave.page, 'security-phone');
  });
});
