/**
 * The first thing every /v1 body and query string meets after parsing: text that is not
 * well-formed Unicode, or that holds a NUL, is refused with 400 before any route sees it. A lone
 * surrogate could otherwise travel into a workflow Update and, through an error message, stop the
 * worker (workflows/shared/text.ts); a NUL makes Temporal's visibility store and Slack misbehave.
 */
import type { RequestHandler } from 'express';
import { HttpError } from './errors';

/** The path (a.b.0.c) of the first bad string inside `value`, or null. */
export function badTextPath(value: unknown, path: string[] = []): string | null {
  if (typeof value === 'string') return value.isWellFormed() && !value.includes('\u0000') ? null : path.join('.') || '(value)';
  if (value === null || typeof value !== 'object' || path.length > 32) return null;
  for (const [key, inner] of Object.entries(value)) {
    if (!key.isWellFormed() || key.includes('\u0000')) return [...path, '(key)'].join('.');
    const found = badTextPath(inner, [...path, key]);
    if (found) return found;
  }
  return null;
}

export const refuseBadText: RequestHandler = (req, _res, next) => {
  for (const [where, value] of [['body', req.body], ['query', req.query]] as const) {
    const path = badTextPath(value);
    if (path) {
      next(new HttpError(400, 'validation_failed', `the ${where} holds text that is not well-formed Unicode or contains NUL`, [{ path: `${where}.${path}`, message: 'lone surrogates and NUL are not accepted' }]));
      return;
    }
  }
  next();
};
