/** `/access [resource]`: opens the request form with the resources the user is eligible for; `/access temp`, the temporary-account form. */
import type { AllMiddlewareArgs, App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../deps';
import { accessModal } from '../modals';
import { eligibleOffers } from '../offers';
import { refusedText, safely } from '../replies';
import { onTemporaryAccountCommand } from './temporary-account';

export const ACCESS_COMMAND = '/access';

export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
export type Command = Pick<CommandArgs, 'ack' | 'body' | 'respond' | 'client'>;

export async function onAccessCommand(deps: SlackDeps, cmd: Command): Promise<void> {
  if (/^temp(orary)?\b/i.test(cmd.body.text.trim())) return onTemporaryAccountCommand(deps, cmd);
  await cmd.ack();
  const tell = (text: string) => safely(deps.logger, 'respond (command)', () => cmd.respond({ response_type: 'ephemeral', text }));
  let offers;
  try {
    const who = await deps.identity.whoIs(cmd.body.user_id, cmd.body.team_id);
    if ('refused' in who) return tell(refusedText(who.refused));
    offers = await eligibleOffers(deps, who.login);
  } catch (err) {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, '/access: lookup failed');
    return tell(':warning: Gatehouse could not look you up just now. Please try again in a moment.');
  }
  if (offers.length === 0) return tell(':information_source: There is no resource you are eligible to request.');
  const preselect = cmd.body.text.trim().split(/\s+/)[0]?.toLowerCase();
  await safely(deps.logger, 'views.open (access)', async () => {
    try {
      await cmd.client.views.open({ trigger_id: cmd.body.trigger_id, view: accessModal(offers, preselect) });
    } catch (err) {
      await tell(':warning: Slack did not open the form in time. Run /access again.');
      throw err;
    }
  });
}

export function register(app: App, deps: SlackDeps): void {
  app.command(ACCESS_COMMAND, (args) => onAccessCommand(deps, args));
}
