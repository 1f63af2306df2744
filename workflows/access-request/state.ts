/**
 * The access-request state machine as plain functions: who may decide, when a step is complete,
 * what an extension, a revoke signal or a workflow cancellation does, what an extension may still
 * add. No Temporal imports beyond types, so it is unit-tested on its own and the workflow only
 * orchestrates (STYLE rule 3). Functions named apply… and on… mutate the state they are given; check…
 * return the reason a message must be refused, or null.
 */
import { allWellFormed } from '../shared/text';
import { endReason, formatDuration } from './wording';
import { Rejection, type RejectionReason } from './errors';
import type { CancelInput, DecisionInput, ExtendInput, RevokeInput } from './messages';
import { FINAL_STATUSES, type AccessRequestInput, type RequestState, type RequestStatus, type ResolvedStep } from './types';

export function initialState(input: AccessRequestInput, now: number): RequestState {
  return {
    requestId: input.requestId,
    status: 'pending_approval',
    ...(input.resolved ? { resolved: input.resolved } : {}),
    requester: input.requester,
    resource: input.resource,
    justification: input.justification,
    requestedDurationMs: input.durationMs,
    via: input.via ?? 'http',
    createdAt: input.submittedAt ?? new Date(now).toISOString(),
    currentStep: 0,
    approvals: [],
    remindersSent: 0,
    extensions: [],
    sideEffectFailures: [],
  };
}

export const isFinal = (status: RequestStatus): boolean => FINAL_STATUSES.includes(status);

const sameLogin = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Every check starts here: text that is not well-formed Unicode is refused before it can reach a
 * failure message (shared/text.ts explains why that would stop the worker). The message names no
 * input on purpose.
 */
const illFormed = (input: unknown): RejectionReason | null =>
  allWellFormed(input) ? null : { type: Rejection.InvalidInput, message: 'every text field must be well-formed Unicode (no lone surrogates)' };

export function currentStep(state: RequestState): ResolvedStep | undefined {
  return state.resolved?.steps[state.currentStep];
}

export function approvalsInStep(state: RequestState, stepIndex: number): string[] {
  return state.approvals.filter((a) => a.step === stepIndex + 1 && a.decision === 'approved').map((a) => a.approver);
}

/** Approve and deny share one rule set; the validator and the handler both run it. */
export function checkDecision(state: RequestState, input: DecisionInput): RejectionReason | null {
  const bad = illFormed(input);
  if (bad) return bad;
  if (!input.approver?.trim()) return { type: Rejection.InvalidInput, message: 'approver is required' };
  if (state.status !== 'pending_approval') {
    return { type: Rejection.WrongState, message: `request is ${state.status}, no longer pending approval` };
  }
  if (!state.resolved) return { type: Rejection.NotReady, message: 'request is still being resolved against the policy; retry in a moment' };
  if (sameLogin(input.approver, state.requester)) {
    return { type: Rejection.SelfApproval, message: 'the requester cannot decide on their own request' };
  }
  // Four eyes: one person decides at most once per request, whatever step they appear in.
  if (state.approvals.some((a) => sameLogin(a.approver, input.approver))) {
    return { type: Rejection.AlreadyDecided, message: `${input.approver} has already decided on this request` };
  }
  const step = currentStep(state);
  if (!step || !step.approvers.some((a) => sameLogin(a, input.approver))) {
    return {
      type: Rejection.NotAnApprover,
      message: `${input.approver} is not an approver of step ${state.currentStep + 1} (${step?.label ?? 'none'})`,
    };
  }
  return null;
}

/** Records an approval; advances the step when it has `count` distinct approvers. */
export function applyApproval(state: RequestState, input: DecisionInput, now: number): void {
  const step = currentStep(state);
  if (!step) return;
  state.approvals.push({
    step: state.currentStep + 1,
    approver: input.approver,
    decision: 'approved',
    at: new Date(now).toISOString(),
    via: input.via ?? 'http',
    ...(input.comment ? { comment: input.comment } : {}),
  });
  if (approvalsInStep(state, state.currentStep).length >= step.count) {
    state.currentStep += 1;
    if (state.currentStep >= (state.resolved?.steps.length ?? 0)) state.status = 'provisioning';
  }
}

/** One denial at any step ends the request. */
export function applyDenial(state: RequestState, input: DecisionInput, now: number): void {
  state.approvals.push({
    step: state.currentStep + 1,
    approver: input.approver,
    decision: 'denied',
    at: new Date(now).toISOString(),
    via: input.via ?? 'http',
    ...(input.reason ? { comment: input.reason } : {}),
  });
  finish(state, 'denied', now, endReason.denied(input.approver, input.reason));
}

