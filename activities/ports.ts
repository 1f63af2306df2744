/**
 * The small interfaces Gatehouse needs from the outside world. Adapters (activities/adapters/)
 * implement them over the official SDKs; fakes (activities/fakes/) implement them in memory for
 * workflow tests. Every method is idempotent where the name says so, and throws an
 * ApplicationFailure classified by activities/errors.ts when the upstream refuses.
 */

export interface DirectoryUser {
  id: string;
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  displayName: string;
  /** Okta user status: ACTIVE, SUSPENDED, DEPROVISIONED, STAGED, PROVISIONED… */
  status: string;
  /** The whole Okta profile: department, title, location, managerId / manager, … */
  profile: Record<string, unknown>;
}

export interface DirectoryGroup {
  id: string;
  name: string;
}

export interface CreateUserInput {
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  profile?: Record<string, unknown>;
  groupIds?: string[];
  activate?: boolean;
}

export interface OktaPort {
  /** By Okta id or login; null when there is no such user. */
  getUser(idOrLogin: string): Promise<DirectoryUser | null>;
  getGroup(groupId: string): Promise<DirectoryGroup | null>;
  /** Every member, following pagination. */
  listGroupMembers(groupId: string): Promise<DirectoryUser[]>;
  isGroupMember(groupId: string, userId: string): Promise<boolean>;
  /** The ids of the user's groups (none when the user is gone). */
  groupIdsOf(userId: string): Promise<string[]>;
  /** Idempotent: adding a member twice succeeds. */
  addUserToGroup(groupId: string, userId: string): Promise<void>;
  /** Idempotent: a membership or user already gone is success. */
  removeUserFromGroup(groupId: string, userId: string): Promise<void>;
  /**
   * Every user whose login starts with `prefix` (case-insensitive, any status, deactivated ones
   * included: their logins stay taken). Okta's search index may lag a create by a few seconds.
   */
  findUsersByLoginPrefix(prefix: string): Promise<DirectoryUser[]>;
  // Lifecycle, for temporary accounts and risk response.
  /**
   * Idempotent: a retry finds the user its first attempt made (same login and profile); a login
   * held by someone else is a non-retryable OktaRejected with status 409.
   */
  createUser(input: CreateUserInput): Promise<DirectoryUser>;
  /**
   * Creates the user active with a generated password that must be changed at first sign-in
   * (Okta: PASSWORD_EXPIRED), in `groupIds`. A retry finds the user it made and issues a new
   * temporary password, since the first one is lost. The password is a secret: deliver it inside
   * the activity that asked for it, never return it from an activity.
   */
  createUserWithTemporaryPassword(input: CreateUserInput): Promise<{ user: DirectoryUser; temporaryPassword: string }>;
  /** A new temporary password (the old one stops working, sessions are cleared). Same secrecy rule. */
  issueTemporaryPassword(userId: string): Promise<string>;
  /** Idempotent: a deactivated or deleted user is done. */
  deactivateUser(userId: string): Promise<void>;
  /** Deactivates first when needed (Okta deletes in two steps); a user already gone is done. */
  deleteUser(userId: string): Promise<void>;
  suspendUser(userId: string): Promise<void>;
  unsuspendUser(userId: string): Promise<void>;
  /** Idempotent; a user already gone is done. */
  clearUserSessions(userId: string): Promise<void>;
  assignUserToApp(appId: string, userId: string): Promise<void>;
  /** Idempotent: an assignment or user already gone is done. */
  unassignUserFromApp(appId: string, userId: string): Promise<void>;
}

export interface SlackMessageRef {
  channel: string;
  ts: string;
}

export interface SlackMessage {
  /** A channel id or name (#access-approvals), a DM channel id, or a Slack user id. */
  channel: string;
  text: string;
  blocks?: unknown[];
}

export interface SlackPerson {
  email: string | null;
  teamId: string;
  deleted: boolean;
  isBot: boolean;
  /** A multi- or single-channel guest. */
  isGuest: boolean;
}

