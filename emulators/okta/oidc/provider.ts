import { createHash, randomBytes } from 'node:crypto';
import type { OktaState, OktaUser } from '../state';
import { OidcClients, type GrantType, type OidcClient } from './clients';
import { SigningKeys } from './keys';

/** The default custom authorization server's audience (Okta's default). */
export const API_AUDIENCE = 'api://default';
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
/** Gatehouse's API scopes as custom Okta scopes: `gatehouse:<scope>` (api/auth.ts maps them back). */
export const DEFAULT_CUSTOM_SCOPES = ['requests:create', 'requests:read', 'requests:decide', 'temporary-accounts', 'audit:read', 'admin'].map((s) => `gatehouse:${s}`);
const CODE_LIFETIME_SEC = 300;
const ID_TOKEN_LIFETIME_SEC = 3600;
/** The identity provider id Okta puts in `idp` for users it authenticates itself (the org id). */
const OKTA_IDP = '00o_emulator';

export interface OidcOptions {
  /** The dev client: authorization_code, refresh_token and client_credentials, any loopback redirect URI. */
  clientId?: string;
  /** Default: generated at start-up. */
  clientSecret?: string;
  /** Custom scopes the authorization server knows (default: Gatehouse's API scopes). */
  customScopes?: string[];
}

/** An OAuth error as the token and authorize endpoints report it. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(`${error}: ${description}`);
  }
}

export interface AuthorizeRequest {
  client: OidcClient;
  redirectUri: string;
  scopes: string[];
  state: string;
  nonce?: string;
  codeChallenge?: string;
  loginHint?: string;
  /** The parameters as received, carried through the sign-in form. */
  params: Record<string, string>;
}

export type AuthorizeOutcome =
  | { kind: 'ok'; request: AuthorizeRequest }
  /** No trustworthy redirect URI: an error page, never a redirect. */
  | { kind: 'page'; error: string; description: string }
  | { kind: 'redirect'; location: string };

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  userId: string;
  nonce?: string;
  codeChallenge?: string;
  authTime: number;
  expiresAt: number;
}

interface RefreshGrant {
  clientId: string;
  userId: string;
  scopes: string[];
  authTime: number;
}

export interface TokenResponse {
  token_type: 'Bearer';
  expires_in: number;
  access_token: string;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}

const nowSec = () => Math.floor(Date.now() / 1000);
const opaque = (bytes = 32) => randomBytes(bytes).toString('base64url');
const s256 = (value: string) => createHash('sha256').update(value, 'ascii').digest('base64url');

