import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AuditEvent, SlackMessageRef } from '../../activities/ports';
import type { RiskActivities } from '../../activities/risk';
import type { RejectionReason } from '../access-request/errors';
import { SA } from '../constants';
import { Effects, type EffectsResult } from '../shared/effects';
import { critical, LOOKUPS, OKTA_DURABLE, OKTA_LOCAL, refusal } from '../shared/retry';
import { decideReviewUpdate, reviewQuery } from './messages';
import * as S from './state';
import type { AccessReviewInput, AccessReviewState } from './types';
import * as W from './wording';

const local = proxyLocalActivities<RiskActivities>(OKTA_LOCAL);
const durable = proxyActivities<RiskActivities>(OKTA_DURABLE);
const lookups = proxyActivities<Pick<RiskActivities, 'resolveReviewers'>>(LOOKUPS);

const DM_KEY = 'review';

/**
 * `access-review-<id>` (SPEC §12): a HIGH-risk user was assigned a high-risk app whose policy says
 * `review`. The manager gets a Slack DM and an e-mail with Keep / Revoke; the decision is an Update
 * only the manager or a member of the reviewers group may make; with none in `reviewTimeout`,
 * `onTimeout` applies. open → awaitDecision → apply → settle.
 */
export async function accessReviewWorkflow(input: AccessReviewInput): Promise<AccessReviewState> {
  const review = new AccessReview(input);
  review.listen();
  await review.open();
  await review.awaitDecision();
  await CancellationScope.nonCancellable(() => review.apply());
  return CancellationScope.nonCancellable(() => review.settle());
}

function reject(reason: RejectionReason | null): void {
  if (reason) throw ApplicationFailure.create({ type: reason.type, message: reason.message, nonRetryable: true });
}

class AccessReview {
  readonly state: AccessReviewState;
  private readonly effects = new Effects((r) => this.absorb(r));
  private dm?: SlackMessageRef;
  private auditSeq = 0;

  constructor(private readonly input: AccessReviewInput) {
    this.state = S.initialReview(input);
  }

  listen(): void {
    const { state } = this;
    setHandler(reviewQuery, () => state);
    setHandler(
      decideReviewUpdate,
      async (d) => {
        S.applyReviewDecision(state, d, Date.now());
        this.audit('review_decided', state.decision!.reviewer, { decision: d.decision, comment: d.comment, via: d.via ?? 'http' });
        await condition(() => state.status !== 'revoking');
        return state;
      },
      { validator: (d) => reject(S.checkReviewDecision(state, d)) },
    );
  }

  /** Who may decide (resolved once), then the manager's DM with the buttons and e-mail. */
  async open(): Promise<void> {
    const { state } = this;
    const args = { userId: state.userId, ...(this.input.reviewersGroupId ? { reviewersGroupId: this.input.reviewersGroupId } : {}) };
    const who = await critical(() => local.resolveReviewers(args), () => lookups.resolveReviewers(args));
    state.manager = who.manager;
    state.reviewers = who.reviewers;
    this.audit('review_opened', 'gatehouse', { appId: state.app.id, level: state.level, eventUuid: state.eventUuid, manager: state.manager ?? null, reviewers: state.reviewers, dueAt: state.dueAt });
    const text = W.reviewRequest(state);
    if (state.manager) {
      this.effects.record([
        { system: 'slack', op: 'dm', to: state.manager, key: DM_KEY, notice: { kind: 'review', reviewId: state.reviewId, text } },
        { system: 'mail', to: [state.manager], content: W.reviewMail(state) },
      ]);
    } else {
      this.effects.record([{ system: 'slack', op: 'post', key: 'no-manager', channel: this.input.securityChannel, text: `${text} ${state.login} has no manager in Okta: a member of the reviewers group decides (POST /v1/reviews/${state.reviewId}/decide).` }]);
    }
    this.effects.flush();
    this.publish();
  }

  /** Until someone allowed decides, or the review times out and `onTimeout` applies. */
  async awaitDecision(): Promise<void> {
    const { state } = this;
    const decided = await condition(() => state.status !== 'pending', Math.max(Date.parse(state.dueAt) - Date.now(), 1));
    if (decided || state.status !== 'pending') return;
    S.applyReviewDecision(state, { reviewer: S.REVIEW_TIMEOUT_ACTOR, decision: state.app.onTimeout, via: 'system' }, Date.now());
    this.audit('review_decided', S.REVIEW_TIMEOUT_ACTOR, { decision: state.app.onTimeout, via: 'system', timedOut: true });
  }

  /** A revoke removes the assignment (critical: unlimited retries; only a refusal stops it). */
  async apply(): Promise<void> {
    const { state } = this;
    if (state.status !== 'revoking') return;
    const args = { appId: state.app.id, userId: state.userId };
    try {
      await critical(() => local.unassignOktaApp(args), () => durable.unassignOktaApp(args));
      S.finishReview(state, 'revoked', Date.now(), `revoked by ${state.decision!.reviewer}`);
      this.audit('app_assignment_revoked', 'gatehouse', { appId: state.app.id, reviewer: state.decision!.reviewer });
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      S.finishReview(state, 'failed', Date.now(), `Okta refused the removal: ${refused.message}`);
      this.audit('review_failed', 'gatehouse', { appId: state.app.id, message: refused.message });
    }
  }

  async settle(): Promise<AccessReviewState> {
    const { state } = this;
    upsertSearchAttributes([{ key: SA.status, value: state.status }]);
    const outcome = W.slack.reviewDecided(state);
    this.effects.record(() => [
      ...(this.dm ? [{ system: 'slack' as const, op: 'update' as const, ref: this.dm, notice: { kind: 'text' as const, text: outcome } }] : []),
      { system: 'slack', op: 'post', key: 'decided', channel: this.input.securityChannel, text: outcome },
    ]);
    this.publish();
    await this.effects.drain();
    await condition(allHandlersFinished);
    this.publish();
    return state;
  }

  private audit(type: string, actor: string, details: Record<string, unknown>): void {
    const seq = ++this.auditSeq;
    const { state } = this;
    const event: AuditEvent = { id: `${state.reviewId}:${workflowInfo().runId}:${seq}`, requestId: state.reviewId, seq, type, actor, resource: state.app.id, at: new Date().toISOString(), details: { login: state.login, userId: state.userId, ...details } };
    this.effects.record([{ system: 'audit', event }]);
  }

  private absorb(result: EffectsResult): void {
    const dm = result.posts?.find((p) => p.key === DM_KEY);
    if (dm) this.dm = dm.ref;
    this.state.sideEffectFailures.push(...result.failures);
    this.publish();
  }

  private publish(): void {
    const { state } = this;
    setCurrentDetails(`**${state.login}** → ${state.app.name}: **${state.status}** (due ${state.dueAt})\n\n${W.reviewOutcome(state)}`);
  }
}
