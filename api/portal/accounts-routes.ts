/**
 * Temporary accounts (SPEC §11, §13), for the managers the policy lets ask for them: the accounts
 * they manage (/temporary-accounts, live), the form (/temporary-accounts/new), one account
 * (/temporary-accounts/:id, live: the login appears when the workflow has chosen it), Extend and
 * Close. The form is checked by the HTTP API's own schema (createAccountBody) and the policy's
 * resolution, and started by the same TemporaryAccountService; extend and close are the
 * workflow's Updates. The manager is always the signed-in person. The credential never shows
 * here: the workflow mails it to the manager.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { parseDuration } from '../../activities/policy/duration';
import { validityChoices } from '../../activities/policy/temporary-accounts';
import type { TemporaryAccountsPolicy } from '../../activities/policy/schema';
import { temporaryAccountWorkflowId } from '../../workflows/constants';
import { formatDuration } from '../../workflows/access-request/wording';
import { extensionChoices, mayManage } from '../../workflows/temporary-account/state';
import { OPEN_ACCOUNT_STATUSES, type AccountState } from '../../workflows/temporary-account/types';
import { fullName } from '../../workflows/temporary-account/wording';
import { REQUEST_ID_PATTERN, requestIdForIdempotencyKey } from '../access-requests';
import { HttpError, notFound } from '../errors';
import { createAccountBody } from '../schemas';
import type { LoadedAccount, TemporaryAccountService } from '../temporary-accounts';
import { webUiLink } from '../views';
import type { PortalContext } from './context';
import { checkPost, personOf, requirePerson, requireRole } from './guard';
import { html, time, type Html } from './html';
import { csrfField, page, type PortalPerson } from './layout';
import { statusBadge } from './render';
import { refusalOf, sentence, type Refusal } from './refusals';
import { doneNotice, liveAnswer } from './requests-routes';
import { randomToken } from './session';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function accountIdParam(req: Request): string {
  const id = String(req.params.id ?? '').toUpperCase();
  if (!REQUEST_ID_PATTERN.test(id)) throw notFound('temporary account');
  return id;
}

// ---- The form

type FieldName = 'firstName' | 'lastName' | 'personalEmail' | 'validity' | 'groups' | 'reason';
const FIELDS: readonly FieldName[] = ['firstName', 'lastName', 'personalEmail', 'validity', 'groups', 'reason'];
const LABEL: Record<FieldName, string> = {
  firstName: 'First name',
  lastName: 'Last name',
  personalEmail: 'Personal e-mail (optional)',
  validity: 'Valid for',
  groups: 'Groups',
  reason: 'Reason',
};
/** What an empty required field says (zod's own "too small" is not for people). */
const REQUIRED: Partial<Record<FieldName, string>> = {
  firstName: 'Write the first name.',
  lastName: 'Write the last name.',
  reason: 'Say why this person needs an account.',
  validity: 'Choose how long the account is valid.',
};

interface FormValues {
  firstName: string;
  lastName: string;
  personalEmail: string;
  validity: string;
  groups: string[];
  reason: string;
}
interface FormErrors {
  fields: Partial<Record<FieldName, string>>;
  top?: Html | string;
}

/** The form as the browser sends it (one `groups` value is a string, several an array). */
const accountForm = z.strictObject({
  _csrf: z.string(),
  submission: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'not a form of this page'),
  firstName: z.string().max(200).default(''),
  lastName: z.string().max(200).default(''),
  personalEmail: z.string().max(320).default(''),
  validity: z.string().max(50).default(''),
  groups: z
    .union([z.string().max(100), z.array(z.string().max(100)).max(20)])
    .default([])
    .transform((v) => (Array.isArray(v) ? v : [v])),
  reason: z.string().max(2000).default(''),
});

