/** `/access temp`: the temporary-account form, for managers the policy lets ask (SPEC §11 `requesters`). */
import { mayAskForAccounts } from '../../../activities/policy/temporary-accounts';
import { createAccountModal } from '../account-modals';
import type { SlackDeps } from '../deps';
import { refusedText, safely } from '../replies';
import type { Command } from './access';

export async function onTemporaryAccountCommand(deps: SlackDeps, cmd: Command): Promise<void> {
  await cmd.ack();
  const tell = (text: string) => safely(deps.logger, 'respond (command)', () => cmd.respond({ response_type: 'ephemeral', text }));
  const policy = deps.policy().temporaryAccounts;
  if (!policy || !deps.accounts) return tell(':information_source: Temporary accounts are not enabled here.');
  try {
    const who = await deps.identity.whoIs(cmd.body.user_id, cmd.body.team_id);
    if ('refused' in who) return tell(refusedText(who.refused));
    if (!(await mayAskForAccounts(deps.policy(), deps.okta, who.login))) return tell(':no_entry: The policy does not let you ask for temporary accounts.');
  } catch (err) {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, '/access temp: lookup failed');
    return tell(':warning: Gatehouse could not look you up just now. Please try again in a moment.');
  }
  await safely(deps.logger, 'views.open (temporary account)', async () => {
    try {
      await cmd.client.views.open({ trigger_id: cmd.body.trigger_id, view: createAccountModal(policy) });
    } catch (err) {
      await tell(':warning: Slack did not open the form in time. Run /access temp again.');
      throw err;
    }
  });
}
