/**
 * What the load generator talks to: Gatehouse's public HTTP API, and the Okta emulator's
 * membership event log (the emulator's own timestamps of every add and remove).
 */
export interface RequestView {
  id: string;
  status: string;
  expiresAt?: string | null;
  [key: string]: unknown;
}

export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what} answered ${status}: ${body.slice(0, 300)}`);
  }
}

export const FINAL_STATUSES = new Set(['expired', 'revoked', 'denied', 'approval_timed_out', 'cancelled', 'failed']);

export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) throw new HttpFailure(res.status, text, `${method} ${path}`);
    return JSON.parse(text) as T;
  }

  create(body: { requester: string; resource: string; duration?: string; justification?: string; idempotencyKey?: string }): Promise<RequestView> {
    return this.call('POST', '/v1/requests', body);
  }

  /** Approvals answered 503 `unavailable` (the API's 10 s wait for a worker ran out) and sent again. */
  unavailableRetries = 0;

  /**
   * Approves like a patient client would, for up to a minute: a request still being resolved (409
   * not_ready: the API already waited 5 s) is asked again, and so is a 503 `unavailable` (no worker
   * answered within the API's wait on an overloaded machine), with the same Idempotency-Key as the
   * answer says, so the decision is applied once.
   */
  async approve(id: string, approver: string, idempotencyKey = `bench-approve-${id}-${approver}`): Promise<RequestView> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        return await this.call<RequestView>('POST', `/v1/requests/${id}/approve`, { approver }, { 'idempotency-key': idempotencyKey });
      } catch (err) {
        const notReady = err instanceof HttpFailure && err.status === 409 && /not_ready|still being resolved/.test(err.body);
        const unavailable = err instanceof HttpFailure && err.status === 503 && /"unavailable"/.test(err.body);
        if (!(notReady || unavailable) || Date.now() > deadline) throw err;
        if (unavailable) this.unavailableRetries++;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  revoke(id: string, actor: string, idempotencyKey?: string): Promise<RequestView> {
    return this.call('POST', `/v1/requests/${id}/revoke`, { actor }, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {});
  }

  get(id: string): Promise<RequestView> {
    return this.call('GET', `/v1/requests/${id}`);
  }

  /** GET with a raw answer (feature probes: a route that does not exist answers 404). */
  async raw(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const res = await fetch(`${this.url}${path}`, { method, headers: { authorization: `Bearer ${this.token}`, ...headers }, body });
    return { status: res.status, text: await res.text() };
  }
}

/** Retries `fn` on 5xx, 429 and network errors (not on 4xx answers) until `deadlineMs` from now. */
export async function retrying<T>(fn: () => Promise<T>, deadlineMs = 120_000, alsoRetry?: (err: HttpFailure) => boolean): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let delay = 200;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const retryable = !(err instanceof HttpFailure) || err.status >= 500 || err.status === 429 || !!alsoRetry?.(err);
      if (!retryable || Date.now() + delay > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 3000);
    }
  }
}

export interface MembershipEvent {
  groupId: string;
  userId: string;
  op: 'add' | 'remove';
  at: number;
  changed: boolean;
}

type Waiter = { op: 'add' | 'remove'; after: number; resolve: (e: MembershipEvent) => void };

/** Follows the Okta emulator's membership event log (GET /_emulator/membership-events?since=n). */
export class MembershipLog {
  readonly events: MembershipEvent[] = [];
  private next = 0;
  private timer?: NodeJS.Timeout;
  private readonly byPair = new Map<string, MembershipEvent[]>();
  private readonly waiters = new Map<string, Waiter[]>();

  constructor(private readonly oktaUrl: string) {}

  static key(groupId: string, userId: string): string {
    return `${groupId}|${userId}`;
  }

  start(intervalMs = 25): void {
    const tick = async () => {
      try {
        await this.poll();
      } catch {
        // the emulator may be busy; next tick
      }
      this.timer = setTimeout(tick, intervalMs);
    };
    void tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  async poll(): Promise<void> {
    const res = await fetch(`${this.oktaUrl}/_emulator/membership-events?since=${this.next}`);
    const body = (await res.json()) as { next: number; events: MembershipEvent[] };
    for (const e of body.events) {
      this.events.push(e);
      const key = MembershipLog.key(e.groupId, e.userId);
      const list = this.byPair.get(key) ?? [];
      list.push(e);
      this.byPair.set(key, list);
      const waiting = this.waiters.get(key);
      if (waiting) {
        const remaining = waiting.filter((w) => {
          if (w.op === e.op && e.at >= w.after) {
            w.resolve(e);
            return false;
          }
          return true;
        });
        if (remaining.length) this.waiters.set(key, remaining);
        else this.waiters.delete(key);
      }
    }
    this.next = body.next;
  }

  forPair(groupId: string, userId: string): MembershipEvent[] {
    return this.byPair.get(MembershipLog.key(groupId, userId)) ?? [];
  }

  /** The first `op` event on the pair at or after `after` (epoch ms), already seen or to come. */
  waitFor(groupId: string, userId: string, op: 'add' | 'remove', after: number, timeoutMs = 120_000): Promise<MembershipEvent> {
    const seen = this.forPair(groupId, userId).find((e) => e.op === op && e.at >= after);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const key = MembershipLog.key(groupId, userId);
      const timer = setTimeout(() => reject(new Error(`no ${op} of ${userId} in ${groupId} within ${timeoutMs} ms`)), timeoutMs);
      const list = this.waiters.get(key) ?? [];
      list.push({ op, after, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      this.waiters.set(key, list);
    });
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await task(next++);
  });
  await Promise.all(runners);
}

export function percentiles(values: number[]): { n: number; p50: number; p95: number; p99: number; max: number; mean: number } {
  if (values.length === 0) return { n: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  const round = (v: number) => Math.round(v);
  return { n: sorted.length, p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(sorted.at(-1)!), mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