function formPage(person: PortalPerson, t: TemporaryAccountsPolicy, values: FormValues, errors: FormErrors = { fields: {} }): string {
  const fieldErrors = FIELDS.filter((f) => errors.fields[f]);
  const describedBy = (name: FieldName, hint = true) => [hint ? `${name}-hint` : '', errors.fields[name] ? `${name}-error` : ''].filter(Boolean).join(' ');
  const invalid = (name: FieldName) => (errors.fields[name] ? html` aria-invalid="true"` : '');
  const fieldError = (name: FieldName) => (errors.fields[name] ? html`<p class="field-error" id="${name}-error">${errors.fields[name]}</p>` : '');
  const top =
    errors.top ??
    (fieldErrors.length
      ? html`The account was not created. Please correct:<ul>${fieldErrors.map((name) => html`<li><a href="#${name === 'groups' ? 'groups-0' : name}">${LABEL[name]}</a>: ${errors.fields[name]}</li>`)}</ul>`
      : undefined);
  const textInput = (name: 'firstName' | 'lastName' | 'personalEmail', type: string, autocomplete: string, hint: string) =>
    html`<div class="field"><label for="${name}">${LABEL[name]}</label>
<input type="${type}" id="${name}" name="${name}" value="${values[name]}" autocomplete="${autocomplete}" spellcheck="false" aria-describedby="${describedBy(name)}"${invalid(name)}>
<p class="hint" id="${name}-hint">${hint}</p>${fieldError(name)}</div>`;
  const groups = Object.entries(t.groups);
  const chosenValidity = values.validity || validityChoices(t)[0];
  return page(
    { title: 'New temporary account', person, current: '/temporary-accounts', error: top },
    html`<p>The login is made from the name (Gatehouse makes it unique). The sign-in details go to your e-mail, for you to hand over; the account closes by itself at the end of its validity, at most ${formatDuration(t.maxTotal)} after it is created.</p>
<form method="post" action="/temporary-accounts/new" class="card" novalidate>
${csrfField(person)}<input type="hidden" name="submission" value="${randomToken(18)}">
${textInput('firstName', 'text', 'off', 'As on their identity document; letters, spaces, apostrophes and hyphens.')}
${textInput('lastName', 'text', 'off', 'Accents are fine: the login is written without them.')}
${textInput('personalEmail', 'email', 'off', 'They get the login and how to sign in there, never the password.')}
<div class="field"><label for="validity">${LABEL.validity}</label>
<select id="validity" name="validity" aria-describedby="${describedBy('validity')}"${invalid('validity')}>${validityChoices(t).map((v) => html`<option value="${v}"${v === chosenValidity ? html` selected` : ''}>${v}</option>`)}</select>
<p class="hint" id="validity-hint">From when the account is made; you can extend it later.</p>${fieldError('validity')}</div>
${
  groups.length
    ? html`<fieldset class="field"${errors.fields.groups ? html` aria-describedby="groups-error"` : ''}><legend>${LABEL.groups}</legend>
${groups.map(([key, g], i) => html`<div class="check"><input type="checkbox" id="groups-${i}" name="groups" value="${key}"${values.groups.includes(key) ? html` checked` : ''}> <label for="groups-${i}">${g.name}</label></div>`)}
${fieldError('groups')}</fieldset>`
    : ''
}
<div class="field"><label for="reason">${LABEL.reason}</label>
<textarea id="reason" name="reason" rows="3" maxlength="500" aria-describedby="${describedBy('reason')}"${invalid('reason')}>${values.reason}</textarea>
<p class="hint" id="reason-hint">Who they are and why they need it (the audit log keeps it).</p>${fieldError('reason')}</div>
<button type="submit" class="primary">Create account</button>
</form>`,
  );
}

// ---- Accounts

