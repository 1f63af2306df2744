/**
 * The temporary-account modals: the creation form (`/access temp`) and the Extend picker of the
 * manager's DM. Callback, block and action ids are the contract with their view listeners.
 */
import type { types } from '@slack/bolt';
import type { TemporaryAccountsPolicy } from '../../activities/policy/schema';
import { slackTime } from '../../activities/slack-messages';
import { formatDuration } from '../../workflows/access-request/wording';
import type { AccountState } from '../../workflows/temporary-account/types';
import { formatValidity, fullName } from '../../workflows/temporary-account/wording';
import { encodeMetadata, type ClickMetadata } from './modals';

export const AccountModal = {
  Create: 'temporary_account_create',
  Extend: 'extend_temporary_account_duration',
} as const;

/** Block ids (each input's single element uses the same action id). */
export const AccountField = {
  FirstName: 'first_name',
  LastName: 'last_name',
  PersonalEmail: 'personal_email',
  Validity: 'validity',
  Groups: 'groups',
  Reason: 'reason',
  Duration: 'duration',
} as const;

const plain = (text: string) => ({ type: 'plain_text' as const, text: text.slice(0, 150) });
const input = (blockId: string, label: string, element: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'input',
  block_id: blockId,
  label: plain(label),
  element: { action_id: blockId, ...element },
  ...extra,
});

export function createAccountModal(t: TemporaryAccountsPolicy): types.View {
  const validity = t.validity.map((ms) => ({ text: plain(formatValidity(ms)), value: String(ms) }));
  const groups = Object.entries(t.groups).map(([key, g]) => ({ text: plain(g.name.slice(0, 75)), value: key }));
  return {
    type: 'modal',
    callback_id: AccountModal.Create,
    title: plain('Temporary account'),
    submit: plain('Create'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `The login is made from the name; the sign-in details go to your e-mail. It closes by itself, at most ${formatDuration(t.maxTotal)} after creation.` } },
      input(AccountField.FirstName, 'First name', { type: 'plain_text_input', max_length: 50 }),
      input(AccountField.LastName, 'Last name', { type: 'plain_text_input', max_length: 50 }),
      input(AccountField.PersonalEmail, 'Personal e-mail (login and how to sign in, never the password)', { type: 'email_text_input' }, { optional: true }),
      input(AccountField.Validity, 'Valid for', { type: 'static_select', options: validity, initial_option: validity[0] }),
      ...(groups.length ? [input(AccountField.Groups, 'Groups', { type: 'multi_static_select', options: groups }, { optional: true })] : []),
      input(AccountField.Reason, 'Reason', { type: 'plain_text_input', multiline: true, max_length: 500 }),
    ],
  };
}

export function extendAccountModal(state: AccountState, choices: number[], meta: ClickMetadata): types.View {
  const options = choices.map((ms) => ({ text: plain(`+ ${formatDuration(ms)}`), value: String(ms) }));
  return {
    type: 'modal',
    callback_id: AccountModal.Extend,
    private_metadata: encodeMetadata(meta),
    title: plain('Extend the account'),
    submit: plain('Extend'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*${state.login}* (${fullName(state)}) ends at *${state.expiresAt ? slackTime(state.expiresAt) : '?'}*; it may live until ${slackTime(state.maxExpiresAt)} at most.`,
        },
      },
      input(AccountField.Duration, 'Extend by', { type: 'static_select', options, initial_option: options[0] }),
    ],
  };
}
