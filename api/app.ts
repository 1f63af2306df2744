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
import type { Policy } from '../activities/policy/schema';
import type { OktaPort } from '../activities/ports';
import { createRequestService, type RequestService } from './access-requests';
import { bearerAuth } from './auth';
import { errorMiddleware, notFoundRoute } from './errors';
import { createHttpMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { auditRouter, type AuditReader } from './routes/audit';
import { healthRouter } from './routes/health';
import { requestsRouter } from './routes/requests';
import { resourcesRouter } from './routes/resources';

export interface ApiDeps {
  temporal: Client;
  taskQueue: string;
  /** The current policy (read per request, so a reload applies to new requests). */
  policy: () => Policy;
  okta: OktaPort;
  /** token → caller name (GATEHOUSE_API_TOKENS). */
  tokens: Map<string, string>;
  /** Temporal Web UI base, e.g. http://127.0.0.1:8233. */
  webUiUrl: string;
  namespace: string;
  logger: Logger;
  /**
   * Mounts routers that must see the raw body, before any body parser: the Slack Bolt receiver
   * (`/slack/events`, signature checks need the raw bytes) and the Okta event hook go here.
   */
  beforeParsers?: (app: express.Application, service: RequestService) => void;
  /** How long a status query may wait for a worker (default 3 s) before answering from visibility. */
  queryTimeoutMs?: number;
  /** How long a decision Update may wait for a worker (default 10 s) before a 503. */
  updateTimeoutMs?: number;
  /** Key that signs list page tokens; by default derived from the API tokens, so replicas agree. */
  pageTokenKey?: Buffer;
  /** The audit store (GET /v1/audit, request trails, readiness); without it those answer 503 / omit it. */
  audit?: AuditReader;
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
      customProps: (_req, res) => ({ caller: (res as express.Response).locals?.caller }),
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );

  // One service for every entry point (HTTP routes, Slack): same checks, same duplicate guard.
  const service = createRequestService({
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    queryTimeoutMs: deps.queryTimeoutMs,
    updateTimeoutMs: deps.updateTimeoutMs,
    pageTokenKey: deps.pageTokenKey ?? createHash('sha256').update(`gatehouse page tokens\n${[...deps.tokens.keys()].sort().join('\n')}`).digest(),
  });

  // Raw-body consumers (Slack Bolt at /slack/events, Okta hooks) mount here, before any parser.
  deps.beforeParsers?.(app, service);

  app.use(healthRouter(deps.temporal, deps.audit));
  app.get('/metrics', metrics.handler);
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  const v1 = express.Router();
  // Auth first: an unauthenticated body is never parsed.
  v1.use(bearerAuth(deps.tokens));
  v1.use(express.json({ limit: '64kb' }));
  v1.use('/requests', requestsRouter(deps, service));
  v1.use('/resources', resourcesRouter(deps));
  v1.use('/audit', auditRouter(deps.audit));
  v1.use(notFoundRoute);
  app.use('/v1', v1);

  app.use(notFoundRoute);
  app.use(errorMiddleware);
  return app;
}
