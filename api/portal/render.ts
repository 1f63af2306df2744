/**
 * How requests read in the portal: status badges, the facts of a request, the buttons that apply
 * to the person looking, and the audit timeline. Everything goes through `html`, so every value a
 * person typed (a justification, a reason) is escaped.
 */
import type { AuditEvent } from '../../activities/ports';
import { formatDuration } from '../../workflows/access-request/wording';
import type { RequestState } from '../../workflows/access-request/types';
import { extensionChoices } from '../../workflows/access-request/state';
import type { RequestView } from '../views';
import { html, safeUrl, time, type Html } from './html';
import { csrfField, type PortalPerson } from './layout';

const STATUS_TEXT: Record<string, string> = {
  pending_approval: 'pending approval',
  approval_timed_out: 'approval timed out',
};

export const statusBadge = (status: string): Html => html`<span class="status status-${status}" data-status="${status}">${STATUS_TEXT[status] ?? status}</span>`;

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The step the request waits for, and whether `login` may decide it now (the validator's rule, to choose what to show). */
export function awaitsDecisionBy(state: RequestState, login: string): boolean {
  const step = state.resolved?.steps[state.currentStep];
  return (
    state.status === 'pending_approval' &&
    !!step &&
    step.approvers.some((a) => same(a, login)) &&
    !same(state.requester, login) &&
    !state.approvals.some((a) => same(a.approver, login))
  );
}

export function stepText(view: RequestView): string | null {
  if (view.currentStep === null || view.steps.length === 0) return null;
  const step = view.steps[view.currentStep - 1];
  return `step ${view.currentStep} of ${view.steps.length}${step ? ` (${step.label})` : ''}`;
}

export function facts(view: RequestView, opts: { requester?: boolean } = {}): Html {
  const rows: [string, Html | string][] = [];
  if (opts.requester) rows.push(['Requester', view.requester]);
  rows.push(['Duration', view.duration ?? 'policy default']);
  rows.push(['Justification', view.justification ? html`<span class="quote">${view.justification}</span>` : html`<span class="empty">none given</span>`]);
  const step = stepText(view);
  if (step) rows.push(['Waiting for', step]);
  rows.push(['Requested', time(view.createdAt)]);
  if (view.grantedAt) rows.push(['Granted', time(view.grantedAt)]);
  if (view.expiresAt && !view.endedAt) rows.push(['Expires', time(view.expiresAt)]);
  if (view.endedAt) rows.push(['Ended', html`${time(view.endedAt)}${view.endReason ? html` — ${view.endReason}` : ''}`]);
  const jira = safeUrl(view.jira?.url);
  if (view.jira && jira) rows.push(['Jira', html`<a href="${jira}">${view.jira.key}</a>`]);
  return html`<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

/**
 * The requester's buttons: Cancel while pending; Extend (only what the policy still allows) and
 * I'm done while active. The workflow's validators decide in the end; this only hides what
 * cannot apply. The hidden `n` (extensions so far) makes a double-submitted Extend one Update.
 */
export function requesterActions(state: RequestState, person: PortalPerson): Html {
  if (!same(state.requester, person.login)) return html``;
  const id = state.requestId;
  if (state.status === 'pending_approval') {
    return html`<div class="actions"><form method="post" action="/requests/${id}/cancel">${csrfField(person)}<button type="submit">Cancel</button></form></div>`;
  }
  if (state.status !== 'active' || state.revokeRequested) return html``;
  const choices = extensionChoices(state);
  const extend = choices.length
    ? html`<form method="post" action="/requests/${id}/extend" class="inline">${csrfField(person)}<input type="hidden" name="n" value="${state.extensions.length}">
<div><label for="extend-${id}">Extend by</label><select id="extend-${id}" name="duration">${choices.map((ms) => html`<option value="${formatDuration(ms)}">${formatDuration(ms)}</option>`)}</select></div>
<button type="submit">Extend</button></form>`
    : '';
  return html`<div class="actions">${extend}<form method="post" action="/requests/${id}/revoke">${csrfField(person)}<button type="submit" class="danger">I’m done</button></form></div>`;
}

/** Approve, and Deny with a reason (the requester reads it). */
export function approverActions(state: RequestState, person: PortalPerson): Html {
  if (!awaitsDecisionBy(state, person.login)) return html``;
  const id = state.requestId;
  return html`<div class="actions">
<form method="post" action="/approvals/${id}/approve">${csrfField(person)}<button type="submit" class="primary">Approve</button></form>
<form method="post" action="/approvals/${id}/deny" class="inline">${csrfField(person)}
<div><label for="reason-${id}">Reason for denying</label><input type="text" id="reason-${id}" name="reason" maxlength="2000" autocomplete="off"></div>
<button type="submit" class="danger">Deny</button></form>
</div>`;
}

const EVENT_TEXT: Record<string, string> = {
  requested: 'Requested',
  resolved: 'Checked against the policy',
  approval_step_opened: 'Waiting for approval',
  approved: 'Approved',
  denied: 'Denied',
  approval_timed_out: 'Approval timed out',
  reminder_sent: 'Reminder sent to the approvers',
  granted: 'Access granted in Okta',
  extended: 'Extended',
  expiry_warned: 'Expiry warning sent',
  revoke_requested: 'Asked to end the access',
  revoked: 'Access removed',
  expired: 'Expired; access removed',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

/** The details worth a line in the timeline (never the policy snapshot). */
function eventDetails(event: AuditEvent): Html[] {
  const d = event.details ?? {};
  const out: Html[] = [];
  const text = (key: string) => (typeof d[key] === 'string' && d[key] ? (d[key] as string) : null);
  if (typeof d.step === 'number') out.push(html`step ${d.step}`);
  if (typeof d.durationMs === 'number' && d.durationMs > 0) out.push(html`${event.type === 'extended' ? '+' : ''}${formatDuration(d.durationMs)}`);
  if (text('expiresAt')) out.push(html`until ${time(text('expiresAt'))}`);
  for (const key of ['justification', 'reason', 'comment', 'message']) {
    const value = text(key);
    if (value) out.push(html`<span class="quote">“${value}”</span>`);
  }
  if (d.standingMember === true) out.push(html`already a standing member: kept at the end`);
  if (text('via')) out.push(html`via ${text('via')}`);
  return out;
}

export function timeline(events: AuditEvent[]): Html {
  if (events.length === 0) return html`<p class="empty">No events recorded yet.</p>`;
  return html`<ol class="timeline">${events.map((event) => {
    const details = eventDetails(event);
    return html`<li><strong>${EVENT_TEXT[event.type] ?? event.type.replace(/_/g, ' ')}</strong> · ${event.actor}<br><span class="meta">${time(event.at)}${details.map((d) => html` · ${d}`)}</span></li>`;
  })}</ol>`;
}
