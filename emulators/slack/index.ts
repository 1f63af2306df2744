import express, { type ErrorRequestHandler, type Express, type Response } from 'express';
import { createControlRouter } from '../shared/control';
import type { Directory } from '../shared/directory';
import { FaultInjector } from '../shared/faults';
import { baseUrlOf, requestLogger, type LoggedRequest } from '../shared/http';
import { interactionsRouter, type AppTarget } from './interactions';
import { pageRouter } from './page';
import { SlackState } from './state';
import { webApiRouter } from './web-api';

export interface SlackEmulatorOptions {
  directory?: Directory;
  /** The app's Slack request URL (Bolt's /slack/events); settable later with setApp or POST /_emulator/config. */
  appEventsUrl?: string;
  signingSecret?: string;
  /** When set, Web API calls must carry exactly this token (invalid_auth otherwise). */
  botToken?: string;
  /** Slack's trigger_id lifetime is 3 s. */
  triggerTtlMs?: number;
  publicUrl?: string;
}

export interface SlackEmulator {
  app: Express;
  state: SlackState;
  faults: FaultInjector;
  requests: LoggedRequest[];
  /** The current app target; mutate through setApp. */
  target: AppTarget;
  setApp(target: { appEventsUrl?: string; signingSecret?: string }): void;
  reset(): void;
  seed(directory: Directory): void;
}

function rateLimited(res: Response, retryAfterSec: number): void {
  res.setHeader('Retry-After', String(Math.max(0, Math.ceil(retryAfterSec))));
  res.status(429).json({ ok: false, error: 'ratelimited' });
}

export function createSlackEmulator(options: SlackEmulatorOptions = {}): SlackEmulator {
  const state = new SlackState();
  const faults = new FaultInjector();
  const requests: LoggedRequest[] = [];
  const target: AppTarget = {
    appEventsUrl: options.appEventsUrl,
    signingSecret: options.signingSecret ?? 'dev-signing-secret',
    verificationToken: 'emulator-verification-token',
  };
  const baseUrl = (req: express.Request) => baseUrlOf(req, options.publicUrl);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLogger(requests));
  // Tests turn a person into a guest, a bot, a deleted account or a member of another workspace.
  app.patch('/_emulator/users/:id', express.json(), (req, res) => {
    const user = state.findUser(req.params.id);
    if (!user) return void res.status(404).json({ error: 'user_not_found' });
    const body = (req.body ?? {}) as Record<string, unknown>;
    for (const key of ['deleted', 'is_bot', 'is_restricted', 'is_ultra_restricted'] as const) if (typeof body[key] === 'boolean') user[key] = body[key];
    if (typeof body.team_id === 'string') user.team_id = body.team_id;
    res.json({ user });
  });
  app.use('/_emulator', createControlRouter({ dump: () => state.dump(), reset: () => state.reset(), seed: (d) => state.seed(d), faults }));
  app.use(interactionsRouter({ state, baseUrl, app: target }));
  app.use(pageRouter(state));

  app.use('/api', faults.middleware({ rateLimited, serverError: (res, status) => res.status(status).json({ ok: false, error: 'service_unavailable' }) }));
  app.use(webApiRouter({ state, baseUrl, triggerTtlMs: options.triggerTtlMs ?? 3000, botToken: options.botToken }));
  app.use((_req, res) => res.status(404).json({ ok: false, error: 'not_found' }));
  const onError: ErrorRequestHandler = (err: { type?: string; message?: string }, _req, res, _next) => {
    if (err.type === 'entity.parse.failed') return void res.status(200).json({ ok: false, error: 'invalid_json' });
    res.status(500).json({ ok: false, error: 'internal_error', detail: err.message });
  };
  app.use(onError);

  if (options.directory) state.seed(options.directory);
  return {
    app,
    state,
    faults,
    requests,
    target,
    setApp: (next) => Object.assign(target, Object.fromEntries(Object.entries(next).filter(([, value]) => value !== undefined))),
    reset: () => state.reset(),
    seed: (d) => state.seed(d),
  };
}
