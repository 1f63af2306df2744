/**
 * GET /openapi.json: the OpenAPI 3.1 document, generated from the same zod schemas the routes
 * parse with (z.toJSONSchema, input side), so it cannot drift from what the API accepts.
 * test/ops/openapi.test.ts checks that every registered /v1 route is described here.
 */
import { z } from 'zod';
import { auditQuery } from './routes/audit';
import { approveBody, cancelBody, closeAccountBody, createAccountBody, createRequestBody, denyBody, extendAccountBody, extendBody, listAccountsQuery, listRequestsQuery, resourcesQuery, revokeBody } from './schemas';
import { auditEventSchema, requestViewResponseSchema as requestViewSchema } from './views';
import { accountViewSchema } from './temporary-account-view';
import { addBody as standingAddBody, listQuery as standingListQuery } from './routes/standing-members';
import { decideReviewBody, reviewViewSchema, riskViewSchema } from './routes/risk';

type Schema = z.ZodType;
const json = (schema: Schema) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;

// Response shapes (what the routes answer), as zod too, so one generator writes the whole document.
const errorSchema = z.object({
  error: z.object({
    code: z.enum(['validation_failed', 'unauthorized', 'forbidden', 'insufficient_scope', 'risk_quarantined', 'not_found', 'conflict', 'beyond_policy', 'payload_too_large', 'unavailable', 'internal']),
    message: z.string(),
    details: z.array(z.unknown()),
  }),
});
const resourceSchema = z.object({ key: z.string(), name: z.string() }).loose();
const standingRecordSchema = z.object({ userId: z.string(), groupId: z.string(), login: z.string(), source: z.enum(['baseline', 'allowlist']), by: z.string(), at: z.string(), reason: z.string() });

interface Operation {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  query?: z.ZodObject;
  body?: Schema;
  ok: { status: number; schema?: Schema; description: string; ndjson?: boolean; text?: boolean };
  auth?: boolean;
}

const v1 = (op: Omit<Operation, 'auth'>): Operation => ({ ...op, auth: true });
const decision = (name: string, body: Schema, summary: string) =>
  v1({ method: 'post', path: `/v1/requests/{id}/${name}`, summary, body, ok: { status: 200, schema: requestViewSchema, description: 'the request view after the change' } });

