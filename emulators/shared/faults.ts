import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';

/**
 * Fault injection shared by the emulators. Faults apply only to vendor routes (the emulator mounts
 * this middleware after its /_emulator control surface), and each vendor decides how a 429 or a
 * 5xx looks on the wire through its FaultResponders.
 *
 * Route patterns: `*` (everything), a glob over the request path (`/api/v1/groups/*`), a glob
 * over the path's tail (`chat.postMessage` matches `/api/chat.postMessage`), optionally prefixed
 * with an HTTP method (`PUT /api/v1/groups/*`).
 */
export const faultSettingsSchema = z
  .object({
    latencyMs: z.number().min(0).optional(),
    jitterMs: z.number().min(0).optional(),
    errorRate: z.record(z.string(), z.number().min(0).max(1)).optional(),
    burst429: z
      .object({
        count: z.number().int().min(0),
        /** Okta: x-rate-limit-reset = now + this (negative = a reset in the past, retried at once). */
        retryAfterSec: z.number().optional(),
        route: z.string().optional(),
      })
      .optional(),
    outage: z
      .object({
        seconds: z.number().positive(),
        status: z.number().int().min(500).max(599).optional(),
        route: z.string().optional(),
      })
      .optional(),
    /**
     * For `seconds`, requests on `route` are answered (and applied) only after `ms`: a client that
     * gave up meanwhile sees a timeout, while the change still lands late — as with a slow vendor.
     */
    slow: z.object({ route: z.string(), ms: z.number().int().min(1), seconds: z.number().positive() }).optional(),
  })
  .strict();

export type FaultSettings = z.infer<typeof faultSettingsSchema>;

export interface FaultResponders {
  rateLimited(res: Response, retryAfterSec: number): void;
  serverError(res: Response, status: number): void;
}

interface ActiveFaults {
  latencyMs: number;
  jitterMs: number;
  errorRate: Array<{ route: string; rate: number }>;
  burst429?: { remaining: number; retryAfterSec: number; route: string };
  outage?: { until: number; status: number; route: string };
  slow?: { until: number; ms: number; route: string };
}

export function routeMatches(pattern: string, method: string, path: string): boolean {
  let glob = pattern.trim();
  const methodMatch = /^([A-Z]+)\s+(.+)$/.exec(glob);
  if (methodMatch) {
    if (methodMatch[1] !== method.toUpperCase()) return false;
    glob = methodMatch[2] ?? '';
  }
  if (glob === '*') return true;
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = glob.startsWith('/') ? new RegExp(`^${body}$`) : new RegExp(`^(?:.*/)?${body}$`);
  return regex.test(path);
}

export class FaultInjector {
  private active: ActiveFaults = { latencyMs: 0, jitterMs: 0, errorRate: [] };
  /** How many faults were injected since the last clear (tests check a burst was consumed). */
  readonly injected = { rateLimited: 0, serverErrors: 0 };

  /** Merges: each key given replaces that kind of fault; the others stay. */
  configure(settings: FaultSettings): void {
    if (settings.latencyMs !== undefined) this.active.latencyMs = settings.latencyMs;
    if (settings.jitterMs !== undefined) this.active.jitterMs = settings.jitterMs;
    if (settings.errorRate) {
      this.active.errorRate = Object.entries(settings.errorRate).map(([route, rate]) => ({ route, rate }));
    }
    if (settings.burst429) {
      const { count, retryAfterSec = 0, route = '*' } = settings.burst429;
      this.active.burst429 = { remaining: count, retryAfterSec, route };
    }
    if (settings.outage) {
      const { seconds, status = 503, route = '*' } = settings.outage;
      this.active.outage = { until: Date.now() + seconds * 1000, status, route };
    }
    if (settings.slow) this.active.slow = { until: Date.now() + settings.slow.seconds * 1000, ms: settings.slow.ms, route: settings.slow.route };
  }

  clear(): void {
    this.active = { latencyMs: 0, jitterMs: 0, errorRate: [] };
    this.injected.rateLimited = 0;
    this.injected.serverErrors = 0;
  }

  snapshot(): Record<string, unknown> {
    const { outage, slow, ...rest } = this.active;
    return {
      ...rest,
      outage: outage && outage.until > Date.now() ? { ...outage, until: new Date(outage.until).toISOString() } : undefined,
      slow: slow && slow.until > Date.now() ? { ...slow, until: new Date(slow.until).toISOString() } : undefined,
      injected: { ...this.injected },
    };
  }

  middleware(responders: FaultResponders): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const { slow } = this.active;
      const slowed = slow && slow.until > Date.now() && routeMatches(slow.route, req.method, req.originalUrl.split('?')[0] ?? '/') ? slow.ms : 0;
      const delay = this.active.latencyMs + Math.random() * this.active.jitterMs + slowed;
      const decide = () => this.apply(req, res, next, responders);
      if (delay > 0) setTimeout(decide, delay);
      else decide();
    };
  }

  private apply(req: Request, res: Response, next: NextFunction, responders: FaultResponders): void {
    const { outage, burst429, errorRate } = this.active;
    // originalUrl, not path: the middleware may be mounted under /api or /rest.
    const path = req.originalUrl.split('?')[0] ?? '/';
    if (outage && outage.until > Date.now() && routeMatches(outage.route, req.method, path)) {
      this.injected.serverErrors += 1;
      responders.serverError(res, outage.status);
      return;
    }
    if (burst429 && burst429.remaining > 0 && routeMatches(burst429.route, req.method, path)) {
      burst429.remaining -= 1;
      this.injected.rateLimited += 1;
      responders.rateLimited(res, burst429.retryAfterSec);
      return;
    }
    const rate = errorRate.find((entry) => routeMatches(entry.route, req.method, path))?.rate ?? 0;
    if (rate > 0 && Math.random() < rate) {
      this.injected.serverErrors += 1;
      responders.serverError(res, 500);
      return;
    }
    next();
  }
}
