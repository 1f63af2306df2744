/**
 * The /access form's submission. Every rule POST /v1/requests applies (policy, directory,
 * eligibility, risk gate, an open request for the same resource) is checked before the modal
 * closes, so problems show next to the field; a valid request is then started by the same
 * service as the HTTP route, with via: 'slack'. The workflow DMs the requester its progress.
 */
import type { App, ViewSubmitAction } from '@slack/bolt';
import { parseDuration } from '../../../activities/policy/duration';
import { checkRequestAgainstResource, resolveRequest } from '../../../activities/policy/resolve';
import type { ResolutionErrorCode, ResolvedRequest } from '../../../workflows/access-request/types';
import { newRequestId, OpenRequestExists } from '../../access-requests';
import { HttpError } from '../../errors';
import type { SlackDeps } from '../deps';
import { Field, Modal } from '../modals';
import { eligibleOffers } from '../offers';
import { refusalText, refusedText } from '../replies';
import { selectedValue, tellUser, textValue, type Submission } from './submission';

/** Slack closes a submission it has no answer to after 3 s; past this, the modal closes and the answer is a DM. */
const ACK_BUDGET_MS = 2000;

export interface AccessForm {
  requester: string;
  resource: string;
  durationMs?: number;
  justification?: string;
  /** Resolved once, here, where the request enters: the workflow resolves nothing again. */
  resolved?: ResolvedRequest;
}

type Checked = { ok: true; form: AccessForm } | { ok: false; errors: Record<string, string> };

const FIELD_OF: Record<ResolutionErrorCode, string> = {
  unknown_resource: Field.Resource,
  unknown_user: Field.Resource,
  not_eligible: Field.Resource,
  risk_gate: Field.Resource,
  no_approvers: Field.Resource,
  duration_exceeds_policy: Field.Duration,
  justification_required: Field.Justification,
  justification_invalid: Field.Justification,
};

const sentence = (message: string) => `${message.charAt(0).toUpperCase()}${message.slice(1)}.`;

export async function checkAccessForm(deps: SlackDeps, slackUserId: string, teamId: string | undefined, values: Submission['view']['state']['values']): Promise<Checked> {
  const fail = (field: string, message: string): Checked => ({ ok: false, errors: { [field]: message } });
  const who = await deps.identity.whoIs(slackUserId, teamId);
  if ('refused' in who) return fail(Field.Resource, refusedText(who.refused));
  const login = who.login;
  const resource = selectedValue(values, Field.Resource);
  if (!resource) return fail(Field.Resource, 'Choose a resource.');
  const offer = (await eligibleOffers(deps, login)).find((o) => o.key === resource);
  if (!offer) return fail(Field.Resource, `You are not eligible for ${resource}.`);
  const durationText = textValue(values, Field.Duration);
  const durationMs = durationText ? parseDuration(durationText) : undefined;
  if (durationMs === null || durationMs === 0) return fail(Field.Duration, 'Not a duration: write it like 30m, 2h or 1h30m.');
  const justification = textValue(values, Field.Justification) || undefined;
  // Duration and justification are checked apart, so both problems show at once.
  const errors: Record<string, string> = {};
  const durationProblem = checkRequestAgainstResource({ ...offer.resource, justification: undefined }, { durationMs: durationMs ?? undefined });
  if (durationProblem && !durationProblem.ok) errors[Field.Duration] = sentence(durationProblem.message);
  const justificationProblem = checkRequestAgainstResource(offer.resource, { durationMs: offer.resource.duration.default, justification });
  if (justificationProblem && !justificationProblem.ok) errors[Field.Justification] = sentence(justificationProblem.message);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const form: AccessForm = { requester: login, resource, ...(durationMs ? { durationMs } : {}), ...(justification ? { justification } : {}) };
  const resolution = await resolveRequest(deps.policy(), deps.okta, form);
  if (!resolution.ok) return fail(FIELD_OF[resolution.code], sentence(resolution.message));
  const open = await deps.service.findOpenRequest(login, resource);
  if (open) return fail(Field.Resource, `You already have an open request for ${offer.resource.name} (${open}).`);
  return { ok: true, form: { ...form, resolved: resolution.resolved } };
}

/** Starts the request exactly as POST /v1/requests does: one create per person and resource at a time. */
export async function startAccessRequest(deps: SlackDeps, form: AccessForm) {
  try {
    return await deps.service.submit({ requestId: newRequestId(), ...form, via: 'slack', submittedAt: new Date().toISOString() }, false);
  } catch (err) {
    if (err instanceof OpenRequestExists) throw new HttpError(409, 'conflict', `you already have an open request for ${form.resource}: ${err.requestId}`);
    throw err;
  }
}

export async function onAccessSubmit(deps: SlackDeps, sub: Submission): Promise<void> {
  const user = sub.body.user.id;
  const checking = checkAccessForm(deps, user, sub.body.team?.id ?? undefined, sub.view.state.values).catch((err: unknown): Checked => {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, '/access: checks failed');
    return { ok: false, errors: { [Field.Resource]: 'Gatehouse could not check this request just now. Please try again in a moment.' } };
  });
  let timer: NodeJS.Timeout | undefined;
  const early = await Promise.race([checking, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ACK_BUDGET_MS)))]);
  clearTimeout(timer);
  if (early && !early.ok) return void (await sub.ack({ response_action: 'errors', errors: early.errors }));
  await sub.ack();
  const checked = early ?? (await checking);
  if (!checked.ok) return tellUser(sub, deps.logger, user, undefined, `:no_entry: Your request was not filed: ${Object.values(checked.errors).join(' ')}`);
  try {
    const started = await startAccessRequest(deps, checked.form);
    deps.logger.info({ requestId: started.state.requestId, requester: checked.form.requester, resource: checked.form.resource, via: 'slack' }, 'access request submitted');
  } catch (err) {
    await tellUser(sub, deps.logger, user, undefined, refusalText('file this request', err));
  }
}

export function register(app: App, deps: SlackDeps): void {
  app.view<ViewSubmitAction>(Modal.Access, (args) => onAccessSubmit(deps, args));
}
