/**
 * The worker's activity interceptor: every activity attempt passes through it.
 * - A failed Okta/Slack/Jira call that Temporal will retry is appended to the audit log
 *   (`external_call_retried`), idempotently: the event id is workflow run + activity id + attempt.
 * - Metrics: attempt durations and outcomes, retried calls by system, and the lifecycle series
 *   derived from each audit event recorded (requests by outcome, approval wait, grant latency,
 *   revoke lag).
 * It never changes an activity's result: its own failures are logged and swallowed.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { AuditEvent } from '../activities/ports';
import { requestIdFromWorkflowId } from '../workflows/constants';
import type { WorkerMetrics } from './metrics';

const SYSTEMS = ['Okta', 'Slack', 'Jira'] as const;
type System = (typeof SYSTEMS)[number];

export interface InterceptorDeps {
  audit: { append(event: AuditEvent): Promise<unknown>; trail(requestId: string): Promise<AuditEvent[]> };
  metrics: WorkerMetrics;
  logger: Logger;
  /** Bound on the audit append made for a failed attempt (the failure is reported either way). */
  appendTimeoutMs?: number;
}

/** The external system behind a failure: the adapter's classified type first, else the activity name. */
export function systemOf(err: unknown, activityType: string): System | undefined {
  const type = err instanceof ApplicationFailure ? (err.type ?? '') : '';
  return SYSTEMS.find((s) => type.startsWith(s)) ?? SYSTEMS.find((s) => activityType.includes(s));
}

/** Whether Temporal will schedule another attempt after this failure. */
export function willRetry(err: unknown, info: Context['info']): boolean {
  if (err instanceof CancelledFailure) return false;
  if (err instanceof ApplicationFailure && err.nonRetryable) return false;
  const policy = info.retryPolicy;
  if (policy?.maximumAttempts && info.attempt >= policy.maximumAttempts) return false;
  const type = err instanceof ApplicationFailure ? err.type : err instanceof Error ? err.name : undefined;
  return !(type && policy?.nonRetryableErrorTypes?.includes(type));
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function activityInterceptor(deps: InterceptorDeps): ActivityInterceptorsFactory {
  const appendTimeoutMs = deps.appendTimeoutMs ?? 5000;
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const info = ctx.info;
        const started = performance.now();
        const elapsed = () => (performance.now() - started) / 1000;
        try {
          const result = await next(input);
          deps.metrics.activityAttempt(info.activityType, 'completed', elapsed());
          return result;
        } catch (err) {
          deps.metrics.activityAttempt(info.activityType, 'failed', elapsed());
          const system = systemOf(err, info.activityType);
          if (system && willRetry(err, info)) {
            deps.metrics.externalCallRetried(system, info.activityType);
            const { workflowId = '', runId = '' } = info.workflowExecution ?? {};
            const arg = input.args[0] as { resource?: unknown } | undefined;
            const event: AuditEvent = {
              id: `retry:${workflowId}:${runId}:${info.activityId}:${info.attempt}`,
              requestId: workflowId.startsWith('access-request-') ? requestIdFromWorkflowId(workflowId) : workflowId.replace(/^temporary-account-/, ''),
              // 0: not part of the workflow's own numbering; the trail orders by time first.
              seq: 0,
              type: 'external_call_retried',
              actor: 'gatehouse',
              resource: typeof arg?.resource === 'string' ? arg.resource : '',
              at: new Date().toISOString(),
              details: {
                system,
                activity: info.activityType,
                activityId: info.activityId,
                attempt: info.attempt,
                errorType: err instanceof ApplicationFailure ? err.type : err instanceof Error ? err.name : typeof err,
                message: err instanceof Error ? err.message : String(err),
                workflowId,
              },
            };
            try {
              await withTimeout(deps.audit.append(event), appendTimeoutMs);
            } catch (auditErr) {
              deps.logger.warn({ err: String(auditErr), workflowId, activityId: info.activityId }, 'could not audit a retried external call');
            }
          }
          throw err;
        }
      },
    },
  });
}
