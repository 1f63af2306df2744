/**
 * Who is acting in the portal, and whether a POST may act at all:
 * - the person is the signed-in session's, re-checked against Okta on every request (through the
 *   30-second people cache): a user suspended or deactivated in Okta loses the portal at once;
 * - every POST must come from a Gatehouse page: `Sec-Fetch-Site` and `Origin` (when the browser
 *   sends them) name this origin, and the form's `_csrf` equals the session's token;
 * - a form never names a person: a field like `approver` or `actor` is refused (403), whatever it
 *   says, because the actor is always the signed-in person.
 */
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from '../errors';
import type { People } from '../people';
import type { PortalPerson } from './layout';
import type { RolesOf } from './roles';
import type { CookieJar } from './session';

/** Form fields that would name someone: the portal takes the actor from the session only. */
const PERSON_FIELDS = ['requester', 'approver', 'actor', 'reviewer', 'manager', 'login', 'user', 'person', 'by', 'as'];

export const personOf = (res: Response): PortalPerson | null => (res.locals.person as PortalPerson | undefined) ?? null;

/** The signed-in person (with `res.locals.idToken` for sign-out), or null; never refuses. */
export function loadPerson(cookies: CookieJar, people: People, rolesOf: RolesOf): RequestHandler {
  return async (req, res, next) => {
    const session = cookies.readSession(req);
    if (!session) return next();
    const user = await people.byId(session.userId);
    if (!user || user.status !== 'ACTIVE') {
      cookies.clearSession(res);
      throw new HttpError(403, 'forbidden', user ? `Your Okta account is ${user.status}, not ACTIVE: Gatehouse signed you out.` : 'Your Okta account no longer exists: Gatehouse signed you out.');
    }
    res.locals.person = { userId: user.id, login: user.login.toLowerCase(), name: session.name, csrf: session.csrf, roles: await rolesOf(user) } satisfies PortalPerson;
    res.locals.idToken = session.idToken;
    next();
  };
}

/** Pages need a person: a GET goes to sign-in and comes back; anything else is 401. */
export const requirePerson: RequestHandler = (req, res, next) => {
  if (personOf(res)) return next();
  if (req.method === 'GET' || req.method === 'HEAD') {
    const returnTo = encodeURIComponent(req.originalUrl);
    return res.redirect(303, `/auth/login?returnTo=${returnTo}`);
  }
  next(new HttpError(401, 'unauthorized', 'You are not signed in (or your session has expired). Sign in and try again.'));
};

/**
 * A page for some people only: 404 while the policy has the feature off, 403 with the reason for
 * someone without the role. The route's own service calls check again (the workflow validators).
 */
export function requireRole(check: (person: PortalPerson) => { off: string } | { refused: string } | null): RequestHandler {
  return (_req, res, next) => {
    const person = personOf(res);
    if (!person) return next(new HttpError(401, 'unauthorized', 'You are not signed in (or your session has expired). Sign in and try again.'));
    const problem = check(person);
    if (!problem) return next();
    next('off' in problem ? new HttpError(404, 'not_found', problem.off) : new HttpError(403, 'forbidden', problem.refused));
  };
}

/** A refusal of a POST that did not come from one of our forms: the page explains it. */
export class ForgedFormError extends HttpError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

function sameToken(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The checks of every POST, after the body is parsed: origin, CSRF token, no person named.
 * `publicOrigin` is GATEHOUSE_PUBLIC_URL's origin.
 */
export function checkPost(publicOrigin: string): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const site = req.get('sec-fetch-site');
    if (site && site !== 'same-origin' && site !== 'none') {
      return next(new ForgedFormError(`This form was sent from another site (Sec-Fetch-Site: ${site}), so Gatehouse did not act on it.`));
    }
    const origin = req.get('origin');
    if (origin && origin !== publicOrigin) {
      return next(new ForgedFormError(`This form was sent from ${origin}, not from Gatehouse (${publicOrigin}), so Gatehouse did not act on it.`));
    }
    const person = personOf(res);
    if (!person) return next(new HttpError(401, 'unauthorized', 'You are not signed in (or your session has expired). Sign in and try again.'));
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!sameToken(body._csrf, person.csrf)) {
      return next(new ForgedFormError('This form did not carry your session’s security token (it is missing, forged or from an older session), so Gatehouse did not act on it. Reload the page and try again.'));
    }
    const named = PERSON_FIELDS.find((field) => Object.hasOwn(body, field));
    if (named) {
      return next(new ForgedFormError(`The portal acts only as the person signed in (${person.login}); this form names someone in “${named}”, so Gatehouse did not act on it.`));
    }
    next();
  };
}
