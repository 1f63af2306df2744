/**
 * The temporary-account state machine as plain functions (STYLE rule 3): who may extend or close,
 * how far an extension may go, when the warning is due, what a close signal or a cancellation
 * does. apply…/on… mutate the state they are given; check… return the reason to refuse, or null.
 */
import { allWellFormed } from '../shared/text';
import { formatDuration } from '../access-request/wording';
import { Rejection, type RejectionReason } from './errors';
import { endReason } from './wording';
import type { CloseAccountInput, ExtendAccountInput } from './messages';
import { FINAL_ACCOUNT_STATUSES, type AccountState, type AccountStatus, type TemporaryAccountInput } from './types';

export function initialState(input: TemporaryAccountInput, now: number): AccountState {
  const createdAt = input.submittedAt ?? new Date(now).toISOString();
  return {
    accountId: input.accountId,
    status: 'provisioning',
    manager: input.manager,
    firstName: input.firstName,
    lastName: input.lastName,
    ...(input.personalEmail ? { personalEmail: input.personalEmail } : {}),
    groups: input.groups,
    reason: input.reason,
    via: input.via ?? 'http',
    validityMs: input.validityMs,
    createdAt,
    maxExpiresAt: new Date(Date.parse(createdAt) + input.resolved.maxTotalMs).toISOString(),
    resolved: input.resolved,
    extensions: [],
    notifications: [],
    sideEffectFailures: [],
  };
}

export const isFinal = (status: AccountStatus): boolean => FINAL_ACCOUNT_STATUSES.includes(status);

const sameLogin = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

const illFormed = (input: unknown): RejectionReason | null =>
  allWellFormed(input) ? null : { type: Rejection.InvalidInput, message: 'every text field must be well-formed Unicode (no lone surrogates)' };

/** The manager, a security admin of the snapshot (members of risk.reviewersGroupId), or Gatehouse itself. */
export function mayManage(state: AccountState, actor: string): boolean {
  return actor.startsWith('system:') || sameLogin(actor, state.manager) || state.resolved.admins.some((a) => sameLogin(a, actor));
}

/** Activation: the account is live for its validity, never past createdAt + maxTotal. */
export function applyCreated(state: AccountState, created: { userId: string; at: number }): void {
  state.userId = created.userId;
  state.activatedAt = new Date(created.at).toISOString();
  state.expiresAt = new Date(Math.min(created.at + state.validityMs, Date.parse(state.maxExpiresAt))).toISOString();
  // A close asked for while the account was being made keeps it closing.
  if (state.status === 'provisioning') state.status = state.closeRequested ? 'closing' : 'active';
}

/** What an extension may still add: up to createdAt + maxTotal. */
export function extensionRoomMs(state: AccountState): number {
  if (!state.expiresAt) return 0;
  return Math.max(Date.parse(state.maxExpiresAt) - Date.parse(state.expiresAt), 0);
}

const EXTENSION_STEPS_MS = [3_600_000, 4 * 3_600_000, 12 * 3_600_000, 86_400_000, 2 * 86_400_000];

/** What an Extend picker offers: the account's own validity and the usual steps that fit, and all the room left. */
export function extensionChoices(state: AccountState): number[] {
  const room = Math.floor(extensionRoomMs(state) / 1000) * 1000;
  if (room <= 0) return [];
  return [...new Set([state.validityMs, ...EXTENSION_STEPS_MS].filter((ms) => ms < room))].sort((a, b) => a - b).concat(room);
}

