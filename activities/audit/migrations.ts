/**
 * The audit store's schema, as versioned Kysely migrations run at start-up by every process that
 * opens the store (worker and API). Never edit a migration that has shipped: add the next one.
 * Each runs in a transaction; Kysely serialises concurrent runners (PostgreSQL advisory lock,
 * SQLite's single writer).
 */
import { sql, type Kysely, type Migration } from 'kysely';

export type Engine = 'sqlite' | 'postgres';

export function migrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_audit_events': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('audit_events')
          // Insertion order: the tie-breaker of every listing, so paging is stable.
          .addColumn('pos', engine === 'postgres' ? 'bigserial' : 'integer', (c) => (engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('id', 'text', (c) => c.notNull().unique())
          .addColumn('request_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('resource', 'text', (c) => c.notNull())
          // ISO 8601 UTC with milliseconds (normalised on append): text order is time order.
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('details', 'text')
          .addColumn('recorded_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('audit_events_request').on('audit_events').columns(['request_id', 'at', 'seq']).execute();
        await db.schema.createIndex('audit_events_time').on('audit_events').columns(['at', 'seq', 'pos']).execute();
        await db.schema.createIndex('audit_events_actor').on('audit_events').columns(['actor', 'at']).execute();
        await db.schema.createIndex('audit_events_resource').on('audit_events').columns(['resource', 'at']).execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('audit_events').execute();
      },
    },
    '0002_standing_members': {
      async up(db: Kysely<unknown>) {
        // Who may be in a Gatehouse-managed group without an active grant (drift reconciliation):
        // members recorded as standing at grant time, and each group's first-run baseline.
        await db.schema
          .createTable('standing_members')
          .addColumn('group_id', 'text', (c) => c.notNull())
          .addColumn('member', 'text', (c) => c.notNull()) // login, lower-case
          .addColumn('user_id', 'text')
          .addColumn('source', 'text', (c) => c.notNull()) // "baseline" | "grant:<request id>"
          .addColumn('recorded_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('standing_members_pk', ['group_id', 'member'])
          .execute();
        await db.schema
          .createTable('reconcile_baselines')
          .addColumn('group_id', 'text', (c) => c.primaryKey())
          .addColumn('recorded_at', 'text', (c) => c.notNull())
          .addColumn('members', 'integer', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('reconcile_baselines').execute();
        await db.schema.dropTable('standing_members').execute();
      },
    },
    '0003_store_sequence': {
      async up(db: Kysely<unknown>) {
        // The order events were recorded in, assigned under a row lock (PostgreSQL) or the single
        // writer (SQLite) in the appending transaction: a commit never gets a number below one
        // already visible, so an export resumed after N never skips a late write. (`pos`, a
        // bigserial, is handed out before commit and can appear out of order.)
        const big = engine === 'postgres' ? 'bigint' : 'integer';
        await db.schema.alterTable('audit_events').addColumn('store_seq', big).execute();
        await sql`UPDATE audit_events SET store_seq = pos`.execute(db);
        await db.schema.createIndex('audit_events_store_seq').on('audit_events').column('store_seq').unique().execute();
        await db.schema
          .createTable('audit_counters')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', big, (c) => c.notNull())
          .execute();
        await sql`INSERT INTO audit_counters (name, value) SELECT 'events', COALESCE(MAX(pos), 0) FROM audit_events`.execute(db);
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('audit_counters').execute();
        await db.schema.dropIndex('audit_events_store_seq').execute();
        await db.schema.alterTable('audit_events').dropColumn('store_seq').execute();
      },
    },
    '0004_grant_ledger': {
      async up(db: Kysely<unknown>) {
        // One lease per access request: who holds which Okta group through Gatehouse, from when to
        // when. Written in the same transaction as the granted / expired / revoked audit events.
        await db.schema
          .createTable('grant_leases')
          .addColumn('request_id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('group_id', 'text', (c) => c.notNull())
          .addColumn('login', 'text', (c) => c.notNull())
          .addColumn('resource', 'text', (c) => c.notNull())
          .addColumn('workflow_id', 'text', (c) => c.notNull())
          .addColumn('started_at', 'text', (c) => c.notNull())
          // Was the person already in the group when the grant began (drift, or a standing record)?
          .addColumn('was_member', 'integer', (c) => c.notNull())
          .addColumn('ended_at', 'text')
          .addColumn('end_reason', 'text')
          .execute();
        await db.schema.createIndex('grant_leases_member').on('grant_leases').columns(['user_id', 'group_id', 'ended_at']).execute();
        await db.schema.createIndex('grant_leases_open').on('grant_leases').columns(['ended_at', 'group_id']).execute();
        // Standing access comes from two sources only: the group's first-sweep baseline, or an
        // explicit allowlist entry (who, when, why). Never from "already a member at grant time".
        await db.schema
          .createTable('standing_records')
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('group_id', 'text', (c) => c.notNull())
          .addColumn('login', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull()) // baseline | allowlist
          .addColumn('by', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('standing_records_pk', ['user_id', 'group_id'])
          .execute();
        // Baselines carry over (with their user id); 'grant:<request>' rows were guesses and are dropped.
        await sql`INSERT INTO standing_records (user_id, group_id, login, source, by, at, reason)
          SELECT user_id, group_id, member, 'baseline', 'gatehouse', recorded_at, 'in the group when Gatehouse first reconciled it'
          FROM standing_members WHERE source = 'baseline' AND user_id IS NOT NULL`.execute(db);
        await db.schema.dropTable('standing_members').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('standing_records').execute();
        await db.schema.dropTable('grant_leases').execute();
      },
    },
  };
}
