/**
 * Who is acting over HTTP (SPEC §13, issue 9): scoped static tokens, the caller recorded on every
 * decision, one canonical identity per person, and the attack of the issue — an integration token
 * approving its own request as bob and then as carol — refused at every step.
 */
import { API_SCOPES, type ApiToken } from '../../activities/settings';
import { startApi, TICKET, type ApiHarness } from './harness';
import * as oidc from 'openid-client';
import { createOktaTokenVerifier } from '../../api/identity/okta-token';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { discover, tokensFor } from '../helpers/oidc';
import { testPolicy } from '../helpers/policies';
import { waitFor } from '../helpers/wait';

const INTEGRATION = 'integration-token-0123456789'; // no scope list: requests:create + requests:read
const DECIDER = 'decider-token-0123456789abcd'; // requests:decide as well
const READER = 'reader-token-0123456789abcdef'; // requests:read only

const tokens = new Map<string, ApiToken>([
  ['test-token-0123456789abcdef', { name: 'tests', scopes: new Set(API_SCOPES) }],
  [INTEGRATION, { name: 'hr-tool', scopes: new Set(['requests:create', 'requests:read'] as const) }],
  [DECIDER, { name: 'approvals-bot', scopes: new Set(['requests:create', 'requests:read', 'requests:decide'] as const) }],
  [READER, { name: 'dashboard', scopes: new Set(['requests:read'] as const) }],
]);

let api: ApiHarness;
let emulators: RunningEmulators;
let issuer: string;
let oidcConfig: oidc.Configuration;
beforeAll(async () => {
  // The Okta emulator is the OpenID provider; the API's fake Okta has the same people (ids and logins).
  emulators = await startTestEmulators({ okta: 0, slack: false, jira: false, smtp: false });
  issuer = `${emulators.okta.url}/oauth2/default`;
  const { clientId, clientSecret } = emulators.okta.emulator.oidc.devClient;
  oidcConfig = await discover(issuer, clientId, clientSecret ?? undefined);
  api = await startApi({ tokens, oktaTokens: createOktaTokenVerifier({ issuer, jwks: { cooldownMs: 0 } }) }, { policy: testPolicy() });
});
afterAll(async () => {
  await api?.close();
  await emulators?.close();
});

/** An Okta access token for `login`, through the emulator's real authorize and token endpoints. */
const personToken = async (login: string) => (await tokensFor(oidcConfig, login, { scope: 'openid profile' })).access_token;
afterEach(async () => {
  await api.endOpenRequests();
});

async function file(token: string, body: Record<string, unknown>) {
  const res = await api.as(token).post('/v1/requests', body);
  if (res.body?.id) api.created.add(res.body.id);
  return res;
}
const resolved = (id: string) => waitFor(async () => ((await api.view(id)).steps as unknown[]).length > 0, `request ${id} resolved`);

