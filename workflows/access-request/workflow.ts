import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  currentUpdateInfo,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { SlackMessageRef } from '../../activities/ports';
import type { ApprovalMessageFacts } from '../../activities/slack-messages';
import { SA } from '../constants';
import { allWellFormed } from '../shared/text';
import { Lane } from './lanes';
import {
  approveUpdate,
  cancelUpdate,
  denyUpdate,
  extendUpdate,
  revokeSignal,
  revokeUpdate,
  statusQuery,
  type DecisionInput,
  type RevokeInput,
} from './messages';
import * as S from './state';
import type { RejectionReason } from './errors';
import type { AccessRequestInput, RequestState } from './types';

/** Okta grant and revoke: retried until they succeed; only a refusal (404, 400) stops them. */
const okta = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
/** Records: retried in the background for an hour, then given up on and recorded as failed. */
const records = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});
/** Audit appends go to Gatehouse's own store: retried for a day. */
const auditing = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

function reject(reason: RejectionReason | null): void {
  if (reason) throw ApplicationFailure.create({ type: reason.type, message: reason.message, nonRetryable: true });
}

/**
 * One access request, from submission to the end of the grant (SPEC §4): resolve against the
 * policy, collect approvals step by step, add the Okta membership, sleep until expiry (extendable),
 * then remove it — in `finally`, so a cancelled workflow revokes too.
 */
