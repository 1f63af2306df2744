/**
 * Slack's Socket Mode, emulated (docs.slack.dev "Using Socket Mode"; research/round2.md §9).
 *
 * - The app calls `apps.connections.open` with its app-level token (`xapp-…`, scope
 *   connections:write) and gets a one-time `ws://…/link/?ticket=…` URL on the emulator's own port.
 * - On connect the emulator sends `hello`, then pushes envelopes (`events_api`, `interactive`,
 *   `slash_commands`) whose `payload` is the JSON Slack would have POSTed to the Request URL, and
 *   waits for the app's acknowledgement `{envelope_id, payload?}` (3 s, as Slack).
 * - Tests drop the connections (the network goes away: the app must reconnect by itself) or send
 *   Slack's polite `disconnect` (the app reconnects at once).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { Router, type Request } from 'express';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AppResponse } from './signing';

export type EnvelopeType = 'events_api' | 'interactive' | 'slash_commands';

export interface SocketModeOptions {
  /** apps.connections.open accepts exactly this token when set; otherwise any `xapp-` token. */
  appToken?: string;
  /** How long an envelope waits for its acknowledgement (Slack: 3 s). */
  ackTimeoutMs?: number;
  /** How often the emulator pings each connection, as Slack does; 0 = never. */
  pingIntervalMs?: number;
  /** How long a URL from apps.connections.open may wait before it is used. */
  ticketTtlMs?: number;
}

/** Raised when an envelope cannot be delivered or is not acknowledged; `code` is the control API's error. */
export class SocketModeDeliveryError extends Error {
  constructor(readonly code: 'no_socket_connection' | 'envelope_not_acked') {
    super(code);
  }
}

interface Connection {
  id: string;
  socket: WebSocket;
  openedAt: string;
}

interface Pending {
  type: EnvelopeType;
  resolve(response: AppResponse): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface EnvelopeRecord {
  envelope_id: string;
  type: EnvelopeType;
  connection: string;
  at: string;
  /** The app's ack payload, once acknowledged. */
  ack?: Record<string, unknown>;
}

export interface SocketModeStats {
  /** Connections open now. */
  open: number;
  /** Connections ever accepted (a reconnect adds one). */
  opened: number;
  /** apps.connections.open calls that returned a URL. */
  urlsIssued: number;
  /** apps.connections.open calls refused (bad or missing token). */
  refused: number;
  envelopes: EnvelopeRecord[];
}

export const SOCKET_PATH = '/link/';

export class SocketModeHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Map<string, number>();
  private readonly connections = new Map<string, Connection>();
  private readonly pending = new Map<string, Pending>();
  private readonly records: EnvelopeRecord[] = [];
  private opened = 0;
  private urlsIssued = 0;
  private refused = 0;
  private nextConnection = 0;
  private pinger?: NodeJS.Timeout;
  private readonly servers = new Set<Server>();

  constructor(
    private readonly appId: () => string,
    private readonly options: SocketModeOptions = {},
  ) {}

  /** Takes WebSocket upgrades on `server` at /link/ (the emulator's HTTP port serves both). */
  attach(server: Server): void {
    if (this.servers.has(server)) return;
    this.servers.add(server);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    const every = this.options.pingIntervalMs ?? 10_000;
    if (every > 0 && !this.pinger) {
      this.pinger = setInterval(() => {
        for (const { socket } of this.connections.values()) socket.ping();
      }, every);
      this.pinger.unref();
    }
  }

  /** `POST /api/apps.connections.open`, before the Web API's bot-token check. */
  router(baseUrl: (req: Request) => string): Router {
    const router = Router();
    router.all('/api/apps.connections.open', express.urlencoded({ extended: false }), express.json(), (req, res) => {
      const header = req.get('authorization');
      const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : typeof req.body?.token === 'string' ? (req.body.token as string) : '';
      const refuse = (error: string) => {
        this.refused += 1;
        res.status(200).json({ ok: false, error });
      };
      if (!token) return refuse('not_authed');
      // Slack answers a bot or user token here with not_allowed_token_type.
      if (!token.startsWith('xapp-')) return refuse('not_allowed_token_type');
      if (this.options.appToken && token !== this.options.appToken) return refuse('invalid_auth');
      const ticket = randomUUID();
      this.tickets.set(ticket, Date.now() + (this.options.ticketTtlMs ?? 60_000));
      this.urlsIssued += 1;
      const base = baseUrl(req).replace(/^http/, 'ws');
      res.status(200).json({ ok: true, url: `${base}${SOCKET_PATH}?ticket=${ticket}&app_id=${this.appId()}` });
    });
    return router;
  }