export interface SlackPort {
  /** The Slack user id for an e-mail address, or null when nobody has it. */
  lookupUserIdByEmail(email: string): Promise<string | null>;
  /** What Gatehouse needs to know of a Slack user before trusting a click, or null when unknown. */
  getPerson(slackUserId: string): Promise<SlackPerson | null>;
  /** Opens (or reuses) the DM channel with a user. */
  openDirectMessage(slackUserId: string): Promise<string>;
  postMessage(message: SlackMessage): Promise<SlackMessageRef>;
  updateMessage(ref: SlackMessageRef, message: Omit<SlackMessage, 'channel'>): Promise<void>;
  postEphemeral(channel: string, slackUserId: string, text: string): Promise<void>;
}

export interface JiraIssueRef {
  key: string;
  url: string;
}

export interface JiraPort {
  /** The issue carrying this label, if one exists (how a retried create finds its ticket); `projectKey` defaults to the configured one. */
  findIssueByLabel(label: string, projectKey?: string): Promise<JiraIssueRef | null>;
  /** In the configured project and issue type unless given (risk incidents go to their own). */
  createIssue(input: { summary: string; description: string; labels: string[]; projectKey?: string; issueType?: string }): Promise<JiraIssueRef>;
  addComment(key: string, text: string): Promise<void>;
  /** Moves the issue along its workflow to the named status; a no-op when already there. */
  transitionIssue(key: string, statusName: 'In Progress' | 'Done'): Promise<void>;
  getIssueStatus(key: string): Promise<string>;
}

export interface OutgoingMail {
  /** One address or several. */
  to: string | string[];
  subject: string;
  text: string;
  html: string;
  replyTo?: string;
}

export interface MailPort {
  /**
   * Sends one message from MAIL_FROM. Not idempotent: a retry after a lost reply may deliver
   * twice. Throws when every recipient is refused; `rejected` lists those refused when others
   * got it.
   */
  send(mail: OutgoingMail): Promise<{ messageId: string; rejected?: string[] }>;
}

export interface AuditEvent {
  /** Stable per event: a retried append with the same id writes nothing new. */
  id: string;
  requestId: string;
  /** Position within the request's trail (ordering). */
  seq: number;
  type: string;
  actor: string;
  resource: string;
  at: string;
  details?: Record<string, unknown>;
  /** Set by the store when read back: the order of recording (exports resume after it). */
  storeSeq?: number;
}

export interface AuditPort {
  append(event: AuditEvent): Promise<void>;
}

/** One access request's hold on an Okta group through Gatehouse (the grant ledger, issue 10). */
export interface Lease {
  requestId: string;
  userId: string;
  groupId: string;
  login: string;
  resource: string;
  workflowId: string;
  startedAt: string;
  /** The person was already in the group when the grant began. */
  wasMember: boolean;
  endedAt: string | null;
  endReason: string | null;
}
export type NewLease = Omit<Lease, 'endedAt' | 'endReason'>;

/** Access that is meant to stay: from the group's first-sweep baseline, or an explicit allowlist entry. */
export interface StandingRecord {
  userId: string;
  groupId: string;
  login: string;
  source: 'baseline' | 'allowlist';
  by: string;
  at: string;
  reason: string;
}

/**
 * The grant ledger: a membership Gatehouse gave is removed at the end of its grant unless another
 * open lease or a standing record explains it. Lease changes are written with their audit events
 * in one transaction, idempotently (a retried activity writes nothing twice).
 */
export interface LedgerPort {
  openLease(lease: NewLease, events: AuditEvent[]): Promise<Lease>;
  closeLease(requestId: string, end: { at: string; reason: string }, events: AuditEvent[]): Promise<{ lease: Lease | null; closed: boolean }>;
  lease(requestId: string): Promise<Lease | null>;
  openLeases(filter?: { userId?: string; groupId?: string }): Promise<Lease[]>;
  /** Leases of a group that ended at or after `since` (ISO). */
  leasesEndedSince(groupId: string, since: string): Promise<Lease[]>;
  standingRecord(userId: string, groupId: string): Promise<StandingRecord | null>;
  standingRecords(groupId?: string): Promise<StandingRecord[]>;
  putStandingRecord(record: StandingRecord, event: AuditEvent): Promise<boolean>;
  deleteStandingRecord(userId: string, groupId: string, event: AuditEvent): Promise<boolean>;
}

export interface Ports {
  okta: OktaPort;
  slack: SlackPort;
  jira: JiraPort;
  /** The audit log and the grant ledger (one store). */
  audit: AuditPort & LedgerPort;
  /** Absent when no SMTP_URL is set: mail effects are then recorded as failures. */
  mail?: MailPort;
}
