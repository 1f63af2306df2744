/**
 * /v1/risk/users/:login and /v1/reviews (SPEC §6, §12). A user's risk view comes from their
 * serializer workflow's Query; a review from its workflow (Query, or its result once decided).
 * Scope `admin` for tokens; a person's Okta token may read and decide a review they may decide,
 * as themselves.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { accessReviewWorkflowId, userRiskWorkflowId } from '../../workflows/constants';
import { RISK_LEVELS } from '../../workflows/risk/event';
import { mayReview } from '../../workflows/risk/state';
import { REVIEW_STATUSES, type AccessReviewState, type UserRiskState } from '../../workflows/risk/types';
import { formatDuration } from '../../workflows/access-request/wording';
import type { ApiDeps } from '../app';
import { actingPerson, callerOf, callerKey, requireScope, scope, viaOf } from '../auth';
import { HttpError, notFound } from '../errors';
import type { People } from '../people';
import { REVIEW_ID_PATTERN, type RiskService } from '../risk';
import { idempotencyKeyHeader, loginSchema } from '../schemas';
import { webUiLink, type ViewLinks } from '../views';

export const decideReviewBody = z.strictObject({
  reviewer: loginSchema.optional(),
  decision: z.enum(['keep', 'revoke']),
  comment: z.string().trim().max(2000).optional(),
});

const membership = z.object({ groupId: z.string(), by: z.enum(['gatehouse', 'admin']), at: z.string() }).nullable();

export const riskViewSchema = z.object({
  login: z.string(),
  userId: z.string(),
  /** false: Gatehouse has had no risk event for this user (LOW as far as it knows). */
  tracked: z.boolean(),
  level: z.enum(RISK_LEVELS),
  previousLevel: z.enum(RISK_LEVELS).nullable(),
  since: z.string().nullable(),
  detection: z.object({ name: z.string().nullable(), reasons: z.array(z.string()) }),
  quarantined: z.boolean(),
  quarantine: membership.describe('the quarantine group, and whether Gatehouse put the user there (by: gatehouse) or found them there (by: admin)'),
  mediumGroup: membership,
  incident: z.object({ key: z.string().nullable(), url: z.string().nullable(), status: z.enum(['opening', 'open', 'failed']), projectKey: z.string(), error: z.string().nullable() }).nullable(),
  actions: z.array(z.object({ at: z.string(), type: z.string(), text: z.string(), eventUuid: z.string().optional() })),
  events: z.array(
    z.object({
      uuid: z.string(),
      eventType: z.string(),
      published: z.string(),
      receivedAt: z.string(),
      level: z.enum(RISK_LEVELS).optional(),
      previousLevel: z.enum(RISK_LEVELS).optional(),
      appId: z.string().optional(),
      outcome: z.enum(['applied', 'unchanged', 'stale', 'handled']).describe('stale: older than an event already applied, so it changed nothing'),
    }),
  ),
  reviews: z.array(z.string()),
  links: z.object({ webUi: z.string().nullable() }),
});

export const reviewViewSchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  status: z.enum(REVIEW_STATUSES),
  login: z.string(),
  userId: z.string(),
  app: z.object({ id: z.string(), name: z.string(), onTimeout: z.enum(['keep', 'revoke']), reviewTimeout: z.string() }),
  level: z.enum(RISK_LEVELS),
  openedAt: z.string(),
  dueAt: z.string(),
  manager: z.string().nullable(),
  decision: z.object({ reviewer: z.string(), decision: z.enum(['keep', 'revoke']), comment: z.string().optional(), at: z.string(), via: z.string() }).nullable(),
  endedAt: z.string().nullable(),
  endReason: z.string().nullable(),
  links: z.object({ webUi: z.string() }),
});

