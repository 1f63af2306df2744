/**
 * Slack message bodies for the access-request lifecycle. Plain Block Kit objects: the workflow
 * passes facts, these functions decide the words. Action ids are wire contracts (SPEC §7).
 */
import { formatDuration } from '../workflows/access-request/wording';

export const ActionId = {
  Approve: 'approve_request',
  Deny: 'deny_request',
  Extend: 'extend_request',
  Revoke: 'revoke_request',
  ReviewKeep: 'review_keep',
  ReviewRevoke: 'review_revoke',
} as const;

export interface ApprovalMessageFacts {
  requestId: string;
  requester: string;
  resource: string;
  resourceName: string;
  durationMs: number;
  justification?: string;
  jiraUrl?: string;
  jiraKey?: string;
  step: number; // 1-based
  steps: number;
  reminder?: boolean;
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

/**
 * A time Slack shows in the reader's own time zone ("14:05"); the fallback (older clients, the
 * notification text) is UTC.
 */
export function slackTime(iso: string): string {
  const at = new Date(iso);
  const fallback = `${at.toISOString().slice(11, 16)} UTC`;
  return `<!date^${Math.floor(at.getTime() / 1000)}^{time}|${fallback}>`;
}

/** "14:05 UTC": the same time as plain text, for notification texts. */
export const utcTime = (iso: string): string => `${new Date(iso).toISOString().slice(11, 16)} UTC`;

/**
 * Text a person wrote (a justification, a deny reason, a comment) as Slack shows it literally:
 * `&`, `<` and `>` escaped, so `<!here>`, `<@U…>` and `<https://evil|a trusted link>` stay text;
 * and `@channel`, `@here`, `@everyone` broken with a zero-width joiner so no client pings anyone.
 */
export function slackLiteral(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, '@\u200d$1');
}

const LOGIN = /[^\s<>|*@()]+@[^\s<>|*()]+\.[A-Za-z]{2,}/g;

/**
 * People named by login (their e-mail) in `text` become Slack mentions (<@U…>) when `mentions`
 * knows them, so Slack renders a name; anyone else stays a login.
 */
export function withMentions(text: string, mentions: Record<string, string>): string {
  return text.replace(LOGIN, (login) => {
    const id = mentions[login.toLowerCase()];
    return id ? `<@${id}>` : login;
  });
}

/** Logins found in a text (what withMentions would look up). */
export const loginsIn = (text: string): string[] => [...new Set((text.match(LOGIN) ?? []).map((l) => l.toLowerCase()))];

export function approvalRequestMessage(f: ApprovalMessageFacts, mentions: Record<string, string> = {}): { text: string; blocks: unknown[] } {
  const who = mentions[f.requester.toLowerCase()] ? `<@${mentions[f.requester.toLowerCase()]}> (${f.requester})` : `*${f.requester}*`;
  const head = `${f.reminder ? ':alarm_clock: Reminder: ' : ''}${who} requests *${f.resourceName}* (\`${f.resource}\`) for *${formatDuration(f.durationMs)}*`;
  const lines = [
    head,
    `*Why:* ${f.justification?.trim() ? slackLiteral(f.justification.trim()) : '_no justification given_'}`,
    `*Step:* ${f.step} of ${f.steps}${f.jiraUrl ? `   *Ticket:* <${f.jiraUrl}|${f.jiraKey ?? 'Jira'}>` : ''}`,
  ];
  return {
    text: `${f.requester} requests ${f.resource} for ${formatDuration(f.durationMs)} (step ${f.step} of ${f.steps})`,
    blocks: [
      section(lines.join('\n')),
      {
        type: 'actions',
        block_id: `decision:${f.requestId}`,
        elements: [
          { type: 'button', action_id: ActionId.Approve, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: f.requestId },
          { type: 'button', action_id: ActionId.Deny, style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value: f.requestId },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Request \`${f.requestId}\`` }] },
    ],
  };
}

/** The approval message once decided: same facts, the outcome instead of the buttons. */
export function decidedApprovalMessage(f: ApprovalMessageFacts, outcome: string, mentions: Record<string, string> = {}): { text: string; blocks: unknown[] } {
  // The notification text keeps logins; the blocks mention people, so Slack shows their names.
  const text = `${f.requester} → ${f.resource} for ${formatDuration(f.durationMs)}: ${slackLiteral(outcome)}`;
  return {
    text,
    blocks: [
      section(`${withMentions(f.requester, mentions)} requested *${f.resourceName}* (\`${f.resource}\`) for *${formatDuration(f.durationMs)}*\n*Why:* ${f.justification?.trim() ? slackLiteral(f.justification.trim()) : '_none_'}`),
      // The outcome carries a deny reason: literal first, then logins become mentions.
      section(withMentions(slackLiteral(outcome), mentions)),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Request \`${f.requestId}\`` }] },
    ],
  };
}

export function grantActiveMessage(requestId: string, resourceName: string, expiresAt: string): { text: string; blocks: unknown[] } {
  const text = `:white_check_mark: Access to ${resourceName} is active until ${utcTime(expiresAt)}`;
  return {
    text,
    blocks: [
      section(`:white_check_mark: Access to *${resourceName}* is active until *${slackTime(expiresAt)}*.\nExtend it if you need more time, or hand it back when you are done.`),
      {
        type: 'actions',
        block_id: `grant:${requestId}`,
        elements: [
          { type: 'button', action_id: ActionId.Extend, text: { type: 'plain_text', text: 'Extend' }, value: requestId },
          { type: 'button', action_id: ActionId.Revoke, text: { type: 'plain_text', text: "I'm done" }, value: requestId },
        ],
      },
    ],
  };
}

export function expiryWarningMessage(requestId: string, resourceName: string, expiresAt: string): { text: string; blocks: unknown[] } {
  const text = `:hourglass: Your access to ${resourceName} ends at ${utcTime(expiresAt)}`;
  return {
    text,
    blocks: [
      section(`:hourglass: Your access to *${resourceName}* ends at *${slackTime(expiresAt)}*.`),
      {
        type: 'actions',
        block_id: `warning:${requestId}`,
        elements: [{ type: 'button', action_id: ActionId.Extend, text: { type: 'plain_text', text: 'Extend' }, value: requestId }],
      },
    ],
  };
}

/** An access review for the user's manager (SPEC §12): Keep / Revoke, the value is the review id. */
export function reviewRequestMessage(reviewId: string, text: string): { text: string; blocks: unknown[] } {
  return {
    text: `:mag: ${slackLiteral(text)}`,
    blocks: [
      section(`:mag: ${slackLiteral(text)}`),
      {
        type: 'actions',
        block_id: `review:${reviewId}`,
        elements: [
          { type: 'button', action_id: ActionId.ReviewKeep, text: { type: 'plain_text', text: 'Keep' }, value: reviewId },
          { type: 'button', action_id: ActionId.ReviewRevoke, style: 'danger', text: { type: 'plain_text', text: 'Revoke' }, value: reviewId },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Access review \`${reviewId}\`` }] },
    ],
  };
}
