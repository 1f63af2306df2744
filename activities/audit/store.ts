/**
 * The durable, append-only audit log (SPEC §2 item 5): an SQLite file under `.data/` by default,
 * PostgreSQL when DATABASE_URL is set — one Kysely code path for both.
 *
 * - Idempotent: the event id is unique, a retried append writes nothing new.
 * - Ordered: a request's trail reads in (at, seq) order; `at` is the workflow's deterministic
 *   time, which never goes backwards within a workflow, and seq breaks ties.
 * - Listings and exports follow the store sequence (`storeSeq`): the order of recording, given out
 *   in commit order, so paging or resuming an export after a sequence number never skips a late
 *   write and never repeats one.
 * - A reader (the API) can run on a read-only database role: it never migrates, it waits for the
 *   worker to have migrated.
 * - Also keeps who may be in a managed Okta group without a grant (standing members recorded at
 *   grant time, and each group's first-reconcile baseline), for drift reconciliation.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect, type ExpressionBuilder, type Generated, type Selectable, type Transaction } from 'kysely';
import { Pool } from 'pg';
import type { AuditEvent, AuditPort, Lease, LedgerPort, NewLease, StandingRecord } from '../ports';
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
  store_seq: number | string | null;
}
interface AuditCountersTable {
  name: string;
  value: number | string;
}
interface GrantLeasesTable {
  request_id: string;
  user_id: string;
  group_id: string;
  login: string;
  resource: string;
  workflow_id: string;
  started_at: string;
  was_member: number;
  ended_at: string | null;
  end_reason: string | null;
}
interface StandingRecordsTable {
  user_id: string;
  group_id: string;
  login: string;
  source: string;
  by: string;
  at: string;
  reason: string;
}
interface ReconcileBaselinesTable {
  group_id: string;
  recorded_at: string;
  members: number;
}
interface AuditDb {
  audit_events: AuditEventsTable;
  audit_counters: AuditCountersTable;
  grant_leases: GrantLeasesTable;
  standing_records: StandingRecordsTable;
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
  /** Only events recorded after this store sequence number (resuming an export). */
  after?: number;
}

