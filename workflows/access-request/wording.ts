/**
 * Every sentence the access-request workflow writes — Jira tickets and comments, Slack notices,
 * end reasons, the Web UI's summary and current details — as pure functions of the state, so the
 * workflow stays a sequence of phases and tests can read the words.
 */
import type { RequestState, ResolvedRequest } from './types';

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** One line for the Web UI's summary: "alice@example.com → prod-db-admin for 2h". */
export function summaryLine(requester: string, resource: string, durationMs?: number): string {
  return `${requester} → ${resource}${durationMs ? ` for ${formatDuration(durationMs)}` : ''}`;
}

const withReason = (text: string, reason?: string) => (reason ? `${text}: ${reason}` : text);

export const endReason = {
  denied: (by: string, reason?: string) => withReason(`denied by ${by}`, reason),
  cancelled: (by: string, reason?: string) => withReason(`cancelled by ${by}`, reason),
  workflowCancelled: () => 'the workflow was cancelled',
  timedOut: (ms: number) => `no decision within ${formatDuration(ms)}`,
  expired: () => 'the granted time ran out',
  revoked: (by: string, reason?: string) => withReason(`revoked by ${by}`, reason),
  resolutionFailed: (code: string, message: string) => `${code}: ${message}`,
  grantRefused: (message: string) => `Okta refused the grant: ${message}`,
  revokeRefused: (message: string) => `Okta refused the revocation: ${message}`,
};

export const jira = {
  summary: (s: RequestState, r: ResolvedRequest) => `Access request: ${s.requester} → ${r.resourceName} (${s.resource})`,
  description: (s: RequestState, r: ResolvedRequest) =>
    [
      `Requester: ${s.requester}`,
      `Resource: ${r.resourceName} (${s.resource})`,
      `Duration: ${formatDuration(r.durationMs)}`,
      `Justification: ${s.justification?.trim() || '(none)'}`,
      `Gatehouse request: ${s.requestId}`,
    ].join('\n'),
  stepDecided: (step: number, steps: number, outcome: string) => `Step ${step} of ${steps}: ${outcome}.`,
  granted: (s: RequestState) => `Access granted until ${s.expiresAt}${s.standingMember ? ' (a standing member: the membership stays at the end)' : ''}.`,
  extended: (by: string, expiresAt: string) => `Extended by ${by} until ${expiresAt}.`,
  ended: (s: RequestState) => `Request ${s.status}: ${s.endReason ?? ''}`.trim(),
  driftAtGrant: (s: RequestState) => `${s.requester} was already in the Okta group without a lease or a standing record: reported as drift; the membership ends with this grant.`,
};

/** The outcome line of an approval step, as the approval messages and Jira show it. */
export function stepOutcome(s: RequestState, stepIndex: number): string {
  const steps = s.resolved?.steps.length ?? 0;
  const decided = s.approvals.filter((a) => a.step === stepIndex + 1);
  const by = decided.map((a) => (a.decision === 'approved' ? `Approved by ${a.approver}` : `Denied by ${a.approver}${a.comment ? ` (${a.comment})` : ''}`)).join(', ');
  if (s.status === 'approval_timed_out') return `:hourglass: Timed out without a decision — step ${stepIndex + 1} of ${steps}`;
  if (s.status === 'cancelled') return `:no_entry_sign: Cancelled — ${s.endReason ?? ''}`;
  return `${by || 'Decided'} — step ${stepIndex + 1} of ${steps}`;
}

export const notice = {
  submitted: (s: RequestState, r: ResolvedRequest) => `Your request for ${r.resourceName} (${formatDuration(r.durationMs)}) was submitted (request ${s.requestId}).`,
  approved: (s: RequestState, approver: string, step: number) => {
    const steps = s.resolved?.steps.length ?? 0;
    const next =
      s.status === 'provisioning' || s.status === 'active' ? 'access is being granted'
      : s.currentStep + 1 === step ? `step ${step} needs more approvals`
      : `step ${s.currentStep + 1} of ${steps} is next`;
    return `:white_check_mark: ${approver} approved your request for ${s.resolved?.resourceName ?? s.resource} (step ${step} of ${steps}): ${next}.`;
  },
  ended: (s: RequestState) => `Your request for ${s.resolved?.resourceName ?? s.resource} ended: ${s.status} (${s.endReason ?? ''}).`,
  driftAtGrant: (s: RequestState) =>
    `:warning: Gatehouse drift: ${s.requester} was already in Okta group ${s.resolved?.oktaGroupId} (${s.resource}) when a grant began, with no lease and no standing record. The membership ends with the grant (request ${s.requestId}).`,
};

/** The Web UI's current details: where the request is and why (markdown). */
export function currentDetails(s: RequestState, runId: string): string {
  const lines = [`**${s.status}** — ${s.requester} → ${s.resource}`];
  if (s.resolved && s.status === 'pending_approval') {
    const step = s.resolved.steps[s.currentStep];
    if (step) lines.push(`Waiting for step ${s.currentStep + 1} of ${s.resolved.steps.length}: ${step.count} of ${step.approvers.join(', ')}`);
  }
  for (const a of s.approvals) lines.push(`- step ${a.step}: ${a.decision} by ${a.approver} (${a.via}) at ${a.at}`);
  if (s.grantedAt) lines.push(`Granted at ${s.grantedAt}${s.standingMember ? ' (standing member: not removed at the end)' : ''}`);
  if (s.expiresAt && !s.endedAt) lines.push(`Expires at ${s.expiresAt}`);
  if (s.extensions.length) lines.push(`Extensions: ${s.extensions.map((e) => `${e.by} → ${e.expiresAt}`).join('; ')}`);
  if (s.revokeRequested) lines.push(`Revoke requested by ${s.revokeRequested.by}`);
  if (s.endedAt) lines.push(`Ended at ${s.endedAt}: ${s.endReason}`);
  if (s.jira) lines.push(`Jira: [${s.jira.key}](${s.jira.url})`);
  if (s.sideEffectFailures.length) lines.push(`Side-effect failures: ${s.sideEffectFailures.length}`);
  lines.push(`Run: ${runId}`);
  return lines.join('\n');
}

/** The static details set at start (the API writes them). */
export function startDetails(input: { requestId: string; requester: string; resource: string; durationMs?: number; justification?: string; via?: string; submittedAt?: string }): string {
  const lines = [`**Access request** ${input.requestId}`, '', `- Requester: ${input.requester}`, `- Resource: ${input.resource}`];
  if (input.durationMs) lines.push(`- Duration: ${formatDuration(input.durationMs)}`);
  if (input.justification) lines.push(`- Justification: ${input.justification}`);
  lines.push(`- Submitted via ${input.via ?? 'http'} at ${input.submittedAt ?? ''}`);
  return lines.join('\n');
}
