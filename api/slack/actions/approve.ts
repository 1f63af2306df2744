/** Approve (`approve_request`): one click, authorized by the workflow's own validator. */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionId } from '../../../activities/slack-messages';
import { approveUpdate } from '../../../workflows/access-request/messages';
import type { SlackDeps } from '../deps';
import { refusalText, tellEphemerally } from '../replies';
import { clickUpdateId, whoAndWhat, type Click } from './click';

export async function onApprove(deps: SlackDeps, click: Click): Promise<void> {
  await click.ack();
  const who = await whoAndWhat(deps, click);
  if (!who) return;
  try {
    const { state } = await deps.service.decide(
      who.meta.requestId,
      approveUpdate,
      { approver: who.login, via: 'slack' },
      clickUpdateId('approve', click.body.user.id, who.meta),
    );
    deps.logger.info({ requestId: who.meta.requestId, approver: who.login }, 'approved from Slack');
    // Every copy of the message is updated by the workflow once the step is decided; this is
    // the clicker's own receipt (useful when the step needs more approvals).
    await tellEphemerally(click.respond, deps.logger, `:white_check_mark: You approved ${state.requester}'s request for ${state.resolved?.resourceName ?? state.resource}.`);
  } catch (err) {
    deps.logger.info({ requestId: who.meta.requestId, approver: who.login, err: err instanceof Error ? err.message : String(err) }, 'Slack approval refused');
    await tellEphemerally(click.respond, deps.logger, refusalText('approve this request', err));
  }
}

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(ActionId.Approve, (args) => onApprove(deps, args));
}