export interface AuditPage {
  items: AuditEvent[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export class InvalidCursorError extends Error {}

/** The schema is not (yet) at this code's version: the worker migrates it; readers wait. */
export class AuditStoreNotReady extends Error {}

export interface AuditStoreOptions {
  /** postgres://… — PostgreSQL; unset: SQLite at `sqlitePath`. */
  databaseUrl?: string;
  sqlitePath: string;
  /** A reader never migrates and never writes (the API, possibly on a read-only database role). */
  readOnly?: boolean;
}

const iso = (at: string): string => {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? new Date().toISOString() : new Date(ms).toISOString();
};

type Row = Selectable<AuditEventsTable>;

/**
 * Appends one event inside a transaction, once: the audit counter's row lock is held to the
 * commit, so store sequence order is commit order. Events recorded outside the workflow (retried
 * external calls) inherit their request's resource.
 */
async function appendIn(tx: Transaction<AuditDb>, event: AuditEvent): Promise<boolean> {
  if (await tx.selectFrom('audit_events').select('pos').where('id', '=', event.id).executeTakeFirst()) return false;
  let resource = event.resource;
  if (!resource && event.requestId) {
    const known = await tx.selectFrom('audit_events').select('resource').where('request_id', '=', event.requestId).where('resource', '!=', '').limit(1).executeTakeFirst();
    resource = known?.resource ?? '';
  }
  const counter = await tx
    .updateTable('audit_counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', 'events')
    .returning('value')
    .executeTakeFirstOrThrow();
  const result = await tx
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
      store_seq: Number(counter.value),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

const toLease = (r: Selectable<GrantLeasesTable>): Lease => ({
  requestId: r.request_id,
  userId: r.user_id,
  groupId: r.group_id,
  login: r.login,
  resource: r.resource,
  workflowId: r.workflow_id,
  startedAt: r.started_at,
  wasMember: Number(r.was_member) === 1,
  endedAt: r.ended_at,
  endReason: r.end_reason,
});

const toStanding = (r: Selectable<StandingRecordsTable>): StandingRecord => ({
  userId: r.user_id,
  groupId: r.group_id,
  login: r.login,
  source: r.source === 'allowlist' ? 'allowlist' : 'baseline',
  by: r.by,
  at: r.at,
  reason: r.reason,
});

function toEvent(row: Row): AuditEvent {
  return {
    ...(row.store_seq !== null ? { storeSeq: Number(row.store_seq) } : {}),
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

/** A page cursor is the store sequence number of the last event served. */
const encodeCursor = (row: Row): string => Buffer.from(JSON.stringify({ after: Number(row.store_seq) })).toString('base64url');
function decodeCursor(cursor: string): number {
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (Number.isSafeInteger(after) && (after as number) >= 0) return after as number;
  } catch {
    // fall through
  }
  throw new InvalidCursorError('not a cursor of this listing');
}

export class AuditStore implements AuditPort, LedgerPort {
  readonly engine: Engine;
  readonly readOnly: boolean;
  private readonly db: Kysely<AuditDb>;
  private migrated?: Promise<void>;

  constructor(options: AuditStoreOptions) {
    this.readOnly = !!options.readOnly;
    if (options.databaseUrl) {
      this.engine = 'postgres';
      const pool = new Pool({ connectionString: options.databaseUrl, max: 5, connectionTimeoutMillis: 5000 });
      // An idle connection broken by a server restart or failover is emitted here; pg-pool drops
      // it and the next query connects anew. Unheard, the event would crash the worker or the API.
      pool.on('error', () => {});
      // A connection checked out when the server goes away (a fast shutdown: FATAL 57P01) has no
      // pool listener: its own 'error' would crash the process (found by the cluster test, which
      // restarts PostgreSQL under a running worker). Its query fails instead and is retried.
      pool.on('connect', (client) => client.on('error', () => {}));
      this.db = new Kysely<AuditDb>({ dialect: new PostgresDialect({ pool }) });
    } else {
      this.engine = 'sqlite';
      mkdirSync(dirname(options.sqlitePath), { recursive: true });
      const path = options.sqlitePath;
      const readOnly = this.readOnly;
      // A reader opens the file once the worker has created it, read-only; a writer at once. WAL:
      // the API reads while the worker appends; several processes may share the file.
      let database: Database.Database | undefined;
      const open = () => {
        if (!database) {
          database = new Database(path, { timeout: 5000, readonly: readOnly, fileMustExist: readOnly });
          if (!readOnly) database.pragma('journal_mode = WAL');
        }
        return database;
      };
      if (!readOnly) open();
      this.db = new Kysely<AuditDb>({ dialect: new SqliteDialect({ database: async () => open() }) });
    }
  }

  /**
   * A writer runs pending migrations once per process; every other method waits for it. A reader
   * checks that the schema is at this code's version (and asks again next time when it is not).
   */
  migrate(): Promise<void> {
    if (this.readOnly) {
      this.migrated ??= this.checkMigrated().catch((err: unknown) => {
        this.migrated = undefined;
        throw err;
      });
      return this.migrated;
    }
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

  private async checkMigrated(): Promise<void> {
    const latest = Object.keys(migrations(this.engine)).sort().at(-1)!;
    let found: unknown;
    try {
      found = await sql<{ name: string }>`SELECT name FROM gatehouse_migrations WHERE name = ${latest}`.execute(this.db).then((r) => r.rows[0]);
    } catch (err) {
      throw new AuditStoreNotReady(`the audit store is not set up yet (the worker migrates it): ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!found) throw new AuditStoreNotReady(`the audit store schema is older than ${latest}: start a worker of this version to migrate it`);
  }

  async append(event: AuditEvent): Promise<void> {
    await this.appendOnce(event);
  }

  /** Refuses any write on a reader: the API never writes (it may run on a read-only role). */
  private writable(): void {
    if (this.readOnly) throw new Error('this audit store is opened read-only: only the worker writes');
  }

  /** Appends once: true when this call wrote the event, false when its id was already there. */
  async appendOnce(event: AuditEvent): Promise<boolean> {
    this.writable();
    await this.migrate();
    return this.db.transaction().execute((tx) => appendIn(tx, event));
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
      if (filter.after !== undefined) clauses.push(eb('store_seq', '>', filter.after));
      return eb.and(clauses);
    };
  }

  /** One page in store sequence (recording) order. */
  async query(filter: AuditFilter, page: { limit: number; cursor?: string }): Promise<AuditPage> {
    const after = page.cursor ? decodeCursor(page.cursor) : undefined;
    await this.migrate();
    let q = this.db.selectFrom('audit_events').selectAll().where(this.where(filter));
    if (after !== undefined) q = q.where('store_seq', '>', after);
    const rows = await q.orderBy('store_seq').limit(page.limit + 1).execute();
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit);
    return { items: items.map(toEvent), nextCursor: more ? encodeCursor(items[items.length - 1]!) : null };
  }

  /** The newest `limit` matching events, newest first (the portal's recent drift reports). */
  async latest(filter: AuditFilter, limit: number): Promise<AuditEvent[]> {
    await this.migrate();
    const rows = await this.db.selectFrom('audit_events').selectAll().where(this.where(filter)).orderBy('store_seq', 'desc').limit(limit).execute();
    return rows.map(toEvent);
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

  /** A request's whole trail, in the order things happened (workflow time, then its sequence). */
  async trail(requestId: string): Promise<AuditEvent[]> {
    await this.migrate();
    const rows = await this.db.selectFrom('audit_events').selectAll().where('request_id', '=', requestId).orderBy('at').orderBy('seq').orderBy('store_seq').execute();
    return rows.map(toEvent);
  }

  // ---- the grant ledger (issue 10): leases and standing records

  /** Opens a request's lease (once: a retry finds it) with its audit events, in one transaction. */
  async openLease(lease: NewLease, events: AuditEvent[]): Promise<Lease> {
    this.writable();
    await this.migrate();
    return this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('grant_leases')
        .values({
          request_id: lease.requestId,
          user_id: lease.userId,
          group_id: lease.groupId,
          login: lease.login,
          resource: lease.resource,
          workflow_id: lease.workflowId,
          started_at: iso(lease.startedAt),
          was_member: lease.wasMember ? 1 : 0,
          ended_at: null,
          end_reason: null,
        })
        // A lease that ended is open again when its request grants again (a reset workflow's new run).
        .onConflict((oc) => oc.column('request_id').doUpdateSet({ ended_at: null, end_reason: null }))
        .execute();
      for (const event of events) await appendIn(tx, event);
      return toLease(await tx.selectFrom('grant_leases').selectAll().where('request_id', '=', lease.requestId).executeTakeFirstOrThrow());
    });
  }

  /** Ends a request's lease if it is open, with its audit events, in one transaction. */
  async closeLease(requestId: string, end: { at: string; reason: string }, events: AuditEvent[]): Promise<{ lease: Lease | null; closed: boolean }> {
    this.writable();
    await this.migrate();
    return this.db.transaction().execute(async (tx) => {
      const result = await tx
        .updateTable('grant_leases')
        .set({ ended_at: iso(end.at), end_reason: end.reason })
        .where('request_id', '=', requestId)
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      for (const event of events) await appendIn(tx, event);
      const row = await tx.selectFrom('grant_leases').selectAll().where('request_id', '=', requestId).executeTakeFirst();
      return { lease: row ? toLease(row) : null, closed: Number(result.numUpdatedRows ?? 0n) > 0 };
    });
  }

  async lease(requestId: string): Promise<Lease | null> {
    await this.migrate();
    const row = await this.db.selectFrom('grant_leases').selectAll().where('request_id', '=', requestId).executeTakeFirst();
    return row ? toLease(row) : null;
  }

  /** Open leases, by person and/or group. */
  async openLeases(filter: { userId?: string; groupId?: string } = {}): Promise<Lease[]> {
    await this.migrate();
    let q = this.db.selectFrom('grant_leases').selectAll().where('ended_at', 'is', null);
    if (filter.userId) q = q.where('user_id', '=', filter.userId);
    if (filter.groupId) q = q.where('group_id', '=', filter.groupId);
    return (await q.orderBy('started_at').execute()).map(toLease);
  }

  async leasesEndedSince(groupId: string, since: string): Promise<Lease[]> {
    await this.migrate();
    return (await this.db.selectFrom('grant_leases').selectAll().where('group_id', '=', groupId).where('ended_at', '>=', iso(since)).execute()).map(toLease);
  }

  async standingRecord(userId: string, groupId: string): Promise<StandingRecord | null> {
    await this.migrate();
    const row = await this.db.selectFrom('standing_records').selectAll().where('user_id', '=', userId).where('group_id', '=', groupId).executeTakeFirst();
    return row ? toStanding(row) : null;
  }

  async standingRecords(groupId?: string): Promise<StandingRecord[]> {
    await this.migrate();
    let q = this.db.selectFrom('standing_records').selectAll();
    if (groupId) q = q.where('group_id', '=', groupId);
    return (await q.orderBy('group_id').orderBy('login').execute()).map(toStanding);
  }

  /** Adds (or replaces) a standing record with its audit event; true when it was not there before. */
  async putStandingRecord(record: StandingRecord, event: AuditEvent): Promise<boolean> {
    this.writable();
    await this.migrate();
    return this.db.transaction().execute(async (tx) => {
      const before = await tx.selectFrom('standing_records').select('user_id').where('user_id', '=', record.userId).where('group_id', '=', record.groupId).executeTakeFirst();
      const values = { user_id: record.userId, group_id: record.groupId, login: record.login, source: record.source, by: record.by, at: iso(record.at), reason: record.reason };
      await tx
        .insertInto('standing_records')
        .values(values)
        .onConflict((oc) => oc.columns(['user_id', 'group_id']).doUpdateSet({ login: values.login, source: values.source, by: values.by, at: values.at, reason: values.reason }))
        .execute();
      await appendIn(tx, event);
      return !before;
    });
  }

  /** Removes a standing record with its audit event; true when there was one. */
  async deleteStandingRecord(userId: string, groupId: string, event: AuditEvent): Promise<boolean> {
    this.writable();
    await this.migrate();
    return this.db.transaction().execute(async (tx) => {
      const result = await tx.deleteFrom('standing_records').where('user_id', '=', userId).where('group_id', '=', groupId).executeTakeFirst();
      const deleted = Number(result.numDeletedRows ?? 0n) > 0;
      if (deleted) await appendIn(tx, event);
      return deleted;
    });
  }

  async hasBaseline(groupId: string): Promise<boolean> {
    await this.migrate();
    return !!(await this.db.selectFrom('reconcile_baselines').select('group_id').where('group_id', '=', groupId).executeTakeFirst());
  }

  /**
   * Records a group's baseline — the members present when Gatehouse first reconciled it — once, as
   * standing records of source `baseline`. True when this call recorded it; false when a baseline
   * already existed (nothing changes).
   */
  async recordBaseline(groupId: string, members: { login: string; userId: string }[]): Promise<boolean> {
    this.writable();
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
        const rows = members.slice(i, i + 500).map((m) => ({
          user_id: m.userId,
          group_id: groupId,
          login: m.login.toLowerCase(),
          source: 'baseline',
          by: 'gatehouse',
          at: now,
          reason: 'in the group when Gatehouse first reconciled it',
        }));
        await tx.insertInto('standing_records').values(rows).onConflict((oc) => oc.columns(['user_id', 'group_id']).doNothing()).execute();
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
export function openAuditStore(settings: { DATABASE_URL?: string; GATEHOUSE_AUDIT_DB: string }, opts: { readOnly?: boolean } = {}): AuditStore {
  return new AuditStore({ databaseUrl: settings.DATABASE_URL, sqlitePath: settings.GATEHOUSE_AUDIT_DB, readOnly: opts.readOnly });
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