export function approveAutomatically(state: RequestState): void {
  state.currentStep = state.resolved?.steps.length ?? 0;
  state.status = 'provisioning';
}

export function checkCancel(state: RequestState, input: CancelInput): RejectionReason | null {
  const bad = illFormed(input);
  if (bad) return bad;
  if (!input.actor?.trim()) return { type: Rejection.InvalidInput, message: 'actor is required' };
  if (!sameLogin(input.actor, state.requester)) {
    return { type: Rejection.NotRequester, message: 'only the requester can cancel a request' };
  }
  if (state.status !== 'pending_approval') {
    return { type: Rejection.WrongState, message: `request is ${state.status}; only a pending request can be cancelled` };
  }
  return null;
}

export function applyCancel(state: RequestState, input: CancelInput, now: number): void {
  finish(state, 'cancelled', now, endReason.cancelled(input.actor));
}

/** Who may end a grant early: the requester, anyone who could approve it, an owner, or Gatehouse itself. */
export function mayRevoke(state: RequestState, actor: string): boolean {
  if (actor.startsWith('system:')) return true;
  if (sameLogin(actor, state.requester)) return true;
  const r = state.resolved;
  if (!r) return false;
  return r.owners.some((o) => sameLogin(o, actor)) || r.steps.some((s) => s.approvers.some((a) => sameLogin(a, actor)));
}

export function checkRevoke(state: RequestState, input: RevokeInput): RejectionReason | null {
  const bad = illFormed(input);
  if (bad) return bad;
  if (!input.actor?.trim()) return { type: Rejection.InvalidInput, message: 'actor is required' };
  if (!mayRevoke(state, input.actor)) {
    return { type: Rejection.NotAllowed, message: `${input.actor} may not revoke this grant` };
  }
  if (state.status !== 'active' && state.status !== 'provisioning') {
    return { type: Rejection.WrongState, message: `request is ${state.status}; only an active grant can be revoked` };
  }
  if (state.revokeRequested) return { type: Rejection.WrongState, message: 'revocation already requested' };
  return null;
}

/** A revoke asked for: the grant is `revoking` from now (still being given: it is taken back right after). */
export function applyRevokeRequest(state: RequestState, input: RevokeInput, now: number): void {
  state.revokeRequested = { by: input.actor, at: new Date(now).toISOString(), ...(input.reason ? { reason: input.reason } : {}) };
  if (state.status === 'active') state.status = 'revoking';
}

/**
 * The revoke Signal cannot be refused, only applied or ignored: a pending request is cancelled,
 * a grant is revoked, anything else (ended, already revoking, ill-formed text) changes nothing.
 */
export function onRevokeSignal(state: RequestState, input: RevokeInput, now: number): 'cancelled' | 'revoke_requested' | 'ignored' {
  if (!allWellFormed(input) || !input.actor) return 'ignored';
  if (state.status === 'pending_approval') {
    finish(state, 'cancelled', now, endReason.cancelled(input.actor, input.reason));
    return 'cancelled';
  }
  if ((state.status === 'active' || state.status === 'provisioning') && !state.revokeRequested) {
    applyRevokeRequest(state, input, now);
    return 'revoke_requested';
  }
  return 'ignored';
}

export const WORKFLOW_CANCELLED_ACTOR = 'system:workflow-cancelled';

/** The workflow itself was cancelled (an operator, Temporal): a pending request ends; a grant is revoked. */
export function onWorkflowCancelled(state: RequestState, now: number): 'cancelled' | 'revoke_requested' | 'ignored' {
  if (state.status === 'pending_approval') {
    finish(state, 'cancelled', now, endReason.workflowCancelled());
    return 'cancelled';
  }
  if (!isFinal(state.status) && !state.revokeRequested) {
    applyRevokeRequest(state, { actor: WORKFLOW_CANCELLED_ACTOR, reason: 'workflow cancelled' }, now);
    return 'revoke_requested';
  }
  return 'ignored';
}

/** The end of a grant: revoked when someone asked for it, expired otherwise. */
export function endGrant(state: RequestState, now: number): 'revoked' | 'expired' {
  const early = state.revokeRequested;
  if (early) {
    finish(state, 'revoked', now, endReason.revoked(early.by, early.reason));
    return 'revoked';
  }
  finish(state, 'expired', now, endReason.expired());
  return 'expired';
}

