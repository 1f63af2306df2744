/**
 * Risk response as plain functions (STYLE rule 3): the order events are applied in, what a level
 * change asks for, what an app assignment gets at each level, who may decide a review. No
 * Temporal imports beyond types; unit-tested in test/workflows/risk-state.test.ts. apply…/record…
 * mutate the state they are given; plan…/check… only read it.
 */
import { Rejection, type RejectionReason } from '../access-request/errors';
import { allWellFormed } from '../shared/text';
import type { RiskEventInput, RiskLevel } from './event';
import type { AccessReviewInput, AccessReviewState, DecideReviewInput, HighRiskAppRule, RiskEventRecord, UserRiskInput, UserRiskState } from './types';

/** Who acts in the risk response (audit actor, revoke and close signals). */
export const RISK_ACTOR = 'system:risk';
/** Who decides a review nobody decided in time. */
export const REVIEW_TIMEOUT_ACTOR = 'system:review-timeout';

const MAX_ACTIONS = 200;
const MAX_EVENTS = 50;
const MAX_SEEN = 500;

export function initialUserRisk(input: UserRiskInput): UserRiskState {
  return input.carried ?? { userId: input.userId, login: input.login, level: 'LOW', quarantine: null, medium: null, incident: null, actions: [], events: [], reviews: [], seen: [] };
}

/** A second delivery of the same event (Okta delivers at least once). */
export const isDuplicate = (state: UserRiskState, uuid: string): boolean => state.seen.includes(uuid);

const keepLast = <T>(list: T[], max: number) => {
  if (list.length > max) list.splice(0, list.length - max);
};

/** Remembers an event (its uuid for duplicates, and a line of the event log). */
export function recordEvent(state: UserRiskState, event: RiskEventInput, outcome: RiskEventRecord['outcome'], now: number): void {
  state.seen.push(event.uuid);
  keepLast(state.seen, MAX_SEEN);
  state.events.push({
    uuid: event.uuid,
    eventType: event.eventType,
    published: event.published,
    receivedAt: new Date(now).toISOString(),
    ...(event.level ? { level: event.level } : {}),
    ...(event.previousLevel ? { previousLevel: event.previousLevel } : {}),
    ...(event.app ? { appId: event.app.id } : {}),
    outcome,
  });
  keepLast(state.events, MAX_EVENTS);
  // The login Okta sends is the newest truth (a rename).
  state.login = event.login;
  if (event.displayName) state.displayName = event.displayName;
}

export function recordAction(state: UserRiskState, type: string, text: string, now: number, eventUuid?: string): void {
  state.actions.push({ at: new Date(now).toISOString(), type, text, ...(eventUuid ? { eventUuid } : {}) });
  keepLast(state.actions, MAX_ACTIONS);
}

export type LevelPlan =
  | { kind: 'stale'; lastPublished: string }
  | { kind: 'unchanged'; level: RiskLevel }
  | { kind: 'changed'; from: RiskLevel; to: RiskLevel; enterHigh: boolean; leaveHigh: boolean; enterMedium: boolean; leaveMedium: boolean };

/**
 * What a level event means here. Events are applied in `published` order: one older than the last
 * one applied changes nothing (Okta may deliver late, twice, or out of order). A level equal to
 * the one held changes nothing either (it is recorded).
 */
export function planLevelChange(state: UserRiskState, event: RiskEventInput): LevelPlan {
  if (state.lastPublished && Date.parse(event.published) < Date.parse(state.lastPublished)) return { kind: 'stale', lastPublished: state.lastPublished };
  const to = event.level!;
  const from = state.level;
  if (to === from) return { kind: 'unchanged', level: to };
  return { kind: 'changed', from, to, enterHigh: to === 'HIGH', leaveHigh: from === 'HIGH', enterMedium: to === 'MEDIUM', leaveMedium: from === 'MEDIUM' };
}

