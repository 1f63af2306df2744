/**
 * The request view (SPEC §6): what every /v1/requests route answers, built from the workflow's
 * RequestState. Defined once, as a zod schema: `toRequestView` must produce it (the compiler
 * checks), and `/openapi.json` is generated from it (api/openapi.ts). Fields beyond the SPEC
 * (durationMs, steps, currentStep…) are additive.
 */
import { z } from 'zod';
import { accessRequestWorkflowId } from '../workflows/constants';
import { formatDuration } from '../workflows/access-request/wording';
import { REQUEST_STATUSES, type AccessRequestInput, type RequestState, type RequestStatus } from '../workflows/access-request/types';

export interface ViewLinks {
  webUiUrl: string;
  namespace: string;
}

export const webUiLink = (links: ViewLinks, workflowId: string): string =>
  `${links.webUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(workflowId)}`;

const at = z.string().describe('ISO 8601 time');
const channel = z.string().describe('where it came from: http:<token name>, http:okta, slack, portal, system');

export const auditEventSchema = z.object({
  id: z.string().describe('<requestId>:<runId>:<seq>, or a content hash for events recorded outside a workflow'),
  requestId: z.string(),
  seq: z.number().int().describe('position in the request trail (0: recorded outside the workflow, e.g. a retried external call)'),
  type: z.string(),
  actor: z.string(),
  resource: z.string(),
  at,
  details: z.record(z.string(), z.unknown()).optional(),
});

export const requestViewSchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  status: z.enum(REQUEST_STATUSES),
  requester: z.string().describe('the Okta login of the person who asked'),
  resource: z.string(),
  resourceName: z.string().nullable().describe('the policy name of the resource; null before resolution'),
  justification: z.string().nullable(),
  duration: z.string().nullable().describe('granted (or asked for, before resolution) duration, e.g. 1h'),
  durationMs: z.number().int().nullable(),
  createdAt: at,
  via: channel,
  approvals: z.array(
    z.object({ step: z.number().int().describe('1-based'), approver: z.string(), decision: z.enum(['approved', 'denied']), at, via: channel, comment: z.string().nullable() }),
  ),
  currentStep: z.number().int().nullable().describe('the 1-based step collecting approvals while pending_approval; null otherwise'),
  steps: z.array(z.object({ label: z.string(), approvers: z.array(z.string()), count: z.number().int() })),
  remindersSent: z.number().int(),
  standingMember: z.boolean().nullable().describe('the requester holds standing access to the group (a recorded standing membership); nothing was added or removed'),
  grantedAt: at.nullable(),
  expiresAt: at.nullable(),
  revokeRequested: z.object({ by: z.string(), reason: z.string().optional(), at }).nullable().describe('an early end asked for and not yet carried out'),
  endedAt: at.nullable(),
  endReason: z.string().nullable(),
  failureReason: z.string().nullable(),
  extensions: z.array(z.object({ by: z.string(), at, expiresAt: at, duration: z.string(), durationMs: z.number().int() })),
  jira: z.object({ key: z.string(), url: z.string() }).nullable(),
  sideEffectFailures: z.array(z.object({ system: z.string(), action: z.string(), message: z.string(), at })).describe('records (Jira, Slack, mail, audit) given up on; they never block a grant or a revoke'),
  links: z.object({ webUi: z.string() }),
});
export type RequestView = z.infer<typeof requestViewSchema>;

/** What the routes add to the view: GET /v1/requests/{id} carries the trail; a view not from the workflow itself says so. */
export const requestViewResponseSchema = requestViewSchema.extend({
  partial: z
    .literal(true)
    .optional()
    .describe('the workflow did not answer (closed beyond retention, terminated, or busy): the view comes from Temporal visibility and the grant ledger'),
  audit: z.array(auditEventSchema).nullable().optional().describe('GET /v1/requests/{id} only: the request audit trail, in order; null when the audit store is unavailable'),
});

export function toRequestView(s: RequestState, links: ViewLinks): RequestView {
  const workflowId = accessRequestWorkflowId(s.requestId);
  const durationMs = s.resolved?.durationMs ?? s.requestedDurationMs ?? null;
  return {
    id: s.requestId,
    workflowId,
    status: s.status,
    requester: s.requester,
    resource: s.resource,
    resourceName: s.resolved?.resourceName ?? null,
    justification: s.justification ?? null,
    duration: durationMs === null ? null : formatDuration(durationMs),
    durationMs,
    createdAt: s.createdAt,
    via: s.via,
    approvals: s.approvals.map((a) => ({ step: a.step, approver: a.approver, decision: a.decision, at: a.at, via: a.via, comment: a.comment ?? null })),
    currentStep: s.resolved && s.status === 'pending_approval' ? s.currentStep + 1 : null,
    steps: (s.resolved?.steps ?? []).map((st) => ({ label: st.label, approvers: st.approvers, count: st.count })),
    remindersSent: s.remindersSent,
    standingMember: s.standingMember ?? null,
    grantedAt: s.grantedAt ?? null,
    expiresAt: s.expiresAt ?? null,
    revokeRequested: s.revokeRequested ?? null,
    endedAt: s.endedAt ?? null,
    endReason: s.endReason ?? null,
    failureReason: s.failureReason ?? null,
    extensions: s.extensions.map((e) => ({ by: e.by, at: e.at, expiresAt: e.expiresAt, duration: formatDuration(e.durationMs), durationMs: e.durationMs })),
    jira: s.jira ? { key: s.jira.key, url: s.jira.url } : null,
    sideEffectFailures: s.sideEffectFailures,
    links: { webUi: webUiLink(links, workflowId) },
  };
}

/** The state a request has before its workflow answered a query: what the API itself knows. */
export function stateFromInput(input: AccessRequestInput, status: RequestStatus = 'pending_approval'): RequestState {
  return {
    requestId: input.requestId,
    status,
    requester: input.requester,
    resource: input.resource,
    justification: input.justification,
    requestedDurationMs: input.durationMs,
    via: input.via ?? 'http',
    createdAt: input.submittedAt ?? new Date().toISOString(),
    currentStep: 0,
    approvals: [],
    remindersSent: 0,
    extensions: [],
    sideEffectFailures: [],
  };
}
