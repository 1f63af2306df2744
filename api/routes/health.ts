/** Liveness and readiness (SPEC §6): no token; readiness means Temporal and the audit store answer. */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { errorBody, HttpError } from '../errors';

export function healthRouter(temporal: Client, audit?: { ping(timeoutMs?: number): Promise<void> }, readyTimeoutMs = 2000): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const check = async (work: () => Promise<unknown>) => {
      try {
        await work();
        return 'ok';
      } catch (err) {
        return (err as Error).message || 'unreachable';
      }
    };
    const [temporalState, auditState] = await Promise.all([
      check(() => temporal.withDeadline(Date.now() + readyTimeoutMs, () => temporal.workflowService.getSystemInfo({}))),
      audit ? check(() => audit.ping(readyTimeoutMs)) : Promise.resolve('not configured'),
    ]);
    const down = [temporalState !== 'ok' ? 'Temporal' : '', audit && auditState !== 'ok' ? 'the audit store' : ''].filter(Boolean);
    if (down.length === 0) {
      res.json({ status: 'ready', temporal: 'ok', audit: auditState });
      return;
    }
    req.log.warn({ temporal: temporalState, audit: auditState }, 'not ready');
    const body = errorBody(new HttpError(503, 'unavailable', `${down.join(' and ')} ${down.length > 1 ? 'are' : 'is'} not reachable`));
    res.status(503).json({ ...body, temporal: temporalState === 'ok' ? 'ok' : 'unreachable', audit: audit ? (auditState === 'ok' ? 'ok' : 'unreachable') : auditState });
  });
  return router;
}
