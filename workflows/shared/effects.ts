/**
 * The records of a workflow's transitions — audit events, Jira, Slack, mail — sent as ONE
 * background activity per transition (`applyEffects`), in order, never awaited by a grant, a
 * revoke or a close. Each transition is a batch: the workflow records effects as things happen and
 * flushes the batch at the end of the step, so a lifecycle costs a handful of activities instead
 * of one per side effect (STYLE: history is a budget).
 *
 * Batches are built lazily (thunks), when the previous batch has finished: a later batch can use
 * what an earlier one returned (the Jira key, the Slack messages to update).
 */
import { CancellationScope, log, proxyActivities } from '@temporalio/workflow';
import type { MailContent } from '../../activities/mail/message';
import type { ApprovalMessageFacts } from '../../activities/slack-messages';
import type { AccountNoticeFacts } from '../../activities/temporary-account-messages';
import type { AuditEvent, JiraIssueRef, SlackMessageRef } from '../../activities/ports';
import { EFFECTS } from './retry';

/** What a person is told in Slack (the activity words the Block Kit). */
export type SlackNotice =
  | { kind: 'text'; text: string }
  | { kind: 'granted'; requestId: string; resourceName: string; expiresAt: string }
  | { kind: 'warning'; requestId: string; resourceName: string; expiresAt: string }
  /** A temporary account's manager: active (Extend, Close now) or about to expire (Extend). */
  | { kind: 'account_ready'; facts: AccountNoticeFacts }
  | { kind: 'account_warning'; facts: AccountNoticeFacts }
  /** An access review with its Keep / Revoke buttons (value: the review id). */
  | { kind: 'review'; reviewId: string; text: string };

export type Effect =
  | { system: 'audit'; event: AuditEvent }
  /** `projectKey` / `issueType`: another project than JIRA_PROJECT_KEY (risk incidents). */
  | { system: 'jira'; op: 'open'; requestId: string; summary: string; description: string; projectKey?: string; issueType?: string }
  | { system: 'jira'; op: 'comment'; requestId: string; key?: string; text: string; projectKey?: string }
  | { system: 'jira'; op: 'close'; requestId: string; key?: string }
  | { system: 'slack'; op: 'approvals'; step: number; facts: ApprovalMessageFacts; approvers: string[]; channel?: string }
  | { system: 'slack'; op: 'decided'; facts: ApprovalMessageFacts; refs: SlackMessageRef[]; outcome: string }
  /**
   * `notification` names the notice: once posted, it is reported in EffectsResult.notified. With
   * a `key`, the message posted is returned in `posts` (to update it later).
   */
  | { system: 'slack'; op: 'dm'; to: string; notice: SlackNotice; notification?: string; key?: string }
  | { system: 'slack'; op: 'channel'; channel: string; text: string }
  /** A channel post returned in `posts` under `key`, so a later batch can update it in place. */
  | { system: 'slack'; op: 'post'; key: string; channel: string; text: string }
  | { system: 'slack'; op: 'update'; ref: SlackMessageRef; notice: SlackNotice }
  /** To the security channel (GATEHOUSE_SECURITY_CHANNEL, or the risk policy's). */
  | { system: 'slack'; op: 'security'; text: string }
  | { system: 'mail'; to: string[]; subject: string; text: string; html: string }
  /** Rendered by the activity (renderMail): the history holds the words once, not text and HTML. */
  | { system: 'mail'; to: string[]; content: MailContent; notification?: string };

export type EffectSystem = Effect['system'];

export interface SideEffectFailure {
  system: string;
  action: string;
  message: string;
  at: string;
}

export interface EffectsResult {
  jira?: JiraIssueRef;
  /** Approval requests posted, by step (1-based). */
  approvals?: { step: number; refs: SlackMessageRef[] }[];
  /** Named notices that reached their recipient (a mail accepted, a DM posted). */
  notified?: { to: string; kind: string; at: string }[];
  /** Messages posted with a key (`post`, keyed `dm`). */
  posts?: { key: string; ref: SlackMessageRef }[];
  /** Effects given up on (refused, or past their system's budget). */
  failures: SideEffectFailure[];
}

export interface EffectsActivities {
  applyEffects(input: { effects: Effect[] }): Promise<EffectsResult>;
}

const { applyEffects } = proxyActivities<EffectsActivities>(EFFECTS);

/** An ordered lane of effect batches. `record` collects; `flush` schedules what was collected. */
export class Effects {
  private pending: (() => Effect[])[] = [];
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;

  /**
   * `shielded`: cancelling the workflow does not cancel the records being sent (a request's Jira
   * ticket still waiting out an outage when the request is cancelled must still be opened); the
   * activity's own budget ends them. Workflows nobody cancels keep the plain call (their
   * histories were written with its timing).
   */
  constructor(
    private readonly onResult: (result: EffectsResult) => void,
    private readonly shielded = false,
  ) {}

  /** Collects effects for the current transition; a thunk is evaluated when the batch is sent. */
  record(effects: Effect[] | (() => Effect[])): void {
    this.pending.push(typeof effects === 'function' ? effects : () => effects);
  }

  /** Sends what was recorded as one activity, after every earlier batch. Nothing to send: nothing happens. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.inFlight++;
    this.tail = this.tail.then(async () => {
      try {
        const effects = batch.flatMap((build) => build());
        if (effects.length === 0) return;
        try {
          this.onResult(await (this.shielded ? CancellationScope.nonCancellable(() => applyEffects({ effects })) : applyEffects({ effects })));
        } catch (err) {
          // Only past the activity's own day of retries: the records are lost, the lifecycle is not.
          const message = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
          log.warn('records of a transition given up after retries', { message });
          this.onResult({ failures: [{ system: 'records', action: 'applyEffects', message, at: new Date().toISOString() }] });
        }
      } finally {
        this.inFlight--;
      }
    });
  }

  /** Nothing recorded, nothing being sent (a long-lived workflow may then continue as new). */
  idle(): boolean {
    return this.pending.length === 0 && this.inFlight === 0;
  }

  /** Flushes, then resolves when every batch — including any recorded meanwhile — has finished (never rejects). */
  async drain(): Promise<void> {
    for (;;) {
      this.flush();
      const tail = this.tail;
      await tail;
      if (tail === this.tail && this.pending.length === 0) return;
    }
  }
}
