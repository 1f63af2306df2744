/** The deny modal's submission: the reason is required; the Update decides whether it counts. */
import type { App, ViewSubmitAction } from '@slack/bolt';
import { denyUpdate } from '../../../workflows/access-request/messages';
import { clickUpdateId } from '../actions/click';
import type { SlackDeps } from '../deps';
import { decodeMetadata, Field, Modal } from '../modals';
import { refusalText, refusedText } from '../replies';
import { tellUser, textValue, type Submission } from './submission';

export async function onDenyReason(deps: SlackDeps, sub: Submission): Promise<void> {
  const reason = textValue(sub.view.state.values, Field.Reason);
  if (!reason) return void (await sub.ack({ response_action: 'errors', errors: { [Field.Reason]: 'Tell the requester why.' } }));
  await sub.ack();
  const meta = decodeMetadata(sub.view.private_metadata);
  const user = sub.body.user.id;
  if (!meta) return;
  try {
    const who = await deps.identity.whoIs(user, sub.body.team?.id ?? undefined);
    if ('refused' in who) return tellUser(sub, deps.logger, user, meta.channel, refusedText(who.refused));
    const login = who.login;
    const { state } = await deps.service.decide(meta.requestId, denyUpdate, { approver: login, reason, via: 'slack' }, clickUpdateId('deny', user, meta));
    deps.logger.info({ requestId: meta.requestId, approver: login }, 'denied from Slack');
    await tellUser(sub, deps.logger, user, meta.channel, `:x: You denied ${state.requester}'s request for ${state.resolved?.resourceName ?? state.resource}.`);
  } catch (err) {
    await tellUser(sub, deps.logger, user, meta.channel, refusalText('deny this request', err));
  }
}

export function register(app: App, deps: SlackDeps): void {
  app.view<ViewSubmitAction>(Modal.DenyReason, (args) => onDenyReason(deps, args));
}
