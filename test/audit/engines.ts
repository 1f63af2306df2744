/**
 * The audit store engines the tests run on: SQLite always; PostgreSQL when
 * GATEHOUSE_TEST_DATABASE_URL names a server (`.ci/run` starts one). In CI (CI=true) a missing URL
 * fails the suite instead of skipping it; locally the PostgreSQL cases are skipped with a notice.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStore } from '../../activities/audit/store';

export const postgresUrl = process.env.GATEHOUSE_TEST_DATABASE_URL;
export const inCi = process.env.CI === 'true';

export interface Engine {
  name: 'sqlite' | 'postgres';
  open(): AuditStore;
}

const sqlite: Engine = { name: 'sqlite', open: () => new AuditStore({ sqlitePath: join(mkdtempSync(join(tmpdir(), 'gatehouse-audit-')), 'audit.sqlite') }) };
const postgres: Engine = { name: 'postgres', open: () => new AuditStore({ databaseUrl: postgresUrl, sqlitePath: '' }) };

if (!postgresUrl && !inCi) {
  console.warn('GATEHOUSE_TEST_DATABASE_URL is not set: the PostgreSQL audit store cases are skipped (bash .ci/run starts a server and sets it).');
}

/** Every engine to test; in CI PostgreSQL is always included, so a missing URL fails its cases. */
export const ENGINES: Engine[] = postgresUrl || inCi ? [sqlite, postgres] : [sqlite];

/** Fails loudly when PostgreSQL is expected (CI) but not configured. */
export function requirePostgresInCi(): void {
  if (inCi && !postgresUrl) throw new Error('CI=true but GATEHOUSE_TEST_DATABASE_URL is not set: .ci/run must start PostgreSQL for the audit store tests');
}
