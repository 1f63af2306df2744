/**
 * The API's front door: auth, health, input validation, the policy pre-checks that refuse a
 * request before any workflow exists, and the resource catalogue.
 */
import { apiToken } from '../helpers/tokens';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { demoPolicy } from '../helpers/temporal';
import { startApi, TICKET, TOKEN, type ApiHarness } from './harness';

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

const expectError = (res: request.Response, status: number, code: string) => {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(typeof res.body.error.message).toBe('string');
  expect(Array.isArray(res.body.error.details)).toBe(true);
};

describe('auth', () => {
  it('answers 401 without a token, with an unknown token, and with a non-bearer scheme', async () => {
    expectError(await request(api.app).get('/v1/resources'), 401, 'unauthorized');
    expectError(await request(api.app).get('/v1/resources').set('Authorization', 'Bearer not-the-token-at-all'), 401, 'unauthorized');
    expectError(await request(api.app).get('/v1/resources').set('Authorization', `Basic ${TOKEN}`), 401, 'unauthorized');
    expectError(await request(api.app).post('/v1/requests').send({ requester: 'alice@example.com', resource: 'aws-readonly' }), 401, 'unauthorized');
    expect(api.created.size).toBe(0);
  });

  it('accepts the configured token', async () => {
    const res = await api.get('/v1/resources');
    expect(res.status).toBe(200);
  });

  it('echoes the caller request id, or makes one', async () => {
    const mine = await api.get('/v1/resources').set('x-request-id', 'trace-abc-123');
    expect(mine.headers['x-request-id']).toBe('trace-abc-123');
    const generated = await api.get('/v1/resources');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never logs the Authorization header', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const app = createApp({
      temporal: api.harness.client,
      taskQueue: api.taskQueue,
      policy: demoPolicy,
      okta: api.ports.okta,
      tokens: apiToken(TOKEN, 'tests'),
      webUiUrl: 'http://ui',
      namespace: 'default',
      logger,
    });
    await request(app).get('/v1/resources').set('Authorization', `Bearer ${TOKEN}`).set('x-request-id', 'log-check');
    await request(app).get('/v1/resources').set('Authorization', 'Bearer wrong-token-value-123');
    const all = lines.join('\n');
    expect(all).toContain('log-check');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('wrong-token-value-123');
  });
});

describe('unexpected errors', () => {
  it('answer 500 internal with the request id, and no stack', async () => {
    const lines: string[] = [];
    const okta = Object.create(api.ports.okta, { getUser: { value: async () => Promise.reject(new Error('directory exploded at secret.ts:12')) } });
    const app = createApp({
      temporal: api.harness.client,
      taskQueue: api.taskQueue,
      policy: demoPolicy,
      okta,
      tokens: apiToken(TOKEN, 'tests'),
      webUiUrl: 'http://ui',
      namespace: 'default',
      logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }),
    });
    const res = await request(app).get('/v1/resources?requester=alice@example.com').set('Authorization', `Bearer ${TOKEN}`).set('x-request-id', 'boom-1');
    expect(res.status).toBe(500);
    expect(res.body.error).toMatchObject({ code: 'internal', requestId: 'boom-1' });
    expect(JSON.stringify(res.body)).not.toContain('exploded');
    expect(lines.join('\n')).toContain('directory exploded');
  });
});

describe('health', () => {
  it('is alive and ready without a token', async () => {
    expect((await request(api.app).get('/healthz')).status).toBe(200);
    const ready = await request(api.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
  });

  it('is not ready (503) when Temporal does not answer, but still alive', async () => {
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    await connection.close();
    const app = createApp({
      temporal: new Client({ connection }),
      taskQueue: 'unused',
      policy: demoPolicy,
      okta: api.ports.okta,
      tokens: new Map(),
      webUiUrl: 'http://ui',
      namespace: 'default',
      logger: pino({ level: 'silent' }),
    });
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
    expect((await request(app).get('/healthz')).status).toBe(200);
  });

  it('is not ready when the server address is closed', async () => {
    const app = createApp({
      temporal: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
      taskQueue: 'unused',
      policy: demoPolicy,
      okta: api.ports.okta,
      tokens: new Map(),
      webUiUrl: 'http://ui',
      namespace: 'default',
      logger: pino({ level: 'silent' }),
    });
    expect((await request(app).get('/readyz')).status).toBe(503);
  });
});

describe('input validation (400)', () => {
  it('refuses malformed JSON with 400, not 500', async () => {
    const res = await api.post('/v1/requests').set('Content-Type', 'application/json').send('{"requester": "alice@example.com",');
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.message).toMatch(/malformed JSON/);
  });

  it('refuses unknown fields, wrong types, a missing body and a bad duration', async () => {
    const unknown = await api.create({ requester: 'alice@example.com', resource: 'aws-readonly', admin: true });
    expectError(unknown, 400, 'validation_failed');
    expect(JSON.stringify(unknown.body.error.details)).toContain('admin');

    expectError(await api.create({ requester: 42, resource: 'aws-readonly' }), 400, 'validation_failed');
    expectError(await api.post('/v1/requests'), 400, 'validation_failed');

    const duration = await api.create({ requester: 'alice@example.com', resource: 'aws-readonly', duration: 'soon' });
    expectError(duration, 400, 'validation_failed');
    expect(duration.body.error.details).toEqual([expect.objectContaining({ path: 'duration', message: expect.stringContaining('not a duration') })]);
    expect(api.created.size).toBe(0);
  });

  it('refuses bad list filters and bad decision bodies', async () => {
    expectError(await api.get('/v1/requests?status=sleeping'), 400, 'validation_failed');
    expectError(await api.get('/v1/requests?requester=a"b'), 400, 'validation_failed');
    expectError(await api.get('/v1/requests?pageToken=not%20a%20token'), 400, 'validation_failed');
    expectError(await api.get('/v1/requests?pageToken=bm90LWEtcmVhbC10b2tlbg'), 400, 'validation_failed');
    expectError(await api.get('/v1/requests?colour=red'), 400, 'validation_failed');
    expectError(await api.post('/v1/requests/01J9ZZZZZZZZZZZZZZZZZZZZZZ/extend', { actor: 'alice@example.com', duration: 'forever' }), 400, 'validation_failed');
    expectError(await api.post('/v1/requests/01J9ZZZZZZZZZZZZZZZZZZZZZZ/approve', { approver: 'bob@example.com', extra: 1 }), 400, 'validation_failed');
  });
});

