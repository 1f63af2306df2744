/**
 * Who is calling /v1 (SPEC §13). Two kinds of bearer token:
 * - a static API token from GATEHOUSE_API_TOKENS (`name:token[:scope+scope…]`): an integration
 *   that acts for nobody in particular; every action on someone's behalf needs a scope;
 * - an Okta-issued access token (a JWT checked against the issuer's JWKS): with a `uid` claim it is
 *   a person, who may do what they themselves may do; without one (client credentials) it is an
 *   Okta client with the scopes its `scp` claim maps to (`gatehouse:<scope>`).
 * The caller is kept in `res.locals.caller`; routes ask it for scopes and for the acting person.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { API_SCOPES, type ApiScope, type ApiToken } from '../activities/settings';
import { HttpError } from './errors';
import { looksLikeJwt, OktaTokenError, type OktaTokenVerifier } from './identity/okta-token';
import type { People } from './people';

export type Caller =
  | { kind: 'token'; name: string; scopes: ReadonlySet<ApiScope> }
  | { kind: 'person'; login: string; userId: string; clientId: string; scopes: ReadonlySet<ApiScope> }
  | { kind: 'client'; clientId: string; scopes: ReadonlySet<ApiScope> };

/** A person signed in with Okta may file, read and decide for themselves (their approver rights decide the rest). */
const PERSON_SCOPES: ReadonlySet<ApiScope> = new Set(['requests:create', 'requests:read', 'requests:decide', 'temporary-accounts']);

/** An Okta client's `scp` values `gatehouse:<scope>` map to Gatehouse scopes. */
export function scopesFromScp(scp: string[]): Set<ApiScope> {
  const known = API_SCOPES as readonly string[];
  return new Set(scp.filter((s) => s.startsWith('gatehouse:') && known.includes(s.slice(10))).map((s) => s.slice(10) as ApiScope));
}

/** How the caller appears in `via` on every approval entry and audit event. */
export function viaOf(caller: Caller): string {
  if (caller.kind === 'token') return `http:${caller.name}`;
  if (caller.kind === 'person') return 'http:okta';
  return `http:okta-client:${caller.clientId}`;
}

/** A name for logs and rate limiting that never includes a credential. */
export function callerKey(caller: Caller): string {
  if (caller.kind === 'token') return `token:${caller.name}`;
  if (caller.kind === 'person') return `person:${caller.userId}`;
  return `client:${caller.clientId}`;
}

export const callerOf = (res: Response): Caller => res.locals.caller as Caller;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export interface AuthOptions {
  tokens: Map<string, ApiToken>;
  okta?: OktaTokenVerifier;
  people: People;
}

/**
 * Static tokens are compared in constant time over equal-length digests (every known token, so the
 * answer time says nothing about a guess); JWTs go to the Okta verifier when one is configured.
 */
export function authenticate(opts: AuthOptions): RequestHandler {
  const known = [...opts.tokens.entries()].map(([token, t]) => ({ hash: digest(token), token: t }));
  const refuse = (res: Response, message: string) => {
    res.setHeader('WWW-Authenticate', 'Bearer realm="gatehouse"');
    return new HttpError(401, 'unauthorized', message);
  };
  return async (req, res, next) => {
    try {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (!match) return next(refuse(res, 'missing bearer token (Authorization: Bearer <token>)'));
      const presented = match[1]!;
      if (opts.okta && looksLikeJwt(presented)) {
        res.locals.caller = await oktaCaller(opts, presented).catch((err: unknown) => {
          if (err instanceof OktaTokenError && err.reason === 'jwks_unavailable') {
            throw new HttpError(503, 'unavailable', 'the Okta keys could not be fetched to check the token; retry shortly', [], {}, 5);
          }
          if (err instanceof OktaTokenError) throw refuse(res, `the Okta access token was refused (${err.reason})`);
          throw err;
        });
        return next();
      }
      const hash = digest(presented);
      let token: ApiToken | undefined;
      for (const k of known) if (timingSafeEqual(k.hash, hash)) token ??= k.token;
      if (!token) return next(refuse(res, 'unknown bearer token'));
      res.locals.caller = { kind: 'token', name: token.name, scopes: token.scopes } satisfies Caller;
      next();
    } catch (err) {
      next(err);
    }
  };
}