describe('the attack of issue 9: an integration token approves its own request', () => {
  it('fails at each step with 403, and nothing is approved', async () => {
    const created = await file(INTEGRATION, { requester: 'alice@example.com', resource: 'prod-db-admin', justification: TICKET });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await resolved(id);
    for (const approver of ['bob@example.com', 'carol@example.com']) {
      const res = await api.as(INTEGRATION).post(`/v1/requests/${id}/approve`, { approver });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('insufficient_scope');
      expect(res.body.error.message).toContain('requests:decide');
    }
    const view = await api.view(id);
    expect(view.status).toBe('pending_approval');
    expect(view.approvals).toEqual([]);
  });

  it('a read-only token cannot file, decide or revoke', async () => {
    expect((await file(READER, { requester: 'alice@example.com', resource: 'aws-readonly' })).body.error.code).toBe('insufficient_scope');
    const created = await file(DECIDER, { requester: 'alice@example.com', resource: 'prod-db-admin', justification: TICKET });
    const id = created.body.id as string;
    for (const [action, body] of [
      ['approve', { approver: 'bob@example.com' }],
      ['deny', { approver: 'bob@example.com' }],
      ['cancel', { actor: 'alice@example.com' }],
      ['revoke', { actor: 'alice@example.com' }],
      ['extend', { actor: 'alice@example.com', duration: '1h' }],
    ] as const) {
      const res = await api.as(READER).post(`/v1/requests/${id}/${action}`, body);
      expect([action, res.status, res.body.error?.code]).toEqual([action, 403, 'insufficient_scope']);
    }
    expect((await api.as(READER).get(`/v1/requests/${id}`)).status).toBe(200);
  });

  it('system: actors are refused over HTTP, whatever the scopes', async () => {
    const created = await file(DECIDER, { requester: 'alice@example.com', resource: 'long-readonly' });
    const id = created.body.id as string;
    await api.waitForStatus(id, 'active');
    const res = await api.as(DECIDER).post(`/v1/requests/${id}/revoke`, { actor: 'system:anything' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/system actors/);
    expect((await api.view(id)).status).toBe('active');
    expect((await file(DECIDER, { requester: 'system:gatehouse', resource: 'aws-readonly' })).status).toBe(403);
  });
});

describe('the caller is recorded', () => {
  it('on every approval entry: via http:<token name>', async () => {
    const created = await file(DECIDER, { requester: 'alice@example.com', resource: 'prod-db-admin', justification: TICKET });
    const id = created.body.id as string;
    expect(created.body.via).toBe('http:approvals-bot');
    await resolved(id);
    const approved = await api.as(DECIDER).post(`/v1/requests/${id}/approve`, { approver: 'bob@example.com' });
    expect(approved.status).toBe(200);
    expect(approved.body.approvals).toEqual([expect.objectContaining({ approver: 'bob@example.com', via: 'http:approvals-bot' })]);
  });
});

describe('one canonical identity per person', () => {
  it('a person named by another spelling (the Okta id) is stored as the login, and four eyes still holds', async () => {
    const created = await file(DECIDER, { requester: '00u_alice', resource: 'two-of-three' });
    expect(created.status).toBe(201);
    expect(created.body.requester).toBe('alice@example.com');
    const id = created.body.id as string;
    await resolved(id);
    const first = await api.as(DECIDER).post(`/v1/requests/${id}/approve`, { approver: '00u_bob' });
    expect(first.status).toBe(200);
    expect(first.body.approvals[0].approver).toBe('bob@example.com');
    const again = await api.as(DECIDER).post(`/v1/requests/${id}/approve`, { approver: 'BOB@example.com' });
    expect(again.status).toBe(409);
    expect((await api.view(id)).status).toBe('pending_approval');
  });

  it('an Okta user who is not ACTIVE can neither request nor decide', async () => {
    const created = await file(DECIDER, { requester: 'alice@example.com', resource: 'two-of-three' });
    const id = created.body.id as string;
    await resolved(id);
    // frank is an approver of two-of-three; suspend him in Okta.
    api.ports.okta.users.get('00u_frank')!.status = 'SUSPENDED';
    try {
      const decided = await api.as(DECIDER).post(`/v1/requests/${id}/approve`, { approver: 'frank@example.com' });
      expect(decided.status).toBe(403);
      expect(decided.body.error.message).toMatch(/SUSPENDED/);
      const requested = await file(DECIDER, { requester: 'frank@example.com', resource: 'aws-readonly' });
      expect(requested.status).toBe(403);
    } finally {
      api.ports.okta.users.get('00u_frank')!.status = 'ACTIVE';
    }
  });

  it('an unknown approver is 403, an unknown requester 404', async () => {
    const created = await file(DECIDER, { requester: 'alice@example.com', resource: 'two-of-three' });
    await resolved(created.body.id);
    expect((await api.as(DECIDER).post(`/v1/requests/${created.body.id}/approve`, { approver: 'nobody@example.com' })).status).toBe(403);
    expect((await file(DECIDER, { requester: 'nobody@example.com', resource: 'aws-readonly' })).status).toBe(404);
  });
});

describe('Idempotency-Key of a decision', () => {
  it('replays the first answer for the same approver, and is 409 for another approver', async () => {
    const created = await file(DECIDER, { requester: 'alice@example.com', resource: 'two-of-three' });
    const id = created.body.id as string;
    await resolved(id);
    const send = (approver: string) => api.as(DECIDER).post(`/v1/requests/${id}/approve`, { approver }).set('Idempotency-Key', 'approve-once');
    const first = await send('bob@example.com');
    expect(first.status).toBe(200);
    const replay = await send('bob@example.com');
    expect(replay.status).toBe(200);
    expect(replay.body.approvals).toHaveLength(1);
    const other = await send('carol@example.com');
    expect(other.status).toBe(409);
    expect(other.body.error.message).toMatch(/already used by bob@example.com/);
    expect((await api.view(id)).approvals).toHaveLength(1);
  });
});

describe('input that must never reach the worker', () => {
  it('a lone surrogate in a revoke is 400, and the grant is still revoked on time', async () => {
    const created = await file(DECIDER, { requester: 'alice@example.com', resource: 'aws-readonly', duration: '3s' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await api.waitForStatus(id, 'active');
    const res = await api.as(DECIDER).post(`/v1/requests/${id}/revoke`).set('Content-Type', 'application/json').send('{"actor":"\\ud800"}');
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('body.actor');
    const ended = await api.waitForStatus(id, 'expired', 15_000);
    expect(api.ports.okta.groups.get('00g_aws_ro')!.members.has('00u_alice')).toBe(false);
    // On time: removed within a few seconds of expiresAt (the grant is 3 s long).
    expect(Date.parse(ended.endedAt as string) - Date.parse(ended.expiresAt as string)).toBeLessThan(5000);
  });
});

describe('Okta-issued access tokens, from the emulator\'s real token endpoint', () => {
  it('a person acts as themselves: files for themselves, approves where they are an approver, via http:okta', async () => {
    const alice = await personToken('alice@example.com');
    const created = await api.as(alice).post('/v1/requests', { resource: 'prod-db-admin', justification: TICKET });
    expect(created.status).toBe(201);
    api.created.add(created.body.id);
    expect(created.body).toMatchObject({ requester: 'alice@example.com', via: 'http:okta' });
    const id = created.body.id as string;
    await resolved(id);
    // alice cannot approve her own request, nor approve as bob.
    expect((await api.as(alice).post(`/v1/requests/${id}/approve`, {})).status).toBe(403);
    const asBob = await api.as(alice).post(`/v1/requests/${id}/approve`, { approver: 'bob@example.com' });
    expect(asBob.status).toBe(403);
    expect(asBob.body.error.message).toMatch(/acts only for alice@example.com/);
    const bob = await personToken('bob@example.com');
    const approved = await api.as(bob).post(`/v1/requests/${id}/approve`, {});
    expect(approved.status).toBe(200);
    expect(approved.body.approvals).toEqual([expect.objectContaining({ approver: 'bob@example.com', via: 'http:okta' })]);
    // bob is not an approver of step 2 (the owner, carol): the workflow's own rule refuses him.
    expect((await api.as(bob).post(`/v1/requests/${id}/approve`, { approver: 'bob@example.com' })).status).toBe(409);
    const carol = await personToken('carol@example.com');
    const bobAsCarol = await api.as(bob).post(`/v1/requests/${id}/approve`, { approver: 'carol@example.com' });
    expect(bobAsCarol.status).toBe(403);
    expect((await api.as(carol).post(`/v1/requests/${id}/approve`, {})).status).toBe(200);
    await api.waitForStatus(id, 'active');
  });

  it('a person token naming someone else is 403 for every action', async () => {
    const erin = await personToken('erin@example.com');
    expect((await api.as(erin).post('/v1/requests', { requester: 'alice@example.com', resource: 'aws-readonly' })).status).toBe(403);
    const created = await file(DECIDER, { requester: 'alice@example.com', resource: 'two-of-three' });
    await resolved(created.body.id);
    for (const [action, body] of [
      ['approve', { approver: 'bob@example.com' }],
      ['deny', { approver: 'bob@example.com' }],
      ['cancel', { actor: 'alice@example.com' }],
    ] as const) {
      expect([action, (await api.as(erin).post(`/v1/requests/${created.body.id}/${action}`, body)).status]).toEqual([action, 403]);
    }
  });

  it('a client-credentials token gets only the scopes its scp maps to', async () => {
    const { access_token: reader } = await oidc.clientCredentialsGrant(oidcConfig, { scope: 'gatehouse:requests:read' });
    expect((await api.as(reader).get('/v1/resources')).status).toBe(200);
    const refused = await api.as(reader).post('/v1/requests', { requester: 'alice@example.com', resource: 'aws-readonly' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('insufficient_scope');
    const { access_token: filer } = await oidc.clientCredentialsGrant(oidcConfig, { scope: 'gatehouse:requests:create' });
    const filed = await api.as(filer).post('/v1/requests', { requester: 'alice@example.com', resource: 'long-readonly' });
    expect(filed.status).toBe(201);
    api.created.add(filed.body.id);
    expect(filed.body.via).toBe(`http:okta-client:${emulators.okta.emulator.oidc.devClient.clientId}`);
  });

  it('a forged, expired-looking or foreign token is 401', async () => {
    const alice = await personToken('alice@example.com');
    const [h, p] = alice.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, uid: '00u_bob' })).toString('base64url')}.${alice.split('.')[2]}`;
    for (const token of [forged, `${h}.${p}.`, 'eyJhbGciOiJub25lIn0.eyJ1aWQiOiIwMHVfYm9iIn0.']) {
      const res = await api.as(token).get('/v1/resources');
      expect(res.status).toBe(401);
    }
  });
});
