/**
 * What a Slack user is told when Gatehouse refuses or fails: the workflow validator's own reason
 * (the same words the HTTP API answers with), ephemerally, to that user only.
 */
import type { RespondFn } from '@slack/bolt';
import type { Logger } from 'pino';
import { toHttpError } from '../errors';
import type { SlackRefusal } from './identity';

/** "You can't approve this request: erin@example.com is not an approver of step 1 (manager)". */
export function refusalText(what: string, err: unknown): string {
  const mapped = toHttpError(err);
  if (mapped && mapped.status < 500) return `:no_entry: You can't ${what}: ${mapped.message}`;
  return `:warning: Gatehouse could not ${what} just now${mapped ? ` (${mapped.message})` : ''}. Please try again in a moment.`;
}

const REFUSALS: Record<SlackRefusal, string> = {
  other_workspace: 'this Slack workspace is not the one Gatehouse serves',
  deleted: 'your Slack account is deactivated',
  bot: 'bots cannot act in Gatehouse',
  guest: 'Slack guests cannot act in Gatehouse',
  not_in_okta: 'your Slack e-mail is not a user in the directory',
  not_active: 'your directory account is not active',
};

/** Why a Slack user may not act, in words. */
export const refusedText = (reason: SlackRefusal): string => `:no_entry: Gatehouse does not accept your action: ${REFUSALS[reason]}.`;

/** Runs a Slack call whose failure must never undo or block the Temporal call around it. */
export async function safely(logger: Logger, what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : String(err), what }, 'Slack call failed (ignored)');
  }
}

/** Tells the clicking user something only they see, replacing nothing. */
export function tellEphemerally(respond: RespondFn, logger: Logger, text: string): Promise<void> {
  return safely(logger, 'respond (ephemeral)', () => respond({ response_type: 'ephemeral', replace_original: false, text }));
}
