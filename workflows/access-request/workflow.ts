import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  currentUpdateInfo,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { GrantActivities } from '../../activities/grants';
import type { AuditEvent, SlackMessageRef } from '../../activities/ports';
import type { ApprovalMessageFacts } from '../../activities/slack-messages';
import { SA } from '../constants';
import { Effects, type EffectsResult } from '../shared/effects';
import { critical, LOOKUPS, OKTA_DURABLE, OKTA_LATE_ADD_WINDOW_MS, OKTA_LOCAL, refusal, timeAfter } from '../shared/retry';
import { approveUpdate, cancelUpdate, denyUpdate, extendUpdate, revokeSignal, revokeUpdate, statusQuery, type DecisionInput } from './messages';
import * as S from './state';
import * as W from './wording';
import type { RejectionReason } from './errors';
import type { AccessRequestInput, RequestState } from './types';

const oktaLocal = proxyLocalActivities<GrantActivities>(OKTA_LOCAL);
const oktaDurable = proxyActivities<GrantActivities>(OKTA_DURABLE);
const lookups = proxyActivities<Pick<Activities, 'resolveAccessRequest'>>(LOOKUPS);

/**
 * One access request, from submission to the end of the grant (SPEC §4):
 * resolve → collectApprovals → grant → holdUntilExpiry → revoke → settle.
 * The revocation runs in `finally`, so a cancelled workflow revokes too.
 */
