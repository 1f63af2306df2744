/**
 * /openapi.json is generated from the zod schemas and covers every route the app registers
 * under /v1 (found by walking the Express router, so a new route without a description fails).
 */
import { apiToken } from '../helpers/tokens';
import { Client, Connection } from '@temporalio/client';
import type { Application } from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createRequestBody } from '../../api/schemas';
import { requestViewResponseSchema } from '../../api/views';
import { demoPolicy } from '../helpers/temporal';
import { createFakePorts } from '../../activities/fakes';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/** "METHOD /path/{param}" for every route reachable through the app's routers. */
function registeredRoutes(app: Application): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = `${prefix}${layer.route.path}`.replace(/\/$/, '') || '/';
        for (const method of Object.keys(layer.route.methods)) out.push(`${method.toUpperCase()} ${path.replace(/:(\w+)/g, '{$1}')}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, `${prefix}${typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : ''}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}

let app: Application;
beforeAll(() => {
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  app = createApp({ temporal, taskQueue: 'q', policy: demoPolicy, okta: createFakePorts().okta, tokens: apiToken('openapi-test-token-0123', 't'), webUiUrl: 'http://x', namespace: 'default', logger: pino({ level: 'silent' }) });
});

it('describes every registered /v1 route', async () => {
  const res = await request(app).get('/openapi.json');
  expect(res.status).toBe(200);
  const doc = res.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
  expect(doc.openapi).toBe('3.1.0');
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  const v1 = registeredRoutes(app).filter((r) => r.split(' ')[1]!.startsWith('/v1'));
  expect(v1.length).toBeGreaterThanOrEqual(10);
  expect(v1).toContain('GET /v1/audit');
  expect(v1.filter((r) => !documented.includes(r))).toEqual([]);
  // …and nothing documented that the app doesn't serve.
  expect(documented.filter((r) => r.split(' ')[1]!.startsWith('/v1') && !v1.includes(r))).toEqual([]);
});

it('takes request bodies and query parameters from the zod schemas', async () => {
  const doc = (await request(app).get('/openapi.json')).body;
  const create = doc.paths['/v1/requests'].post.requestBody.content['application/json'].schema;
  expect(Object.keys(create.properties).sort()).toEqual(Object.keys(createRequestBody.shape).sort());
  // requester may be left out by a person's Okta token (it files for itself).
  expect(create.required).toEqual(['resource']);
  expect(create.additionalProperties).toBe(false);
  const auditParams = doc.paths['/v1/audit'].get.parameters.map((p: { name: string }) => p.name);
  expect(auditParams).toEqual(['requestId', 'actor', 'resource', 'type', 'since', 'until', 'after', 'pageToken', 'limit']);
  expect(doc.paths['/v1/audit'].get.responses['200'].content).toHaveProperty(['application/x-ndjson']);
  expect(doc.paths['/v1/requests/{id}/approve'].post.security).toEqual([{ bearer: [] }]);
});

it('documents every field of the request view, from the one schema the API answers with', async () => {
  const doc = (await request(app).get('/openapi.json')).body;
  const view = doc.paths['/v1/requests/{id}'].get.responses['200'].content['application/json'].schema;
  expect(Object.keys(view.properties).sort()).toEqual(Object.keys(requestViewResponseSchema.shape).sort());
  for (const field of ['resourceName', 'durationMs', 'via', 'currentStep', 'steps', 'remindersSent', 'standingMember', 'revokeRequested', 'failureReason', 'sideEffectFailures', 'partial']) {
    expect(view.properties).toHaveProperty([field]);
  }
  expect(view.properties.status.enum).toContain('revoking');
});
