import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './errors';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Bearer-token auth for /v1 (SPEC §6). Tokens map to a caller name, kept in `res.locals.caller`
 * for logs and idempotency. Every known token is compared, each in constant time over equal-length
 * digests, so the answer time says nothing about how close a guess was.
 */
export function bearerAuth(tokens: Map<string, string>): RequestHandler {
  const known = [...tokens.entries()].map(([token, name]) => ({ hash: digest(token), name }));
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    let caller: string | undefined;
    if (match) {
      const presented = digest(match[1]!);
      for (const k of known) if (timingSafeEqual(k.hash, presented)) caller ??= k.name;
    }
    if (!caller) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="gatehouse"');
      next(new HttpError(401, 'unauthorized', match ? 'unknown bearer token' : 'missing bearer token (Authorization: Bearer <token>)'));
      return;
    }
    res.locals.caller = caller;
    next();
  };
}
