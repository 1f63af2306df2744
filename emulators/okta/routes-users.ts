import { Router, type Request, type Response } from 'express';
import { randomId } from '../shared/http';
import type { OktaContext } from './context';
import { compileFilter, FilterSyntaxError, type Predicate } from './filter';
import { paginate, queryParam } from './pagination';
import type { OktaUser } from './state';
import { appInstanceTarget, appUserTarget, EVENTS, groupTarget, userTarget } from './system-log';
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

interface UserBody {
  profile?: Record<string, unknown>;
  credentials?: { password?: { value?: string } };
  groupIds?: string[];
}

/** Okta's default password policy, reduced to what a generated password must meet. */
function passwordProblem(password: string, profile: Record<string, unknown>): string | null {
  const parts = [String(profile.login ?? '').split('@')[0], profile.firstName, profile.lastName].filter((part): part is string => typeof part === 'string' && part.length >= 3);
  const ok =
    password.length >= 8 && /[a-z]/.test(password) && /[A-Z]/.test(password) && /\d/.test(password) && !parts.some((part) => password.toLowerCase().includes(part.toLowerCase()));
  return ok ? null : 'password: Password requirements were not met. Password requirements: at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your username.';
}

/** Statuses in which Okta lets an admin expire a password (a STAGED, SUSPENDED or DEPROVISIONED user has none to expire). */
const PASSWORD_STATUSES = new Set(['ACTIVE', 'PASSWORD_EXPIRED', 'RECOVERY', 'LOCKED_OUT', 'PROVISIONED']);

function sendWrongStatus(res: Response): void {
  sendOktaError(res, 403, 'E0000038', "This operation is not allowed in the user's current status.");
}