export function redirectWith(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

/**
 * The `default` custom authorization server: clients, one-time codes, refresh tokens, signing
 * keys. Access tokens are JWTs and not stored, as in Okta; the issuer comes from each request's
 * base URL, so it is whatever URL the client used.
 */
export class OidcProvider {
  readonly clients = new OidcClients();
  readonly keys = new SigningKeys();
  readonly devClient: OidcClient;
  readonly scopesSupported: string[];
  private codes = new Map<string, CodeGrant>();
  private refreshTokens = new Map<string, RefreshGrant>();

  constructor(
    private readonly directory: OktaState,
    options: OidcOptions = {},
  ) {
    this.scopesSupported = [...OIDC_SCOPES, ...(options.customScopes ?? DEFAULT_CUSTOM_SCOPES)];
    this.devClient = this.clients.register({
      client_id: options.clientId ?? '0oa_gatehouse_dev',
      client_secret: options.clientSecret,
      client_name: 'Gatehouse (dev)',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    });
  }

  /** Forgets issued codes and refresh tokens; clients and signing keys stay. */
  reset(): void {
    this.codes.clear();
    this.refreshTokens.clear();
  }

  dump(): Record<string, unknown> {
    return { clients: this.clients.snapshot(), signingKeys: this.keys.snapshot(), codes: this.codes.size, refreshTokens: this.refreshTokens.size };
  }

  metadata(issuer: string): Record<string, unknown> {
    return {
      issuer,
      authorization_endpoint: `${issuer}/v1/authorize`,
      token_endpoint: `${issuer}/v1/token`,
      userinfo_endpoint: `${issuer}/v1/userinfo`,
      jwks_uri: `${issuer}/v1/keys`,
      end_session_endpoint: `${issuer}/v1/logout`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: this.scopesSupported,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      claims_supported: ['ver', 'jti', 'iss', 'sub', 'aud', 'iat', 'exp', 'auth_time', 'amr', 'idp', 'nonce', 'at_hash', 'cid', 'uid', 'scp', 'name', 'given_name', 'family_name', 'preferred_username', 'email', 'email_verified', 'locale', 'zoneinfo', 'updated_at'],
      code_challenge_methods_supported: ['S256'],
      request_parameter_supported: false,
    };
  }

  /** Okta's checks, in Okta's order: client and redirect URI first (an error page), the rest by redirect. */
  validateAuthorize(raw: Record<string, unknown>): AuthorizeOutcome {
    const duplicated = Object.keys(raw).filter((key) => typeof raw[key] !== 'string');
    const params = Object.fromEntries(Object.entries(raw).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    const client = this.clients.get(params.client_id);
    if (!client || duplicated.includes('client_id')) return { kind: 'page', error: 'invalid_client', description: "Invalid value for 'client_id' parameter." };
    const redirectUri = params.redirect_uri;
    if (!redirectUri || duplicated.includes('redirect_uri') || !OidcClients.allowsRedirect(client, redirectUri)) {
      return { kind: 'page', error: 'invalid_request', description: "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings." };
    }
    const state = params.state;
    const fail = (error: string, description: string): AuthorizeOutcome => ({ kind: 'redirect', location: redirectWith(redirectUri, { error, error_description: description, state }) });

    if (duplicated.length > 0) return fail('invalid_request', `The '${duplicated[0]}' parameter was provided more than once.`);
    if (params.response_type !== 'code') return fail('unsupported_response_type', 'The response type is not supported by the authorization server. Configured response types: [code].');
    if (params.response_mode && params.response_mode !== 'query') return fail('unsupported_response_mode', 'The response mode is not supported by the authorization server. Supported: [query].');
    if (!client.grantTypes.includes('authorization_code')) return fail('unauthorized_client', `The client is not authorized to use the provided grant type. Configured grant types: [${client.grantTypes.join(', ')}].`);
    if (!state) return fail('invalid_request', "The authentication request has an invalid 'state' parameter.");
    const scopes = [...new Set((params.scope ?? '').split(' ').filter(Boolean))];
    if (!scopes.includes('openid')) return fail('invalid_scope', "The authentication request must include the 'openid' scope.");
    if (scopes.some((scope) => !this.scopesSupported.includes(scope))) return fail('invalid_scope', 'One or more scopes are not configured for the authorization server resource.');
    const { code_challenge: challenge, code_challenge_method: method } = params;
    if ((challenge || method) && method !== 'S256') return fail('invalid_request', "The 'code_challenge_method' parameter must be 'S256'.");
    if (method && !challenge) return fail('invalid_request', "The 'code_challenge' parameter is required with 'code_challenge_method'.");
    if (challenge && !/^[A-Za-z0-9_-]{43}$/.test(challenge)) return fail('invalid_request', "The 'code_challenge' parameter is not a base64url SHA-256 digest.");
    if (!client.clientSecret && !challenge) return fail('invalid_request', "PKCE code challenge is required when the token endpoint authentication method is 'NONE'.");
    if (params.prompt?.split(' ').includes('none')) return fail('login_required', 'The client specified not to prompt, but the user is not logged in.');

    return {
      kind: 'ok',
      request: { client, redirectUri, scopes, state, nonce: params.nonce, codeChallenge: challenge, loginHint: params.login_hint, params },
    };
  }

  /** ACTIVE users, the only ones who may sign in, sorted by login. */
  signInCandidates(): OktaUser[] {
    return [...this.directory.users.values()].filter((user) => user.status === 'ACTIVE').sort((a, b) => a.profile.login.localeCompare(b.profile.login));
  }

  /** The user signed in on the emulator's page; redirects back with a one-time code. */
  signIn(request: AuthorizeRequest, user: OktaUser): string {
    const code = opaque();
    this.codes.set(code, {
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      scopes: request.scopes,
      userId: user.id,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      authTime: nowSec(),
      expiresAt: nowSec() + CODE_LIFETIME_SEC,
    });
    user.lastLogin = new Date().toISOString();
    return redirectWith(request.redirectUri, { code, state: request.state });
  }

  private requireGrant(client: OidcClient, grant: GrantType): void {
    if (!client.grantTypes.includes(grant)) {
      throw new OAuthError('unauthorized_client', `The client is not authorized to use the provided grant type. Configured grant types: [${client.grantTypes.join(', ')}].`);
    }
  }

  private activeUser(userId: string): OktaUser {
    const user = this.directory.users.get(userId);
    if (!user || user.status !== 'ACTIVE') throw new OAuthError('invalid_grant', 'The user is not active.');
    return user;
  }

  async exchangeCode(issuer: string, client: OidcClient, form: Record<string, string | undefined>): Promise<TokenResponse> {
    this.requireGrant(client, 'authorization_code');
    if (!form.code) throw new OAuthError('invalid_request', "The 'code' parameter is required.");
    const grant = this.codes.get(form.code);
    // A code is spent by the first attempt that names it, successful or not.
    this.codes.delete(form.code);
    if (!grant || grant.expiresAt < nowSec() || grant.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'The authorization code is invalid or has expired.');
    if (form.redirect_uri !== grant.redirectUri) throw new OAuthError('invalid_grant', "The 'redirect_uri' does not match the redirection URI used in the authorization request.");
    const verifier = form.code_verifier;
    if (grant.codeChallenge ? !verifier || s256(verifier) !== grant.codeChallenge : verifier !== undefined) throw new OAuthError('invalid_grant', 'PKCE verification failed.');
    const user = this.activeUser(grant.userId);
    return this.userTokens(issuer, client, user, grant.scopes, grant.authTime, grant.nonce);
  }

  async refresh(issuer: string, client: OidcClient, form: Record<string, string | undefined>): Promise<TokenResponse> {
    this.requireGrant(client, 'refresh_token');
    if (!form.refresh_token) throw new OAuthError('invalid_request', "The 'refresh_token' parameter is required.");
    const grant = this.refreshTokens.get(form.refresh_token);
    if (!grant || grant.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'The refresh token is invalid or expired.');
    const wanted = form.scope === undefined ? grant.scopes : [...new Set(form.scope.split(' ').filter(Boolean))];
    if (wanted.length === 0 || wanted.some((scope) => !grant.scopes.includes(scope))) {
      throw new OAuthError('invalid_scope', 'The requested scope is invalid, unknown, or malformed: a refresh may only narrow the granted scopes.');
    }
    const user = this.activeUser(grant.userId);
    // Okta's default refresh token is persistent (not rotated): the same one comes back.
    return this.userTokens(issuer, client, user, wanted, grant.authTime, undefined, form.refresh_token);
  }

  async clientCredentials(issuer: string, client: OidcClient, form: Record<string, string | undefined>): Promise<TokenResponse> {
    this.requireGrant(client, 'client_credentials');
    const scopes = [...new Set((form.scope ?? '').split(' ').filter(Boolean))];
    if (scopes.length === 0) throw new OAuthError('invalid_scope', "The authorization server resource does not have any configured default scopes, 'scope' must be provided.");
    if (scopes.some((scope) => (OIDC_SCOPES as readonly string[]).includes(scope))) throw new OAuthError('invalid_scope', 'Client Credentials requests cannot contain OpenID Connect scopes.');
    if (scopes.some((scope) => !this.scopesSupported.includes(scope))) throw new OAuthError('invalid_scope', 'One or more scopes are not configured for the authorization server resource.');
    const iat = nowSec();
    const accessToken = await this.keys.sign({
      ver: 1,
      jti: `AT.${opaque(24)}`,
      iss: issuer,
      aud: API_AUDIENCE,
      iat,
      exp: iat + client.accessTokenLifetimeSec,
      cid: client.clientId,
      scp: scopes,
      sub: client.clientId,
    });
    return { token_type: 'Bearer', expires_in: client.accessTokenLifetimeSec, access_token: accessToken, scope: scopes.join(' ') };
  }

  private async userTokens(
    issuer: string,
    client: OidcClient,
    user: OktaUser,
    scopes: string[],
    authTime: number,
    nonce?: string,
    refreshToken?: string,
  ): Promise<TokenResponse> {
    const iat = nowSec();
    const accessToken = await this.keys.sign({
      ver: 1,
      jti: `AT.${opaque(24)}`,
      iss: issuer,
      aud: API_AUDIENCE,
      iat,
      exp: iat + client.accessTokenLifetimeSec,
      cid: client.clientId,
      uid: user.id,
      scp: scopes,
      auth_time: authTime,
      // The app username, which is the login unless an admin maps it otherwise.
      sub: user.profile.login,
    });
    const response: TokenResponse = { token_type: 'Bearer', expires_in: client.accessTokenLifetimeSec, access_token: accessToken, scope: scopes.join(' ') };
    if (scopes.includes('openid')) {
      const digest = createHash('sha256').update(accessToken, 'ascii').digest();
      response.id_token = await this.keys.sign({
        ver: 1,
        sub: user.id,
        iss: issuer,
        aud: client.clientId,
        iat,
        exp: iat + ID_TOKEN_LIFETIME_SEC,
        jti: `ID.${opaque(24)}`,
        amr: ['pwd'],
        idp: OKTA_IDP,
        auth_time: authTime,
        ...(nonce ? { nonce } : {}),
        at_hash: digest.subarray(0, digest.length / 2).toString('base64url'),
        ...(scopes.includes('profile') ? { name: fullName(user), preferred_username: user.profile.login } : {}),
        ...(scopes.includes('email') ? { email: user.profile.email } : {}),
      });
    }
    if (scopes.includes('offline_access') && client.grantTypes.includes('refresh_token')) {
      const token = refreshToken ?? opaque();
      if (!refreshToken) this.refreshTokens.set(token, { clientId: client.clientId, userId: user.id, scopes, authTime });
      response.refresh_token = token;
    }
    return response;
  }

  /** The userinfo claims for a valid access token, or an OAuthError (401 invalid_token, 403 insufficient_scope). */
  async userinfo(issuer: string, accessToken: string | undefined): Promise<Record<string, unknown>> {
    const invalid = new OAuthError('invalid_token', 'The access token is invalid.', 401);
    if (!accessToken) throw invalid;
    const claims = await this.keys.verify(accessToken, { issuer, audience: API_AUDIENCE }).then(
      (result) => result.payload,
      () => {
        throw invalid;
      },
    );
    const scopes = Array.isArray(claims.scp) ? (claims.scp as unknown[]) : [];
    if (!scopes.includes('openid')) throw new OAuthError('insufficient_scope', 'The access token must provide access to at least one of these scopes: openid.', 403);
    const user = typeof claims.uid === 'string' ? this.directory.users.get(claims.uid) : undefined;
    if (!user || user.status !== 'ACTIVE') throw invalid;
    return {
      sub: user.id,
      ...(scopes.includes('profile')
        ? {
            name: fullName(user),
            given_name: user.profile.firstName,
            family_name: user.profile.lastName,
            preferred_username: user.profile.login,
            locale: 'en_US',
            zoneinfo: 'America/Los_Angeles',
            updated_at: Math.floor(Date.parse(user.lastUpdated) / 1000),
          }
        : {}),
      ...(scopes.includes('email') ? { email: user.profile.email, email_verified: true } : {}),
    };
  }

  /**
   * RP-initiated logout: the emulator keeps no session, so this only checks the hint names a
   * client and sends the browser to a sign-out URI that client may use. An expired hint is
   * accepted, as Okta does.
   */
  async logout(issuer: string, params: Record<string, unknown>): Promise<{ location?: string }> {
    const hint = typeof params.id_token_hint === 'string' ? params.id_token_hint : undefined;
    if (!hint) throw new OAuthError('invalid_request', "The 'id_token_hint' parameter is required.");
    const claims = await this.keys.verify(hint, { issuer, currentDate: new Date(0) }).then(
      (result) => result.payload,
      () => {
        throw new OAuthError('invalid_token', "The 'id_token_hint' is not an ID token issued by this authorization server.");
      },
    );
    const client = this.clients.get(typeof claims.aud === 'string' ? claims.aud : undefined);
    const target = typeof params.post_logout_redirect_uri === 'string' ? params.post_logout_redirect_uri : undefined;
    if (!target) return {};
    if (!client || !OidcClients.allowsRedirect(client, target)) {
      throw new OAuthError('invalid_request', "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings.");
    }
    return { location: redirectWith(target, { state: typeof params.state === 'string' ? params.state : undefined }) };
  }
}

export function fullName(user: OktaUser): string {
  return `${user.profile.firstName} ${user.profile.lastName}`.trim();
}
