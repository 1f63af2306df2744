/**
 * The API's error contract (SPEC §6): every failure answers
 * `{ "error": { "code", "message", "details" } }` with the matching status, and ONE middleware
 * maps what routes throw (STYLE rule 10). Bad input is never a 500.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { isGrpcServiceError, ServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { ZodError } from 'zod';
import { Rejection, type RejectionReason, type RejectionType } from '../workflows/access-request/errors';

export type ErrorCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'beyond_policy'
  | 'insufficient_scope'
  | 'risk_quarantined'
  | 'rate_limited'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable'
  | 'internal';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: unknown[] = [],
    /** Extra top-level fields of the error object (e.g. the conflicting `requestId`). */
    readonly extra: Record<string, unknown> = {},
    /** Sent as `Retry-After` (seconds) with a 429 or 503. */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what: string): HttpError => new HttpError(404, 'not_found', `${what} not found`);

/** How a refused Update (the workflow validator's ApplicationFailure `type`) reads over HTTP. */
const REJECTION_STATUS: Record<RejectionType, [number, ErrorCode]> = {
  [Rejection.NotAnApprover]: [403, 'forbidden'],
  [Rejection.SelfApproval]: [403, 'forbidden'],
  [Rejection.NotRequester]: [403, 'forbidden'],
  [Rejection.NotAllowed]: [403, 'forbidden'],
  [Rejection.AlreadyDecided]: [409, 'conflict'],
  [Rejection.WrongState]: [409, 'conflict'],
  [Rejection.NotReady]: [409, 'conflict'],
  [Rejection.BeyondPolicy]: [422, 'beyond_policy'],
  [Rejection.InvalidInput]: [400, 'validation_failed'],
};

/** A refusal decided here, by the workflow's own validator, reads exactly as the workflow's would. */
export function rejectionError(r: RejectionReason): HttpError {
  const [status, code] = REJECTION_STATUS[r.type];
  return new HttpError(status, code, r.message, [{ reason: r.type }]);
}

/** The Rejection type of a refused Update, or undefined when the error is something else. */
export function rejectionOf(err: unknown): RejectionType | undefined {
  if (!(err instanceof WorkflowUpdateFailedError) || !(err.cause instanceof ApplicationFailure)) return undefined;
  const type = err.cause.type;
  return type && type in REJECTION_STATUS ? (type as RejectionType) : undefined;
}

/** Translates what Temporal and zod throw into an HttpError; null for the unexpected. */
export function toHttpError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  if (err instanceof ZodError) {
    return new HttpError(
      400,
      'validation_failed',
      'the request is not valid',
      err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  }
  // body-parser (malformed JSON, a body that is not the encoding it claims, wrong charset, too
  // large) and the router (a malformed % escape in the path): their 4xx stay 4xx.
  const clientError = err as { type?: string; status?: number; expose?: boolean; message?: string; name?: string };
  if (clientError && typeof clientError.status === 'number' && clientError.status >= 400 && clientError.status < 500) {
    if (clientError.type === 'entity.parse.failed') return new HttpError(400, 'validation_failed', 'malformed JSON in the request body');
    if (clientError.status === 413) return new HttpError(413, 'payload_too_large', 'the request body is too large');
    if (clientError.status === 415) return new HttpError(415, 'unsupported_media_type', clientError.expose ? String(clientError.message) : 'unsupported content encoding or charset');
    const message = clientError.name === 'URIError' ? 'malformed percent-encoding in the URL' : clientError.expose ? `bad request: ${String(clientError.message)}` : 'bad request';
    return new HttpError(400, 'validation_failed', message);
  }
  if (err instanceof WorkflowNotFoundError) return notFound('request');
  const down = unavailability(err);
  if (down) return down;
  const rejection = rejectionOf(err);
  if (rejection) {
    const [status, code] = REJECTION_STATUS[rejection];
    return new HttpError(status, code, (err as WorkflowUpdateFailedError).cause!.message, [{ reason: rejection }]);
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new HttpError(503, 'unavailable', 'no Gatehouse worker answered in time; the decision may still be applied — retry with the same Idempotency-Key');
  }
  return null;
}

/**
 * A dependency that is down is 503 with Retry-After, never 500: Temporal unreachable (gRPC
 * UNAVAILABLE, deadline), or an Okta/Slack/Jira/Mail call the adapter classified as temporary.
 */
function unavailability(err: unknown): HttpError | null {
  const grpc = isGrpcServiceError(err) ? err : err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : undefined;
  // 4 DEADLINE_EXCEEDED, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE
  if (grpc && [4, 8, 14].includes(grpc.code)) return new HttpError(503, 'unavailable', 'Temporal is not reachable just now; retry shortly', [], {}, 5);
  // 9 FAILED_PRECONDITION on an Update: the workflow's task is failing (a worker bug, a bad deploy);
  // the decision cannot be taken until an operator fixes it, so it is retried, never a 500.
  if (grpc && grpc.code === 9 && /workflow task in failed state/i.test(grpc.details ?? grpc.message)) {
    return new HttpError(503, 'unavailable', 'this request cannot take decisions just now: its workflow task is failing (see the worker logs); retry later', [], {}, 30);
  }
  if (err instanceof ApplicationFailure && /^(Okta|Slack|Jira|Mail)(Unavailable|RateLimited|AuthFailed)$/.test(err.type ?? '')) {
    const system = /^(Okta|Slack|Jira|Mail)/.exec(err.type!)![1];
    const retryAfterS = err.nextRetryDelay ? Math.max(1, Math.ceil(Number(err.nextRetryDelay) / 1000)) : 5;
    return new HttpError(503, 'unavailable', `${system} is not answering just now; retry shortly`, [{ system }], {}, Number.isFinite(retryAfterS) ? retryAfterS : 5);
  }
  return null;
}

export const errorBody = (e: HttpError) => ({ error: { code: e.code, message: e.message, details: e.details, ...e.extra } });

/** Sends an HttpError (with Retry-After when it has one). */
export function sendError(res: Response, e: HttpError): void {
  if (e.retryAfterS !== undefined) res.setHeader('Retry-After', String(e.retryAfterS));
  res.status(e.status).json(errorBody(e));
}

/** The one error middleware. Anything unmapped is logged with the request id and answered 500. */
export const errorMiddleware: ErrorRequestHandler = (err, req, res, _next) => {
  const mapped = toHttpError(err);
  if (mapped) {
    sendError(res, mapped);
    return;
  }
  req.log?.error({ err }, 'unhandled error');
  // pino-http logs a failed request with `res.err`; keep the original error there.
  res.err = err as Error;
  const requestId = String(req.id ?? '');
  res.status(500).json(errorBody(new HttpError(500, 'internal', `internal error (request id ${requestId})`, [], { requestId })));
};

/** Unknown routes under /v1 answer JSON, not Express's HTML page. */
export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `no route ${req.method} ${req.baseUrl}${req.path}`));
};
