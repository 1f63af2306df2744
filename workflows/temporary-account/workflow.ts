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
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AuditEvent } from '../../activities/ports';
import type { CreateAccountInput, CreateAccountResult, TemporaryAccountActivities } from '../../activities/temporary-accounts';
import type { AccountNoticeFacts } from '../../activities/temporary-account-messages';
import { SA } from '../constants';
import { Effects, type Effect, type EffectsResult } from '../shared/effects';
import { ACCOUNT_DURABLE, ACCOUNT_LOCAL, critical, OKTA_DURABLE, OKTA_LOCAL, refusal, timeAfter } from '../shared/retry';
import { AccountFailure, type RejectionReason } from './errors';
import { accountStatusQuery, closeAccountUpdate, closeSignal, extendAccountUpdate } from './messages';
import * as S from './state';
import * as W from './wording';
import type { AccountState, TemporaryAccountInput } from './types';

const lookupLocal = proxyLocalActivities<TemporaryAccountActivities>(OKTA_LOCAL);
const lookupDurable = proxyActivities<TemporaryAccountActivities>(OKTA_DURABLE);
const oktaLocal = proxyLocalActivities<TemporaryAccountActivities>(ACCOUNT_LOCAL);
const oktaDurable = proxyActivities<TemporaryAccountActivities>(ACCOUNT_DURABLE);

/** A login found taken at creation is chosen again, a few times at most (Okta's search index lags creates). */
const MAX_LOGIN_CHOICES = 5;

/**
 * One temporary Okta account, from the manager's request to its deletion (SPEC §11):
 * provision (login → user + credential) → announce → holdUntilExpiry → close → settle.
 * The close runs in `finally`, so a cancelled workflow closes the account too.
 */
