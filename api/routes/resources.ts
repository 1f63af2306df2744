/** GET /v1/resources: the policy catalogue, filtered by eligibility when a requester is given. */
import { Router } from 'express';
import { describeResource, isEligible } from '../../activities/policy/resolve';
import type { ApiDeps } from '../app';
import { scope } from '../auth';
import { notFound } from '../errors';
import { resourcesQuery } from '../schemas';

export function resourcesRouter(deps: Pick<ApiDeps, 'policy' | 'okta'>): Router {
  const router = Router();
  router.use(scope('requests:read'));
  router.get('/', async (req, res) => {
    const q = resourcesQuery.parse(req.query);
    let entries = Object.entries(deps.policy().resources);
    if (q.requester) {
      const user = await deps.okta.getUser(q.requester);
      if (!user || user.status === 'DEPROVISIONED') throw notFound(`user ${q.requester}`);
      entries = entries.filter(([, r]) => isEligible(r.eligibility, user.profile));
    }
    res.json({ items: entries.map(([key, r]) => describeResource(key, r)) });
  });
  return router;
}
