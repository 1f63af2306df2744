/**
 * Slack message bodies for the access-request lifecycle. Plain Block Kit objects: the workflow
 * passes facts, these functions decide the words. Action ids are wire contracts (SPEC §7).
 */
import { formatDuration } from '../workflows/access-request/state';

export const ActionId = {
  Approve: 'approve_request',
  Deny: 'deny_request',
  Extend: 'extend_request',
  Revoke: 'revoke_request',
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

export function approvalRequestMessage(f: ApprovalMessageFacts): { text: string; blocks: unknown[] } {
  const head = `${f.reminder ? ':alarm_clock: Reminder: ' : ''}*${f.requester}* requests *${f.resourceName}* (\`${f.resource}\`) for *${formatDuration(f.durationMs)}*`;
  const lines = [
    head,
    `*Why:* ${f.justification?.trim() || '_no justification given_'}`,
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
export function decidedApprovalMessage(f: ApprovalMessageFacts, outcome: string): { text: string; blocks: unknown[] } {
  const text = `${f.requester} → ${f.resource} for ${formatDuration(f.durationMs)}: ${outcome}`;
  return {
    text,
    blocks: [
      section(`*${f.requester}* requested *${f.resourceName}* (\`${f.resource}\`) for *${formatDuration(f.durationMs)}*\n*Why:* ${f.justification?.trim() || '_none_'}`),
      section(outcome),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Request \`${f.requestId}\`` }] },
    ],
  };
}

export function grantActiveMessage(requestId: string, resourceName: string, expiresAt: string): { text: string; blocks: unknown[] } {
  const text = `:white_check_mark: Access to ${resourceName} is active until ${expiresAt}`;
  return {
    text,
    blocks: [
      section(text),
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
  const text = `:hourglass: Your access to ${resourceName} ends at ${expiresAt}`;
  return {
    text,
    blocks: [
      section(text),
      {
        type: 'actions',
        block_id: `warning:${requestId}`,
        elements: [{ type: 'button', action_id: ActionId.Extend, text: { type: 'plain_text', text: 'Extend' }, value: requestId }],
      },
    ],
  };
}
