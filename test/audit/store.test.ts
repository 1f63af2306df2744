/**
 * The audit store on each engine: idempotent appends (a retried activity, even concurrent ones,
 * never writes a second row), per-request order, filters, stable keyset paging, the streaming
 * export, and the standing-member records reconciliation relies on.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { AuditStore } from '../../activities/audit/store';
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
    expect(await store.trail(rid)).toEqual([e]);
  });

  it('reads a request trail in order whatever the append order, with filters and stable paging', async () => {
    const rid = `R${randomUUID()}`;
    const events = [1, 2, 3, 4, 5, 6, 7].map((s) => event(rid, s, s === 7 ? 'expired' : s === 6 ? 'granted' : 'step', s === 3 ? { actor: 'bob@example.com' } : {}));
    for (const e of [...events].reverse()) await store.append(e);
    expect((await store.trail(rid)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.query({ requestId: rid }, { limit: 3, cursor });
      seen.push(...page.items.map((e) => e.seq));
      cursor = page.nextCursor ?? undefined;
      // An append between pages lands where it belongs and is not skipped or repeated.
      if (seen.length === 3) await store.append(event(rid, 8, 'late'));
    } while (cursor);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    expect((await store.query({ requestId: rid, actor: 'bob@example.com' }, { limit: 10 })).items.map((e) => e.seq)).toEqual([3]);
    expect((await store.query({ requestId: rid, type: ['granted', 'expired'] }, { limit: 10 })).items.map((e) => e.type)).toEqual(['granted', 'expired']);
    const window = await store.query({ requestId: rid, since: new Date(t0 + 2000).toISOString(), until: new Date(t0 + 4000).toISOString() }, { limit: 10 });
    expect(window.items.map((e) => e.seq)).toEqual([2, 3]);
    expect((await store.query({ requestId: rid, resource: 'other' }, { limit: 10 })).items).toEqual([]);
  });

  it('streams every match for export, across pages', async () => {
    const rid = `R${randomUUID()}`;
    for (let s = 1; s <= 25; s++) await store.append(event(rid, s, 'step'));
    const streamed: number[] = [];
    for await (const e of store.stream({ requestId: rid }, 7)) streamed.push(e.seq);
    expect(streamed).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
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

  it('records standing members at grant time and a baseline once per group', async () => {
    const rid = `R${randomUUID()}`;
    const group = `00g_${randomUUID()}`;
    await store.append(event(rid, 1, 'requested', { actor: 'Dave@Example.com' }));
    await store.append(event(rid, 2, 'granted', { actor: 'gatehouse', details: { standingMember: true, groupId: group } }));
    expect(await store.standingMembers(group)).toEqual([{ member: 'dave@example.com', userId: null, source: `grant:${rid}` }]);

    expect(await store.hasBaseline(group)).toBe(false);
    expect(await store.recordBaseline(group, [{ login: 'erin@example.com', userId: '00u_erin' }])).toBe(true);
    expect(await store.recordBaseline(group, [{ login: 'mallory@example.com', userId: '00u_mallory' }])).toBe(false);
    expect(await store.hasBaseline(group)).toBe(true);
    expect((await store.standingMembers(group)).map((m) => m.member).sort()).toEqual(['dave@example.com', 'erin@example.com']);
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
