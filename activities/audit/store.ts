/**
 * The durable, append-only audit log (SPEC §2 item 5): an SQLite file under `.data/` by default,
 * PostgreSQL when DATABASE_URL is set — one Kysely code path for both.
 *
 * - Idempotent: the event id is unique, a retried append writes nothing new.
 * - Ordered: a request's trail reads in (at, seq) order; `at` is the workflow's deterministic
 *   time, which never goes backwards within a workflow, and seq breaks ties.
 * - Paged with an opaque keyset cursor over (at, seq, pos), so pages never skip or repeat rows
 *   while events are being appended.
 * - Also keeps who may be in a managed Okta group without a grant (standing members recorded at
 *   grant time, and each group's first-reconcile baseline), for drift reconciliation.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type ExpressionBuilder, type Generated, type Selectable } from 'kysely';
import { Pool } from 'pg';
import type { AuditEvent, AuditPort } from '../ports';
import { migrations, type Engine } from './migrations';

interface AuditEventsTable {
  pos: Generated<number | string>;
  id: string;
  request_id: string;
  seq: number;
  type: string;
  actor: string;
  resource: string;
  at: string;
  details: string | null;
  recorded_at: string;
}
interface StandingMembersTable {
  group_id: string;
  member: string;
  user_id: string | null;
  source: string;
  recorded_at: string;
}
interface ReconcileBaselinesTable {
  group_id: string;
  recorded_at: string;
  members: number;
}
interface AuditDb {
  audit_events: AuditEventsTable;
  standing_members: StandingMembersTable;
  reconcile_baselines: ReconcileBaselinesTable;
}

export interface AuditFilter {
  requestId?: string;
  actor?: string;
  resource?: string;
  /** One type, or any of several. */
  type?: string | string[];
  /** Inclusive (ISO 8601). */
  since?: string;
  /** Exclusive (ISO 8601). */
  until?: string;
}

export interface AuditPage {
  items: AuditEvent[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface StandingMember {
  member: string;
  userId: string | null;
  source: string;
}

export class InvalidCursorError extends Error {}

export interface AuditStoreOptions {
  /** postgres://… — PostgreSQL; unset: SQLite at `sqlitePath`. */
  databaseUrl?: string;
  sqlitePath: string;
}

const iso = (at: string): string => {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? new Date().toISOString() : new Date(ms).toISOString();
};

type Row = Selectable<AuditEventsTable>;

function toEvent(row: Row): AuditEvent {
  return {
    id: row.id,
    requestId: row.request_id,
    seq: row.seq,
    type: row.type,
    actor: row.actor,
    resource: row.resource,
    at: row.at,
    ...(row.details ? { details: JSON.parse(row.details) as Record<string, unknown> } : {}),
  };
}

interface Cursor {
  at: string;
  seq: number;
  pos: number;
}
const encodeCursor = (row: Row): string => Buffer.from(JSON.stringify([row.at, row.seq, Number(row.pos)])).toString('base64url');
function decodeCursor(cursor: string): Cursor {
  try {
    const [at, seq, pos] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && Number.isInteger(seq) && Number.isInteger(pos)) return { at, seq: seq as number, pos: pos as number };
  } catch {
    // fall through
  }
  throw new InvalidCursorError('not a cursor of this listing');
}

export class AuditStore implements AuditPort {
  readonly engine: Engine;
  private readonly db: Kysely<AuditDb>;
  private migrated?: Promise<void>;

  constructor(options: AuditStoreOptions) {
    if (options.databaseUrl) {
      this.engine = 'postgres';
      const pool = new Pool({ connectionString: options.databaseUrl, max: 5, connectionTimeoutMillis: 5000 });
      // An idle connection broken by a server restart or failover is emitted here; pg-pool drops
      // it and the next query connects anew. Unheard, the event would crash the worker or the API.
      pool.on('error', () => {});
      this.db = new Kysely<AuditDb>({ dialect: new PostgresDialect({ pool }) });
    } else {
      this.engine = 'sqlite';
      mkdirSync(dirname(options.sqlitePath), { recursive: true });
      const database = new Database(options.sqlitePath, { timeout: 5000 });
      // WAL: the API reads while the worker appends; several processes may share the file.
      database.pragma('journal_mode = WAL');
      this.db = new Kysely<AuditDb>({ dialect: new SqliteDialect({ database }) });
    }
  }

