import {
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { AuditEvent, SlackMessageRef } from '../../activities/ports';
import type { RiskActivities } from '../../activities/risk';
import { accessReviewWorkflowId, SA, userRiskWorkflowId } from '../constants';
import { Effects, type EffectsResult } from '../shared/effects';
import { critical, LOOKUPS, OKTA_DURABLE, OKTA_LOCAL, refusal } from '../shared/retry';
import { KIND } from '../shared/visibility';
import { accessReviewWorkflow } from './access-review';
import type { RiskEventInput } from './event';
import { riskEventSignal, userRiskQuery } from './messages';
import * as S from './state';
import type { IncidentRef, RiskMembership, RiskPolicySnapshot, RiskRevocation, RiskSignal, UserRiskInput, UserRiskState } from './types';
import * as W from './wording';

const local = proxyLocalActivities<RiskActivities>(OKTA_LOCAL);
const durable = proxyActivities<RiskActivities>(OKTA_DURABLE);
/** Best effort, after the local attempts: the records wait for it at most a few minutes (Okta down delays the e-mail, never a revoke). */
const lookups = proxyActivities<Pick<RiskActivities, 'lookupRiskSubject'>>({ ...LOOKUPS, scheduleToCloseTimeout: '5 minutes' });

/** Continue as new after this many events (or when Temporal suggests it), with the state carried. */
const EVENTS_PER_RUN = 200;

/**
 * `user-risk-<userId>`: one Okta user's risk, the serializer of their risk events (SPEC §12).
 * Every `risk-event-<uuid>` workflow signals its event here (signal-with-start), so one user's
 * events are handled one at a time, in arrival order, and applied in `published` order (an older
 * one changes nothing). An entity workflow: it waits for the next event for as long as the user
 * exists, and continues as new with its state before its history grows large.
 */
export async function userRiskWorkflow(input: UserRiskInput): Promise<void> {
  const user = new UserRisk(input);
  user.listen();
  await user.serve();
  await condition(allHandlersFinished);
  await continueAsNew<typeof userRiskWorkflow>({ ...input, login: user.state.login, carried: user.state, pending: user.pending() });
}

class UserRisk {
  readonly state: UserRiskState;
  private readonly inbox: RiskSignal[];
  /** Audit, Slack and mail; Jira has its own lane, so an outage there delays only the incident. */
  private readonly records = new Effects((r) => this.absorb(r));
  private readonly incidents = new Effects((r) => this.absorbIncident(r));
  /** Incidents whose open is in flight, oldest first (their results come back in that order). */
  private readonly opening: IncidentRef[] = [];
  private readonly posts = new Map<string, SlackMessageRef>();
  /** The HIGH posts whose incident line is still to be filled in, by incident. */
  private readonly highPosts = new Map<string, { key: string; render: (i: IncidentRef) => string }>();
  private handled = 0;
  private auditSeq = 0;

  private readonly eventsPerRun: number;

  constructor(input: UserRiskInput) {
    this.state = S.initialUserRisk(input);
    this.inbox = [...(input.pending ?? [])];
    this.eventsPerRun = input.eventsPerRun ?? EVENTS_PER_RUN;
  }

  listen(): void {
    setHandler(userRiskQuery, () => this.state);
    setHandler(riskEventSignal, (signal) => {
      const uuid = signal?.event?.uuid;
      if (!uuid || S.isDuplicate(this.state, uuid) || this.inbox.some((s) => s.event.uuid === uuid)) {
        log.info('risk event already seen: ignored', { uuid });
        return;
      }
      this.inbox.push(signal);
    });
  }

  /** What is still to handle when this run ends (the next one starts with it). */
  pending(): RiskSignal[] {
    return [...this.inbox];
  }

  /**
   * Handles events one at a time, for as long as there are any; returns (to continue as new) once
   * this run has done its share and nothing is in flight — records included, so no result is lost
   * between runs. A Jira outage delays that moment, never an event.
   */
  async serve(): Promise<void> {
    this.publish();
    const due = () => this.handled >= this.eventsPerRun || workflowInfo().continueAsNewSuggested;
    for (;;) {
      await condition(() => this.inbox.length > 0 || (due() && this.records.idle() && this.incidents.idle()));
      const next = this.inbox.shift();
      if (!next) return;
      if (S.isDuplicate(this.state, next.event.uuid)) continue;
      if (next.event.kind === 'level') await this.onLevel(next.event, next.policy);
      else await this.onAppAssignment(next.event, next.policy);
      this.handled++;
      this.records.flush();
      this.incidents.flush();
      this.publish();
    }
  }

  // ---- level changes

  private async onLevel(event: RiskEventInput, policy: RiskPolicySnapshot): Promise<void> {
    const { state } = this;
    const plan = S.planLevelChange(state, event);
    const facts = { eventUuid: event.uuid, published: event.published, level: event.level, previousLevel: event.previousLevel, detectionName: event.detectionName, reasons: event.reasons };
    if (plan.kind === 'stale') {
      S.recordEvent(state, event, 'stale', Date.now());
      S.recordAction(state, 'risk_event_stale', `${event.level} published ${event.published} ignored: a newer event (${plan.lastPublished}) was applied`, Date.now(), event.uuid);
      this.audit('risk_event_stale', 'risk', { ...facts, lastApplied: plan.lastPublished });
      return;
    }
    if (plan.kind === 'unchanged') {
      S.recordEvent(state, event, 'unchanged', Date.now());
      S.applyLevel(state, event, Date.now());
      this.audit('risk_event_recorded', 'risk', { ...facts, unchanged: true });
      return;
    }
    S.recordEvent(state, event, 'applied', Date.now());
    S.applyLevel(state, event, Date.now());
    S.recordAction(state, 'risk_level_changed', `${plan.from} → ${plan.to}`, Date.now(), event.uuid);
    this.audit('risk_level_changed', 'risk', { ...facts, from: plan.from, to: plan.to });
    upsertSearchAttributes([{ key: SA.status, value: W.levelWord(state.level) }]);

    const done: string[] = [];
    if (plan.leaveHigh) done.push(...(await this.leaveHigh(event)));
    if (plan.leaveMedium) done.push(...(await this.leaveGroup('medium', event)));
    if (plan.enterHigh) return this.enterHigh(event, policy);
    if (plan.enterMedium && policy.mediumGroupId) {
      const medium = await this.joinGroup(policy.mediumGroupId, 'medium', event);
      state.medium = medium;
      done.push(medium ? (medium.by === 'gatehouse' ? `put in the medium-risk group ${medium.groupId}` : `already in the medium-risk group ${medium.groupId}`) : `could not be put in the medium-risk group ${policy.mediumGroupId}`);
    }
    if (plan.leaveHigh && state.incident) done.push(W.incidentLine(state.incident));
    this.post(policy.securityChannel, `level:${event.uuid}`, W.slack.levelChanged(state, event, done));
  }

  /**
   * HIGH: the quarantine group and the revocation of every grant at once (critical, side by side);
   * then the records — audit, the security channel, the manager's e-mail — and the incident on its
   * own lane. Nothing here waits for Jira, Slack or mail.
   */
  private async enterHigh(event: RiskEventInput, policy: RiskPolicySnapshot): Promise<void> {
    const { state } = this;
    const args = { userId: state.userId, login: state.login, reason: W.revokeReason(event), eventUuid: event.uuid };
    const [quarantine, revocation, subject] = await Promise.all([
      this.joinGroup(policy.quarantineGroupId, 'quarantine', event),
      critical(() => local.revokeAccessForRisk(args), () => durable.revokeAccessForRisk(args)).catch((err: unknown): RiskRevocation | null => {
        if (!refusal(err)) throw err;
        this.audit('risk_revocation_failed', 'risk', { eventUuid: event.uuid, message: refusal(err)!.message });
        return null;
      }),
      critical(() => local.lookupRiskSubject({ userId: state.userId }), () => lookups.lookupRiskSubject({ userId: state.userId })).catch(() => null),
    ]);
    state.quarantine = quarantine;
    if (subject) {
      state.displayName = subject.displayName ?? state.displayName;
      state.manager = subject.manager;
    }
    this.recordRevocation(event, revocation);

    const log = W.systemLog(state.userId, event.orgUrl);
    const incident: IncidentRef = { requestId: `risk-${event.uuid}`, projectKey: policy.incident.projectKey, status: 'opening', eventUuid: event.uuid };
    state.incident = incident;
    this.opening.push(incident);
    // The post shows the state at HIGH; only its incident line changes when Jira answers.
    const snapshot = JSON.parse(JSON.stringify(state)) as UserRiskState;
    const render = (i: IncidentRef) => W.slack.high({ ...snapshot, incident: i }, event, revocation, log);
    this.highPosts.set(incident.requestId, { key: `high:${event.uuid}`, render });
    this.post(policy.securityChannel, `high:${event.uuid}`, render(incident));
    if (state.manager) {
      this.records.record([{ system: 'mail', to: [state.manager], content: W.managerMail(state, event, revocation, log) }]);
      S.recordAction(state, 'manager_notified', `e-mailed the manager ${state.manager}`, Date.now(), event.uuid);
    } else S.recordAction(state, 'manager_unknown', 'no manager in Okta to e-mail', Date.now(), event.uuid);
    this.records.flush();
    this.incidents.record([
      { system: 'jira', op: 'open', requestId: incident.requestId, projectKey: incident.projectKey, issueType: policy.incident.issueType, summary: W.jira.summary(state), description: W.jira.description(state, event, revocation, log) },
    ]);
  }

  private recordRevocation(event: RiskEventInput, r: RiskRevocation | null): void {
    const { state } = this;
    if (!r) return;
    for (const g of r.grants) {
      this.audit('grant_revoked_for_risk', g.resource, { eventUuid: event.uuid, requestId: g.requestId, groupId: g.groupId, workflowId: g.workflowId, how: g.how });
      S.recordAction(state, 'grant_revoked_for_risk', `revoked ${g.resource} (request ${g.requestId})`, Date.now(), event.uuid);
    }
    for (const c of r.cancelled) {
      this.audit('request_cancelled_for_risk', c.resource, { eventUuid: event.uuid, requestId: c.requestId, workflowId: c.workflowId });
      S.recordAction(state, 'request_cancelled_for_risk', `cancelled the pending request ${c.requestId} (${c.resource})`, Date.now(), event.uuid);
    }
    for (const a of r.temporaryAccounts) {
      this.audit('temporary_account_closed_for_risk', 'risk', { eventUuid: event.uuid, workflowId: a });
      S.recordAction(state, 'temporary_account_closed_for_risk', `closed the temporary account ${a}`, Date.now(), event.uuid);
    }
  }

  /** Leaving HIGH: out of quarantine only if Gatehouse put them there; the incident commented. Grants stay revoked. */
  private async leaveHigh(event: RiskEventInput): Promise<string[]> {
    const { state } = this;
    const ours = state.quarantine?.by === 'gatehouse';
    const lines = ours
      ? await this.leaveGroup('quarantine', event)
      : [state.quarantine ? `stays in the quarantine group ${state.quarantine.groupId} (placed there by an admin)` : 'was not in the quarantine group'];
    const released = ours && !state.quarantine;
    const incident = state.incident;
    if (incident) {
      const text = W.jira.left(state, released);
      // The key is read when the batch runs: the open before it may only then have returned it.
      this.incidents.record(() => [{ system: 'jira', op: 'comment', requestId: incident.requestId, key: incident.key, projectKey: incident.projectKey, text }]);
    }
    return [...lines, 'revoked grants are not restored'];
  }

  /** Adds the user to a group, remembering whether they were already there (then it is not Gatehouse's to undo). */
  private async joinGroup(groupId: string, which: 'quarantine' | 'medium', event: RiskEventInput): Promise<RiskMembership | null> {
    const args = { groupId, userId: this.state.userId };
    try {
      const already = await critical(() => local.isOktaGroupMember(args), () => durable.isOktaGroupMember(args));
      if (!already) await critical(() => local.setOktaGroupMembership({ ...args, member: true }), () => durable.setOktaGroupMembership({ ...args, member: true }));
      const membership: RiskMembership = { groupId, by: already ? 'admin' : 'gatehouse', at: new Date().toISOString() };
      const type = which === 'quarantine' ? 'quarantined' : 'medium_group_joined';
      this.audit(type, 'risk', { eventUuid: event.uuid, groupId, alreadyMember: already });
      S.recordAction(this.state, type, already ? `already in ${groupId}` : `added to ${groupId}`, Date.now(), event.uuid);
      return membership;
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      this.audit(`${which}_failed`, 'risk', { eventUuid: event.uuid, groupId, message: refused.message });
      S.recordAction(this.state, `${which}_failed`, `Okta refused ${groupId}: ${refused.message}`, Date.now(), event.uuid);
      return null;
    }
  }

  /** Takes the user out of the quarantine or medium group when Gatehouse put them there. */
  private async leaveGroup(which: 'quarantine' | 'medium', event: RiskEventInput): Promise<string[]> {
    const { state } = this;
    const membership = state[which];
    if (!membership || membership.by !== 'gatehouse') return [];
    const args = { groupId: membership.groupId, userId: state.userId, member: false };
    try {
      await critical(() => local.setOktaGroupMembership(args), () => durable.setOktaGroupMembership(args));
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      this.audit(`${which}_release_failed`, 'risk', { eventUuid: event.uuid, groupId: membership.groupId, message: refused.message });
      return [`could not be taken out of ${membership.groupId}: ${refused.message}`];
    }
    state[which] = null;
    const type = which === 'quarantine' ? 'released_from_quarantine' : 'medium_group_left';
    this.audit(type, 'risk', { eventUuid: event.uuid, groupId: membership.groupId });
    S.recordAction(state, type, `taken out of ${membership.groupId}`, Date.now(), event.uuid);
    return [`taken out of the ${which === 'medium' ? 'medium-risk' : 'quarantine'} group ${membership.groupId}`];
  }

  // ---- high-risk app assignments

  private async onAppAssignment(event: RiskEventInput, policy: RiskPolicySnapshot): Promise<void> {
    const { state } = this;
    const app = policy.app;
    S.recordEvent(state, event, 'handled', Date.now());
    if (!app) return;
    const outcome = S.appAssignmentOutcome(state.level, app);
    const facts = { eventUuid: event.uuid, appId: app.id, appName: app.name, level: state.level, assignedBy: event.actor };
    if (outcome === 'allow' || outcome === 'flag') {
      this.audit(outcome === 'allow' ? 'app_assignment_allowed' : 'app_assignment_flagged', app.id, facts);
      S.recordAction(state, `app_assignment_${outcome === 'allow' ? 'allowed' : 'flagged'}`, `${app.name} assigned at ${state.level}: allowed`, Date.now(), event.uuid);
      if (outcome === 'flag') this.post(policy.securityChannel, `app:${event.uuid}`, W.slack.appFlagged(state, app));
      return;
    }
    if (outcome === 'rollback') {
      const args = { appId: app.id, userId: state.userId };
      try {
        await critical(() => local.unassignOktaApp(args), () => durable.unassignOktaApp(args));
        this.audit('app_assignment_rolled_back', app.id, facts);
        S.recordAction(state, 'app_assignment_rolled_back', `${app.name}: assignment rolled back`, Date.now(), event.uuid);
        this.post(policy.securityChannel, `app:${event.uuid}`, W.slack.appRolledBack(state, app, true));
      } catch (err) {
        const refused = refusal(err);
        if (!refused) throw err;
        this.audit('app_assignment_rollback_failed', app.id, { ...facts, message: refused.message });
        this.post(policy.securityChannel, `app:${event.uuid}`, W.slack.appRolledBack(state, app, false, refused.message));
      }
      return;
    }
    const reviewId = S.reviewIdFor(event.uuid);
    try {
      await startChild(accessReviewWorkflow, {
        workflowId: accessReviewWorkflowId(reviewId),
        args: [{ reviewId, userId: state.userId, login: state.login, ...(state.displayName ? { displayName: state.displayName } : {}), app, level: state.level, eventUuid: event.uuid, securityChannel: policy.securityChannel, ...(policy.reviewersGroupId ? { reviewersGroupId: policy.reviewersGroupId } : {}), openedAt: new Date().toISOString() }],
        // The review outlives this run (continue-as-new) and answers on its own.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: SA.kind, value: KIND.accessReview },
          { key: SA.status, value: 'pending' },
          { key: SA.requester, value: state.login },
          { key: SA.resource, value: app.id },
        ],
        staticSummary: W.summary.review(state.login, app),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    state.reviews.push(reviewId);
    S.recordAction(state, 'review_requested', `${app.name}: sent for review ${reviewId}`, Date.now(), event.uuid);
    this.post(policy.securityChannel, `app:${event.uuid}`, W.slack.reviewOpened(state, app, reviewId));
  }

  // ---- records

  private post(channel: string, key: string, text: string): void {
    this.records.record([{ system: 'slack', op: 'post', key, channel, text }]);
  }

  private audit(type: string, resource: string, details: Record<string, unknown>): void {
    const seq = ++this.auditSeq;
    const requestId = userRiskWorkflowId(this.state.userId);
    const event: AuditEvent = { id: `${requestId}:${workflowInfo().runId}:${seq}`, requestId, seq, type, actor: S.RISK_ACTOR, resource, at: new Date().toISOString(), details: { login: this.state.login, userId: this.state.userId, via: 'okta-hook', ...details } };
    this.records.record([{ system: 'audit', event }]);
  }

  private absorb(result: EffectsResult): void {
    for (const { key, ref } of result.posts ?? []) this.posts.set(key, ref);
    for (const f of result.failures) S.recordAction(this.state, 'record_failed', `${f.action}: ${f.message}`, Date.now());
    this.publish();
  }

  /** An incident's open came back (or was given up): its post is updated in place, its record written. */
  private absorbIncident(result: EffectsResult): void {
    const failedOpen = result.failures.find((f) => f.action === 'jira open');
    for (const f of result.failures) if (f !== failedOpen) S.recordAction(this.state, 'record_failed', `${f.action}: ${f.message}`, Date.now());
    if (!result.jira && !failedOpen) return;
    const incident = this.opening.shift();
    if (!incident) return;
    if (result.jira) Object.assign(incident, { status: 'open', key: result.jira.key, url: result.jira.url });
    else Object.assign(incident, { status: 'failed', error: failedOpen!.message });
    this.audit(incident.status === 'open' ? 'incident_opened' : 'incident_failed', 'risk', { eventUuid: incident.eventUuid, key: incident.key, url: incident.url, projectKey: incident.projectKey, error: incident.error });
    S.recordAction(this.state, incident.status === 'open' ? 'incident_opened' : 'incident_failed', W.incidentLine(incident), Date.now(), incident.eventUuid);
    const high = this.highPosts.get(incident.requestId);
    if (high) {
      this.highPosts.delete(incident.requestId);
      const text = high.render({ ...incident });
      this.records.record(() => {
        const ref = this.posts.get(high.key);
        return ref ? [{ system: 'slack', op: 'update', ref, notice: { kind: 'text', text } }] : [];
      });
    }
    this.records.flush();
    this.publish();
  }

  private publish(): void {
    setCurrentDetails(W.userRiskDetails(this.state));
  }
}
