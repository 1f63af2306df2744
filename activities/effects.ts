/**
 * `applyEffects`: the records of one workflow transition (audit events, Jira, Slack, mail) in one
 * activity. Each system's effects run in order, the systems side by side, so Jira being down
 * delays Jira only. Progress is checkpointed in heartbeat details: a retried attempt skips what
 * is done (a Jira comment is not posted twice after a crash). An effect the system refuses is
 * recorded as a failure and skipped; a system still failing past its budget (a day for the audit
 * log, an hour for the others, from the first attempt) is given up on the same way. The workflow
 * never waits for this before a grant, a revoke or a close.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Effect, EffectsResult, EffectSystem, SideEffectFailure, SlackNotice } from '../workflows/shared/effects';
import type { AuditEvent, AuditPort, JiraPort, MailPort, SlackMessageRef, SlackPort } from './ports';
import { renderMail } from './mail/message';
import { approvalRequestMessage, decidedApprovalMessage, expiryWarningMessage, grantActiveMessage, loginsIn, reviewRequestMessage, slackLiteral } from './slack-messages';
import { accountReadyMessage, accountWarningMessage } from './temporary-account-messages';

export interface EffectsDeps {
  audit: AuditPort;
  jira: JiraPort;
  slack: SlackPort;
  mail?: MailPort;
  /** GATEHOUSE_SECURITY_CHANNEL. */
  securityChannel: string;
  /** Told of every audit event written (worker metrics). */
  onAudit?: (event: AuditEvent) => void;
}

const BUDGET_MS: Record<EffectSystem, number> = { audit: 24 * 3_600_000, jira: 3_600_000, slack: 3_600_000, mail: 3_600_000 };

/** The Jira label that ties a ticket to its request; a retried create finds the ticket by it. */
export const jiraLabelFor = (requestId: string): string => `gatehouse-${requestId.toLowerCase()}`;

interface Checkpoint {
  done: number[];
  result: EffectsResult;
}

