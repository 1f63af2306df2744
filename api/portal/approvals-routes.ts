/**
 * Approvals: what waits for the signed-in person (requests pending approval whose current step
 * lists them and that they have not decided yet), live, with Approve and Deny (with a reason).
 * Decisions are the same Updates as HTTP and Slack, with `via: 'portal'`.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import { approveUpdate, denyUpdate } from '../../workflows/access-request/messages';
import type { LoadedState } from '../access-requests';
import { HttpError } from '../errors';
import { toRequestView } from '../views';
import type { PortalContext } from './context';
import { checkPost, personOf, requirePerson } from './guard';
import { html, type Html } from './html';
import { page, type PortalPerson } from './layout';
import { approverActions, awaitsDecisionBy, facts, statusBadge } from './render';
import { refusalOf, type Refusal } from './refusals';
import { doneNotice, liveAnswer, requestIdParam } from './requests-routes';

/** At most this many pending requests are looked at (visibility has no approver attribute to filter on). */
const PENDING_LIMIT = 500;

/**
 * Every pending request, shared by all approvers' pages for `ttlMs`: however many pages poll,
 * one listing (and one status query per pending request) runs per interval in each API process.
 */
export function createPendingFeed(ctx: Pick<PortalContext, 'service'>, ttlMs = 2000) {
  let cached: { at: number; items: Promise<LoadedState[]> } | undefined;
  async function load(): Promise<LoadedState[]> {
    const items: LoadedState[] = [];
    let pageToken: string | undefined;
    do {
      const page = await ctx.service.list({ status: 'pending_approval' }, 100, pageToken);
      items.push(...page.items);
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken && items.length < PENDING_LIMIT);
    return items;
  }
  return {
    get(): Promise<LoadedState[]> {
      if (!cached || Date.now() - cached.at > ttlMs) {
        const items = load();
        cached = { at: Date.now(), items };
        items.catch(() => (cached = undefined));
      }
      return cached.items;
    },
    /** After a decision or a new request here, the next page shows it at once. */
    invalidate(): void {
      cached = undefined;
    },
  };
}
export type PendingFeed = ReturnType<typeof createPendingFeed>;

function approvalCard(ctx: PortalContext, person: PortalPerson, loaded: LoadedState): Html {
  const view = toRequestView(loaded.state, ctx.links);
  return html`<li class="card" data-request="${view.id}"><h2><a href="/requests/${view.id}">${view.requester} → ${view.resourceName ?? view.resource}</a> ${statusBadge(view.status)}</h2>
${facts(view, { requester: true })}${approverActions(loaded.state, person)}</li>`;
}

async function waitingFor(ctx: PortalContext, feed: PendingFeed, person: PortalPerson): Promise<{ markup: Html; summary: string }> {
  const mine = (await feed.get()).filter((l) => awaitsDecisionBy(l.state, person.login)).sort((a, b) => a.state.createdAt.localeCompare(b.state.createdAt));
  const markup = mine.length ? html`${mine.map((l) => approvalCard(ctx, person, l))}` : html`<li class="empty">Nothing waits for you.</li>`;
  return { markup, summary: mine.length === 1 ? '1 request waits for you.' : `${mine.length} requests wait for you.` };
}

export function approvalsRouter(ctx: PortalContext, feed: PendingFeed): Router {
  const router = Router();
  const me = (res: Response) => personOf(res)!;

  const render = async (res: Response, opts: { notice?: string | null; refusal?: Refusal } = {}) => {
    const person = me(res);
    const { markup, summary } = await waitingFor(ctx, feed, person);
    return page(
      { title: 'Approvals', person, current: '/approvals', notice: opts.notice, error: opts.refusal?.message },
      html`<p id="live-status" class="meta" role="status">${summary}</p>
<ul class="list" id="approvals" data-live="/approvals/live" data-signature="${liveAnswer(markup, summary).signature}">${markup}</ul>`,
    );
  };

  router.get('/approvals', requirePerson, async (req, res) => {
    res.send(await render(res, { notice: doneNotice(req) }));
  });

  router.get('/approvals/live', async (_req, res) => {
    const person = personOf(res);
    if (!person) throw new HttpError(401, 'unauthorized', 'not signed in');
    const { markup, summary } = await waitingFor(ctx, feed, person);
    res.set('Cache-Control', 'no-store').json(liveAnswer(markup, summary));
  });

  const decision = (name: 'approve' | 'deny', parse: (body: unknown) => { _csrf: string; reason?: string }) => {
    router.post(`/approvals/:id/${name}`, requirePerson, checkPost(ctx.publicOrigin), async (req, res) => {
      const person = me(res);
      const id = requestIdParam(req);
      const body = parse(req.body);
      // One person decides once per request: the same id makes a double click one Update.
      const updateId = `portal:${name}:${id}:${person.login}`;
      try {
        const reason = body.reason?.trim();
        await ctx.service.decide(id, name === 'approve' ? approveUpdate : denyUpdate, { approver: person.login, ...(reason ? { reason } : {}), via: 'portal' }, updateId);
      } catch (err) {
        const refusal = refusalOf(err, `${name} this request`);
        if (!refusal) throw err;
        feed.invalidate();
        return res.status(refusal.status).send(await render(res, { refusal }));
      }
      req.log.info({ requestId: id, approver: person.login, decision: name, via: 'portal' }, 'portal: decision');
      feed.invalidate();
      res.redirect(303, `/approvals?done=${name === 'approve' ? 'approved' : 'denied'}`);
    });
  };
  decision('approve', (b) => z.strictObject({ _csrf: z.string() }).parse(b));
  decision('deny', (b) => z.strictObject({ _csrf: z.string(), reason: z.string().max(2000).default('') }).parse(b));

  return router;
}