function riskView(login: string, userId: string, s: UserRiskState | null, links: ViewLinks): z.infer<typeof riskViewSchema> {
  return {
    login: s?.login ?? login,
    userId,
    tracked: !!s,
    level: s?.level ?? 'LOW',
    previousLevel: s?.previousLevel ?? null,
    since: s?.since ?? null,
    detection: { name: s?.detectionName ?? null, reasons: s?.reasons ?? [] },
    quarantined: s?.level === 'HIGH',
    quarantine: s?.quarantine ?? null,
    mediumGroup: s?.medium ?? null,
    incident: s?.incident ? { key: s.incident.key ?? null, url: s.incident.url ?? null, status: s.incident.status, projectKey: s.incident.projectKey, error: s.incident.error ?? null } : null,
    actions: s?.actions ?? [],
    events: s?.events ?? [],
    reviews: s?.reviews ?? [],
    links: { webUi: s ? webUiLink(links, userRiskWorkflowId(userId)) : null },
  };
}

function reviewView(r: AccessReviewState, links: ViewLinks): z.infer<typeof reviewViewSchema> {
  return {
    id: r.reviewId,
    workflowId: accessReviewWorkflowId(r.reviewId),
    status: r.status,
    login: r.login,
    userId: r.userId,
    app: { id: r.app.id, name: r.app.name, onTimeout: r.app.onTimeout, reviewTimeout: formatDuration(r.app.reviewTimeoutMs) },
    level: r.level,
    openedAt: r.openedAt,
    dueAt: r.dueAt,
    manager: r.manager ?? null,
    decision: r.decision ?? null,
    endedAt: r.endedAt ?? null,
    endReason: r.endReason ?? null,
    links: { webUi: webUiLink(links, accessReviewWorkflowId(r.reviewId)) },
  };
}

export function riskRouter(deps: ApiDeps, risk: RiskService, people: People): Router {
  const router = Router();
  const links = { webUiUrl: deps.webUiUrl, namespace: deps.namespace };

  router.get('/users/:login', scope('admin'), async (req, res) => {
    const login = loginSchema.safeParse(req.params.login);
    if (!login.success) throw notFound('user');
    const user = await people.byLogin(login.data);
    if (!user) throw notFound(`user ${login.data}`);
    res.json(riskView(user.login.toLowerCase(), user.id, await risk.userRisk(user.id), links));
  });

  return router;
}

const reviewIdParam = (req: Request): string => {
  const id = String(req.params.id ?? '').toLowerCase();
  if (!REVIEW_ID_PATTERN.test(id)) throw notFound('review');
  return id;
};

export function reviewsRouter(deps: ApiDeps, risk: RiskService, people: People): Router {
  const router = Router();
  const links = { webUiUrl: deps.webUiUrl, namespace: deps.namespace };

  router.get('/:id', async (req, res) => {
    const id = reviewIdParam(req);
    const caller = callerOf(res);
    if (caller.kind !== 'person') requireScope(caller, 'admin');
    const review = await risk.review(id);
    // A person sees the reviews they may decide (and their own).
    if (caller.kind === 'person' && !mayReview(review, caller.login) && review.login !== caller.login) throw new HttpError(403, 'forbidden', 'only the manager, a reviewer or the user may read this review');
    res.json(reviewView(review, links));
  });

  router.post('/:id/decide', async (req, res) => {
    const id = reviewIdParam(req);
    const body = decideReviewBody.parse(req.body ?? {});
    const key = idempotencyKeyHeader.parse(req.get('idempotency-key'));
    const caller = callerOf(res);
    const reviewer = await actingPerson(people, caller, body.reviewer, { scope: 'admin', field: 'reviewer' });
    const updateId = key ? `http:decide:${callerKey(caller)}:${key}` : undefined;
    const review = await risk.decideReview(id, { reviewer, decision: body.decision, ...(body.comment ? { comment: body.comment } : {}), via: viaOf(caller) }, updateId);
    if (updateId && review.decision && review.decision.reviewer !== reviewer) {
      throw new HttpError(409, 'conflict', `this Idempotency-Key was already used by ${review.decision.reviewer} on this review`, [{ reason: 'idempotency_key_reused' }]);
    }
    res.json(reviewView(review, links));
  });

  return router;
}
