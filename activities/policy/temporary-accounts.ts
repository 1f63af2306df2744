/**
 * A temporary-account request against the policy (SPEC §11), resolved once where it enters (the
 * API, Slack, the portal): the manager may ask, the groups and the validity are offered, and the
 * snapshot the workflow keeps (groups, limits, security admins).
 */
import type { AccountGroup, ResolvedAccount } from '../../workflows/temporary-account/types';
import { formatValidity } from '../../workflows/temporary-account/wording';
import type { DirectoryUser, OktaPort } from '../ports';
import { isEligible } from './resolve';
import type { Policy, TemporaryAccountsPolicy } from './schema';

export interface AccountChoices {
  validityMs: number;
  groups: string[];
}

/** A choice the policy does not offer, with what it does (the API's 422 details). */
export interface ChoiceProblem {
  field: 'groups' | 'validity';
  message: string;
  allowed: string[];
}

export type AccountResolution =
  | { ok: true; resolved: ResolvedAccount }
  | { ok: false; code: 'feature_off' | 'unknown_user' | 'not_eligible'; message: string }
  | { ok: false; code: 'not_offered'; message: string; problems: ChoiceProblem[] };

/** The validity choices as the policy offers them ("24h", "48h"). */
export const validityChoices = (t: TemporaryAccountsPolicy): string[] => t.validity.map(formatValidity);

/** Groups and validity against the policy's offer; every problem, each with what is allowed. */
export function checkAccountChoices(t: TemporaryAccountsPolicy, input: AccountChoices): ChoiceProblem[] {
  const problems: ChoiceProblem[] = [];
  const unknown = input.groups.filter((g) => !Object.hasOwn(t.groups, g));
  if (unknown.length) problems.push({ field: 'groups', message: `no such group for temporary accounts: ${unknown.join(', ')}`, allowed: Object.keys(t.groups) });
  if (!t.validity.includes(input.validityMs)) problems.push({ field: 'validity', message: `${formatValidity(input.validityMs)} is not a validity the policy offers`, allowed: validityChoices(t) });
  return problems;
}

/** The security admins of the policy: members of `risk.reviewersGroupId`; without it, only the manager manages an account. */
export function securityAdminsGroup(policy: Policy): string | undefined {
  return policy.risk?.reviewersGroupId;
}

/** Whether this Okta user may ask for temporary accounts (SPEC §11 `requesters`): the rule itself. */
export function isAccountRequester(policy: Policy, user: Pick<DirectoryUser, 'status' | 'profile'>): boolean {
  const t = policy.temporaryAccounts;
  return !!t && user.status === 'ACTIVE' && isEligible(t.requesters, user.profile);
}

/** Whether the person may ask for temporary accounts (SPEC §11 `requesters`). */
export async function mayAskForAccounts(policy: Policy, okta: Pick<OktaPort, 'getUser'>, login: string): Promise<boolean> {
  if (!policy.temporaryAccounts) return false;
  const user = await okta.getUser(login);
  return !!user && isAccountRequester(policy, user);
}

export async function resolveTemporaryAccount(
  policy: Policy,
  okta: Pick<OktaPort, 'getUser' | 'listGroupMembers'>,
  input: AccountChoices & { manager: string },
  opts: { portalUrl?: string } = {},
): Promise<AccountResolution> {
  const t = policy.temporaryAccounts;
  if (!t) return { ok: false, code: 'feature_off', message: 'temporary accounts are not enabled by the policy' };
  const manager = await okta.getUser(input.manager);
  if (!manager || manager.status === 'DEPROVISIONED') return { ok: false, code: 'unknown_user', message: `no active user ${input.manager}` };
  if (!isAccountRequester(policy, manager)) {
    return { ok: false, code: 'not_eligible', message: `${input.manager} may not ask for temporary accounts (the policy's requesters rules)` };
  }
  const problems = checkAccountChoices(t, input);
  if (problems.length) return { ok: false, code: 'not_offered', message: problems.map((p) => p.message).join('; '), problems };
  const adminsGroup = securityAdminsGroup(policy);
  const admins = adminsGroup ? (await okta.listGroupMembers(adminsGroup)).filter((u) => u.status === 'ACTIVE').map((u) => u.login.toLowerCase()) : [];
  const groups: AccountGroup[] = [...new Set(input.groups)].map((key) => ({ key, groupId: t.groups[key]!.groupId, name: t.groups[key]!.name }));
  return {
    ok: true,
    resolved: {
      managerUserId: manager.id,
      managerDisplayName: manager.displayName,
      loginPattern: t.login.pattern,
      domain: t.login.domain,
      groups,
      maxTotalMs: t.maxTotal,
      expiryWarningMs: t.expiryWarning,
      admins,
      ...(opts.portalUrl ? { portalUrl: opts.portalUrl } : {}),
    },
  };
}
