/**
 * People as Okta knows them: every requester, approver and actor is resolved here to one Okta user,
 * and stored as that user's login (lower-case), whatever alias or short name was given. Answers are
 * cached briefly (30 s) so a burst of calls costs one lookup, while a deactivated user loses the
 * right to act within the minute. A failed lookup is not cached: it surfaces as 503.
 */
import { memoize } from '../activities/memo';
import type { DirectoryUser, OktaPort } from '../activities/ports';

export interface People {
  byLogin(login: string): Promise<DirectoryUser | null>;
  byId(userId: string): Promise<DirectoryUser | null>;
}

export function createPeople(okta: Pick<OktaPort, 'getUser'>, ttlMs = 30_000, now: () => number = Date.now): People {
  const lookup = memoize((key) => okta.getUser(key), { ttlMs, now });
  return {
    byLogin: (login) => lookup(login.trim().toLowerCase()),
    byId: (userId) => lookup(userId),
  };
}