export async function accessRequestWorkflow(input: AccessRequestInput): Promise<RequestState> {
  const state = S.initialState(input, Date.now());
  let auditSeq = 0;
  const approvalMessages: { step: number; refs: SlackMessageRef[] }[] = [];
  const recordFailure = (system: string, action: string, message: string) =>
    state.sideEffectFailures.push({ system, action, message, at: new Date().toISOString() });
  const jiraLane = new Lane('jira', recordFailure);
  const slackLane = new Lane('slack', recordFailure);
  const auditLane = new Lane('audit', recordFailure);

  const audit = (type: string, actor: string, details?: Record<string, unknown>) => {
    const seq = ++auditSeq;
    // Unique per run: after a reset (a new run replaying this one) or an id reused past retention,
    // the new run's events are new rows, not silently dropped duplicates.
    const event = { id: `${input.requestId}:${workflowInfo().runId}:${seq}`, requestId: input.requestId, seq, type, actor, resource: input.resource, at: new Date().toISOString(), details };
    auditLane.push(type, () => auditing.recordAuditEvent(event));
  };
  const jiraComment = (text: string) => jiraLane.push('comment', async () => (state.jira ? records.commentOnJiraTicket({ key: state.jira.key, text }) : undefined));
  const tellRequester = (notice: Parameters<Activities['notifySlackRequester']>[0]['notice']) =>
    slackLane.push(`notify ${notice.kind}`, () => records.notifySlackRequester({ requestId: input.requestId, requester: input.requester, notice }));

  /** Search attributes and current details follow the state, so the Web UI tells the story. */
  const publish = () => {
    upsertSearchAttributes([
      { key: SA.status, value: state.status },
      { key: SA.expiresAt, value: state.expiresAt ? new Date(state.expiresAt) : null },
    ]);
    setCurrentDetails(describe(state));
  };

  /** An HTTP decision's Idempotency-Key (its Update id) is remembered with who used it. */
  const rememberKey = (actor: string) => {
    const id = currentUpdateInfo()?.id;
    if (id?.startsWith('http:')) (state.decisionKeys ??= {})[id] = actor;
  };

  // ---- message handlers: registered first, so nothing sent early is rejected for lack of one.
  setHandler(statusQuery, () => state);
  // Approve and deny: one validator, one shape of handler.
  const decision = (apply: typeof S.applyApproval, type: 'approved' | 'denied') => ({
    handler: (d: DecisionInput) => {
      apply(state, d, Date.now());
      rememberKey(d.approver);
      audit(type, d.approver, { step: state.approvals.at(-1)?.step, via: d.via ?? 'http', comment: d.comment, reason: d.reason });
      // The requester hears of each approval (a denial ends the request: the final DM says so).
      if (type === 'approved' && patched('slack-requester-decision-dm')) {
        const step = state.approvals.at(-1)?.step ?? state.currentStep + 1;
        const next =
          state.status === 'provisioning' ? 'access is being granted'
          : state.currentStep + 1 === step ? `step ${step} needs more approvals`
          : `step ${state.currentStep + 1} of ${state.resolved?.steps.length} is next`;
        tellRequester({ kind: 'decided', text: `:white_check_mark: ${d.approver} approved your request for ${state.resolved?.resourceName ?? input.resource} (step ${step} of ${state.resolved?.steps.length}): ${next}.` });
      }
      return state;
    },
    validator: (d: DecisionInput) => reject(S.checkDecision(state, d)),
  });
  const approve = decision(S.applyApproval, 'approved');
  const deny = decision(S.applyDenial, 'denied');
  setHandler(approveUpdate, approve.handler, { validator: approve.validator });
  setHandler(denyUpdate, deny.handler, { validator: deny.validator });
  setHandler(
    cancelUpdate,
    (c) => {
      S.applyCancel(state, c, Date.now());
      rememberKey(c.actor);
      audit('cancelled', c.actor, { via: c.via ?? 'http' });
      return state;
    },
    { validator: (c) => reject(S.checkCancel(state, c)) },
  );
  setHandler(
    extendUpdate,
    (e) => {
      S.applyExtension(state, e, Date.now());
      rememberKey(e.actor);
      audit('extended', e.actor, { expiresAt: state.expiresAt, durationMs: e.durationMs, via: e.via ?? 'http' });
      publish();
      return state;
    },
    { validator: (e) => reject(S.checkExtend(state, e)) },
  );
  const requestRevoke = (r: RevokeInput) => {
    S.applyRevokeRequest(state, r, Date.now());
    audit('revoke_requested', r.actor, { reason: r.reason, via: r.via ?? 'http' });
  };
  setHandler(
    revokeUpdate,
    (r) => {
      requestRevoke(r);
      rememberKey(r.actor);
      return state;
    },
    { validator: (r) => reject(S.checkRevoke(state, r)) },
  );
  // A signal cannot be refused: it ends whatever is open (a pending request is cancelled).
  setHandler(revokeSignal, (r) => {
    // A signal cannot be refused, only dropped: ill-formed text never enters the state.
    if (!allWellFormed(r)) {
      log.warn('revoke signal with ill-formed text dropped');
      return;
    }
    if (state.status === 'pending_approval') {
      S.finish(state, 'cancelled', Date.now(), `cancelled by ${r.actor}${r.reason ? `: ${r.reason}` : ''}`);
      audit('cancelled', r.actor, { reason: r.reason, via: r.via ?? 'system' });
    } else if ((state.status === 'active' || state.status === 'provisioning') && !state.revokeRequested) {
      requestRevoke(r);
    }
  });

  publish();
  audit('requested', input.requester, { durationMs: input.durationMs, justification: input.justification, via: state.via });

  let membershipAdded = false;
  try {
    // ---- resolution: once, the snapshot is kept in the state.
    const resolution = await okta.resolveAccessRequest(input);
    if (!resolution.ok) {
      S.finish(state, 'failed', Date.now(), `${resolution.code}: ${resolution.message}`);
      audit('failed', 'gatehouse', { code: resolution.code, message: resolution.message });
      return await settle();
    }
    const r = (state.resolved = resolution.resolved);
    audit('resolved', 'gatehouse', { policy: r });
    jiraLane.push('open', async () => {
      state.jira = await records.openJiraTicket({
        requestId: input.requestId,
        requester: input.requester,
        resource: input.resource,
        resourceName: r.resourceName,
        durationMs: r.durationMs,
        justification: input.justification,
      });
    });
    tellRequester({ kind: 'submitted', text: `Your request for ${r.resourceName} (${S.formatDuration(r.durationMs)}) was submitted (request ${input.requestId}).` });

    // ---- approvals
    if (r.autoApprove) {
      S.approveAutomatically(state);
      audit('approved', 'gatehouse', { auto: true });
    }
    const deadline = Date.now() + r.approvalTimeoutMs;
    while (state.status === 'pending_approval') {
      const stepIndex = state.currentStep;
      const stepOpenedAt = Date.now();
      openApprovalStep(stepIndex, false);
      let remindersThisStep = 0;
      while (state.status === 'pending_approval' && state.currentStep === stepIndex) {
        const reminderAt = S.nextReminderAt(stepOpenedAt, r.reminderAfterMs, remindersThisStep);
        const wakeAt = Math.min(deadline, reminderAt);
        const decided = await condition(() => state.status !== 'pending_approval' || state.currentStep !== stepIndex, Math.max(wakeAt - Date.now(), 1));
        if (decided) break;
        if (Date.now() >= deadline) {
          S.finish(state, 'approval_timed_out', Date.now(), `no decision within ${S.formatDuration(r.approvalTimeoutMs)}`);
          audit('approval_timed_out', 'gatehouse', {});
          break;
        }
        remindersThisStep++;
        state.remindersSent++;
        openApprovalStep(stepIndex, true);
        audit('reminder_sent', 'gatehouse', { step: stepIndex + 1, reminder: state.remindersSent });
      }
      closeApprovalStep(stepIndex);
    }
    if (state.status !== 'provisioning') return await settle();

    // ---- grant
    publish();
    const membership = { groupId: r.oktaGroupId, userId: r.requesterUserId };
    // Checked in its own activity, before the add: a retried add can't mistake its own work for standing access.
    const { member } = await okta.checkOktaGroupMembership(membership);
    if (!member) {
      membershipAdded = true;
      try {
        await okta.addUserToOktaGroup(membership);
      } catch (err) {
        if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
          membershipAdded = false; // refused: nothing was added, nothing to remove
          S.finish(state, 'failed', Date.now(), `Okta refused the grant: ${err.cause.message}`);
          audit('failed', 'gatehouse', { stage: 'grant', message: err.cause.message });
          return await settle();
        }
        throw err;
      }
    }
    S.applyGrant(state, Date.now(), member);
    publish();
    audit('granted', 'gatehouse', { standingMember: member, expiresAt: state.expiresAt, groupId: r.oktaGroupId });
    jiraComment(`Access granted${member ? ' (already a standing member: membership is left in place at the end)' : ''} until ${state.expiresAt}.`);
    tellRequester({ kind: 'granted', resourceName: r.resourceName, expiresAt: state.expiresAt! });

    // ---- the grant timer: durable, extendable, ends early on revoke.
    while (!state.revokeRequested) {
      const expiresAt = Date.parse(state.expiresAt!);
      if (Date.now() >= expiresAt) break;
      const warnAt = S.expiryWarningDueAt(state);
      const wakeAt = warnAt !== undefined && warnAt < expiresAt ? warnAt : expiresAt;
      const seen = state.expiresAt;
      const changed = await condition(() => !!state.revokeRequested || state.expiresAt !== seen, Math.max(wakeAt - Date.now(), 1));
      if (changed) {
        if (state.expiresAt !== seen) jiraComment(`Extended by ${state.extensions.at(-1)?.by} until ${state.expiresAt}.`);
        continue;
      }
      if (warnAt !== undefined && Date.now() >= warnAt && Date.now() < expiresAt) {
        state.expiryWarnedFor = state.expiresAt;
        tellRequester({ kind: 'warning', resourceName: r.resourceName, expiresAt: state.expiresAt! });
        audit('expiry_warned', 'gatehouse', { expiresAt: state.expiresAt });
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The workflow itself was cancelled (an operator, or Temporal): end the request; `finally` revokes.
    if (state.status === 'pending_approval') {
      S.finish(state, 'cancelled', Date.now(), 'the workflow was cancelled');
      audit('cancelled', 'system:workflow-cancelled', {});
    } else if (!S.isFinal(state.status)) {
      state.revokeRequested ??= { by: 'system:workflow-cancelled', at: new Date().toISOString(), reason: 'workflow cancelled' };
    }
  } finally {
    await CancellationScope.nonCancellable(async () => {
      if (state.status === 'active' || state.status === 'provisioning' || membershipAdded) await revoke(membershipAdded);
    });
  }
  return await CancellationScope.nonCancellable(settle);

  // ---- helpers (hoisted; they close over the state above)

  function facts(stepIndex: number, reminder = false): ApprovalMessageFacts {
    const r = state.resolved!;
    return {
      requestId: input.requestId,
      requester: input.requester,
      resource: input.resource,
      resourceName: r.resourceName,
      durationMs: r.durationMs,
      justification: input.justification,
      jiraKey: state.jira?.key,
      jiraUrl: state.jira?.url,
      step: stepIndex + 1,
      steps: r.steps.length,
      reminder,
    };
  }

  function openApprovalStep(stepIndex: number, reminder: boolean) {
    const step = state.resolved!.steps[stepIndex]!;
    if (!reminder) audit('approval_step_opened', 'gatehouse', { step: stepIndex + 1, approvers: step.approvers, count: step.count });
    slackLane.push(reminder ? 'remind approvers' : 'ask approvers', async () => {
      const { messages } = await records.postSlackApprovalRequests({
        ...facts(stepIndex, reminder),
        approvers: step.approvers,
        // The channel gets the request once; reminders go to the approvers only.
        ...(state.resolved!.slackChannel && !reminder ? { channel: state.resolved!.slackChannel } : {}),
      });
      approvalMessages.push({ step: stepIndex, refs: messages });
    });
  }

  function closeApprovalStep(stepIndex: number) {
    const decision = state.approvals.filter((a) => a.step === stepIndex + 1);
    const by = decision.map((a) => (a.decision === 'approved' ? `Approved by ${a.approver}` : `Denied by ${a.approver}${a.comment ? ` (${a.comment})` : ''}`)).join(', ');
    const steps = state.resolved!.steps.length;
    const outcome =
      state.status === 'approval_timed_out' ? `:hourglass: Timed out without a decision — step ${stepIndex + 1} of ${steps}`
      : state.status === 'cancelled' ? `:no_entry_sign: Cancelled — ${state.endReason}`
      : `${by || 'Decided'} — step ${stepIndex + 1} of ${steps}`;
    jiraComment(`Step ${stepIndex + 1} of ${steps}: ${outcome}.`);
    slackLane.push('update approval messages', async () => {
      const refs = approvalMessages.filter((m) => m.step === stepIndex).flatMap((m) => m.refs);
      if (refs.length) await records.updateSlackApprovalMessages({ facts: facts(stepIndex), messages: refs, outcome });
    });
  }

  async function revoke(added: boolean) {
    const r = state.resolved!;
    state.status = 'revoking';
    publish();
    const standing = state.standingMember === true;
    if (added && !standing) {
      // Unlimited retries: only a refusal other than "already gone" (handled in the adapter) ends it.
      try {
        await okta.removeUserFromOktaGroup({ groupId: r.oktaGroupId, userId: r.requesterUserId });
      } catch (err) {
        if (!(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable)) throw err;
        log.error('Okta refused the revocation', { message: err.cause.message });
        S.finish(state, 'failed', Date.now(), `Okta refused the revocation: ${err.cause.message}`);
        audit('failed', 'gatehouse', { stage: 'revoke', message: err.cause.message });
        return;
      }
    }
    const early = state.revokeRequested;
    if (early) {
      S.finish(state, 'revoked', Date.now(), `revoked by ${early.by}${early.reason ? `: ${early.reason}` : ''}`);
      audit('revoked', early.by, { reason: early.reason, standingMember: standing });
    } else {
      S.finish(state, 'expired', Date.now(), 'the granted time ran out');
      audit('expired', 'gatehouse', { standingMember: standing });
    }
  }

  /** Final records, then wait for everything queued and every handler before returning. */
  async function settle(): Promise<RequestState> {
    publish();
    const ended = `Request ${state.status}: ${state.endReason ?? ''}`.trim();
    if (state.jira || state.resolved) {
      jiraComment(ended);
      jiraLane.push('close', async () => (state.jira ? records.transitionJiraTicket({ key: state.jira.key, status: 'Done' }) : undefined));
    }
    tellRequester({ kind: 'ended', text: `Your request for ${state.resolved?.resourceName ?? input.resource} ended: ${state.status} (${state.endReason ?? ''}).` });
    await Promise.all([jiraLane.drain(), slackLane.drain()]);
    await auditLane.drain();
    await condition(allHandlersFinished);
    publish();
    return state;
  }
}

function describe(s: RequestState): string {
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
  lines.push(`Run: ${workflowInfo().runId}`);
  return lines.join('\n');
}
