/**
 * The HTTP API as an Express application, built from its dependencies and never listening itself
 * (STYLE rule 10): main.ts listens, tests drive it with supertest.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { rateLimit } from 'express-rate-limit';
import type { Policy } from '../activities/policy/schema';
import type { OktaPort } from '../activities/ports';
import { createRequestService, type RequestService } from './access-requests';
import { oktaHookRouter } from './hooks/okta';
import { createRiskService, type RiskService } from './risk';
import type { ApiToken } from '../activities/settings';
import { authenticate, callerKey, callerOf } from './auth';
import type { OktaTokenVerifier } from './identity/okta-token';
import { refuseBadText } from './input-guard';
import { createPeople } from './people';
import { errorMiddleware, HttpError, notFoundRoute, sendError } from './errors';
import { createHttpMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { portalRouter, type PortalOptions } from './portal';
import { auditRouter, type AuditReader } from './routes/audit';
import { healthRouter } from './routes/health';
import { requestsRouter } from './routes/requests';
import { resourcesRouter } from './routes/resources';
import { reviewsRouter, riskRouter } from './routes/risk';
import { standingMembersRouter } from './routes/standing-members';
import { temporaryAccountsRouter } from './routes/temporary-accounts';
import { createTemporaryAccountService, type TemporaryAccountService } from './temporary-accounts';

export interface ApiDeps {
  temporal: Client;
  taskQueue: string;
  /** The current policy (read per request, so a reload applies to new requests). */
  policy: () => Policy;
  okta: OktaPort;
  /** token → { name, scopes } (GATEHOUSE_API_TOKENS). */
  tokens: Map<string, ApiToken>;
  /** Okta-issued access tokens (JWTs), when OKTA_OIDC_ISSUER is set. */
  oktaTokens?: OktaTokenVerifier;
  /** Requests per minute per caller on /v1 (0 = no limit; default 600). */
  rateLimitPerMinute?: number;
  /** Temporal Web UI base, e.g. http://127.0.0.1:8233. */
  webUiUrl: string;
  namespace: string;
  logger: Logger;
  /**
   * Mounts routers that must see the raw body, before any body parser: the Slack Bolt receiver
   * (`/slack/events`, signature checks need the raw bytes) and the Okta event hook go here.
   */
  beforeParsers?: (app: express.Application, service: RequestService, services: { accounts: TemporaryAccountService; risk: RiskService }) => void;
  /** OKTA_EVENT_HOOK_SECRET: turns /hooks/okta on (404 without it). */
  oktaHookSecret?: string;
  /** How long a status query may wait for a worker (default 3 s) before answering from visibility. */
  queryTimeoutMs?: number;
  /** How long a decision Update may wait for a worker (default 10 s) before a 503. */
  updateTimeoutMs?: number;
  /** Key that signs list page tokens; by default derived from the API tokens, so replicas agree. */
  pageTokenKey?: Buffer;
  /** The audit store (GET /v1/audit, request trails, readiness); without it those answer 503 / omit it. */
  audit?: AuditReader;
  /** The self-service portal (SPEC §13): on when Okta sign-in is configured. */
  portal?: PortalOptions;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Request and response headers in logs, minus credentials. */
function redactHeaders(headers: Record<string, unknown> | undefined) {
  if (!headers) return headers;
  const { authorization: _a, cookie: _c, 'x-slack-signature': _s, ...rest } = headers;
  return rest;
}

