/**
 * Security (SPEC §12, §13), for members of `risk.reviewersGroupId`: who is held at HIGH
 * (quarantined) or MEDIUM, read with the same Query as GET /v1/risk/users/:login; the access
 * reviews waiting for a decision, with Keep and Revoke (the review workflow's Update, as
 * /v1/reviews/:id/decide and Slack send it, the reviewer being the signed-in person); and the
 * latest drift reports of the reconciliation sweep, from the audit log.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AuditEvent } from '../../activities/ports';
import { formatDuration } from '../../workflows/access-request/wording';
import type { RiskLevel } from '../../workflows/risk/event';
import { mayReview } from '../../workflows/risk/state';
import type { AccessReviewState, UserRiskState } from '../../workflows/risk/types';
import { notFound } from '../errors';
import { REVIEW_ID_PATTERN } from '../risk';
import type { PortalContext } from './context';
import { checkPost, personOf, requirePerson, requireRole } from './guard';
import { html, safeUrl, time, type Html } from './html';
import { csrfField, page, type PortalPerson } from './layout';
import { refusalOf, type Refusal } from './refusals';
import { doneNotice } from './requests-routes';

/** What the drift sweep records (workflows/reconcile/workflow.ts). */
export const DRIFT_EVENT_TYPES = ['drift_detected', 'drift_removed', 'drift_explained'] as const;
const DRIFT_SHOWN = 20;

const DRIFT_TEXT: Record<string, string> = {
  drift_detected: 'In the group without a grant',
  drift_removed: 'Removed from the group',
  drift_explained: 'Explained (a grant or a standing record appeared)',
};

const levelBadge = (level: RiskLevel): Html => html`<span class="status level-${level.toLowerCase()}" data-level="${level}">${level}</span>`;

function reviewIdParam(req: Request): string {
  const id = String(req.params.id ?? '').toLowerCase();
  if (!REVIEW_ID_PATTERN.test(id)) throw notFound('review');
  return id;
}

// ---- Sections

function userCard(u: UserRiskState): Html {
  const rows: [string, Html | string][] = [];
  if (u.since) rows.push(['Since', html`${time(u.since)}${u.previousLevel ? html` <span class="meta">(was ${u.previousLevel})</span>` : ''}`]);
  if (u.detectionName) rows.push(['Detection', u.detectionName]);
  if (u.reasons?.length) rows.push(['Reasons', u.reasons.join(', ')]);
  if (u.quarantine) rows.push(['Quarantine', html`in ${u.quarantine.groupId} since ${time(u.quarantine.at)} (${u.quarantine.by === 'gatehouse' ? 'put there by Gatehouse' : 'already there: it stays when the level drops'})`]);
  if (u.medium) rows.push(['Medium-risk group', html`in ${u.medium.groupId} since ${time(u.medium.at)}`]);
  if (u.incident) {
    const url = safeUrl(u.incident.url);
    rows.push(['Incident', url && u.incident.key ? html`<a href="${url}">${u.incident.key}</a>` : u.incident.status === 'failed' ? html`not opened: ${u.incident.error ?? 'Jira refused it'}` : 'being opened']);
  }
  if (u.manager) rows.push(['Manager', u.manager]);
  return html`<li class="card" data-user="${u.login}"><h3>${u.displayName ? html`${u.displayName} · ` : ''}${u.login} ${levelBadge(u.level)}</h3>
<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></li>`;
}

function usersSection(id: string, title: string, users: UserRiskState[], empty: string): Html {
  return html`<section class="card" aria-labelledby="${id}-title"><h2 id="${id}-title">${title} <span class="meta">(${users.length})</span></h2>
${users.length ? html`<ul class="list" id="${id}">${users.map(userCard)}</ul>` : html`<p class="empty">${empty}</p>`}</section>`;
}

function reviewCard(r: AccessReviewState, person: PortalPerson): Html {
  const rows: [string, Html | string][] = [
    ['Risk level', html`${levelBadge(r.level)} when the assignment was made`],
    ['Opened', time(r.openedAt)],
    ['Decide by', html`${time(r.dueAt)} <span class="meta">(then: ${r.app.onTimeout}, after ${formatDuration(r.app.reviewTimeoutMs)})</span>`],
    ['Manager', r.manager ?? html`<span class="empty">none in Okta</span>`],
  ];
  const id = r.reviewId;
  const actions = mayReview(r, person.login)
    ? html`<form method="post" action="/security/reviews/${id}/decide" class="actions inline">${csrfField(person)}
<div><label for="comment-${id}">Comment (optional)</label><input type="text" id="comment-${id}" name="comment" maxlength="2000" autocomplete="off"></div>
<button type="submit" name="decision" value="keep" class="primary">Keep</button>
<button type="submit" name="decision" value="revoke" class="danger">Revoke</button></form>`
    : html`<p class="meta">${same(r.login, person.login) ? 'This review is about you: someone else decides it.' : 'You are not among this review’s deciders (its manager and the reviewers group when it opened).'}</p>`;
  return html`<li class="card" data-review="${id}"><h3>${r.displayName ? html`${r.displayName} · ` : ''}${r.login} → ${r.app.name}</h3>
<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>${actions}</li>`;
}

