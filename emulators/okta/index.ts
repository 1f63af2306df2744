import express, { type ErrorRequestHandler, type Express, type Response } from 'express';
import { createControlRouter } from '../shared/control';
import type { Directory } from '../shared/directory';
import { FaultInjector } from '../shared/faults';
import { baseUrlOf, RequestCounts, requestLogger, type LoggedRequest } from '../shared/http';
import { rateLimitHeaders, requireOktaAuth, tokenRouter } from './auth';
import type { OktaContext } from './context';
import { OidcProvider, oidcControlRouter, oidcRouter, type OidcOptions } from './oidc';
import { eventHookJson, EventHooks } from './event-hooks';
import { appsRouter } from './routes-apps';
import { eventHooksControlRouter, eventHooksRouter } from './routes-event-hooks';
import { groupsRouter } from './routes-groups';
import { logsRouter } from './routes-logs';
import { riskControlRouter, riskRouter } from './routes-risk';
import { schemasRouter } from './routes-schemas';
import { usersRouter } from './routes-users';
import { OktaState } from './state';
import { apiActor, requestLogContext } from './system-log';
import { sendOktaError } from './wire';

export interface OktaEmulatorOptions {
  directory?: Directory;
  /** Overrides Okta's default page size on every list endpoint (tests use a small one). */
  pageSize?: number;
  /** Base of absolute links and of the OpenID issuer; default: the Host the client used. */
  publicUrl?: string;
  /** The OpenID provider at <base>/oauth2/default: its dev client and custom scopes. */
  oidc?: OidcOptions;
  /** How long an event hook receiver may take to answer (Okta: 3000 ms); tests shorten it. */
  eventHookTimeoutMs?: number;
}

export interface OktaEmulator {
  app: Express;
  state: OktaState;
  oidc: OidcProvider;
  eventHooks: EventHooks;
  faults: FaultInjector;
  requests: LoggedRequest[];
  reset(): void;
  seed(directory: Directory): void;
}

function rateLimited(res: Response, retryAfterSec: number): void {
  // The SDK waits reset*1000 - Date + 1000 ms: a reset in the past makes it retry at once.
  res.setHeader('X-Rate-Limit-Remaining', '0');
  res.setHeader('X-Rate-Limit-Reset', String(Math.floor(Date.now() / 1000) + retryAfterSec));
  sendOktaError(res, 429, 'E0000047', 'API call exceeded rate limit due to too many requests.');
}

export function createOktaEmulator(options: OktaEmulatorOptions = {}): OktaEmulator {
  const state = new OktaState();
  const oidc = new OidcProvider(state, options.oidc);
  const eventHooks = new EventHooks(state.systemLog, { timeoutMs: options.eventHookTimeoutMs });
  const faults = new FaultInjector();
  const requests: LoggedRequest[] = [];
  const limit = (okta: number, max: number) => ({ defaultLimit: options.pageSize ?? okta, maxLimit: Math.max(max, options.pageSize ?? 0) });
  const ctx: OktaContext = {
    state,
    baseUrl: (req) => baseUrlOf(req, options.publicUrl),
    limits: { users: limit(200, 200), groups: limit(10_000, 10_000), groupUsers: limit(1000, 10_000), appUsers: limit(50, 500) },
    record: (req, res, input) => state.systemLog.record(requestLogContext(req, res, apiActor(req, state.accessTokens)), input),
  };
  const reset = () => {
    state.reset();
    oidc.reset();
    eventHooks.reset();
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const counts = new RequestCounts();
  app.use(requestLogger(requests, counts));
  // The membership event log, from index `since` on (benchmarks time grants and revokes with it).
  app.get('/_emulator/membership-events', (req, res) => {
    const since = Math.max(0, Number(req.query.since) || 0);
    res.json({ next: state.membershipEvents.length, events: state.membershipEvents.slice(since) });
  });
  app.use('/_emulator/oidc', oidcControlRouter(oidc));
  app.use('/_emulator', riskControlRouter(state), eventHooksControlRouter(eventHooks));
  const dump = () => ({ ...state.dump(), oidc: oidc.dump(), eventHooks: [...eventHooks.hooks.values()].map((hook) => eventHookJson(hook, options.publicUrl ?? '')) });
  app.use('/_emulator', createControlRouter({ counts, dump, reset, seed: (d) => state.seed(d), faults }));

  app.use(rateLimitHeaders());
  app.use(faults.middleware({ rateLimited, serverError: (res, status) => sendOktaError(res, status, 'E0000009', 'Internal Server Error') }));
  app.use(tokenRouter(state));
  app.use(oidcRouter(ctx, oidc));
  app.use('/api/v1', requireOktaAuth(state));
  app.use(express.json({ limit: '1mb' }));
  app.use(usersRouter(ctx));
  app.use(riskRouter(ctx));
  app.use(schemasRouter(ctx));
  app.use(groupsRouter(ctx));
  app.use(appsRouter(ctx));
  app.use(logsRouter(ctx));
  app.use(eventHooksRouter(ctx, eventHooks));
  app.use((req, res) => sendOktaError(res, 404, 'E0000007', `Not found: Resource not found: ${req.path}`));
  const onError: ErrorRequestHandler = (err: { status?: number; type?: string; message?: string }, _req, res, _next) => {
    if (err.type === 'entity.parse.failed') return sendOktaError(res, 400, 'E0000003', 'The request body was not well-formed.');
    sendOktaError(res, err.status && err.status < 500 ? err.status : 500, 'E0000009', `Internal Server Error: ${err.message ?? 'unknown'}`);
  };
  app.use(onError);

  if (options.directory) state.seed(options.directory);
  return { app, state, oidc, eventHooks, faults, requests, reset, seed: (d) => state.seed(d) };
}