export function createApp(deps: ApiDeps): express.Application {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  // First, so every request is measured, including refused ones.
  const metrics = createHttpMetrics();
  app.use(metrics.middleware);

  app.use(
    pinoHttp({
      logger: deps.logger,
      // Reuse the caller's request id when it is sane, so logs join up across services.
      genReqId: (req: IncomingMessage, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      serializers: {
        req: (req: { id: unknown; method: string; url: string; headers?: Record<string, unknown>; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
          headers: redactHeaders(req.headers),
          remoteAddress: req.remoteAddress,
        }),
      },
      customProps: (_req, res) => {
        const caller = (res as express.Response).locals?.caller;
        return { caller: caller ? callerKey(caller) : undefined };
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );

  const risk = createRiskService({ temporal: deps.temporal, taskQueue: deps.taskQueue, queryTimeoutMs: deps.queryTimeoutMs, updateTimeoutMs: deps.updateTimeoutMs });
  // One service for every entry point (HTTP routes, Slack): same checks, same duplicate guard.
  const pageTokenKey = deps.pageTokenKey ?? createHash('sha256').update(`gatehouse page tokens\n${[...deps.tokens.keys()].sort().join('\n')}`).digest();
  const service = createRequestService({
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    queryTimeoutMs: deps.queryTimeoutMs,
    updateTimeoutMs: deps.updateTimeoutMs,
    ...(deps.audit ? { ledger: deps.audit } : {}),
    // A user Okta rates HIGH (quarantined) may request nothing (SPEC §12).
    riskGate: risk.refuseIfQuarantined,
    pageTokenKey,
  });
  const accounts = createTemporaryAccountService({
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    okta: deps.okta,
    policy: deps.policy,
    pageTokenKey,
    queryTimeoutMs: deps.queryTimeoutMs,
    updateTimeoutMs: deps.updateTimeoutMs,
    ...(deps.portal ? { publicUrl: deps.portal.publicUrl } : {}),
  });

  const people = createPeople(deps.okta);

  // Raw-body consumers (Slack Bolt at /slack/events, Okta hooks) mount here, before any parser.
  deps.beforeParsers?.(app, service, { accounts, risk });
  if (deps.oktaHookSecret) app.use(oktaHookRouter({ secret: deps.oktaHookSecret, policy: deps.policy, risk, registry: metrics.registry, logger: deps.logger }));

  app.use(healthRouter(deps.temporal, deps.audit));
  app.get('/metrics', metrics.handler);
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  const v1 = express.Router();
  // Auth first: an unauthenticated body is never parsed.
  v1.use(authenticate({ tokens: deps.tokens, okta: deps.oktaTokens, people }));
  // One integration must not spend the Okta org's rate limit that revocations need.
  if ((deps.rateLimitPerMinute ?? 600) > 0) v1.use(perCallerRateLimit(deps.rateLimitPerMinute ?? 600));
  v1.use(express.json({ limit: '64kb' }));
  v1.use(refuseBadText);
  v1.use('/requests', requestsRouter(deps, service, people));
  v1.use('/resources', resourcesRouter(deps));
  v1.use('/audit', auditRouter(deps.audit));
  v1.use('/standing-members', standingMembersRouter(deps, people));
  v1.use('/temporary-accounts', temporaryAccountsRouter(deps, accounts, people));
  v1.use('/risk', riskRouter(deps, risk, people));
  v1.use('/reviews', reviewsRouter(deps, risk, people));
  v1.use(notFoundRoute);
  app.use('/v1', v1);

  if (deps.portal) {
    app.use(portalRouter(deps.portal, { service, accounts, risk, people, policy: deps.policy, okta: deps.okta, audit: deps.audit, links: { webUiUrl: deps.webUiUrl, namespace: deps.namespace }, logger: deps.logger }));
  }

  app.use(notFoundRoute);
  app.use(errorMiddleware);
  return app;
}

/** 429 with Retry-After once a caller (token, person or Okta client) passes its per-minute budget. */
function perCallerRateLimit(perMinute: number): express.RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req, res) => callerKey(callerOf(res)),
    handler: (_req, res, _next, options) => {
      const retryAfterS = Number(res.getHeader('Retry-After')) || Math.ceil(options.windowMs / 1000);
      sendError(res, new HttpError(429, 'rate_limited', `more than ${perMinute} requests in a minute from this caller; slow down`, [], {}, retryAfterS));
    },
  });
}
