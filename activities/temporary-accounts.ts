/**
 * The Okta work of a temporary account (SPEC §11), as three activities the workflow runs on its
 * critical path (local first, then durable without limit):
 * - chooseTemporaryAccountLogin: the unique login, against Okta's users (a prefix search);
 * - createTemporaryAccount: the user, its groups and its credential, mailed to the manager from
 *   inside this activity. The credential never leaves it: not in its result, its failures, the
 *   logs, the audit log or Slack. A retry finds the user it made and issues a new credential.
 * - closeTemporaryAccount: sessions cleared, deactivated, deleted; a user already gone is done,
 *   and a user Gatehouse did not make for this manager is never touched.
 */
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { AccountFailure } from '../workflows/temporary-account/errors';
import { mail as wording } from '../workflows/temporary-account/wording';
import { renderMail } from './mail/message';
import type { MailPort, OktaPort } from './ports';
import { firstFreeLogin, loginBase, MAX_LOGIN_LENGTH } from './temporary-login';

export interface ChooseLoginInput {
  firstName: string;
  lastName: string;
  pattern: string;
  domain: string;
  /** Logins found taken by someone else since the last choice (Okta's search index lags creates). */
  exclude?: string[];
}

export interface CreateAccountInput {
  accountId: string;
  login: string;
  firstName: string;
  lastName: string;
  manager: string;
  groupIds: string[];
  validityMs: number;
  /** Set on the durable fallback: local attempts came before, and one may have sent a credential. */
  afterLocalAttempts?: boolean;
}

export interface CreateAccountResult {
  userId: string;
  /** When the user existed in Okta (the validity counts from here). */
  createdAt: string;
  /** Who got the credential (the manager), and how; never the credential itself. */
  credential: { kind: 'temporary_password'; sentTo: string; at: string };
  /** Where the employee signs in (the Okta org), for the notices. */
  signInUrl?: string;
}

export interface CloseAccountInput {
  accountId: string;
  login: string;
  /** Absent when the create never answered: the user is then found by login. */
  userId?: string;
  manager: string;
}

export interface CloseAccountResult {
  outcome: 'deleted' | 'already_gone' | 'not_ours';
  userId?: string;
  /** When it was done (a local activity's workflow time is when it started). */
  closedAt: string;
}

export interface TemporaryAccountDeps {
  okta: OktaPort;
  mail?: MailPort;
  /** OKTA_ORG_URL: the sign-in page named in the e-mails. */
  signInUrl?: string;
}

const refuse = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/** A user this account made: the Gatehouse marker and this manager in its profile. */
const madeByGatehouseFor = (profile: Record<string, unknown>, manager: string) =>
  profile.gatehouseTemporary === true && typeof profile.gatehouseManager === 'string' && profile.gatehouseManager.toLowerCase() === manager.toLowerCase();

export function createTemporaryAccountActivities(deps: TemporaryAccountDeps) {
  const { okta } = deps;
  return {
    async chooseTemporaryAccountLogin(input: ChooseLoginInput): Promise<{ login: string }> {
      const base = loginBase(input.pattern, input.firstName, input.lastName);
      if (!base) throw refuse(AccountFailure.NoLatinName, 'the first and last names need Latin letters for a login (type the Latin spelling)');
      // Deactivated users keep their logins: the search includes them.
      const taken = new Set([...(await okta.findUsersByLoginPrefix(base)).map((u) => u.login.toLowerCase()), ...(input.exclude ?? []).map((l) => l.toLowerCase())]);
      const login = firstFreeLogin(base, input.domain, taken);
      if (login.length > MAX_LOGIN_LENGTH) throw refuse(AccountFailure.NoLatinName, `the login ${login} is longer than Okta's ${MAX_LOGIN_LENGTH} characters`);
      return { login };
    },

    async createTemporaryAccount(input: CreateAccountInput): Promise<CreateAccountResult> {
      // Without mail the credential cannot reach the manager: refuse before making a user.
      if (!deps.mail) throw refuse('MailRejected', 'no mail transport is configured (SMTP_URL): the credential could not be delivered');
      let made;
      try {
        made = await okta.createUserWithTemporaryPassword({
          login: input.login,
          email: input.login,
          firstName: input.firstName,
          lastName: input.lastName,
          profile: { gatehouseTemporary: true, gatehouseManager: input.manager },
          groupIds: input.groupIds,
        });
      } catch (err) {
        // The adapter's 409: the login is someone else's (a user made meanwhile): choose again.
        if (err instanceof ApplicationFailure && err.type === 'OktaRejected' && (err.details?.[0] as { status?: number } | undefined)?.status === 409) {
          throw refuse(AccountFailure.LoginTaken, err.message);
        }
        throw err;
      }
      const { user, temporaryPassword } = made;
      const content = wording.credential(
        {
          accountId: input.accountId,
          login: user.login,
          firstName: input.firstName,
          lastName: input.lastName,
          validityMs: input.validityMs,
          replaces: attempt() > 1 || !!input.afterLocalAttempts,
          ...(deps.signInUrl ? { signInUrl: deps.signInUrl } : {}),
        },
        temporaryPassword,
      );
      await deps.mail.send({ to: input.manager, ...renderMail(content) });
      const at = new Date().toISOString();
      log.info('temporary account created; credential mailed to the manager', { accountId: input.accountId, userId: user.id, login: user.login });
      return { userId: user.id, createdAt: at, credential: { kind: 'temporary_password', sentTo: input.manager, at }, ...(deps.signInUrl ? { signInUrl: deps.signInUrl } : {}) };
    },

    async closeTemporaryAccount(input: CloseAccountInput): Promise<CloseAccountResult> {
      const user = await okta.getUser(input.userId ?? input.login);
      if (!user) return { outcome: 'already_gone', closedAt: new Date().toISOString() };
      if (!madeByGatehouseFor(user.profile, input.manager)) {
        log.warn('not closing a user Gatehouse did not make for this account', { accountId: input.accountId, userId: user.id, login: user.login });
        return { outcome: 'not_ours', userId: user.id, closedAt: new Date().toISOString() };
      }
      if (user.status !== 'DEPROVISIONED') {
        await okta.clearUserSessions(user.id);
        await okta.deactivateUser(user.id);
      }
      await okta.deleteUser(user.id);
      log.info('temporary account closed', { accountId: input.accountId, userId: user.id });
      return { outcome: 'deleted', userId: user.id, closedAt: new Date().toISOString() };
    },
  };
}

export type TemporaryAccountActivities = ReturnType<typeof createTemporaryAccountActivities>;
