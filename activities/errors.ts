import { ApplicationFailure } from '@temporalio/common';

export type ExternalSystem = 'Okta' | 'Slack' | 'Jira' | 'Mail' | 'Audit';

/**
 * Error classification at the adapter boundary (STYLE rule 7):
 * - 400/404/422: the call can never succeed as sent → non-retryable `<System>Rejected`.
 * - 429: retry after the server's reset / Retry-After → retryable `<System>RateLimited` with nextRetryDelay.
 * - 401/403: an operator can fix credentials → retryable `<System>AuthFailed` (a revoke must not give up).
 * - 5xx and network errors → retryable `<System>Unavailable`.
 */
export function classifyFailure(
  system: ExternalSystem,
  status: number | undefined,
  message: string,
  retryAfterMs?: number,
): ApplicationFailure {
  if (status === 429) {
    return ApplicationFailure.create({
      type: `${system}RateLimited`,
      message: `${system} rate limit: ${message}`,
      nextRetryDelay: Math.max(retryAfterMs ?? 1000, 100),
      details: [{ status }],
    });
  }
  if (status === 400 || status === 404 || status === 409 || status === 422) {
    return ApplicationFailure.create({ type: `${system}Rejected`, message: `${system} ${status}: ${message}`, nonRetryable: true, details: [{ status }] });
  }
  if (status === 401 || status === 403) {
    return ApplicationFailure.create({ type: `${system}AuthFailed`, message: `${system} ${status}: ${message}`, details: [{ status }] });
  }
  return ApplicationFailure.create({
    type: `${system}Unavailable`,
    message: status ? `${system} ${status}: ${message}` : `${system} unreachable: ${message}`,
    details: [{ status: status ?? null }],
  });
}

export function isRejected(err: unknown, system?: ExternalSystem): boolean {
  return err instanceof ApplicationFailure && !!err.type?.endsWith('Rejected') && (!system || err.type === `${system}Rejected`);
}
