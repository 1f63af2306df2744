/**
 * `GET/POST /hooks/okta`: Okta event hooks (SPEC §12). Mounted before any other body parser and
 * only when OKTA_EVENT_HOOK_SECRET is set (otherwise the route is 404).
 * - Every request must carry the secret in `Authorization` (the hook's authScheme), compared in
 *   constant time: 401 otherwise, before the body is read.
 * - GET: Okta's one-time verification, answered `{ "verification": <x-okta-verification-challenge> }`.
 * - POST: `{ eventType: "com.okta.event_hook", data: { events: [...] } }`; a body of another
 *   shape is 400. Each event Gatehouse acts on starts `risk-event-<uuid>` before the answer (Okta
 *   waits 3 s), so a redelivery is applied once; every other event is acknowledged and counted.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request } from 'express';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import type { Policy } from '../../activities/policy/schema';
import { orgUrlFromSource, parseOktaEvent } from '../../workflows/risk/event';
import { HttpError } from '../errors';
import { policySnapshot, type RiskService } from '../risk';

export const OKTA_HOOK_PATH = '/hooks/okta';

export interface OktaHookOptions {
  /** OKTA_EVENT_HOOK_SECRET: the whole Authorization value Okta sends. */
  secret: string;
  policy: () => Policy;
  risk: RiskService;
  /** The API's metrics registry (`gatehouse_okta_hook_events_total`). */
  registry: Registry;
  logger: Logger;
  /** Answer before Okta gives up (3 s): starts still pending then make the answer a 503 (Okta retries). */
  budgetMs?: number;
}

const envelope = z.object({
  eventType: z.literal('com.okta.event_hook'),
  source: z.string().optional(),
  data: z.object({ events: z.array(z.unknown()).max(1000) }),
});

/** Event types Okta sends are a known, small set; anything else is counted under `other`. */
const MAX_TYPE_LABELS = 50;

const digest = (s: string) => createHash('sha256').update(s).digest();

export function oktaHookRouter(opts: OktaHookOptions): Router {
  const router = Router();
  const expected = digest(opts.secret);
  const events = new Counter({
    name: 'gatehouse_okta_hook_events_total',
    help: 'Okta event-hook events by type and outcome (started, duplicate, ignored, malformed, no_risk_policy, not_high_risk_app)',
    labelNames: ['event_type', 'outcome'] as const,
    registers: [opts.registry],
  });
  const seenTypes = new Set<string>();
  const typeLabel = (type: string) => {
    if (seenTypes.has(type)) return type;
    if (seenTypes.size >= MAX_TYPE_LABELS || !/^[a-z][a-z0-9_.]{0,99}$/.test(type)) return 'other';
    seenTypes.add(type);
    return type;
  };

  /** Okta sends the configured header on every request, the verification included. */
  const authenticated = (req: Request) => timingSafeEqual(digest(req.get('authorization') ?? ''), expected);
  const refuse = () => new HttpError(401, 'unauthorized', 'missing or wrong Authorization for the Okta event hook');

  router.get(OKTA_HOOK_PATH, (req, res) => {
    if (!authenticated(req)) throw refuse();
    const challenge = req.get('x-okta-verification-challenge');
    if (!challenge || challenge.length > 1000) throw new HttpError(400, 'validation_failed', 'x-okta-verification-challenge is required (Okta sends it when it verifies the hook)');
    res.json({ verification: challenge });
  });

  router.post(
    OKTA_HOOK_PATH,
    (req, _res, next) => next(authenticated(req) ? undefined : refuse()),
    express.json({ limit: '1mb' }),
    async (req, res) => {
      const body = envelope.safeParse(req.body);
      if (!body.success) {
        throw new HttpError(400, 'validation_failed', 'not an Okta event-hook delivery', body.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
      }
      const deadline = Date.now() + (opts.budgetMs ?? 2500);
      const orgUrl = orgUrlFromSource(body.data.source);
      const risk = opts.policy().risk;
      const outcomes = await Promise.all(
        body.data.data.events.map(async (raw) => {
          const parsed = parseOktaEvent(raw, orgUrl);
          if (!parsed.ok) {
            if (parsed.reason === 'malformed') req.log.warn({ eventType: parsed.eventType, problem: parsed.message }, 'Okta event not usable: acknowledged');
            return { type: parsed.eventType, outcome: parsed.reason === 'unhandled_type' ? 'ignored' : 'malformed' };
          }
          const { event } = parsed;
          if (!risk) return { type: event.eventType, outcome: 'no_risk_policy' };
          if (event.kind === 'app_assignment' && !Object.hasOwn(risk.highRiskApps, event.app!.id)) return { type: event.eventType, outcome: 'not_high_risk_app' };
          const outcome = await opts.risk.intake(event, policySnapshot(risk, event.app?.id), deadline);
          req.log.info({ uuid: event.uuid, eventType: event.eventType, userId: event.userId, outcome }, 'Okta event taken');
          return { type: event.eventType, outcome };
        }),
      );
      for (const o of outcomes) events.inc({ event_type: typeLabel(o.type), outcome: o.outcome });
      res.json({ received: outcomes.length });
    },
  );
  return router;
}
