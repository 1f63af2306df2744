/**
 * The System Log: what the emulator did, as Okta's LogEvent objects (OKTA-SPEC `LogEvent`). Routes
 * record events for user lifecycle, group and app membership and risk; `GET /api/v1/logs` reads
 * them and event hooks deliver them. `debugData` values are strings, as in Okta.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { OktaApp, OktaGroup, OktaUser } from './state';

export interface LogActor {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry: null;
}

export interface LogTarget {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry: Record<string, string> | null;
}

export type LogSeverity = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface LogEvent {
  uuid: string;
  published: string;
  eventType: string;
  version: string;
  displayMessage: string;
  severity: LogSeverity;
  legacyEventType: string | null;
  actor: LogActor;
  client: Record<string, unknown>;
  authenticationContext: Record<string, unknown>;
  securityContext: Record<string, unknown>;
  request: { ipChain: Array<Record<string, unknown>> };
  outcome: { result: string; reason: string | null };
  target: LogTarget[];
  transaction: { type: 'WEB' | 'JOB'; id: string; detail: Record<string, unknown> };
  debugContext: { debugData: Record<string, string> };
}

/** Who did it and through which request (what Okta puts in actor, client, transaction, debugData). */
export interface LogContext {
  actor: LogActor;
  ipAddress: string;
  userAgent: string;
  requestId: string;
  requestUri: string;
  transactionType: 'WEB' | 'JOB';
}

/** Okta's own principal: the actor of risk detections and background jobs. */
export const OKTA_SYSTEM_ACTOR: LogActor = { id: '0oa_okta_system', type: 'SystemPrincipal', alternateId: 'system@okta.com', displayName: 'Okta System', detailEntry: null };

/** An SSWS token acts as the admin who made it; an OAuth service app acts as itself. */
export function apiActor(req: Request, accessTokens: ReadonlyMap<string, { clientId: string }>): LogActor {
  const [scheme, credential] = (req.get('authorization') ?? '').split(/\s+/, 2);
  const clientId = scheme === 'Bearer' && credential ? accessTokens.get(credential)?.clientId : undefined;
  if (clientId) return { id: clientId, type: 'PublicClientApp', alternateId: clientId, displayName: clientId, detailEntry: null };
  return { id: '00u_emulator_admin', type: 'User', alternateId: 'admin@example.com', displayName: 'Emulator Admin (API token)', detailEntry: null };
}

export function requestLogContext(req: Request, res: Response, actor: LogActor): LogContext {
  return {
    actor,
    ipAddress: req.ip ?? '127.0.0.1',
    userAgent: req.get('user-agent') ?? '',
    requestId: String(res.getHeader('X-Okta-Request-Id') ?? randomUUID()),
    requestUri: req.originalUrl.split('?')[0] ?? req.originalUrl,
    transactionType: 'WEB',
  };
}

/** For what the emulator raises by itself (`POST /_emulator/risk`). */
export function systemLogContext(requestUri: string): LogContext {
  return { actor: OKTA_SYSTEM_ACTOR, ipAddress: '127.0.0.1', userAgent: '', requestId: randomUUID(), requestUri, transactionType: 'JOB' };
}

const target = (id: string, type: string, alternateId: string, displayName: string): LogTarget => ({ id, type, alternateId, displayName, detailEntry: null });

export function userTarget(user: OktaUser): LogTarget {
  const displayName = typeof user.profile.displayName === 'string' && user.profile.displayName ? user.profile.displayName : `${user.profile.firstName} ${user.profile.lastName}`;
  return target(user.id, 'User', user.profile.login, displayName);
}

export function groupTarget(group: OktaGroup): LogTarget {
  return target(group.id, 'UserGroup', group.profile.name, group.profile.name);
}

export function appInstanceTarget(app: OktaApp): LogTarget {
  return target(app.id, 'AppInstance', app.label, app.label);
}

/** Okta's AppUser ids start with 0ua; the emulator derives a stable one from the user id. */
export function appUserTarget(user: OktaUser, userName: string): LogTarget {
  return target(`0ua${user.id.replace(/^00u/, '')}`, 'AppUser', userName, userTarget(user).displayName);
}

export interface RecordInput {
  eventType: string;
  displayMessage: string;
  legacyEventType?: string | null;
  severity?: LogSeverity;
  target: LogTarget[];
  /** Added to requestId / requestUri; values must be strings, as Okta's are. */
  debugData?: Record<string, string>;
}

export interface LogQuery {
  since: number;
  until: number;
  /** Cursor from a previous page's Link rel="next". */
  after?: number;
  predicate?: (event: LogEvent) => boolean;
  keywords: string[];
  limit: number;
  descending: boolean;
}

/** Every string value of an event, lower-cased: what `q` keywords are matched against. */
function searchableText(value: unknown): string {
  if (typeof value === 'string') return value.toLowerCase();
  if (value && typeof value === 'object') return Object.values(value).map(searchableText).join(' ');
  return '';
}

interface Entry {
  seq: number;
  at: number;
  event: LogEvent;
}

