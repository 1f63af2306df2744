import type { Server } from 'node:http';
import express, { type ErrorRequestHandler, type Express, type Response } from 'express';
import { createControlRouter } from '../shared/control';
import type { Directory } from '../shared/directory';
import { FaultInjector } from '../shared/faults';
import { baseUrlOf, RequestCounts, requestLogger, type LoggedRequest } from '../shared/http';
import { interactionsRouter, type AppTarget } from './interactions';
import { pageRouter } from './page';
import { SocketModeHub, type SocketModeOptions } from './socket-mode';
import { SlackState } from './state';
import { webApiRouter } from './web-api';

export interface SlackEmulatorOptions {
  directory?: Directory;
  /** The app's Slack request URL (Bolt's /slack/events); settable later with setApp or POST /_emulator/config. */
  appEventsUrl?: string;
  signingSecret?: string;
  /** When set, Web API calls must carry exactly this token (invalid_auth otherwise). */
  botToken?: string;
  /** Deliver over Socket Mode instead of POSTing to appEventsUrl (settable later, like appEventsUrl). */
  socketMode?: boolean;
  /** Socket Mode: the app-level token apps.connections.open accepts (unset: any xapp- token), ack timeout, pings. */
  socket?: SocketModeOptions;
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
  /** Socket Mode connections, envelopes and acks; drop() cuts every connection. */
  socket: SocketModeHub;
  setApp(target: { appEventsUrl?: string; signingSecret?: string; socketMode?: boolean }): void;
  /** Takes Socket Mode WebSocket upgrades on the server this emulator's app listens on. */
  attach(server: Server): void;
  /** Closes the Socket Mode connections (the HTTP server is closed by whoever listens). */
  close(): void;
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
    socketMode: options.socketMode ?? false,
    signingSecret: options.signingSecret ?? 'dev-signing-secret',
    verificationToken: 'emulator-verification-token',
  };
  const baseUrl = (req: express.Request) => baseUrlOf(req, options.publicUrl);
  const socket = new SocketModeHub(() => state.bot.appId, options.socket);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const counts = new RequestCounts();
  app.use(requestLogger(requests, counts));
  // Tests turn a person into a guest, a bot, a deleted account or a member of another workspace.
  app.patch('/_emulator/users/:id', express.json(), (req, res) => {
    const user = state.findUser(req.params.id);
    if (!user) return void res.status(404).json({ error: 'user_not_found' });
    const body = (req.body ?? {}) as Record<string, unknown>;
    for (const key of ['deleted', 'is_bot', 'is_restricted', 'is_ultra_restricted'] as const) if (typeof body[key] === 'boolean') user[key] = body[key];
    if (typeof body.team_id === 'string') user.team_id = body.team_id;
    res.json({ user });
  });
  // Socket Mode: what is connected and what was delivered and acked; cut the connections; ask to reconnect.
  app.get('/_emulator/socket', (_req, res) => res.json({ socketMode: target.socketMode, ...socket.stats() }));
  app.post('/_emulator/socket/drop', (_req, res) => res.json({ dropped: socket.drop() }));
  app.post('/_emulator/socket/disconnect', (_req, res) => res.json({ asked: socket.requestReconnect() }));
  app.use(
    '/_emulator',
    createControlRouter({
      counts,
      dump: () => state.dump(),
      reset: () => {
        state.reset();
        socket.reset();
      },
      seed: (d) => state.seed(d),
      faults,
    }),
  );
  app.use(interactionsRouter({ state, baseUrl, app: target, socket }));
  app.use(pageRouter(state));

  app.use('/api', faults.middleware({ rateLimited, serverError: (res, status) => res.status(status).json({ ok: false, error: 'service_unavailable' }) }));
  // apps.connections.open takes the app-level token, not the bot token: before the Web API's check.
  app.use(socket.router(baseUrl));
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
    socket,
    setApp: (next) => Object.assign(target, Object.fromEntries(Object.entries(next).filter(([, value]) => value !== undefined))),
    attach: (server) => socket.attach(server),
    close: () => socket.close(),
    reset: () => {
      state.reset();
      socket.reset();
    },
    seed: (d) => state.seed(d),
  };
}
