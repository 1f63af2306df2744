import { Router, type Request, type Response } from 'express';
import type { OktaContext } from './context';
import { paginate } from './pagination';
import type { OktaApp, OktaUser } from './state';
import { appInstanceTarget, appUserTarget, EVENTS, userTarget } from './system-log';
import { appJson, appUserJson, sendNotFound, sendOktaError } from './wire';

interface AssignBody {
  id?: string;
  scope?: string;
  credentials?: Record<string, unknown>;
  profile?: Record<string, unknown>;
}

export function appsRouter(ctx: OktaContext): Router {
  const router = Router();
  const { state } = ctx;

  const findApp = (req: Request<{ appId: string }>, res: Response): OktaApp | undefined => {
    const app = state.apps.get(req.params.appId);
    if (!app) sendNotFound(res, req.params.appId, 'AppInstance');
    return app;
  };

  router.get('/api/v1/apps/:appId', (req, res) => {
    const app = findApp(req, res);
    if (app) res.json(appJson(app, ctx.baseUrl(req)));
  });

  router.get('/api/v1/apps/:appId/users', (req, res) => {
    const app = findApp(req, res);
    if (!app) return;
    const base = ctx.baseUrl(req);
    res.json(paginate(req, res, base, [...app.users.values()], ctx.limits.appUsers).map((assignment) => appUserJson(app, assignment, base)));
  });

  /** Assigns (or updates an assignment); a new assignment logs application.user_membership.add. */
  const assign = (req: Request, res: Response, app: OktaApp, user: OktaUser, body: AssignBody) => {
    const isNew = !app.users.has(user.id);
    const assignment = state.assignApp(app, user, body);
    if (isNew) {
      const userName = String(assignment.credentials.userName ?? user.profile.login);
      ctx.record(req, res, { ...EVENTS.appMemberAdd, target: [appUserTarget(user, userName), appInstanceTarget(app), userTarget(user)], debugData: { appname: app.label } });
    }
    res.json(appUserJson(app, assignment, ctx.baseUrl(req)));
  };

  // Okta 8.x assigns with POST /apps/{appId}/users and the user id in the body; re-assigning updates.
  router.post('/api/v1/apps/:appId/users', (req, res) => {
    const app = findApp(req, res);
    if (!app) return;
    const body = (req.body ?? {}) as AssignBody;
    if (!body.id) return sendOktaError(res, 400, 'E0000001', 'Api validation failed: id', ['id: The field cannot be left blank']);
    const user = state.findUser(body.id);
    if (!user) return sendNotFound(res, body.id, 'User');
    assign(req, res, app, user, body);
  });

  // The older SDKs' assignment: PUT with the user id in the path.
  router.put('/api/v1/apps/:appId/users/:userId', (req, res) => {
    const app = findApp(req, res);
    if (!app) return;
    const user = state.findUser(req.params.userId);
    if (!user) return sendNotFound(res, req.params.userId, 'User');
    assign(req, res, app, user, (req.body ?? {}) as AssignBody);
  });

  router.get('/api/v1/apps/:appId/users/:userId', (req, res) => {
    const app = findApp(req, res);
    if (!app) return;
    const assignment = app.users.get(req.params.userId);
    if (!assignment) return sendNotFound(res, req.params.userId, 'AppUser');
    res.json(appUserJson(app, assignment, ctx.baseUrl(req)));
  });

  router.delete('/api/v1/apps/:appId/users/:userId', (req, res) => {
    const app = findApp(req, res);
    if (!app) return;
    const assignment = app.users.get(req.params.userId);
    if (!assignment) return sendNotFound(res, req.params.userId, 'AppUser');
    app.users.delete(req.params.userId);
    const user = state.users.get(req.params.userId);
    if (user) {
      const userName = String(assignment.credentials.userName ?? user.profile.login);
      ctx.record(req, res, { ...EVENTS.appMemberRemove, target: [appUserTarget(user, userName), appInstanceTarget(app), userTarget(user)], debugData: { appname: app.label } });
    }
    res.status(204).end();
  });

  return router;
}