export async function temporaryAccountWorkflow(input: TemporaryAccountInput): Promise<AccountState> {
  const account = new TemporaryAccount(input);
  account.listen();
  try {
    if (await account.provision()) {
      account.announce();
      await account.holdUntilExpiry();
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    account.onWorkflowCancelled();
  } finally {
    await CancellationScope.nonCancellable(() => account.close());
  }
  return CancellationScope.nonCancellable(() => account.settle());
}

function reject(reason: RejectionReason | null): void {
  if (reason) throw ApplicationFailure.create({ type: reason.type, message: reason.message, nonRetryable: true });
}

/** The account's state, its records and its phases. Rules live in state.ts; words in wording.ts. */
class TemporaryAccount {
  readonly state: AccountState;
  private readonly effects = new Effects((result) => this.absorb(result), true);
  private auditSeq = 0;
  /** A create was sent to Okta: the end must look for the user, even if no answer came back. */
  private createStarted = false;
  private signInUrl?: string;
  /** When the create answered: the hold's first decision is taken on it (see timeAfter). */
  private createdAtClock: number | undefined;

  constructor(private readonly input: TemporaryAccountInput) {
    this.state = S.initialState(input, Date.now());
  }

  // ---- handlers: registered first, so nothing sent early is refused for lack of one.

  listen(): void {
    const { state } = this;
    setHandler(accountStatusQuery, () => state);
    setHandler(
      extendAccountUpdate,
      (e) => {
        S.applyExtension(state, e, Date.now());
        this.rememberKey(e.actor);
        this.audit('extended', e.actor, { durationMs: e.durationMs, expiresAt: state.expiresAt, via: e.via ?? 'http' });
        return state;
      },
      { validator: (e) => reject(S.checkExtend(state, e)) },
    );
    setHandler(
      closeAccountUpdate,
      (c) => {
        S.applyCloseRequest(state, c, Date.now());
        this.rememberKey(c.actor);
        this.audit('close_requested', c.actor, { reason: c.reason, via: c.via ?? 'http' });
        return state;
      },
      { validator: (c) => reject(S.checkClose(state, c)) },
    );
    // A signal cannot be refused (risk response at HIGH): it closes whatever is open.
    setHandler(closeSignal, (c) => {
      if (S.onCloseSignal(state, c, Date.now())) this.audit('close_requested', c.actor, { reason: c.reason, via: c.via ?? 'system' });
      else log.info('close signal changed nothing', { status: state.status });
    });
  }

  // ---- phases

  /** The login (decided once, kept), then the user and its credential (one activity). False: nothing to hold. */
  async provision(): Promise<boolean> {
    const { state } = this;
    this.audit('temporary_account_requested', state.manager, {
      firstName: state.firstName,
      lastName: state.lastName,
      personalEmail: state.personalEmail,
      groups: state.groups,
      validityMs: state.validityMs,
      reason: state.reason,
      via: state.via,
    });
    const taken: string[] = [];
    for (;;) {
      if (!state.login && !(await this.chooseLogin(taken))) return false;
      if (state.closeRequested) return false;
      this.createStarted = true;
      let result: CreateAccountResult | null;
      try {
        result = await this.create(state.login!);
      } catch (err) {
        const refused = refusal(err);
        if (!refused) throw err;
        if (refused.type === AccountFailure.LoginTaken && taken.length < MAX_LOGIN_CHOICES) {
          this.audit('login_taken', 'gatehouse', { login: state.login, message: refused.message });
          taken.push(state.login!);
          state.login = undefined;
          continue;
        }
        return this.fail(W.endReason.createRefused(refused.message), 'create');
      }
      if (!result) return false; // closed while being made: the end finds the user by login
      this.activate(result);
      return state.status === 'active';
    }
  }

  /** The first free login for these names, against Okta's users. False when none can be made. */
  private async chooseLogin(taken: string[]): Promise<boolean> {
    const { state } = this;
    const r = state.resolved;
    const args = { firstName: state.firstName, lastName: state.lastName, pattern: r.loginPattern, domain: r.domain, ...(taken.length ? { exclude: taken } : {}) };
    try {
      state.login = (await critical(() => lookupLocal.chooseTemporaryAccountLogin(args), () => lookupDurable.chooseTemporaryAccountLogin(args))).login;
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      return this.fail(W.endReason.loginFailed(refused.message), 'login');
    }
    this.audit('login_chosen', 'gatehouse', { login: state.login });
    this.publish();
    return true;
  }

  /** The create activity, given up (null) as soon as someone closes the account meanwhile. */
  private async create(login: string): Promise<CreateAccountResult | null> {
    const { state } = this;
    const args: CreateAccountInput = {
      accountId: state.accountId,
      login,
      firstName: state.firstName,
      lastName: state.lastName,
      manager: state.manager,
      groupIds: state.resolved.groups.map((g) => g.groupId),
      validityMs: state.validityMs,
    };
    const scope = new CancellationScope();
    const work = scope.run(() => critical(() => oktaLocal.createTemporaryAccount(args), () => oktaDurable.createTemporaryAccount({ ...args, afterLocalAttempts: true })));
    // Left pending when no close comes; rejected (and ignored) if the workflow itself is cancelled.
    condition(() => !!state.closeRequested).then(
      () => scope.cancel(),
      () => undefined,
    );
    try {
      return await work;
    } catch (err) {
      if (isCancellation(err) && state.closeRequested) return null;
      throw err;
    }
  }

  private activate(result: CreateAccountResult): void {
    const { state } = this;
    // The activity's own clock: a local activity's workflow time is when it was scheduled.
    S.applyCreated(state, { userId: result.userId, at: Date.parse(result.createdAt) });
    this.createdAtClock = timeAfter({ completedAt: result.createdAt });
    state.credential = result.credential;
    this.signInUrl = result.signInUrl;
    this.audit('account_created', 'gatehouse', { userId: result.userId, login: state.login, groups: state.resolved.groups.map((g) => g.groupId), expiresAt: state.expiresAt });
    // What was sent and to whom: never the credential (the activity never returns it).
    this.audit('credential_sent', 'gatehouse', { kind: result.credential.kind, to: result.credential.sentTo, at: result.credential.at });
    this.upsert(true);
  }

  /** The manager (mail and Slack) and the employee (mail: the login, no credential). */
  announce(): void {
    const { state } = this;
    this.effects.record(() => [
      { system: 'mail', to: [state.manager], content: W.mail.ready(state), notification: 'account_ready' },
      { system: 'slack', op: 'dm', to: state.manager, notice: { kind: 'account_ready', facts: this.noticeFacts() }, notification: 'account_ready' },
      ...(state.personalEmail ? [{ system: 'mail' as const, to: [state.personalEmail], content: W.mail.welcome(state, this.signInUrl), notification: 'welcome' }] : []),
    ]);
    this.effects.flush();
    this.publish();
  }

  /** The durable, extendable timer (never past createdAt + maxTotal), with the warning; ends early on a close. */
  async holdUntilExpiry(): Promise<void> {
    const { state } = this;
    // Right after the create's local activity the clock is not replay-safe (timeAfter).
    let now = this.createdAtClock ?? Date.now();
    while (!state.closeRequested) {
      const expiresAt = Date.parse(state.expiresAt!);
      if (now >= expiresAt) break;
      const warnAt = S.expiryWarningDueAt(state);
      const wakeAt = warnAt !== undefined && warnAt < expiresAt ? warnAt : expiresAt;
      const seen = state.expiresAt;
      const changed = await condition(() => !!state.closeRequested || state.expiresAt !== seen, Math.max(wakeAt - now, 1));
      now = Date.now();
      if (changed) {
        if (state.expiresAt !== seen) this.upsert(false);
        this.effects.flush();
        this.publish();
        continue;
      }
      if (warnAt !== undefined && now >= warnAt && now < expiresAt) this.warn();
    }
  }

  private warn(): void {
    const { state } = this;
    state.expiryWarnedFor = state.expiresAt;
    this.audit('expiry_warned', 'gatehouse', { expiresAt: state.expiresAt });
    this.effects.record(() => [
      { system: 'mail', to: [state.manager], content: W.mail.expiring(state), notification: 'expiry_warning' },
      { system: 'slack', op: 'dm', to: state.manager, notice: { kind: 'account_warning', facts: this.noticeFacts() }, notification: 'expiry_warning' },
    ]);
    this.effects.flush();
  }

  onWorkflowCancelled(): void {
    if (S.onWorkflowCancelled(this.state, Date.now())) this.audit('close_requested', S.WORKFLOW_CANCELLED_ACTOR, { reason: 'workflow cancelled' });
  }

  /**
   * Clears the sessions, deactivates and deletes the user (unlimited retries; a user already gone
   * is done). Records go out in the background: mail, Slack or Jira never hold it up.
   */
  async close(): Promise<void> {
    const { state } = this;
    if (!this.createStarted || !state.login) return;
    const failed = state.status === 'failed';
    const end = S.endOf(state);
    if (!failed) {
      state.status = 'closing';
      this.upsert(false);
    }
    // Sent with the closing notices: the close never waits for, nor pays a task for, its records.
    this.audit('closing', end.by, { reason: end.reason, login: state.login, userId: state.userId });
    this.publish();
    const args = { accountId: state.accountId, login: state.login, manager: state.manager, ...(state.userId ? { userId: state.userId } : {}) };
    try {
      // At expiry, local first. A close someone asked for runs as a regular activity: a local one
      // would hold the workflow task, and with it the answer to their Update, until Okta answers.
      const result = await (state.closeRequested ? oktaDurable.closeTemporaryAccount(args) : critical(() => oktaLocal.closeTemporaryAccount(args), () => oktaDurable.closeTemporaryAccount(args)));
      if (!failed) S.finish(state, 'closed', Date.parse(result.closedAt), end.reason);
      this.audit('account_closed', 'gatehouse', { outcome: result.outcome, userId: result.userId ?? state.userId, login: state.login });
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      log.error('Okta refused to close the temporary account', { message: refused.message });
      this.fail(W.endReason.closeRefused(refused.message), 'close');
      this.effects.record(() => [{ system: 'slack', op: 'security', text: W.notice.securityCloseRefused(state) }]);
    }
  }

  /** The closing notices, then every batch and handler finished, before the result. */
  async settle(): Promise<AccountState> {
    const { state } = this;
    if (state.status === 'closed' && state.userId) {
      this.effects.record(() => [
        { system: 'mail', to: [state.manager], content: W.mail.closedForManager(state), notification: 'account_closed' },
        { system: 'slack', op: 'dm', to: state.manager, notice: { kind: 'text', text: W.notice.closed(state) }, notification: 'account_closed' },
        ...(state.personalEmail ? [{ system: 'mail' as const, to: [state.personalEmail], content: W.mail.closedForEmployee(state), notification: 'account_closed' }] : []),
      ]);
    } else if (state.status === 'failed') {
      this.effects.record(() => [{ system: 'slack', op: 'dm', to: state.manager, notice: { kind: 'text', text: W.notice.failed(state) }, notification: 'account_failed' } satisfies Effect]);
    }
    this.upsert(false);
    this.publish();
    await this.effects.drain();
    await condition(allHandlersFinished);
    this.publish();
    return state;
  }

  // ---- records

  private fail(reason: string, stage: string): false {
    S.finish(this.state, 'failed', Date.now(), reason);
    this.audit('failed', 'gatehouse', { stage, message: reason });
    return false;
  }

  private noticeFacts(): AccountNoticeFacts {
    const { state } = this;
    return {
      accountId: state.accountId,
      login: state.login!,
      name: W.fullName(state),
      expiresAt: state.expiresAt!,
      maxExpiresAt: state.maxExpiresAt,
      ...(state.resolved.portalUrl ? { portalUrl: state.resolved.portalUrl } : {}),
    };
  }

  /** An audit event numbered in this run; its resource is the login once chosen. */
  private audit(type: string, actor: string, details: Record<string, unknown>): void {
    const seq = ++this.auditSeq;
    const event: AuditEvent = {
      id: `${this.state.accountId}:${workflowInfo().runId}:${seq}`,
      requestId: this.state.accountId,
      seq,
      type,
      actor,
      resource: this.state.login ?? 'temporary-account',
      at: new Date().toISOString(),
      details,
    };
    this.effects.record([{ system: 'audit', event }]);
  }

  private absorb(result: EffectsResult): void {
    this.state.notifications.push(...(result.notified ?? []));
    this.state.sideEffectFailures.push(...result.failures);
    this.publish();
  }

  /** An HTTP change's Idempotency-Key (its Update id) is remembered with who used it. */
  private rememberKey(actor: string): void {
    const id = currentUpdateInfo()?.id;
    if (id?.startsWith('http:')) (this.state.decisionKeys ??= {})[id] = actor;
  }

  /** Search attributes change when what an operator searches for does: the login (once), status, expiry. */
  private upsert(withLogin: boolean): void {
    upsertSearchAttributes([
      ...(withLogin ? [{ key: SA.resource, value: this.state.login! }] : []),
      { key: SA.status, value: this.state.status },
      { key: SA.expiresAt, value: this.state.expiresAt && !this.state.closedAt ? new Date(this.state.expiresAt) : null },
    ]);
  }

  private publish(): void {
    setCurrentDetails(W.currentDetails(this.state, workflowInfo().runId));
  }
}
