import { timingSafeEqual } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { sendControlError } from '../../shared/control';
import type { OktaContext } from '../context';
import { sendOktaError } from '../wire';
import { DuplicateClientError, OidcClients, type OidcClient } from './clients';
import { OAuthError, type OidcProvider, type TokenResponse } from './provider';
import { messagePage, signInPage } from './sign-in-page';

/** The only authorization server the emulator has; Okta's default custom one. */
const AUTH_SERVER_ID = 'default';
const BASE = `/oauth2/${AUTH_SERVER_ID}`;

const form = express.urlencoded({ extended: false, limit: '64kb' });

function sendOAuthError(res: Response, err: OAuthError): void {
  res.status(err.status).json({ error: err.error, error_description: err.description });
}

/** Form fields as single strings; a repeated field is invalid_request (RFC 6749 §3.1). */
function singleValued(body: unknown): Record<string, string | undefined> {
  const fields: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `The '${name}' parameter was provided more than once.`);
    fields[name] = value;
  }
  return fields;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Basic credentials are form-encoded before base64 (RFC 6749 §2.3.1). */
function basicCredentials(header: string): { id: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    const unform = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

/** client_secret_basic or client_secret_post, never both; a public client sends its id alone. */
function authenticateClient(provider: OidcProvider, req: Request, fields: Record<string, string | undefined>): OidcClient {
  const header = req.get('authorization');
  const failed = new OAuthError('invalid_client', 'Client authentication failed. Either the client or the client credentials are invalid.', 401);
  let credentials: { id?: string; secret?: string };
  if (header !== undefined) {
    if (fields.client_secret !== undefined || fields.client_assertion !== undefined) {
      throw new OAuthError('invalid_request', 'Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.');
    }
    const basic = basicCredentials(header);
    if (!basic || (fields.client_id !== undefined && fields.client_id !== basic.id)) throw failed;
    credentials = basic;
  } else {
    if (fields.client_assertion !== undefined) throw failed;
    credentials = { id: fields.client_id, secret: fields.client_secret };
  }
  const client = provider.clients.get(credentials.id);
  if (!client) throw failed;
  const authenticated = client.clientSecret === null ? credentials.secret === undefined : credentials.secret !== undefined && sameSecret(credentials.secret, client.clientSecret);
  if (!authenticated) throw failed;
  return client;
}

/** The `default` custom authorization server: discovery, authorize, token, keys, userinfo, logout. */
export function oidcRouter(ctx: OktaContext, provider: OidcProvider): Router {
  const router = Router();
  const issuerOf = (req: Request) => `${ctx.baseUrl(req)}${BASE}`;

  router.use('/oauth2/:authServerId', (req: Request<{ authServerId: string }>, res, next) => {
    if (req.params.authServerId === AUTH_SERVER_ID) return next();
    sendOktaError(res, 404, 'E0000007', `Not found: Resource not found: ${req.params.authServerId} (AuthorizationServer)`);
  });

  for (const path of ['openid-configuration', 'oauth-authorization-server']) {
    router.get(`${BASE}/.well-known/${path}`, (req, res) => {
      res.json(provider.metadata(issuerOf(req)));
    });
  }

  const authorize = (req: Request, res: Response, params: Record<string, unknown>) => {
    res.set('Cache-Control', 'no-store');
    const outcome = provider.validateAuthorize(params);
    if (outcome.kind === 'page') return res.status(400).type('html').send(messagePage(outcome.error, outcome.description));
    if (outcome.kind === 'redirect') return res.redirect(302, outcome.location);
    const login = req.method === 'POST' ? outcome.request.params.login : undefined;
    if (login === undefined) return res.type('html').send(signInPage(outcome.request, provider.signInCandidates()));
    const user = ctx.state.findByLogin(login);
    if (!user || user.status !== 'ACTIVE') {
      return res.status(400).type('html').send(signInPage(outcome.request, provider.signInCandidates(), `${login} is not an active user of this organization.`));
    }
    res.redirect(302, provider.signIn(outcome.request, user));
  };
  router.get(`${BASE}/v1/authorize`, (req, res) => authorize(req, res, req.query));
  router.post(`${BASE}/v1/authorize`, form, (req, res) => authorize(req, res, (req.body ?? {}) as Record<string, unknown>));

  router.post(`${BASE}/v1/token`, form, async (req, res) => {
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    try {
      const fields = singleValued(req.body);
      const client = authenticateClient(provider, req, fields);
      const issuer = issuerOf(req);
      let tokens: TokenResponse;
      if (fields.grant_type === 'authorization_code') tokens = await provider.exchangeCode(issuer, client, fields);
      else if (fields.grant_type === 'refresh_token') tokens = await provider.refresh(issuer, client, fields);
      else if (fields.grant_type === 'client_credentials') tokens = await provider.clientCredentials(issuer, client, fields);
      else if (!fields.grant_type) throw new OAuthError('invalid_request', "The 'grant_type' parameter is required.");
      else throw new OAuthError('unsupported_grant_type', `The authorization grant type is not supported by the authorization server: ${fields.grant_type}.`);
      res.json(tokens);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      if (err.status === 401 && req.get('authorization')) res.set('WWW-Authenticate', 'Basic realm="Okta"');
      sendOAuthError(res, err);
    }
  });

  router.get(`${BASE}/v1/keys`, async (_req, res) => {
    res.set('Cache-Control', 'max-age=300, must-revalidate').json(await provider.keys.jwks());
  });

  const userinfo = async (req: Request, res: Response) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    try {
      res.json(await provider.userinfo(issuerOf(req), bearer));
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      res.set('WWW-Authenticate', `Bearer error="${err.error}", error_description="${err.description}"`);
      sendOAuthError(res, err);
    }
  };
  router.get(`${BASE}/v1/userinfo`, userinfo);
  router.post(`${BASE}/v1/userinfo`, userinfo);

  router.get(`${BASE}/v1/logout`, async (req, res) => {
    try {
      const { location } = await provider.logout(issuerOf(req), req.query);
      if (location) return res.redirect(302, location);
      res.type('html').send(messagePage('Signed out', 'You are signed out of the Okta emulator.'));
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      res.status(400).type('html').send(messagePage(err.error, err.description));
    }
  });

  return router;
}

/** /_emulator/oidc: register clients, rotate the signing keys. */
export function oidcControlRouter(provider: OidcProvider): Router {
  const router = Router();
  router.use(express.json({ limit: '64kb' }));

  router.post('/clients', (req, res) => {
    try {
      res.status(201).json(OidcClients.registrationJson(provider.clients.register(req.body ?? {})));
    } catch (err) {
      if (err instanceof DuplicateClientError) return res.status(409).json({ error: 'duplicate_client', message: err.message });
      sendControlError(res, err);
    }
  });

  router.post('/rotate', async (_req, res) => {
    res.json(await provider.keys.rotate());
  });

  return router;
}
