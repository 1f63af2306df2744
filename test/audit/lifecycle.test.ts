/**
 * A full access-request lifecycle on each audit engine: the real workflow on a real worker (with
 * the production activity interceptor) writes its trail through recordAuditEvent into the store;
 * the API serves it (paged, filtered, NDJSON export, and inside GET /v1/requests/:id). A Slack
 * outage on the first call shows up once as `external_call_retried`, and the worker's lifecycle
 * metrics follow the audit events.
 */
import { createActivities } from '../../activities';
import { apiToken } from '../helpers/tokens';
import type { Worker } from '@temporalio/worker';
import { pino } from 'pino';
import request from 'supertest';
import type { Application } from 'express';
import type { AuditStore } from '../../activities/audit/store';
import { classifyFailure } from '../../activities/errors';
import { createFakePorts, type FakePorts } from '../../activities/fakes';
import type { AuditEvent } from '../../activities/ports';
import { createApp } from '../../api/app';
import { activityInterceptor } from '../../workers/activity-interceptor';
import { createWorkerMetrics, type WorkerMetrics } from '../../workers/metrics';
import { testPolicy } from '../helpers/policies';
import { connectHarness, createTestWorker, uniqueQueue, type TestHarness } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { ENGINES, requirePostgresInCi } from './engines';

const TOKEN = 'audit-test-token-0123456789';
const silent = pino({ level: 'silent' });
const LIFECYCLE = ['requested', 'resolved', 'approval_step_opened', 'approved', 'approval_step_opened', 'approved', 'granted', 'extended', 'expired'];

/** True when `wanted` appears in `types` in this order (other events may sit in between). */
const inOrder = (types: string[], wanted: string[]) => wanted.reduce((from, w) => (from < 0 ? -1 : types.indexOf(w, from) < 0 ? -1 : types.indexOf(w, from) + 1), 0) >= 0;

