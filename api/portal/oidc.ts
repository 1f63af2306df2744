/**
 * Sign-in with Okta through openid-client v6: authorization code with PKCE (S256), state and
 * nonce. The provider's metadata is discovered on first use and kept (a failed discovery is retried
 * on the next sign-in), so the API starts even while Okta is unreachable.
 */
import * as client from 'openid-client';

export interface OidcOptions {
  /** The custom authorization server, e.g. https://acme.okta.com/oauth2/default (no trailing slash). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** `${GATEHOUSE_PUBLIC_URL}/auth/callback`: registered as a sign-in redirect URI of the Okta app. */
  redirectUri: string;
  /** Where Okta sends the browser after signing out: registered as a sign-out redirect URI. */
  postLogoutRedirectUri: string;
  /** Seconds each call to the provider may take (default 10). */
  timeoutSec?: number;
}

/** What the ID token (or userinfo) says about the person. */
export interface SignedInIdentity {
  /** The ID token's `sub`: the Okta user id. */
  subject: string;
  /** `preferred_username`: the Okta login. */
  login: string;
  name?: string;
  idToken: string;
}

export interface Oidc {
  /** The authorization URL to send the browser to, with the secrets the callback must present. */
  start(): Promise<{ url: URL; verifier: string; state: string; nonce: string }>;
  /** Exchanges the code of the callback URL (the whole URL, query included) and says who signed in. */
  finish(callbackUrl: URL, expected: { verifier: string; state: string; nonce: string }): Promise<SignedInIdentity>;
  /** The provider's end-session URL (RP-initiated logout), or null when it has none (or is unreachable). */
  logoutUrl(idToken: string | undefined): Promise<URL | null>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

export class SignInError extends Error {}

export function createOidc(opts: OidcOptions): Oidc {
  const issuer = new URL(opts.issuer);
  // Plain http only to this machine (the emulator in dev and tests); settings refuse the rest too.
  const insecure = issuer.protocol === 'http:';
  if (insecure && !LOOPBACK.test(issuer.hostname)) throw new Error(`OKTA_OIDC_ISSUER: plain http to ${issuer.hostname}; use https`);
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = (): Promise<client.Configuration> => {
    discovered ??= client
      .discovery(issuer, opts.clientId, opts.clientSecret, undefined, { timeout: opts.timeoutSec ?? 10, ...(insecure ? { execute: [client.allowInsecureRequests] } : {}) })
      .catch((err: unknown) => {
        discovered = undefined;
        throw err;
      });
    return discovered;
  };

  return {
    async start() {
      const config = await configuration();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: opts.redirectUri,
        scope: 'openid profile email',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url, verifier, state, nonce };
    },

    async finish(callbackUrl, expected) {
      const config = await configuration();
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: expected.verifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims || !tokens.id_token) throw new SignInError('Okta returned no ID token');
      let login = typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined;
      let name = typeof claims.name === 'string' ? claims.name : undefined;
      if (!login) {
        // The ID token may be thin (Okta's "ID token claims: minimal"); userinfo has the profile.
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        login = typeof info.preferred_username === 'string' ? info.preferred_username : undefined;
        name ??= typeof info.name === 'string' ? info.name : undefined;
      }
      if (!login) throw new SignInError('Okta did not name the person (no preferred_username): the Okta app must grant the profile scope');
      return { subject: claims.sub, login, ...(name ? { name } : {}), idToken: tokens.id_token };
    },

    async logoutUrl(idToken) {
      // Okta requires the ID token as the hint; without one, only Gatehouse's session ends.
      if (!idToken) return null;
      const config = await configuration().catch(() => undefined);
      if (!config?.serverMetadata().end_session_endpoint) return null;
      return client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: opts.postLogoutRedirectUri });
    },
  };
}
