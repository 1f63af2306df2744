/**
 * GET /v1/audit (SPEC §6): the audit log, filtered and paged; `Accept: application/x-ndjson`
 * streams every matching event (export), page by page from the store, with back-pressure.
 */
import { once } from 'node:events';
import { Router } from 'express';
import { z } from 'zod';
import { AuditStoreNotReady, InvalidCursorError, type AuditStore } from '../../activities/audit/store';
import type { AuditEvent } from '../../activities/ports';
import { scope } from '../auth';
import { HttpError } from '../errors';

/** What the API reads from the audit store. */
export type AuditReader = Pick<AuditStore, 'query' | 'latest' | 'stream' | 'trail' | 'ping' | 'lease' | 'standingRecords'>;

const isoTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 time like 2026-01-31T12:00:00Z' });

export const auditQuery = z.strictObject({
  requestId: z.string().trim().min(1).max(200).optional(),
  actor: z.string().trim().min(1).max(254).optional(),
  resource: z.string().trim().min(1).max(200).optional(),
  /** One event type, or several separated by commas. */
  type: z
    .string()
    .trim()
    .regex(/^[a-z_]+(,[a-z_]+)*$/, 'event types like granted,revoked')
    .optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  /** Resume after this store sequence number (each event's `storeSeq`): an export picks up where it stopped. */
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  pageToken: z.string().max(1024).regex(/^[A-Za-z0-9_-]+$/, 'not a page token').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const NDJSON = 'application/x-ndjson';

/** The store down, locked or not migrated yet: 503 with Retry-After, never a 500. */
function storeUnavailable(err: unknown): HttpError {
  const why = err instanceof AuditStoreNotReady ? err.message : 'the audit store is not answering just now';
  return new HttpError(503, 'unavailable', why, [], {}, 5);
}

export function auditRouter(audit: AuditReader | undefined): Router {
  const router = Router();
  router.use(scope('audit:read'));
  router.get('/', async (req, res) => {
    const q = auditQuery.parse(req.query);
    if (!audit) throw new HttpError(503, 'unavailable', 'the audit store is not configured');
    const filter = { requestId: q.requestId, actor: q.actor, resource: q.resource, type: q.type?.split(','), since: q.since, until: q.until, after: q.after };

    if ((req.get('accept') ?? '').includes(NDJSON)) {
      // The first page is read before the headers go out, so a store that is down is still a 503.
      const events = audit.stream(filter);
      let first: IteratorResult<AuditEvent>;
      try {
        first = await events.next();
      } catch (err) {
        throw storeUnavailable(err);
      }
      res.status(200).type(NDJSON);
      let closed = false;
      res.on('close', () => (closed = true));
      try {
        for (let next = first; !next.done && !closed; next = await events.next()) {
          if (!res.write(`${JSON.stringify(next.value)}\n`)) await once(res, 'drain');
        }
        res.end();
      } catch (err) {
        // Headers are gone: the client sees a cut stream, the log says why.
        req.log.error({ err }, 'audit export failed');
        res.destroy(err as Error);
      }
      return;
    }

    try {
      const page = await audit.query(filter, { limit: q.limit, cursor: q.pageToken });
      res.json({ items: page.items, nextPageToken: page.nextCursor });
    } catch (err) {
      if (err instanceof InvalidCursorError) throw new HttpError(400, 'validation_failed', 'invalid pageToken', [{ path: 'pageToken', message: err.message }]);
      throw storeUnavailable(err);
    }
  });
  return router;
}
