/**
 * Types of the risk-response workflows (SPEC §12): the per-event workflow, the per-user
 * serializer and the access review. Wire contracts with running executions: fields are only ever
 * added, as optional.
 */
import type { RiskEventInput, RiskLevel } from './event';

/** What the policy's `risk:` block says, as the hook saw it when the event came in. */
export interface RiskPolicySnapshot {
  quarantineGroupId: string;
  mediumGroupId?: string;
  securityChannel: string;
  incident: { projectKey: string; issueType: string };
  reviewersGroupId?: string;
  /** For an app assignment: the high-risk app's rule (absent for other apps, which are not started). */
  app?: HighRiskAppRule;
}

export interface HighRiskAppRule {
  id: string;
  name: string;
  onHigh: 'rollback' | 'review';
  reviewTimeoutMs: number;
  onTimeout: 'keep' | 'revoke';
}

/** `risk-event-<uuid>`: one Okta event, handed to its user's serializer. */
export interface RiskEventWorkflowInput {
  event: RiskEventInput;
  policy: RiskPolicySnapshot;
}

/** What the serializer is signalled with. */
export type RiskSignal = RiskEventWorkflowInput;

/** A group membership Gatehouse holds for risk, and whether Gatehouse put the person there. */
export interface RiskMembership {
  groupId: string;
  /** `gatehouse`: added by Gatehouse (it takes them out); `admin`: already there (they stay). */
  by: 'gatehouse' | 'admin';
  at: string;
}

export interface IncidentRef {
  /** The Jira label that finds it (`gatehouse-risk-<event uuid>`), and its project. */
  requestId: string;
  projectKey: string;
  status: 'opening' | 'open' | 'failed';
  key?: string;
  url?: string;
  error?: string;
  /** The HIGH event it was opened for. */
  eventUuid: string;
}

/** One thing Gatehouse did (or saw) for this user, newest last. */
export interface RiskAction {
  at: string;
  type: string;
  text: string;
  eventUuid?: string;
}

export interface RiskEventRecord {
  uuid: string;
  eventType: string;
  published: string;
  receivedAt: string;
  level?: RiskLevel;
  previousLevel?: RiskLevel;
  appId?: string;
  /** applied (changed the state), unchanged (same level), stale (older than one applied), handled (an app assignment). */
  outcome: 'applied' | 'unchanged' | 'stale' | 'handled';
}

/** A grant revoked (or pending request cancelled) because of risk. */
export interface RevokedGrant {
  requestId: string;
  resource: string;
  groupId?: string;
  workflowId: string;
  /** `signalled`: the request's workflow revokes it; `closed`: its workflow was gone, Gatehouse closed the lease itself. */
  how: 'signalled' | 'closed';
}

/** What the risk response found and ended for a user at HIGH. */
export interface RiskRevocation {
  grants: RevokedGrant[];
  cancelled: RevokedGrant[];
  temporaryAccounts: string[];
}

/** The Okta facts a transition's records need (best effort: a lookup that fails leaves them out). */
export interface RiskSubject {
  login: string;
  displayName?: string;
  /** The manager's login (an e-mail address), when the profile names one Okta knows. */
  manager?: string;
}

/** `user-risk-<userId>`: the state of one user's risk, as the Query and GET /v1/risk/users/:login show it. */
export interface UserRiskState {
  userId: string;
  login: string;
  displayName?: string;
  level: RiskLevel;
  previousLevel?: RiskLevel;
  /** When the current level was applied (workflow time). */
  since?: string;
  /** The `published` time of the last level event applied: older ones change nothing. */
  lastPublished?: string;
  detectionName?: string;
  reasons?: string[];
  quarantine: RiskMembership | null;
  medium: RiskMembership | null;
  incident: IncidentRef | null;
  /** The latest actions and events (bounded). */
  actions: RiskAction[];
  events: RiskEventRecord[];
  reviews: string[];
  manager?: string;
  /** Event uuids seen lately (bounded): a second delivery is ignored. */
  seen: string[];
}

export interface UserRiskInput {
  userId: string;
  login: string;
  /** The state carried over by continue-as-new. */
  carried?: UserRiskState;
  /** Events received but not handled yet when the previous run continued as new. */
  pending?: RiskSignal[];
  /** Continue as new after this many events (default 200; tests lower it). */
  eventsPerRun?: number;
}

export const REVIEW_STATUSES = ['pending', 'revoking', 'kept', 'revoked', 'failed'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** `access-review-<id>`: a HIGH-risk user's assignment to a high-risk app, sent for review. */
export interface AccessReviewInput {
  reviewId: string;
  userId: string;
  login: string;
  displayName?: string;
  app: HighRiskAppRule;
  level: RiskLevel;
  /** The assignment event. */
  eventUuid: string;
  securityChannel: string;
  reviewersGroupId?: string;
  openedAt: string;
}

export interface ReviewDecision {
  reviewer: string;
  decision: 'keep' | 'revoke';
  comment?: string;
  at: string;
  via: string;
}

export interface AccessReviewState {
  reviewId: string;
  status: ReviewStatus;
  userId: string;
  login: string;
  displayName?: string;
  app: HighRiskAppRule;
  level: RiskLevel;
  eventUuid: string;
  openedAt: string;
  dueAt: string;
  /** Who may decide, resolved once when the review opens: the manager, then the reviewers group. */
  manager?: string;
  reviewers?: string[];
  decision?: ReviewDecision;
  endedAt?: string;
  endReason?: string;
  sideEffectFailures: { system: string; action: string; message: string; at: string }[];
}

export interface DecideReviewInput {
  reviewer: string;
  decision: 'keep' | 'revoke';
  comment?: string;
  via?: string;
}
