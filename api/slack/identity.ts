/**
 * Who clicked: a Slack user is the Okta user with the same e-mail (users.info → profile.email →
 * Okta). Answers are cached briefly (default 5 min): a burst of clicks costs one lookup, and a
 * changed e-mail or a deprovisioned user is picked up soon after.
 */
import type { OktaPort } from '../../activities/ports';

export interface SlackIdentity {
  /** The Okta login of a Slack user, or null when their e-mail is not an active Okta user. */
  loginOf(slackUserId: string): Promise<string | null>;
}

export interface SlackIdentityOptions {
  /** users.info → profile.email (needs the users:read.email scope). */
  emailOf(slackUserId: string): Promise<string | null>;
  okta: Pick<OktaPort, 'getUser'>;
  ttlMs?: number;
  now?: () => number;
}

export function createSlackIdentity(opts: SlackIdentityOptions): SlackIdentity {
  const ttlMs = opts.ttlMs ?? 5 * 60_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; login: Promise<string | null> }>();

  async function lookup(slackUserId: string): Promise<string | null> {
    const email = await opts.emailOf(slackUserId);
    if (!email) return null;
    const user = await opts.okta.getUser(email);
    return user && user.status !== 'DEPROVISIONED' ? user.login.toLowerCase() : null;
  }

  return {
    loginOf(slackUserId) {
      const hit = cache.get(slackUserId);
      if (hit && now() - hit.at < ttlMs) return hit.login;
      const login = lookup(slackUserId);
      cache.set(slackUserId, { at: now(), login });
      // A failed lookup (Slack or Okta down) is not remembered: the next click asks again.
      login.catch(() => cache.delete(slackUserId));
      return login;
    },
  };
}