/** Okta keeps 90 days; the emulator keeps the latest events (long benchmarks would otherwise grow without bound). */
const MAX_EVENTS = 100_000;

export class SystemLog {
  private entries: Entry[] = [];
  private seq = 0;
  private lastAt = 0;
  private readonly listeners: Array<(event: LogEvent) => void> = [];

  /** Events in the order they were published. */
  all(): LogEvent[] {
    return this.entries.map((entry) => entry.event);
  }

  clear(): void {
    this.entries = [];
  }

  /** Called synchronously with every new event (event hooks queue their deliveries from here). */
  subscribe(listener: (event: LogEvent) => void): void {
    this.listeners.push(listener);
  }

  record(context: LogContext, input: RecordInput): LogEvent {
    // Strictly increasing `published`, so ordering by it (as hook consumers must) is never ambiguous.
    const at = Math.max(Date.now(), this.lastAt + 1);
    this.lastAt = at;
    const event: LogEvent = {
      uuid: randomUUID(),
      published: new Date(at).toISOString(),
      eventType: input.eventType,
      version: '0',
      displayMessage: input.displayMessage,
      severity: input.severity ?? 'INFO',
      legacyEventType: input.legacyEventType ?? null,
      actor: context.actor,
      client: {
        userAgent: { rawUserAgent: context.userAgent || 'UNKNOWN', os: 'Unknown', browser: 'UNKNOWN' },
        zone: 'null',
        device: 'Unknown',
        id: null,
        ipAddress: context.ipAddress,
        geographicalContext: null,
      },
      authenticationContext: { authenticationProvider: null, credentialProvider: null, credentialType: null, issuer: null, interface: null, authenticationStep: 0, externalSessionId: 'unknown' },
      securityContext: { asNumber: null, asOrg: null, isp: null, domain: null, isProxy: null },
      request: { ipChain: [{ ip: context.ipAddress, geographicalContext: null, version: context.ipAddress.includes(':') ? 'V6' : 'V4', source: null }] },
      outcome: { result: 'SUCCESS', reason: null },
      target: input.target,
      transaction: { type: context.transactionType, id: context.requestId, detail: {} },
      debugContext: { debugData: { requestId: context.requestId, requestUri: context.requestUri, ...input.debugData } },
    };
    this.seq += 1;
    this.entries.push({ seq: this.seq, at, event });
    if (this.entries.length > MAX_EVENTS * 1.1) this.entries.splice(0, this.entries.length - MAX_EVENTS);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** One page and the cursor of its last event (undefined when the page is empty). */
  query(q: LogQuery): { events: LogEvent[]; cursor?: number; more: boolean } {
    const matching = this.entries.filter(
      (entry) =>
        entry.at >= q.since &&
        entry.at < q.until &&
        (q.after === undefined || (q.descending ? entry.seq < q.after : entry.seq > q.after)) &&
        (!q.predicate || q.predicate(entry.event)) &&
        (q.keywords.length === 0 || q.keywords.every((keyword) => searchableText(entry.event).includes(keyword))),
    );
    if (q.descending) matching.reverse();
    const page = matching.slice(0, q.limit);
    return { events: page.map((entry) => entry.event), cursor: page[page.length - 1]?.seq, more: matching.length > page.length };
  }
}

type EventKind = Pick<RecordInput, 'eventType' | 'displayMessage' | 'legacyEventType'>;
const kind = (eventType: string, displayMessage: string, legacyEventType: string | null = null): EventKind => ({ eventType, displayMessage, legacyEventType });

/** The event types the emulator records (legacy types only where a public sample shows them). */
export const EVENTS = {
  userCreate: kind('user.lifecycle.create', 'Create Okta user', 'core.user.config.user_creation.success'),
  userActivate: kind('user.lifecycle.activate', 'Activate Okta user', 'core.user.config.user_activated'),
  userDeactivate: kind('user.lifecycle.deactivate', 'Deactivate Okta user', 'core.user.config.user_deactivated'),
  userSuspend: kind('user.lifecycle.suspend', 'Suspend Okta user'),
  userUnsuspend: kind('user.lifecycle.unsuspend', 'Unsuspend Okta user'),
  userDelete: kind('user.lifecycle.delete.initiated', 'Delete Okta user'),
  userProfileUpdate: kind('user.account.update_profile', 'Update user profile for Okta'),
  userSessionClear: kind('user.session.clear', 'Clear user session'),
  groupMemberAdd: kind('group.user_membership.add', 'Add user to group membership', 'core.user_group_member.user_add'),
  groupMemberRemove: kind('group.user_membership.remove', 'Remove user from group membership', 'core.user_group_member.user_remove'),
  appMemberAdd: kind('application.user_membership.add', 'Add user to application membership', 'app.generic.provision.assign_user_to_app'),
  appMemberRemove: kind('application.user_membership.remove', 'Remove user from application membership'),
  riskDetect: kind('user.risk.detect', 'User risk detected'),
  riskChange: kind('user.risk.change', 'User risk changed'),
} as const;
