/**
 * Okta event hooks, as the emulator plays them (research/round2.md §3, external-apis.md §4):
 * the records the management API keeps, the one-time verification GET, and the delivery of
 * System Log events to every ACTIVE + VERIFIED hook that subscribes to their type.
 *
 * Delivery is asynchronous (never inside the API call that caused the event), one event per
 * request, in publication order per hook, at least once: a 5xx, a network error or no answer
 * within the timeout (Okta: 3 s) is retried once with the same `eventId`; a 4xx is not retried.
 * A fault mode duplicates (a second request with a new `eventId`, the same event `uuid`) and
 * reorders (events raised within a short window go out newest first).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { randomId } from '../shared/http';
import type { LogEvent, SystemLog } from './system-log';

export interface EventHookHeader {
  key: string;
  value: string;
}

export interface EventHookRecord {
  id: string;
  name: string;
  description: string | null;
  status: 'ACTIVE' | 'INACTIVE';
  verificationStatus: 'VERIFIED' | 'UNVERIFIED';
  created: string;
  createdBy: string;
  lastUpdated: string;
  events: { type: 'EVENT_TYPE'; items: string[]; filter: unknown };
  channel: {
    type: 'HTTP';
    version: string;
    config: { uri: string; headers: EventHookHeader[]; authScheme: { type: 'HEADER'; key: string; value: string } | null };
  };
}

/** What a create or replace body defines (the rest is the emulator's). */
export type EventHookDefinition = Pick<EventHookRecord, 'name' | 'description' | 'events' | 'channel'>;

export class EventHookValidationError extends Error {
  constructor(readonly causes: string[]) {
    super(causes.join('; '));
  }
}

/** At most this many hooks per org (help.okta.com "Create an event hook"). */
export const MAX_EVENT_HOOKS = 25;
const EVENT_TYPE_NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Validates a create / replace body. Okta requires https; the emulator also accepts http, but
 * only to a loopback address (a local Gatehouse), so it cannot be made to post anywhere else in clear.
 * `previous` is the hook being replaced: its write-only secret stays when the body leaves it out.
 */
export function parseEventHookDefinition(body: unknown, previous?: EventHookRecord): EventHookDefinition {
  const b = asObject(body);
  const causes: string[] = [];
  const name = typeof b.name === 'string' ? b.name.trim() : '';
  if (!name || name.length > 255) causes.push('name: The field cannot be left blank (at most 255 characters)');

  const events = asObject(b.events);
  const items: unknown[] = Array.isArray(events.items) ? events.items : [];
  if (events.type !== 'EVENT_TYPE') causes.push('events.type: must be EVENT_TYPE');
  if (items.length === 0) causes.push('events.items: subscribe to at least one event type');
  for (const item of items) if (typeof item !== 'string' || !EVENT_TYPE_NAME.test(item)) causes.push(`events.items: ${String(item)} is not an event type`);

  const channel = asObject(b.channel);
  const version = typeof channel.version === 'string' ? channel.version : '';
  if (channel.type !== 'HTTP') causes.push('channel.type: must be HTTP');
  if (!version) causes.push('channel.version: The field cannot be left blank');
  const config = asObject(channel.config);
  let uri = '';
  try {
    const url = new URL(String(config.uri ?? ''));
    if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))) uri = url.href;
    else causes.push('channel.config.uri: must be an https URL (the emulator also accepts http on a loopback address)');
  } catch {
    causes.push('channel.config.uri: must be an https URL');
  }
  const rawHeaders: unknown[] = config.headers === undefined || config.headers === null ? [] : Array.isArray(config.headers) ? config.headers : [null];
  const headers: EventHookHeader[] = [];
  for (const header of rawHeaders) {
    const { key, value } = (header ?? {}) as Partial<EventHookHeader>;
    if (typeof key !== 'string' || !/^[A-Za-z0-9-]+$/.test(key) || typeof value !== 'string') causes.push('channel.config.headers: each header needs a key (a header name) and a string value');
    else headers.push({ key, value });
  }
  let authScheme: EventHookRecord['channel']['config']['authScheme'] = null;
  if (config.authScheme !== undefined && config.authScheme !== null) {
    const { type, key, value } = asObject(config.authScheme);
    const kept = previous?.channel.config.authScheme;
    const secret = typeof value === 'string' ? value : kept && kept.key === key ? kept.value : undefined;
    if (type !== 'HEADER') causes.push('channel.config.authScheme.type: must be HEADER');
    else if (typeof key !== 'string' || !/^[A-Za-z0-9-]+$/.test(key)) causes.push('channel.config.authScheme.key: must be a header name');
    else if (secret === undefined) causes.push('channel.config.authScheme.value: The field cannot be left blank');
    else authScheme = { type, key, value: secret };
  }
  if (causes.length) throw new EventHookValidationError(causes);
  return {
    name,
    description: typeof b.description === 'string' ? b.description : null,
    events: { type: 'EVENT_TYPE', items: [...new Set(items as string[])], filter: events.filter ?? null },
    channel: { type: 'HTTP', version, config: { uri, headers, authScheme } },
  };
}

