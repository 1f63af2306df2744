/**
 * Every sentence of risk response — the security channel, the incident, the manager's e-mail,
 * the review, the Web UI's summaries — as pure functions, so the workflows stay phases and tests
 * can read the words.
 */
import type { MailContent } from '../../activities/mail/message';
import { formatDuration } from '../access-request/wording';
import type { RiskEventInput, RiskLevel } from './event';
import type { AccessReviewState, HighRiskAppRule, IncidentRef, RevokedGrant, RiskRevocation, UserRiskState } from './types';

const who = (s: Pick<UserRiskState, 'login' | 'displayName'>) => (s.displayName ? `${s.displayName} (${s.login})` : s.login);
const detection = (e: Pick<RiskEventInput, 'detectionName' | 'reasons'>) =>
  [e.detectionName, e.reasons?.length ? e.reasons.join(', ') : undefined].filter(Boolean).join(': ') || 'no detection details';

/** The reason every grant and request ended by a HIGH risk carries (SPEC §12: `risk: HIGH …`). */
export const revokeReason = (e: RiskEventInput): string => `risk: HIGH (${detection(e)})`;

/**
 * Where to read the user's events in the Okta admin console, and the same filter as the System
 * Log API takes. The console's `report/system_log_2?search=` link is what Okta admins use but is
 * not documented (research round2 §3), so the API filter text goes next to it.
 */
export function systemLog(userId: string, orgUrl?: string): { filter: string; url?: string } {
  const filter = `target.id eq "${userId}" or actor.id eq "${userId}"`;
  if (!orgUrl) return { filter };
  let admin = orgUrl;
  try {
    const url = new URL(orgUrl);
    // acme.okta.com → acme-admin.okta.com (the admin console's host); other hosts as they are.
    const m = /^([^.]+)\.(okta|oktapreview|okta-emea|okta-gov)\.com$/.exec(url.hostname);
    if (m && !m[1]!.endsWith('-admin')) url.hostname = `${m[1]}-admin.${m[2]}.com`;
    admin = url.origin;
  } catch {
    return { filter };
  }
  return { filter, url: `${admin}/report/system_log_2?search=${encodeURIComponent(filter)}` };
}

const list = (grants: RevokedGrant[]) => grants.map((g) => `${g.resource} (request ${g.requestId})`).join(', ');

/** What was done at HIGH, one line each (the channel post, the incident, the e-mail). */
export function highActions(s: UserRiskState, r: RiskRevocation | null): string[] {
  const lines: string[] = [];
  if (s.quarantine) lines.push(s.quarantine.by === 'gatehouse' ? `put in the quarantine group ${s.quarantine.groupId}` : `already in the quarantine group ${s.quarantine.groupId} (placed by an admin: stays there)`);
  else lines.push('NOT quarantined: Okta refused the quarantine group (see the audit log)');
  if (!r) return [...lines, 'grants: the revocation could not run (see the audit log)'];
  lines.push(r.grants.length ? `revoked ${r.grants.length} active grant(s): ${list(r.grants)}` : 'no active grant to revoke');
  if (r.cancelled.length) lines.push(`cancelled ${r.cancelled.length} pending request(s): ${list(r.cancelled)}`);
  if (r.temporaryAccounts.length) lines.push(`closed the temporary account(s) ${r.temporaryAccounts.join(', ')}`);
  lines.push('new access requests are refused while the risk is HIGH');
  return lines;
}

export function incidentLine(i: IncidentRef | null): string {
  if (!i) return 'Incident: none';
  if (i.status === 'open') return `Incident: ${i.key} ${i.url ?? ''}`.trim();
  if (i.status === 'failed') return `Incident: could not be opened in Jira ${i.projectKey} (${i.error ?? 'unknown error'})`;
  return `Incident: being opened in Jira ${i.projectKey}…`;
}