  /** Is any app connected (and greeted)? */
  get connected(): boolean {
    return this.openConnections().length > 0;
  }

  stats(): SocketModeStats {
    return { open: this.openConnections().length, opened: this.opened, urlsIssued: this.urlsIssued, refused: this.refused, envelopes: [...this.records] };
  }

  /**
   * Pushes one envelope to a connected app (round robin over open connections, as Slack spreads
   * them) and resolves with its acknowledgement in the shape of an HTTP answer: status 200 and the
   * ack's payload as the body (a slash command's message, a view submission's response_action).
   */
  deliver(type: EnvelopeType, payload: Record<string, unknown>): Promise<AppResponse> {
    const open = this.openConnections();
    if (open.length === 0) return Promise.reject(new SocketModeDeliveryError('no_socket_connection'));
    const connection = open[this.nextConnection++ % open.length]!;
    const envelopeId = randomUUID();
    const envelope = {
      envelope_id: envelopeId,
      type,
      payload,
      // Slack lets interactions and commands answer in the ack; events never.
      accepts_response_payload: type !== 'events_api',
      ...(type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
    };
    const record: EnvelopeRecord = { envelope_id: envelopeId, type, connection: connection.id, at: new Date().toISOString() };
    this.records.push(record);
    if (this.records.length > 500) this.records.splice(0, this.records.length - 500);
    return new Promise<AppResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(new SocketModeDeliveryError('envelope_not_acked'));
      }, this.options.ackTimeoutMs ?? 3000);
      this.pending.set(envelopeId, {
        type,
        timer,
        reject,
        resolve: (response) => {
          record.ack = response.body && typeof response.body === 'object' ? (response.body as Record<string, unknown>) : {};
          resolve(response);
        },
      });
      connection.socket.send(JSON.stringify(envelope), (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(envelopeId);
        reject(new SocketModeDeliveryError('no_socket_connection'));
      });
    });
  }

  /** The network goes away: every connection is cut without a close frame. Returns how many. */
  drop(): number {
    const open = [...this.connections.values()];
    for (const { socket } of open) socket.terminate();
    return open.length;
  }

  /** Slack's `disconnect` message (a server being recycled): the app is asked to reconnect. */
  requestReconnect(reason = 'refresh_requested'): number {
    const open = this.openConnections();
    for (const { socket } of open) socket.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'gatehouse-slack-emulator' } }));
    return open.length;
  }

  /** Forgets the counters and envelopes (not the connections). */
  reset(): void {
    this.records.length = 0;
    this.opened = 0;
    this.urlsIssued = 0;
    this.refused = 0;
  }

  close(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = undefined;
    for (const { socket } of this.connections.values()) socket.terminate();
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new SocketModeDeliveryError('no_socket_connection'));
    }
    this.pending.clear();
    this.wss.close();
  }

  private openConnections(): Connection[] {
    return [...this.connections.values()].filter((c) => c.socket.readyState === c.socket.OPEN);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname !== SOCKET_PATH && url.pathname !== SOCKET_PATH.replace(/\/$/, '')) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const ticket = url.searchParams.get('ticket') ?? '';
    const expires = this.tickets.get(ticket);
    // A URL is good once, for a short while.
    this.tickets.delete(ticket);
    if (!expires || expires < Date.now()) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(socket: WebSocket): void {
    const id = `conn-${randomBytes(4).toString('hex')}`;
    this.connections.set(id, { id, socket, openedAt: new Date().toISOString() });
    this.opened += 1;
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) this.onMessage(data.toString());
    });
    socket.on('close', () => this.connections.delete(id));
    socket.on('error', () => this.connections.delete(id));
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.connections.size,
        debug_info: { host: 'gatehouse-slack-emulator', build_number: 1, approximate_connection_time: 3600 },
        connection_info: { app_id: this.appId() },
      }),
    );
  }

  private onMessage(text: string): void {
    let message: { envelope_id?: unknown; payload?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return; // Slack ignores what it cannot read
    }
    if (typeof message.envelope_id !== 'string') return;
    const pending = this.pending.get(message.envelope_id);
    if (!pending) return; // late or unknown: Slack drops it
    this.pending.delete(message.envelope_id);
    clearTimeout(pending.timer);
    const payload = message.payload && typeof message.payload === 'object' ? (message.payload as Record<string, unknown>) : undefined;
    pending.resolve({ status: 200, body: payload && Object.keys(payload).length ? payload : '' });
  }
}