export const OPERATIONS: Operation[] = [
  v1({ method: 'post', path: '/v1/requests', summary: 'File an access request', body: createRequestBody, ok: { status: 201, schema: requestViewSchema, description: 'created (200 for a repeated idempotencyKey)' } }),
  v1({
    method: 'get',
    path: '/v1/requests',
    summary: 'List requests (Temporal visibility)',
    query: listRequestsQuery,
    ok: { status: 200, schema: z.object({ items: z.array(requestViewSchema), nextPageToken: z.string().nullable() }), description: 'a page' },
  }),
  v1({ method: 'get', path: '/v1/requests/{id}', summary: 'One request, with its audit trail', ok: { status: 200, schema: requestViewSchema, description: 'the request view' } }),
  decision('approve', approveBody, 'Approve (an approver of the current step)'),
  decision('deny', denyBody, 'Deny'),
  decision('extend', extendBody, 'Extend an active grant'),
  decision('revoke', revokeBody, 'Revoke now'),
  decision('cancel', cancelBody, 'Cancel a pending request (the requester)'),
  v1({ method: 'post', path: '/v1/temporary-accounts', summary: 'Ask for a temporary Okta account (scope temporary-accounts; 403 for a manager the policy refuses, 422 with what is allowed for a group or validity not offered)', body: createAccountBody, ok: { status: 201, schema: accountViewSchema, description: 'created (200 for a repeated idempotencyKey)' } }),
  v1({
    method: 'get',
    path: '/v1/temporary-accounts',
    summary: 'List temporary accounts (Temporal visibility; a person token sees the accounts it manages)',
    query: listAccountsQuery,
    ok: { status: 200, schema: z.object({ items: z.array(accountViewSchema), nextPageToken: z.string().nullable() }), description: 'a page' },
  }),
  v1({ method: 'get', path: '/v1/temporary-accounts/{id}', summary: 'One temporary account', ok: { status: 200, schema: accountViewSchema, description: 'the account view' } }),
  v1({ method: 'post', path: '/v1/temporary-accounts/{id}/extend', summary: 'Extend (the manager or a security admin; 422 past maxTotal)', body: extendAccountBody, ok: { status: 200, schema: accountViewSchema, description: 'the account view with the new expiresAt' } }),
  v1({ method: 'post', path: '/v1/temporary-accounts/{id}/close', summary: 'Close now (the manager or a security admin)', body: closeAccountBody, ok: { status: 200, schema: accountViewSchema, description: 'the account view (closing)' } }),
  v1({ method: 'get', path: '/v1/standing-members', summary: 'Standing access records (scope admin)', query: standingListQuery, ok: { status: 200, schema: z.object({ items: z.array(standingRecordSchema) }), description: 'records' } }),
  v1({ method: 'post', path: '/v1/standing-members', summary: 'Allowlist a standing member of a managed group (scope admin, audited)', body: standingAddBody, ok: { status: 201, schema: standingRecordSchema, description: 'the record' } }),
  v1({ method: 'delete', path: '/v1/standing-members/{userId}/{groupId}', summary: 'Remove a standing record (scope admin, audited)', ok: { status: 204, description: 'removed' } }),
  v1({ method: 'get', path: '/v1/risk/users/{login}', summary: "A user's Okta risk as Gatehouse holds it: level, quarantine, incident, actions (scope admin)", ok: { status: 200, schema: riskViewSchema, description: 'the risk view' } }),
  v1({ method: 'get', path: '/v1/reviews/{id}', summary: 'An access review of a high-risk app assignment (scope admin, or the manager or a reviewer)', ok: { status: 200, schema: reviewViewSchema, description: 'the review view' } }),
  v1({
    method: 'post',
    path: '/v1/reviews/{id}/decide',
    summary: 'Keep or revoke the assignment (the manager or a member of risk.reviewersGroupId; scope admin for tokens)',
    body: decideReviewBody,
    ok: { status: 200, schema: reviewViewSchema, description: 'the review view after the decision (revoked: the assignment is gone)' },
  }),
  v1({ method: 'get', path: '/v1/resources', summary: 'The resource catalogue', query: resourcesQuery, ok: { status: 200, schema: z.object({ items: z.array(resourceSchema) }), description: 'resources' } }),
  v1({
    method: 'get',
    path: '/v1/audit',
    summary: 'The audit log (Accept: application/x-ndjson streams every match)',
    query: auditQuery,
    ok: { status: 200, schema: z.object({ items: z.array(auditEventSchema), nextPageToken: z.string().nullable() }), description: 'a page, or NDJSON', ndjson: true },
  }),
  { method: 'get', path: '/healthz', summary: 'Liveness', ok: { status: 200, description: 'alive' } },
  { method: 'get', path: '/readyz', summary: 'Readiness: Temporal and the audit store answer', ok: { status: 200, description: 'ready (503 when not)' } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', ok: { status: 200, description: 'text exposition format', text: true } },
  { method: 'get', path: '/openapi.json', summary: 'This document', ok: { status: 200, description: 'OpenAPI 3.1' } },
  {
    method: 'get',
    path: '/hooks/okta',
    summary: "Okta's event-hook verification: Authorization = OKTA_EVENT_HOOK_SECRET and x-okta-verification-challenge → { verification } (401 without the secret; 404 when none is configured)",
    ok: { status: 200, schema: z.object({ verification: z.string() }), description: 'the challenge echoed' },
  },
  {
    method: 'post',
    path: '/hooks/okta',
    summary: 'Okta event-hook deliveries (user.risk.detect, user.risk.change, application.user_membership.add); each event starts risk-event-<uuid> before the answer',
    ok: { status: 200, schema: z.object({ received: z.number().int() }), description: 'taken (other event types are acknowledged and counted)' },
  },
];

const ERRORS: Record<string, string> = {
  '400': 'validation failed',
  '401': 'missing or unknown bearer token',
  '403': 'not allowed',
  '404': 'not found',
  '409': 'state conflict',
  '422': 'beyond policy',
  '503': 'Temporal, a worker or the audit store is unavailable',
};

export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const parameters: unknown[] = [];
    for (const name of op.path.match(/\{(\w+)\}/g)?.map((p) => p.slice(1, -1)) ?? []) parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
    for (const [name, field] of Object.entries(op.query?.shape ?? {})) {
      parameters.push({ name, in: 'query', required: !(field as Schema).safeParse(undefined).success, schema: json(field as Schema) });
    }
    const content = op.ok.text
      ? { 'text/plain': { schema: { type: 'string' } } }
      : {
          'application/json': { schema: op.ok.schema ? json(op.ok.schema) : { type: 'object' } },
          ...(op.ok.ndjson ? { 'application/x-ndjson': { schema: json(auditEventSchema) } } : {}),
        };
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      ...(op.auth ? { security: [{ bearer: [] }] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(op.body) } } } } : {}),
      responses: {
        [String(op.ok.status)]: { description: op.ok.description, content },
        ...(op.auth ? Object.fromEntries(Object.entries(ERRORS).map(([code, description]) => [code, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }])) : {}),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Gatehouse API', version: 'v1', description: 'Just-in-time access requests, approvals, grants and the audit log.' },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { Error: json(errorSchema) } },
    paths,
  };
}
