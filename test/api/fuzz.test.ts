/**
 * Hostile input never gets a 5xx (issue 9, item 7): thousands of generated requests against every
 * /v1 route and /slack/events — wrong types, huge and unicode strings, lone surrogates, NUL bytes,
 * bad percent-escapes, arrays for objects, absurd durations, wrong content types and encodings,
 * bad JSON, missing and forged credentials — on the real API with a real Temporal server and
 * worker. Every answer is below 500, and every 4xx carries an error code. Seeded (FC_SEED) and
 * bounded in time; a failure prints the seed and path to replay it.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import request from 'supertest';
import { API_SCOPES, type ApiToken } from '../../activities/settings';
import { AuditStore } from '../../activities/audit/store';
import { createFakePorts } from '../../activities/fakes';
import { loadDirectory } from '../../activities/directory';
import { mountSlack } from '../../api/slack';
import { parsePolicy } from '../../activities/policy/load';
import { TEST_POLICY_YAML } from '../helpers/policies';
import { userRiskWorkflowId } from '../../workflows/constants';
import { deleteWorkflowsOn } from '../helpers/temporal';
import { startApi, type ApiHarness } from './harness';

const FULL = 'fuzz-full-token-0123456789';
const READER = 'fuzz-reader-token-01234567';
const SIGNING_SECRET = 'fuzz-signing-secret';
const HOOK_SECRET = 'fuzz-okta-hook-secret-0123';
const RISK_POLICY = `${TEST_POLICY_YAML}
risk:
  quarantineGroupId: 00g_high_risk
  securityChannel: "#security-alerts"
  incident: { projectKey: SEC }
  highRiskApps:
    0oa_pam: { name: PAM, onHigh: rollback }
`;
const tokens = new Map<string, ApiToken>([
  [FULL, { name: 'fuzz', scopes: new Set(API_SCOPES) }],
  [READER, { name: 'reader', scopes: new Set(['requests:read'] as const) }],
]);

let api: ApiHarness;
let audit: AuditStore;
beforeAll(async () => {
  const policy = parsePolicy(RISK_POLICY, 'fuzz-policy.yaml');
  audit = new AuditStore({ sqlitePath: join(mkdtempSync(join(tmpdir(), 'gatehouse-fuzz-')), 'audit.sqlite') });
  await audit.migrate();
  api = await startApi(
    {
      tokens,
      audit,
      rateLimitPerMinute: 0,
      oktaHookSecret: HOOK_SECRET,
      beforeParsers: (app, service) => {
        mountSlack(app, { botToken: 'xoxb-fuzz', signingSecret: SIGNING_SECRET, apiUrl: 'http://127.0.0.1:9/api/', teamId: 'T_GATEHOUSE', service, policy: () => policy, okta: createFakePorts().okta, logger: pino({ level: 'silent' }) });
      },
    },
    { policy },
  );
  // A user's risk workflow id is global on the server every test file shares, and a file that
  // raised someone leaves their last run closed on its own queue, which no worker polls any more:
  // querying it would answer nothing. Each directory user's risk view here is a run of this file's.
  const client = api.harness.client;
  for (const user of loadDirectory().users) {
    const handle = client.workflow.getHandle(userRiskWorkflowId(user.id));
    await handle.terminate('fuzz: a run on this file’s queue').catch(() => undefined);
    await client.workflow.start('userRiskWorkflow', { taskQueue: api.taskQueue, workflowId: handle.workflowId, args: [{ userId: user.id, login: user.login }] });
  }
});
afterAll(async () => {
  // Whatever the fuzzer managed to start is ended, so no open request leaks into other suites.
  await deleteWorkflowsOn(api.harness.client, api.taskQueue);
  await api?.close();
  await audit?.close();
});

// ---- generators

const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const nastyChar = fc.oneof(fc.constant('\u0000'), lone, fc.constantFrom('"', "'", '\\', '%', '/', '\n', '<', '>', '\u202e', '😀', 'ß', ':'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
const nastyString = fc.oneof(
  fc.string({ unit: nastyChar, maxLength: 40 }),
  fc.string({ maxLength: 30 }),
  fc.constantFrom('', ' ', 'alice@example.com', 'bob@example.com', 'system:gatehouse', 'prod-db-admin', 'aws-readonly', '00u_alice', 'constructor', '__proto__'),
  fc.integer({ min: 1000, max: 70_000 }).map((n) => 'x'.repeat(n)),
);
const durationLike = fc.oneof(nastyString, fc.constantFrom('1s', '1h', '0s', '-1h', '999999999999d', 'PT2H', 'P1000Y', '1e309h', 'NaN', '1h1h'));
const scalar = fc.oneof(nastyString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }), fc.dictionary(nastyString, scalar, { maxKeys: 3 }));
const FIELDS = ['requester', 'resource', 'duration', 'justification', 'idempotencyKey', 'approver', 'actor', 'comment', 'reason', 'manager', 'firstName', 'lastName', 'personalEmail', 'validity', 'groups', 'reviewer', 'decision'];
const person = fc.oneof(fc.constantFrom('alice@example.com', 'bob@example.com', 'carol@example.com', 'erin@example.com', 'mallory@example.com', 'dave@example.com', '00u_alice', 'BOB@EXAMPLE.COM'), nastyString);
/** Close to valid, so requests get past validation into policy, identity and Temporal. */
const plausible = fc.record(
  {
    requester: person,
    approver: person,
    actor: person,
    resource: fc.oneof(fc.constantFrom('prod-db-admin', 'aws-readonly', 'long-readonly', 'two-of-three', 'hurry'), nastyString),
    duration: durationLike,
    justification: fc.oneof(fc.constant('OPS-1 fuzz'), nastyString),
    reason: nastyString,
    idempotencyKey: fc.string({ maxLength: 20 }),
    manager: person,
    firstName: fc.oneof(fc.constantFrom('Élodie', 'Anne-Marie', "O'Brien"), nastyString),
    lastName: fc.oneof(fc.constantFrom('Lefèvre-Dupont', 'van der Berg', 'Ng'), nastyString),
    personalEmail: fc.oneof(fc.constant('elodie@example.net'), nastyString),
    validity: fc.oneof(fc.constantFrom('4s', '24h', '48h', '5d'), durationLike),
    groups: fc.oneof(fc.constant(['paris-shared-inbox']), fc.array(nastyString, { maxLength: 3 }), value),
    reviewer: person,
    decision: fc.oneof(fc.constantFrom('keep', 'revoke'), nastyString),
  },
  { requiredKeys: [] },
);
/** Okta event-hook deliveries, well-formed or not: the hook's parser and its workflow starts. */
const validRiskEvent = fc.record({
  uuid: fc.uuid(),
  published: fc.date({ noInvalidDate: true, min: new Date('2020-01-01'), max: new Date('2030-01-01') }).map((d) => d.toISOString()),
  eventType: fc.constantFrom('user.risk.detect', 'user.risk.change'),
  target: fc.constantFrom([{ id: '00u_erin', type: 'User', alternateId: 'erin@example.com' }], [{ id: '00u_frank', type: 'User', alternateId: 'frank@example.com', displayName: 'F\u0000' }]),
  debugContext: fc.record({ debugData: fc.record({ risk: fc.tuple(fc.constantFrom('LOW', 'MEDIUM', 'HIGH', 'high'), nastyString).map(([level, reasons]) => `{level=${level}, reasons=${reasons.slice(0, 200)}}`) }) }),
});
const oktaEvent = fc.oneof(validRiskEvent, fc.record(
  {
    uuid: fc.oneof(fc.uuid(), nastyString),
    published: fc.oneof(fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') }).map((d) => d.toISOString()), nastyString),
    eventType: fc.oneof(fc.constantFrom('user.risk.detect', 'user.risk.change', 'application.user_membership.add', 'user.session.start'), nastyString),
    target: fc.oneof(
      fc.array(fc.record({ id: fc.oneof(fc.constantFrom('00u_alice', '0oa_pam'), nastyString), type: fc.constantFrom('User', 'AppInstance', 'AppUser'), alternateId: person, displayName: nastyString }, { requiredKeys: [] }), { maxLength: 3 }),
      value,
    ),
    debugContext: fc.oneof(fc.record({ debugData: fc.record({ risk: fc.oneof(fc.constantFrom('{previousLevel=LOW, level=HIGH, reasons=a, b}', '{level=LOW}'), nastyString) }) }), value),
  },
  { requiredKeys: [] },
));
const oktaDelivery = fc.oneof(
  fc.record({ eventType: fc.constant('com.okta.event_hook'), source: fc.oneof(fc.constant('https://acme.okta.com/api/v1/eventHooks/who1'), nastyString), data: fc.record({ events: fc.array(oktaEvent, { maxLength: 3 }) }) }, { requiredKeys: ['eventType', 'data'] }),
  fc.record({ eventType: nastyString, data: value }, { requiredKeys: [] }),
);
const body = fc.oneof(
  plausible,
  plausible,
  oktaDelivery,
  fc.record(Object.fromEntries(FIELDS.map((f) => [f, f === 'duration' ? durationLike : value])), { requiredKeys: [] }),
  value,
  fc.jsonValue(),
);
/** A JSON text with `\\uD8xx` escapes left in: JSON.parse turns them into lone surrogates. */
const rawJson = fc.oneof(
  body.map((b) => JSON.stringify(b) ?? 'null'),
  fc.constantFrom('{"actor":"\\ud800"}', '{"requester":"a\\udfffb","resource":"aws-readonly"}', '{"approver":"\\u0000"}', '{', '{"a":1', '[', 'nul', '{"requester":', '\u0000', '{"__proto__":{"x":1}}'),
  fc.string({ unit: nastyChar, maxLength: 60 }),
);

/** Path and query text: short enough for Node's 16 KB header limit (its 431 comes before Express; main.ts answers it in JSON). */
const urlText = nastyString.filter((s) => s.length < 2000);
const ID = fc.oneof(fc.constantFrom('01J00000000000000000000000', 'IK0000000000000000000000000A', '%ZZ', '%E0%A4%A', '%ED%A0%80', '%00', '..%2F..', '%F0%9F%98%80'), urlText.map((s) => encodeURIComponent(s.toWellFormed())), fc.string({ maxLength: 30 }));
const ACTIONS = ['approve', 'deny', 'extend', 'revoke', 'cancel'];
const ACCOUNT_ACTIONS = ['extend', 'close'];
const path = fc.oneof(
  fc.constantFrom('/v1/requests', '/v1/resources', '/v1/audit', '/v1', '/v1/', '/slack/events', '/openapi.json', '/healthz', '/v1/nope', '/%E0%A4%A', '/v1/requests/%', '/hooks/okta', '/hooks/okta', '/v1/risk/users/alice@example.com'),
  ID.map((id) => `/v1/requests/${id}`),
  fc.oneof(ID, fc.uuid()).map((id) => `/v1/reviews/${id}`),
  fc.oneof(ID, fc.uuid()).map((id) => `/v1/reviews/${id}/decide`),
  fc.oneof(person.filter((p) => p.length < 2000).map((p) => encodeURIComponent(p.toWellFormed())), ID).map((login) => `/v1/risk/users/${login}`),
  fc.tuple(ID, fc.constantFrom(...ACTIONS, 'nope')).map(([id, a]) => `/v1/requests/${id}/${a}`),
  fc.constantFrom('/v1/temporary-accounts', '/v1/temporary-accounts/'),
  ID.map((id) => `/v1/temporary-accounts/${id}`),
  fc.tuple(ID, fc.constantFrom(...ACCOUNT_ACTIONS, 'nope')).map(([id, a]) => `/v1/temporary-accounts/${id}/${a}`),
);
const query = fc.dictionary(fc.constantFrom('status', 'requester', 'resource', 'pageToken', 'pageSize', 'actor', 'type', 'since', 'until', 'limit', 'after', 'requestId', 'manager', 'x'), fc.oneof(urlText, fc.array(urlText, { maxLength: 2 })), { maxKeys: 3 });
const auth = fc.constantFrom<string | undefined>(`Bearer ${FULL}`, `Bearer ${FULL}`, `Bearer ${FULL}`, `Bearer ${FULL}`, `Bearer ${READER}`, HOOK_SECRET, undefined, 'Bearer nope-nope-nope-nope', `Basic ${FULL}`, 'Bearer eyJhbGciOiJub25lIn0.eyJ1aWQiOiIwMHVfYm9iIn0.', 'Bearer ');
const contentType = fc.constantFrom<string | undefined>('application/json', 'application/json', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', undefined, 'application/json; charset=utf-16');
const encoding = fc.constantFrom<string | undefined>(undefined, undefined, undefined, 'gzip', 'br', 'deflate', 'identity', 'x-unknown');
const method = fc.constantFrom('GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH');

const queryString = (q: Record<string, string | string[]>) =>
  Object.entries(q)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${encodeURIComponent(x.isWellFormed() ? x : x.toWellFormed())}`))
    .join('&');

const seed = Number(process.env.FC_SEED ?? 20261129);
const short = (s: string) => (s.length > 160 ? `${s.slice(0, 120)}…(${s.length} chars)` : s);

it('answers every generated request below 500, each 4xx with an error code', async () => {
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(method, path, query, rawJson, auth, contentType, encoding, fc.option(urlText.filter((s) => /^[\x20-\x7e]*$/.test(s))), async (m, p, q, b, a, ct, enc, key) => {
      runs++;
      const qs = queryString(q);
      let req = request(api.app)[m.toLowerCase() as 'get'](`${p}${qs ? `?${qs}` : ''}`);
      if (a) req = req.set('Authorization', a);
      if (key) req = req.set('Idempotency-Key', key);
      // Okta's verification challenge, on the hook's GET.
      if (key && p === '/hooks/okta') req = req.set('x-okta-verification-challenge', key);
      if (enc) req = req.set('Content-Encoding', enc);
      if (m !== 'GET' && m !== 'DELETE') {
        if (ct) req = req.set('Content-Type', ct);
        req = req.send(b);
      }
      const res = await req;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const ok = res.status < 500 && (res.status < 400 || typeof res.body?.error?.code === 'string' || p.startsWith('/slack'));
      if (!ok) failures.push(`${m} ${short(p)}?${short(qs)} ${short(JSON.stringify(b) ?? '')} [${a ?? 'no auth'}, ${ct}, ${enc}] → ${res.status} ${short(JSON.stringify(res.body) ?? '')}`);
      return ok;
    }),
    { seed, numRuns: 2500, interruptAfterTimeLimit: 90_000, timeout: 15_000, endOnFailure: true },
  ).catch((err: unknown) => {
    // fast-check's report repeats huge generated strings: the short form says enough, plus the seed.
    throw new Error(`${String(err).split('\n').find((l) => l.includes('seed')) ?? ''}\n${failures.join('\n')}`);
  });
  expect(failures).toEqual([]);
  expect(runs).toBeGreaterThan(300);
  // The generator reaches every layer: auth refusals, validation, scopes, unknown ids, and real answers.
  console.log(`fuzz: ${runs} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  for (const status of [200, 400, 401, 403, 404]) expect(statuses.get(status) ?? 0).toBeGreaterThan(0);
});

