/**
 * The requester's pages: Request access (/requests/new), My requests (/requests, live), one
 * request (/requests/:id: facts, buttons, the audit timeline, the Jira and Web UI links), and the
 * requester's actions (cancel, extend, I'm done). Every action goes through the request service
 * and the workflow's Update validators, with `via: 'portal'` and the signed-in person as actor.
 */
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { WorkflowNotFoundError } from '@temporalio/common';
import { parseDuration } from '../../activities/policy/duration';
import { checkRequestAgainstResource, resolveRequest } from '../../activities/policy/resolve';
import type { ResourcePolicy } from '../../activities/policy/schema';
import { cancelUpdate, extendUpdate, revokeUpdate } from '../../workflows/access-request/messages';
import { formatDuration } from '../../workflows/access-request/wording';
import { OPEN_STATUSES, type AccessRequestInput, type RequestState, type ResolutionErrorCode } from '../../workflows/access-request/types';
import { OpenRequestExists, REQUEST_ID_PATTERN, requestIdForIdempotencyKey, type LoadedState } from '../access-requests';
import { HttpError, notFound } from '../errors';
import { eligibleOffers } from '../slack/offers';
import type { Offer } from '../slack/modals';
import { toRequestView, type RequestView } from '../views';
import type { PortalContext } from './context';
import { checkPost, personOf, requirePerson } from './guard';
import { html, safeUrl, type Html } from './html';
import { csrfField, page, type PortalPerson } from './layout';
import { refusalOf, sentence, type Refusal } from './refusals';
import { approverActions, facts, requesterActions, statusBadge, timeline } from './render';
import { randomToken } from './session';

/** Path ids that cannot be a request are simply not found (no Temporal call). */
export function requestIdParam(req: Request): string {
  const id = String(req.params.id ?? '').toUpperCase();
  if (!REQUEST_ID_PATTERN.test(id)) throw notFound('request');
  return id;
}

/** Confirmations after a redirect: fixed sentences chosen by a key, so nothing is reflected. */
export const DONE: Record<string, string> = {
  filed: 'Your request is filed. Its approvers have been asked; this page shows where it is.',
  cancelled: 'Your request is cancelled.',
  extended: 'Your access is extended.',
  revoked: 'You handed the access back; it is being removed.',
  approved: 'Approved. The request moves on.',
  denied: 'Denied. The requester is told why.',
  'account-created': 'The account is being created. Its login shows here in a moment; the sign-in details go to your e-mail, for you to hand over.',
  'account-extended': 'The account is extended.',
  'account-closing': 'The account is being closed: its sessions end and it is removed from Okta.',
  'review-kept': 'Kept: the user keeps the assignment, and your decision is recorded.',
  'review-revoked': 'Revoked: Gatehouse removes the assignment in Okta.',
};
export const doneNotice = (req: Request): string | null => (typeof req.query.done === 'string' ? (DONE[req.query.done] ?? null) : null);

/** What a live list answers: its markup, a signature (so the page replaces it only when it changed) and a one-line summary. */
export const liveAnswer = (markup: Html, summary: string) => ({ signature: createHash('sha256').update(markup.value).digest('base64url').slice(0, 22), html: markup.value, summary });

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

// ---- Request access

type FieldName = 'resource' | 'duration' | 'justification';
interface FormValues {
  resource: string;
  duration: string;
  justification: string;
}
interface FormErrors {
  fields: Partial<Record<FieldName, string>>;
  top?: Html | string;
}

const requestForm = z.strictObject({
  _csrf: z.string(),
  submission: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'not a form of this page'),
  resource: z.string().max(200).default(''),
  duration: z.string().max(50).default(''),
  justification: z.string().max(2000).default(''),
});

