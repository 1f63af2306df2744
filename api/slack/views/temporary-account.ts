/**
 * The temporary-account form's submission and the Extend picker's. Every rule the HTTP API
 * applies (the manager, names, e-mail, validity and groups offered) is checked before the modal
 * closes, so problems show next to their field; a valid form is started by the same service as
 * POST /v1/temporary-accounts, with via: 'slack'. The workflow DMs the manager the login.
 */
import type { App, ViewSubmitAction } from '@slack/bolt';
import { utcTime } from '../../../activities/slack-messages';
import { checkExtend } from '../../../workflows/temporary-account/state';
import type { TemporaryAccountInput } from '../../../workflows/temporary-account/types';
import { fullName } from '../../../workflows/temporary-account/wording';
import { newRequestId } from '../../access-requests';
import { createAccountBody } from '../../schemas';
import { AccountField, AccountModal } from '../account-modals';
import { clickUpdateId } from '../actions/click';
import type { SlackDeps } from '../deps';
import { decodeMetadata } from '../modals';
import { refusalText, refusedText } from '../replies';
import { selectedValue, tellUser, textValue, type Submission } from './submission';

/** Slack closes a submission it has no answer to after 3 s; past this, the answer is a DM. */
const ACK_BUDGET_MS = 2000;

type Values = Submission['view']['state']['values'];
type Checked = { ok: true; input: Omit<TemporaryAccountInput, 'accountId' | 'submittedAt'> } | { ok: false; errors: Record<string, string> };

const FIELD: Record<string, string> = {
  firstName: AccountField.FirstName,
  lastName: AccountField.LastName,
  personalEmail: AccountField.PersonalEmail,
  validity: AccountField.Validity,
  groups: AccountField.Groups,
  reason: AccountField.Reason,
};

const sentence = (message: string) => `${message.charAt(0).toUpperCase()}${message.slice(1)}.`;

export async function checkAccountForm(deps: SlackDeps, slackUserId: string, teamId: string | undefined, values: Values): Promise<Checked> {
  const fail = (field: string, message: string): Checked => ({ ok: false, errors: { [field]: message } });
  const who = await deps.identity.whoIs(slackUserId, teamId);
  if ('refused' in who) return fail(AccountField.FirstName, refusedText(who.refused));
  const validityMs = Number(selectedValue(values, AccountField.Validity));
  const parsed = createAccountBody.safeParse({
    firstName: textValue(values, AccountField.FirstName),
    lastName: textValue(values, AccountField.LastName),
    personalEmail: values[AccountField.PersonalEmail]?.[AccountField.PersonalEmail]?.value?.trim() || undefined,
    validity: Number.isFinite(validityMs) && validityMs > 0 ? `${validityMs}ms` : '',
    groups: (values[AccountField.Groups]?.[AccountField.Groups]?.selected_options ?? []).map((o) => o.value),
    reason: textValue(values, AccountField.Reason),
  });
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) errors[FIELD[String(issue.path[0])] ?? AccountField.FirstName] ??= sentence(issue.message);
    return { ok: false, errors };
  }
  const form = parsed.data;
  const resolution = await deps.accounts!.resolve(who.login, { validityMs: form.validity, groups: form.groups });
  if (!resolution.ok) {
    if (resolution.code !== 'not_offered') return fail(AccountField.FirstName, sentence(resolution.message));
    return { ok: false, errors: Object.fromEntries(resolution.problems.map((p) => [FIELD[p.field]!, sentence(`${p.message} (offered: ${p.allowed.join(', ')})`)])) };
  }
  return {
    ok: true,
    input: {
      manager: who.login,
      firstName: form.firstName,
      lastName: form.lastName,
      ...(form.personalEmail ? { personalEmail: form.personalEmail.toLowerCase() } : {}),
      validityMs: form.validity,
      groups: [...new Set(form.groups)],
      reason: form.reason,
      via: 'slack',
      resolved: resolution.resolved,
    },
  };
}

