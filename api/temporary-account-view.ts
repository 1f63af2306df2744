/**
 * The account view (SPEC §11): one zod schema, which /openapi.json publishes and toAccountView's
 * type follows, so the document cannot drift from what the routes answer. Never a credential:
 * the workflow state has none.
 */
import { z } from 'zod';
import { temporaryAccountWorkflowId } from '../workflows/constants';
import { formatDuration } from '../workflows/access-request/wording';
import { ACCOUNT_STATUSES, type AccountState } from '../workflows/temporary-account/types';
import { formatValidity } from '../workflows/temporary-account/wording';
import { webUiLink, type ViewLinks } from './views';

const at = z.string().describe('ISO 8601');

export const accountViewSchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  status: z.enum(ACCOUNT_STATUSES),
  login: z.string().nullable().describe('decided once by the workflow; null until then'),
  manager: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  personalEmail: z.string().nullable(),
  groups: z.array(z.string()).describe('policy group keys'),
  reason: z.string(),
  validity: z.string(),
  via: z.string(),
  createdAt: at,
  activatedAt: at.nullable(),
  expiresAt: at.nullable(),
  maxExpiresAt: at.describe('createdAt + maxTotal: no extension goes past it'),
  extensions: z.array(z.object({ by: z.string(), at, expiresAt: at, duration: z.string() })),
  closeRequested: z.object({ by: z.string(), at, reason: z.string().nullable() }).nullable(),
  closedAt: at.nullable(),
  endReason: z.string().nullable(),
  failureReason: z.string().nullable(),
  credential: z.object({ kind: z.literal('temporary_password'), sentTo: z.string(), at }).nullable().describe('how the credential was delivered; never the credential'),
  notifications: z.array(z.object({ to: z.string(), kind: z.string(), at })),
  sideEffectFailures: z.array(z.object({ system: z.string(), action: z.string(), message: z.string(), at })),
  links: z.object({ webUi: z.string() }),
  partial: z.boolean().optional().describe('present when only Temporal visibility answered (no worker)'),
});
export type AccountView = z.infer<typeof accountViewSchema>;

export function toAccountView(s: AccountState, links: ViewLinks, partial = false): AccountView {
  const workflowId = temporaryAccountWorkflowId(s.accountId);
  return {
    id: s.accountId,
    workflowId,
    status: s.status,
    login: s.login ?? null,
    manager: s.manager,
    firstName: s.firstName,
    lastName: s.lastName,
    personalEmail: s.personalEmail ?? null,
    groups: s.groups,
    reason: s.reason,
    validity: formatValidity(s.validityMs),
    via: s.via,
    createdAt: s.createdAt,
    activatedAt: s.activatedAt ?? null,
    expiresAt: s.expiresAt ?? null,
    maxExpiresAt: s.maxExpiresAt,
    extensions: s.extensions.map((e) => ({ by: e.by, at: e.at, expiresAt: e.expiresAt, duration: formatDuration(e.durationMs) })),
    closeRequested: s.closeRequested ? { by: s.closeRequested.by, at: s.closeRequested.at, reason: s.closeRequested.reason ?? null } : null,
    closedAt: s.closedAt ?? null,
    endReason: s.endReason ?? null,
    failureReason: s.failureReason ?? null,
    credential: s.credential ? { kind: s.credential.kind, sentTo: s.credential.sentTo, at: s.credential.at } : null,
    notifications: s.notifications,
    sideEffectFailures: s.sideEffectFailures,
    links: { webUi: webUiLink(links, workflowId) },
    ...(partial ? { partial: true } : {}),
  };
}