const FIELD_OF: Record<ResolutionErrorCode, FieldName | null> = {
  unknown_resource: 'resource',
  not_eligible: 'resource',
  risk_gate: 'resource',
  duration_exceeds_policy: 'duration',
  justification_required: 'justification',
  justification_invalid: 'justification',
  unknown_user: null,
  no_approvers: null,
};
const LABEL: Record<FieldName, string> = { resource: 'Resource', duration: 'Duration', justification: 'Justification' };

function hints(r: ResourcePolicy): Record<`${FieldName}-hint`, string> {
  const d = r.duration;
  const j = r.justification;
  return {
    'resource-hint': r.description ?? r.name,
    'duration-hint': `Leave it empty for the default, ${formatDuration(d.default)}; at most ${formatDuration(d.max)}${d.min !== undefined ? `, at least ${formatDuration(d.min)}` : ''}. Write it like 30m, 2h or 1h30m.`,
    'justification-hint': j?.pattern ? `${j.required ? 'Required' : 'Optional'}; it must match the pattern ${j.pattern} (for example, cite a ticket key).` : j?.required ? 'Required: say why you need it.' : 'Optional: say why you need it.',
  };
}

function requestFormPage(person: PortalPerson, offers: Offer[], values: FormValues, errors: FormErrors = { fields: {} }): string {
  if (offers.length === 0) {
    return page({ title: 'Request access', person, current: '/requests/new' }, html`<p>There is nothing you may request: no resource of the policy lists you as eligible.</p>`);
  }
  const chosen = offers.find((o) => o.key === values.resource) ?? offers[0]!;
  const hint = hints(chosen.resource);
  const fieldErrors = Object.entries(errors.fields) as [FieldName, string][];
  const described = (name: FieldName) => `${name}-hint${errors.fields[name] ? ` ${name}-error` : ''}`;
  const invalid = (name: FieldName) => (errors.fields[name] ? html` aria-invalid="true"` : '');
  const fieldError = (name: FieldName) => (errors.fields[name] ? html`<p class="field-error" id="${name}-error">${errors.fields[name]}</p>` : '');
  const top =
    errors.top ??
    (fieldErrors.length
      ? html`Your request was not filed. Please correct:<ul>${fieldErrors.map(([name, message]) => html`<li><a href="#${name}">${LABEL[name]}</a>: ${message}</li>`)}</ul>`
      : undefined);
  const options = offers.map((o) => {
    const h = hints(o.resource);
    return html`<option value="${o.key}"${o.key === chosen.key ? html` selected` : ''} data-resource-hint="${h['resource-hint']}" data-duration-hint="${h['duration-hint']}" data-justification-hint="${h['justification-hint']}">${o.resource.name} (${o.key})</option>`;
  });
  return page(
    { title: 'Request access', person, current: '/requests/new', error: top },
    html`<form method="post" action="/requests/new" class="card" novalidate>
${csrfField(person)}<input type="hidden" name="submission" value="${randomToken(18)}">
<div class="field"><label for="resource">Resource</label>
<select id="resource" name="resource" aria-describedby="${described('resource')}"${invalid('resource')}>${options}</select>
<p class="hint" id="resource-hint">${hint['resource-hint']}</p>${fieldError('resource')}</div>
<div class="field"><label for="duration">Duration</label>
<input type="text" id="duration" name="duration" value="${values.duration}" placeholder="${formatDuration(chosen.resource.duration.default)}" autocomplete="off" spellcheck="false" aria-describedby="${described('duration')}"${invalid('duration')}>
<p class="hint" id="duration-hint">${hint['duration-hint']}</p>${fieldError('duration')}</div>
<div class="field"><label for="justification">Justification</label>
<textarea id="justification" name="justification" rows="3" maxlength="2000" aria-describedby="${described('justification')}"${invalid('justification')}>${values.justification}</textarea>
<p class="hint" id="justification-hint">${hint['justification-hint']}</p>${fieldError('justification')}</div>
<button type="submit" class="primary">Request access</button>
</form>`,
  );
}

// ---- Lists and details

