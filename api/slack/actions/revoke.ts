/** I'm done (`revoke_request`): hands the access back now. The workflow's validator decides who may. */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionId } from '../../../activities/slack-messages';
import { revokeUpdate } from '../../../workflows/access-request/messages';
import type { SlackDeps } from '../deps';
import { refusalText, safely, tellEphemerally } from '../replies';
import { clickUpdateId, whoAndWhat, type Click } from './click';

export async function onRevoke(deps: SlackDeps, click: Click): Promise<void> {
  await click.ack();
  const who = await whoAndWhat(deps, click);
  if (!who) return;
  let resourceName: string;
  try {
    const { state } = await deps.service.decide(
      who.meta.requestId,
      revokeUpdate,
      { actor: who.login, reason: 'handed back from Slack', via: 'slack' },
      clickUpdateId('revoke', click.body.user.id, who.meta),
    );
    resourceName = state.resolved?.resourceName ?? state.resource;
    deps.logger.info({ requestId: who.meta.requestId, actor: who.login }, 'revoke requested from Slack');
  } catch (err) {
    return tellEphemerally(click.respond, deps.logger, refusalText('end this grant', err));
  }
  // The buttons go: there is nothing left to extend or hand back. The workflow DMs the end.
  await safely(deps.logger, 'respond (replace grant message)', () =>
    click.respond({ replace_original: true, text: `:wave: You handed back your access to ${resourceName}; it is being removed.` }),
  );
}

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(ActionId.Revoke, (args) => onRevoke(deps, args));
}