/** The EventHook resource; `authScheme.value` is write-only and never returned. */
export function eventHookJson(hook: EventHookRecord, base: string): Record<string, unknown> {
  const self = `${base}/api/v1/eventHooks/${hook.id}`;
  const { authScheme } = hook.channel.config;
  return {
    ...hook,
    channel: {
      ...hook.channel,
      config: { uri: hook.channel.config.uri, headers: hook.channel.config.headers, method: 'POST', authScheme: authScheme ? { type: authScheme.type, key: authScheme.key } : null },
    },
    _links: {
      self: { href: self, hints: { allow: ['GET', 'PUT', 'DELETE'] } },
      verify: { href: `${self}/lifecycle/verify`, hints: { allow: ['POST'] } },
      ...(hook.status === 'ACTIVE'
        ? { deactivate: { href: `${self}/lifecycle/deactivate`, hints: { allow: ['POST'] } } }
        : { activate: { href: `${self}/lifecycle/activate`, hints: { allow: ['POST'] } } }),
    },
  };
}

export interface DeliveryAttempt {
  kind: 'verification' | 'event';
  hookId: string;
  hookName: string;
  /** The envelope id (events only); a retry carries the same one, a duplicate a new one. */
  eventId: string | null;
  eventUuids: string[];
  eventTypes: string[];
  attempt: 1 | 2;
  /** HTTP status, or null when there was no answer (timeout, refused connection). */
  status: number | null;
  error?: string;
  durationMs: number;
  at: string;
}

export interface DeliveryFaults {
  /** Probability (0..1) that an event is delivered a second time, as a separate request. */
  duplicate: number;
  /** Events raised within `reorderWindowMs` of each other are delivered newest first. */
  reorder: boolean;
  reorderWindowMs: number;
  /** Seed of the generator that decides duplicates (same seed, same choices). */
  seed: number;
}

const NO_FAULTS: DeliveryFaults = { duplicate: 0, reorder: false, reorderWindowMs: 200, seed: 1 };

/** A small seeded generator (mulberry32): fault runs repeat exactly. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Answer {
  status: number | null;
  body: string;
  error?: string;
  durationMs: number;
}

export interface EventHooksOptions {
  /** How long Okta waits for the receiver (3 s); tests shorten it. */
  timeoutMs?: number;
}

export class EventHooks {
  readonly hooks = new Map<string, EventHookRecord>();
  deliveries: DeliveryAttempt[] = [];
  private faults: DeliveryFaults = { ...NO_FAULTS };
  private random = seededRandom(NO_FAULTS.seed);
  private held: LogEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private chains = new Map<string, Promise<void>>();
  /** The org URL each hook was created through: a delivery's `source` is `{org}/api/v1/eventHooks/{id}`. */
  private orgUrls = new Map<string, string>();
  /** Bumped by reset(): answers to requests sent before it are not recorded. */
  private generation = 0;
  private readonly timeoutMs: number;

