import { Router, type Request, type Response } from 'express';
import type { OktaContext } from './context';
import { compileFilter, FilterSyntaxError, type Predicate } from './filter';
import { paginate, queryParam } from './pagination';
import type { OktaGroup, OktaUser } from './state';
import { EVENTS, groupTarget, userTarget } from './system-log';
import { groupJson, sendNotFound, sendOktaError, userJson } from './wire';

function groupPredicate(req: Request): Predicate {
  const expression = queryParam(req, 'search') ?? queryParam(req, 'filter');
  if (expression) return compileFilter(expression);
  const q = queryParam(req, 'q')?.toLowerCase();
  if (q) return (resource) => String((resource as { profile: { name: string } }).profile.name).toLowerCase().startsWith(q);
  return () => true;
}

type MembershipParams = { groupId: string; userId: string };

export function groupsRouter(ctx: OktaContext): Router {
  const router = Router();
  const { state } = ctx;

  const findGroup = (req: Request<{ groupId: string }>, res: Response): OktaGroup | undefined => {
    const group = state.groups.get(req.params.groupId);
    if (!group) sendNotFound(res, req.params.groupId, 'UserGroup');
    return group;
  };
  const findMembership = (req: Request<MembershipParams>, res: Response): [OktaGroup, OktaUser] | undefined => {
    const group = findGroup(req, res);
    if (!group) return undefined;
    const user = state.findUser(req.params.userId);
    if (!user) {
      sendNotFound(res, req.params.userId, 'User');
      return undefined;
    }
    return [group, user];
  };

  router.get('/api/v1/groups', (req, res) => {
    let predicate: Predicate;
    try {
      predicate = groupPredicate(req);
    } catch (err) {
      if (err instanceof FilterSyntaxError) return sendOktaError(res, 400, 'E0000031', 'Invalid search criteria.', [err.message]);
      throw err;
    }
    const base = ctx.baseUrl(req);
    const groups = [...state.groups.values()].map((group) => groupJson(group, base) as Record<string, unknown> & { id: string });
    res.json(paginate(req, res, base, groups.filter(predicate), ctx.limits.groups));
  });

  router.get('/api/v1/groups/:groupId', (req, res) => {
    const group = findGroup(req, res);
    if (group) res.json(groupJson(group, ctx.baseUrl(req)));
  });

  router.get('/api/v1/groups/:groupId/users', (req, res) => {
    const group = findGroup(req, res);
    if (!group) return;
    const base = ctx.baseUrl(req);
    const members = [...group.members].map((id) => state.users.get(id)).filter((user): user is OktaUser => !!user);
    res.json(paginate(req, res, base, members, ctx.limits.groupUsers).map((user) => userJson(user, base)));
  });

  // Both are idempotent in Okta: adding a member twice or removing a non-member answers 204
  // (and logs nothing).
  router.put('/api/v1/groups/:groupId/users/:userId', (req, res) => {
    const found = findMembership(req, res);
    if (!found) return;
    const [group, user] = found;
    if (state.addMember(group, user.id)) ctx.record(req, res, { ...EVENTS.groupMemberAdd, target: [userTarget(user), groupTarget(group)] });
    res.status(204).end();
  });

  router.delete('/api/v1/groups/:groupId/users/:userId', (req, res) => {
    const found = findMembership(req, res);
    if (!found) return;
    const [group, user] = found;
    if (state.removeMember(group, user.id)) ctx.record(req, res, { ...EVENTS.groupMemberRemove, target: [userTarget(user), groupTarget(group)] });
    res.status(204).end();
  });

  return router;
}
