/** GET /readyz answers 503 when Temporal or the audit store (SQLite or PostgreSQL) is unreachable. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import request from 'supertest';
import { AuditStore } from '../../activities/audit/store';
import { createFakePorts } from '../../activities/fakes';
import { createApp } from '../../api/app';
import { connectHarness, demoPolicy, type TestHarness } from '../helpers/temporal';

let h: TestHarness;
beforeAll(async () => {
  h = await connectHarness();
});
afterAll(async () => {
  await h?.close();
});

const appWith = (temporal: Client, audit: AuditStore) =>
  createApp({ temporal, taskQueue: 'q', policy: demoPolicy, okta: createFakePorts().okta, tokens: new Map(), webUiUrl: 'http://x', namespace: 'default', logger: pino({ level: 'silent' }), audit });
const sqlite = () => new AuditStore({ sqlitePath: join(mkdtempSync(join(tmpdir(), 'gatehouse-ready-')), 'audit.sqlite') });

it('is ready when both answer, and 503 once the audit store is gone', async () => {
  const store = sqlite();
  const app = appWith(h.client, store);
  const ready = await request(app).get('/readyz');
  expect(ready.status).toBe(200);
  expect(ready.body).toEqual({ status: 'ready', temporal: 'ok', audit: 'ok' });
  await store.close();
  const down = await request(app).get('/readyz');
  expect(down.status).toBe(503);
  expect(down.body).toMatchObject({ error: { code: 'unavailable', message: 'the audit store is not reachable' }, temporal: 'ok', audit: 'unreachable' });
});

it('is 503 when PostgreSQL does not answer', async () => {
  const store = new AuditStore({ databaseUrl: 'postgres://gatehouse@127.0.0.1:1/gatehouse', sqlitePath: '' });
  try {
    const res = await request(appWith(h.client, store)).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.audit).toBe('unreachable');
  } finally {
    await store.close().catch(() => undefined);
  }
});

it('is 503 when Temporal does not answer', async () => {
  const store = sqlite();
  try {
    const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const res = await request(appWith(temporal, store)).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { message: 'Temporal is not reachable' }, temporal: 'unreachable', audit: 'ok' });
  } finally {
    await store.close();
  }
});