export const slack = {
  /** The security channel at HIGH; updated in place once the incident is open (or failed). */
  high: (s: UserRiskState, e: RiskEventInput, r: RiskRevocation | null, log: { filter: string; url?: string }) =>
    [
      `:rotating_light: *${who(s)}*: Okta risk ${s.previousLevel ?? 'LOW'} → *HIGH*${e.previousLevel && e.previousLevel !== s.previousLevel ? ` (Okta's previous level: ${e.previousLevel})` : ''}`,
      `Detection: ${detection(e)}`,
      ...highActions(s, r).map((l) => `• ${l}`),
      incidentLine(s.incident),
      `Okta System Log: ${log.url ?? ''} (filter: ${log.filter})`.replace(':  (', ': ('),
    ].join('\n'),
  levelChanged: (s: UserRiskState, e: RiskEventInput, done: string[]) =>
    [`:information_source: *${who(s)}*: Okta risk ${s.previousLevel ?? 'LOW'} → *${s.level}*`, `Detection: ${detection(e)}`, ...done.map((l) => `• ${l}`)].join('\n'),
  appFlagged: (s: UserRiskState, app: HighRiskAppRule) => `:warning: *${who(s)}* (risk MEDIUM) was assigned the high-risk app *${app.name}* (${app.id}): allowed, flagged for security.`,
  appRolledBack: (s: UserRiskState, app: HighRiskAppRule, ok: boolean, why?: string) =>
    ok
      ? `:no_entry: *${who(s)}* (risk HIGH) was assigned the high-risk app *${app.name}* (${app.id}): the assignment was rolled back.`
      : `:warning: *${who(s)}* (risk HIGH) was assigned the high-risk app *${app.name}* (${app.id}); rolling it back failed: ${why ?? 'unknown error'}`,
  reviewOpened: (s: UserRiskState, app: HighRiskAppRule, reviewId: string) =>
    `:mag: *${who(s)}* (risk HIGH) was assigned the high-risk app *${app.name}* (${app.id}): sent for review (${reviewId}); ${app.onTimeout} after ${formatDuration(app.reviewTimeoutMs)} without a decision.`,
  reviewDecided: (r: AccessReviewState) => `:mag: Review ${r.reviewId} of ${r.login}'s access to *${r.app.name}*: ${reviewOutcome(r)}.`,
};

export function reviewOutcome(r: AccessReviewState): string {
  const d = r.decision;
  const by = d ? (d.reviewer.startsWith('system:') ? `no decision within ${formatDuration(r.app.reviewTimeoutMs)}` : `by ${d.reviewer}`) : '';
  if (r.status === 'kept') return `kept ${by}`.trim();
  if (r.status === 'revoked') return `revoked ${by}: the assignment was removed`.replace(' :', ':');
  if (r.status === 'failed') return `revoke failed: ${r.endReason ?? ''}`;
  return 'waiting for a decision';
}

/** The review request, for the manager's DM (the buttons are added by the activity) and e-mail. */
export function reviewRequest(r: AccessReviewState): string {
  return `${who(r)} is at HIGH risk in Okta and was just assigned the high-risk app ${r.app.name} (${r.app.id}). Keep the assignment, or revoke it? Without a decision by ${r.dueAt}, Gatehouse will ${r.app.onTimeout} it.`;
}

export const jira = {
  summary: (s: UserRiskState) => `Security incident: ${who(s)} at HIGH risk in Okta`,
  description: (s: UserRiskState, e: RiskEventInput, r: RiskRevocation | null, log: { filter: string; url?: string }) =>
    [
      `User: ${who(s)} (Okta id ${s.userId})`,
      `Okta risk: ${s.previousLevel ?? 'LOW'} -> HIGH (Okta event ${e.uuid}, published ${e.published})`,
      `Detection: ${detection(e)}`,
      ...(e.ip ? [`IP: ${e.ip}`] : []),
      '',
      'What Gatehouse did:',
      ...highActions(s, r).map((l) => `- ${l}`),
      '',
      'Grants revoked:',
      ...(r?.grants.length ? r.grants.map((g) => `- ${g.resource}: request ${g.requestId} (Okta group ${g.groupId ?? '?'})`) : ['- none']),
      '',
      `Okta System Log for this user: ${log.url ?? '(org URL unknown)'}`,
      `System Log API filter: ${log.filter}`,
    ].join('\n'),
  left: (s: UserRiskState, released: boolean) =>
    `Okta risk lowered to ${s.level} at ${s.since}. ${released ? 'Gatehouse took the user out of the quarantine group.' : s.quarantine?.by === 'admin' ? 'The user stays in the quarantine group, where an admin placed them.' : 'The user was not in the quarantine group.'} Revoked grants are not restored.`,
};

export function managerMail(s: UserRiskState, e: RiskEventInput, r: RiskRevocation | null, log: { url?: string }): MailContent {
  return {
    subject: `Security: ${s.login} is at HIGH risk — access suspended`,
    heading: `${s.displayName ?? s.login} is at HIGH risk`,
    paragraphs: [
      `Okta Identity Threat Protection rated ${who(s)}, who reports to you, at HIGH risk (${detection(e)}).`,
      'Gatehouse suspended their just-in-time access at once. Security has been told and an incident is being opened.',
      'Nothing is needed from you now; security may contact you. Access comes back only through new requests once the risk is lowered.',
    ],
    fields: [
      { label: 'User', value: s.login },
      { label: 'Risk', value: `${s.previousLevel ?? 'LOW'} -> HIGH` },
      { label: 'Done', value: highActions(s, r).join('; ') },
    ],
    ...(log.url && /^https?:/.test(log.url) ? { action: { label: 'Okta System Log', url: log.url } } : {}),
    footer: `Gatehouse risk response, Okta event ${e.uuid}`,
  };
}

export function reviewMail(r: AccessReviewState): MailContent {
  return {
    subject: `Review needed: ${r.login}'s access to ${r.app.name}`,
    heading: `Keep or revoke ${r.app.name} for ${r.displayName ?? r.login}?`,
    paragraphs: [reviewRequest(r), 'Press Keep or Revoke in the Gatehouse message in Slack, or ask security to decide.'],
    fields: [
      { label: 'User', value: r.login },
      { label: 'App', value: `${r.app.name} (${r.app.id})` },
      { label: 'Review', value: r.reviewId },
      { label: 'Decide by', value: r.dueAt },
    ],
    footer: `Gatehouse access review ${r.reviewId}`,
  };
}

export const summary = {
  riskEvent: (e: RiskEventInput) =>
    e.kind === 'level' ? `${e.eventType}: ${e.login} ${e.previousLevel ? `${e.previousLevel} → ` : ''}${e.level}` : `${e.eventType}: ${e.login} → ${e.app?.name ?? e.app?.id}`,
  userRisk: (login: string) => `risk of ${login}`,
  review: (login: string, app: HighRiskAppRule) => `review: ${login} → ${app.name}`,
};

/** The Web UI's current details of a user's risk. */
export function userRiskDetails(s: UserRiskState): string {
  return [
    `**${s.login}**: risk **${s.level}** since ${s.since ?? '(never changed)'}`,
    s.quarantine ? `quarantined in ${s.quarantine.groupId} (by ${s.quarantine.by})` : 'not quarantined',
    incidentLine(s.incident),
    `last: ${s.actions.at(-1)?.text ?? 'nothing yet'}`,
  ].join('\n\n');
}

export const levelWord = (l: RiskLevel) => l.toLowerCase();
