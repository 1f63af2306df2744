/**
 * The audit store on each engine: idempotent appends (a retried activity, even concurrent ones,
 * never writes a second row), per-request order, filters, stable keyset paging, the streaming
 * export, and the standing-member records reconciliation relies on.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { AuditStore, AuditStoreNotReady } from '../../activities/audit/store';
import type { AuditEvent } from '../../activities/ports';
import { waitFor } from '../helpers/wait';
import { ENGINES, inCi, postgresUrl, requirePostgresInCi } from './engines';

it('runs against PostgreSQL in CI', () => {
  requirePostgresInCi();
  if (inCi) expect(postgresUrl).toMatch(/^postgres/);
});

describe.each(ENGINES)('audit store on $name', (engine) => {
  let store: AuditStore;
  beforeAll(async () => {
    requirePostgresInCi();
    store = engine.open();
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
  });

  const t0 = Date.parse('2026-03-01T10:00:00.000Z');
  const event = (requestId: string, seq: number, type: string, extra: Partial<AuditEvent> = {}): AuditEvent => ({
    id: `${requestId}:${seq}`,
    requestId,
    seq,
    type,
    actor: 'alice@example.com',
    resource: 'prod-db-admin',
    at: new Date(t0 + seq * 1000).toISOString(),
    details: { n: seq },
    ...extra,
  });

  it('migrations are idempotent (a second process starting finds nothing to do)', async () => {
    const other = engine.open();
    await other.migrate();
    await other.migrate();
    await other.close();
  });

  it('appends once per event id, even under concurrent retries', async () => {
    const rid = `R${randomUUID()}`;
    const e = event(rid, 1, 'requested');
    const results = await Promise.all(Array.from({ length: 8 }, () => store.appendOnce(e)));
    expect(results.filter(Boolean)).toHaveLength(1);
    await store.append({ ...e, type: 'changed on retry' });
    expect(await store.trail(rid)).toEqual([{ ...e, storeSeq: expect.any(Number) }]);
  });

  it('reads a request trail in order whatever the append order, with filters and stable paging', async () => {
    const rid = `R${randomUUID()}`;
    const events = [1, 2, 3, 4, 5, 6, 7].map((s) => event(rid, s, s === 7 ? 'expired' : s === 6 ? 'granted' : 'step', s === 3 ? { actor: 'bob@example.com' } : {}));
    for (const e of [...events].reverse()) await store.append(e);
    expect((await store.trail(rid)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    // Listings page in recording order (the store sequence): here 7 … 1, as appended.
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.query({ requestId: rid }, { limit: 3, cursor });
      seen.push(...page.items.map((e) => e.seq));
      cursor = page.nextCursor ?? undefined;
      // A late write with an early `at` is appended between pages: it is served once, last.
      if (seen.length === 3) await store.append(event(rid, 0, 'late'));
    } while (cursor);
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);

    expect((await store.query({ requestId: rid, actor: 'bob@example.com' }, { limit: 10 })).items.map((e) => e.seq)).toEqual([3]);
    expect((await store.query({ requestId: rid, type: ['granted', 'expired'] }, { limit: 10 })).items.map((e) => e.type)).toEqual(['expired', 'granted']);
    const window = await store.query({ requestId: rid, since: new Date(t0 + 2000).toISOString(), until: new Date(t0 + 4000).toISOString() }, { limit: 10 });
    expect(window.items.map((e) => e.seq)).toEqual([3, 2]);
    expect((await store.query({ requestId: rid, resource: 'other' }, { limit: 10 })).items).toEqual([]);
  });

  it('gives every event a store sequence in commit order; an export resumed after it never skips a late write', async () => {
    const rid = `R${randomUUID()}`;
    await store.append(event(rid, 5, 'step'));
    await store.append(event(rid, 6, 'step'));
    const exported = (await store.query({ requestId: rid }, { limit: 10 })).items;
    const last = exported.at(-1)!.storeSeq!;
    expect(exported.map((e) => e.storeSeq)).toEqual([last - 1, last].map(() => expect.any(Number)));
    expect(exported[0]!.storeSeq).toBeLessThan(last);
    // Recorded after the export stopped, but with an earlier time (a retried activity, a slow worker).
    await store.append(event(rid, 1, 'late'));
    const resumed = await store.query({ requestId: rid, after: last }, { limit: 10 });
    expect(resumed.items.map((e) => e.type)).toEqual(['late']);
    expect(resumed.items[0]!.storeSeq).toBeGreaterThan(last);
    // Concurrent appends get distinct, increasing numbers.
    const many = Array.from({ length: 20 }, (_, i) => event(rid, 10 + i, 'burst'));
    await Promise.all(many.map((e) => store.append(e)));
    const seqs = (await store.query({ requestId: rid, type: 'burst' }, { limit: 50 })).items.map((e) => e.storeSeq!);
    expect(new Set(seqs).size).toBe(20);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('streams every match for export, across pages', async () => {
    const rid = `R${randomUUID()}`;
    for (let s = 1; s <= 25; s++) await store.append(event(rid, s, 'step'));
    const streamed: number[] = [];
    for await (const e of store.stream({ requestId: rid }, 7)) streamed.push(e.seq);
    expect(streamed).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('reads the newest matching events first, at most as many as asked', async () => {
    const rid = `R${randomUUID()}`;
    for (let s = 1; s <= 6; s++) await store.append(event(rid, s, s % 2 ? 'drift_detected' : 'other'));
    const newest = await store.latest({ requestId: rid, type: ['drift_detected'] }, 2);
    expect(newest.map((e) => e.seq)).toEqual([5, 3]);
  });

  it('gives events recorded outside the workflow the resource of their request', async () => {
    const rid = `R${randomUUID()}`;
    await store.append(event(rid, 1, 'requested'));
    await store.append({ ...event(rid, 0, 'external_call_retried'), id: `retry:${rid}`, resource: '', at: new Date(t0 + 1500).toISOString() });
    expect((await store.trail(rid)).map((e) => [e.type, e.resource])).toEqual([
      ['requested', 'prod-db-admin'],
      ['external_call_retried', 'prod-db-admin'],
    ]);
  });

  it('never records a standing member from a grant; a baseline once per group; allowlist entries with who and why', async () => {
    const rid = `R${randomUUID()}`;
    const group = `00g_${randomUUID()}`;
    await store.append(event(rid, 1, 'requested', { actor: 'Dave@Example.com' }));
    await store.append(event(rid, 2, 'granted', { actor: 'gatehouse', details: { standingMember: true, groupId: group } }));
    expect(await store.standingRecords(group)).toEqual([]);

    expect(await store.hasBaseline(group)).toBe(false);
    expect(await store.recordBaseline(group, [{ login: 'erin@example.com', userId: '00u_erin' }])).toBe(true);
    expect(await store.recordBaseline(group, [{ login: 'mallory@example.com', userId: '00u_mallory' }])).toBe(false);
    expect(await store.hasBaseline(group)).toBe(true);
    expect((await store.standingRecords(group)).map((r) => [r.login, r.source, r.by])).toEqual([['erin@example.com', 'baseline', 'gatehouse']]);

    const at = new Date().toISOString();
    const added = { id: `allow:${group}`, requestId: `standing-${group}`, seq: 0, type: 'standing_member_added', actor: 'admin@example.com', resource: '', at };
    const record = { userId: '00u_dave', groupId: group, login: 'dave@example.com', source: 'allowlist' as const, by: 'admin@example.com', at, reason: 'on call DBA' };
    expect(await store.putStandingRecord(record, added)).toBe(true);
    expect(await store.putStandingRecord(record, added)).toBe(false);
    expect(await store.standingRecord('00u_dave', group)).toMatchObject({ source: 'allowlist', by: 'admin@example.com', reason: 'on call DBA' });
    const removed = { ...added, id: `unallow:${group}`, type: 'standing_member_removed' };
    expect(await store.deleteStandingRecord('00u_dave', group, removed)).toBe(true);
    expect(await store.deleteStandingRecord('00u_dave', group, removed)).toBe(false);
    expect(await store.standingRecord('00u_dave', group)).toBeNull();
    expect((await store.trail(`standing-${group}`)).map((e) => e.type)).toEqual(['standing_member_added', 'standing_member_removed']);
  });

  it('opens and closes a lease once, in the same transaction as its audit events', async () => {
    const rid = `R${randomUUID()}`;
    const group = `00g_${randomUUID()}`;
    const lease = { requestId: rid, userId: '00u_alice', groupId: group, login: 'alice@example.com', resource: 'prod-db-admin', workflowId: `access-request-${rid}`, startedAt: new Date(t0).toISOString(), wasMember: false };
    const opened = await Promise.all([1, 2, 3].map(() => store.openLease(lease, [event(rid, 7, 'granted')])));
    expect(opened.every((l) => l.endedAt === null && l.requestId === rid)).toBe(true);
    expect((await store.openLeases({ groupId: group })).map((l) => l.requestId)).toEqual([rid]);
    expect((await store.trail(rid)).map((e) => e.type)).toEqual(['granted']);

    const end = { at: new Date(t0 + 60_000).toISOString(), reason: 'expired' };
    const first = await store.closeLease(rid, end, [event(rid, 8, 'expired')]);
    const again = await store.closeLease(rid, end, [event(rid, 8, 'expired')]);
    expect([first.closed, again.closed]).toEqual([true, false]);
    expect(again.lease).toMatchObject({ endedAt: end.at, endReason: 'expired' });
    expect(await store.openLeases({ groupId: group })).toEqual([]);
    expect((await store.leasesEndedSince(group, new Date(t0).toISOString())).map((l) => l.requestId)).toEqual([rid]);
    expect((await store.trail(rid)).map((e) => e.type)).toEqual(['granted', 'expired']);
  });

  if (engine.name === 'postgres') {
    it('survives its idle connections being cut (a server restart), and reconnects', async () => {
      const rid = `R${randomUUID()}`;
      await store.append(event(rid, 1, 'requested'));
      // Kill every other backend of this database, as a restart or failover does; the store's
      // idle connections then emit an error that would crash the process if nobody listened.
      const admin = new Client({ connectionString: postgresUrl });
      await admin.connect();
      try {
        const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
        expect(rowCount).toBeGreaterThan(0);
      } finally {
        await admin.end();
      }
      await waitFor(() => store.append(event(rid, 2, 'granted')).then(() => true), 'the store to reconnect', 10_000);
      expect((await store.trail(rid)).map((e) => e.seq)).toEqual([1, 2]);
    });
  }

  it('answers a ping, and refuses a forged cursor', async () => {
    await store.ping();
    await expect(store.query({}, { limit: 1, cursor: 'bm90IGEgY3Vyc29y' })).rejects.toThrow('not a cursor');
  });
});

describe('a read-only audit store (the API)', () => {
  it('SQLite: waits for the worker to create and migrate the file, then reads and cannot write', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gatehouse-ro-')), 'audit.sqlite');
    const reader = new AuditStore({ sqlitePath: path, readOnly: true });
    await expect(reader.migrate()).rejects.toBeInstanceOf(AuditStoreNotReady);
    const writer = new AuditStore({ sqlitePath: path });
    await writer.migrate();
    await writer.append({ id: 'ro:1', requestId: 'ro', seq: 1, type: 'requested', actor: 'a@example.com', resource: 'r', at: new Date().toISOString() });
    expect((await reader.trail('ro')).map((e) => e.id)).toEqual(['ro:1']);
    await expect(reader.append({ id: 'ro:2', requestId: 'ro', seq: 2, type: 'x', actor: 'a', resource: 'r', at: new Date().toISOString() })).rejects.toThrow(/readonly|read-only/i);
    await reader.close();
    await writer.close();
  });

  (postgresUrl ? it : it.skip)('PostgreSQL: works on a role that may only SELECT', async () => {
    const writer = new AuditStore({ databaseUrl: postgresUrl, sqlitePath: '' });
    await writer.migrate();
    const role = `gh_reader_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const admin = new Pool({ connectionString: postgresUrl });
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'reader-pw'`);
    await admin.query(`GRANT SELECT ON audit_events, audit_counters, grant_leases, standing_records, reconcile_baselines, gatehouse_migrations TO ${role}`);
    const url = new URL(postgresUrl!);
    url.username = role;
    url.password = 'reader-pw';
    const reader = new AuditStore({ databaseUrl: url.toString(), sqlitePath: '', readOnly: true });
    try {
      await reader.migrate();
      await writer.append({ id: `${role}:1`, requestId: role, seq: 1, type: 'requested', actor: 'a@example.com', resource: 'r', at: new Date().toISOString() });
      expect((await reader.trail(role)).map((e) => e.type)).toEqual(['requested']);
      // The store refuses a write itself; the database would refuse it too.
      await expect(reader.append({ id: `${role}:2`, requestId: role, seq: 2, type: 'x', actor: 'a', resource: 'r', at: new Date().toISOString() })).rejects.toThrow(/read-only/);
      const asRole = new Pool({ connectionString: url.toString() });
      await expect(asRole.query(`INSERT INTO audit_events (id) VALUES ('${role}:3')`)).rejects.toThrow(/permission denied/);
      await asRole.end();
    } finally {
      await reader.close();
      await writer.close();
      await admin.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => undefined);
      await admin.end();
    }
  });
});
