import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express, Request, RequestHandler } from 'express';

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Listens on host:port (0 = a free port) and resolves once the socket is bound. */
export function listen(app: Express, port: number, host = '127.0.0.1'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      const bound = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${host}:${bound}`,
        port: bound,
        server,
        close: () =>
          new Promise<void>((done) => {
            // Keep-alive sockets from SDK agents would otherwise hold close() open.
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * The URL clients used to reach this emulator, for absolute links (Okta `Link` headers,
 * Jira `self`, Slack `response_url`). An explicit publicUrl wins; otherwise the Host header.
 */
export function baseUrlOf(req: Request, publicUrl?: string): string {
  if (publicUrl) return publicUrl.replace(/\/$/, '');
  return `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
}

export interface LoggedRequest {
  at: string;
  method: string;
  path: string;
  status: number;
}

/**
 * How many vendor API calls each route has had since start (`GET /_emulator/request-counts`), keyed
 * `METHOD /path` with ids folded to `:id`; the control surface itself is not counted. The
 * benchmark divides them by lifecycles: calls per grant against the vendor's rate limits.
 */
export class RequestCounts {
  private readonly counts = new Map<string, number>();

  add(method: string, url: string): void {
    const path = url.split('?')[0] ?? '';
    if (path.startsWith('/_emulator')) return;
    const key = `${method} ${path
      .split('/')
      .map((segment) => (/\d/.test(segment) && !/^v?\d{1,2}$/.test(segment) ? ':id' : segment))
      .join('/')}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** Keeps the last `max` requests so tests can assert what a client actually called (and counts them all). */
export function requestLogger(log: LoggedRequest[], counts?: RequestCounts, max = 500): RequestHandler {
  return (req, res, next) => {
    res.on('finish', () => {
      log.push({ at: new Date().toISOString(), method: req.method, path: req.originalUrl, status: res.statusCode });
      if (log.length > max) log.splice(0, log.length - max);
      counts?.add(req.method, req.originalUrl);
    });
    next();
  };
}

/** A vendor-looking random id: prefix + base-36 characters. */
export function randomId(prefix: string, length = 17): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const bytes = randomBytes(length);
  let id = prefix;
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}