function requestCard(ctx: PortalContext, person: PortalPerson, loaded: LoadedState): Html {
  const view = toRequestView(loaded.state, ctx.links);
  return html`<li class="card" data-request="${view.id}"><h2><a href="/requests/${view.id}">${view.resourceName ?? view.resource}</a> ${statusBadge(view.status)}</h2>
${facts(view)}${requesterActions(loaded.state, person)}</li>`;
}

/** Open requests first, then the most recent. */
const byRelevance = (a: LoadedState, b: LoadedState) =>
  Number(OPEN_STATUSES.includes(b.state.status)) - Number(OPEN_STATUSES.includes(a.state.status)) || b.state.createdAt.localeCompare(a.state.createdAt);

async function myRequests(ctx: PortalContext, person: PortalPerson): Promise<{ markup: Html; summary: string }> {
  const { items } = await ctx.service.list({ requester: person.login }, 50);
  const sorted = items.filter((i) => same(i.state.requester, person.login)).sort(byRelevance);
  const open = sorted.filter((i) => OPEN_STATUSES.includes(i.state.status)).length;
  const markup = sorted.length
    ? html`${sorted.map((loaded) => requestCard(ctx, person, loaded))}`
    : html`<li class="empty">You have no requests yet. <a href="/requests/new">Request access</a>.</li>`;
  return { markup, summary: `${open} open, ${sorted.length} shown (the latest 50).` };
}

function detailPage(ctx: PortalContext, person: PortalPerson, loaded: LoadedState, trail: Html, opts: { notice?: string | null; refusal?: Refusal } = {}): string {
  const view: RequestView = toRequestView(loaded.state, ctx.links);
  const jira = safeUrl(view.jira?.url);
  const links = [
    jira && view.jira ? html`<a href="${jira}">Jira ticket ${view.jira.key}</a>` : null,
    html`<a href="${view.links.webUi}">The workflow in Temporal’s Web UI</a>`,
  ].filter(Boolean);
  return page(
    { title: view.resourceName ?? view.resource, person, current: same(view.requester, person.login) ? '/requests' : undefined, notice: opts.notice, error: opts.refusal?.message },
    html`<section class="card" aria-labelledby="summary-title"><h2 id="summary-title">Request ${view.id} ${statusBadge(view.status)}</h2>
${facts(view, { requester: true })}
${view.approvals.length ? html`<p class="meta">Decisions: ${view.approvals.map((a, i) => html`${i ? '; ' : ''}${a.decision} by ${a.approver} (step ${a.step}, via ${a.via})`)}</p>` : ''}
${requesterActions(loaded.state, person)}${approverActions(loaded.state, person)}
<p>${links.map((l, i) => html`${i ? ' · ' : ''}${l}`)}</p></section>
<section class="card" aria-labelledby="timeline-title"><h2 id="timeline-title">Timeline</h2>${trail}</section>`,
  );
}

/** Who may look at a request: its requester, the approvers of any of its steps, and the resource's owners. */
function mayView(state: RequestState, login: string): boolean {
  if (same(state.requester, login)) return true;
  const r = state.resolved;
  return !!r && (r.owners.some((o) => same(o, login)) || r.steps.some((s) => s.approvers.some((a) => same(a, login))));
}

async function loadVisible(ctx: PortalContext, id: string, person: PortalPerson): Promise<LoadedState> {
  const loaded = await ctx.service.loadState(id);
  if (!mayView(loaded.state, person.login)) {
    throw new HttpError(403, 'forbidden', 'Only the requester, the approvers and the resource’s owners can see this request.');
  }
  return loaded;
}

async function auditTrail(ctx: PortalContext, req: Request, id: string): Promise<Html> {
  if (!ctx.audit) return html`<p class="empty">The audit log is not configured for this API.</p>`;
  try {
    return timeline(await ctx.audit.trail(id));
  } catch (err) {
    req.log.warn({ err: err instanceof Error ? err.message : String(err), requestId: id }, 'portal: audit trail unavailable');
    return html`<p class="empty">The audit log is not answering just now; reload the page in a moment.</p>`;
  }
}

