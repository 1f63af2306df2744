/**
 * Resolution of a request against the policy and the requester's directory profile. Used by the
 * resolve activity (whose result the workflow keeps, so policy edits don't change running
 * requests) and by the API to refuse a bad request before a workflow exists.
 */
import type { ResolvedRequest, ResolvedStep, ResolveResult } from '../../workflows/access-request/types';
import { formatDuration } from '../../workflows/access-request/wording';
import type { DirectoryUser, OktaPort } from '../ports';
import type { ApproverSet, Eligibility, EligibilityRule, Policy, ResourcePolicy } from './schema';

export interface ResolveInput {
  requester: string;
  resource: string;
  durationMs?: number;
  justification?: string;
}

const sameLogin = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

function ruleMatches(rule: EligibilityRule, profile: Record<string, unknown>): boolean {
  const value = profile[rule.attribute];
  if (value === undefined || value === null) return false;
  const values = Array.isArray(value) ? value : [value];
  if (rule.equals !== undefined) return values.some((v) => String(v) === String(rule.equals));
  if (rule.in !== undefined) return values.some((v) => rule.in!.map(String).includes(String(v)));
  if (rule.matches !== undefined) {
    const re = new RegExp(rule.matches);
    return values.some((v) => re.test(String(v)));
  }
  return false;
}

export function isEligible(eligibility: Eligibility | undefined, profile: Record<string, unknown>): boolean {
  if (!eligibility) return true;
  return 'any' in eligibility ? eligibility.any.some((r) => ruleMatches(r, profile)) : eligibility.all.every((r) => ruleMatches(r, profile));
}

/** Checks that need no directory: duration and justification. */
export function checkRequestAgainstResource(
  resource: ResourcePolicy,
  input: Pick<ResolveInput, 'durationMs' | 'justification'>,
): ResolveResult | null {
  const duration = input.durationMs ?? resource.duration.default;
  if (duration > resource.duration.max) {
    return { ok: false, code: 'duration_exceeds_policy', message: `${formatDuration(duration)} exceeds the maximum of ${formatDuration(resource.duration.max)}` };
  }
  if (resource.duration.min !== undefined && duration < resource.duration.min) {
    return { ok: false, code: 'duration_exceeds_policy', message: `${formatDuration(duration)} is below the minimum of ${formatDuration(resource.duration.min)}` };
  }
  const j = resource.justification;
  const text = input.justification?.trim() ?? '';
  if (j?.required && !text) return { ok: false, code: 'justification_required', message: 'a justification is required for this resource' };
  if (j?.pattern && (text || j.required) && !new RegExp(j.pattern).test(text)) {
    return { ok: false, code: 'justification_invalid', message: `the justification must match ${j.pattern}` };
  }
  return null;
}

/**
 * The people a policy names (owners, `users:` lists, a manager reference), each resolved to the one
 * Okta user it denotes and kept as that user's login, lower-case: an alias or short name in the
 * policy can't let a second spelling of the same person decide twice, and someone who is not an
 * ACTIVE Okta user decides nothing.
 */
async function canonicalLogins(okta: OktaPort, refs: string[]): Promise<string[]> {
  const logins: string[] = [];
  for (const ref of refs) {
    const user = await okta.getUser(ref);
    if (user?.status === 'ACTIVE') logins.push(user.login.toLowerCase());
  }
  return [...new Set(logins)];
}

async function managerOf(okta: OktaPort, user: DirectoryUser): Promise<string[]> {
  const ref = user.profile.managerId ?? user.profile.manager;
  if (typeof ref !== 'string' || !ref) return [];
  return canonicalLogins(okta, [ref]);
}

async function approversOf(okta: OktaPort, set: ApproverSet, owners: string[], requester: DirectoryUser): Promise<{ label: string; logins: string[] }> {
  if (set === 'manager') return { label: 'manager', logins: await managerOf(okta, requester) };
  if (set === 'owners') return { label: 'owners', logins: owners };
  if ('oktaGroup' in set) {
    const members = await okta.listGroupMembers(set.oktaGroup);
    return { label: `group ${set.oktaGroup}`, logins: members.filter((m) => m.status === 'ACTIVE').map((m) => m.login.toLowerCase()) };
  }
  return { label: 'users', logins: await canonicalLogins(okta, set.users) };
}