export async function accessRequestWorkflow(input: AccessRequestInput): Promise<RequestState> {
  const request = new AccessRequest(input);
  request.listen();
  try {
    if (await request.resolve()) {
      await request.collectApprovals();
      request.pastApprovals();
      if (request.state.status === 'provisioning') await request.grant();
      if (request.state.status === 'active' || request.state.status === 'revoking') await request.holdUntilExpiry();
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    request.onWorkflowCancelled();
  } finally {
    await CancellationScope.nonCancellable(() => request.revoke());
  }
  return CancellationScope.nonCancellable(() => request.settle());
}

function reject(reason: RejectionReason | null): void {
  if (reason) throw ApplicationFailure.create({ type: reason.type, message: reason.message, nonRetryable: true });
}

/** The request's state, its records, and its phases. Rules live in state.ts; words in wording.ts. */
class AccessRequest {
  readonly state: RequestState;
  private readonly effects = new Effects((result) => this.absorb(result), true);
  private readonly approvalRefs = new Map<number, SlackMessageRef[]>();
  private auditSeq = 0;
  /** The grant's Okta add was asked for (its lease may be open): the end must take it back. */
  private grantStarted = false;
  /** The grant activity answered (its attempts are over); otherwise one may still be in flight. */
  private grantDone = false;
  /** When the grant's Okta add answered: the hold's first decision is taken on it (see timeAfter). */
  private grantedAtClock: number | undefined;
  private hearingDecisions = false;

  constructor(private readonly input: AccessRequestInput) {
    this.state = S.initialState(input, Date.now());
  }

  // ---- handlers: registered first, so nothing sent early is refused for lack of one.

  listen(): void {
    const { state } = this;
    setHandler(statusQuery, () => state);
    setHandler(
      cancelUpdate,
      (c) => {
        S.applyCancel(state, c, Date.now());
        this.rememberKey(c.actor);
        this.audit('cancelled', c.actor, { via: c.via ?? 'http' });
        return state;
      },
      { validator: (c) => reject(S.checkCancel(state, c)) },
    );
    setHandler(
      extendUpdate,
      (e) => {
        S.applyExtension(state, e, Date.now());
        this.rememberKey(e.actor);
        this.audit('extended', e.actor, { expiresAt: state.expiresAt, durationMs: e.durationMs, via: e.via ?? 'http' });
        const expiresAt = state.expiresAt!;
        this.effects.record(() => [{ system: 'jira', op: 'comment', requestId: state.requestId, key: state.jira?.key, text: W.jira.extended(e.actor, expiresAt) }]);
        return state;
      },
      { validator: (e) => reject(S.checkExtend(state, e)) },
    );
    setHandler(
      revokeUpdate,
      (r) => {
        S.applyRevokeRequest(state, r, Date.now());
        this.rememberKey(r.actor);
        this.audit('revoke_requested', r.actor, { reason: r.reason, via: r.via ?? 'http' });
        return state;
      },
      { validator: (r) => reject(S.checkRevoke(state, r)) },
    );
    // A signal cannot be refused: it ends whatever is open (a pending request is cancelled).
    setHandler(revokeSignal, (r) => {
      const outcome = S.onRevokeSignal(state, r, Date.now());
      if (outcome === 'cancelled') this.audit('cancelled', r.actor, { reason: r.reason, via: r.via ?? 'system' });
      else if (outcome === 'revoke_requested') this.audit('revoke_requested', r.actor, { reason: r.reason, via: r.via ?? 'system' });
      else log.info('revoke signal changed nothing', { status: state.status });
    });
  }

  /**
   * Approve and deny are heard once the first step is open (or the request is past approvals): a
   * decision sent with the start waits, buffered by Temporal, so the trail always reads requested,
   * resolved, step opened, then the decisions.
   */
  private listenForDecisions(): void {
    if (this.hearingDecisions) return;
    this.hearingDecisions = true;
    const { state } = this;
    setHandler(approveUpdate, (d) => this.onApprove(d), { validator: (d) => reject(S.checkDecision(state, d)) });
    setHandler(
      denyUpdate,
      (d) => {
        S.applyDenial(state, d, Date.now());
        this.rememberKey(d.approver);
        this.audit('denied', d.approver, { step: state.approvals.at(-1)?.step, via: d.via ?? 'http', reason: d.reason, requestedAt: state.createdAt });
        return state;
      },
      { validator: (d) => reject(S.checkDecision(state, d)) },
    );
  }

  /** An approval; the last one returns only once the grant is done, so the answer says `active`. */
  private async onApprove(d: DecisionInput): Promise<RequestState> {
    const { state } = this;
    S.applyApproval(state, d, Date.now());
    this.rememberKey(d.approver);
    const step = state.approvals.at(-1)!.step;
    this.audit('approved', d.approver, { step, via: d.via ?? 'http', comment: d.comment, requestedAt: state.createdAt });
    this.effects.record(() => [{ system: 'slack', op: 'dm', to: state.requester, notice: { kind: 'text', text: W.notice.approved(state, d.approver, step) } }]);
    await condition(() => state.status !== 'provisioning');
    return state;
  }

  // ---- phases

  /** The policy snapshot: from the input (the API resolved it) or, for direct starts, an activity. */
  async resolve(): Promise<boolean> {
    const { state, input } = this;
    this.audit('requested', input.requester, { durationMs: input.durationMs, justification: input.justification, via: state.via });
    if (!state.resolved) {
      const resolution = await lookups.resolveAccessRequest(input);
      if (!resolution.ok) {
        S.finish(state, 'failed', Date.now(), W.endReason.resolutionFailed(resolution.code, resolution.message));
        this.audit('failed', 'gatehouse', { code: resolution.code, message: resolution.message });
        return false;
      }
      state.resolved = resolution.resolved;
    }
    const r = state.resolved;
    this.audit('resolved', 'gatehouse', { policy: r });
    this.effects.record([
      { system: 'jira', op: 'open', requestId: state.requestId, summary: W.jira.summary(state, r), description: W.jira.description(state, r) },
      { system: 'slack', op: 'dm', to: state.requester, notice: { kind: 'text', text: W.notice.submitted(state, r) } },
    ]);
    if (r.autoApprove) {
      S.approveAutomatically(state);
      this.audit('approved', 'gatehouse', { auto: true });
    }
    this.publish();
    return true;
  }

  /** Each step in turn, with reminders, until approved, denied, cancelled or timed out. */
  async collectApprovals(): Promise<void> {
    const { state } = this;
    const r = state.resolved!;
    const deadline = Date.now() + r.approvalTimeoutMs;
    let first = true;
    while (state.status === 'pending_approval') {
      const stepIndex = state.currentStep;
      const opened = Date.now();
      this.askApprovers(stepIndex, false);
      if (first) this.listenForDecisions();
      first = false;
      let reminders = 0;
      while (state.status === 'pending_approval' && state.currentStep === stepIndex) {
        this.effects.flush();
        this.publish();
        const decisions = state.approvals.length;
        const wakeAt = Math.min(deadline, S.nextReminderAt(opened, r.reminderAfterMs, reminders));
        const woke = await condition(() => state.status !== 'pending_approval' || state.currentStep !== stepIndex || state.approvals.length !== decisions, Math.max(wakeAt - Date.now(), 1));
        if (woke) continue;
        if (Date.now() >= deadline) {
          S.finish(state, 'approval_timed_out', Date.now(), W.endReason.timedOut(r.approvalTimeoutMs));
          this.audit('approval_timed_out', 'gatehouse', {});
          break;
        }
        reminders++;
        state.remindersSent++;
        this.askApprovers(stepIndex, true);
        this.audit('reminder_sent', 'gatehouse', { step: stepIndex + 1, reminder: state.remindersSent });
      }
      this.closeStep(stepIndex);
    }
  }

  /** Past the approvals (auto-approved, or decided): decisions are heard, and refused by state. */
  pastApprovals(): void {
    this.listenForDecisions();
  }

  /** Opens the lease and adds the membership (a local activity; durable when Okta is slow). */
  async grant(): Promise<void> {
    const { state } = this;
    const r = state.resolved!;
    const now = Date.now();
    const expiresAt = new Date(now + r.durationMs).toISOString();
    const args = {
      requestId: state.requestId,
      workflowId: workflowInfo().workflowId,
      userId: r.requesterUserId,
      login: state.requester,
      groupId: r.oktaGroupId,
      resource: state.resource,
      granted: this.event('granted', 'gatehouse', { expiresAt, groupId: r.oktaGroupId, approvedAt: state.approvals.at(-1)?.at ?? state.createdAt }),
      driftEventId: `${state.requestId}:${workflowInfo().runId}:drift`,
      durationMs: r.durationMs,
    };
    this.grantStarted = true;
    try {
      const result = await critical(() => oktaLocal.grantOktaMembership(args), () => oktaDurable.grantOktaMembership({ ...args, afterLocalAttempts: true }));
      // The grant counts from when the activity opened the lease (see timeAfter); an answer
      // recorded before it said so counts from this task's clock.
      S.applyGrant(state, result.grantedAt ? Date.parse(result.grantedAt) : now, result.standing);
      state.driftAtGrant = result.drift;
      // Only an attempt that failed without an answer can land late; the first one succeeding can't.
      state.grantInFlightUntil = result.uncertain ? new Date(Date.parse(result.completedAt) + OKTA_LATE_ADD_WINDOW_MS).toISOString() : result.completedAt;
      this.grantDone = true;
      this.grantedAtClock = timeAfter(result);
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      S.finish(state, 'failed', Date.now(), W.endReason.grantRefused(refused.message));
      this.audit('failed', 'gatehouse', { stage: 'grant', message: refused.message });
      return;
    }
    if (state.revokeRequested) state.status = 'revoking';
    this.upsert();
    this.effects.record(() => [
      { system: 'jira', op: 'comment', requestId: state.requestId, key: state.jira?.key, text: W.jira.granted(state) },
      { system: 'slack', op: 'dm', to: state.requester, notice: { kind: 'granted', requestId: state.requestId, resourceName: r.resourceName, expiresAt: state.expiresAt! } },
      ...(state.driftAtGrant
        ? [
            { system: 'jira' as const, op: 'comment' as const, requestId: state.requestId, key: state.jira?.key, text: W.jira.driftAtGrant(state) },
            { system: 'slack' as const, op: 'security' as const, text: W.notice.driftAtGrant(state) },
          ]
        : []),
    ]);
    this.effects.flush();
    this.publish();
  }

  /** The durable, extendable grant timer, with the expiry warning; ends early on a revoke. */
  async holdUntilExpiry(): Promise<void> {
    const { state } = this;
    const r = state.resolved!;
    // Right after the grant's local activity the clock is not replay-safe (timeAfter); after a
    // timer or a message, it is.
    let now = this.grantedAtClock ?? Date.now();
    while (!state.revokeRequested) {
      const expiresAt = Date.parse(state.expiresAt!);
      if (now >= expiresAt) break;
      const warnAt = S.expiryWarningDueAt(state);
      const wakeAt = warnAt !== undefined && warnAt < expiresAt ? warnAt : expiresAt;
      const seen = state.expiresAt;
      const changed = await condition(() => !!state.revokeRequested || state.expiresAt !== seen, Math.max(wakeAt - now, 1));
      now = Date.now();
      if (changed) {
        if (state.expiresAt !== seen) this.upsert();
        this.effects.flush();
        this.publish();
        continue;
      }
      if (warnAt !== undefined && now >= warnAt && now < expiresAt) {
        state.expiryWarnedFor = state.expiresAt;
        this.audit('expiry_warned', 'gatehouse', { expiresAt: state.expiresAt });
        this.effects.record([{ system: 'slack', op: 'dm', to: state.requester, notice: { kind: 'warning', requestId: state.requestId, resourceName: r.resourceName, expiresAt: state.expiresAt! } }]);
        this.effects.flush();
      }
    }
  }

  /** The workflow itself was cancelled: a pending request ends; a grant is revoked by `finally`. */
  onWorkflowCancelled(): void {
    const outcome = S.onWorkflowCancelled(this.state, Date.now());
    if (outcome === 'cancelled') this.audit('cancelled', S.WORKFLOW_CANCELLED_ACTOR, {});
  }

  /**
   * Ends the lease and removes the membership unless the ledger explains it (unlimited retries;
   * only a refusal stops it). After an early end, a read-back catches an add that landed late.
   */
  async revoke(): Promise<void> {
    const { state } = this;
    if (!this.grantStarted) return;
    const r = state.resolved!;
    const now = Date.now();
    const failed = state.status === 'failed';
    const outcome = failed ? 'lease_closed' : state.revokeRequested ? 'revoked' : 'expired';
    if (!failed) state.status = 'revoking';
    this.publish();
    const early = state.revokeRequested;
    const ended = this.event(outcome, outcome === 'revoked' ? early!.by : 'gatehouse', {
      ...(outcome === 'revoked' ? { reason: early?.reason } : {}),
      ...(failed ? { reason: state.endReason } : {}),
      standingMember: state.standingMember === true,
      groupId: r.oktaGroupId,
      expiresAt: state.expiresAt,
    });
    const args = { requestId: state.requestId, userId: r.requesterUserId, groupId: r.oktaGroupId, ended, reason: failed ? 'the grant failed' : outcome };
    let removed = false;
    let answeredAt: number;
    try {
      const result = await critical(() => oktaLocal.revokeOktaMembership(args), () => oktaDurable.revokeOktaMembership(args));
      removed = result.removed;
      answeredAt = timeAfter(result);
      if (!failed) S.endGrant(state, now);
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      log.error('Okta refused the revocation', { message: refused.message });
      S.finish(state, 'failed', Date.now(), W.endReason.revokeRefused(refused.message));
      this.audit('failed', 'gatehouse', { stage: 'revoke', message: refused.message });
      return;
    }
    // An add still in flight when the membership was removed could land afterwards: a grant that
    // never answered, up to the window after this removal (its time, never the clock: timeAfter).
    const inFlightUntil = this.grantDone && state.grantInFlightUntil ? Date.parse(state.grantInFlightUntil) : answeredAt + OKTA_LATE_ADD_WINDOW_MS;
    if (removed && answeredAt < inFlightUntil) {
      await sleep(inFlightUntil - answeredAt);
      const confirm = { requestId: state.requestId, userId: r.requesterUserId, groupId: r.oktaGroupId, event: this.event('late_add_removed', 'gatehouse', { groupId: r.oktaGroupId }) };
      await critical(() => oktaLocal.confirmOktaRemoval(confirm), () => oktaDurable.confirmOktaRemoval(confirm));
    }
  }

  /** The final records, then every batch and handler finished, before the result. */
  async settle(): Promise<RequestState> {
    const { state } = this;
    // A decision still buffered is answered (refused: the request is past approvals), never left waiting.
    this.listenForDecisions();
    if (state.resolved) {
      this.effects.record(() => [
        { system: 'jira', op: 'comment', requestId: state.requestId, key: state.jira?.key, text: W.jira.ended(state) },
        { system: 'jira', op: 'close', requestId: state.requestId, key: state.jira?.key },
      ]);
    }
    this.effects.record([{ system: 'slack', op: 'dm', to: state.requester, notice: { kind: 'text', text: W.notice.ended(state) } }]);
    this.upsert();
    this.publish();
    await this.effects.drain();
    await condition(allHandlersFinished);
    this.publish();
    return state;
  }

  // ---- records

  private askApprovers(stepIndex: number, reminder: boolean): void {
    const { state } = this;
    const step = state.resolved!.steps[stepIndex]!;
    if (!reminder) this.audit('approval_step_opened', 'gatehouse', { step: stepIndex + 1, approvers: step.approvers, count: step.count });
    const channel = !reminder ? state.resolved!.slackChannel : undefined;
    this.effects.record(() => [
      { system: 'slack', op: 'approvals', step: stepIndex + 1, facts: this.facts(stepIndex, reminder), approvers: step.approvers, ...(channel ? { channel } : {}) },
    ]);
  }

  private closeStep(stepIndex: number): void {
    const { state } = this;
    const steps = state.resolved!.steps.length;
    const outcome = W.stepOutcome(state, stepIndex);
    this.effects.record(() => {
      const refs = this.approvalRefs.get(stepIndex + 1) ?? [];
      return [
        { system: 'jira', op: 'comment', requestId: state.requestId, key: state.jira?.key, text: W.jira.stepDecided(stepIndex + 1, steps, outcome) },
        ...(refs.length ? [{ system: 'slack' as const, op: 'decided' as const, facts: this.facts(stepIndex), refs, outcome }] : []),
      ];
    });
  }

  private facts(stepIndex: number, reminder = false): ApprovalMessageFacts {
    const { state } = this;
    const r = state.resolved!;
    return {
      requestId: state.requestId,
      requester: state.requester,
      resource: state.resource,
      resourceName: r.resourceName,
      durationMs: r.durationMs,
      justification: state.justification,
      jiraKey: state.jira?.key,
      jiraUrl: state.jira?.url,
      step: stepIndex + 1,
      steps: r.steps.length,
      reminder,
    };
  }

  /** An audit event numbered in this run (ids unique per run: a reset or a reused id loses nothing). */
  private event(type: string, actor: string, details: Record<string, unknown>): AuditEvent {
    const seq = ++this.auditSeq;
    return { id: `${this.state.requestId}:${workflowInfo().runId}:${seq}`, requestId: this.state.requestId, seq, type, actor, resource: this.state.resource, at: new Date().toISOString(), details };
  }

  private audit(type: string, actor: string, details: Record<string, unknown>): void {
    this.effects.record([{ system: 'audit', event: this.event(type, actor, details) }]);
  }

  /** What a batch of records returned: the Jira ticket, the approval messages, what was given up. */
  private absorb(result: EffectsResult): void {
    if (result.jira) this.state.jira = result.jira;
    for (const { step, refs } of result.approvals ?? []) this.approvalRefs.set(step, [...(this.approvalRefs.get(step) ?? []), ...refs]);
    this.state.sideEffectFailures.push(...result.failures);
    this.publish();
  }

  /** An HTTP decision's Idempotency-Key (its Update id) is remembered with who used it. */
  private rememberKey(actor: string): void {
    const id = currentUpdateInfo()?.id;
    if (id?.startsWith('http:')) (this.state.decisionKeys ??= {})[id] = actor;
  }

  /** Search attributes change only when what an operator searches for does: granted (and extended), ended. */
  private upsert(): void {
    upsertSearchAttributes([
      { key: SA.status, value: this.state.status },
      { key: SA.expiresAt, value: this.state.expiresAt ? new Date(this.state.expiresAt) : null },
    ]);
  }

  private publish(): void {
    setCurrentDetails(W.currentDetails(this.state, workflowInfo().runId));
  }
}