async function existing(ctx: PortalContext, requestId: string): Promise<LoadedState | undefined> {
  try {
    return await ctx.service.loadState(requestId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

export function requestsRouter(ctx: PortalContext, onChange: () => void): Router {
  const router = Router();
  const post = checkPost(ctx.publicOrigin);
  const me = (res: Response) => personOf(res)!;

  router.get('/requests/new', requirePerson, async (req, res) => {
    const person = me(res);
    const offers = await eligibleOffers(ctx, person.login);
    const resource = typeof req.query.resource === 'string' ? req.query.resource : '';
    res.send(requestFormPage(person, offers, { resource, duration: '', justification: '' }));
  });

  router.post('/requests/new', requirePerson, post, async (req, res) => {
    const person = me(res);
    const body = requestForm.parse(req.body);
    const values: FormValues = { resource: body.resource, duration: body.duration.trim(), justification: body.justification.trim() };
    const offers = await eligibleOffers(ctx, person.login);
    const refuse = (status: number, errors: FormErrors) => res.status(status).send(requestFormPage(person, offers, values, errors));

    // Field by field first, so every problem of the form shows at once, next to its field.
    const fields: FormErrors['fields'] = {};
    const offer = offers.find((o) => o.key === values.resource);
    if (!offer) fields.resource = values.resource ? `You are not eligible for ${values.resource}.` : 'Choose a resource.';
    const durationMs = values.duration ? parseDuration(values.duration) : undefined;
    if (durationMs === null || durationMs === 0) fields.duration = 'Not a duration: write it like 30m, 2h or 1h30m.';
    if (offer) {
      const durationProblem = durationMs ? checkRequestAgainstResource({ ...offer.resource, justification: undefined }, { durationMs }) : null;
      if (durationProblem && !durationProblem.ok && !fields.duration) fields.duration = sentence(durationProblem.message);
      const justificationProblem = checkRequestAgainstResource(offer.resource, { durationMs: offer.resource.duration.default, justification: values.justification || undefined });
      if (justificationProblem && !justificationProblem.ok) fields.justification = sentence(justificationProblem.message);
    }
    if (Object.keys(fields).length) return refuse(fields.resource ? 403 : 422, { fields });

    // The same submission sent twice (a double click, a reload) is the same request.
    const requestId = requestIdForIdempotencyKey(`portal:${person.userId}`, person.login, body.submission);
    const already = await existing(ctx, requestId);
    if (already) return res.redirect(303, `/requests/${requestId}`);

    const resolution = await resolveRequest(ctx.policy(), ctx.okta, {
      requester: person.login,
      resource: values.resource,
      ...(durationMs ? { durationMs } : {}),
      ...(values.justification ? { justification: values.justification } : {}),
    });
    if (!resolution.ok) {
      const field = FIELD_OF[resolution.code];
      const status = resolution.code === 'not_eligible' || resolution.code === 'risk_gate' ? 403 : 422;
      return refuse(status, field ? { fields: { [field]: sentence(resolution.message) } } : { fields: {}, top: `Your request was not filed: ${sentence(resolution.message)}` });
    }
    const input: AccessRequestInput = {
      requestId,
      requester: person.login,
      resource: values.resource,
      ...(durationMs ? { durationMs } : {}),
      ...(values.justification ? { justification: values.justification } : {}),
      via: 'portal',
      submittedAt: new Date().toISOString(),
    };
    try {
      await ctx.service.submit(input, true);
    } catch (err) {
      if (err instanceof OpenRequestExists) {
        return refuse(409, { fields: {}, top: html`You already have an open request for ${offer!.resource.name}: <a href="/requests/${err.requestId}">request ${err.requestId}</a>. Extend it or hand it back instead.` });
      }
      const refusal = refusalOf(err, 'file this request');
      if (!refusal) throw err;
      return refuse(refusal.status, { fields: {}, top: refusal.message });
    }
    req.log.info({ requestId, workflowId: `access-request-${requestId}`, requester: person.login, via: 'portal' }, 'access request submitted');
    onChange();
    res.redirect(303, `/requests/${requestId}?done=filed`);
  });

  router.get('/requests', requirePerson, async (req, res) => {
    const person = me(res);
    const { markup, summary } = await myRequests(ctx, person);
    res.send(
      page(
        { title: 'My requests', person, current: '/requests', notice: doneNotice(req) },
        html`<p><a class="button primary" href="/requests/new">Request access</a></p>
<p id="live-status" class="meta" role="status">${summary}</p>
<ul class="list" id="my-requests" data-live="/requests/live" data-signature="${liveAnswer(markup, summary).signature}">${markup}</ul>`,
      ),
    );
  });

  router.get('/requests/live', async (_req, res) => {
    const person = personOf(res);
    if (!person) throw new HttpError(401, 'unauthorized', 'not signed in');
    const { markup, summary } = await myRequests(ctx, person);
    res.set('Cache-Control', 'no-store').json(liveAnswer(markup, summary));
  });

  router.get('/requests/:id', requirePerson, async (req, res) => {
    const person = me(res);
    const id = requestIdParam(req);
    const [loaded, trail] = await Promise.all([loadVisible(ctx, id, person), auditTrail(ctx, req, id)]);
    res.send(detailPage(ctx, person, loaded, trail, { notice: doneNotice(req) }));
  });

  /** One requester action: the Update, then back to the request; a refusal shows on its page. */
  const action = <B>(name: string, what: string, parse: (body: unknown) => B, send: (id: string, actor: string, body: B) => Promise<unknown>) => {
    router.post(`/requests/:id/${name}`, requirePerson, post, async (req, res) => {
      const person = me(res);
      const id = requestIdParam(req);
      const body = parse(req.body);
      try {
        await send(id, person.login, body);
      } catch (err) {
        const refusal = refusalOf(err, what);
        if (!refusal) throw err;
        const [loaded, trail] = await Promise.all([loadVisible(ctx, id, person), auditTrail(ctx, req, id)]);
        return res.status(refusal.status).send(detailPage(ctx, person, loaded, trail, { refusal }));
      }
      req.log.info({ requestId: id, actor: person.login, action: name, via: 'portal' }, 'portal: request action');
      onChange();
      res.redirect(303, `/requests/${id}?done=${name === 'revoke' ? 'revoked' : name === 'cancel' ? 'cancelled' : 'extended'}`);
    });
  };
  const csrfOnly = z.strictObject({ _csrf: z.string() });
  const extendForm = z.strictObject({ _csrf: z.string(), n: z.coerce.number().int().min(0).max(1000), duration: z.string().max(50) });
  // Update ids: a double-submitted form is one Update (Temporal applies an id once).
  action('cancel', 'cancel this request', (b) => csrfOnly.parse(b), (id, actor) => ctx.service.decide(id, cancelUpdate, { actor, via: 'portal' }, `portal:cancel:${id}:${actor}`));
  action('revoke', 'end this grant', (b) => csrfOnly.parse(b), (id, actor) =>
    ctx.service.decide(id, revokeUpdate, { actor, reason: 'handed back in the portal', via: 'portal' }, `portal:revoke:${id}:${actor}`),
  );
  action('extend', 'extend this grant', (b) => extendForm.parse(b), (id, actor, body) => {
    const durationMs = parseDuration(body.duration);
    if (!durationMs) throw new HttpError(400, 'validation_failed', 'choose how long to extend by');
    return ctx.service.decide(id, extendUpdate, { actor, durationMs, via: 'portal' }, `portal:extend:${id}:${actor}:${body.n}`);
  });

  return router;
}

