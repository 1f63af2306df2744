import { randomUUID } from 'node:crypto';
import express, { Router } from 'express';
import { z } from 'zod';
import { sendControlError } from '../shared/control';
import type { OktaContext } from './context';
import type { OktaState, OktaUser, UserRisk } from './state';
import { EVENTS, systemLogContext, userTarget, type LogContext, type LogEvent } from './system-log';
import { sendNotFound, sendOktaError } from './wire';

const LEVELS = ['LOW', 'MEDIUM', 'HIGH'] as const;

export interface RiskChange {
  level: UserRisk['level'];
  previousLevel?: UserRisk['level'];
  detectionName?: string;
  reasons?: string | string[];
  eventType?: 'user.risk.detect' | 'user.risk.change';
}

/**
 * Okta's `debugData.risk`: a `key=value` string, not JSON, whose `reasons` value itself holds
 * commas (ITP event reference): `{previousLevel=LOW, level=HIGH, detectionName=…, reasons=A, B, issuer=OKTA}`.
 */
export function riskDebugString(fields: { previousLevel: string; level: string; detectionName: string; reasons: string }): string {
  return `{previousLevel=${fields.previousLevel}, level=${fields.level}, detectionName=${fields.detectionName}, reasons=${fields.reasons}, issuer=OKTA}`;
}

/** Sets the user's level and records the System Log event (which event hooks then deliver). */
export function raiseRisk(state: OktaState, user: OktaUser, change: RiskChange, context: LogContext): LogEvent {
  const previousLevel = change.previousLevel ?? state.risk.get(user.id)?.level ?? 'LOW';
  const detectionName = change.detectionName ?? 'Session Influenced User Risk';
  const reasons = Array.isArray(change.reasons) ? change.reasons.join(', ') : (change.reasons ?? 'Anomalous Geo-Distance, New Device, New IP');
  state.risk.set(user.id, { level: change.level, reason: detectionName });
  const kind = change.eventType === 'user.risk.change' ? EVENTS.riskChange : EVENTS.riskDetect;
  return state.systemLog.record(context, {
    ...kind,
    severity: change.level === 'HIGH' ? 'WARN' : 'INFO',
    target: [userTarget(user)],
    debugData: { risk: riskDebugString({ previousLevel, level: change.level, detectionName, reasons }), traceId: randomUUID() },
  });
}

/** `GET/PUT /api/v1/users/{id}/risk` (OKTA-SPEC getUserRisk / upsertUserRisk). */
export function riskRouter(ctx: OktaContext): Router {
  const router = Router();
  const { state } = ctx;
  const riskJson = (base: string, user: OktaUser) => {
    const risk = state.risk.get(user.id);
    return {
      riskLevel: risk?.level ?? 'NONE',
      ...(risk?.reason ? { reason: risk.reason } : {}),
      _links: { self: { href: `${base}/api/v1/users/${user.id}/risk` }, user: { href: `${base}/api/v1/users/${user.id}` } },
    };
  };

  router.get('/api/v1/users/:userId/risk', (req, res) => {
    const user = state.findUser(req.params.userId);
    if (!user) return sendNotFound(res, req.params.userId, 'User');
    res.json(riskJson(ctx.baseUrl(req), user));
  });

  // An admin may only report HIGH or LOW; Okta logs it as user.risk.change.
  router.put('/api/v1/users/:userId/risk', (req, res) => {
    const user = state.findUser(req.params.userId);
    if (!user) return sendNotFound(res, req.params.userId, 'User');
    const level = (req.body as { riskLevel?: unknown } | undefined)?.riskLevel;
    if (level !== 'HIGH' && level !== 'LOW') return sendOktaError(res, 400, 'E0000001', 'Api validation failed: riskLevel', ['riskLevel: must be HIGH or LOW']);
    ctx.record(req, res, {
      ...EVENTS.riskChange,
      severity: level === 'HIGH' ? 'WARN' : 'INFO',
      target: [userTarget(user)],
      debugData: {
        risk: riskDebugString({ previousLevel: state.risk.get(user.id)?.level ?? 'LOW', level, detectionName: 'Admin reported user risk', reasons: 'Admin reported user risk' }),
        traceId: randomUUID(),
      },
    });
    state.risk.set(user.id, { level, reason: 'Admin reported user risk' });
    res.json(riskJson(ctx.baseUrl(req), user));
  });

  return router;
}

const riskBodySchema = z
  .object({
    login: z.string().min(1),
    level: z.enum(LEVELS),
    previousLevel: z.enum(LEVELS).optional(),
    detectionName: z.string().min(1).optional(),
    reasons: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    eventType: z.enum(['user.risk.detect', 'user.risk.change']).optional(),
  })
  .strict();

/** `POST /_emulator/risk`: Okta ITP raising a risk detection for a user (by login or id). */
export function riskControlRouter(state: OktaState): Router {
  const router = Router();
  router.post('/risk', express.json(), (req, res) => {
    const parsed = riskBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) return sendControlError(res, parsed.error);
    const { login, ...change } = parsed.data;
    const user = state.findUser(login);
    if (!user) return res.status(404).json({ error: 'unknown_user', message: `no user with login or id ${login}` });
    const event = raiseRisk(state, user, change, systemLogContext('/_emulator/risk'));
    res.status(201).json({ event });
  });
  return router;
}
