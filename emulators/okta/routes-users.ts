import { Router, type Request, type Response } from 'express';
import type { OktaContext } from './context';
import { compileFilter, FilterSyntaxError, type Predicate } from './filter';
import { paginate, queryParam } from './pagination';
import type { OktaUser } from './state';
import { groupJson, sendNotFound, sendOktaError, userJson } from './wire';

/** `search`/`filter` predicate, `q` prefix match, or null (then DEPROVISIONED users are hidden, as Okta does). */
function userPredicate(req: Request): Predicate | null {
  const expression = queryParam(req, 'search') ?? queryParam(req, 'filter');
  if (expression) return compileFilter(expression);
  const q = queryParam(req, 'q')?.toLowerCase();
  if (q) {
    return (resource) => {
      const profile = (resource as { profile: Record<string, unknown> }).profile;
      return ['firstName', 'lastName', 'email', 'login'].some((key) => String(profile[key] ?? '').toLowerCase().startsWith(q));
    };
  }
  return null;
}

function withUser(ctx: OktaContext, handler: (req: Request<{ userId: string }>, res: Response, user: OktaUser) => void) {
  return (req: Request<{ userId: string }>, res: Response) => {
    const user = ctx.state.findUser(req.params.userId);
    if (!user) return sendNotFound(res, req.params.userId, 'User');
    handler(req, res, user);
  };
}

interface CreateUserBody {
  profile?: Record<string, unknown>;
  credentials?: { password?: { value?: string } };
  groupIds?: string[];
}

export function usersRouter(ctx: OktaContext): Router {
  const router = Router();
  const { state } = ctx;

  router.get('/api/v1/users', (req, res) => {
    let predicate: Predicate | null;
    try {
      predicate = userPredicate(req);
    } catch (err) {
      if (err instanceof FilterSyntaxError) return sendOktaError(res, 400, 'E0000031', 'Invalid search criteria.', [err.message]);
      throw err;
    }
    const base = ctx.baseUrl(req);
    const all = [...state.users.values()].map((user) => userJson(user, base) as Record<string, unknown> & { id: string });
    const matching = predicate ? all.filter(predicate) : all.filter((user) => user.status !== 'DEPROVISIONED');
    res.json(paginate(req, res, base, matching, ctx.limits.users));
  });

  router.post('/api/v1/users', (req, res) => {
    const body = (req.body ?? {}) as CreateUserBody;
    const activate = queryParam(req, 'activate') !== 'false';
    if (queryParam(req, 'nextLogin') && !activate) {
      return sendOktaError(res, 400, 'E0000125', 'Api validation failed: nextLogin requires activate=true');
    }
    const profile = body.profile ?? {};
    const missing = ['login', 'email', 'firstName', 'lastName'].filter((key) => typeof profile[key] !== 'string' || !profile[key]);
    if (missing.length) {
      return sendOktaError(res, 400, 'E0000001', `Api validation failed: ${missing.join(', ')}`, missing.map((key) => `${key}: The field cannot be left blank`));
    }
    if (state.findByLogin(String(profile.login))) {
      return sendOktaError(res, 400, 'E0000001', 'Api validation failed: login', ['login: An object with this field already exists in the current organization']);
    }
    const groups = (body.groupIds ?? []).map((id) => state.groups.get(id));
    if (groups.some((group) => !group)) {
      return sendOktaError(res, 400, 'E0000001', 'Api validation failed: groupIds', ['groupIds: unknown group']);
    }
    const hasPassword = typeof body.credentials?.password?.value === 'string';
    // Without a password Okta e-mails an activation link: the user stays PROVISIONED until they set one.
    const status = !activate ? 'STAGED' : hasPassword ? 'ACTIVE' : 'PROVISIONED';
    const user = state.addUser({ profile: profile as OktaUser['profile'], status, hasPassword });
    for (const group of groups) if (group) state.addMember(group, user.id);
    res.json(userJson(user, ctx.baseUrl(req)));
  });

  router.get(
    '/api/v1/users/:userId',
    withUser(ctx, (req, res, user) => res.json(userJson(user, ctx.baseUrl(req)))),
  );

  router.delete(
    '/api/v1/users/:userId',
    withUser(ctx, (_req, res, user) => {
      // Okta: the first DELETE of a live user deactivates it; deleting needs a second call.
      if (user.status === 'DEPROVISIONED') state.deleteUser(user);
      else state.deactivate(user);
      res.status(204).end();
    }),
  );

  router.get(
    '/api/v1/users/:userId/groups',
    withUser(ctx, (req, res, user) => {
      const base = ctx.baseUrl(req);
      const groups = [...state.groups.values()].filter((group) => group.members.has(user.id));
      res.json(paginate(req, res, base, groups, ctx.limits.groups).map((group) => groupJson(group, base)));
    }),
  );

  router.delete(
    '/api/v1/users/:userId/sessions',
    withUser(ctx, (_req, res, user) => {
      user.sessionsClearedAt = new Date().toISOString();
      res.status(204).end();
    }),
  );

  router.post(
    '/api/v1/users/:userId/lifecycle/activate',
    withUser(ctx, (req, res, user) => {
      if (!['STAGED', 'PROVISIONED', 'DEPROVISIONED'].includes(user.status)) {
        return sendOktaError(res, 403, 'E0000016', 'Activation failed because the user is already active');
      }
      state.setStatus(user, user.hasPassword ? 'ACTIVE' : 'PROVISIONED');
      const token = `emulated-${user.id}`;
      const sendEmail = queryParam(req, 'sendEmail') !== 'false';
      res.json(sendEmail ? {} : { activationToken: token, activationUrl: `${ctx.baseUrl(req)}/welcome/${token}` });
    }),
  );

  router.post(
    '/api/v1/users/:userId/lifecycle/deactivate',
    withUser(ctx, (_req, res, user) => {
      if (user.status !== 'DEPROVISIONED') state.deactivate(user);
      res.json({});
    }),
  );

  router.post(
    '/api/v1/users/:userId/lifecycle/suspend',
    withUser(ctx, (_req, res, user) => {
      if (user.status !== 'ACTIVE') {
        return sendOktaError(res, 400, 'E0000001', 'Api validation failed: user', ['Cannot suspend a user that is not active']);
      }
      state.setStatus(user, 'SUSPENDED');
      res.json({});
    }),
  );

  router.post(
    '/api/v1/users/:userId/lifecycle/unsuspend',
    withUser(ctx, (_req, res, user) => {
      if (user.status !== 'SUSPENDED') {
        return sendOktaError(res, 400, 'E0000001', 'Api validation failed: user', ['Cannot unsuspend a user that is not suspended']);
      }
      state.setStatus(user, 'ACTIVE');
      res.json({});
    }),
  );

  return router;
}
