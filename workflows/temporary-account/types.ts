/**
 * Types shared by the temporary-account workflow, its activities and its clients (SPEC §11).
 * Wire contracts: fields are only ever added, as optional. No secret is ever part of them: the
 * credential lives and dies inside the create activity.
 */
import type { SideEffectFailure } from '../shared/effects';
import type { Channel } from '../access-request/types';

export const ACCOUNT_STATUSES = ['provisioning', 'active', 'closing', 'closed', 'failed'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export const OPEN_ACCOUNT_STATUSES: readonly AccountStatus[] = ['provisioning', 'active', 'closing'];
export const FINAL_ACCOUNT_STATUSES: readonly AccountStatus[] = ['closed', 'failed'];

export interface AccountGroup {
  /** The policy's key (`paris-shared-inbox`). */
  key: string;
  groupId: string;
  name: string;
}

/** The policy as it applied when the account was asked for: later edits don't change it. */
export interface ResolvedAccount {
  managerUserId: string;
  managerDisplayName: string;
  /** `{first}.{last}.tmp` and the domain the login is made from. */
  loginPattern: string;
  domain: string;
  groups: AccountGroup[];
  maxTotalMs: number;
  expiryWarningMs: number;
  /** Besides the manager, who may extend or close: members of `risk.reviewersGroupId` when asked for. */
  admins: string[];
  /** The portal's temporary-accounts page, for the Extend link in mail (absent without a portal). */
  portalUrl?: string;
}

/** What the workflow is started with. No secrets: this lands in history. */
export interface TemporaryAccountInput {
  accountId: string;
  /** The manager's canonical Okta login. */
  manager: string;
  firstName: string;
  lastName: string;
  personalEmail?: string;
  validityMs: number;
  /** Policy group keys. */
  groups: string[];
  reason: string;
  via?: Channel;
  /** ISO time the request was accepted. */
  submittedAt?: string;
  /** Resolved where the request entered (the API, Slack, the portal). */
  resolved: ResolvedAccount;
}

export interface AccountExtension {
  by: string;
  at: string;
  expiresAt: string;
  durationMs: number;
}

/** A notice that reached someone (mail accepted by the server, a Slack DM posted). */
export interface AccountNotification {
  to: string;
  kind: string;
  at: string;
}

/** Everything the workflow knows about an account; the status Query returns it. */
export interface AccountState {
  accountId: string;
  status: AccountStatus;
  manager: string;
  firstName: string;
  lastName: string;
  personalEmail?: string;
  groups: string[];
  reason: string;
  via: Channel;
  validityMs: number;
  createdAt: string;
  /** createdAt + maxTotal: no extension goes past it. */
  maxExpiresAt: string;
  resolved: ResolvedAccount;
  /** Decided once and kept: a retry never changes it. */
  login?: string;
  userId?: string;
  /** When Okta made the user (its validity counts from here). */
  activatedAt?: string;
  expiresAt?: string;
  expiryWarnedFor?: string;
  extensions: AccountExtension[];
  /** How the credential went (never the credential): `temporary_password` to the manager. */
  credential?: { kind: 'temporary_password'; sentTo: string; at: string };
  closeRequested?: { by: string; reason?: string; at: string; via: Channel };
  closedAt?: string;
  endReason?: string;
  failureReason?: string;
  notifications: AccountNotification[];
  sideEffectFailures: SideEffectFailure[];
  /** Idempotency keys of HTTP changes (the Update id) → who used them. */
  decisionKeys?: Record<string, string>;
}
