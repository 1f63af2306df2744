/**
 * The self-service portal in a real browser (Debian's Chromium, driven by playwright-core),
 * end to end: sign-in with Okta (the emulator's OpenID provider and its sign-in page), the real
 * workflow on a worker process over the real adapters, the Okta emulator's memberships, the audit
 * trail. It also saves the screenshots the README's walk-through shows (docs/screenshots/).
 */
import type { Page } from 'playwright-core';
import { startPortalStack, type PortalStack } from './stack';
import { waitFor } from '../helpers/wait';

const PROD = '00g_prod_db_admin';
const ALICE = '00u_alice';
let stack: PortalStack;
/** What the tests do to a <form> in the page (the DOM types are not in this project's lib). */
type FormElement = { insertAdjacentHTML(position: string, html: string): void };

beforeAll(async () => {
  stack = await startPortalStack();
});
afterEach(() => {
  // The pages run without a script error or a Content-Security-Policy violation.
  expect(stack.pageErrors.splice(0)).toEqual([]);
});
afterAll(async () => {
  await stack?.close();
});

/** The card of a request in a list page. */
const card = (page: Page, id: string) => page.locator(`[data-request="${id}"]`);
/** A link of the main navigation. */
const nav = (page: Page, label: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label });
const idFromUrl = (page: Page) => /\/requests\/([0-9A-Z]+)/.exec(new URL(page.url()).pathname)?.[1] ?? '';

/** A pending prod-db-admin request for dave (manager bob, owner carol), filed over HTTP. */
async function daveAsks(): Promise<string> {
  const res = await stack.api.post('/v1/requests', { requester: 'dave@example.com', resource: 'prod-db-admin', duration: '10m', justification: 'OPS-7 failover drill' });
  expect(res.status).toBe(201);
  const id = stack.track(res.body.id as string);
  await waitFor(async () => ((await stack.view(id)).steps as unknown[]).length > 0, `request ${id} resolved`);
  return id;
}

