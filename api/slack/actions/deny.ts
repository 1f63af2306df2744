/**
 * Deny (`deny_request`): asks for a reason in a modal first. Someone who may not decide is told
 * so at once, by the same rule the workflow's validator applies, instead of getting a form.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionId } from '../../../activities/slack-messages';
import { checkDecision } from '../../../workflows/access-request/state';
import type { SlackDeps } from '../deps';
import { denyModal } from '../modals';
import { safely, tellEphemerally } from '../replies';
import type { Click } from './click';
import { clickedRequest } from './live-state';

export async function onDeny(deps: SlackDeps, click: Click): Promise<void> {
  await click.ack();
  const clicked = await clickedRequest(deps, click, 'deny this request');
  if (!clicked) return;
  const { who, state } = clicked;
  const refusal = checkDecision(state, { approver: who.login, via: 'slack' });
  if (refusal) return tellEphemerally(click.respond, deps.logger, `:no_entry: You can't deny this request: ${refusal.message}`);
  const opened = state;
  await safely(deps.logger, 'views.open (deny)', async () => {
    try {
      await click.client.views.open({ trigger_id: click.body.trigger_id, view: denyModal(opened, who.meta) });
    } catch (err) {
      await tellEphemerally(click.respond, deps.logger, ':warning: Slack did not open the form in time. Press Deny again.');
      throw err;
    }
  });
}

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(ActionId.Deny, (args) => onDeny(deps, args));
}
