import { Router, type Request } from 'express';
import type { OktaContext } from './context';
import { compileFilter, FilterSyntaxError } from './filter';
import { queryParam } from './pagination';
import type { LogEvent, LogQuery } from './system-log';
import { sendOktaError } from './wire';

const DAY_MS = 24 * 60 * 60 * 1000;

class LogQueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly causes: string[] = [],
  ) {
    super(message);
  }
}

function dateParam(req: Request, name: string): number | undefined {
  const raw = queryParam(req, name);
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) {
    throw new LogQueryError('E0000030', `Bad request. Invalid ${name === 'since' ? 'start' : 'end'} date. Dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZZ, e.g. 2013-01-01T12:00:00.000-07:00.`);
  }
  return ms;
}

/** The GET /api/v1/logs parameters (OKTA-SPEC listLogEvents), validated as Okta does. */
function parseLogQuery(req: Request): LogQuery & { polling: boolean } {
  const until = dateParam(req, 'until');
  const end = until ?? Date.now() + 1;
  const since = dateParam(req, 'since') ?? end - 7 * DAY_MS;

  const rawLimit = queryParam(req, 'limit');
  const limit = rawLimit === undefined ? 100 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 0 || limit > 1000) throw new LogQueryError('E0000001', 'Api validation failed: limit', ['limit: must be an integer between 0 and 1000']);

  const sortOrder = queryParam(req, 'sortOrder') ?? 'ASCENDING';
  if (sortOrder !== 'ASCENDING' && sortOrder !== 'DESCENDING') throw new LogQueryError('E0000001', 'Api validation failed: sortOrder', ['sortOrder: must be ASCENDING or DESCENDING']);

  const rawAfter = queryParam(req, 'after');
  const after = rawAfter === undefined ? undefined : Number(rawAfter);
  if (after !== undefined && (!Number.isInteger(after) || after < 0)) throw new LogQueryError('E0000001', 'Api validation failed: after', ['after: not a cursor this org issued']);

  const keywords = (queryParam(req, 'q') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (keywords.length > 10 || keywords.some((keyword) => keyword.length > 40)) {
    throw new LogQueryError('E0000001', 'Api validation failed: q', ['q: at most 10 keywords of at most 40 characters each']);
  }

  const expression = queryParam(req, 'filter');
  let predicate: ((event: LogEvent) => boolean) | undefined;
  if (expression) {
    try {
      predicate = compileFilter(expression);
    } catch (err) {
      if (err instanceof FilterSyntaxError) throw new LogQueryError('E0000031', 'Invalid search criteria.', [err.message]);
      throw err;
    }
  }
  // A request without `until` in ascending order is Okta's "polling request": its next link never ends.
  return { since, until: end, after, predicate, keywords, limit, descending: sortOrder === 'DESCENDING', polling: until === undefined && sortOrder === 'ASCENDING' };
}

export function logsRouter(ctx: OktaContext): Router {
  const router = Router();

  router.get('/api/v1/logs', (req, res) => {
    let query: ReturnType<typeof parseLogQuery>;
    try {
      query = parseLogQuery(req);
    } catch (err) {
      if (err instanceof LogQueryError) return sendOktaError(res, 400, err.code, err.message, err.causes);
      throw err;
    }
    const page = ctx.state.systemLog.query(query);
    const selfUrl = new URL(req.originalUrl, ctx.baseUrl(req));
    const links = [`<${selfUrl.href}>; rel="self"`];
    if (page.more || query.polling) {
      const nextUrl = new URL(selfUrl.href);
      const cursor = page.cursor ?? query.after;
      if (cursor !== undefined) nextUrl.searchParams.set('after', String(cursor));
      links.push(`<${nextUrl.href}>; rel="next"`);
    }
    res.setHeader('Link', links.join(', '));
    res.json(page.events);
  });

  return router;
}
