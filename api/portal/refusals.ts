/**
 * Refusals and failures as the portal shows them: the same mapping as the HTTP API
 * (api/errors.ts toHttpError: the validators' own reasons), worded for a person. A page that
 * fails outright gets an HTML page with the status; the live lists get JSON.
 */
import type { ErrorRequestHandler } from 'express';
import { HttpError, toHttpError } from '../errors';
import { personOf, ForgedFormError } from './guard';
import { html } from './html';
import { page } from './layout';

/** A message as a sentence: a capital (unless it starts with a login) and a full stop. */
export const sentence = (text: string): string => {
  const trimmed = text.trim();
  const capital = /^\S*@/.test(trimmed) ? trimmed : `${trimmed.charAt(0).toUpperCase()}${trimmed.slice(1)}`;
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
};

export interface Refusal {
  status: number;
  message: string;
}

/** "You can't approve this request: bob@example.com has already decided on this request." */
export function refusalOf(err: unknown, what: string): Refusal | null {
  const mapped = toHttpError(err);
  if (!mapped) return null;
  if (mapped.status < 500) return { status: mapped.status, message: `You can’t ${what}: ${sentence(mapped.message)}` };
  return { status: mapped.status, message: `Gatehouse could not ${what} just now: ${sentence(mapped.message)} Please try again in a moment.` };
}

const TITLES: Record<number, string> = {
  400: 'This form could not be read',
  401: 'Please sign in',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Not possible now',
  422: 'Beyond the policy',
  503: 'Try again shortly',
};

/** The portal's error middleware: HTML pages for browsers, JSON for the live lists. */
export function portalErrors(logger: { error: (obj: object, msg: string) => void }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const mapped = toHttpError(err);
    const requestId = String(req.id ?? '');
    if (!mapped) logger.error({ err, requestId }, 'portal: unhandled error');
    const e = mapped ?? new HttpError(500, 'internal', `Something went wrong on Gatehouse’s side (request id ${requestId}).`);
    if (e.retryAfterS !== undefined) res.setHeader('Retry-After', String(e.retryAfterS));
    if (req.path.endsWith('/live')) {
      res.status(e.status).json({ error: { code: e.code, message: e.message } });
      return;
    }
    const person = personOf(res);
    const title = err instanceof ForgedFormError ? 'Form refused' : (TITLES[e.status] ?? 'Something went wrong');
    const next = e.status === 401 ? html`<p><a class="button primary" href="/auth/login">Sign in</a></p>` : html`<p><a href="/">Back to the start page</a></p>`;
    res.status(e.status).type('html').send(page({ title, person, error: e.code === 'validation_failed' && e.details.length ? `${sentence(e.message)} ${detailText(e.details)}` : sentence(e.message) }, next));
  };
}

function detailText(details: unknown[]): string {
  return details
    .map((d) => (d && typeof d === 'object' && 'path' in d && 'message' in d ? `${String(d.path) || 'form'}: ${String(d.message)}` : ''))
    .filter(Boolean)
    .join('; ');
}
