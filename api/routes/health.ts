/** Liveness and readiness (SPEC §6): no token; readiness means Temporal answers. */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { errorBody, HttpError } from '../errors';

export function healthRouter(temporal: Client, readyTimeoutMs = 2000): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    try {
      await temporal.withDeadline(Date.now() + readyTimeoutMs, () => temporal.workflowService.getSystemInfo({}));
      res.json({ status: 'ready', temporal: 'ok' });
    } catch (err) {
      req.log.warn({ err: (err as Error).message }, 'Temporal is not reachable');
      res.status(503).json(errorBody(new HttpError(503, 'unavailable', 'Temporal is not reachable')));
    }
  });
  return router;
}
