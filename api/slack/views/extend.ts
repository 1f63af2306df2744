/**
 * The extension picker's submission. The policy check runs before the modal closes (the same
 * check as the workflow's validator, on the live state), so a refusal shows in the form.
 */
import type { App, ViewSubmitAction } from '@slack/bolt';
import { utcTime } from '../../../activities/slack-messages';
import { extendUpdate } from '../../../workflows/access-request/messages';
import { checkExtend } from '../../../workflows/access-request/state';
import { clickUpdateId } from '../actions/click';
import { liveState } from '../actions/live-state';
import type { SlackDeps } from '../deps';
import { decodeMetadata, Field, Modal } from '../modals';
import { refusalText, refusedText } from '../replies';
import { selectedValue, tellUser, type Submission } from './submission';

export async function onExtendSubmit(deps: SlackDeps, sub: Submission): Promise<void> {
  const meta = decodeMetadata(sub.view.private_metadata);
  const durationMs = Number(selectedValue(sub.view.state.values, Field.Duration));
  const user = sub.body.user.id;
  if (!meta) return void (await sub.ack());
  if (!Number.isFinite(durationMs) || durationMs <= 0) return void (await sub.ack({ response_action: 'errors', errors: { [Field.Duration]: 'Choose how long to extend by.' } }));
  let login: string | null = null;
  let refused = refusedText('not_in_okta');
  try {
    const who = await deps.identity.whoIs(user, sub.body.team?.id ?? undefined);
    if ('refused' in who) refused = refusedText(who.refused);
    else login = who.login;
    const state = login ? await liveState(deps, meta.requestId) : undefined;
    const refusal = state && login ? checkExtend(state, { actor: login, durationMs, via: 'slack' }) : null;
    if (refusal) return void (await sub.ack({ response_action: 'errors', errors: { [Field.Duration]: refusal.message } }));
  } catch (err) {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'extension pre-check failed; the Update decides');
  }
  await sub.ack();
  if (!login) return tellUser(sub, deps.logger, user, meta.channel, refused);
  try {
    const { state } = await deps.service.decide(meta.requestId, extendUpdate, { actor: login, durationMs, via: 'slack' }, clickUpdateId('extend', user, meta));
    deps.logger.info({ requestId: meta.requestId, actor: login, durationMs }, 'extended from Slack');
    await tellUser(sub, deps.logger, user, meta.channel, `:white_check_mark: Extended: your access to ${state.resolved?.resourceName ?? state.resource} is now active until ${state.expiresAt ? utcTime(state.expiresAt) : '?'}.`);
  } catch (err) {
    await tellUser(sub, deps.logger, user, meta.channel, refusalText('extend this grant', err));
  }
}

export function register(app: App, deps: SlackDeps): void {
  app.view<ViewSubmitAction>(Modal.Extend, (args) => onExtendSubmit(deps, args));
}