async function oktaCaller(opts: AuthOptions, token: string): Promise<Caller> {
  const verified = await opts.okta!.verify(token);
  if (verified.kind === 'client') return { kind: 'client', clientId: verified.clientId, scopes: scopesFromScp(verified.scopes) };
  // `uid` names the person; `sub` is the app username and may differ (research round2 §1.2).
  const user = await opts.people.byId(verified.userId);
  if (!user) throw new HttpError(401, 'unauthorized', 'the Okta access token names a user that does not exist');
  if (user.status !== 'ACTIVE') throw new HttpError(403, 'forbidden', `your Okta account is ${user.status}, not ACTIVE`);
  return { kind: 'person', login: user.login.toLowerCase(), userId: user.id, clientId: verified.clientId, scopes: PERSON_SCOPES };
}

export function hasScope(caller: Caller, scope: ApiScope): boolean {
  return caller.scopes.has(scope);
}

export function requireScope(caller: Caller, scope: ApiScope): void {
  if (!hasScope(caller, scope)) {
    const who = caller.kind === 'token' ? `the token ${caller.name}` : caller.kind === 'person' ? 'a personal Okta token' : `the Okta client ${caller.clientId}`;
    throw new HttpError(403, 'insufficient_scope', `${who} lacks the scope ${scope}`, [{ scope }]);
  }
}

/** Express middleware form of requireScope, for whole routers. */
export const scope =
  (needed: ApiScope): RequestHandler =>
  (_req, res, next) => {
    try {
      requireScope(callerOf(res), needed);
      next();
    } catch (err) {
      next(err);
    }
  };

export interface ActingOptions {
  /** The scope a non-person caller needs to name this person. */
  scope: ApiScope;
  /** The body field that names the person (for messages). */
  field: string;
  /** An unknown named person is 404 (the requester of a new request) rather than 403. */
  unknownIs404?: boolean;
}

/**
 * The person an action is taken as, as the canonical Okta login: a person token acts only as
 * itself (naming someone else is 403); a token or client needs `opts.scope` and must name an
 * ACTIVE Okta user (a short name or alias is resolved to the login); `system:` actors are never
 * accepted over HTTP.
 */
export async function actingPerson(people: People, caller: Caller, named: string | undefined, opts: ActingOptions): Promise<string> {
  if (caller.kind === 'person') {
    if (named !== undefined) {
      const user = await people.byLogin(named);
      if (!user || user.id !== caller.userId) {
        throw new HttpError(403, 'forbidden', `a personal Okta token acts only for ${caller.login}; ${opts.field} names someone else`, [{ path: opts.field }]);
      }
    }
    return caller.login;
  }
  requireScope(caller, opts.scope);
  if (named === undefined) throw new HttpError(400, 'validation_failed', `${opts.field} is required`, [{ path: opts.field, message: 'required with an API token' }]);
  if (named.startsWith('system:')) throw new HttpError(403, 'forbidden', 'system actors cannot act over HTTP', [{ path: opts.field }]);
  const user = await people.byLogin(named);
  if (!user) {
    if (opts.unknownIs404) throw new HttpError(404, 'not_found', `user ${named} not found`, [{ reason: 'unknown_user' }]);
    throw new HttpError(403, 'forbidden', `${named} is not an Okta user`, [{ path: opts.field }]);
  }
  if (user.status !== 'ACTIVE') throw new HttpError(403, 'forbidden', `${user.login} is ${user.status} in Okta, not ACTIVE`, [{ path: opts.field }]);
  return user.login.toLowerCase();
}
