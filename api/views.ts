/**
 * The request view (SPEC §6): what every /v1/requests route answers, built from the workflow's
 * RequestState. Extra fields beyond the SPEC (durationMs, steps, currentStep…) are additive.
 */
import { accessRequestWorkflowId } from '../workflows/constants';
import { formatDuration } from '../workflows/access-request/wording';
import type { AccessRequestInput, RequestState, RequestStatus } from '../workflows/access-request/types';

export interface ViewLinks {
  webUiUrl: string;
  namespace: string;
}

export const webUiLink = (links: ViewLinks, workflowId: string): string =>
  `${links.webUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(workflowId)}`;

export function toRequestView(s: RequestState, links: ViewLinks) {
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
export type RequestView = ReturnType<typeof toRequestView>;

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
