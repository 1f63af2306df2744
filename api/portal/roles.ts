/**
 * What the signed-in person may see beyond their own requests, decided by the same rules as the
 * HTTP API and Slack: a **manager** is whoever the policy's `temporaryAccounts.requesters` lets ask
 * for temporary accounts (the Okta profile); a **reviewer** is a member of `risk.reviewersGroupId`.
 * The group membership is cached for 30 s per person, like the people lookups: a page costs no
 * Okta call, and a person taken out of the group loses the page within the minute.
 */
import { isAccountRequester } from '../../activities/policy/temporary-accounts';
import type { Policy } from '../../activities/policy/schema';
import type { DirectoryUser, OktaPort } from '../../activities/ports';

export interface PortalRoles {
  /** May ask for temporary accounts (the Temporary accounts page). */
  manager: boolean;
  /** A member of the risk reviewers group (the Security page). */
  reviewer: boolean;
}

export type RolesOf = (user: DirectoryUser) => Promise<PortalRoles>;

export function createRoles(policy: () => Policy, okta: Pick<OktaPort, 'isGroupMember'>, ttlMs = 30_000, now: () => number = Date.now): RolesOf {
  const cache = new Map<string, { at: number; member: Promise<boolean> }>();
  const isMember = (groupId: string, userId: string): Promise<boolean> => {
    const key = `${groupId}\n${userId}`;
    const hit = cache.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.member;
    const member = okta.isGroupMember(groupId, userId);
    cache.set(key, { at: now(), member });
    member.catch(() => cache.delete(key));
    if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
    return member;
  };
  return async (user) => {
    const p = policy();
    const reviewersGroupId = p.risk?.reviewersGroupId;
    return {
      manager: isAccountRequester(p, user),
      reviewer: !!reviewersGroupId && user.status === 'ACTIVE' && (await isMember(reviewersGroupId, user.id)),
    };
  };
}