function driftItem(e: AuditEvent): Html {
  const d = e.details ?? {};
  const text = (key: string) => (typeof d[key] === 'string' ? (d[key] as string) : '');
  return html`<li data-drift="${e.type}"><strong>${DRIFT_TEXT[e.type] ?? e.type.replace(/_/g, ' ')}</strong> · ${text('login') || 'someone'} in ${e.resource || 'a managed group'}${text('groupId') ? html` (Okta group ${text('groupId')})` : ''}${
    text('action') ? html` · policy: ${text('action')}` : ''
  }<br><span class="meta">${time(e.at)}</span></li>`;
}

async function driftSection(ctx: PortalContext, req: Request): Promise<Html> {
  let body: Html;
  if (!ctx.audit) body = html`<p class="empty">The audit log is not configured for this API.</p>`;
  else {
    try {
      const [events, sweeps] = await Promise.all([ctx.audit.latest({ type: [...DRIFT_EVENT_TYPES] }, DRIFT_SHOWN), ctx.audit.latest({ type: 'reconcile_completed' }, 1)]);
      const last = sweeps[0];
      const sweep = last ? html`<p class="meta">Last sweep: ${time(last.at)}.</p>` : html`<p class="meta">No sweep has completed yet.</p>`;
      body = events.length ? html`${sweep}<ol class="timeline" id="drift">${events.map(driftItem)}</ol>` : html`${sweep}<p class="empty">No drift reported: every member of a managed group has a grant or a standing record.</p>`;
    } catch (err) {
      req.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'portal: drift reports unavailable');
      body = html`<p class="empty">The audit log is not answering just now; reload the page in a moment.</p>`;
    }
  }
  return html`<section class="card" aria-labelledby="drift-title"><h2 id="drift-title">Drift <span class="meta">(the latest ${DRIFT_SHOWN} reports)</span></h2>${body}</section>`;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function securityRouter(ctx: PortalContext): Router {
  const router = Router();
  const me = (res: Response) => personOf(res)!;
  const risk = () => ctx.risk!;
  const reviewers = requireRole((person) => {
    const groupId = ctx.policy().risk?.reviewersGroupId;
    if (!groupId || !ctx.risk) return { off: 'The Security page needs a reviewers group in the policy (risk.reviewersGroupId).' };
    if (!person.roles.reviewer) return { refused: `The Security page is for the security reviewers (members of the Okta group ${groupId}), and ${person.login} is not one of them.` };
    return null;
  });

  const render = async (req: Request, res: Response, opts: { notice?: string | null; refusal?: Refusal } = {}) => {
    const person = me(res);
    const [atRisk, open, drift] = await Promise.all([risk().usersAtRisk(), risk().openReviews(), driftSection(ctx, req)]);
    const high = atRisk.users.filter((u) => u.level === 'HIGH').sort((a, b) => (b.since ?? '').localeCompare(a.since ?? ''));
    const medium = atRisk.users.filter((u) => u.level === 'MEDIUM').sort((a, b) => (b.since ?? '').localeCompare(a.since ?? ''));
    const reviews = open.reviews.sort((a, b) => a.dueAt.localeCompare(b.dueAt));
    const unreadable = atRisk.unreadable + open.unreadable;
    return page(
      { title: 'Security', person, current: '/security', notice: opts.notice, error: opts.refusal?.message },
      html`<p class="meta" role="status" id="security-summary">${high.length} quarantined, ${medium.length} at medium risk, ${reviews.length} ${reviews.length === 1 ? 'review waits' : 'reviews wait'} for a decision.${
        unreadable ? ` ${unreadable} could not be read just now (no worker answered); reload in a moment.` : ''
      }</p>
<section class="card" aria-labelledby="reviews-title"><h2 id="reviews-title">Access reviews <span class="meta">(${reviews.length})</span></h2>
<p class="hint">A user at HIGH risk was given a high-risk app: keep the assignment, or revoke it in Okta.</p>
${reviews.length ? html`<ul class="list" id="reviews">${reviews.map((r) => reviewCard(r, person))}</ul>` : html`<p class="empty">No review waits for a decision.</p>`}</section>
${usersSection('quarantined', 'Quarantined (HIGH)', high, 'Nobody is held at HIGH risk.')}
${usersSection('medium', 'At medium risk', medium, 'Nobody is at MEDIUM risk.')}
${drift}`,
    );
  };

  router.get('/security', requirePerson, reviewers, async (req, res) => {
    res.send(await render(req, res, { notice: doneNotice(req) }));
  });

  const decideForm = z.strictObject({ _csrf: z.string(), decision: z.enum(['keep', 'revoke']), comment: z.string().max(2000).default('') });
  router.post('/security/reviews/:id/decide', requirePerson, reviewers, checkPost(ctx.publicOrigin), async (req, res) => {
    const person = me(res);
    const id = reviewIdParam(req);
    const body = decideForm.parse(req.body);
    const comment = body.comment.trim();
    try {
      // One Update per person and decision: a double click is one decision; the other button after it is refused.
      await risk().decideReview(id, { reviewer: person.login, decision: body.decision, ...(comment ? { comment } : {}), via: 'portal' }, `portal:review_${body.decision}:${id}:${person.login}`);
    } catch (err) {
      const refusal = refusalOf(err, 'decide this review');
      if (!refusal) throw err;
      return res.status(refusal.status).send(await render(req, res, { refusal }));
    }
    req.log.info({ reviewId: id, reviewer: person.login, decision: body.decision, via: 'portal' }, 'access review decided in the portal');
    res.redirect(303, `/security?done=review-${body.decision === 'keep' ? 'kept' : 'revoked'}`);
  });

  return router;
}
