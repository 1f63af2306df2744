/**
 * GET /v1/audit (SPEC §6): the audit log, filtered and paged; `Accept: application/x-ndjson`
 * streams every matching event (export), page by page from the store, with back-pressure.
 */
import { once } from 'node:events';
import { Router } from 'express';
import { z } from 'zod';
import { InvalidCursorError, type AuditStore } from '../../activities/audit/store';
import { HttpError } from '../errors';

/** What the API reads from the audit store. */
export type AuditReader = Pick<AuditStore, 'query' | 'stream' | 'trail' | 'ping'>;

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
  pageToken: z.string().max(1024).regex(/^[A-Za-z0-9_-]+$/, 'not a page token').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const NDJSON = 'application/x-ndjson';

export function auditRouter(audit: AuditReader | undefined): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = auditQuery.parse(req.query);
    if (!audit) throw new HttpError(503, 'unavailable', 'the audit store is not configured');
    const filter = { requestId: q.requestId, actor: q.actor, resource: q.resource, type: q.type?.split(','), since: q.since, until: q.until };

    if ((req.get('accept') ?? '').includes(NDJSON)) {
      res.status(200).type(NDJSON);
      let closed = false;
      res.on('close', () => (closed = true));
      try {
        for await (const event of audit.stream(filter)) {
          if (closed) break;
          if (!res.write(`${JSON.stringify(event)}\n`)) await once(res, 'drain');
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
      throw err;
    }
  });
  return router;
}
