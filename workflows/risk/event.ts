/**
 * Okta System Log events as Gatehouse reads them from an event hook (SPEC §12), parsed
 * defensively: whatever Okta (or anyone holding the secret) sends, the answer is either a small,
 * well-formed RiskEventInput or the reason the event is not one. Pure and bundle-safe: the API
 * parses at the hook, the workflows use the types.
 */

export const RISK_LEVELS = ['LOW', 'MEDIUM', 'HIGH'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** The event types Gatehouse acts on (SPEC §12); the hook acknowledges and counts the others. */
export const RISK_EVENT_TYPES = ['user.risk.detect', 'user.risk.change'] as const;
export const APP_ASSIGNMENT_EVENT_TYPE = 'application.user_membership.add';

/** What one handled event says, as it is started or signalled into a workflow (no secrets). */
export interface RiskEventInput {
  /** Okta's event uuid: the workflow id `risk-event-<uuid>`, so a redelivery is applied once. */
  uuid: string;
  eventType: string;
  /** When Okta published it (ISO 8601): the order a user's risk changes are applied in. */
  published: string;
  kind: 'level' | 'app_assignment';
  /** The Okta user the event is about. */
  userId: string;
  login: string;
  displayName?: string;
  /** For `level` events. */
  level?: RiskLevel;
  previousLevel?: RiskLevel;
  detectionName?: string;
  reasons?: string[];
  /** For `app_assignment` events. */
  app?: { id: string; name: string };
  /** Who Okta says acted (Okta itself for a detection; the admin who assigned an app). */
  actor?: string;
  ip?: string;
  /** The org the hook came from (from the delivery's `source`), for links to its System Log. */
  orgUrl?: string;
}

export type ParsedEvent =
  | { ok: true; event: RiskEventInput }
  | { ok: false; eventType: string; reason: 'unhandled_type' | 'malformed'; message: string };

const MAX_TEXT = 300;
const MAX_REASONS = 20;

/** Text from the wire: a string, well-formed, trimmed, bounded; anything else is undefined. */
function text(value: unknown, max = MAX_TEXT): string | undefined {
  if (typeof value !== 'string') return undefined;
  const clean = value.toWellFormed().trim();
  return clean ? clean.slice(0, max) : undefined;
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

export function toLevel(value: unknown): RiskLevel | undefined {
  const upper = typeof value === 'string' ? value.trim().toUpperCase() : '';
  return (RISK_LEVELS as readonly string[]).includes(upper) ? (upper as RiskLevel) : undefined;
}

/**
 * Okta's `debugData.risk`: a Java-map-like `{previousLevel=LOW, level=HIGH, detectionName=…,
 * reasons=Anomalous Geo-Distance, New Device, issuer=OKTA}` whose `reasons` value holds commas.
 * A comma starts a new field only when `identifier=` follows it; anything else belongs to the
 * value. JSON (`{"level":"HIGH",…}`) is accepted too. Never throws; keys are case-sensitive as
 * Okta writes them, and the first occurrence of a key wins.
 */
export function parseRiskData(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof raw !== 'string') return out;
  const body = raw.toWellFormed().trim();
  if (body.startsWith('{"')) {
    try {
      const json = record(JSON.parse(body));
      for (const [k, v] of Object.entries(json ?? {})) {
        if (Object.hasOwn(out, k)) continue;
        if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
        else if (Array.isArray(v)) out[k] = v.filter((x) => typeof x === 'string').join(', ');
      }
      return out;
    } catch {
      // not JSON after all: read it as key=value
    }
  }
  const inner = body.replace(/^\{/, '').replace(/\}$/, '');
  for (const field of inner.split(/,\s*(?=[A-Za-z_][A-Za-z0-9_.]*=)/)) {
    const eq = field.indexOf('=');
    if (eq <= 0) continue;
    const key = field.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(key) || Object.hasOwn(out, key)) continue;
    out[key] = field.slice(eq + 1).trim();
  }
  return out;
}

/** `reasons=A, B, C` → ['A', 'B', 'C'] (bounded, blanks dropped). */
export function splitReasons(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((r) => text(r, 200))
    .filter((r): r is string => !!r)
    .slice(0, MAX_REASONS);
}