export function checkExtend(state: AccountState, input: ExtendAccountInput): RejectionReason | null {
  const bad = illFormed(input);
  if (bad) return bad;
  if (!input.actor?.trim()) return { type: Rejection.InvalidInput, message: 'actor is required' };
  if (!Number.isFinite(input.durationMs) || input.durationMs <= 0) return { type: Rejection.InvalidInput, message: 'duration must be positive' };
  if (!mayManage(state, input.actor)) return { type: Rejection.NotAllowed, message: `only the manager (${state.manager}) or a security admin may extend this account` };
  if (state.status !== 'active' || !state.expiresAt) return { type: Rejection.WrongState, message: `the account is ${state.status}; only an active account can be extended` };
  if (state.closeRequested) return { type: Rejection.WrongState, message: 'the account is being closed' };
  const until = Date.parse(state.expiresAt) + input.durationMs;
  if (until > Date.parse(state.maxExpiresAt)) {
    return {
      type: Rejection.BeyondPolicy,
      message: `the account may live until ${state.maxExpiresAt} at most (${formatDuration(state.resolved.maxTotalMs)} from its creation); ${formatDuration(input.durationMs)} more would end it at ${new Date(until).toISOString()}`,
    };
  }
  return null;
}

export function applyExtension(state: AccountState, input: ExtendAccountInput, now: number): void {
  const expiresAt = new Date(Date.parse(state.expiresAt!) + input.durationMs).toISOString();
  state.expiresAt = expiresAt;
  state.extensions.push({ by: input.actor, at: new Date(now).toISOString(), expiresAt, durationMs: input.durationMs });
}

export function checkClose(state: AccountState, input: CloseAccountInput): RejectionReason | null {
  const bad = illFormed(input);
  if (bad) return bad;
  if (!input.actor?.trim()) return { type: Rejection.InvalidInput, message: 'actor is required' };
  if (!mayManage(state, input.actor)) return { type: Rejection.NotAllowed, message: `only the manager (${state.manager}) or a security admin may close this account` };
  if (state.status !== 'active' && state.status !== 'provisioning') return { type: Rejection.WrongState, message: `the account is ${state.status}` };
  if (state.closeRequested) return { type: Rejection.WrongState, message: 'the account is already being closed' };
  return null;
}

/** A close asked for: `closing` from now (an account still being made is closed right after). */
export function applyCloseRequest(state: AccountState, input: CloseAccountInput, now: number): void {
  state.closeRequested = { by: input.actor, at: new Date(now).toISOString(), via: input.via ?? 'http', ...(input.reason ? { reason: input.reason } : {}) };
  if (state.status === 'active') state.status = 'closing';
}

/** The close Signal is never refused, only applied or ignored (already closing or over, ill-formed). */
export function onCloseSignal(state: AccountState, input: CloseAccountInput, now: number): boolean {
  if (!allWellFormed(input) || !input?.actor || state.closeRequested || isFinal(state.status) || state.status === 'closing') return false;
  applyCloseRequest(state, { ...input, via: input.via ?? 'system' }, now);
  return true;
}

export const WORKFLOW_CANCELLED_ACTOR = 'system:workflow-cancelled';

/** The workflow itself was cancelled: the account is closed like any other end. */
export function onWorkflowCancelled(state: AccountState, now: number): boolean {
  return onCloseSignal(state, { actor: WORKFLOW_CANCELLED_ACTOR, reason: 'workflow cancelled', via: 'system' }, now);
}

/** When the warning is due for the current expiry; undefined once sent, when off, or for an account shorter than the warning. */
export function expiryWarningDueAt(state: AccountState): number | undefined {
  const warning = state.resolved.expiryWarningMs;
  if (!state.expiresAt || !state.activatedAt || warning <= 0 || state.expiryWarnedFor === state.expiresAt) return undefined;
  const at = Date.parse(state.expiresAt) - warning;
  return at > Date.parse(state.activatedAt) ? at : undefined;
}

/** Why the account ends, once the hold is over: a close asked for, or its time ran out. */
export function endOf(state: AccountState): { by: string; reason: string } {
  const early = state.closeRequested;
  return early ? { by: early.by, reason: endReason.closed(early.by, early.reason) } : { by: 'gatehouse', reason: endReason.expired() };
}

export function finish(state: AccountState, status: 'closed' | 'failed', now: number, reason: string): void {
  state.status = status;
  state.closedAt = new Date(now).toISOString();
  state.endReason = reason;
  if (status === 'failed') state.failureReason = reason;
}
