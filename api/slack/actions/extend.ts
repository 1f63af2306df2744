/**
 * Extend (`extend_request`, on the "access active" and expiry-warning DMs): opens a duration
 * picker holding only what the policy still allows (extensions left, maximum total).
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionId } from '../../../activities/slack-messages';
import { checkExtend, extensionChoices } from '../../../workflows/access-request/state';
import type { SlackDeps } from '../deps';
import { extendModal } from '../modals';
import { safely, tellEphemerally } from '../replies';
import type { Click } from './click';
import { clickedRequest } from './live-state';

export async function onExtend(deps: SlackDeps, click: Click): Promise<void> {
  await click.ack();
  const clicked = await clickedRequest(deps, click, 'extend this grant');
  if (!clicked) return;
  const { who, state } = clicked;
  const choices = extensionChoices(state);
  // The validator's rule, on the smallest choice (or on any extension when none is left).
  const refusal = checkExtend(state, { actor: who.login, durationMs: choices[0] ?? 1, via: 'slack' });
  if (refusal) return tellEphemerally(click.respond, deps.logger, `:no_entry: You can't extend this grant: ${refusal.message}`);
  const opened = state;
  await safely(deps.logger, 'views.open (extend)', async () => {
    try {
      await click.client.views.open({ trigger_id: click.body.trigger_id, view: extendModal(opened, choices, who.meta) });
    } catch (err) {
      await tellEphemerally(click.respond, deps.logger, ':warning: Slack did not open the form in time. Press Extend again.');
      throw err;
    }
  });
}

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(ActionId.Extend, (args) => onExtend(deps, args));
}
