import express, { type Router } from 'express';
import { ZodError } from 'zod';
import { loadDirectory, parseDirectory, type Directory } from './directory';
import { faultSettingsSchema, type FaultInjector } from './faults';
import type { RequestCounts } from './http';

export interface ControlHooks {
  dump(): unknown;
  reset(): void;
  seed(directory: Directory): void;
  faults: FaultInjector;
  /** Calls per route since start, for `GET /_emulator/request-counts`. */
  counts?: RequestCounts;
}

/**
 * The /_emulator control surface common to every emulator: state dump, reset, seed, faults.
 * Mount it at `/_emulator`, before the fault middleware, so it always answers.
 */
export function createControlRouter(hooks: ControlHooks): Router {
  const router = express.Router();
  router.use(express.json({ limit: '10mb' }));

  router.get('/state', (_req, res) => {
    res.json({ ...(hooks.dump() as object), faults: hooks.faults.snapshot() });
  });

  router.get('/request-counts', (_req, res) => {
    res.json({ counts: hooks.counts?.snapshot() ?? {} });
  });

  router.post('/reset', (_req, res) => {
    hooks.reset();
    hooks.faults.clear();
    res.status(204).end();
  });

  router.post('/seed', (req, res) => {
    try {
      // No body: reseed from config/demo-directory.yaml.
      const directory = req.body === undefined ? loadDirectory() : parseDirectory(req.body);
      hooks.reset();
      hooks.seed(directory);
      res.json({ ok: true, users: directory.users.length, groups: directory.groups.length });
    } catch (err) {
      sendControlError(res, err);
    }
  });

  router.post('/faults', (req, res) => {
    try {
      hooks.faults.configure(faultSettingsSchema.parse(req.body ?? {}));
      res.json(hooks.faults.snapshot());
    } catch (err) {
      sendControlError(res, err);
    }
  });

  router.delete('/faults', (_req, res) => {
    hooks.faults.clear();
    res.status(204).end();
  });

  return router;
}

export function sendControlError(res: express.Response, err: unknown): void {
  if (err instanceof ZodError) {
    res.status(400).json({ error: 'invalid_body', issues: err.issues });
    return;
  }
  res.status(500).json({ error: 'internal_error', message: err instanceof Error ? err.message : String(err) });
}
