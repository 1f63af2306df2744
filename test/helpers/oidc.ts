import * as oidc from 'openid-client';

/** A loopback redirect URI the dev client accepts; the tests read the redirect, nothing listens there. */
export const CALLBACK = 'http://127.0.0.1:9/callback';

/** openid-client against an http:// issuer (the emulator); `auth` defaults to client_secret_post with `secret`. */
export function discover(issuer: string, clientId: string, secret?: string, auth?: oidc.ClientAuth): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), clientId, secret, auth, { execute: [oidc.allowInsecureRequests] });
}

export interface SignInForm {
  action: URL;
  hidden: Record<string, string>;
  options: { value: string; label: string; selected: boolean }[];
  /** The text of the <label> bound to the select. */
  selectLabel: string | undefined;
  submit: string | undefined;
}

const unescape = (text: string) => text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));

/** Reads the emulator's sign-in form the way a browser would see it (our own markup, so a regex does). */
export function parseSignInForm(html: string, pageUrl: URL): SignInForm {
  const form = /<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/.exec(html);
  if (!form) throw new Error(`no sign-in form in the page:\n${html}`);
  const body = form[2] ?? '';
  const selectId = /<select id="([^"]+)" name="login"/.exec(body)?.[1];
  return {
    action: new URL(unescape(form[1] ?? ''), pageUrl),
    hidden: Object.fromEntries([...body.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map((m) => [unescape(m[1] ?? ''), unescape(m[2] ?? '')])),
    options: [...body.matchAll(/<option value="([^"]*)"( selected)?>([^<]*)<\/option>/g)].map((m) => ({ value: unescape(m[1] ?? ''), selected: !!m[2], label: unescape(m[3] ?? '') })),
    selectLabel: selectId ? unescape(new RegExp(`<label for="${selectId}">([^<]*)</label>`).exec(body)?.[1] ?? '') || undefined : undefined,
    submit: /<button type="submit"[^>]*>([^<]*)<\/button>/.exec(body)?.[1],
  };
}

export interface SignInResult {
  /** Where the provider sent the browser back: redirect_uri?code=…&state=… (or ?error=…). */
  callback: URL;
  verifier: string;
  state: string;
  nonce: string;
}

/** GET authorize → the sign-in page → choose `login` and press "Sign in" → the redirect back. */
export async function signIn(config: oidc.Configuration, login: string, params: { scope?: string; redirectUri?: string } = {}): Promise<SignInResult> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: params.redirectUri ?? CALLBACK,
    scope: params.scope ?? 'openid profile email offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const page = await fetch(url, { redirect: 'manual' });
  if (page.status !== 200) throw new Error(`authorize answered ${page.status}: ${page.headers.get('location') ?? (await page.text())}`);
  const form = parseSignInForm(await page.text(), url);
  const posted = await fetch(form.action, { method: 'POST', body: new URLSearchParams({ ...form.hidden, login }), redirect: 'manual' });
  const location = posted.headers.get('location');
  if (posted.status !== 302 || !location) throw new Error(`sign-in answered ${posted.status}: ${await posted.text()}`);
  return { callback: new URL(location), verifier, state, nonce };
}

/** The whole authorization-code + PKCE flow for `login`, ending with the token response. */
export async function tokensFor(config: oidc.Configuration, login: string, params: { scope?: string; redirectUri?: string } = {}) {
  const { callback, verifier, state, nonce } = await signIn(config, login, params);
  return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
}

/** POSTs a JSON body to the emulator's control surface. */
export async function control(baseUrl: string, path: string, body?: unknown): Promise<Response> {
  if (body === undefined) return fetch(`${baseUrl}/_emulator${path}`, { method: 'POST' });
  return fetch(`${baseUrl}/_emulator${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