  /** Runs pending migrations once per process; every other method waits for it. */
  migrate(): Promise<void> {
    this.migrated ??= (async () => {
      const migrator = new Migrator({
        db: this.db,
        provider: { getMigrations: async () => migrations(this.engine) },
        migrationTableName: 'gatehouse_migrations',
        migrationLockTableName: 'gatehouse_migrations_lock',
      });
      // The worker and the API may migrate a new SQLite file at the same moment; the loser of
      // SQLite's write lock gets SQLITE_BUSY at once, so it tries again (a no-op once done).
      for (let attempt = 1; ; attempt++) {
        const { error, results } = await migrator.migrateToLatest();
        const failed = results?.find((r) => r.status === 'Error');
        if (!error && !failed) return;
        if (attempt >= 5) {
          this.migrated = undefined;
          throw new Error(`audit store migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    })();
    return this.migrated;
  }

  async append(event: AuditEvent): Promise<void> {
    await this.appendOnce(event);
  }

  /** Appends once: true when this call wrote the event, false when its id was already there. */
  async appendOnce(event: AuditEvent): Promise<boolean> {
    await this.migrate();
    let resource = event.resource;
    if (!resource && event.requestId) {
      // Events recorded outside the workflow (retried external calls) inherit the request's resource.
      const known = await this.db.selectFrom('audit_events').select('resource').where('request_id', '=', event.requestId).where('resource', '!=', '').limit(1).executeTakeFirst();
      resource = known?.resource ?? '';
    }
    const result = await this.db
      .insertInto('audit_events')
      .values({
        id: event.id,
        request_id: event.requestId,
        seq: event.seq,
        type: event.type,
        actor: event.actor,
        resource,
        at: iso(event.at),
        details: event.details === undefined ? null : JSON.stringify(event.details),
        recorded_at: new Date().toISOString(),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    const inserted = Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    if (inserted) await this.noteStandingMember(event);
    return inserted;
  }

  /** A grant to someone already in the group records them as a standing member of it. */
  private async noteStandingMember(event: AuditEvent): Promise<void> {
    const groupId = event.details?.groupId;
    if (event.type !== 'granted' || event.details?.standingMember !== true || typeof groupId !== 'string') return;
    const requested = await this.db
      .selectFrom('audit_events')
      .select('actor')
      .where('request_id', '=', event.requestId)
      .where('type', '=', 'requested')
      .executeTakeFirst();
    if (!requested) return;
    await this.db
      .insertInto('standing_members')
      .values({ group_id: groupId, member: requested.actor.toLowerCase(), user_id: null, source: `grant:${event.requestId}`, recorded_at: new Date().toISOString() })
      .onConflict((oc) => oc.columns(['group_id', 'member']).doNothing())
      .execute();
  }

  private where(filter: AuditFilter) {
    return (eb: ExpressionBuilder<AuditDb, 'audit_events'>) => {
      const clauses = [];
      if (filter.requestId) clauses.push(eb('request_id', '=', filter.requestId));
      if (filter.actor) clauses.push(eb('actor', '=', filter.actor));
      if (filter.resource) clauses.push(eb('resource', '=', filter.resource));
      const types = filter.type === undefined ? [] : Array.isArray(filter.type) ? filter.type : [filter.type];
      if (types.length) clauses.push(eb('type', 'in', types));
      if (filter.since) clauses.push(eb('at', '>=', iso(filter.since)));
      if (filter.until) clauses.push(eb('at', '<', iso(filter.until)));
      return eb.and(clauses);
    };
  }

  /** One page in (at, seq, insertion) order. */
  async query(filter: AuditFilter, page: { limit: number; cursor?: string }): Promise<AuditPage> {
    await this.migrate();
    const after = page.cursor ? decodeCursor(page.cursor) : undefined;
    let q = this.db.selectFrom('audit_events').selectAll().where(this.where(filter));
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('at', '>', after.at),
          eb.and([eb('at', '=', after.at), eb('seq', '>', after.seq)]),
          eb.and([eb('at', '=', after.at), eb('seq', '=', after.seq), eb('pos', '>', after.pos)]),
        ]),
      );
    }
    const rows = await q.orderBy('at').orderBy('seq').orderBy('pos').limit(page.limit + 1).execute();
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit);
    return { items: items.map(toEvent), nextCursor: more ? encodeCursor(items[items.length - 1]!) : null };
  }

  /** Every matching event, page by page (for NDJSON export); memory stays bounded. */
  async *stream(filter: AuditFilter, pageSize = 500): AsyncGenerator<AuditEvent> {
    let cursor: string | undefined;
    do {
      const page = await this.query(filter, { limit: pageSize, cursor });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** A request's whole trail, in order. */
  async trail(requestId: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    for await (const e of this.stream({ requestId })) events.push(e);
    return events;
  }

  async standingMembers(groupId: string): Promise<StandingMember[]> {
    await this.migrate();
    const rows = await this.db.selectFrom('standing_members').select(['member', 'user_id', 'source']).where('group_id', '=', groupId).execute();
    return rows.map((r) => ({ member: r.member, userId: r.user_id, source: r.source }));
  }

  async hasBaseline(groupId: string): Promise<boolean> {
    await this.migrate();
    return !!(await this.db.selectFrom('reconcile_baselines').select('group_id').where('group_id', '=', groupId).executeTakeFirst());
  }

  /**
   * Records a group's baseline — the members present when Gatehouse first reconciled it — once.
   * True when this call recorded it; false when a baseline already existed (nothing changes).
   */
  async recordBaseline(groupId: string, members: { login: string; userId: string }[]): Promise<boolean> {
    await this.migrate();
    const now = new Date().toISOString();
    return this.db.transaction().execute(async (tx) => {
      const marker = await tx
        .insertInto('reconcile_baselines')
        .values({ group_id: groupId, recorded_at: now, members: members.length })
        .onConflict((oc) => oc.column('group_id').doNothing())
        .executeTakeFirst();
      if (Number(marker.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
      for (let i = 0; i < members.length; i += 500) {
        const rows = members.slice(i, i + 500).map((m) => ({ group_id: groupId, member: m.login.toLowerCase(), user_id: m.userId, source: 'baseline', recorded_at: now }));
        await tx.insertInto('standing_members').values(rows).onConflict((oc) => oc.columns(['group_id', 'member']).doNothing()).execute();
      }
      return true;
    });
  }

  /** Readiness: the database answers within `timeoutMs`. */
  async ping(timeoutMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the audit store did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.migrate().then(() => this.db.selectFrom('reconcile_baselines').select('group_id').limit(1).execute()), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** The store the settings ask for: PostgreSQL with DATABASE_URL, else the SQLite file. */
export function openAuditStore(settings: { DATABASE_URL?: string; GATEHOUSE_AUDIT_DB: string }): AuditStore {
  return new AuditStore({ databaseUrl: settings.DATABASE_URL, sqlitePath: settings.GATEHOUSE_AUDIT_DB });
}

/** For logs: the URL without its password. */
export function describeAuditStore(settings: { DATABASE_URL?: string; GATEHOUSE_AUDIT_DB: string }): string {
  if (!settings.DATABASE_URL) return `sqlite:${settings.GATEHOUSE_AUDIT_DB}`;
  try {
    const url = new URL(settings.DATABASE_URL);
    url.password = url.password ? '***' : '';
    return url.toString();
  } catch {
    return 'postgres (unparsable DATABASE_URL)';
  }
}
