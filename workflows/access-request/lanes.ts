import { log } from '@temporalio/workflow';

/**
 * An ordered background queue of side effects (Jira, Slack, audit). The lifecycle never awaits
 * it: a failure after the activity's own retries is recorded and the queue moves on, so Jira or
 * Slack being down can delay their records but never a grant or a revoke.
 */
export class Lane {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly system: string,
    private readonly onFailure: (system: string, action: string, message: string) => void,
  ) {}

  push(action: string, fn: () => Promise<unknown>): void {
    this.tail = this.tail.then(async () => {
      try {
        await fn();
      } catch (err) {
        const message = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
        log.warn('side effect failed after retries', { system: this.system, action, message });
        this.onFailure(this.system, action, message);
      }
    });
  }

  /** Resolves once everything queued so far has finished (it never rejects). */
  drain(): Promise<void> {
    return this.tail;
  }
}
