/**
 * Access requests over HTTP, end to end: a real worker runs the real workflow on fake ports, the
 * API drives it through Temporal, and the fake Okta shows what was granted and revoked.
 */
import { WEB_UI, startApi, TICKET, type ApiHarness } from './harness';
import { waitFor } from '../helpers/wait';
import { requestViewResponseSchema } from '../../api/views';

/** Every answer is exactly the one request view schema /openapi.json documents: no field missing, none extra. */
const asDocumented = (body: unknown) => expect(() => requestViewResponseSchema.strict().parse(body)).not.toThrow();

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});
afterEach(async () => {
  await api.endOpenRequests();
});

const PROD_GROUP = '00g_prod_db_admin';
const AWS_GROUP = '00g_aws_ro';
const prodRequest = (extra: Record<string, unknown> = {}) => ({ requester: 'alice@example.com', resource: 'prod-db-admin', justification: TICKET, ...extra });

async function createOk(body: Record<string, unknown>): Promise<Record<string, unknown> & { id: string }> {
  const res = await api.create(body);
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Waits until the workflow resolved the policy (steps known), so decisions aren't NotReady. */
const resolved = (id: string) => waitFor(async () => ((await api.view(id)).steps as unknown[]).length > 0, `request ${id} resolved`);

describe('create', () => {
  it('answers 201 with the request view', async () => {
    const res = await api.create(prodRequest({ duration: '2h' }));
    expect(res.status).toBe(201);
    asDocumented(res.body);
    const v = res.body;
    expect(v.id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(v).toMatchObject({
      workflowId: `access-request-${v.id}`,
      status: 'pending_approval',
      requester: 'alice@example.com',
      resource: 'prod-db-admin',
      justification: TICKET,
      duration: '2h',
      durationMs: 7_200_000,
      approvals: [],
      extensions: [],
      grantedAt: null,
      expiresAt: null,
      endedAt: null,
      endReason: null,
      links: { webUi: `${WEB_UI}/namespaces/default/workflows/access-request-${v.id}` },
    });
    expect(Date.parse(v.createdAt)).not.toBeNaN();
    const later = await waitFor(async () => {
      const x = await api.view(v.id);
      return (x.steps as unknown[]).length && x.jira ? x : null;
    }, 'resolution and the Jira ticket');
    expect(later.steps).toEqual([
      { label: 'manager', approvers: ['bob@example.com'], count: 1 },
      { label: 'owners', approvers: ['carol@example.com'], count: 1 },
    ]);
    expect(later.currentStep).toBe(1);
    expect(later.jira).toEqual({ key: expect.stringMatching(/^GATE-\d+$/), url: expect.stringContaining('/browse/GATE-') });
  });

  it('409 for a second open request by the same person for the same resource, naming the first', async () => {
    const first = await createOk(prodRequest());
    const second = await api.create(prodRequest({ justification: 'OPS-124 again' }));
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('conflict');
    expect(second.body.error.requestId).toBe(first.id);
    expect(second.body.error.details).toEqual([{ requestId: first.id }]);
    // Another resource, or another person, is not a conflict.
    expect((await api.create({ requester: 'alice@example.com', resource: 'aws-readonly', duration: '1h' })).status).toBe(201);
    expect((await api.create(prodRequest({ requester: 'dave@example.com' }))).status).toBe(201);
  });

  it('two simultaneous creates: exactly one is accepted, the other names it', async () => {
    const [a, b] = await Promise.all([api.create(prodRequest()), api.create(prodRequest())]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const [ok, conflict] = a.status === 201 ? [a, b] : [b, a];
    expect(conflict.body.error.requestId).toBe(ok.body.id);
  });

  it('allows a new request once the previous one ended', async () => {
    const first = await createOk(prodRequest());
    await resolved(first.id);
    expect((await api.post(`/v1/requests/${first.id}/cancel`, { actor: 'alice@example.com' })).status).toBe(200);
    expect((await api.create(prodRequest())).status).toBe(201);
  });

  it('idempotencyKey: 201 then 200 with the same request', async () => {
    const body = prodRequest({ idempotencyKey: 'form-submit-7f3a' });
    const first = await api.create(body);
    expect(first.status).toBe(201);
    expect(first.body.id).toMatch(/^IK[0-9A-HJKMNP-TV-Z]{26}$/);
    const again = await api.create(body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.createdAt).toBe(first.body.createdAt);
    // The key is bound to what it created: reusing it for another resource is a conflict.
    const other = await api.create({ requester: 'alice@example.com', resource: 'aws-readonly', idempotencyKey: 'form-submit-7f3a' });
    expect(other.status).toBe(409);
    // Without the key, the same body is a second request: 409 naming the first.
    const plain = await api.create(prodRequest());
    expect(plain.status).toBe(409);
    expect(plain.body.error.requestId).toBe(first.body.id);
  });
});

describe('decisions', () => {
  it('full happy path: bob then carol approve, the grant becomes active, then expires and is removed', async () => {
    const { id } = await createOk(prodRequest({ duration: '5s' }));
    await resolved(id);

    const afterBob = await api.post(`/v1/requests/${id}/approve`, { approver: 'bob@example.com', comment: 'ok' });
    expect(afterBob.status).toBe(200);
    expect(afterBob.body).toMatchObject({ status: 'pending_approval', currentStep: 2 });
    expect(afterBob.body.approvals).toEqual([{ step: 1, approver: 'bob@example.com', decision: 'approved', at: expect.any(String), via: 'http:tests', comment: 'ok' }]);

    const afterCarol = await api.post(`/v1/requests/${id}/approve`, { approver: 'carol@example.com' });
    expect(afterCarol.status).toBe(200);
    asDocumented(afterBob.body);
    asDocumented(afterCarol.body);
    expect(['provisioning', 'active']).toContain(afterCarol.body.status);

    const active = await api.waitForStatus(id, 'active');
    expect(active.standingMember).toBe(false);
    expect(Date.parse(active.expiresAt as string) - Date.parse(active.grantedAt as string)).toBe(5000);
    expect(api.ports.okta.memberLogins(PROD_GROUP)).toContain('alice@example.com');

    const expired = await api.waitForStatus(id, 'expired', 30_000);
    expect(expired.endReason).toMatch(/ran out/);
    expect(api.ports.okta.memberLogins(PROD_GROUP)).not.toContain('alice@example.com');
    expect(api.ports.okta.memberLogins(PROD_GROUP)).toContain('dave@example.com');
    // A finished request is still readable (from its result).
    const final = await api.view(id);
    expect(final.status).toBe('expired');
    asDocumented(final);
  });

  it('an approval sent right after the create waits for the policy resolution instead of failing', async () => {
    const { id } = await createOk(prodRequest());
    const res = await api.post(`/v1/requests/${id}/approve`, { approver: 'bob@example.com' });
    expect(res.status).toBe(200);
    expect(res.body.approvals).toEqual([expect.objectContaining({ approver: 'bob@example.com', decision: 'approved' })]);
  });

  it('403 for self-approval and for someone who is not an approver of the current step', async () => {
    const { id } = await createOk(prodRequest());
    await resolved(id);
    const self = await api.post(`/v1/requests/${id}/approve`, { approver: 'alice@example.com' });
    expect(self.status).toBe(403);
    expect(self.body.error).toMatchObject({ code: 'forbidden', details: [{ reason: 'SelfApproval' }] });
    const erin = await api.post(`/v1/requests/${id}/approve`, { approver: 'erin@example.com' });
    expect(erin.status).toBe(403);
    expect(erin.body.error.details).toEqual([{ reason: 'NotAnApprover' }]);
    // carol owns step 2, not step 1.
    expect((await api.post(`/v1/requests/${id}/approve`, { approver: 'carol@example.com' })).status).toBe(403);
    expect((await api.view(id)).approvals).toEqual([]);
  });

  it('409 when the same approver decides twice; an Idempotency-Key retry replays the first answer', async () => {
    const { id } = await createOk(prodRequest());
    await resolved(id);
    const first = await api.post(`/v1/requests/${id}/approve`, { approver: 'bob@example.com' }).set('Idempotency-Key', 'slack-action-1');
    expect(first.status).toBe(200);
    const retry = await api.post(`/v1/requests/${id}/approve`, { approver: 'bob@example.com' }).set('Idempotency-Key', 'slack-action-1');
    expect(retry.status).toBe(200);
    expect(retry.body.approvals).toHaveLength(1);
    const twice = await api.post(`/v1/requests/${id}/approve`, { approver: 'bob@example.com' });
    expect(twice.status).toBe(409);
    expect(twice.body.error.details).toEqual([{ reason: 'AlreadyDecided' }]);
    expect((await api.view(id)).approvals).toHaveLength(1);
  });

  it('deny ends the request; deciding on it afterwards is a 409', async () => {
    const { id } = await createOk(prodRequest());
    await resolved(id);
    const denied = await api.post(`/v1/requests/${id}/deny`, { approver: 'bob@example.com', reason: 'not now' });
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({ status: 'denied', endReason: 'denied by bob@example.com: not now' });
    expect(denied.body.approvals).toEqual([expect.objectContaining({ step: 1, approver: 'bob@example.com', decision: 'denied' })]);
    // Still running (settling) or already completed: either way a conflict, never a 404 or 500.
    const late = await api.post(`/v1/requests/${id}/approve`, { approver: 'bob@example.com' });
    expect(late.status).toBe(409);
    await waitFor(async () => (await api.harness.client.workflow.getHandle(`access-request-${id}`).describe()).status.name === 'COMPLETED', 'workflow completed');
    const afterEnd = await api.post(`/v1/requests/${id}/approve`, { approver: 'carol@example.com' });
    expect(afterEnd.status).toBe(409);
    expect(afterEnd.body.error.code).toBe('conflict');
    expect((await api.view(id)).status).toBe('denied');
    expect(api.ports.okta.memberLogins(PROD_GROUP)).not.toContain('alice@example.com');
  });

  it('cancel: only the requester, only while pending', async () => {
    const { id } = await createOk(prodRequest());
    await resolved(id);
    const byBob = await api.post(`/v1/requests/${id}/cancel`, { actor: 'bob@example.com' });
    expect(byBob.status).toBe(403);
    expect(byBob.body.error.details).toEqual([{ reason: 'NotRequester' }]);
    const cancelled = await api.post(`/v1/requests/${id}/cancel`, { actor: 'alice@example.com' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', endReason: 'cancelled by alice@example.com' });
    expect((await api.post(`/v1/requests/${id}/cancel`, { actor: 'alice@example.com' })).status).toBe(409);
  });

  it('extend within policy moves expiresAt; past policy is 422; someone else is 403', async () => {
    const { id } = await createOk({ requester: 'alice@example.com', resource: 'aws-readonly', duration: '1h' });
    const active = await api.waitForStatus(id, 'active');
    const before = Date.parse(active.expiresAt as string);

    const extended = await api.post(`/v1/requests/${id}/extend`, { actor: 'alice@example.com', duration: '30m' });
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.body.expiresAt) - before).toBe(30 * 60_000);
    expect(extended.body.extensions).toEqual([expect.objectContaining({ by: 'alice@example.com', expiresAt: extended.body.expiresAt, durationMs: 1_800_000 })]);

    const tooLong = await api.post(`/v1/requests/${id}/extend`, { actor: 'alice@example.com', duration: '25h' });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error).toMatchObject({ code: 'beyond_policy', details: [{ reason: 'BeyondPolicy' }] });
    const other = await api.post(`/v1/requests/${id}/extend`, { actor: 'bob@example.com', duration: '10m' });
    expect(other.status).toBe(403);
    expect((await api.view(id)).expiresAt).toBe(extended.body.expiresAt);
  });

  it('early revoke ends the grant: revoking → revoked, membership removed', async () => {
    const { id } = await createOk({ requester: 'alice@example.com', resource: 'aws-readonly', duration: '1h' });
    const active = await api.waitForStatus(id, 'active');
    expect(active.standingMember).toBe(false);
    expect(api.ports.okta.memberLogins(AWS_GROUP)).toContain('alice@example.com');

    const stranger = await api.post(`/v1/requests/${id}/revoke`, { actor: 'erin@example.com' });
    expect(stranger.status).toBe(403);
    expect(stranger.body.error.details).toEqual([{ reason: 'NotAllowed' }]);

    const revoke = await api.post(`/v1/requests/${id}/revoke`, { actor: 'alice@example.com', reason: 'done early' });
    expect(revoke.status).toBe(200);
    expect(['revoking', 'revoked']).toContain(revoke.body.status);
    expect(revoke.body.revokeRequested).toMatchObject({ by: 'alice@example.com', reason: 'done early' });

    const revoked = await api.waitForStatus(id, 'revoked');
    expect(revoked.endReason).toBe('revoked by alice@example.com: done early');
    expect(api.ports.okta.memberLogins(AWS_GROUP)).not.toContain('alice@example.com');
    expect((await api.post(`/v1/requests/${id}/revoke`, { actor: 'alice@example.com' })).status).toBe(409);
  });

  it('a standing member (allowlisted over the API) keeps the membership after an early revoke', async () => {
    const allowlisted = await api.post('/v1/standing-members', { login: 'dave@example.com', groupId: PROD_GROUP, reason: 'on-call DBA' });
    expect(allowlisted.status).toBe(201);
    expect(allowlisted.body).toMatchObject({ userId: '00u_dave', login: 'dave@example.com', source: 'allowlist', by: 'http:tests' });
    const { id } = await createOk({ requester: 'dave@example.com', resource: 'prod-db-admin', justification: TICKET, duration: '1h' });
    await resolved(id);
    expect((await api.post(`/v1/requests/${id}/approve`, { approver: 'bob@example.com' })).status).toBe(200);
    expect((await api.post(`/v1/requests/${id}/approve`, { approver: 'carol@example.com' })).status).toBe(200);
    const active = await api.waitForStatus(id, 'active');
    expect(active.standingMember).toBe(true);
    expect((await api.post(`/v1/requests/${id}/revoke`, { actor: 'carol@example.com' })).status).toBe(200);
    await api.waitForStatus(id, 'revoked');
    expect(api.ports.okta.memberLogins(PROD_GROUP)).toContain('dave@example.com');
  });
});

describe('GET /v1/requests', () => {
  it('finds requests by requester, resource and status, and pages', async () => {
    const prod = await createOk(prodRequest({ requester: 'dave@example.com' }));
    const aws = await createOk({ requester: 'dave@example.com', resource: 'aws-readonly', duration: '1h' });
    await api.waitForStatus(aws.id, 'active');

    const ids = async (qs: string) => {
      const res = await api.get(`/v1/requests?${qs}`);
      if (res.status !== 200) throw new Error(`list answered ${res.status}: ${JSON.stringify(res.body)}`);
      return (res.body.items as { id: string }[]).map((i) => i.id);
    };
    await waitFor(async () => (await ids('requester=dave@example.com&resource=prod-db-admin&status=pending_approval')).includes(prod.id), 'pending prod request listed');
    await waitFor(async () => (await ids('requester=dave@example.com&status=active')).includes(aws.id), 'active aws request listed');
    expect(await ids('requester=dave@example.com&resource=prod-db-admin&status=pending_approval')).not.toContain(aws.id);
    expect(await ids('requester=dave@example.com&status=active')).not.toContain(prod.id);
    expect(await ids('requester=erin@example.com')).toEqual([]);

    const listed = await api.get('/v1/requests?requester=dave@example.com&resource=prod-db-admin&status=pending_approval');
    const item = listed.body.items.find((i: { id: string }) => i.id === prod.id);
    expect(item).toMatchObject({ requester: 'dave@example.com', resource: 'prod-db-admin', status: 'pending_approval', links: { webUi: expect.stringContaining(prod.id) } });

    // Paging: one item per page, the token leads to the other one.
    await waitFor(async () => (await ids('requester=dave@example.com')).length >= 2, 'both listed');
    const page1 = await api.get('/v1/requests?requester=dave@example.com&pageSize=1');
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.nextPageToken).toEqual(expect.any(String));
    const page2 = await api.get(`/v1/requests?requester=dave@example.com&pageSize=1&pageToken=${page1.body.nextPageToken}`);
    expect(page2.status).toBe(200);
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
    // A token is bound to its listing.
    expect((await api.get(`/v1/requests?requester=alice@example.com&pageSize=1&pageToken=${page1.body.nextPageToken}`)).status).toBe(400);
  });

  it('lists a request terminated while pending as failed, never under its last status', async () => {
    // dave's pending request from the test above is cancelled first (one open request per resource).
    const open = await api.create(prodRequest({ requester: 'dave@example.com' }));
    if (open.status === 409) expect((await api.post(`/v1/requests/${open.body.error.details[0].requestId}/cancel`, { actor: 'dave@example.com' })).status).toBe(200);
    const { id } = open.status === 201 ? open.body : await createOk(prodRequest({ requester: 'dave@example.com' }));
    await resolved(id);
    await api.harness.client.workflow.getHandle(`access-request-${id}`).terminate('test: an operator ended it');
    const ids = async (qs: string) => ((await api.get(`/v1/requests?requester=dave@example.com&${qs}`)).body.items as { id: string; status: string }[]).map((i) => `${i.id}:${i.status}`);
    await waitFor(async () => (await ids('status=failed')).includes(`${id}:failed`), 'the terminated request listed as failed');
    const pending = await ids('status=pending_approval');
    expect(pending.filter((i) => i.startsWith(id))).toEqual([]);
    expect(pending.every((i) => i.endsWith(':pending_approval'))).toBe(true);
  });
});
