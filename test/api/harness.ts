/**
 * The API under test: createApp() over a real Temporal client (the dev server of the global
 * setup), a real worker running the real workflow on fake ports, and the demo policy. Requests a
 * test starts are tracked, so `endOpenRequests()` can terminate what a test left running (the
 * open-request conflict check spans the whole namespace).
 */
import { apiToken } from '../helpers/tokens';
import type { Application } from 'express';
import { pino } from 'pino';
import request from 'supertest';
import type { Worker } from '@temporalio/worker';
import type { FakePorts } from '../../activities/fakes';
import type { Policy } from '../../activities/policy/schema';
import { createApp, type ApiDeps } from '../../api/app';
import { accessRequestWorkflowId } from '../../workflows/constants';
import { connectHarness, createTestWorker, demoPolicy, uniqueQueue, type TestHarness } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

export const TOKEN = 'test-token-0123456789abcdef';
export const WEB_UI = 'http://127.0.0.1:8233';
/** A justification matching prod-db-admin's pattern. */
export const TICKET = 'OPS-123 fix replication';

export interface ApiHarness {
  app: Application;
  ports: FakePorts;
  harness: TestHarness;
  taskQueue: string;
  /** Every request id a test created through `create`. */
  created: Set<string>;
  get(path: string): request.Test;
  post(path: string, body?: unknown): request.Test;
  /** The same calls with another bearer token (tests of scopes and identities). */
  as(token: string): { get(path: string): request.Test; post(path: string, body?: unknown): request.Test };
  create(body: Record<string, unknown>): Promise<request.Response>;
  view(id: string): Promise<Record<string, unknown>>;
  waitForStatus(id: string, status: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  endOpenRequests(): Promise<void>;
  close(): Promise<void>;
}

export async function startApi(overrides: Partial<ApiDeps> = {}, opts: { policy?: Policy } = {}): Promise<ApiHarness> {
  const harness = await connectHarness();
  const taskQueue = uniqueQueue('api');
  const policy = opts.policy ?? demoPolicy();
  const { worker, ports } = await createTestWorker(harness, { taskQueue, policy });
  const running = runWorker(worker);
  const app = createApp({
    temporal: harness.client,
    taskQueue,
    policy: () => policy,
    okta: ports.okta,
    tokens: apiToken(TOKEN, 'tests'),
    webUiUrl: WEB_UI,
    namespace: 'default',
    logger: pino({ level: 'silent' }),
    ...overrides,
  });
  const created = new Set<string>();
  const auth = (t: request.Test) => t.set('Authorization', `Bearer ${TOKEN}`);

  const api: ApiHarness = {
    app,
    ports,
    harness,
    taskQueue,
    created,
    get: (path) => auth(request(app).get(path)),
    post: (path, body) => auth(request(app).post(path)).send(body as object),
    as: (token) => ({
      get: (path) => request(app).get(path).set('Authorization', `Bearer ${token}`),
      post: (path, body) => request(app).post(path).set('Authorization', `Bearer ${token}`).send(body as object),
    }),
    async create(body) {
      const res = await api.post('/v1/requests', body);
      if (res.body?.id) created.add(res.body.id);
      return res;
    },
    async view(id) {
      const res = await api.get(`/v1/requests/${id}`);
      if (res.status !== 200) throw new Error(`GET /v1/requests/${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async waitForStatus(id, status, timeoutMs = 30_000) {
      return waitFor(
        async () => {
          const v = await api.view(id);
          return v.status === status && !v.partial ? v : null;
        },
        `request ${id} to be ${status}`,
        timeoutMs,
        100,
      );
    },
    /**
     * Cancels what a test left open: the workflow's own cancellation path revokes a grant, so the
     * fake Okta is clean for the next test (a terminate would leave the membership behind).
     */
    async endOpenRequests() {
      await Promise.all(
        [...created].map(async (id) => {
          const handle = harness.client.workflow.getHandle(accessRequestWorkflowId(id));
          try {
            if ((await handle.describe()).status.name !== 'RUNNING') return;
            await handle.cancel();
            await waitFor(async () => (await handle.describe()).status.name !== 'RUNNING', `request ${id} to end after cancel`, 15_000, 100);
          } catch {
            await handle.terminate('test cleanup').catch(() => undefined);
          }
        }),
      );
      created.clear();
    },
    async close() {
      await api.endOpenRequests();
      worker.shutdown();
      await running;
      await harness.close();
    },
  };
  return api;
}

function runWorker(worker: Worker): Promise<void> {
  return worker.run().catch((err: unknown) => {
    console.error('test worker failed', err);
  });
}