  constructor(log: SystemLog, options: EventHooksOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 3000;
    log.subscribe((event) => this.onEvent(event));
  }

  reset(): void {
    this.generation += 1;
    this.hooks.clear();
    this.deliveries = [];
    this.held = [];
    this.chains.clear();
    this.orgUrls.clear();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.configureFaults({});
  }

  configureFaults(faults: Partial<DeliveryFaults>): DeliveryFaults {
    this.faults = { ...NO_FAULTS, ...faults };
    this.random = seededRandom(this.faults.seed);
    return { ...this.faults };
  }

  faultSettings(): DeliveryFaults {
    return { ...this.faults };
  }

  create(definition: EventHookDefinition, createdBy: string, orgUrl: string): EventHookRecord {
    if (this.hooks.size >= MAX_EVENT_HOOKS) throw new EventHookValidationError([`An org may have at most ${MAX_EVENT_HOOKS} event hooks`]);
    const at = new Date().toISOString();
    // Okta creates hooks ACTIVE but UNVERIFIED: nothing is delivered until verify succeeds.
    const hook: EventHookRecord = { id: randomId('who'), status: 'ACTIVE', verificationStatus: 'UNVERIFIED', created: at, createdBy, lastUpdated: at, ...definition };
    this.hooks.set(hook.id, hook);
    this.orgUrls.set(hook.id, orgUrl);
    return hook;
  }

  replace(hook: EventHookRecord, definition: EventHookDefinition): void {
    // A new address has not proven it answers the challenge.
    if (definition.channel.config.uri !== hook.channel.config.uri) hook.verificationStatus = 'UNVERIFIED';
    Object.assign(hook, definition, { lastUpdated: new Date().toISOString() });
  }

  delete(hook: EventHookRecord): void {
    this.hooks.delete(hook.id);
    this.orgUrls.delete(hook.id);
  }

  setStatus(hook: EventHookRecord, status: EventHookRecord['status']): void {
    hook.status = status;
    hook.lastUpdated = new Date().toISOString();
  }

  /** The one-time verification: GET with a challenge the receiver must echo as JSON; one retry. */
  async verify(hook: EventHookRecord): Promise<{ ok: true } | { ok: false; reason: string }> {
    const generation = this.generation;
    let reason = '';
    for (const attempt of [1, 2] as const) {
      const challenge = randomId('', 32);
      const answer = await this.send(hook, 'GET', undefined, { 'x-okta-verification-challenge': challenge });
      if (generation !== this.generation) return { ok: false, reason: 'the emulator was reset' };
      this.keep(this.attemptRecord(hook, 'verification', null, [], attempt, answer));
      reason = this.verificationProblem(answer, challenge);
      if (!reason) {
        hook.verificationStatus = 'VERIFIED';
        hook.lastUpdated = new Date().toISOString();
        return { ok: true };
      }
    }
    return { ok: false, reason };
  }

  private verificationProblem(answer: Answer, challenge: string): string {
    if (answer.status === null) return `no answer within ${this.timeoutMs} ms (${answer.error ?? 'no response'})`;
    if (answer.status !== 200) return `the endpoint answered ${answer.status}`;
    try {
      const body = JSON.parse(answer.body) as { verification?: unknown };
      return body.verification === challenge ? '' : 'the answer did not echo the challenge as {"verification": "<value>"}';
    } catch {
      return 'the answer was not JSON';
    }
  }

