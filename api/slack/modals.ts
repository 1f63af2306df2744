/**
 * The modals Gatehouse opens: the deny reason, the extension picker and the /access form. Plain
 * Block Kit; callback, block and action ids are the contract between a modal and its view listener.
 */
import type { types } from '@slack/bolt';
import type { ResourcePolicy } from '../../activities/policy/schema';
import { slackTime } from '../../activities/slack-messages';
import { formatDuration } from '../../workflows/access-request/wording';
import type { RequestState } from '../../workflows/access-request/types';
import { extensionBudget } from '../../workflows/access-request/state';

type View = types.View;

export const Modal = {
  DenyReason: 'deny_request_reason',
  Extend: 'extend_request_duration',
  Access: 'access_request',
} as const;

/** Block ids (each input block's single element uses the same action id). */
export const Field = {
  Reason: 'reason',
  Duration: 'duration',
  Resource: 'resource',
  Justification: 'justification',
} as const;

/** The click a modal was opened from: its identity keys the Update, so a resubmission is applied once. */
export interface ClickMetadata {
  requestId: string;
  /** Where to answer the user (the channel of the clicked message). */
  channel?: string;
  messageTs?: string;
  actionTs: string;
}

export const encodeMetadata = (m: ClickMetadata): string => JSON.stringify(m);

export function decodeMetadata(raw: string): ClickMetadata | null {
  try {
    const m = JSON.parse(raw) as Partial<ClickMetadata>;
    return typeof m.requestId === 'string' && typeof m.actionTs === 'string' ? (m as ClickMetadata) : null;
  } catch {
    return null;
  }
}

const plain = (text: string) => ({ type: 'plain_text' as const, text: text.slice(0, 150) });
const mrkdwn = (text: string) => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text } });

export function denyModal(state: RequestState, meta: ClickMetadata): View {
  const r = state.resolved;
  return {
    type: 'modal',
    callback_id: Modal.DenyReason,
    private_metadata: encodeMetadata(meta),
    title: plain('Deny request'),
    submit: plain('Deny'),
    close: plain('Cancel'),
    blocks: [
      mrkdwn(`Deny *${state.requester}*'s request for *${r?.resourceName ?? state.resource}*${r ? ` (${formatDuration(r.durationMs)})` : ''}?\n*Why they asked:* ${state.justification || '_no justification given_'}`),
      {
        type: 'input',
        block_id: Field.Reason,
        label: plain('Reason (the requester sees it)'),
        element: { type: 'plain_text_input', action_id: Field.Reason, multiline: true, max_length: 2000 },
      },
    ],
  };
}

export function extendModal(state: RequestState, choices: number[], meta: ClickMetadata): View {
  const { left } = extensionBudget(state);
  const options = choices.map((ms) => ({ text: plain(`+ ${formatDuration(ms)}`), value: String(ms) }));
  return {
    type: 'modal',
    callback_id: Modal.Extend,
    private_metadata: encodeMetadata(meta),
    title: plain('Extend access'),
    submit: plain('Extend'),
    close: plain('Cancel'),
    blocks: [
      mrkdwn(
        `Your access to *${state.resolved?.resourceName ?? state.resource}* ends at *${state.expiresAt ? slackTime(state.expiresAt) : '?'}*.\n` +
          `The policy allows ${left} more extension${left === 1 ? '' : 's'}, of at most ${formatDuration(choices.at(-1) ?? 0)} now.`,
      ),
      {
        type: 'input',
        block_id: Field.Duration,
        label: plain('Extend by'),
        element: { type: 'static_select', action_id: Field.Duration, options, initial_option: options[0] },
      },
    ],
  };
}

export interface Offer {
  key: string;
  resource: ResourcePolicy;
}

/** The /access form: only the resources the user may ask for; defaults and limits shown as hints. */
export function accessModal(offers: Offer[], preselect?: string): View {
  const options = offers.map(({ key, resource }) => ({ text: plain(`${resource.name} (${key})`.slice(0, 75)), value: key }));
  const chosen = offers.find((o) => o.key === preselect) ?? (offers.length === 1 ? offers[0] : undefined);
  const limits = offers.map(({ key, resource: r }) => `${key}: default ${formatDuration(r.duration.default)}, max ${formatDuration(r.duration.max)}`).join('; ');
  const rules = offers
    .filter(({ resource: r }) => r.justification?.required || r.justification?.pattern)
    .map(({ key, resource: r }) => `${key}: ${r.justification?.required ? 'required' : 'optional'}${r.justification?.pattern ? `, must match ${r.justification.pattern}` : ''}`)
    .join('; ');
  return {
    type: 'modal',
    callback_id: Modal.Access,
    title: plain('Request access'),
    submit: plain('Request'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: Field.Resource,
        label: plain('Resource'),
        element: {
          type: 'static_select',
          action_id: Field.Resource,
          placeholder: plain('Choose a resource'),
          options,
          ...(chosen ? { initial_option: options[offers.indexOf(chosen)] } : {}),
        },
      },
      {
        type: 'input',
        block_id: Field.Duration,
        optional: true,
        label: plain('Duration'),
        hint: plain(`Like 30m, 2h or 1h30m; empty means the default. ${limits}`.slice(0, 2000)),
        element: {
          type: 'plain_text_input',
          action_id: Field.Duration,
          placeholder: plain('e.g. 1h'),
          ...(chosen ? { initial_value: formatDuration(chosen.resource.duration.default) } : {}),
        },
      },
      {
        type: 'input',
        block_id: Field.Justification,
        optional: true,
        label: plain('Justification'),
        ...(rules ? { hint: plain(rules.slice(0, 2000)) } : {}),
        element: { type: 'plain_text_input', action_id: Field.Justification, multiline: true, max_length: 2000 },
      },
    ],
  };
}
