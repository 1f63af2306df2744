/**
 * How every Gatehouse workflow calls the outside world, in one place (STYLE, "one source of truth").
 *
 * - Okta grants and revocations are on the critical path: a **local activity** first (it runs in
 *   the workflow task: no task-queue round trip, one marker event), and, when Okta does not answer
 *   within its budget, the same work as a **regular activity retried without limit**, so a long
 *   outage never loses a revoke. A refusal (a non-retryable failure) is not retried either way.
 * - The records of a transition (audit, Jira, Slack, mail) go out as one background activity,
 *   retried with checkpoints; each system gives up after its own budget (activities/effects.ts).
 */
import { ActivityFailure, ApplicationFailure, isCancellation, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';

/** The Okta client abandons a request after 10 s (activities/adapters/okta.ts): below this. */
export const OKTA_LOCAL: LocalActivityOptions = {
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '45 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds' },
};

/** After the local attempts: unlimited retries, backing off to a minute (a 429 waits for Okta's reset). */
export const OKTA_DURABLE: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/**
 * A temporary account's create (several Okta calls and the credential mail, which gives up after
 * 20 s) and close (up to five Okta calls): the same local-then-durable pattern, with room.
 */
export const ACCOUNT_LOCAL: LocalActivityOptions = { ...OKTA_LOCAL, startToCloseTimeout: '60 seconds', scheduleToCloseTimeout: '2 minutes' };
export const ACCOUNT_DURABLE: ActivityOptions = { ...OKTA_DURABLE, startToCloseTimeout: '60 seconds' };

/**
 * A late Okta add (a request that reached Okta but whose answer never came back) can land at most
 * this long after the last add attempt: the request timeout plus a margin.
 */
export const OKTA_LATE_ADD_WINDOW_MS = 15_000;

/** The records of a transition: checkpointed, retried for up to a day (audit), an hour (the others). */
export const EFFECTS: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '25 hours',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};

/** Resolution when the starter did not resolve: policy reads and directory lookups. */
export const LOOKUPS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/**
 * A failure that retrying cannot fix: the system refused (400/404/409/422). A regular activity's
 * failure arrives wrapped in an ActivityFailure; a local activity's as the ApplicationFailure itself.
 */
export function refusal(err: unknown): ApplicationFailure | null {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure && failure.nonRetryable ? failure : null;
}

/**
 * The time to decide on right after a local activity: the time the activity reported (its marker
 * records it), not the workflow's clock. A local activity that outlives its workflow task (a slow
 * Okta: the SDK keeps the task alive by completing it and taking a new one) resolves, when the
 * history is replayed, in the first of those tasks, whose time is earlier than the one the
 * original run saw: a branch on `Date.now()` there (is the grant already over? may a late add
 * still land?) could take the other way on replay and stop the workflow with a nondeterminism
 * error (reproduced by chaos; test/replay/histories/grant-spanning-a-task-heartbeat.json).
 * Results recorded before the activity reported its time fall back to the clock.
 */
export function timeAfter(result: { completedAt?: string }): number {
  const at = result.completedAt ? Date.parse(result.completedAt) : Number.NaN;
  return Number.isFinite(at) ? at : Date.now();
}

/**
 * Runs critical Okta work as a local activity, then, if that gave up on a retryable failure, as a
 * regular activity retried without limit. Refusals propagate at once.
 */
export async function critical<T>(local: () => Promise<T>, durable: () => Promise<T>): Promise<T> {
  try {
    return await local();
  } catch (err) {
    if (refusal(err) || isCancellation(err)) throw err;
    return durable();
  }
}