export function usersRouter(ctx: OktaContext): Router {
  const router = Router();
  const { state } = ctx;

  /** A profile the schema accepts, or a 400 E0000001 naming every bad property (as real Okta does). */
  const validProfile = (res: Response, profile: unknown, summary: string, partial = false): profile is Record<string, unknown> => {
    if (!profile || typeof profile !== 'object' || Array.isArray(profile)) {
      sendOktaError(res, 400, 'E0000001', `Api validation failed: ${summary}`, ['profile: must be an object']);
      return false;
    }
    const causes = state.schema.validateProfile(profile as Record<string, unknown>, partial);
    if (causes.length) sendOktaError(res, 400, 'E0000001', `Api validation failed: ${summary}`, causes);
    return causes.length === 0;
  };

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

  /**
   * Statuses after a create: activate=false → STAGED; a password → ACTIVE, or PASSWORD_EXPIRED with
   * nextLogin=changePassword (Okta: "created, activated, and the password is set to EXPIRED");
   * no password → PROVISIONED (Okta e-mails an activation link).
   */
  router.post('/api/v1/users', (req, res) => {
    const body = (req.body ?? {}) as UserBody;
    const activate = queryParam(req, 'activate') !== 'false';
    const nextLogin = queryParam(req, 'nextLogin');
    const password = body.credentials?.password?.value;
    if (nextLogin && !activate) return sendOktaError(res, 400, 'E0000125', 'Api validation failed: nextLogin requires activate=true');
    if (nextLogin && nextLogin !== 'changePassword') return sendOktaError(res, 400, 'E0000001', 'Api validation failed: nextLogin', ['nextLogin: must be changePassword']);
    if (nextLogin && typeof password !== 'string') return sendOktaError(res, 400, 'E0000124', 'Could not create user. To create a user and expire their password immediately, a password must be specified');
    if (!validProfile(res, body.profile ?? {}, 'newUser')) return;
    const profile = body.profile as OktaUser['profile'];
    if (state.findByLogin(profile.login)) {
      return sendOktaError(res, 400, 'E0000001', 'Api validation failed: login', ['login: An object with this field already exists in the current organization']);
    }
    const groups = (body.groupIds ?? []).map((id) => state.groups.get(id));
    if (groups.some((group) => !group)) {
      return sendOktaError(res, 400, 'E0000001', 'Api validation failed: groupIds', ['groupIds: unknown group']);
    }
    const weak = typeof password === 'string' ? passwordProblem(password, profile) : null;
    if (weak) return sendOktaError(res, 400, 'E0000001', 'Api validation failed: password', [weak]);

    const hasPassword = typeof password === 'string';
    const status = !activate ? 'STAGED' : !hasPassword ? 'PROVISIONED' : nextLogin ? 'PASSWORD_EXPIRED' : 'ACTIVE';
    const user = state.addUser({ profile, status, hasPassword });
    ctx.record(req, res, { ...EVENTS.userCreate, target: [userTarget(user)] });
    if (activate) ctx.record(req, res, { ...EVENTS.userActivate, target: [userTarget(user)] });
    for (const group of groups) {
      if (group && state.addMember(group, user.id)) ctx.record(req, res, { ...EVENTS.groupMemberAdd, target: [userTarget(user), groupTarget(group)] });
    }
    res.json(userJson(user, ctx.baseUrl(req)));
  });

  router.get(
    '/api/v1/users/:userId',
    withUser(ctx, (req, res, user) => res.json(userJson(user, ctx.baseUrl(req)))),
  );

  // POST updates the profile partially; PUT replaces it. Both go through the schema.
  const updateProfile = (partial: boolean) =>
    withUser(ctx, (req, res, user) => {
      const body = (req.body ?? {}) as UserBody;
      if (body.profile === undefined) return res.json(userJson(user, ctx.baseUrl(req)));
      if (!validProfile(res, body.profile, 'user', partial)) return;
      const profile = (partial ? { ...user.profile, ...body.profile } : body.profile) as OktaUser['profile'];
      const owner = state.findByLogin(profile.login);
      if (owner && owner.id !== user.id) {
        return sendOktaError(res, 400, 'E0000001', 'Api validation failed: login', ['login: An object with this field already exists in the current organization']);
      }
      // A null clears a property, as in Okta.
      user.profile = Object.fromEntries(Object.entries(profile).filter(([, value]) => value !== null)) as OktaUser['profile'];
      user.lastUpdated = new Date().toISOString();
      ctx.record(req, res, { ...EVENTS.userProfileUpdate, target: [userTarget(user)] });
      res.json(userJson(user, ctx.baseUrl(req)));
    });
  router.post('/api/v1/users/:userId', updateProfile(true));
  router.put('/api/v1/users/:userId', updateProfile(false));

  /** Deactivation, with the app assignments it removes (Okta unassigns apps; group memberships stay). */
  const deactivate = (req: Request, res: Response, user: OktaUser) => {
    const removed = state.deactivate(user);
    ctx.record(req, res, { ...EVENTS.userDeactivate, target: [userTarget(user)] });
    for (const { app, assignment } of removed) {
      ctx.record(req, res, { ...EVENTS.appMemberRemove, target: [appUserTarget(user, String(assignment.credentials.userName ?? user.profile.login)), appInstanceTarget(app), userTarget(user)] });
    }
  };

  router.delete(
    '/api/v1/users/:userId',
    withUser(ctx, (req, res, user) => {
      // Okta: the first DELETE of a live user deactivates it; deleting needs a second call.
      if (user.status === 'DEPROVISIONED') {
        state.deleteUser(user);
        ctx.record(req, res, { ...EVENTS.userDelete, target: [userTarget(user)] });
      } else {
        deactivate(req, res, user);
      }
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
    withUser(ctx, (req, res, user) => {
      user.sessionsClearedAt = new Date().toISOString();
      ctx.record(req, res, { ...EVENTS.userSessionClear, target: [userTarget(user)] });
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
      ctx.record(req, res, { ...EVENTS.userActivate, target: [userTarget(user)] });
      // The token is what the activation e-mail would carry; sendEmail=false hands it to the caller.
      const token = randomId('', 20);
      const sendEmail = queryParam(req, 'sendEmail') !== 'false';
      res.json(sendEmail ? {} : { activationToken: token, activationUrl: `${ctx.baseUrl(req)}/welcome/${token}` });
    }),
  );

  router.post(
    '/api/v1/users/:userId/lifecycle/deactivate',
    withUser(ctx, (req, res, user) => {
      if (user.status !== 'DEPROVISIONED') deactivate(req, res, user);
      res.json({});
    }),
  );

  router.post(
    '/api/v1/users/:userId/lifecycle/suspend',
    withUser(ctx, (req, res, user) => {
      if (user.status !== 'ACTIVE') {
        return sendOktaError(res, 400, 'E0000001', 'Api validation failed: user', ['Cannot suspend a user that is not active']);
      }
      state.setStatus(user, 'SUSPENDED');
      ctx.record(req, res, { ...EVENTS.userSuspend, target: [userTarget(user)] });
      res.json({});
    }),
  );

  router.post(
    '/api/v1/users/:userId/lifecycle/unsuspend',
    withUser(ctx, (req, res, user) => {
      if (user.status !== 'SUSPENDED') {
        return sendOktaError(res, 400, 'E0000001', 'Api validation failed: user', ['Cannot unsuspend a user that is not suspended']);
      }
      state.setStatus(user, 'ACTIVE');
      ctx.record(req, res, { ...EVENTS.userUnsuspend, target: [userTarget(user)] });
      res.json({});
    }),
  );

  router.post(
    '/api/v1/users/:userId/lifecycle/expire_password',
    withUser(ctx, (req, res, user) => {
      if (!PASSWORD_STATUSES.has(user.status)) return sendWrongStatus(res);
      state.setStatus(user, 'PASSWORD_EXPIRED');
      res.json(userJson(user, ctx.baseUrl(req)));
    }),
  );

  // The answer is {tempPassword} (OKTA-SPEC example), not the User the spec's schema names.
  router.post(
    '/api/v1/users/:userId/lifecycle/expire_password_with_temp_password',
    withUser(ctx, (req, res, user) => {
      if (!PASSWORD_STATUSES.has(user.status)) return sendWrongStatus(res);
      user.hasPassword = true;
      user.passwordChanged = new Date().toISOString();
      state.setStatus(user, 'PASSWORD_EXPIRED');
      if (queryParam(req, 'revokeSessions') === 'true') {
        user.sessionsClearedAt = new Date().toISOString();
        ctx.record(req, res, { ...EVENTS.userSessionClear, target: [userTarget(user)] });
      }
      let tempPassword: string;
      do tempPassword = randomId('', 10);
      while (passwordProblem(tempPassword, user.profile));
      res.json({ tempPassword });
    }),
  );

  return router;
}
