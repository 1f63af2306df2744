import { createServer } from 'node:net';
import { base64url, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import request from 'supertest';
import { createOktaTokenVerifier, looksLikeJwt, OktaTokenError, type OktaTokenFailure, type OktaTokenVerifierOptions } from '../../api/identity/okta-token';
import { loadDirectory } from '../../emulators';
import { control, discover, tokensFor } from '../helpers/oidc';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { waitFor } from '../helpers/wait';

/** The reason a verification is refused with (fails the test if it succeeds or throws anything unclassified). */
async function refusal(promise: Promise<unknown>): Promise<OktaTokenFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OktaTokenError) return err.reason;
    throw new Error(`expected an OktaTokenError, got ${String(err)}`);
  }
  throw new Error('expected the token to be refused, it was accepted');
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Okta access-token verifier', () => {
  let running: RunningEmulators;
  let other: RunningEmulators;
  let base: string;
  let issuer: string;
  let devId: string;
  let config: oidc.Configuration;
  const verifier = (options: Partial<OktaTokenVerifierOptions> = {}) => createOktaTokenVerifier({ issuer, ...options });

  beforeAll(async () => {
    [running, other] = await Promise.all([startTestEmulators({ slack: false, jira: false }), startTestEmulators({ slack: false, jira: false })]);
    base = running.okta.url;
    issuer = `${base}/oauth2/default`;
    devId = running.okta.emulator.oidc.devClient.clientId;
    config = await discover(issuer, devId, running.okta.emulator.oidc.devClient.clientSecret!);
  });
  afterAll(() => Promise.all([running.close(), other.close()]));

  it('accepts each demo user’s token as that person: uid is the Okta id, sub the login', async () => {
    const verify = verifier();
    for (const user of loadDirectory().users) {
      const tokens = await tokensFor(config, user.login, { scope: 'openid gatehouse:requests:create gatehouse:requests:read' });
      expect(await verify.verify(tokens.access_token)).toEqual({ kind: 'person', userId: user.id, subject: user.login, clientId: devId, scopes: ['openid', 'gatehouse:requests:create', 'gatehouse:requests:read'] });
    }
  });

  it('accepts a client-credentials token as a client, and applies the client allow-list', async () => {
    const { access_token: token } = await oidc.clientCredentialsGrant(config, { scope: 'gatehouse:requests:read gatehouse:audit:read' });
    expect(await verifier().verify(token)).toEqual({ kind: 'client', clientId: devId, scopes: ['gatehouse:requests:read', 'gatehouse:audit:read'] });
    expect(await verifier({ allowedClientIds: [devId] }).verify(token)).toMatchObject({ kind: 'client' });
    expect(await refusal(verifier({ allowedClientIds: ['0oa_portal_only'] }).verify(token))).toBe('client_not_allowed');
  });

  it('refuses a tampered signature or payload, an ID token, another audience and garbage', async () => {
    const verify = verifier();
    const tokens = await tokensFor(config, 'alice@example.com', { scope: 'openid' });
    const [header, payload, signature] = tokens.access_token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    expect(await refusal(verify.verify(`${header}.${payload}.${flipped}`))).toBe('invalid_signature');
    const asBob = base64url.encode(JSON.stringify({ ...decodeJwt(tokens.access_token), uid: '00u_bob', sub: 'bob@example.com' }));
    expect(await refusal(verify.verify(`${header}.${asBob}.${signature}`))).toBe('invalid_signature');
    // Same issuer, same keys, but meant for the client, not the API.
    expect(await refusal(verify.verify(tokens.id_token!))).toBe('wrong_audience');
    expect(await refusal(verifier({ audience: 'api://payroll' }).verify(tokens.access_token))).toBe('wrong_audience');
    for (const garbage of ['', 'not a jwt', 'a.b.c', 'eyJ.eyJ', `${header}.${payload}`, `${tokens.access_token}.extra`, `eyJ${'A'.repeat(9000)}.eyJ.x`, 'eyJhbGc.eyJzdWIiOiJ4In0.c2ln']) {
      expect(await refusal(verify.verify(garbage))).toBe('malformed');
    }
  });

  it('refuses alg none and an HS256 token keyed with the public key', async () => {
    const verify = verifier();
    const { access_token: token } = await oidc.clientCredentialsGrant(config, { scope: 'gatehouse:admin' });
    const claims = decodeJwt(token);
    const kid = decodeProtectedHeader(token).kid!;
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', kid }))}.${base64url.encode(JSON.stringify(claims))}.`;
    expect(looksLikeJwt(none)).toBe(true);
    expect(await refusal(verify.verify(none))).toBe('unsupported_alg');
    const jwks = (await (await fetch(`${issuer}/v1/keys`)).json()) as { keys: { kid: string }[] };
    const publicKey = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(publicKey);
    expect(await refusal(verify.verify(hs256))).toBe('unsupported_alg');
  });

  it('refuses an expired token', async () => {
    const registered = await control(base, '/oidc/clients', { client_id: 'short_lived', grant_types: ['client_credentials'], access_token_lifetime_seconds: 1 });
    const { client_secret: secret } = (await registered.json()) as { client_secret: string };
    const shortLived = await discover(issuer, 'short_lived', secret);
    const { access_token: token, expires_in: expiresIn } = await oidc.clientCredentialsGrant(shortLived, { scope: 'gatehouse:requests:read' });
    expect(expiresIn).toBe(1);
    const strict = verifier({ clockToleranceSec: 0 });
    const reason = await waitFor(() => strict.verify(token).then(() => undefined, (err: OktaTokenError) => err.reason), 'the token to expire', 5000);
    expect(reason).toBe('expired');
  });

  it('refuses a token from another issuer: same keys under another name, or another org', async () => {
    // The emulator names itself after the Host it was reached by: same keys, another issuer.
    const res = await request(base)
      .post('/oauth2/default/v1/token')
      .set('Host', 'acme-other.okta.example')
      .auth(devId, running.okta.emulator.oidc.devClient.clientSecret!)
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'gatehouse:requests:read' })
      .expect(200);
    expect(decodeJwt(res.body.access_token).iss).toBe('http://acme-other.okta.example/oauth2/default');
    expect(await refusal(verifier().verify(res.body.access_token))).toBe('wrong_issuer');

    const otherConfig = await discover(`${other.okta.url}/oauth2/default`, devId, other.okta.emulator.oidc.devClient.clientSecret!);
    const { access_token: foreign } = await oidc.clientCredentialsGrant(otherConfig, { scope: 'gatehouse:requests:read' });
    expect(await refusal(verifier({ jwks: { cooldownMs: 0 } }).verify(foreign))).toBe('unknown_key');
  });

  it('says jwks_unavailable, not a token problem, when the keys cannot be fetched', async () => {
    const { access_token: token } = await oidc.clientCredentialsGrant(config, { scope: 'gatehouse:requests:read' });
    const unreachable = createOktaTokenVerifier({ issuer, jwksUri: `http://127.0.0.1:${await closedPort()}/oauth2/default/v1/keys` });
    expect(await refusal(unreachable.verify(token))).toBe('jwks_unavailable');
    expect((await control(base, '/faults', { outage: { seconds: 30, route: '/oauth2/default/v1/keys' } })).status).toBe(200);
    try {
      expect(await refusal(verifier().verify(token))).toBe('jwks_unavailable');
    } finally {
      await fetch(`${base}/_emulator/faults`, { method: 'DELETE' });
    }
    expect(await verifier().verify(token)).toMatchObject({ kind: 'client' });
  });

  it('follows key rotation: the next key is already cached, a retired key verifies while published', async () => {
    const keyFetches = () => running.okta.emulator.requests.filter((r) => r.path === '/oauth2/default/v1/keys').length;
    const verify = verifier({ jwks: { cooldownMs: 0 } });
    const first = (await oidc.clientCredentialsGrant(config, { scope: 'gatehouse:requests:read' })).access_token;
    await verify.verify(first);
    const fetchedOnce = keyFetches();

    await control(base, '/oidc/rotate');
    const second = (await oidc.clientCredentialsGrant(config, { scope: 'gatehouse:requests:read' })).access_token;
    expect(decodeProtectedHeader(second).kid).not.toBe(decodeProtectedHeader(first).kid);
    expect(await verify.verify(second)).toMatchObject({ kind: 'client' });
    expect(await verify.verify(first)).toMatchObject({ kind: 'client' });
    // The key that became current was published before the rotation: no refetch was needed.
    expect(keyFetches()).toBe(fetchedOnce);

    await control(base, '/oidc/rotate');
    const third = (await oidc.clientCredentialsGrant(config, { scope: 'gatehouse:requests:read' })).access_token;
    expect(await verify.verify(third)).toMatchObject({ kind: 'client' });
    expect(await verify.verify(second)).toMatchObject({ kind: 'client' });
    // Two rotations later the first key is no longer published.
    expect(await refusal(verify.verify(first))).toBe('unknown_key');
  });

  it('tells JWTs from static API tokens', async () => {
    const { access_token: token } = await oidc.clientCredentialsGrant(config, { scope: 'gatehouse:requests:read' });
    expect(looksLikeJwt(token)).toBe(true);
    for (const staticToken of ['dev-0123456789abcdef0123', 'portal.token.with.dots', 'eyJ-but-no-dots-at-all', '']) expect(looksLikeJwt(staticToken)).toBe(false);
  });
});
