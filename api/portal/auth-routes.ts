/**
 * /auth/login, /auth/callback and /auth/logout: sign-in with Okta (authorization code + PKCE,
 * state and nonce kept in a short-lived signed cookie) and sign-out, at Okta too when the
 * provider has an end-session endpoint (RP-initiated logout).
 */
import { Router, type Request } from 'express';
import * as client from 'openid-client';
import { HttpError } from '../errors';
import type { PortalContext } from './context';
import { checkPost, personOf } from './guard';
import { html } from './html';
import { csrfField, page } from './layout';
import { SignInError } from './oidc';

/** A local path to come back to after sign-in (never another site: no `//`, no scheme, no backslash). */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512) return '/';
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(value) && !value.includes('\\') ? value : '/';
}

/** Why a sign-in failed, in words a person can act on; null for what is not a sign-in problem. */
function signInFailure(err: unknown): string | null {
  if (err instanceof SignInError) return err.message;
  if (err instanceof client.AuthorizationResponseError) return `Okta refused the sign-in: ${err.error_description ?? err.error}.`;
  if (err instanceof client.ResponseBodyError) return `Okta refused the sign-in code (${err.error}). Sign in again.`;
  if (err instanceof client.ClientError) return `The answer from Okta could not be trusted (${err.message}). Sign in again.`;
  return null;
}

export function authRouter(ctx: PortalContext): Router {
  const router = Router();

  router.get('/auth/login', async (req, res) => {
    let started: Awaited<ReturnType<PortalContext['oidc']['start']>>;
    try {
      started = await ctx.oidc.start();
    } catch (err) {
      ctx.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'portal: OpenID discovery failed');
      throw new HttpError(503, 'unavailable', 'Okta is not answering just now, so you cannot sign in. Try again in a moment.', [], {}, 5);
    }
    const { url, verifier, state, nonce } = started;
    ctx.cookies.writeLogin(res, { verifier, state, nonce, returnTo: safeReturnTo(req.query.returnTo) });
    res.redirect(303, url.href);
  });

  router.get('/auth/callback', async (req: Request, res) => {
    const pending = ctx.cookies.readLogin(req);
    ctx.cookies.clearLogin(res);
    if (!pending) {
      throw new HttpError(400, 'validation_failed', `This sign-in took too long or did not start here. Sign in again from ${ctx.publicUrl}/.`);
    }
    let identity;
    try {
      // The whole callback URL as the browser sent it, on the public base (openid-client checks state and iss).
      identity = await ctx.oidc.finish(new URL(req.originalUrl, `${ctx.publicUrl}/`), pending);
    } catch (err) {
      const why = signInFailure(err);
      if (!why) {
        // Only Okta is called here (token, keys, userinfo): anything else means it did not answer.
        ctx.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'portal: the code exchange with Okta failed');
        throw new HttpError(503, 'unavailable', 'Okta did not answer while finishing your sign-in. Sign in again in a moment.', [], {}, 5);
      }
      ctx.logger.info({ reason: why }, 'portal: sign-in refused');
      throw new HttpError(400, 'validation_failed', why);
    }
    // The person is the canonical ACTIVE Okta user with this login, and must be the token's subject.
    const user = await ctx.people.byLogin(identity.login);
    if (!user || user.id !== identity.subject) throw new HttpError(403, 'forbidden', `Okta signed in ${identity.login}, who is not a user Gatehouse can find in the directory.`);
    if (user.status !== 'ACTIVE') throw new HttpError(403, 'forbidden', `Your Okta account is ${user.status}, not ACTIVE, so you cannot sign in.`);
    ctx.cookies.writeSession(res, { userId: user.id, login: user.login.toLowerCase(), name: identity.name ?? user.displayName ?? user.login, idToken: identity.idToken });
    ctx.logger.info({ login: user.login.toLowerCase(), via: 'portal' }, 'portal: signed in');
    res.redirect(303, pending.returnTo);
  });

  /** A typed or bookmarked /auth/logout gets a button: signing out is a POST, so another site cannot do it. */
  router.get('/auth/logout', (_req, res) => {
    const person = personOf(res);
    if (!person) return res.redirect(303, '/');
    res.send(page({ title: 'Sign out', person }, html`<form method="post" action="/auth/logout">${csrfField(person)}<button type="submit" class="primary">Sign out</button></form>`));
  });

  router.post(
    '/auth/logout',
    (_req, res, next) => (personOf(res) ? next() : res.redirect(303, '/')),
    checkPost(ctx.publicOrigin),
    async (_req, res) => {
      const idToken = res.locals.idToken as string | undefined;
      ctx.cookies.clearSession(res);
      const atOkta = await ctx.oidc.logoutUrl(idToken);
      res.redirect(303, atOkta?.href ?? '/');
    },
  );

  return router;
}