export async function onCreateAccountSubmit(deps: SlackDeps, sub: Submission): Promise<void> {
  const user = sub.body.user.id;
  if (!deps.accounts) return void (await sub.ack({ response_action: 'errors', errors: { [AccountField.FirstName]: 'Temporary accounts are not enabled here.' } }));
  const checking = checkAccountForm(deps, user, sub.body.team?.id ?? undefined, sub.view.state.values).catch((err: unknown): Checked => {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, '/access temp: checks failed');
    return { ok: false, errors: { [AccountField.FirstName]: 'Gatehouse could not check this form just now. Please try again in a moment.' } };
  });
  let timer: NodeJS.Timeout | undefined;
  const early = await Promise.race([checking, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ACK_BUDGET_MS)))]);
  clearTimeout(timer);
  if (early && !early.ok) return void (await sub.ack({ response_action: 'errors', errors: early.errors }));
  await sub.ack();
  const checked = early ?? (await checking);
  if (!checked.ok) return tellUser(sub, deps.logger, user, undefined, `:no_entry: The account was not created: ${Object.values(checked.errors).join(' ')}`);
  try {
    const started = await deps.accounts.start({ accountId: newRequestId(), ...checked.input, submittedAt: new Date().toISOString() });
    deps.logger.info({ accountId: started.state.accountId, manager: checked.input.manager, via: 'slack' }, 'temporary account requested');
    await tellUser(sub, deps.logger, user, undefined, `:hourglass_flowing_sand: Creating a temporary account for ${fullName(checked.input)}… Gatehouse DMs you its login here in a moment; the sign-in details go to your e-mail.`);
  } catch (err) {
    await tellUser(sub, deps.logger, user, undefined, refusalText('create this account', err));
  }
}

export async function onExtendAccountSubmit(deps: SlackDeps, sub: Submission): Promise<void> {
  const meta = decodeMetadata(sub.view.private_metadata);
  const durationMs = Number(selectedValue(sub.view.state.values, AccountField.Duration));
  const user = sub.body.user.id;
  if (!meta || !deps.accounts) return void (await sub.ack());
  if (!Number.isFinite(durationMs) || durationMs <= 0) return void (await sub.ack({ response_action: 'errors', errors: { [AccountField.Duration]: 'Choose how long to extend by.' } }));
  let login: string | null = null;
  let refused = refusedText('not_in_okta');
  try {
    const who = await deps.identity.whoIs(user, sub.body.team?.id ?? undefined);
    if ('refused' in who) refused = refusedText(who.refused);
    else login = who.login;
    const loaded = login ? await deps.accounts.load(meta.requestId, 1500) : undefined;
    const refusal = loaded && !loaded.partial && login ? checkExtend(loaded.state, { actor: login, durationMs, via: 'slack' }) : null;
    if (refusal) return void (await sub.ack({ response_action: 'errors', errors: { [AccountField.Duration]: refusal.message } }));
  } catch (err) {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'account extension pre-check failed; the Update decides');
  }
  await sub.ack();
  if (!login) return tellUser(sub, deps.logger, user, meta.channel, refused);
  try {
    const { state } = await deps.accounts.extend(meta.requestId, { actor: login, durationMs, via: 'slack' }, clickUpdateId('extend-account', user, meta));
    await tellUser(sub, deps.logger, user, meta.channel, `:white_check_mark: Extended: ${state.login} is now active until ${state.expiresAt ? utcTime(state.expiresAt) : '?'}.`);
  } catch (err) {
    await tellUser(sub, deps.logger, user, meta.channel, refusalText('extend this account', err));
  }
}

export function register(app: App, deps: SlackDeps): void {
  app.view<ViewSubmitAction>(AccountModal.Create, (args) => onCreateAccountSubmit(deps, args));
  app.view<ViewSubmitAction>(AccountModal.Extend, (args) => onExtendAccountSubmit(deps, args));
}
