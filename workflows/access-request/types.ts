/**
 * Types shared by the access-request workflow, its activities and its clients. Wire contracts:
 * fields are only ever added, as optional.
 */

import { FINAL_REQUEST_STATUSES, OPEN_REQUEST_STATUSES } from '../shared/visibility';
import type { SideEffectFailure } from '../shared/effects';

export const REQUEST_STATUSES = [
  'pending_approval',
  'provisioning',
  'active',
  'revoking',
  'expired',
  'revoked',
  'denied',
  'approval_timed_out',
  'cancelled',
  'failed',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const FINAL_STATUSES: readonly RequestStatus[] = FINAL_REQUEST_STATUSES;
export const OPEN_STATUSES: readonly RequestStatus[] = OPEN_REQUEST_STATUSES;

/**
 * How an action reached Gatehouse: `http:<token name>` (a static API token), `http:okta` (a person's
 * Okta token), `http:okta-client:<client id>`, `slack`, `portal`, `okta-hook`, `system`; plain
 * `http` in histories from before tokens had names.
 */
export type Channel = string;

/** What the workflow is started with. No secrets: this lands in history. */
export interface AccessRequestInput {
  requestId: string;
  requester: string; // Okta login
  resource: string; // policy resource key
  /** Requested duration; the policy default applies when absent. */
  durationMs?: number;
  justification?: string;
  via?: Channel;
  /** ISO time the API accepted the request. */
  submittedAt?: string;
  /**
   * The policy snapshot, resolved where the request entered (the API, Slack, the portal): the
   * workflow then resolves nothing itself. Absent (an older client, a direct start): the workflow
   * resolves with an activity.
   */
  resolved?: ResolvedRequest;
}

export interface ResolvedStep {
  /** Human label of the approver set: "manager", "owners", "group 00g…", "users". */
  label: string;
  /** Okta logins allowed to decide this step (the requester is never among them). */
  approvers: string[];
  count: number;
}

/** The policy as it applied to this request when it was submitted: later edits don't change it. */
export interface ResolvedRequest {
  resourceName: string;
  oktaGroupId: string;
  requesterUserId: string;
  requesterDisplayName: string;
  durationMs: number;
  maxDurationMs: number;
  maxExtensions: number;
  maxTotalMs: number;
  autoApprove: boolean;
  steps: ResolvedStep[];
  approvalTimeoutMs: number;
  reminderAfterMs: number;
  expiryWarningMs: number;
  slackChannel?: string;
  /** Resource owners: they may revoke a grant early, besides the requester and its approvers. */
  owners: string[];
}

export type ResolutionErrorCode =
  | 'unknown_resource'
  | 'unknown_user'
  | 'not_eligible'
  | 'risk_gate'
  | 'duration_exceeds_policy'
  | 'justification_required'
  | 'justification_invalid'
  | 'no_approvers';

export type ResolveResult =
  | { ok: true; resolved: ResolvedRequest }
  | { ok: false; code: ResolutionErrorCode; message: string };

export interface Approval {
  step: number; // 1-based
  approver: string;
  decision: 'approved' | 'denied';
  at: string;
  via: Channel;
  comment?: string;
}

export interface Extension {
  by: string;
  at: string;
  expiresAt: string;
  durationMs: number;
}

export interface ExternalRecord {
  jira?: { key: string; url: string };
  /** Records (Jira, Slack, mail, audit) given up on; they never block a grant or a revoke. */
  sideEffectFailures: SideEffectFailure[];
}

/** Everything the workflow knows about a request; the status Query returns it. */
export interface RequestState extends ExternalRecord {
  requestId: string;
  status: RequestStatus;
  requester: string;
  resource: string;
  justification?: string;
  requestedDurationMs?: number;
  via: Channel;
  createdAt: string;
  resolved?: ResolvedRequest;
  /** 0-based index of the step that is collecting approvals. */
  currentStep: number;
  approvals: Approval[];
  remindersSent: number;
  standingMember?: boolean;
  /** The person was in the group at grant time with no lease or standing record (reported as drift). */
  driftAtGrant?: boolean;
  /** When the grant's Okta add was last in flight: a late add cannot land after this + the request timeout. */
  grantInFlightUntil?: string;
  grantedAt?: string;
  expiresAt?: string;
  expiryWarnedFor?: string;
  revokeRequested?: { by: string; reason?: string; at: string };
  extensions: Extension[];
  endedAt?: string;
  endReason?: string;
  failureReason?: string;
  /**
   * Idempotency keys of HTTP decisions (the Update id) → who decided with it: a key reused by
   * someone else gets the first result back from Temporal, and the API refuses it (409).
   */
  decisionKeys?: Record<string, string>;
}
