/**
 * Every sentence the temporary-account workflow writes — e-mails (as MailContent, rendered by the
 * mail activity), Slack notices, end reasons, the Web UI's summary and details — as pure
 * functions, so the workflow stays a sequence of phases and tests can read the words. The
 * credential e-mail is worded here too, but filled in (with the password) only inside the create
 * activity: no credential ever reaches the workflow.
 */
import type { MailContent } from '../../activities/mail/message';
import { formatDuration } from '../access-request/wording';
import type { AccountState } from './types';

const withReason = (text: string, reason?: string) => (reason ? `${text}: ${reason}` : text);

export const endReason = {
  expired: () => 'the account reached its expiry',
  closed: (by: string, reason?: string) => withReason(`closed by ${by}`, reason),
  loginFailed: (message: string) => `no login could be chosen: ${message}`,
  createRefused: (message: string) => `Okta refused to create the account: ${message}`,
  closeRefused: (message: string) => `Okta refused to close the account: ${message}`,
};

/** A validity as managers say it: "24h", "48h" (whole hours up to three days), else "5d", "30s". */
export const formatValidity = (ms: number): string => (ms % 3_600_000 === 0 && ms <= 3 * 86_400_000 ? `${ms / 3_600_000}h` : formatDuration(ms));

/** "Élodie Lefèvre-Dupont". */
export const fullName = (s: { firstName: string; lastName: string }): string => `${s.firstName} ${s.lastName}`.trim();

/** "2026-12-01 14:05 UTC": mail readers are anywhere; Slack shows its own local time. */
export const utc = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** One line for the Web UI's summary: "bob@example.com → temporary account for Élodie Lefèvre (24h)". */
export function summaryLine(input: { manager: string; firstName: string; lastName: string; validityMs: number }): string {
  return `${input.manager} → temporary account for ${fullName(input)} (${formatValidity(input.validityMs)})`;
}

/** The static details set at start (the service writes them). */
export function startDetails(input: { accountId: string; manager: string; firstName: string; lastName: string; validityMs: number; groups: string[]; reason: string; via?: string; submittedAt?: string }): string {
  return [
    `**Temporary account** ${input.accountId}`,
    '',
    `- For: ${fullName(input)}`,
    `- Manager: ${input.manager}`,
    `- Validity: ${formatValidity(input.validityMs)}`,
    `- Groups: ${input.groups.join(', ') || '(none)'}`,
    `- Reason: ${input.reason}`,
    `- Asked via ${input.via ?? 'http'} at ${input.submittedAt ?? ''}`,
  ].join('\n');
}

/** The Web UI's current details: where the account is and why (markdown). */
export function currentDetails(s: AccountState, runId: string): string {
  const lines = [`**${s.status}** — ${s.login ?? '(login not chosen yet)'} for ${fullName(s)}, manager ${s.manager}`];
  if (s.userId) lines.push(`Okta user ${s.userId}, active since ${s.activatedAt}`);
  if (s.expiresAt && !s.closedAt) lines.push(`Expires at ${s.expiresAt} (at most ${s.maxExpiresAt})`);
  if (s.extensions.length) lines.push(`Extensions: ${s.extensions.map((e) => `${e.by} → ${e.expiresAt}`).join('; ')}`);
  if (s.credential) lines.push(`Credential (${s.credential.kind}) sent to ${s.credential.sentTo} at ${s.credential.at}`);
  if (s.closeRequested) lines.push(`Close requested by ${s.closeRequested.by}${s.closeRequested.reason ? `: ${s.closeRequested.reason}` : ''}`);
  if (s.closedAt) lines.push(`Ended at ${s.closedAt}: ${s.endReason}`);
  if (s.sideEffectFailures.length) lines.push(`Side-effect failures: ${s.sideEffectFailures.length}`);
  lines.push(`Run: ${runId}`);
  return lines.join('\n');
}

/** How a manager extends or closes, in one sentence (mail and Slack). */
function howToManage(s: AccountState): string {
  const portal = s.resolved.portalUrl ? ` or on ${s.resolved.portalUrl}` : '';
  return `Extend it (up to ${utc(s.maxExpiresAt)}) or close it now with the buttons of the Gatehouse message in Slack${portal}, or with POST /v1/temporary-accounts/${s.accountId}/extend or /close.`;
}

const FOOTER = 'Gatehouse closes temporary accounts by itself: they are deactivated and deleted at their expiry.';

export interface CredentialFacts {
  accountId: string;
  login: string;
  firstName: string;
  lastName: string;
  validityMs: number;
  signInUrl?: string;
  /** A retried delivery: any earlier e-mail's password no longer works. */
  replaces: boolean;
}