export function createEffectsActivities(deps: EffectsDeps) {
  const { slack, jira } = deps;

  /** DMs a person known by Okta login (their e-mail); null when they are not in Slack. */
  async function dm(login: string, body: { text: string; blocks?: unknown[] }): Promise<SlackMessageRef | null> {
    const userId = await slack.lookupUserIdByEmail(login);
    if (!userId) return null;
    return slack.postMessage({ channel: await slack.openDirectMessage(userId), ...body });
  }

  /** login → Slack user id for everyone named in `text` who is in Slack (for <@U…> mentions). */
  async function mentionsFor(text: string): Promise<Record<string, string>> {
    const mentions: Record<string, string> = {};
    for (const login of loginsIn(text)) {
      const id = await slack.lookupUserIdByEmail(login);
      if (id) mentions[login] = id;
    }
    return mentions;
  }

  function noticeBody(n: SlackNotice): { text: string; blocks?: unknown[] } {
    if (n.kind === 'granted') return grantActiveMessage(n.requestId, n.resourceName, n.expiresAt);
    if (n.kind === 'warning') return expiryWarningMessage(n.requestId, n.resourceName, n.expiresAt);
    if (n.kind === 'account_ready') return accountReadyMessage(n.facts);
    if (n.kind === 'account_warning') return accountWarningMessage(n.facts);
    if (n.kind === 'review') return reviewRequestMessage(n.reviewId, n.text);
    // Sentences of Gatehouse's own that may quote people's words (an end reason, a denial).
    return { text: slackLiteral(n.text) };
  }

  async function jiraKey(requestId: string, key: string | undefined, result: EffectsResult, projectKey?: string): Promise<string | null> {
    return key ?? result.jira?.key ?? (await jira.findIssueByLabel(jiraLabelFor(requestId), projectKey))?.key ?? null;
  }

  const keep = (result: EffectsResult, key: string | undefined, ref: SlackMessageRef | null) => {
    if (key && ref) (result.posts ??= []).push({ key, ref });
  };

  /** Runs one effect; what it returns goes into `result`. */
  async function apply(effect: Effect, result: EffectsResult): Promise<void> {
    switch (effect.system) {
      case 'audit':
        await deps.audit.append(effect.event);
        deps.onAudit?.(effect.event);
        return;
      case 'mail':
        if (!deps.mail) throw ApplicationFailure.create({ type: 'MailRejected', message: 'no mail transport configured (SMTP_URL)', nonRetryable: true });
        await deps.mail.send('content' in effect ? { to: effect.to, ...renderMail(effect.content) } : { to: effect.to, subject: effect.subject, text: effect.text, html: effect.html });
        if ('notification' in effect && effect.notification) notified(result, effect.to.join(', '), effect.notification);
        return;
      case 'jira': {
        if (effect.op === 'open') {
          const label = jiraLabelFor(effect.requestId);
          const where = { projectKey: effect.projectKey, issueType: effect.issueType };
          result.jira = (await jira.findIssueByLabel(label, effect.projectKey)) ?? (await jira.createIssue({ summary: effect.summary, description: effect.description, labels: ['gatehouse', label], ...where }));
          return;
        }
        const key = await jiraKey(effect.requestId, effect.key, result, effect.op === 'comment' ? effect.projectKey : undefined);
        if (!key) throw ApplicationFailure.create({ type: 'JiraRejected', message: 'the request has no Jira ticket', nonRetryable: true });
        if (effect.op === 'comment') await jira.addComment(key, effect.text);
        else await jira.transitionIssue(key, 'Done');
        return;
      }
      case 'slack':
        switch (effect.op) {
          case 'approvals': {
            const body = approvalRequestMessage(effect.facts, await mentionsFor(effect.facts.requester));
            const refs: SlackMessageRef[] = [];
            for (const approver of effect.approvers) {
              const ref = await dm(approver, body);
              if (ref) refs.push(ref);
            }
            if (effect.channel) refs.push(await slack.postMessage({ channel: effect.channel, ...body }));
            (result.approvals ??= []).push({ step: effect.step, refs });
            return;
          }
          case 'decided': {
            // "Approved by <@U…>": the decider (and requester) resolved by e-mail, so Slack shows names.
            const body = decidedApprovalMessage(effect.facts, effect.outcome, await mentionsFor(`${effect.facts.requester} ${effect.outcome}`));
            for (const ref of effect.refs) await slack.updateMessage(ref, body);
            return;
          }
          case 'dm': {
            const ref = await dm(effect.to, noticeBody(effect.notice));
            keep(result, effect.key, ref);
            if (ref && effect.notification) notified(result, `slack:${effect.to}`, effect.notification);
            return;
          }
          case 'channel':
            await slack.postMessage({ channel: effect.channel, text: effect.text });
            return;
          case 'post':
            keep(result, effect.key, await slack.postMessage({ channel: effect.channel, text: slackLiteral(effect.text) }));
            return;
          case 'update': {
            // Blocks always go with an update: without them Slack would keep the old buttons.
            const body = noticeBody(effect.notice);
            await slack.updateMessage(effect.ref, { text: body.text, blocks: body.blocks ?? [{ type: 'section', text: { type: 'mrkdwn', text: body.text } }] });
            return;
          }
          case 'security':
            await slack.postMessage({ channel: deps.securityChannel, text: effect.text });
            return;
        }
    }
  }

  const describe = (e: Effect) => (e.system === 'audit' ? `audit ${e.event.type}` : e.system === 'mail' ? `mail "${'content' in e ? e.content.subject : e.subject}"` : `${e.system} ${e.op}`);

  return {
    async applyEffects(input: { effects: Effect[] }): Promise<EffectsResult> {
      const ctx = Context.current();
      const saved = ctx.info.heartbeatDetails as Checkpoint | undefined;
      const done = new Set(saved?.done ?? []);
      const result: EffectsResult = saved?.result ?? { failures: [] };
      const firstScheduled = ctx.info.scheduledTimestampMs;
      const checkpoint = () => ctx.heartbeat({ done: [...done], result } satisfies Checkpoint);
      const failed = (effect: Effect, message: string): SideEffectFailure => ({ system: effect.system, action: describe(effect), message, at: new Date().toISOString() });

      const bySystem = new Map<EffectSystem, number[]>();
      input.effects.forEach((e, i) => bySystem.set(e.system, [...(bySystem.get(e.system) ?? []), i]));
      const errors: unknown[] = [];
      await Promise.all(
        [...bySystem].map(async ([system, indexes]) => {
          for (const i of indexes) {
            if (done.has(i)) continue;
            const effect = input.effects[i]!;
            try {
              await apply(effect, result);
            } catch (err) {
              const refused = err instanceof ApplicationFailure && err.nonRetryable;
              const pastBudget = Date.now() - firstScheduled > BUDGET_MS[system];
              if (!refused && !pastBudget) {
                errors.push(err);
                return; // this system waits for the next attempt; the others go on
              }
              result.failures.push(failed(effect, `${pastBudget && !refused ? 'given up after retries: ' : ''}${err instanceof Error ? err.message : String(err)}`));
            }
            done.add(i);
            checkpoint();
          }
        }),
      );
      if (errors.length > 0) throw errors[0];
      return result;
    },
  };
}

function notified(result: EffectsResult, to: string, kind: string): void {
  (result.notified ??= []).push({ to, kind, at: new Date().toISOString() });
}

export type EffectsActivities = ReturnType<typeof createEffectsActivities>;
