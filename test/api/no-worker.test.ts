/**
 * With no worker polling the task queue, the API still accepts requests and answers reads from
 * what it knows (the input, then visibility), flagged `partial`; decisions answer 503, not hang.
 */
import { apiToken } from '../helpers/tokens';
import { pino } from 'pino';
import request from 'supertest';
import type { Application } from 'express';
import { createFakePorts } from '../../activities/fakes';
import { createApp } from '../../api/app';
import { accessRequestWorkflowId } from '../../workflows/constants';
import { connectHarness, demoPolicy, uniqueQueue, type TestHarness } from '../helpers/temporal';
import { TOKEN } from './harness';

let harness: TestHarness;
let app: Application;
const started: string[] = [];

beforeAll(async () => {
  harness = await connectHarness();
  app = createApp({
    temporal: harness.client,
    taskQueue: uniqueQueue('no-worker'),
    policy: demoPolicy,
    okta: createFakePorts().okta,
    tokens: apiToken(TOKEN, 'tests'),
    webUiUrl: 'http://ui',
    namespace: 'default',
    logger: pino({ level: 'silent' }),
    queryTimeoutMs: 300,
    updateTimeoutMs: 500,
  });
});
afterAll(async () => {
  for (const id of started) await harness.client.workflow.getHandle(accessRequestWorkflowId(id)).terminate('test cleanup').catch(() => undefined);
  await harness?.close();
});

const post = (path: string, body: object) => request(app).post(path).set('Authorization', `Bearer ${TOKEN}`).send(body);

it('creates from the input, reads from visibility, and answers 503 to a decision', async () => {
  const created = await post('/v1/requests', { requester: 'frank@example.com', resource: 'aws-readonly', duration: '2h' });
  expect(created.status).toBe(201);
  started.push(created.body.id);
  // Auto-approved (aws-readonly): the workflow's own first state, computed from the same input.
  expect(created.body).toMatchObject({ status: 'provisioning', requester: 'frank@example.com', resource: 'aws-readonly', duration: '2h', partial: true });

  const read = await request(app).get(`/v1/requests/${created.body.id}`).set('Authorization', `Bearer ${TOKEN}`);
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({ id: created.body.id, status: 'pending_approval', requester: 'frank@example.com', resource: 'aws-readonly', partial: true });

  const cancel = await post(`/v1/requests/${created.body.id}/cancel`, { actor: 'frank@example.com' });
  expect(cancel.status).toBe(503);
  expect(cancel.body.error.code).toBe('unavailable');

  // The open request still blocks a second one, even though nobody can query it.
  const again = await post('/v1/requests', { requester: 'frank@example.com', resource: 'aws-readonly' });
  expect(again.status).toBe(409);
  expect(again.body.error.requestId).toBe(created.body.id);
});