it('answers signed but malformed Slack payloads below 500', async () => {
  const failures: string[] = [];
  const sign = (raw: string, ts: number) => `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${raw}`).digest('hex')}`;
  const payload = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
    fc.record({ type: fc.constantFrom('block_actions', 'view_submission', 'shortcut', 'nope'), user: fc.oneof(fc.record({ id: nastyString }), scalar), team: fc.oneof(fc.record({ id: nastyString }), scalar), actions: fc.oneof(fc.array(fc.record({ action_id: fc.constantFrom('approve_request', 'deny_request', 'extend_request', 'revoke_request', 'x'), value: nastyString, action_ts: nastyString })), scalar) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    fc.string({ unit: nastyChar, maxLength: 40 }),
  );
  const form = fc.oneof(
    payload.map((p) => `payload=${encodeURIComponent(p.isWellFormed() ? p : p.toWellFormed())}`),
    fc.dictionary(fc.constantFrom('command', 'text', 'user_id', 'team_id', 'trigger_id', 'x'), nastyString.map((s) => (s.isWellFormed() ? s : s.toWellFormed())), { maxKeys: 5 }).map((d) => new URLSearchParams(d).toString()),
  );
  await fc.assert(
    fc.asyncProperty(form, async (raw) => {
      const ts = Math.floor(Date.now() / 1000);
      const res = await request(api.app).post('/slack/events').set('Content-Type', 'application/x-www-form-urlencoded').set('X-Slack-Request-Timestamp', String(ts)).set('X-Slack-Signature', sign(raw, ts)).send(raw);
      if (res.status >= 500) failures.push(`${short(raw)} → ${res.status} ${short(res.text)}`);
      return res.status < 500;
    }),
    { seed, numRuns: 200, interruptAfterTimeLimit: 30_000, endOnFailure: true },
  ).catch((err: unknown) => {
    throw new Error(`${String(err).split('\n').find((l) => l.includes('seed')) ?? ''}\n${failures.join('\n')}`);
  });
});

it('answers authenticated Okta hook deliveries below 500, whatever they hold', async () => {
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  const delivery = fc.oneof(oktaDelivery.map((d) => JSON.stringify(d)), rawJson);
  await fc.assert(
    fc.asyncProperty(delivery, contentType, async (raw, ct) => {
      let req = request(api.app).post('/hooks/okta').set('Authorization', HOOK_SECRET);
      if (ct) req = req.set('Content-Type', ct);
      const res = await req.send(raw);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const ok = res.status < 500 && (res.status < 400 || typeof res.body?.error?.code === 'string');
      if (!ok) failures.push(`${short(raw)} [${ct}] → ${res.status} ${short(JSON.stringify(res.body) ?? '')}`);
      return ok;
    }),
    { seed, numRuns: 400, interruptAfterTimeLimit: 40_000, endOnFailure: true },
  ).catch((err: unknown) => {
    throw new Error(`${String(err).split('\n').find((l) => l.includes('seed')) ?? ''}\n${failures.join('\n')}`);
  });
  console.log(`fuzz /hooks/okta: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  for (const status of [200, 400]) expect(statuses.get(status) ?? 0).toBeGreaterThan(0);
  // Some generated events were real enough to start their workflow.
  const metrics = (await request(api.app).get('/metrics')).text;
  expect(metrics).toMatch(/gatehouse_okta_hook_events_total\{event_type="user\.risk\.(detect|change)",outcome="started"\} [1-9]/);
});
