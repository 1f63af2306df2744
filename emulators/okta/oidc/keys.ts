import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK, type JWTPayload, type JWTVerifyResult } from 'jose';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** current signs; next is already published so cached key sets know it; retired still verifies. */
interface KeyRing {
  retired?: SigningKey;
  current: SigningKey;
  next: SigningKey;
}

async function newSigningKey(): Promise<SigningKey> {
  // An Okta kid is 43 base64url characters (a SHA-256 thumbprint).
  const kid = randomBytes(32).toString('base64url');
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/**
 * The authorization server's RS256 keys. Generated on first use, so that the many emulators tests
 * create without signing anything cost nothing. Rotation chains on the ring, so concurrent
 * rotations and signatures see one key ring at a time.
 */
export class SigningKeys {
  private ring: Promise<KeyRing> | null = null;
  private kids: { current: string | null; next: string | null; retired: string | null } = { current: null, next: null, retired: null };

  private keyRing(): Promise<KeyRing> {
    this.ring ??= Promise.all([newSigningKey(), newSigningKey()]).then(([current, next]) => this.remember({ current, next }));
    return this.ring;
  }

  private remember(ring: KeyRing): KeyRing {
    this.kids = { current: ring.current.kid, next: ring.next.kid, retired: ring.retired?.kid ?? null };
    return ring;
  }

  /** The next key becomes current and the current one is kept, retired, for one more rotation. */
  rotate(): Promise<typeof this.kids> {
    this.ring = this.keyRing().then(async (ring) => {
      const fresh = await newSigningKey();
      return this.remember({ retired: ring.current, current: ring.next, next: fresh });
    });
    return this.ring.then(() => ({ ...this.kids }));
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const ring = await this.keyRing();
    return { keys: [ring.current, ring.next, ...(ring.retired ? [ring.retired] : [])].map((key) => key.publicJwk) };
  }

  async sign(payload: JWTPayload): Promise<string> {
    const { current } = await this.keyRing();
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: current.kid }).sign(current.privateKey);
  }

  /** Verifies a token this server signed with a published key (userinfo, logout hints). */
  async verify(token: string, options: { issuer: string; audience?: string; currentDate?: Date }): Promise<JWTVerifyResult> {
    return jwtVerify(token, createLocalJWKSet(await this.jwks()), { ...options, algorithms: ['RS256'] });
  }

  /** Key ids for /_emulator/state (null until the first use generates the keys). */
  snapshot(): typeof this.kids {
    return { ...this.kids };
  }
}