describe.each(ENGINES)('audit trail of a full lifecycle on $name', (engine) => {
  let store: AuditStore;
  let h: TestHarness;
  let worker: Worker;
  let running: Promise<void>;
  let app: Application;
  let metrics: WorkerMetrics;
  let ports: FakePorts;

  beforeAll(async () => {
    requirePostgresInCi();
    store = engine.open();
    await store.migrate();
    h = await connectHarness();
    const taskQueue = uniqueQueue('audit');
    const policy = testPolicy();
    const fakes = createFakePorts();
    // Slack is down for the first call: the activity fails once, Temporal retries it.
    const post = fakes.slack.postMessage.bind(fakes.slack);
    let failedOnce = false;
    fakes.slack.postMessage = async (m) => {
      if (!failedOnce) {
        failedOnce = true;
        throw classifyFailure('Slack', 503, 'service_unavailable');
      }
      return post(m);
    };
    ports = { ...fakes, audit: store } as unknown as FakePorts;
    metrics = createWorkerMetrics();
    ({ worker } = await createTestWorker(h, {
      taskQueue,
      ports,
      policy,
      // As the worker process wires them: the lifecycle series come from every audit event written.
      activities: createActivities({ ...ports, policy: () => policy, onAudit: (event) => metrics.auditEventRecorded(event) }),
      interceptors: { activity: [activityInterceptor({ audit: store, metrics, logger: silent })] },
    }));
    running = worker.run();
    app = createApp({ temporal: h.client, taskQueue, policy: () => policy, okta: fakes.okta, tokens: apiToken(TOKEN, 'tests'), webUiUrl: 'http://127.0.0.1:8233', namespace: 'default', logger: silent, audit: store });
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await h?.close();
    await store?.close();
  });

  const api = (method: 'get' | 'post', path: string) => request(app)[method](path).set('Authorization', `Bearer ${TOKEN}`);

  it('is complete, ordered and duplicate-free over the API, and exports as NDJSON', async () => {
    const created = await api('post', '/v1/requests').send({ requester: 'alice@example.com', resource: 'prod-db-admin', duration: '2s', justification: 'OPS-42 audit' });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const view = async () => (await api('get', `/v1/requests/${id}`)).body;
    await waitFor(async () => (await view()).steps?.length > 0, 'resolution');
    expect((await api('post', `/v1/requests/${id}/approve`).send({ approver: 'bob@example.com' })).status).toBe(200);
    expect((await api('post', `/v1/requests/${id}/approve`).send({ approver: 'carol@example.com' })).status).toBe(200);
    await waitFor(async () => (await view()).status === 'active', 'active');
    expect((await api('post', `/v1/requests/${id}/extend`).send({ actor: 'alice@example.com', duration: '1s' })).status).toBe(200);
    await waitFor(async () => (await view()).status === 'expired', 'expired', 30_000);
    // The workflow drains its audit lane before it completes: the trail is whole now.
    const final = await view();
    const trail = final.audit as AuditEvent[];
    const types = trail.map((e) => e.type);
    expect(inOrder(types, LIFECYCLE)).toBe(true);
    expect(types.at(-1)).toBe('expired');
    // Duplicate-free and gap-free: every id once, the workflow's seqs 1..n in order.
    expect(new Set(trail.map((e) => e.id)).size).toBe(trail.length);
    const seqs = trail.filter((e) => e.seq > 0).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(trail.find((e) => e.type === 'approved')).toMatchObject({ actor: 'bob@example.com', resource: 'prod-db-admin', details: { step: 1, via: 'http:tests' } });
    expect(trail.find((e) => e.type === 'granted')?.details).toMatchObject({ standingMember: false, groupId: '00g_prod_db_admin' });

    // The Slack outage: one retried external call, recorded once, with what failed.
    const retried = trail.filter((e) => e.type === 'external_call_retried');
    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({ actor: 'gatehouse', resource: 'prod-db-admin', seq: 0, details: { system: 'Slack', attempt: 1, errorType: 'SlackUnavailable' } });
    expect(String(retried[0]!.details!.message)).toContain('service_unavailable');

    // GET /v1/audit: the same events, paged.
    const paged: AuditEvent[] = [];
    let pageToken: string | null = null;
    do {
      const res: request.Response = await api('get', `/v1/audit?requestId=${id}&limit=4${pageToken ? `&pageToken=${pageToken}` : ''}`);
      expect(res.status).toBe(200);
      paged.push(...res.body.items);
      pageToken = res.body.nextPageToken;
    } while (pageToken);
    // Listings follow the store sequence (recording order): the same events, each once.
    const byStoreSeq = [...trail].sort((a, b) => a.storeSeq! - b.storeSeq!);
    expect(paged).toEqual(byStoreSeq);
    const approvals = await api('get', `/v1/audit?requestId=${id}&type=approved&actor=carol@example.com`);
    expect(approvals.body.items.map((e: AuditEvent) => e.actor)).toEqual(['carol@example.com']);

    // NDJSON export: one event per line, the same trail.
    const exported = await api('get', `/v1/audit?requestId=${id}`).set('Accept', 'application/x-ndjson');
    expect(exported.status).toBe(200);
    expect(exported.headers['content-type']).toContain('application/x-ndjson');
    const lines = exported.text.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(byStoreSeq);

    // Worker metrics derived from the same events.
    await waitFor(async () => (await metrics.registry.getSingleMetricAsString('gatehouse_revoke_lag_seconds')).includes('gatehouse_revoke_lag_seconds_count 1'), 'revoke lag observed');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/gatehouse_requests_total\{outcome="expired",resource="prod-db-admin"\} 1/);
    expect(text).toMatch(/gatehouse_approval_wait_seconds_count\{decision="approved"\} 2/);
    expect(text).toMatch(/gatehouse_grant_latency_seconds_count 1/);
    expect(text).toMatch(/gatehouse_external_call_retries_total\{system="Slack",activity="applyEffects"\} 1/);
  });

  it('refuses bad filters with 400 and an unknown page token with 400', async () => {
    expect((await api('get', '/v1/audit?since=yesterday')).status).toBe(400);
    expect((await api('get', '/v1/audit?bogus=1')).status).toBe(400);
    expect((await api('get', '/v1/audit?pageToken=bm90IGEgY3Vyc29y')).status).toBe(400);
    expect((await request(app).get('/v1/audit')).status).toBe(401);
  });
});
