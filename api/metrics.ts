/**
 * The API's Prometheus metrics (GET /metrics): HTTP latency and counts by route template and
 * status, plus the process's default metrics. One registry per app, so tests can build several.
 */
import type { Request, RequestHandler, Response } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The route template of a handled request ("/v1/requests/:id/approve"), or "unmatched". The
 * template bounds the label's values; a raw URL would let any caller mint new series.
 */
export function routeLabel(req: Request): string {
  const routePath = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof routePath !== 'string') return 'unmatched';
  // The mount prefix is the matched URL minus as many segments as the route's own path has.
  const urlSegments = (req.originalUrl.split('?')[0] ?? '').split('/').filter(Boolean);
  const routeSegments = routePath.split('/').filter(Boolean);
  const base = urlSegments.slice(0, urlSegments.length - routeSegments.length);
  return `/${[...base, ...routeSegments].join('/')}`;
}

export function createHttpMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_api_' });
  const labelNames = ['method', 'route', 'status'] as const;
  const duration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request latency by route template and status',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const total = new Counter({ name: 'gatehouse_http_requests_total', help: 'HTTP requests by route template and status', labelNames, registers: [registry] });

  const middleware: RequestHandler = (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const labels = { method: req.method, route: routeLabel(req), status: String(res.statusCode) };
      duration.observe(labels, (performance.now() - started) / 1000);
      total.inc(labels);
    });
    next();
  };
  const handler = async (_req: Request, res: Response) => {
    res.type(registry.contentType).send(await registry.metrics());
  };
  return { registry, middleware, handler };
}
