/** What every button listener does first: who clicked, which request, and the click's identity. */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { REQUEST_ID_PATTERN } from '../../access-requests';
import type { SlackDeps } from '../deps';
import type { ClickMetadata } from '../modals';
import { refusedText, tellEphemerally } from '../replies';

export type ButtonClick = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
/** The parts of Bolt's arguments the listeners use (tests pass fakes of these). */
export type Click = Pick<ButtonClick, 'ack' | 'body' | 'action' | 'respond' | 'client'>;

export function clickMetadata(click: Pick<Click, 'body' | 'action'>): ClickMetadata {
  const { body, action } = click;
  return {
    requestId: String(action.value ?? '').toUpperCase(),
    ...(body.channel?.id ? { channel: body.channel.id } : body.container?.channel_id ? { channel: String(body.container.channel_id) } : {}),
    ...(body.container?.message_ts ? { messageTs: String(body.container.message_ts) } : {}),
    actionTs: action.action_ts,
  };
}

/**
 * The Update id of a decision made by a click: the same click delivered twice (Slack retries, a
 * double submit) is the same Update, which Temporal applies once.
 */
export function clickUpdateId(kind: string, user: string, meta: ClickMetadata): string {
  return `slack:${kind}:${meta.requestId}:${meta.messageTs ?? '-'}:${meta.actionTs}:${user}`;
}

/**
 * The clicking user's Okta login and the request id, or null after telling the user why not.
 * Called after ack(): the lookups may take longer than Slack waits for the acknowledgement.
 */
export async function whoAndWhat(deps: SlackDeps, click: Click): Promise<{ login: string; meta: ClickMetadata } | null> {
  const meta = clickMetadata(click);
  if (!REQUEST_ID_PATTERN.test(meta.requestId)) {
    await tellEphemerally(click.respond, deps.logger, ':warning: This button does not belong to a Gatehouse request.');
    return null;
  }
  let who: Awaited<ReturnType<SlackDeps['identity']['whoIs']>>;
  try {
    who = await deps.identity.whoIs(click.body.user.id, click.body.team?.id ?? undefined);
  } catch (err) {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err), slackUser: click.body.user.id }, 'Slack identity lookup failed');
    await tellEphemerally(click.respond, deps.logger, ':warning: Gatehouse could not check who you are just now. Please try again in a moment.');
    return null;
  }
  if ('refused' in who) {
    deps.logger.info({ slackUser: click.body.user.id, refused: who.refused }, 'Slack click refused');
    await tellEphemerally(click.respond, deps.logger, refusedText(who.refused));
    return null;
  }
  return { login: who.login, meta };
}
