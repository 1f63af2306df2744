/**
 * Slack messages to the manager of a temporary account: "active until …" with Extend and Close
 * now, and the expiry warning with Extend. Action ids are wire contracts; a button's value is the
 * account id. No credential is ever part of these (the workflow never has one).
 */
import { slackLiteral, slackTime, utcTime } from './slack-messages';

export const AccountActionId = {
  Extend: 'extend_temporary_account',
  Close: 'close_temporary_account',
} as const;

export interface AccountNoticeFacts {
  accountId: string;
  login: string;
  /** The employee's name, as the manager typed it. */
  name: string;
  expiresAt: string;
  maxExpiresAt: string;
  portalUrl?: string;
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

const extendButton = (f: AccountNoticeFacts) => ({ type: 'button', action_id: AccountActionId.Extend, text: { type: 'plain_text', text: 'Extend' }, value: f.accountId });
const closeButton = (f: AccountNoticeFacts) => ({
  type: 'button',
  action_id: AccountActionId.Close,
  style: 'danger',
  text: { type: 'plain_text', text: 'Close now' },
  value: f.accountId,
  confirm: {
    title: { type: 'plain_text', text: 'Close the account?' },
    text: { type: 'plain_text', text: `${f.login} is deactivated and deleted at once.`.slice(0, 300) },
    confirm: { type: 'plain_text', text: 'Close now' },
    deny: { type: 'plain_text', text: 'Keep it' },
  },
});

const portalLine = (f: AccountNoticeFacts) => (f.portalUrl ? `\nOr manage it on <${f.portalUrl}|the portal>.` : '');

export function accountReadyMessage(f: AccountNoticeFacts): { text: string; blocks: unknown[] } {
  const name = slackLiteral(f.name);
  return {
    text: `:white_check_mark: Temporary account ${f.login} for ${f.name} is active until ${utcTime(f.expiresAt)}`,
    blocks: [
      section(
        `:white_check_mark: The temporary account *${f.login}* for *${name}* is active until *${slackTime(f.expiresAt)}*.\n` +
          `The sign-in details went to your e-mail. Extend it (at most until ${slackTime(f.maxExpiresAt)}) or close it when it is no longer needed.${portalLine(f)}`,
      ),
      { type: 'actions', block_id: `account:${f.accountId}`, elements: [extendButton(f), closeButton(f)] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Account \`${f.accountId}\`` }] },
    ],
  };
}

export function accountWarningMessage(f: AccountNoticeFacts): { text: string; blocks: unknown[] } {
  return {
    text: `:hourglass: Temporary account ${f.login} ends at ${utcTime(f.expiresAt)}`,
    blocks: [
      section(`:hourglass: The temporary account *${f.login}* for *${slackLiteral(f.name)}* is deactivated and deleted at *${slackTime(f.expiresAt)}*.${portalLine(f)}`),
      { type: 'actions', block_id: `account-warning:${f.accountId}`, elements: [extendButton(f), closeButton(f)] },
    ],
  };
}