/** Makes the event's level the user's (after planLevelChange said it is not stale). */
export function applyLevel(state: UserRiskState, event: RiskEventInput, now: number): void {
  if (event.level !== state.level) {
    state.previousLevel = state.level;
    state.level = event.level!;
    state.since = new Date(now).toISOString();
  }
  state.lastPublished = event.published;
  state.detectionName = event.detectionName;
  state.reasons = event.reasons;
}

/** What an assignment of a high-risk app gets at the level Gatehouse holds (LOW when none). */
export function appAssignmentOutcome(level: RiskLevel, app: HighRiskAppRule): 'allow' | 'flag' | 'rollback' | 'review' {
  if (level === 'LOW') return 'allow';
  if (level === 'MEDIUM') return 'flag';
  return app.onHigh;
}

/** The access review's id: the assignment event's, so a redelivered event never opens a second one. */
export const reviewIdFor = (eventUuid: string): string => eventUuid.toLowerCase();

export function initialReview(input: AccessReviewInput): AccessReviewState {
  return {
    reviewId: input.reviewId,
    status: 'pending',
    userId: input.userId,
    login: input.login,
    ...(input.displayName ? { displayName: input.displayName } : {}),
    app: input.app,
    level: input.level,
    eventUuid: input.eventUuid,
    openedAt: input.openedAt,
    dueAt: new Date(Date.parse(input.openedAt) + input.app.reviewTimeoutMs).toISOString(),
    sideEffectFailures: [],
  };
}

const sameLogin = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/** Who may decide: the user's manager, or a member of the reviewers group (never the user). */
export function mayReview(state: AccessReviewState, reviewer: string): boolean {
  if (sameLogin(reviewer, state.login)) return false;
  return (!!state.manager && sameLogin(state.manager, reviewer)) || (state.reviewers ?? []).some((r) => sameLogin(r, reviewer));
}

/** The validator of a decision: null when it may be applied. The message names no input before the well-formedness check. */
export function checkReviewDecision(state: AccessReviewState, input: DecideReviewInput): RejectionReason | null {
  if (!allWellFormed(input)) return { type: Rejection.InvalidInput, message: 'every text field must be well-formed Unicode (no lone surrogates)' };
  if (!input.reviewer?.trim()) return { type: Rejection.InvalidInput, message: 'reviewer is required' };
  if (input.decision !== 'keep' && input.decision !== 'revoke') return { type: Rejection.InvalidInput, message: 'decision must be keep or revoke' };
  if (state.status !== 'pending') return { type: Rejection.WrongState, message: `the review is ${state.status}; it has been decided` };
  if (!state.reviewers) return { type: Rejection.NotReady, message: 'the review is still being opened; retry in a moment' };
  if (sameLogin(input.reviewer, state.login)) return { type: Rejection.NotAllowed, message: 'nobody may review their own access' };
  if (!mayReview(state, input.reviewer)) {
    return { type: Rejection.NotAllowed, message: `${input.reviewer} may not decide this review: only ${state.manager ?? 'the manager'} or a member of the reviewers group may` };
  }
  return null;
}

/** Records the decision; a revoke still has to remove the assignment (status `revoking`). */
export function applyReviewDecision(state: AccessReviewState, input: DecideReviewInput, now: number): void {
  state.decision = { reviewer: input.reviewer.trim().toLowerCase(), decision: input.decision, ...(input.comment ? { comment: input.comment } : {}), at: new Date(now).toISOString(), via: input.via ?? 'http' };
  state.status = input.decision === 'revoke' ? 'revoking' : 'kept';
  if (state.status === 'kept') finishReview(state, 'kept', now, `kept by ${state.decision.reviewer}`);
}

export function finishReview(state: AccessReviewState, status: 'kept' | 'revoked' | 'failed', now: number, reason: string): void {
  state.status = status;
  state.endedAt = new Date(now).toISOString();
  state.endReason = reason;
}
