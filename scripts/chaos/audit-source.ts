/**
 * Where the chaos checks read a request's audit trail. ONE function, so the source can change in
 * one place: the API's `GET /v1/audit?requestId=` (the SQL audit store) when it answers, else the
 * NDJSON file the older file store wrote (GATEHOUSE_AUDIT_FILE).
 */
import { existsSync, readFileSync } from 'node:fs';

export interface AuditEventRecord {
  id: string;
  requestId: string;
  seq: number;
  type: string;
  actor: string;
  at: string;
}

export interface AuditSource {
  apiUrl: string;
  token: string;
  /** The NDJSON file of the file store, used only when the API has no audit route. */
  file?: string;
}

export async function readAuditTrail(source: AuditSource, requestId: string): Promise<{ from: 'api' | 'file'; events: AuditEventRecord[] }> {
  const events: AuditEventRecord[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < 100; page++) {
    const query = new URLSearchParams({ requestId, limit: '1000', ...(pageToken ? { pageToken } : {}) });
    const res = await fetch(`${source.apiUrl}/v1/audit?${query}`, { headers: { authorization: `Bearer ${source.token}` } });
    if (res.status === 404 && page === 0) return { from: 'file', events: readFile(source.file, requestId) };
    if (!res.ok) throw new Error(`GET /v1/audit?requestId=${requestId} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    const body = (await res.json()) as { items: AuditEventRecord[]; nextPageToken?: string | null };
    events.push(...body.items);
    pageToken = body.nextPageToken ?? undefined;
    if (!pageToken) break;
  }
  return { from: 'api', events };
}

function readFile(file: string | undefined, requestId: string): AuditEventRecord[] {
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .flatMap((line) => {
      try {
        const event = JSON.parse(line) as AuditEventRecord;
        return event.requestId === requestId ? [event] : [];
      } catch {
        return [];
      }
    });
}