describe('not found (404)', () => {
  it('refuses an unknown resource and an unknown user', async () => {
    const resource = await api.create({ requester: 'alice@example.com', resource: 'moon-base' });
    expectError(resource, 404, 'not_found');
    // Names of Object.prototype members are not resources either.
    expectError(await api.create({ requester: 'alice@example.com', resource: 'constructor' }), 404, 'not_found');
    const user = await api.create({ requester: 'nobody@example.com', resource: 'prod-db-admin', justification: TICKET });
    expectError(user, 404, 'not_found');
    expect(user.body.error.details).toEqual([{ reason: 'unknown_user' }]);
    expect(api.created.size).toBe(0);
  });

  it('answers 404 for an unknown or malformed request id, on reads and decisions', async () => {
    expectError(await api.get('/v1/requests/01J9ZZZZZZZZZZZZZZZZZZZZZZ'), 404, 'not_found');
    expectError(await api.get('/v1/requests/not-a-request-id'), 404, 'not_found');
    expectError(await api.get('/v1/requests/..%2F..%2Fetc'), 404, 'not_found');
    expectError(await api.post('/v1/requests/01J9ZZZZZZZZZZZZZZZZZZZZZZ/approve', { approver: 'bob@example.com' }), 404, 'not_found');
    expectError(await api.post('/v1/requests/nope/cancel', { actor: 'alice@example.com' }), 404, 'not_found');
  });

  it('answers JSON 404 for unknown routes', async () => {
    expectError(await api.get('/v1/nothing-here'), 404, 'not_found');
    expectError(await api.post('/v1/requests/01J9ZZZZZZZZZZZZZZZZZZZZZZ/approve-everything', {}), 404, 'not_found');
  });
});

describe('policy pre-checks', () => {
  it('403: erin (Sales) is not eligible for prod-db-admin', async () => {
    const res = await api.create({ requester: 'erin@example.com', resource: 'prod-db-admin', justification: TICKET });
    expectError(res, 403, 'forbidden');
    expect(res.body.error.details).toEqual([{ reason: 'not_eligible' }]);
  });

  it('403: mallory is stopped by the risk gate', async () => {
    const res = await api.create({ requester: 'mallory@example.com', resource: 'prod-db-admin', justification: TICKET });
    expectError(res, 403, 'forbidden');
    expect(res.body.error.details).toEqual([{ reason: 'risk_gate' }]);
  });

  it('422: duration past the maximum or below the minimum', async () => {
    const long = await api.create({ requester: 'alice@example.com', resource: 'prod-db-admin', duration: '5h', justification: TICKET });
    expectError(long, 422, 'beyond_policy');
    expect(long.body.error.details).toEqual([{ reason: 'duration_exceeds_policy' }]);
    expectError(await api.create({ requester: 'alice@example.com', resource: 'prod-db-admin', duration: '1s', justification: TICKET }), 422, 'beyond_policy');
  });

  it('422: justification missing or not citing a ticket', async () => {
    const missing = await api.create({ requester: 'alice@example.com', resource: 'prod-db-admin' });
    expectError(missing, 422, 'beyond_policy');
    expect(missing.body.error.details).toEqual([{ reason: 'justification_required' }]);
    const invalid = await api.create({ requester: 'alice@example.com', resource: 'prod-db-admin', justification: 'because I need it' });
    expectError(invalid, 422, 'beyond_policy');
    expect(invalid.body.error.details).toEqual([{ reason: 'justification_invalid' }]);
    expect(api.created.size).toBe(0);
  });
});

describe('GET /v1/resources', () => {
  it('lists the whole catalogue', async () => {
    const res = await api.get('/v1/resources');
    expect(res.status).toBe(200);
    expect(res.body.items.map((r: { key: string }) => r.key).sort()).toEqual(['aws-readonly', 'prod-db-admin']);
    const prod = res.body.items.find((r: { key: string }) => r.key === 'prod-db-admin');
    expect(prod).toMatchObject({ name: 'Production database admin', duration: { default: '1h', max: '4h' }, justification: { required: true } });
  });

  it('filters by eligibility: erin does not see prod-db-admin, alice does', async () => {
    const erin = await api.get('/v1/resources?requester=erin@example.com');
    expect(erin.status).toBe(200);
    expect(erin.body.items.map((r: { key: string }) => r.key)).toEqual(['aws-readonly']);
    const alice = await api.get('/v1/resources?requester=ALICE@example.com');
    expect(alice.body.items.map((r: { key: string }) => r.key).sort()).toEqual(['aws-readonly', 'prod-db-admin']);
  });

  it('404 for an unknown requester', async () => {
    expectError(await api.get('/v1/resources?requester=nobody@example.com'), 404, 'not_found');
  });
});