/** What an extension may still add under the request's policy snapshot (0 when nothing). */
export function extensionBudget(state: RequestState): { left: number; maxAddMs: number } {
  const r = state.resolved;
  if (!r || !state.expiresAt || !state.grantedAt) return { left: 0, maxAddMs: 0 };
  const used = Date.parse(state.expiresAt) - Date.parse(state.grantedAt);
  return { left: Math.max(r.maxExtensions - state.extensions.length, 0), maxAddMs: Math.max(Math.min(r.maxDurationMs, r.maxTotalMs - used), 0) };
}

const EXTENSION_STEPS_MS = [15 * 60_000, 30 * 60_000, 3_600_000, 2 * 3_600_000, 4 * 3_600_000, 8 * 3_600_000, 86_400_000];

/** The durations an Extend picker offers: the usual steps within the budget, and the whole budget itself. */
export function extensionChoices(state: RequestState): number[] {
  const { left, maxAddMs } = extensionBudget(state);
  if (left === 0 || maxAddMs <= 0) return [];
  // Whole seconds: the policy is written in seconds at the finest.
  const all = Math.floor(maxAddMs / 1000) * 1000;
  return [...new Set([...EXTENSION_STEPS_MS.filter((ms) => ms < all), all])].filter((ms) => ms > 0);
}

export function checkExtend(state: RequestState, input: ExtendInput): RejectionReason | null {
  const bad = illFormed(input);
  if (bad) return bad;
  if (!input.actor?.trim()) return { type: Rejection.InvalidInput, message: 'actor is required' };
  if (!Number.isFinite(input.durationMs) || input.durationMs <= 0) {
    return { type: Rejection.InvalidInput, message: 'duration must be positive' };
  }
  if (!sameLogin(input.actor, state.requester)) {
    return { type: Rejection.NotRequester, message: 'only the requester can extend their grant' };
  }
  if (state.status !== 'active' || !state.expiresAt || !state.grantedAt || !state.resolved) {
    return { type: Rejection.WrongState, message: `request is ${state.status}; only an active grant can be extended` };
  }
  if (state.revokeRequested) return { type: Rejection.WrongState, message: 'the grant is being revoked' };
  const r = state.resolved;
  if (state.extensions.length >= r.maxExtensions) {
    return { type: Rejection.BeyondPolicy, message: `no more extensions: the policy allows ${r.maxExtensions}` };
  }
  if (input.durationMs > r.maxDurationMs) {
    return { type: Rejection.BeyondPolicy, message: `an extension may add at most ${formatDuration(r.maxDurationMs)}` };
  }
  const total = Date.parse(state.expiresAt) + input.durationMs - Date.parse(state.grantedAt);
  if (total > r.maxTotalMs) {
    return {
      type: Rejection.BeyondPolicy,
      message: `the grant would last ${formatDuration(total)} in total; the policy allows ${formatDuration(r.maxTotalMs)}`,
    };
  }
  return null;
}

/** An extension adds its duration to the current expiry. */
export function applyExtension(state: RequestState, input: ExtendInput, now: number): void {
  const expiresAt = new Date(Date.parse(state.expiresAt!) + input.durationMs).toISOString();
  state.expiresAt = expiresAt;
  state.extensions.push({ by: input.actor, at: new Date(now).toISOString(), expiresAt, durationMs: input.durationMs });
}

export function applyGrant(state: RequestState, now: number, standingMember: boolean): void {
  state.status = 'active';
  state.standingMember = standingMember;
  state.grantedAt = new Date(now).toISOString();
  state.expiresAt = new Date(now + state.resolved!.durationMs).toISOString();
}

/** When the expiry warning is due for the current expiry, or undefined if sent or not wanted. */
export function expiryWarningDueAt(state: RequestState): number | undefined {
  const r = state.resolved;
  if (!r || !state.expiresAt || r.expiryWarningMs <= 0 || state.expiryWarnedFor === state.expiresAt) return undefined;
  const at = Date.parse(state.expiresAt) - r.expiryWarningMs;
  // A grant shorter than its warning window gets no warning: it would arrive with the grant.
  if (state.grantedAt && at <= Date.parse(state.grantedAt)) return undefined;
  return at;
}

/** Reminders back off: reminderAfter, then 2×, 4×… after the previous one, capped at 8×. */
export function nextReminderAt(submittedAt: number, reminderAfterMs: number, remindersSent: number): number {
  let at = submittedAt;
  for (let i = 0; i <= remindersSent; i++) at += reminderAfterMs * Math.min(2 ** i, 8);
  return at;
}

export function finish(state: RequestState, status: RequestStatus, now: number, reason: string): void {
  state.status = status;
  state.endedAt = new Date(now).toISOString();
  state.endReason = reason;
  if (status === 'failed') state.failureReason = reason;
}
