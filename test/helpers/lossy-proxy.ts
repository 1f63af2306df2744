/**
 * A transparent HTTP proxy in front of an emulator that can "lose" a response: the request is
 * forwarded and fully handled upstream (the side effect happens), but the caller gets a 5xx
 * instead of the answer. That is the failure an idempotent activity must survive (the create
 * succeeded, the activity failed, Temporal retries it), and the emulators' own faults cannot make
 * it: they refuse a request before it reaches the vendor routes.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LossyProxy {
  url: string;
  /** The next `count` requests matching `method` and `path` get `status` once upstream answered. */
  loseResponses(match: { method: string; path: RegExp }, count?: number, status?: number): void;
  /** Responses swallowed so far: method, path and the upstream status the caller never saw. */
  lost: { method: string; path: string; upstreamStatus: number }[];
  close(): Promise<void>;
}

export async function startLossyProxy(target: string): Promise<LossyProxy> {
  const upstream = new URL(target);
  const rules: { method: string; path: RegExp; remaining: number; status: number }[] = [];
  const lost: LossyProxy['lost'] = [];

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const rule = rules.find((r) => r.remaining > 0 && r.method === req.method && r.path.test(path));
    if (rule) rule.remaining -= 1;
    const forward = httpRequest(
      { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        if (!rule) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        // Let the upstream finish (its side effect is done), then answer as if the network broke.
        up.resume();
        up.on('end', () => {
          lost.push({ method: req.method ?? '', path, upstreamStatus: up.statusCode ?? 0 });
          res.writeHead(rule.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errorMessages: ['response lost by the test proxy'], errors: {} }));
        });
      },
    );
    forward.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errorMessages: [`proxy: ${err.message}`], errors: {} }));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    lost,
    loseResponses(match, count = 1, status = 503) {
      rules.push({ method: match.method.toUpperCase(), path: match.path, remaining: count, status });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