/** An Okta event uuid: it becomes part of workflow ids, so only a safe alphabet is accepted. */
export const EVENT_UUID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/** The `source` of a delivery (`https://acme.okta.com/api/v1/eventHooks/who…`) → the org URL. */
export function orgUrlFromSource(source: unknown): string | undefined {
  const s = text(source, 500);
  if (!s) return undefined;
  try {
    const url = new URL(s);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

interface Target {
  id?: string;
  type?: string;
  alternateId?: string;
  displayName?: string;
}

function targets(event: Record<string, unknown>): Target[] {
  const list = Array.isArray(event.target) ? event.target : [];
  return list.map(record).filter((t): t is Record<string, unknown> => !!t).map((t) => ({ id: text(t.id, 100), type: text(t.type, 100), alternateId: text(t.alternateId), displayName: text(t.displayName) }));
}

const OKTA_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A login goes into visibility queries: no spaces, quotes or backslashes. */
const LOGIN = /^[^\s"'\\`]{1,254}$/;

/**
 * One System Log event → the input of its workflow, or why not: an event type Gatehouse does not
 * handle, or a handled type missing what it needs (a user target, a level, a parsable time).
 */
export function parseOktaEvent(raw: unknown, orgUrl?: string): ParsedEvent {
  const event = record(raw);
  const eventType = text(event?.eventType, 200) ?? '';
  const malformed = (message: string): ParsedEvent => ({ ok: false, eventType: eventType || 'unknown', reason: 'malformed', message });
  if (!event) return malformed('an event must be an object');
  const isLevel = (RISK_EVENT_TYPES as readonly string[]).includes(eventType);
  if (!isLevel && eventType !== APP_ASSIGNMENT_EVENT_TYPE) return { ok: false, eventType: eventType || 'unknown', reason: 'unhandled_type', message: `Gatehouse does not act on ${eventType || 'events without a type'}` };

  const uuid = text(event.uuid, 100);
  if (!uuid || !EVENT_UUID.test(uuid)) return malformed('uuid is missing or not an event id');
  const publishedMs = Date.parse(text(event.published, 40) ?? '');
  if (!Number.isFinite(publishedMs)) return malformed('published is not a time');
  const user = targets(event).find((t) => t.type === 'User' && t.id && OKTA_ID.test(t.id) && t.alternateId && LOGIN.test(t.alternateId));
  if (!user) return malformed('no User target with an id and a login');

  const actor = record(event.actor);
  const client = record(event.client);
  const base = {
    uuid,
    eventType,
    published: new Date(publishedMs).toISOString(),
    userId: user.id!,
    login: user.alternateId!.toLowerCase(),
    ...(user.displayName ? { displayName: user.displayName } : {}),
    ...(text(actor?.alternateId) ? { actor: text(actor?.alternateId) } : {}),
    ...(text(client?.ipAddress, 60) ? { ip: text(client?.ipAddress, 60) } : {}),
    ...(orgUrl ? { orgUrl } : {}),
  };

  if (!isLevel) {
    const app = targets(event).find((t) => t.type === 'AppInstance' && t.id && OKTA_ID.test(t.id));
    if (!app) return malformed('no AppInstance target');
    return { ok: true, event: { ...base, kind: 'app_assignment', app: { id: app.id!, name: app.displayName ?? app.alternateId ?? app.id! } } };
  }

  const debugData = record(record(event.debugContext)?.debugData) ?? {};
  const risk = parseRiskData(debugData.risk);
  const level = toLevel(risk.level ?? debugData.riskLevel);
  if (!level) return malformed('debugContext.debugData.risk names no level (LOW, MEDIUM or HIGH)');
  const previousLevel = toLevel(risk.previousLevel);
  const detectionName = text(risk.detectionName);
  const reasons = splitReasons(risk.reasons);
  return {
    ok: true,
    event: {
      ...base,
      kind: 'level',
      level,
      ...(previousLevel ? { previousLevel } : {}),
      ...(detectionName ? { detectionName } : {}),
      ...(reasons.length ? { reasons } : {}),
    },
  };
}
