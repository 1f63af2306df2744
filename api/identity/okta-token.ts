/**
 * Verifies access tokens issued by an Okta custom authorization server (SPEC §13), with jose:
 * RS256 signature against the issuer's published keys, issuer, audience, expiry. The result says
 * who is acting: a person (the token's `uid`, Okta's user id; `sub` is the app username and may
 * differ from the login) or a client (client credentials: no `uid`, `sub` = the client id).
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/** Okta's default custom authorization server's audience. */
export const OKTA_DEFAULT_AUDIENCE = 'api://default';

export type OktaIdentity =
  | { kind: 'person'; userId: string; subject: string; clientId: string; scopes: string[] }
  | { kind: 'client'; clientId: string; scopes: string[] };

export type OktaTokenFailure =
  | 'malformed'
  | 'unsupported_alg'
  | 'unknown_key'
  | 'invalid_signature'
  | 'expired'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'invalid_claims'
  | 'client_not_allowed'
  /** The keys could not be fetched: the token may be fine (answer 503, not 401). */
  | 'jwks_unavailable';

export class OktaTokenError extends Error {
  constructor(
    readonly reason: OktaTokenFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OktaTokenError';
  }
}

export interface OktaTokenVerifierOptions {
  /** The custom authorization server, e.g. https://acme.okta.com/oauth2/default (OKTA_OIDC_ISSUER). */
  issuer: string;
  /** OKTA_OIDC_AUDIENCE; default api://default. */
  audience?: string;
  /** When set, only tokens minted for these client ids (`cid`) are accepted. */
  allowedClientIds?: readonly string[];
  /** Seconds of clock skew tolerated on exp/iat; default 5. */
  clockToleranceSec?: number;
  /** Default `<issuer>/v1/keys`, where every Okta custom authorization server publishes its keys. */
  jwksUri?: string;
  /**
   * jose's key-set cache: an unknown kid refetches the keys at most once per cooldown (default
   * 30 s); the set is refetched anyway after cacheMaxAge (10 min); each fetch times out (5 s).
   */
  jwks?: { cooldownMs?: number; cacheMaxAgeMs?: number; timeoutMs?: number };
}

export interface OktaTokenVerifier {
  /** Resolves to who the token names, or rejects with an OktaTokenError (never anything else). */
  verify(token: string): Promise<OktaIdentity>;
}

/** Larger than any Okta access token; bounds the work spent on garbage. */
const MAX_TOKEN_LENGTH = 8192;
/** Three base64url parts, the header starting `{"` (`eyJ`): cheap, no decoding. */
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Whether a bearer token is shaped like a JWT, so the auth middleware can tell it from a static API token. */
export function looksLikeJwt(token: string): boolean {
  return token.length <= MAX_TOKEN_LENGTH && JWT_SHAPE.test(token);
}

function classify(err: unknown): OktaTokenError {
  if (err instanceof OktaTokenError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  if (err instanceof errors.JWTExpired) return new OktaTokenError('expired', 'the token has expired', { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new OktaTokenError('wrong_issuer', `the token was not issued by the configured issuer (${detail})`, { cause: err });
    if (err.claim === 'aud') return new OktaTokenError('wrong_audience', `the token is not meant for this API (${detail})`, { cause: err });
    return new OktaTokenError('invalid_claims', detail, { cause: err });
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return new OktaTokenError('unsupported_alg', 'only RS256 tokens are accepted', { cause: err });
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new OktaTokenError('unknown_key', 'the token was not signed by a key the issuer publishes', { cause: err });
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return new OktaTokenError('invalid_signature', 'the token signature is invalid', { cause: err });
  return new OktaTokenError('malformed', `the token is not a valid JWT (${detail})`, { cause: err });
}

const stringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';

function identityOf(claims: JWTPayload, allowed: ReadonlySet<string> | null): OktaIdentity {
  const { cid, scp, sub, uid } = claims;
  if (!nonEmpty(cid) || !nonEmpty(sub) || !stringList(scp)) throw new OktaTokenError('invalid_claims', 'an Okta access token carries cid, sub and scp');
  if (allowed && !allowed.has(cid)) throw new OktaTokenError('client_not_allowed', `tokens minted for client ${cid} are not accepted`);
  if (uid !== undefined) {
    if (!nonEmpty(uid)) throw new OktaTokenError('invalid_claims', 'uid must be an Okta user id');
    return { kind: 'person', userId: uid, subject: sub, clientId: cid, scopes: scp };
  }
  // Without uid the token must be a client-credentials one; anything else is no one we know.
  if (sub !== cid) throw new OktaTokenError('invalid_claims', 'a token without uid must be a client-credentials token (sub = cid)');
  return { kind: 'client', clientId: cid, scopes: scp };
}

export function createOktaTokenVerifier(options: OktaTokenVerifierOptions): OktaTokenVerifier {
  const issuer = options.issuer.replace(/\/+$/, '');
  const remote = createRemoteJWKSet(new URL(options.jwksUri ?? `${issuer}/v1/keys`), {
    cooldownDuration: options.jwks?.cooldownMs,
    cacheMaxAge: options.jwks?.cacheMaxAgeMs,
    timeoutDuration: options.jwks?.timeoutMs,
  });
  // A key the issuer does not publish is the token's fault; failing to fetch the keys is not.
  const keys: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
      throw new OktaTokenError('jwks_unavailable', `the issuer's signing keys could not be fetched (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
  };
  const allowed = options.allowedClientIds ? new Set(options.allowedClientIds) : null;
  const verifyOptions = {
    issuer,
    audience: options.audience ?? OKTA_DEFAULT_AUDIENCE,
    algorithms: ['RS256'],
    clockTolerance: options.clockToleranceSec ?? 5,
    // cid and scp are checked after the audience, so an ID token is refused as one (wrong_audience).
    requiredClaims: ['exp', 'iat', 'sub'],
  };

  return {
    async verify(token) {
      if (typeof token !== 'string' || !looksLikeJwt(token)) throw new OktaTokenError('malformed', 'the token is not a compact JWT');
      try {
        const { payload } = await jwtVerify(token, keys, verifyOptions);
        return identityOf(payload, allowed);
      } catch (err) {
        throw classify(err);
      }
    },
  };
}
