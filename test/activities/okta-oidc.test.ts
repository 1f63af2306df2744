import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as oidc from 'openid-client';
import request from 'supertest';
import { CALLBACK, control, discover, parseSignInForm, signIn, tokensFor } from '../helpers/oidc';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';

/** The OAuth error a promise rejects with, as openid-client reports it. */
async function oauthError(promise: Promise<unknown>): Promise<{ error: string; status: number }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError) return { error: err.error, status: err.status };
    throw err;
  }
  throw new Error('expected an OAuth error, the call succeeded');
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields);

describe('Okta emulator as an OpenID provider', () => {
  let running: RunningEmulators;
  let base: string;
  let issuer: string;
  let devId: string;
  let devSecret: string;
  let config: oidc.Configuration;

  beforeAll(async () => {
    running = await startTestEmulators({ slack: false, jira: false });
    base = running.okta.url;
    issuer = `${base}/oauth2/default`;
    devId = running.okta.emulator.oidc.devClient.clientId;
    devSecret = running.okta.emulator.oidc.devClient.clientSecret!;
    config = await discover(issuer, devId, devSecret);
  });
  afterAll(() => running.close());

  it('publishes discovery at both well-known paths with the exact issuer; an unknown authorization server is 404 E0000007', async () => {
    for (const path of ['openid-configuration', 'oauth-authorization-server']) {
      const res = await fetch(`${issuer}/.well-known/${path}`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as Record<string, unknown>;
      expect(doc).toMatchObject({
        issuer,
        authorization_endpoint: `${issuer}/v1/authorize`,
        token_endpoint: `${issuer}/v1/token`,
        jwks_uri: `${issuer}/v1/keys`,
        userinfo_endpoint: `${issuer}/v1/userinfo`,
        code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    expect(config.serverMetadata().issuer).toBe(issuer);
    for (const path of ['/oauth2/aus_unknown/.well-known/openid-configuration', '/oauth2/aus_unknown/v1/keys']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ errorCode: 'E0000007' });
    }
  });

  it('shows a sign-in page with a labelled select of the ACTIVE users, honours login_hint and refuses an inactive login', async () => {
    const suspend = await fetch(`${base}/api/v1/users/00u_mallory/lifecycle/suspend`, { method: 'POST', headers: { Authorization: 'SSWS test' } });
    expect(suspend.status).toBe(200);
    try {
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid', state: 's1', login_hint: 'carol@example.com' });
      const page = await fetch(url, { redirect: 'manual' });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const signInForm = parseSignInForm(await page.text(), url);
      expect(signInForm.selectLabel).toBe('Person');
      expect(signInForm.submit).toBe('Sign in');
      expect(signInForm.options.map((o) => o.value)).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'erin@example.com', 'frank@example.com']);
      expect(signInForm.options.find((o) => o.value === 'alice@example.com')?.label).toBe('Alice Archer (alice@example.com)');
      expect(signInForm.options.filter((o) => o.selected).map((o) => o.value)).toEqual(['carol@example.com']);
      expect(signInForm.hidden).toMatchObject({ client_id: devId, redirect_uri: CALLBACK, state: 's1', response_type: 'code' });

      const refused = await fetch(signInForm.action, { method: 'POST', body: form({ ...signInForm.hidden, login: 'mallory@example.com' }), redirect: 'manual' });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('mallory@example.com is not an active user');
    } finally {
      await fetch(`${base}/api/v1/users/00u_mallory/lifecycle/unsuspend`, { method: 'POST', headers: { Authorization: 'SSWS test' } });
    }
  });

  it('runs the authorization-code flow with PKCE: ID token, access token and userinfo name the chosen person', async () => {
    const tokens = await tokensFor(config, 'alice@example.com');
    const id = tokens.claims()!;
    expect(id).toMatchObject({ iss: issuer, aud: devId, sub: '00u_alice', name: 'Alice Archer', preferred_username: 'alice@example.com', email: 'alice@example.com', amr: ['pwd'], ver: 1 });
    expect(typeof id.auth_time).toBe('number');
    expect(typeof id.at_hash).toBe('string');
    expect(String(id.jti)).toMatch(/^ID\./);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.scope).toBe('openid profile email offline_access');
    expect(tokens.refresh_token).toBeTruthy();

    const access = decodeJwt(tokens.access_token);
    expect(access).toMatchObject({ ver: 1, iss: issuer, aud: 'api://default', cid: devId, uid: '00u_alice', sub: 'alice@example.com', scp: ['openid', 'profile', 'email', 'offline_access'] });
    expect(String(access.jti)).toMatch(/^AT\./);
    expect(access.exp! - access.iat!).toBe(3600);
    const header = decodeProtectedHeader(tokens.access_token);
    expect(header.alg).toBe('RS256');
    const jwks = (await (await fetch(`${issuer}/v1/keys`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);

    const info = await oidc.fetchUserInfo(config, tokens.access_token, '00u_alice');
    expect(info).toMatchObject({ sub: '00u_alice', preferred_username: 'alice@example.com', given_name: 'Alice', family_name: 'Archer', email: 'alice@example.com', email_verified: true });
  });

  it('also authenticates with client_secret_basic', async () => {
    const basic = await discover(issuer, devId, undefined, oidc.ClientSecretBasic(devSecret));
    const tokens = await tokensFor(basic, 'bob@example.com', { scope: 'openid' });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ uid: '00u_bob', sub: 'bob@example.com' });
    expect(tokens.refresh_token).toBeUndefined();
  });

  it('refreshes only with offline_access, may narrow but not widen the scopes', async () => {
    const tokens = await tokensFor(config, 'carol@example.com', { scope: 'openid profile offline_access gatehouse:requests:read' });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'openid gatehouse:requests:read' });
    expect(refreshed.scope).toBe('openid gatehouse:requests:read');
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ uid: '00u_carol', scp: ['openid', 'gatehouse:requests:read'] });
    expect(decodeJwt(refreshed.access_token).jti).not.toBe(decodeJwt(tokens.access_token).jti);
    expect(await oauthError(oidc.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'openid gatehouse:admin' }))).toEqual({ error: 'invalid_scope', status: 400 });
    expect(await oauthError(oidc.refreshTokenGrant(config, 'not-a-refresh-token'))).toEqual({ error: 'invalid_grant', status: 400 });
  });

  it('issues client-credentials tokens for custom scopes only, with sub = cid and no uid', async () => {
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'gatehouse:requests:read gatehouse:audit:read' });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ iss: issuer, aud: 'api://default', cid: devId, sub: devId, scp: ['gatehouse:requests:read', 'gatehouse:audit:read'] });
    expect(claims.uid).toBeUndefined();
    expect(tokens.id_token).toBeUndefined();
    expect(tokens.refresh_token).toBeUndefined();
    expect(await oauthError(oidc.clientCredentialsGrant(config, { scope: 'openid gatehouse:requests:read' }))).toEqual({ error: 'invalid_scope', status: 400 });
    expect(await oauthError(oidc.clientCredentialsGrant(config, { scope: 'gatehouse:requests:nothing' }))).toEqual({ error: 'invalid_scope', status: 400 });
    expect(await oauthError(oidc.clientCredentialsGrant(config))).toEqual({ error: 'invalid_scope', status: 400 });
    // A client credentials token is no person: userinfo refuses it.
    const info = await fetch(`${issuer}/v1/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(403);
    expect(info.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('refuses PKCE failures, a reused code and a redirect_uri mismatch with invalid_grant', async () => {
    const wrongVerifier = await signIn(config, 'alice@example.com');
    expect(
      await oauthError(oidc.authorizationCodeGrant(config, wrongVerifier.callback, { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: wrongVerifier.state, expectedNonce: wrongVerifier.nonce })),
    ).toEqual({ error: 'invalid_grant', status: 400 });

    const once = await signIn(config, 'alice@example.com');
    const checks = { pkceCodeVerifier: once.verifier, expectedState: once.state, expectedNonce: once.nonce };
    await oidc.authorizationCodeGrant(config, once.callback, checks);
    expect(await oauthError(oidc.authorizationCodeGrant(config, once.callback, checks))).toEqual({ error: 'invalid_grant', status: 400 });

    const other = await signIn(config, 'alice@example.com');
    const code = other.callback.searchParams.get('code')!;
    const res = await fetch(`${issuer}/v1/token`, {
      method: 'POST',
      body: form({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:9/elsewhere', code_verifier: other.verifier, client_id: devId, client_secret: devSecret }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining('redirect_uri') });
  });

  it('authenticates clients: unknown or wrong secret is 401 invalid_client, Basic and a body secret together is invalid_request', async () => {
    const unknown = await discover(issuer, '0oa_nobody', 'whatever-secret-value');
    expect(await oauthError(oidc.clientCredentialsGrant(unknown, { scope: 'gatehouse:requests:read' }))).toEqual({ error: 'invalid_client', status: 401 });
    const wrongSecret = await discover(issuer, devId, `${devSecret}x`);
    expect(await oauthError(oidc.clientCredentialsGrant(wrongSecret, { scope: 'gatehouse:requests:read' }))).toEqual({ error: 'invalid_client', status: 401 });

    const basic = `Basic ${Buffer.from(`${devId}:${devSecret}`).toString('base64')}`;
    const both = await fetch(`${issuer}/v1/token`, { method: 'POST', headers: { Authorization: basic }, body: form({ grant_type: 'client_credentials', scope: 'gatehouse:requests:read', client_secret: devSecret }) });
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ error: 'invalid_request' });
    const unsupported = await fetch(`${issuer}/v1/token`, { method: 'POST', headers: { Authorization: basic }, body: form({ grant_type: 'password' }) });
    expect(unsupported.status).toBe(400);
    expect(await unsupported.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('registers clients: a public client must use PKCE; a fixed redirect list and missing grants are enforced', async () => {
    const registered = await control(base, '/oidc/clients', { client_id: 'pub_spa', token_endpoint_auth_method: 'none' });
    expect(registered.status).toBe(201);
    expect(await registered.json()).toMatchObject({ client_id: 'pub_spa', token_endpoint_auth_method: 'none' });
    expect((await control(base, '/oidc/clients', { client_id: 'pub_spa', token_endpoint_auth_method: 'none' })).status).toBe(409);
    expect((await control(base, '/oidc/clients', { token_endpoint_auth_method: 'none', grant_types: ['client_credentials'] })).status).toBe(400);

    const pub = await discover(issuer, 'pub_spa', undefined, oidc.None());
    const tokens = await tokensFor(pub, 'dave@example.com', { scope: 'openid' });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ cid: 'pub_spa', uid: '00u_dave' });
    const withoutPkce = await fetch(oidc.buildAuthorizationUrl(pub, { redirect_uri: CALLBACK, scope: 'openid', state: 'st' }), { redirect: 'manual' });
    expect(withoutPkce.status).toBe(302);
    const denied = new URL(withoutPkce.headers.get('location')!);
    expect(`${denied.origin}${denied.pathname}`).toBe(CALLBACK);
    expect(Object.fromEntries(denied.searchParams)).toMatchObject({ error: 'invalid_request', state: 'st' });

    const fixed = (await (await control(base, '/oidc/clients', { redirect_uris: ['http://127.0.0.1:9/only-here'], grant_types: ['authorization_code'] })).json()) as { client_id: string; client_secret: string };
    const fixedConfig = await discover(issuer, fixed.client_id, fixed.client_secret);
    const elsewhere = await fetch(oidc.buildAuthorizationUrl(fixedConfig, { redirect_uri: CALLBACK, scope: 'openid', state: 'st' }), { redirect: 'manual' });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.get('location')).toBeNull();
    const fixedTokens = await tokensFor(fixedConfig, 'erin@example.com', { scope: 'openid offline_access', redirectUri: 'http://127.0.0.1:9/only-here' });
    expect(fixedTokens.refresh_token).toBeUndefined();
    expect(await oauthError(oidc.clientCredentialsGrant(fixedConfig, { scope: 'gatehouse:requests:read' }))).toEqual({ error: 'unauthorized_client', status: 400 });
  });

  it('answers authorize errors as Okta: an error page for an unknown client, a redirect with state for the rest', async () => {
    const unknownClient = await fetch(`${issuer}/v1/authorize?${form({ client_id: '0oa_nobody', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid', state: 'x' })}`, { redirect: 'manual' });
    expect(unknownClient.status).toBe(400);
    expect(unknownClient.headers.get('location')).toBeNull();
    expect(await unknownClient.text()).toContain('invalid_client');

    const cases: [Record<string, string>, string][] = [
      [{ scope: 'profile', state: 'x' }, 'invalid_scope'],
      [{ scope: 'openid unheard-of', state: 'x' }, 'invalid_scope'],
      [{ scope: 'openid', state: 'x', response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'openid', state: 'x', code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
      [{ scope: 'openid', state: 'x', prompt: 'none' }, 'login_required'],
    ];
    for (const [params, error] of cases) {
      const res = await fetch(`${issuer}/v1/authorize?${form({ client_id: devId, redirect_uri: CALLBACK, response_type: 'code', ...params })}`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(Object.fromEntries(new URL(res.headers.get('location')!).searchParams)).toMatchObject({ error, state: 'x', error_description: expect.any(String) });
    }
    const noState = await fetch(`${issuer}/v1/authorize?${form({ client_id: devId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid' })}`, { redirect: 'manual' });
    expect(new URL(noState.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses userinfo without a valid access token with 401 and WWW-Authenticate', async () => {
    const tokens = await tokensFor(config, 'frank@example.com', { scope: 'openid' });
    const tampered = `${tokens.access_token.slice(0, -4)}AAAA`;
    for (const headers of [{}, { Authorization: `Bearer ${tampered}` }, { Authorization: `Bearer ${tokens.id_token}` }] as Record<string, string>[]) {
      const res = await fetch(`${issuer}/v1/userinfo`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    }
    const post = await fetch(`${issuer}/v1/userinfo`, { method: 'POST', headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(await post.json()).toEqual({ sub: '00u_frank' });
  });

  it('publishes two RS256 keys and rotates to the already-published next key; state shows key ids and no secrets', async () => {
    const keysRes = await fetch(`${issuer}/v1/keys`);
    expect(keysRes.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const before = ((await keysRes.json()) as { keys: Record<string, string>[] }).keys;
    expect(before).toHaveLength(2);
    for (const key of before) expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String), n: expect.any(String), e: 'AQAB' });
    expect(before.some((key) => 'd' in key)).toBe(false);

    const rotated = (await (await control(base, '/oidc/rotate')).json()) as { current: string; next: string; retired: string };
    expect(rotated).toEqual({ retired: before[0]!.kid, current: before[1]!.kid, next: expect.any(String) });
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'gatehouse:admin' });
    expect(decodeProtectedHeader(tokens.access_token).kid).toBe(before[1]!.kid);
    const after = ((await (await fetch(`${issuer}/v1/keys`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(after).toEqual([rotated.current, rotated.next, rotated.retired]);

    const state = (await (await fetch(`${base}/_emulator/state`)).json()) as { oidc: { clients: Record<string, unknown>[]; signingKeys: unknown } };
    expect(state.oidc.signingKeys).toEqual(rotated);
    expect(state.oidc.clients.map((c) => c.client_id)).toContain(devId);
    expect(JSON.stringify(state)).not.toContain(devSecret);
  });

  it('reset forgets codes and refresh tokens but keeps the signing keys', async () => {
    const tokens = await tokensFor(config, 'alice@example.com');
    const pending = await signIn(config, 'bob@example.com');
    const kidsBefore = ((await (await fetch(`${issuer}/v1/keys`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect((await control(base, '/reset')).status).toBe(204);
    await control(base, '/seed');
    expect(await oauthError(oidc.refreshTokenGrant(config, tokens.refresh_token!))).toEqual({ error: 'invalid_grant', status: 400 });
    expect(
      await oauthError(oidc.authorizationCodeGrant(config, pending.callback, { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce })),
    ).toEqual({ error: 'invalid_grant', status: 400 });
    const kidsAfter = ((await (await fetch(`${issuer}/v1/keys`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(kidsAfter).toEqual(kidsBefore);
    expect((await oidc.fetchUserInfo(config, tokens.access_token, '00u_alice')).sub).toBe('00u_alice');
  });

  it('signs out through the end-session endpoint back to a loopback URI with the state', async () => {
    const tokens = await tokensFor(config, 'alice@example.com', { scope: 'openid' });
    const url = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/signed-out', state: 'bye' });
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://127.0.0.1:9/signed-out?state=bye');
    const forged = await request(base).get('/oauth2/default/v1/logout').query({ id_token_hint: 'eyJhbGciOiJub25lIn0.e30.', post_logout_redirect_uri: 'https://evil.example/' });
    expect(forged.status).toBe(400);
    expect(forged.headers.location).toBeUndefined();
  });
});
