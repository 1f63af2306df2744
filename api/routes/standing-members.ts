/**
 * /v1/standing-members (SPEC §6; scope `admin`): standing access is explicit. Reads come from the
 * ledger; a change runs as a short workflow whose activity writes the record and its audit event
 * (the API never writes to the store). An unknown person is 404; a group no resource uses is 422.
 */
import { Router } from 'express';
import { ulid } from 'ulid';
import { z } from 'zod';
import type { StandingRecord } from '../../activities/ports';
import { standingMemberWorkflow, type StandingChange } from '../../workflows/standing/workflow';
import type { ApiDeps } from '../app';
import { callerOf, scope, viaOf } from '../auth';
import { HttpError, notFound } from '../errors';
import type { People } from '../people';
import { loginSchema } from '../schemas';

const groupIdSchema = z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/, 'not an Okta group id');
export const addBody = z.strictObject({ login: loginSchema, groupId: groupIdSchema, reason: z.string().trim().min(1).max(500) });
export const listQuery = z.strictObject({ groupId: groupIdSchema.optional() });

export function standingMembersRouter(deps: ApiDeps, people: People): Router {
  const router = Router();
  router.use(scope('admin'));

  const managedGroups = () => new Set(Object.values(deps.policy().resources).map((r) => r.okta.groupId));
  const change = async (c: StandingChange) =>
    deps.temporal.workflow.execute(standingMemberWorkflow, {
      taskQueue: deps.taskQueue,
      workflowId: `standing-member-${c.groupId}-${c.userId}-${ulid()}`,
      args: [c],
      staticSummary: `${c.action} standing access: ${c.record?.login ?? c.userId} in ${c.groupId}`,
    });

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    if (!deps.audit) throw new HttpError(503, 'unavailable', 'the audit store is not configured');
    const items = await deps.audit.standingRecords(q.groupId);
    res.json({ items });
  });

  router.post('/', async (req, res) => {
    const body = addBody.parse(req.body);
    if (!managedGroups().has(body.groupId)) {
      throw new HttpError(422, 'beyond_policy', `no resource of the policy uses the Okta group ${body.groupId}`, [{ field: 'groupId', allowed: [...managedGroups()] }]);
    }
    const caller = callerOf(res);
    const user = await people.byLogin(body.login);
    if (!user) throw notFound(`user ${body.login}`);
    const by = caller.kind === 'person' ? caller.login : `http:${caller.kind === 'token' ? caller.name : caller.clientId}`;
    const record: StandingRecord = { userId: user.id, groupId: body.groupId, login: user.login.toLowerCase(), source: 'allowlist', by, at: new Date().toISOString(), reason: body.reason };
    await change({ action: 'add', userId: user.id, groupId: body.groupId, record, by, via: viaOf(caller), reason: body.reason });
    res.status(201).json(record);
  });

  router.delete('/:userId/:groupId', async (req, res) => {
    const userId = z.string().regex(/^[A-Za-z0-9_]{1,64}$/).safeParse(req.params.userId);
    const groupId = groupIdSchema.safeParse(req.params.groupId);
    if (!userId.success || !groupId.success) throw notFound('standing member');
    const caller = callerOf(res);
    const by = caller.kind === 'person' ? caller.login : `http:${caller.kind === 'token' ? caller.name : caller.clientId}`;
    const { changed } = await change({ action: 'remove', userId: userId.data, groupId: groupId.data, by, via: viaOf(caller) });
    if (!changed) throw notFound('standing member');
    res.status(204).end();
  });

  return router;
}
