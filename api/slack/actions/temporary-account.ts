/**
 * The manager's DM buttons of a temporary account: Extend (`extend_temporary_account`) opens a
 * picker bounded by maxTotal; Close now (`close_temporary_account`, confirmed in Slack) closes it.
 * The workflow's validators decide who may (the manager or a security admin).
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { AccountActionId } from '../../../activities/temporary-account-messages';
import { checkExtend, extensionChoices } from '../../../workflows/temporary-account/state';
import { extendAccountModal } from '../account-modals';
import type { SlackDeps } from '../deps';
import { refusalText, safely, tellEphemerally } from '../replies';
import { clickUpdateId, whoAndWhat, type Click } from './click';

const OFF = ':information_source: Temporary accounts are not enabled here.';

export async function onExtendAccount(deps: SlackDeps, click: Click): Promise<void> {
  await click.ack();
  if (!deps.accounts) return tellEphemerally(click.respond, deps.logger, OFF);
  const who = await whoAndWhat(deps, click);
  if (!who) return;
  let loaded;
  try {
    // Within the 3 s a trigger id lasts: the live state, or the Update alone decides later.
    loaded = await deps.accounts.load(who.meta.requestId, 1500);
  } catch (err) {
    return tellEphemerally(click.respond, deps.logger, refusalText('extend this account', err));
  }
  const { state } = loaded;
  const choices = extensionChoices(state);
  const refusal = checkExtend(state, { actor: who.login, durationMs: choices[0] ?? 1, via: 'slack' });
  if (refusal) return tellEphemerally(click.respond, deps.logger, `:no_entry: You can't extend this account: ${refusal.message}`);
  await safely(deps.logger, 'views.open (extend account)', async () => {
    try {
      await click.client.views.open({ trigger_id: click.body.trigger_id, view: extendAccountModal(state, choices, who.meta) });
    } catch (err) {
      await tellEphemerally(click.respond, deps.logger, ':warning: Slack did not open the form in time. Press Extend again.');
      throw err;
    }
  });
}

export async function onCloseAccount(deps: SlackDeps, click: Click): Promise<void> {
  await click.ack();
  if (!deps.accounts) return tellEphemerally(click.respond, deps.logger, OFF);
  const who = await whoAndWhat(deps, click);
  if (!who) return;
  let login: string;
  try {
    const { state } = await deps.accounts.close(who.meta.requestId, { actor: who.login, reason: 'closed from Slack', via: 'slack' }, clickUpdateId('close-account', click.body.user.id, who.meta));
    login = state.login ?? 'the account';
    deps.logger.info({ accountId: who.meta.requestId, actor: who.login }, 'temporary account closed from Slack');
  } catch (err) {
    return tellEphemerally(click.respond, deps.logger, refusalText('close this account', err));
  }
  // Nothing left to extend or close: the buttons go. The workflow DMs when it is deleted.
  await safely(deps.logger, 'respond (replace account message)', () => click.respond({ replace_original: true, text: `:lock: ${login} is being closed: deactivated and deleted in Okta.` }));
}

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(AccountActionId.Extend, (args) => onExtendAccount(deps, args));
  app.action<BlockAction<ButtonAction>>(AccountActionId.Close, (args) => onCloseAccount(deps, args));
}
