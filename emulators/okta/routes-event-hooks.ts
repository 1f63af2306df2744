import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { sendControlError } from '../shared/control';
import type { OktaContext } from './context';
import { eventHookJson, EventHookValidationError, parseEventHookDefinition, type EventHookRecord, type EventHooks } from './event-hooks';
import { apiActor } from './system-log';
import { sendNotFound, sendOktaError } from './wire';

/** `/api/v1/eventHooks`: list, get, create, replace, delete and the lifecycle operations. */
export function eventHooksRouter(ctx: OktaContext, hooks: EventHooks): Router {
  const router = Router();

  const findHook = (req: Request<{ hookId: string }>, res: Response): EventHookRecord | undefined => {
    const hook = hooks.hooks.get(req.params.hookId);
    if (!hook) sendNotFound(res, req.params.hookId, 'EventHook');
    return hook;
  };
  const sendValidation = (res: Response, err: unknown) => {
    if (!(err instanceof EventHookValidationError)) throw err;
    sendOktaError(res, 400, 'E0000001', 'Api validation failed: eventHook', err.causes);
  };
  const json = (req: Request, hook: EventHookRecord) => eventHookJson(hook, ctx.baseUrl(req));

  router.get('/api/v1/eventHooks', (req, res) => {
    res.json([...hooks.hooks.values()].map((hook) => json(req, hook)));
  });

  router.post('/api/v1/eventHooks', (req, res) => {
    try {
      const hook = hooks.create(parseEventHookDefinition(req.body), apiActor(req, ctx.state.accessTokens).id, ctx.baseUrl(req));
      res.json(json(req, hook));
    } catch (err) {
      sendValidation(res, err);
    }
  });

  router.get('/api/v1/eventHooks/:hookId', (req, res) => {
    const hook = findHook(req, res);
    if (hook) res.json(json(req, hook));
  });

  router.put('/api/v1/eventHooks/:hookId', (req, res) => {
    const hook = findHook(req, res);
    if (!hook) return;
    try {
      hooks.replace(hook, parseEventHookDefinition(req.body, hook));
      res.json(json(req, hook));
    } catch (err) {
      sendValidation(res, err);
    }
  });

  router.delete('/api/v1/eventHooks/:hookId', (req, res) => {
    const hook = findHook(req, res);
    if (!hook) return;
    if (hook.status !== 'INACTIVE') {
      return sendOktaError(res, 400, 'E0000001', 'Api validation failed: eventHook', ['An event hook must be deactivated (status INACTIVE) before it is deleted']);
    }
    hooks.delete(hook);
    res.status(204).end();
  });

  router.post('/api/v1/eventHooks/:hookId/lifecycle/activate', (req, res) => {
    const hook = findHook(req, res);
    if (!hook) return;
    hooks.setStatus(hook, 'ACTIVE');
    res.json(json(req, hook));
  });

  router.post('/api/v1/eventHooks/:hookId/lifecycle/deactivate', (req, res) => {
    const hook = findHook(req, res);
    if (!hook) return;
    hooks.setStatus(hook, 'INACTIVE');
    res.json(json(req, hook));
  });

  // Okta sends the challenge GET while the caller waits, and answers 400 when it fails.
  router.post('/api/v1/eventHooks/:hookId/lifecycle/verify', async (req, res) => {
    const hook = findHook(req, res);
    if (!hook) return;
    const result = await hooks.verify(hook);
    if (!result.ok) return sendOktaError(res, 400, 'E0000001', 'Api validation failed: eventHook', [`Verification failed: ${result.reason}`]);
    res.json(json(req, hook));
  });

  return router;
}

const deliveryFaultsSchema = z
  .object({
    duplicate: z.number().min(0).max(1).optional(),
    reorder: z.boolean().optional(),
    reorderWindowMs: z.number().int().min(1).max(60_000).optional(),
    seed: z.number().int().optional(),
  })
  .strict();

/** `/_emulator/event-hooks/*`: delivery faults and the record of every attempt (tests read it). */
export function eventHooksControlRouter(hooks: EventHooks): Router {
  const router = Router();
  // Mounted on /_emulator beside the other control routes: parse only its own bodies (a router-wide
  // parser with the default 100 kB limit would refuse a large /_emulator/seed before it got there).

  router.get('/event-hooks/deliveries', (_req, res) => {
    res.json({ deliveries: hooks.deliveries, faults: hooks.faultSettings() });
  });

  router.post('/event-hooks/faults', express.json(), (req, res) => {
    try {
      res.json(hooks.configureFaults(deliveryFaultsSchema.parse(req.body ?? {})));
    } catch (err) {
      sendControlError(res, err);
    }
  });

  router.delete('/event-hooks/faults', (_req, res) => {
    hooks.configureFaults({});
    res.status(204).end();
  });

  return router;
}