  private onEvent(event: LogEvent): void {
    if (!this.faults.reorder) {
      this.dispatch(event);
      return;
    }
    this.held.push(event);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => this.flushHeld(), this.faults.reorderWindowMs);
    this.flushTimer.unref();
  }

  private flushHeld(): void {
    const held = this.held.reverse();
    this.held = [];
    this.flushTimer = undefined;
    for (const event of held) this.dispatch(event);
  }

  /** Queues the event for every hook that may receive it, behind that hook's earlier deliveries. */
  private dispatch(event: LogEvent): void {
    for (const hook of this.hooks.values()) {
      if (hook.status !== 'ACTIVE' || hook.verificationStatus !== 'VERIFIED' || !hook.events.items.includes(event.eventType)) continue;
      const copies = this.random() < this.faults.duplicate ? 2 : 1;
      for (let i = 0; i < copies; i += 1) this.enqueue(hook, event);
    }
  }

  private enqueue(hook: EventHookRecord, event: LogEvent): void {
    const generation = this.generation;
    const previous = this.chains.get(hook.id) ?? Promise.resolve();
    // setImmediate: the API call that caused the event has answered before anything is sent.
    const next = previous.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(() => this.deliver(hook, event, generation));
    this.chains.set(hook.id, next);
  }

  private async deliver(hook: EventHookRecord, event: LogEvent, generation: number): Promise<void> {
    if (generation !== this.generation) return;
    const eventId = randomUUID();
    const body = JSON.stringify({
      eventType: 'com.okta.event_hook',
      eventTypeVersion: '1.0',
      cloudEventsVersion: '0.1',
      source: `${this.orgUrls.get(hook.id) ?? ''}/api/v1/eventHooks/${hook.id}`,
      eventId,
      eventTime: new Date().toISOString(),
      contentType: 'application/json',
      data: { events: [event] },
    });
    for (const attempt of [1, 2] as const) {
      const answer = await this.send(hook, 'POST', body, { 'Content-Type': 'application/json' });
      if (generation !== this.generation) return;
      this.keep(this.attemptRecord(hook, 'event', eventId, [event], attempt, answer));
      if (answer.status !== null && answer.status < 500) return;
    }
  }

  /** The latest attempts only, so a long run with a hook does not grow without bound. */
  private keep(attempt: DeliveryAttempt): void {
    this.deliveries.push(attempt);
    if (this.deliveries.length > 11_000) this.deliveries.splice(0, this.deliveries.length - 10_000);
  }

  private attemptRecord(hook: EventHookRecord, kind: DeliveryAttempt['kind'], eventId: string | null, events: LogEvent[], attempt: 1 | 2, answer: Answer): DeliveryAttempt {
    return {
      kind,
      hookId: hook.id,
      hookName: hook.name,
      eventId,
      eventUuids: events.map((event) => event.uuid),
      eventTypes: events.map((event) => event.eventType),
      attempt,
      status: answer.status,
      ...(answer.error ? { error: answer.error } : {}),
      durationMs: Math.round(answer.durationMs),
      at: new Date().toISOString(),
    };
  }

  /** One request with the hook's custom headers and auth header, given up after the timeout. */
  private async send(hook: EventHookRecord, method: 'GET' | 'POST', body: string | undefined, extra: Record<string, string>): Promise<Answer> {
    const headers: Record<string, string> = { Accept: 'application/json', ...extra };
    for (const header of hook.channel.config.headers) headers[header.key] = header.value;
    const auth = hook.channel.config.authScheme;
    if (auth) headers[auth.key] = auth.value;
    const started = performance.now();
    try {
      const response = await fetch(hook.channel.config.uri, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
      const text = await response.text();
      return { status: response.status, body: text, durationMs: performance.now() - started };
    } catch (err) {
      // Duck-typed: the abort is a DOMException, and fetch wraps socket errors in a TypeError with a cause.
      const { name, message, cause } = (err ?? {}) as { name?: string; message?: string; cause?: { message?: string } };
      const error = name === 'TimeoutError' ? `timed out after ${this.timeoutMs} ms` : (cause?.message ?? message ?? String(err));
      return { status: null, body: '', error, durationMs: performance.now() - started };
    }
  }
}
