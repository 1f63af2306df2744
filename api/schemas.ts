/** The zod schemas of the HTTP API's inputs (bodies, query strings, path ids). */
import { z } from 'zod';
import { durationSchema } from '../activities/policy/schema';
import { REQUEST_STATUSES } from '../workflows/access-request/types';
import { ACCOUNT_STATUSES } from '../workflows/temporary-account/types';

/**
 * An Okta login (or a short name Okta resolves). No quotes, spaces or control characters: it also
 * goes into visibility queries. Compared lower-case.
 */
export const loginSchema = z
  .string()
  .trim()
  .min(1)
  .max(254)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  .regex(/^[^\s"'\\`\u0000-\u001f\u007f]+$/, 'not a valid login')
  .transform((s) => s.toLowerCase());

/** The shape of policy resource keys (activities/policy/schema.ts). */
export const resourceKeySchema = z.string().trim().min(1).max(100).regex(/^[a-z0-9][a-z0-9-_]*$/, 'not a resource key');

const text = (max: number) => z.string().trim().max(max);

// The person fields are optional: an Okta person token acts as its own person (and may omit
// them); a static token must name the person (api/auth.ts actingPerson).
export const createRequestBody = z.strictObject({
  requester: loginSchema.optional(),
  resource: resourceKeySchema,
  duration: durationSchema.optional(),
  justification: text(2000).optional(),
  idempotencyKey: z.string().trim().min(1).max(200).optional(),
});

export const approveBody = z.strictObject({ approver: loginSchema.optional(), comment: text(2000).optional() });
export const denyBody = z.strictObject({ approver: loginSchema.optional(), reason: text(2000).optional() });
export const extendBody = z.strictObject({ actor: loginSchema.optional(), duration: durationSchema });
export const revokeBody = z.strictObject({ actor: loginSchema.optional(), reason: text(2000).optional() });
export const cancelBody = z.strictObject({ actor: loginSchema.optional() });

export const listRequestsQuery = z.strictObject({
  status: z.enum(REQUEST_STATUSES).optional(),
  requester: loginSchema.optional(),
  resource: resourceKeySchema.optional(),
  pageToken: z.string().max(4096).regex(/^[A-Za-z0-9_-]+$/, 'not a page token').optional(),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});

export const resourcesQuery = z.strictObject({ requester: loginSchema.optional() });

/** The `Idempotency-Key` header of a decision: printable, bounded. */
export const idempotencyKeyHeader = z.string().trim().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'not a valid Idempotency-Key').optional();

/** A person's name as typed: letters of any script, spaces, apostrophes and hyphens; one line. */
const personName = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[\p{L}\p{M}][\p{L}\p{M} '’.-]*$/u, 'letters, spaces, apostrophes and hyphens only');

/** POST /v1/temporary-accounts (SPEC §6): `validity` is one of the policy's choices ("24h"). */
export const createAccountBody = z.strictObject({
  manager: loginSchema.optional(),
  firstName: personName,
  lastName: personName,
  personalEmail: z.email().max(254).optional(),
  validity: durationSchema,
  groups: z.array(resourceKeySchema).max(20).default([]),
  reason: text(500).pipe(z.string().min(1, 'a reason is required')),
  idempotencyKey: z.string().trim().min(1).max(200).optional(),
});

export const extendAccountBody = z.strictObject({ actor: loginSchema.optional(), duration: durationSchema });
export const closeAccountBody = z.strictObject({ actor: loginSchema.optional(), reason: text(500).optional() });

export const listAccountsQuery = z.strictObject({
  manager: loginSchema.optional(),
  status: z.enum(ACCOUNT_STATUSES).optional(),
  pageToken: z.string().max(4096).regex(/^[A-Za-z0-9_-]+$/, 'not a page token').optional(),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