export const mail = {
  /** To the manager, from inside the create activity only: the one message that carries the credential. */
  credential: (f: CredentialFacts, temporaryPassword: string): MailContent => ({
    subject: `Temporary account for ${fullName(f)}: sign-in details`,
    heading: `Sign-in details for ${fullName(f)}`,
    paragraphs: [
      `Hand these over to ${f.firstName} in person. The password works once: at the first sign-in Okta asks for a new one.`,
      ...(f.replaces ? ['This replaces any earlier e-mail for this account: its password no longer works.'] : []),
    ],
    fields: [
      { label: 'Login', value: f.login },
      { label: 'Temporary password', value: temporaryPassword },
      { label: 'Valid for', value: formatValidity(f.validityMs) },
    ],
    ...(f.signInUrl ? { action: { label: 'Sign in', url: f.signInUrl } } : {}),
    footer: `Account ${f.accountId}. Do not forward this e-mail. ${FOOTER}`,
  }),
  /** To the manager once the account exists: login, expiry, how to extend or close (no credential). */
  ready: (s: AccountState): MailContent => ({
    subject: `Temporary account ${s.login} is active until ${utc(s.expiresAt!)}`,
    heading: `${fullName(s)}'s temporary account is active`,
    paragraphs: [`The sign-in details are in a separate e-mail. ${howToManage(s)}`],
    fields: [
      { label: 'Login', value: s.login! },
      { label: 'Expires', value: utc(s.expiresAt!) },
      { label: 'Groups', value: groupNames(s) },
      { label: 'Reason', value: s.reason },
    ],
    ...(s.resolved.portalUrl ? { action: { label: 'Manage temporary accounts', url: s.resolved.portalUrl } } : {}),
    footer: `Account ${s.accountId}. ${FOOTER}`,
  }),
  /** To the employee's personal address: the login and how to sign in, never the credential. */
  welcome: (s: AccountState, signInUrl?: string): MailContent => ({
    subject: 'Your temporary account',
    heading: `Welcome, ${s.firstName}`,
    paragraphs: [
      `A temporary account was made for you at the request of ${s.manager}. ${s.manager.split('@')[0]} gives you a temporary password in person; at your first sign-in you choose your own.`,
    ],
    fields: [
      { label: 'Login', value: s.login! },
      { label: 'Valid until', value: utc(s.expiresAt!) },
    ],
    ...(signInUrl ? { action: { label: 'Sign in', url: signInUrl } } : {}),
    footer: 'The account closes by itself at that time. If you did not expect this e-mail, ignore it.',
  }),
  expiring: (s: AccountState): MailContent => ({
    subject: `Temporary account ${s.login} ends at ${utc(s.expiresAt!)}`,
    heading: `${fullName(s)}'s temporary account ends soon`,
    paragraphs: [`It will be deactivated and deleted at ${utc(s.expiresAt!)}. ${howToManage(s)}`],
    fields: [
      { label: 'Login', value: s.login! },
      { label: 'Expires', value: utc(s.expiresAt!) },
    ],
    ...(s.resolved.portalUrl ? { action: { label: 'Extend', url: s.resolved.portalUrl } } : {}),
    footer: `Account ${s.accountId}.`,
  }),
  closedForManager: (s: AccountState): MailContent => ({
    subject: `Temporary account ${s.login} was closed`,
    heading: `${fullName(s)}'s temporary account was closed`,
    paragraphs: [`Its sessions were cleared and the Okta user was deactivated and deleted (${s.endReason ?? 'closed'}).`],
    fields: [
      { label: 'Login', value: s.login! },
      { label: 'Closed', value: utc(s.closedAt!) },
    ],
    footer: `Account ${s.accountId}.`,
  }),
  closedForEmployee: (s: AccountState): MailContent => ({
    subject: 'Your temporary account was closed',
    heading: `Goodbye, ${s.firstName}`,
    paragraphs: [`Your temporary account ${s.login} was closed. If you still need access, ask ${s.manager}.`],
    footer: 'This account no longer exists.',
  }),
};

export const groupNames = (s: AccountState): string => s.resolved.groups.map((g) => g.name).join(', ') || '(none)';

export const notice = {
  closed: (s: AccountState) => `:lock: The temporary account ${s.login} for ${fullName(s)} was closed and deleted (${s.endReason ?? 'closed'}).`,
  failed: (s: AccountState) => `:x: The temporary account for ${fullName(s)} could not be completed: ${s.failureReason ?? ''}`,
  securityCloseRefused: (s: AccountState) =>
    `:rotating_light: Gatehouse could not close the temporary account ${s.login} (${s.userId}) of ${s.manager}: ${s.failureReason}. Close it by hand in Okta (account ${s.accountId}).`,
};
