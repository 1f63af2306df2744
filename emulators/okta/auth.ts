import express, { Router, type RequestHandler } from 'express';
import { randomId } from '../shared/http';
import type { OktaState } from './state';
import { sendOktaError } from './wire';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The claims of a compact JWT, or null when it is not three base64url parts with a JSON payload. */
export function decodeJwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part)) || !parts[0] || !parts[1]) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * POST /oauth2/v1/token for service apps (client_credentials + private_key_jwt). The signature is
 * not verified: the emulator only checks the assertion is a JWT naming its client.
 */
export function tokenRouter(state: OktaState): Router {
  const router = Router();
  router.post('/oauth2/v1/token', express.urlencoded({ extended: false }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const oauthError = (status: number, error: string, description: string) =>
      res.status(status).json({ error, error_description: description });
    if (body.grant_type !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server.');
    }
    if (!body.scope) return oauthError(400, 'invalid_scope', 'The authorization server requires the scope parameter.');
    const claims = body.client_assertion_type === JWT_BEARER && body.client_assertion ? decodeJwtClaims(body.client_assertion) : null;
    const clientId = claims && typeof claims.iss === 'string' ? claims.iss : undefined;
    if (!clientId || claims?.sub !== clientId) {
      return oauthError(401, 'invalid_client', 'The client_assertion is not a valid JWT with iss = sub = client id.');
    }
    const accessToken = randomId('emu.', 40);
    state.accessTokens.set(accessToken, { clientId, scope: body.scope });
    res.json({ token_type: 'Bearer', expires_in: 3600, access_token: accessToken, scope: body.scope });
  });
  return router;
}

/** `SSWS <any non-empty token>` or a Bearer token this emulator issued; anything else is E0000011. */
export function requireOktaAuth(state: OktaState): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const [scheme, credential] = header.split(/\s+/, 2);
    const valid = (scheme === 'SSWS' && !!credential) || (scheme === 'Bearer' && !!credential && state.accessTokens.has(credential));
    if (valid) return next();
    sendOktaError(res, 401, 'E0000011', 'Invalid token provided');
  };
}

/**
 * x-rate-limit-* on every vendor response, from a per-minute window (informative: the emulator
 * itself only rate-limits through injected faults), plus an X-Okta-Request-Id.
 */
export function rateLimitHeaders(limit = 600): RequestHandler {
  let windowStart = 0;
  let used = 0;
  return (_req, res, next) => {
    const nowSec = Math.floor(Date.now() / 1000);
    if (nowSec - windowStart >= 60) {
      windowStart = nowSec;
      used = 0;
    }
    used += 1;
    res.setHeader('X-Rate-Limit-Limit', String(limit));
    res.setHeader('X-Rate-Limit-Remaining', String(Math.max(limit - used, 0)));
    res.setHeader('X-Rate-Limit-Reset', String(windowStart + 60));
    res.setHeader('X-Okta-Request-Id', randomId('', 20));
    next();
  };
}
