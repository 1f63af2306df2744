import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON (POST deliveries), else undefined. */
  body: unknown;
  at: number;
}

/** How the receiver answers the n-th POST (1-based): a status, optionally after a delay. */
export type PostBehaviour = (n: number, request: ReceivedRequest) => { status: number; delayMs?: number };

/**
 * A stand-in for Gatehouse's /hooks/okta in emulator tests: answers Okta's verification GET by
 * echoing the challenge (or not, when told), and records every delivery it is sent.
 */
export class HookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** false: answer the challenge GET with 200 but the wrong value (verification must fail). */
  echoChallenge = true;
  onPost: PostBehaviour = () => ({ status: 200 });
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const request: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, at: Date.now() };
      this.requests.push(request);
      if (req.method === 'GET') {
        const challenge = req.headers['x-okta-verification-challenge'];
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ verification: this.echoChallenge ? challenge : 'wrong' }));
        return;
      }
      const { status, delayMs = 0 } = this.onPost(this.posts().length, request);
      const timer = setTimeout(() => {
        if (!res.destroyed) res.writeHead(status).end();
      }, delayMs);
      res.on('close', () => clearTimeout(timer));
    });
  });
  url = '';

  async start(path = '/hooks/okta'): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
    return this;
  }

  posts(): ReceivedRequest[] {
    return this.requests.filter((request) => request.method === 'POST');
  }

  /** The System Log events delivered so far, in arrival order. */
  events(): Array<{ uuid: string; eventType: string; published: string; debugContext: { debugData: Record<string, string> }; target: Array<{ id: string; type: string }> }> {
    return this.posts().flatMap((post) => (post.body as { data: { events: never[] } }).data.events);
  }

  clear(): void {
    this.requests.length = 0;
    this.echoChallenge = true;
    this.onPost = () => ({ status: 200 });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
