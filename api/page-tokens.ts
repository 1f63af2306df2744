/**
 * List page tokens: Temporal's own, wrapped with an HMAC bound to the query, so a forged or edited
 * token is refused here (400) instead of reaching the server, which may answer it with a retried
 * UNKNOWN error rather than INVALID_ARGUMENT. Replicas sharing the key accept each other's tokens.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors';

export function createPageTokens(key: Buffer) {
  const sign = (query: string, raw: Buffer) => createHmac('sha256', key).update(query).update('\n').update(raw).digest().subarray(0, 16);
  return {
    encode: (query: string, raw: Buffer): string => Buffer.concat([sign(query, raw), raw]).toString('base64url'),
    decode(query: string, token: string): Buffer {
      const bytes = Buffer.from(token, 'base64url');
      const raw = bytes.subarray(16);
      if (bytes.length <= 16 || !timingSafeEqual(bytes.subarray(0, 16), sign(query, raw))) {
        throw new HttpError(400, 'validation_failed', 'invalid pageToken', [{ path: 'pageToken', message: 'not a page token of this listing' }]);
      }
      return raw;
    },
  };
}