export async function resolveRequest(policy: Policy, okta: OktaPort, input: ResolveInput): Promise<ResolveResult> {
  // Own keys only: a resource called `constructor` must not find Object.prototype's.
  const resource = Object.hasOwn(policy.resources, input.resource) ? policy.resources[input.resource] : undefined;
  if (!resource) return { ok: false, code: 'unknown_resource', message: `no resource named ${input.resource}` };
  const local = checkRequestAgainstResource(resource, input);
  if (local) return local;

  const requester = await okta.getUser(input.requester);
  if (!requester || requester.status === 'DEPROVISIONED') return { ok: false, code: 'unknown_user', message: `no active user ${input.requester}` };
  if (requester.status !== 'ACTIVE') return { ok: false, code: 'not_eligible', message: `${input.requester} is ${requester.status}` };
  if (!isEligible(resource.eligibility, requester.profile)) {
    return { ok: false, code: 'not_eligible', message: `${input.requester} is not eligible for ${input.resource}` };
  }
  if (resource.riskGate && (await okta.isGroupMember(resource.riskGate.denyIfInGroup, requester.id))) {
    return { ok: false, code: 'risk_gate', message: `${input.requester} is flagged as high risk and cannot request ${input.resource}` };
  }

  const owners = await canonicalLogins(okta, resource.owners);
  const steps: ResolvedStep[] = [];
  if ('steps' in resource.approval) {
    for (const [i, step] of resource.approval.steps.entries()) {
      const { label, logins } = await approversOf(okta, step.approvers, owners, requester);
      const approvers = [...new Set(logins.map((l) => l.toLowerCase()))].filter((l) => !sameLogin(l, requester.login));
      if (approvers.length < step.count) {
        return {
          ok: false,
          code: 'no_approvers',
          message: `step ${i + 1} (${step.name ?? label}) needs ${step.count} approver(s) other than the requester, and has ${approvers.length}`,
        };
      }
      steps.push({ label: step.name ?? label, approvers, count: step.count });
    }
  }

  const durationMs = input.durationMs ?? resource.duration.default;
  const resolved: ResolvedRequest = {
    resourceName: resource.name,
    oktaGroupId: resource.okta.groupId,
    requesterUserId: requester.id,
    requesterDisplayName: requester.displayName,
    durationMs,
    maxDurationMs: resource.duration.max,
    maxExtensions: resource.extensions?.max ?? 0,
    maxTotalMs: resource.extensions?.maxTotal ?? resource.duration.max,
    autoApprove: 'auto' in resource.approval,
    steps,
    approvalTimeoutMs: resource.approvalTimeout ?? policy.defaults.approvalTimeout,
    reminderAfterMs: resource.reminderAfter ?? policy.defaults.reminderAfter,
    expiryWarningMs: resource.expiryWarning ?? policy.defaults.expiryWarning,
    owners,
    ...(resource.slackChannel ? { slackChannel: resource.slackChannel } : {}),
  };
  return { ok: true, resolved };
}

/** The catalogue entry of a resource, as GET /v1/resources shows it. */
export function describeResource(key: string, r: ResourcePolicy) {
  return {
    key,
    name: r.name,
    description: r.description ?? null,
    oktaGroupId: r.okta.groupId,
    duration: { default: formatDuration(r.duration.default), max: formatDuration(r.duration.max), defaultMs: r.duration.default, maxMs: r.duration.max },
    extensions: r.extensions ? { max: r.extensions.max, maxTotal: formatDuration(r.extensions.maxTotal) } : { max: 0, maxTotal: formatDuration(r.duration.max) },
    justification: { required: r.justification?.required ?? false, pattern: r.justification?.pattern ?? null },
    approval: 'auto' in r.approval ? { auto: true, steps: [] } : { auto: false, steps: r.approval.steps.map((s) => ({ approvers: s.approvers, count: s.count })) },
    slackChannel: r.slackChannel ?? null,
  };
}