describe('the portal in Chromium', () => {
  it('alice asks for prod-db-admin, bob and carol approve in their pages, alice extends it and hands it back, and Okta loses the membership', async () => {
    const alice = await stack.signIn('alice@example.com', { screenshots: true });
    await nav(alice.page, 'Request access').click();
    await alice.page.getByLabel('Resource').selectOption('prod-db-admin');
    await expect(alice.page.locator('#duration-hint').textContent()).resolves.toContain('at most 4h');
    await expect(alice.page.locator('#justification-hint').textContent()).resolves.toContain('^[A-Z]+-[0-9]+');

    // A justification without a ticket key: refused next to the field, and announced at the top.
    await alice.page.getByLabel('Duration').fill('10m');
    await alice.page.getByLabel('Justification').fill('need to look at slow queries');
    await alice.page.getByRole('button', { name: 'Request access' }).click();
    const fieldError = alice.page.locator('#justification-error');
    await expect(fieldError.textContent()).resolves.toContain('must match ^[A-Z]+-[0-9]+');
    await expect(alice.page.getByLabel('Justification').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(alice.page.getByLabel('Justification').getAttribute('aria-describedby')).resolves.toContain('justification-error');
    await expect(alice.page.getByRole('alert').first().textContent()).resolves.toContain('Justification');
    await expect(alice.page.getByLabel('Duration').inputValue()).resolves.toBe('10m'); // what she typed is kept
    await stack.screenshot(alice.page, 'request-access-error');
    expect((await stack.api.get('/v1/requests?requester=alice@example.com&status=pending_approval')).body.items).toEqual([]);

    await alice.page.getByLabel('Justification').fill('OPS-123 slow queries on the orders table');
    await alice.page.getByRole('button', { name: 'Request access' }).click();
    await alice.page.getByRole('status').filter({ hasText: 'Your request is filed' }).waitFor();
    const id = stack.track(idFromUrl(alice.page));
    await stack.screenshot(alice.page, 'request-filed');
    expect(id).toMatch(/^IK[0-9A-Z]{26}$/);
    const filed = await stack.view(id);
    expect(filed).toMatchObject({ requester: 'alice@example.com', resource: 'prod-db-admin', status: 'pending_approval', duration: '10m', via: 'portal' });

    // Step 1: bob (her manager), in his own browser context.
    const bob = await stack.signIn('bob@example.com');
    await nav(bob.page, 'Approvals').click();
    await card(bob.page, id).waitFor();
    await expect(card(bob.page, id).textContent()).resolves.toContain('OPS-123 slow queries on the orders table');
    await stack.screenshot(bob.page, 'approvals');
    await card(bob.page, id).getByRole('button', { name: 'Approve' }).click();
    await bob.page.getByRole('status').filter({ hasText: 'Approved' }).waitFor();
    expect(await card(bob.page, id).count()).toBe(0);

    // Step 2: carol (the owner).
    const carol = await stack.signIn('carol@example.com');
    await carol.page.goto(`${stack.url}/approvals`);
    await card(carol.page, id).getByRole('button', { name: 'Approve' }).click();
    await carol.page.getByRole('status').filter({ hasText: 'Approved' }).waitFor();

    const approved = await stack.view(id);
    expect(approved.approvals.map((a) => [a.approver, a.decision, a.via])).toEqual([
      ['bob@example.com', 'approved', 'portal'],
      ['carol@example.com', 'approved', 'portal'],
    ]);

    // alice's My requests shows it active (the list refreshes itself), with Extend and I'm done.
    await nav(alice.page, 'My requests').click();
    await card(alice.page, id).locator('[data-status="active"]').waitFor({ timeout: 30_000 });
    expect(await stack.okta.isGroupMember(PROD, ALICE)).toBe(true);
    await card(alice.page, id).getByRole('button', { name: 'Extend' }).waitFor();
    await stack.screenshot(alice.page, 'my-requests-active');
    const expiresAt = Date.parse((await stack.view(id)).expiresAt as string);
    await card(alice.page, id).getByLabel('Extend by').selectOption('15m');
    await card(alice.page, id).getByRole('button', { name: 'Extend' }).click();
    await alice.page.getByRole('status').filter({ hasText: 'Your access is extended' }).waitFor();
    expect(Date.parse((await stack.view(id)).expiresAt as string) - expiresAt).toBe(15 * 60_000);
    await nav(alice.page, 'My requests').click();
    await card(alice.page, id).getByRole('button', { name: 'I’m done' }).click();
    await alice.page.getByRole('status').filter({ hasText: 'You handed the access back' }).waitFor();

    await waitFor(async () => !(await stack.okta.isGroupMember(PROD, ALICE)), 'alice to leave prod-db-admin in Okta', 30_000, 100);
    await waitFor(async () => (await stack.view(id)).status === 'revoked', `request ${id} to be revoked`, 30_000, 100);

    // The request page: the timeline from the audit log, the Jira and Web UI links.
    await waitFor(async () => {
      await alice.page.goto(`${stack.url}/requests/${id}`);
      return (await alice.page.locator('.timeline').textContent())?.includes('Access removed');
    }, 'the timeline to show the removal', 30_000, 250);
    const timeline = (await alice.page.locator('.timeline').textContent()) ?? '';
    for (const step of ['Requested', 'Approved', 'Access granted in Okta', 'Extended', 'Asked to end the access', 'Access removed']) expect(timeline).toContain(step);
    expect(await alice.page.getByRole('link', { name: /^Jira ticket GATE-\d+$/ }).count()).toBe(1);
    expect(await alice.page.getByRole('link', { name: 'The workflow in Temporal’s Web UI' }).getAttribute('href')).toContain(`access-request-${id}`);
    await stack.screenshot(alice.page, 'request-timeline', { fullPage: true });
  });

  it('an approver’s page shows a request filed meanwhile, without a reload', async () => {
    const bob = await stack.signIn('bob@example.com');
    await bob.page.goto(`${stack.url}/approvals`);
    // A mark in the page's window: a reload would wipe it.
    await bob.page.evaluate('window.notReloaded = true');
    const id = await daveAsks();
    await card(bob.page, id).waitFor({ timeout: 15_000 });
    expect(await bob.page.evaluate('window.notReloaded')).toBe(true);
    await expect(bob.page.locator('#live-status').textContent()).resolves.toMatch(/\d+ requests? waits? for you/);

    // On a phone-sized screen the same page stays readable.
    await bob.page.setViewportSize({ width: 390, height: 760 });
    await stack.screenshot(bob.page, 'approvals-phone');
    await stack.api.post(`/v1/requests/${id}/cancel`, { actor: 'dave@example.com' }).expect(200);
  });

  it('a forged CSRF token is refused, and nothing is decided', async () => {
    const id = await daveAsks();
    const bob = await stack.signIn('bob@example.com');
    await bob.page.goto(`${stack.url}/approvals`);
    const approve = card(bob.page, id).locator('form[action$="/approve"]');
    await approve.locator('input[name="_csrf"]').evaluate((input: { value: string }) => (input.value = 'forged-token-of-another-session'));
    const [response] = await Promise.all([bob.page.waitForResponse((r) => r.url().endsWith(`/approvals/${id}/approve`)), approve.getByRole('button', { name: 'Approve' }).click()]);
    expect(response.status()).toBe(403);
    await expect(bob.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Form refused');
    await expect(bob.page.getByRole('alert').textContent()).resolves.toContain('security token');
    const view = await stack.view(id);
    expect(view.status).toBe('pending_approval');
    expect(view.approvals).toEqual([]);
    await stack.api.post(`/v1/requests/${id}/cancel`, { actor: 'dave@example.com' }).expect(200);
  });

  it('a form that names another person is refused, and nothing is applied', async () => {
    const id = await daveAsks();
    // bob's Approve form, edited to approve "as carol".
    const bob = await stack.signIn('bob@example.com');
    await bob.page.goto(`${stack.url}/approvals`);
    const approve = card(bob.page, id).locator('form[action$="/approve"]');
    await approve.evaluate((form: FormElement) => form.insertAdjacentHTML('beforeend', '<input type="hidden" name="approver" value="carol@example.com">'));
    const [decided] = await Promise.all([bob.page.waitForResponse((r) => r.url().endsWith(`/approvals/${id}/approve`)), approve.getByRole('button', { name: 'Approve' }).click()]);
    expect(decided.status()).toBe(403);
    await expect(bob.page.getByRole('alert').textContent()).resolves.toContain('acts only as the person signed in (bob@example.com)');
    expect((await stack.view(id)).approvals).toEqual([]);

    // alice's request form, edited to file "for bob".
    const listed = async (requester: string) => ((await stack.api.get(`/v1/requests?requester=${requester}&resource=aws-readonly`)).body.items as Array<{ id: string }>).map((r) => r.id);
    const before = { alice: await listed('alice@example.com'), bob: await listed('bob@example.com') };
    const alice = await stack.signIn('alice@example.com');
    await alice.page.goto(`${stack.url}/requests/new`);
    await alice.page.getByLabel('Resource').selectOption('aws-readonly');
    await alice.page.locator('form[action="/requests/new"]').evaluate((form: FormElement) => form.insertAdjacentHTML('beforeend', '<input type="hidden" name="requester" value="bob@example.com">'));
    const [filed] = await Promise.all([alice.page.waitForResponse((r) => r.url().endsWith('/requests/new') && r.request().method() === 'POST'), alice.page.getByRole('button', { name: 'Request access' }).click()]);
    expect(filed.status()).toBe(403);
    // Nothing new was filed, for either of them (earlier tests may have left alice's own requests).
    expect({ alice: await listed('alice@example.com'), bob: await listed('bob@example.com') }).toEqual(before);
    await stack.api.post(`/v1/requests/${id}/cancel`, { actor: 'dave@example.com' }).expect(200);
  });
});
