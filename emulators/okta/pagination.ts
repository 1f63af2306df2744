import type { Request, Response } from 'express';

export interface PageLimits {
  defaultLimit: number;
  maxLimit: number;
}

export function queryParam(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Cursor pagination as Okta does it: items ordered by id, `after` = the last id of the previous
 * page, and an ABSOLUTE `Link` header (rel="self", rel="next" while more remain) built from the
 * emulator's own base URL, because the SDK follows the next link verbatim.
 */
export function paginate<T extends { id: string }>(req: Request, res: Response, base: string, items: T[], limits: PageLimits): T[] {
  const requested = Number(queryParam(req, 'limit'));
  const limit = Number.isInteger(requested) && requested > 0 ? Math.min(requested, limits.maxLimit) : limits.defaultLimit;
  const after = queryParam(req, 'after');
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const remaining = after ? sorted.filter((item) => item.id > after) : sorted;
  const page = remaining.slice(0, limit);

  const selfUrl = new URL(req.originalUrl, base);
  const links = [`<${selfUrl.href}>; rel="self"`];
  const last = page[page.length - 1];
  if (remaining.length > limit && last) {
    const nextUrl = new URL(selfUrl.href);
    nextUrl.searchParams.set('after', last.id);
    nextUrl.searchParams.set('limit', String(limit));
    links.push(`<${nextUrl.href}>; rel="next"`);
  }
  res.setHeader('Link', links.join(', '));
  return page;
}