function accountFacts(s: AccountState, opts: { manager?: boolean } = {}): Html {
  const rows: [string, Html | string][] = [];
  rows.push(['Login', s.login ? html`<code class="login" data-login="${s.login}">${s.login}</code>` : html`<span class="empty">being chosen…</span>`]);
  if (opts.manager) rows.push(['Manager', s.manager]);
  const names = s.resolved.groups.map((g) => g.name);
  rows.push(['Groups', names.length ? names.join(', ') : html`<span class="empty">none</span>`]);
  rows.push(['Reason', html`<span class="quote">${s.reason}</span>`]);
  if (s.personalEmail) rows.push(['Personal e-mail', s.personalEmail]);
  rows.push(['Asked for', time(s.createdAt)]);
  if (s.expiresAt && !s.closedAt) rows.push(['Valid until', html`${time(s.expiresAt)} <span class="meta">(at most until ${time(s.maxExpiresAt)})</span>`]);
  if (s.credential) rows.push(['Sign-in details', html`mailed to ${s.credential.sentTo} at ${time(s.credential.at)}`]);
  if (s.closeRequested && !s.closedAt) rows.push(['Closing', html`asked by ${s.closeRequested.by} at ${time(s.closeRequested.at)}`]);
  if (s.closedAt) rows.push(['Closed', html`${time(s.closedAt)}${s.endReason ? html` — ${s.endReason}` : ''}`]);
  if (s.status === 'failed' && s.failureReason) rows.push(['Failed', s.failureReason]);
  return html`<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

/** Extend (only what maxTotal still allows) and Close; the workflow's validators decide in the end. */
function accountActions(s: AccountState, person: PortalPerson): Html {
  if (!mayManage(s, person.login) || s.closeRequested) return html``;
  const id = s.accountId;
  const choices = s.status === 'active' ? extensionChoices(s) : [];
  const extend = choices.length
    ? html`<form method="post" action="/temporary-accounts/${id}/extend" class="inline">${csrfField(person)}<input type="hidden" name="n" value="${s.extensions.length}">
<div><label for="extend-${id}">Extend by</label><select id="extend-${id}" name="duration">${choices.map((ms) => html`<option value="${formatDuration(ms)}">${formatDuration(ms)}</option>`)}</select></div>
<button type="submit">Extend</button></form>`
    : '';
  const close =
    s.status === 'active' || s.status === 'provisioning'
      ? html`<form method="post" action="/temporary-accounts/${id}/close" class="inline">${csrfField(person)}
<div><label for="close-reason-${id}">Reason for closing</label><input type="text" id="close-reason-${id}" name="reason" maxlength="500" autocomplete="off"></div>
<button type="submit" class="danger">Close</button></form>`
      : '';
  return extend || close ? html`<div class="actions">${extend}${close}</div>` : html``;
}

function accountCard(s: AccountState, person: PortalPerson, opts: { link?: boolean } = {}): Html {
  const name = fullName(s);
  return html`<li class="card" data-account="${s.accountId}"><h2>${opts.link ? html`<a href="/temporary-accounts/${s.accountId}">${name}</a>` : name} ${statusBadge(s.status)}</h2>
${accountFacts(s, { manager: !same(s.manager, person.login) })}${accountActions(s, person)}</li>`;
}

/** Open accounts first, then the most recent. */
const byRelevance = (a: LoadedAccount, b: LoadedAccount) =>
  Number(OPEN_ACCOUNT_STATUSES.includes(b.state.status)) - Number(OPEN_ACCOUNT_STATUSES.includes(a.state.status)) || b.state.createdAt.localeCompare(a.state.createdAt);

async function myAccounts(accounts: TemporaryAccountService, person: PortalPerson): Promise<{ markup: Html; summary: string }> {
  // The accounts this person manages, as GET /v1/temporary-accounts lists them for a person.
  const { items } = await accounts.list({ manager: person.login }, 50);
  const sorted = items.filter((i) => same(i.state.manager, person.login)).sort(byRelevance);
  const open = sorted.filter((i) => OPEN_ACCOUNT_STATUSES.includes(i.state.status)).length;
  const markup = sorted.length
    ? html`${sorted.map((loaded) => accountCard(loaded.state, person, { link: true }))}`
    : html`<li class="empty">You have asked for no temporary account yet.</li>`;
  return { markup, summary: `${open} open, ${sorted.length} shown (the latest 50).` };
}

function detailPage(ctx: PortalContext, person: PortalPerson, loaded: LoadedAccount, opts: { notice?: string | null; refusal?: Refusal } = {}): string {
  const s = loaded.state;
  const card = accountCard(s, person);
  const extensions = s.extensions.length
    ? html`<ul>${s.extensions.map((e) => html`<li>+${formatDuration(e.durationMs)} by ${e.by} at ${time(e.at)}, until ${time(e.expiresAt)}</li>`)}</ul>`
    : html`<p class="empty">Not extended.</p>`;
  return page(
    { title: `Temporary account for ${fullName(s)}`, person, current: '/temporary-accounts', notice: opts.notice, error: opts.refusal?.message },
    html`<p id="live-status" class="meta" role="status">${liveSummary(s)}</p>
<ul class="list" id="account" data-live="/temporary-accounts/${s.accountId}/live" data-signature="${liveAnswer(card, liveSummary(s)).signature}">${card}</ul>
<section class="card" aria-labelledby="extensions-title"><h2 id="extensions-title">Extensions</h2>${extensions}</section>
<p><a href="/temporary-accounts">All your temporary accounts</a> · <a href="${webUiLink(ctx.links, temporaryAccountWorkflowId(s.accountId))}">The workflow in Temporal’s Web UI</a></p>`,
  );
}

function liveSummary(s: AccountState): string {
  if (s.status === 'provisioning') return s.login ? `Creating ${s.login} in Okta…` : 'Choosing a login and creating the account in Okta…';
  if (s.status === 'active') return `${s.login} is active; the sign-in details went to ${s.credential?.sentTo ?? 'your e-mail'}.`;
  if (s.status === 'closing') return `${s.login ?? 'The account'} is being closed.`;
  if (s.status === 'closed') return `${s.login ?? 'The account'} is closed.`;
  return `The account could not be created: ${s.failureReason ?? 'see the workflow'}.`;
}

export function accountsRouter(ctx: PortalContext): Router {
  const router = Router();
  const post = checkPost(ctx.publicOrigin);
  const me = (res: Response) => personOf(res)!;
  const policyOf = () => ctx.policy().temporaryAccounts;
  const accounts = () => ctx.accounts!;
  const managers = requireRole((person) => {
    if (!policyOf() || !ctx.accounts) return { off: 'Temporary accounts are not enabled by the policy.' };
    if (!person.roles.manager) {
      return { refused: `Temporary accounts are for the managers the policy lets ask for them (its temporaryAccounts.requesters rules on the Okta profile), and ${person.login}’s profile does not match those rules. Ask your manager or the security team.` };
    }
    return null;
  });

  /** The account, if the signed-in person manages it (its manager or a security admin). */
  async function loadManaged(id: string, person: PortalPerson): Promise<LoadedAccount> {
    const loaded = await accounts().load(id);
    if (!mayManage(loaded.state, person.login)) throw new HttpError(403, 'forbidden', 'Only the manager who asked for this account, or a security admin, can see it.');
    return loaded;
  }

  router.get('/temporary-accounts', requirePerson, managers, async (req, res) => {
    const person = me(res);
    const { markup, summary } = await myAccounts(accounts(), person);
    res.send(
      page(
        { title: 'Temporary accounts', person, current: '/temporary-accounts', notice: doneNotice(req) },
        html`<p><a class="button primary" href="/temporary-accounts/new">New temporary account</a></p>
<p id="live-status" class="meta" role="status">${summary}</p>
<ul class="list" id="accounts" data-live="/temporary-accounts/live" data-signature="${liveAnswer(markup, summary).signature}">${markup}</ul>`,
      ),
    );
  });

  router.get('/temporary-accounts/live', managers, async (_req, res) => {
    const { markup, summary } = await myAccounts(accounts(), me(res));
    res.set('Cache-Control', 'no-store').json(liveAnswer(markup, summary));
  });

  router.get('/temporary-accounts/new', requirePerson, managers, (_req, res) => {
    res.send(formPage(me(res), policyOf()!, { firstName: '', lastName: '', personalEmail: '', validity: '', groups: [], reason: '' }));
  });

  router.post('/temporary-accounts/new', requirePerson, managers, post, async (req, res) => {
    const person = me(res);
    const t = policyOf()!;
    const body = accountForm.parse(req.body);
    const values: FormValues = {
      firstName: body.firstName.trim(),
      lastName: body.lastName.trim(),
      personalEmail: body.personalEmail.trim(),
      validity: body.validity.trim(),
      groups: body.groups,
      reason: body.reason.trim(),
    };
    const refuse = (status: number, errors: FormErrors) => res.status(status).send(formPage(person, t, values, errors));

    // The HTTP API's own schema, field by field, so every problem shows at once next to its field.
    const parsed = createAccountBody.safeParse({
      firstName: values.firstName,
      lastName: values.lastName,
      ...(values.personalEmail ? { personalEmail: values.personalEmail } : {}),
      validity: values.validity,
      groups: values.groups,
      reason: values.reason,
    });
    if (!parsed.success) {
      const fields: FormErrors['fields'] = {};
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0]) as FieldName;
        if (!FIELDS.includes(field) || fields[field]) continue;
        const empty = typeof values[field] === 'string' && values[field] === '';
        fields[field] = empty && REQUIRED[field] ? REQUIRED[field] : sentence(field === 'personalEmail' ? 'not an e-mail address' : issue.message);
      }
      return refuse(422, { fields });
    }
    const form = parsed.data;

    // The same submission sent twice (a double click, a reload) is the same account.
    const accountId = requestIdForIdempotencyKey(`portal:${person.userId}`, person.login, `temporary-account\n${body.submission}`);
    const already = await accounts()
      .load(accountId)
      .catch((err: unknown) => {
        if (err instanceof HttpError && err.status === 404) return undefined;
        throw err;
      });
    if (already) return res.redirect(303, `/temporary-accounts/${accountId}`);

    const resolution = await accounts().resolve(person.login, { validityMs: form.validity, groups: form.groups });
    if (!resolution.ok) {
      if (resolution.code === 'not_offered') {
        return refuse(422, { fields: Object.fromEntries(resolution.problems.map((p) => [p.field, sentence(`${p.message} (offered: ${p.allowed.join(', ')})`)])) });
      }
      return refuse(resolution.code === 'not_eligible' ? 403 : 404, { fields: {}, top: `The account was not created: ${sentence(resolution.message)}` });
    }
    try {
      await accounts().start({
        accountId,
        manager: person.login,
        firstName: form.firstName,
        lastName: form.lastName,
        ...(form.personalEmail ? { personalEmail: form.personalEmail.toLowerCase() } : {}),
        validityMs: form.validity,
        groups: [...new Set(form.groups)],
        reason: form.reason,
        via: 'portal',
        submittedAt: new Date().toISOString(),
        resolved: resolution.resolved,
      });
    } catch (err) {
      const refusal = refusalOf(err, 'create this account');
      if (!refusal) throw err;
      return refuse(refusal.status, { fields: {}, top: refusal.message });
    }
    req.log.info({ accountId, workflowId: temporaryAccountWorkflowId(accountId), manager: person.login, via: 'portal' }, 'temporary account requested');
    res.redirect(303, `/temporary-accounts/${accountId}?done=account-created`);
  });

  router.get('/temporary-accounts/:id', requirePerson, managers, async (req, res) => {
    const person = me(res);
    res.send(detailPage(ctx, person, await loadManaged(accountIdParam(req), person), { notice: doneNotice(req) }));
  });

  router.get('/temporary-accounts/:id/live', managers, async (req, res) => {
    const person = me(res);
    const { state } = await loadManaged(accountIdParam(req), person);
    res.set('Cache-Control', 'no-store').json(liveAnswer(accountCard(state, person), liveSummary(state)));
  });

  /** Extend and Close: the workflow's Update as the signed-in person; a refusal shows on the account's page. */
  const change = <B>(name: 'extend' | 'close', what: string, parse: (body: unknown) => B, send: (id: string, actor: string, body: B) => Promise<unknown>) => {
    router.post(`/temporary-accounts/:id/${name}`, requirePerson, managers, post, async (req, res) => {
      const person = me(res);
      const id = accountIdParam(req);
      const body = parse(req.body);
      try {
        await send(id, person.login, body);
      } catch (err) {
        const refusal = refusalOf(err, what);
        if (!refusal) throw err;
        return res.status(refusal.status).send(detailPage(ctx, person, await loadManaged(id, person), { refusal }));
      }
      req.log.info({ accountId: id, actor: person.login, action: name, via: 'portal' }, 'portal: temporary account action');
      res.redirect(303, `/temporary-accounts/${id}?done=${name === 'extend' ? 'account-extended' : 'account-closing'}`);
    });
  };
  const extendForm = z.strictObject({ _csrf: z.string(), n: z.coerce.number().int().min(0).max(1000), duration: z.string().max(50) });
  const closeForm = z.strictObject({ _csrf: z.string(), reason: z.string().max(500).default('') });
  // Update ids: a double-submitted form is one Update (Temporal applies an id once).
  change('extend', 'extend this account', (b) => extendForm.parse(b), (id, actor, body) => {
    const durationMs = parseDuration(body.duration);
    if (!durationMs) throw new HttpError(400, 'validation_failed', 'choose how long to extend by');
    return accounts().extend(id, { actor, durationMs, via: 'portal' }, `portal:extend-account:${id}:${actor}:${body.n}`);
  });
  change('close', 'close this account', (b) => closeForm.parse(b), (id, actor, body) => {
    const reason = body.reason.trim();
    return accounts().close(id, { actor, ...(reason ? { reason } : {}), via: 'portal' }, `portal:close-account:${id}:${actor}`);
  });

  return router;
}
