import request from 'supertest';
import { createOktaEmulator, loadDirectory, type OktaEmulator } from '../../emulators';
import { directoryWithBigGroup } from '../helpers/emulators';

const AUTH = { Authorization: 'SSWS test-token' };

function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'k1' })}.${part(claims)}.c2lnbmF0dXJl`;
}

/** The `<url>; rel="name"` entries of a Link header. */
function links(header: string | undefined): Record<string, string> {
  return Object.fromEntries([...(header ?? '').matchAll(/<([^>]+)>;\s*rel="([^"]+)"/g)].map((m) => [m[2], m[1]]));
}

describe('Okta emulator wire format', () => {
  let okta: OktaEmulator;
  beforeEach(() => {
    okta = createOktaEmulator({ directory: directoryWithBigGroup('00g_bulk', 7), pageSize: 3 });
  });

  it('answers 401 E0000011 without a usable Authorization header', async () => {
    for (const headers of [{}, { Authorization: 'SSWS ' }, { Authorization: 'Bearer never-issued' }]) {
      const res = await request(okta.app).get('/api/v1/users/00u_alice').set(headers).expect(401);
      expect(res.body).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
      expect(res.body).toHaveProperty('errorId');
      expect(res.body.errorCauses).toEqual([]);
    }
  });

  it('carries x-rate-limit-* headers on every response, errors included', async () => {
    for (const path of ['/api/v1/users/00u_alice', '/api/v1/users/nobody']) {
      const res = await request(okta.app).get(path).set(AUTH);
      expect(Number(res.headers['x-rate-limit-limit'])).toBeGreaterThan(0);
      expect(res.headers['x-rate-limit-remaining']).toBeDefined();
      expect(Number(res.headers['x-rate-limit-reset'])).toBeGreaterThan(Date.now() / 1000 - 1);
    }
  });

  it('gets users by URL-encoded login and short login; 404 is E0000007 in JSON', async () => {
    const res = await request(okta.app).get('/api/v1/users/alice%40example.com').set(AUTH).expect(200).expect('content-type', /json/);
    expect(res.body).toMatchObject({ id: '00u_alice', status: 'ACTIVE', profile: { login: 'alice@example.com', department: 'Engineering', title: 'Software Engineer', location: 'Paris' } });
    expect(res.body._links.self.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/users\/00u_alice$/);
    await request(okta.app).get('/api/v1/users/bob').set(AUTH).expect(200);
    const missing = await request(okta.app).get('/api/v1/users/nobody%40example.com').set(AUTH).expect(404);
    expect(missing.body.errorCode).toBe('E0000007');
  });

  it('searches users with search, filter and q', async () => {
    const search = await request(okta.app).get('/api/v1/users').query({ search: 'profile.login eq "carol@example.com"' }).set(AUTH).expect(200);
    expect(search.body.map((u: { id: string }) => u.id)).toEqual(['00u_carol']);
    const filter = await request(okta.app).get('/api/v1/users').query({ search: 'profile.department eq "Sales" and status eq "ACTIVE"', limit: 50 }).set(AUTH).expect(200);
    expect(filter.body.map((u: { id: string }) => u.id).sort()).toEqual(['00u_erin', '00u_frank']);
    const q = await request(okta.app).get('/api/v1/users').query({ q: 'mal' }).set(AUTH).expect(200);
    expect(q.body.map((u: { id: string }) => u.id)).toEqual(['00u_mallory']);
    const bad = await request(okta.app).get('/api/v1/users').query({ search: 'profile.login eq' }).set(AUTH).expect(400);
    expect(bad.body.errorCode).toBe('E0000031');
  });

  it('paginates with absolute Link headers that lead through every page', async () => {
    const seen: string[] = [];
    let next: string | undefined = '/api/v1/groups/00g_bulk/users';
    let pages = 0;
    while (next) {
      const res = await request(okta.app).get(next.replace(/^http:\/\/[^/]+/, '')).set(AUTH).expect(200);
      const rels = links(res.headers.link);
      expect(rels.self).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/groups\/00g_bulk\/users/);
      seen.push(...res.body.map((u: { id: string }) => u.id));
      next = rels.next;
      if (next) expect(next).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*after=.*limit=3/);
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
  });

  it('adds and removes memberships with 204 and no body; unknown user or group is 404', async () => {
    const put = await request(okta.app).put('/api/v1/groups/00g_aws_ro/users/00u_alice').set(AUTH).expect(204);
    expect(put.text).toBe('');
    await request(okta.app).put('/api/v1/groups/00g_aws_ro/users/00u_alice').set(AUTH).expect(204);
    expect(okta.state.groups.get('00g_aws_ro')?.members.has('00u_alice')).toBe(true);
    const groups = await request(okta.app).get('/api/v1/users/00u_alice/groups').set(AUTH).expect(200);
    expect(groups.body.map((g: { id: string }) => g.id)).toContain('00g_aws_ro');
    await request(okta.app).delete('/api/v1/groups/00g_aws_ro/users/00u_alice').set(AUTH).expect(204);
    await request(okta.app).delete('/api/v1/groups/00g_aws_ro/users/00u_alice').set(AUTH).expect(204);
    expect((await request(okta.app).put('/api/v1/groups/00g_aws_ro/users/00u_x').set(AUTH).expect(404)).body.errorCode).toBe('E0000007');
    expect((await request(okta.app).put('/api/v1/groups/00g_x/users/00u_alice').set(AUTH).expect(404)).body.errorCode).toBe('E0000007');
  });

  it('counts vendor calls per route with ids folded, and not its own control surface', async () => {
    await request(okta.app).put('/api/v1/groups/00g_aws_ro/users/00u_alice').set(AUTH).expect(204);
    await request(okta.app).put('/api/v1/groups/00g_aws_ro/users/00u_bob').set(AUTH).expect(204);
    await request(okta.app).delete('/api/v1/groups/00g_aws_ro/users/00u_bob?x=1').set(AUTH).expect(204);
    await request(okta.app).get('/_emulator/state').expect(200);
    const { body } = await request(okta.app).get('/_emulator/request-counts').expect(200);
    expect(body.counts).toEqual({ 'DELETE /api/v1/groups/:id/users/:id': 1, 'PUT /api/v1/groups/:id/users/:id': 2 });
  });

  it('deletes in two steps: the first DELETE deactivates, the second deletes', async () => {
    await request(okta.app).delete('/api/v1/users/00u_erin').set(AUTH).expect(204);
    expect(okta.state.users.get('00u_erin')?.status).toBe('DEPROVISIONED');
    await request(okta.app).delete('/api/v1/users/00u_erin').set(AUTH).expect(204);
    expect(okta.state.users.has('00u_erin')).toBe(false);
    await request(okta.app).delete('/api/v1/users/00u_erin').set(AUTH).expect(404);
  });

  it('creates users STAGED with activate=false and rejects a duplicate login', async () => {
    const profile = { login: 'new@example.com', email: 'new@example.com', firstName: 'New', lastName: 'Person' };
    const created = await request(okta.app).post('/api/v1/users?activate=false').set(AUTH).send({ profile }).expect(200);
    expect(created.body.status).toBe('STAGED');
    const dup = await request(okta.app).post('/api/v1/users').set(AUTH).send({ profile }).expect(400);
    expect(dup.body.errorCode).toBe('E0000001');
    expect(dup.body.errorCauses[0].errorSummary).toMatch(/already exists/);
    await request(okta.app).post(`/api/v1/users/${created.body.id}/lifecycle/activate?sendEmail=false`).set(AUTH).expect(200);
    expect(okta.state.users.get(created.body.id)?.status).toBe('PROVISIONED');
  });

  it('issues Bearer tokens for a client_credentials JWT assertion', async () => {
    const form = { grant_type: 'client_credentials', scope: 'okta.users.manage', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' };
    await request(okta.app).post('/oauth2/v1/token').type('form').send({ ...form, client_assertion: 'not-a-jwt' }).expect(401);
    const res = await request(okta.app).post('/oauth2/v1/token').type('form').send({ ...form, client_assertion: fakeJwt({ iss: '0oa1', sub: '0oa1', aud: 'x' }) }).expect(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'okta.users.manage' });
    await request(okta.app).get('/api/v1/users/00u_alice').set({ Authorization: `Bearer ${res.body.access_token}` }).expect(200);
  });

  it('serves app assignments', async () => {
    const assigned = await request(okta.app).post('/api/v1/apps/0oa_wiki/users').set(AUTH).send({ id: '00u_alice', scope: 'USER' }).expect(200);
    expect(assigned.body).toMatchObject({ id: '00u_alice', scope: 'USER', credentials: { userName: 'alice@example.com' } });
    await request(okta.app).get('/api/v1/apps/0oa_wiki/users/00u_alice').set(AUTH).expect(200);
    await request(okta.app).delete('/api/v1/apps/0oa_wiki/users/00u_alice').set(AUTH).expect(204);
    await request(okta.app).get('/api/v1/apps/0oa_wiki/users/00u_alice').set(AUTH).expect(404);
  });

  it('injects 429s with a reset header and outages on vendor routes only', async () => {
    await request(okta.app).post('/_emulator/faults').send({ burst429: { count: 1, retryAfterSec: 5 } }).expect(200);
    const limited = await request(okta.app).get('/api/v1/users/00u_alice').set(AUTH).expect(429);
    expect(limited.body.errorCode).toBe('E0000047');
    expect(Number(limited.headers['x-rate-limit-reset'])).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 4);
    await request(okta.app).get('/api/v1/users/00u_alice').set(AUTH).expect(200);

    await request(okta.app).post('/_emulator/faults').send({ outage: { seconds: 60, status: 502, route: 'PUT /api/v1/groups/*' } }).expect(200);
    await request(okta.app).put('/api/v1/groups/00g_aws_ro/users/00u_alice').set(AUTH).expect(502);
    await request(okta.app).get('/api/v1/groups/00g_aws_ro').set(AUTH).expect(200);
    await request(okta.app).get('/_emulator/state').expect(200);
    await request(okta.app).delete('/_emulator/faults').expect(204);
    await request(okta.app).put('/api/v1/groups/00g_aws_ro/users/00u_alice').set(AUTH).expect(204);
  });
});

describe('emulator control surface', () => {
  it('dumps, resets and reseeds state (from a body or from the demo directory)', async () => {
    const okta = createOktaEmulator({ directory: loadDirectory() });
    const state = await request(okta.app).get('/_emulator/state').expect(200);
    expect(state.body.users.map((u: { id: string }) => u.id)).toContain('00u_alice');
    expect(state.body.groups.find((g: { id: string }) => g.id === '00g_prod_db_admin').members).toEqual(['00u_dave']);

    await request(okta.app).post('/_emulator/reset').expect(204);
    expect(okta.state.users.size).toBe(0);
    await request(okta.app).get('/api/v1/users/00u_alice').set(AUTH).expect(404);

    await request(okta.app)
      .post('/_emulator/seed')
      .send({ users: [{ id: '00u_zed', login: 'zed@example.com', firstName: 'Zed', lastName: 'Z' }], groups: [{ id: '00g_z', name: 'z', members: ['zed@example.com'] }] })
      .expect(200);
    expect([...okta.state.users.keys()]).toEqual(['00u_zed']);
    expect(okta.state.groups.get('00g_z')?.members.has('00u_zed')).toBe(true);

    await request(okta.app).post('/_emulator/seed').expect(200);
    expect(okta.state.users.has('00u_alice')).toBe(true);
    expect(okta.state.users.has('00u_zed')).toBe(false);

    const bad = await request(okta.app).post('/_emulator/seed').send({ users: [{ id: 1 }] }).expect(400);
    expect(bad.body.error).toBe('invalid_body');
  });

  it('validates fault settings and reports them in the state', async () => {
    const okta = createOktaEmulator();
    await request(okta.app).post('/_emulator/faults').send({ errorRate: { '*': 2 } }).expect(400);
    await request(okta.app).post('/_emulator/faults').send({ latencyMs: 5, errorRate: { '/api/v1/groups/*': 0.5 } }).expect(200);
    const state = await request(okta.app).get('/_emulator/state').expect(200);
    expect(state.body.faults).toMatchObject({ latencyMs: 5, errorRate: [{ route: '/api/v1/groups/*', rate: 0.5 }] });
    await request(okta.app).delete('/_emulator/faults').expect(204);
    expect((await request(okta.app).get('/_emulator/state')).body.faults).toMatchObject({ latencyMs: 0, errorRate: [] });
  });
});
