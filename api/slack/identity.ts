/**
 * Who clicked: a Slack user is trusted only when they belong to the configured workspace
 * (SLACK_TEAM_ID), are a full member (not deleted, not a bot, not a guest), and their Slack e-mail
 * is an ACTIVE Okta user; they then act as that user's login. Answers are cached briefly (default
 * 1 min): a burst of clicks costs one lookup, and a deactivated user loses the right to act soon after.
 */
import { memoize } from '../../activities/memo';
import type { OktaPort, SlackPerson } from '../../activities/ports';

export type SlackRefusal = 'other_workspace' | 'deleted' | 'bot' | 'guest' | 'not_in_okta' | 'not_active';

export type SlackWho = { login: string } | { refused: SlackRefusal };

export interface SlackIdentity {
  /** The Okta login of a Slack user, or why they may not act. `teamId` is the workspace the click came from. */
  whoIs(slackUserId: string, teamId?: string): Promise<SlackWho>;
}

export interface SlackIdentityOptions {
  /** users.info (needs the users:read and users:read.email scopes). */
  personOf(slackUserId: string): Promise<SlackPerson | null>;
  okta: Pick<OktaPort, 'getUser'>;
  /** SLACK_TEAM_ID: clicks from any other workspace are refused. Unset: the first one seen is not trusted blindly — every team is accepted (dev). */
  teamId?: string;
  ttlMs?: number;
  now?: () => number;
}

export function createSlackIdentity(opts: SlackIdentityOptions): SlackIdentity {
  const ttlMs = opts.ttlMs ?? 60_000;
  const now = opts.now ?? Date.now;

  async function lookup(slackUserId: string): Promise<SlackWho> {
    const person = await opts.personOf(slackUserId);
    if (!person || !person.email) return { refused: 'not_in_okta' };
    if (opts.teamId && person.teamId !== opts.teamId) return { refused: 'other_workspace' };
    if (person.deleted) return { refused: 'deleted' };
    if (person.isBot) return { refused: 'bot' };
    if (person.isGuest) return { refused: 'guest' };
    const user = await opts.okta.getUser(person.email);
    if (!user) return { refused: 'not_in_okta' };
    if (user.status !== 'ACTIVE') return { refused: 'not_active' };
    return { login: user.login.toLowerCase() };
  }
  const remembered = memoize(lookup, { ttlMs, now });

  return {
    async whoIs(slackUserId, teamId) {
      // The payload's own workspace first: a click from another workspace never reaches a lookup.
      if (opts.teamId && teamId && teamId !== opts.teamId) return { refused: 'other_workspace' };
      // A failed lookup (Slack or Okta down) is not remembered: the next click asks again.
      return remembered(slackUserId);
    },
  };
}
