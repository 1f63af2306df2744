/**
 * Portal sessions in a signed cookie: no server-side store, so any API replica that shares
 * GATEHOUSE_SESSION_SECRET accepts it. The cookie is `base64url(JSON).base64url(HMAC-SHA256)`:
 * readable by its owner, unforgeable without the secret, and carrying its own expiry, checked here
 * (a browser's Max-Age alone would let a copied cookie live forever).
 *
 * Why our own 20 lines over node:crypto rather than cookie-parser's signed cookies: those are
 * signed with a bare HMAC of the value, with no purpose (a sign-in cookie could be replayed as a
 * session) and no expiry of their own; iron-session would also encrypt, which we do not need (the
 * cookie holds nothing its owner may not read). Cookie parsing itself is the `cookie` package and
 * writing is Express's `res.cookie`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseCookie } from 'cookie';
import type { Request, Response } from 'express';

/** Who is signed in. `csrf` is the per-session token every form carries. */
export interface PortalSession {
  /** The Okta user id (the ID token's `sub`). */
  userId: string;
  /** The canonical Okta login, lower-case (api/people.ts). */
  login: string;
  name: string;
  csrf: string;
  /** The ID token, kept only as the `id_token_hint` of the sign-out at Okta. */
  idToken?: string;
  /** Seconds since the epoch. */
  exp: number;
}

/** The sign-in in flight: PKCE verifier, state and nonce, and where to go afterwards. */
export interface LoginTransaction {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
  exp: number;
}

export const SESSION_TTL_MS = 8 * 3_600_000;
export const LOGIN_TTL_MS = 10 * 60_000;

type Purpose = 'session' | 'login';

export interface CookieJar {
  readSession(req: Request): PortalSession | null;
  writeSession(res: Response, session: Omit<PortalSession, 'exp' | 'csrf'>): PortalSession;
  clearSession(res: Response): void;
  readLogin(req: Request): LoginTransaction | null;
  writeLogin(res: Response, login: Omit<LoginTransaction, 'exp'>): void;
  clearLogin(res: Response): void;
}

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/**
 * `secure`: the portal is served over https (GATEHOUSE_PUBLIC_URL): the cookies are then Secure and
 * carry the `__Host-` prefix, which browsers accept only when Secure, for Path=/ and no Domain.
 */
export function createCookieJar(secret: string, opts: { secure: boolean; now?: () => number }): CookieJar {
  const key = createHmac('sha256', secret).update('gatehouse portal cookies v1').digest();
  const now = opts.now ?? Date.now;
  const prefix = opts.secure ? '__Host-' : '';
  const names: Record<Purpose, string> = { session: `${prefix}gatehouse_session`, login: `${prefix}gatehouse_login` };
  const mac = (purpose: Purpose, payload: string) => createHmac('sha256', key).update(`${purpose}.${payload}`).digest();

  function read<T extends { exp: number }>(req: Request, purpose: Purpose): T | null {
    const raw = parseCookie(req.headers.cookie ?? '')[names[purpose]];
    if (!raw || raw.length > 4096) return null;
    const [payload, signature, extra] = raw.split('.');
    if (!payload || !signature || extra !== undefined) return null;
    const given = Buffer.from(signature, 'base64url');
    const expected = mac(purpose, payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as T;
      return typeof value.exp === 'number' && value.exp * 1000 > now() ? value : null;
    } catch {
      return null;
    }
  }

  function write(res: Response, purpose: Purpose, value: { exp: number }, ttlMs: number): void {
    const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
    res.cookie(names[purpose], `${payload}.${mac(purpose, payload).toString('base64url')}`, {
      httpOnly: true,
      sameSite: 'lax',
      secure: opts.secure,
      path: '/',
      maxAge: ttlMs,
    });
  }
  const clear = (res: Response, purpose: Purpose) => res.clearCookie(names[purpose], { httpOnly: true, sameSite: 'lax', secure: opts.secure, path: '/' });
  const expiry = (ttlMs: number) => Math.floor((now() + ttlMs) / 1000);

  return {
    readSession: (req) => read<PortalSession>(req, 'session'),
    writeSession(res, session) {
      const full: PortalSession = { ...session, csrf: randomToken(), exp: expiry(SESSION_TTL_MS) };
      write(res, 'session', full, SESSION_TTL_MS);
      return full;
    },
    clearSession: (res) => clear(res, 'session'),
    readLogin: (req) => read<LoginTransaction>(req, 'login'),
    writeLogin: (res, login) => write(res, 'login', { ...login, exp: expiry(LOGIN_TTL_MS) }, LOGIN_TTL_MS),
    clearLogin: (res) => clear(res, 'login'),
  };
}
