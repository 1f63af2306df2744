/**
 * /v1/temporary-accounts (SPEC §6, §11; scope `temporary-accounts`): create, list, read, extend,
 * close. Off (404) while the policy has no `temporaryAccounts:`. A person's Okta token acts as the
 * manager itself; a static token names the manager or the actor. Who may extend or close is the
 * workflow validator's rule (the manager or a security admin).
 */
import { Router, type Request, type Response } from 'express';
import type { AccountState } from '../../workflows/temporary-account/types';
import { newRequestId, REQUEST_ID_PATTERN, requestIdForIdempotencyKey } from '../access-requests';
import type { ApiDeps } from '../app';
import { actingPerson, callerKey, callerOf, scope, viaOf, type Caller } from '../auth';
import { HttpError, notFound } from '../errors';
import type { People } from '../people';
import { closeAccountBody, createAccountBody, extendAccountBody, idempotencyKeyHeader, listAccountsQuery } from '../schemas';
import { toAccountView } from '../temporary-account-view';
import type { LoadedAccount, TemporaryAccountService } from '../temporary-accounts';

const RESOLUTION_STATUS = { feature_off: [404, 'not_found'], unknown_user: [404, 'not_found'], not_eligible: [403, 'forbidden'] } as const;

function accountIdParam(req: Request): string {
  const id = String(req.params.id ?? '').toUpperCase();
  if (!REQUEST_ID_PATTERN.test(id)) throw notFound('temporary account');
  return id;
}

/** A person reads the accounts they manage, or those they are a security admin of. */
function mayRead(caller: Caller, state: AccountState): boolean {
  return caller.kind !== 'person' || caller.login === state.manager || state.resolved.admins.includes(caller.login);
}

export function temporaryAccountsRouter(deps: ApiDeps, service: TemporaryAccountService, people: People): Router {
  const router = Router();
  router.use(scope('temporary-accounts'));
  router.use((_req, _res, next) => next(deps.policy().temporaryAccounts ? undefined : new HttpError(404, 'not_found', 'temporary accounts are not enabled by the policy')));
  const view = (loaded: LoadedAccount) => toAccountView(loaded.state, { webUiUrl: deps.webUiUrl, namespace: deps.namespace }, loaded.partial);

  router.post('/', async (req, res) => {
    const body = createAccountBody.parse(req.body);
    const caller = callerOf(res);
    const manager = await actingPerson(people, caller, body.manager, { scope: 'temporary-accounts', field: 'manager', unknownIs404: true });
    const accountId = body.idempotencyKey ? requestIdForIdempotencyKey(callerKey(caller), manager, `temporary-account\n${body.idempotencyKey}`) : newRequestId();
    if (body.idempotencyKey) {
      const existing = await service.load(accountId).catch((err: unknown) => {
        if (err instanceof HttpError && err.status === 404) return undefined;
        throw err;
      });
      if (existing) {
        const same = existing.state.firstName === body.firstName && existing.state.lastName === body.lastName;
        if (!same) throw new HttpError(409, 'conflict', 'this idempotencyKey was already used for another account', [{ accountId }], { accountId });
        res.status(200).json(view(existing));
        return;
      }
    }
    const resolution = await service.resolve(manager, { validityMs: body.validity, groups: body.groups });
    if (!resolution.ok) {
      if (resolution.code === 'not_offered') {
        throw new HttpError(422, 'beyond_policy', resolution.message, resolution.problems.map((p) => ({ field: p.field, message: p.message, allowed: p.allowed })));
      }
      const [status, code] = RESOLUTION_STATUS[resolution.code];
      throw new HttpError(status, code, resolution.message, [{ reason: resolution.code }]);
    }
    const started = await service.start({
      accountId,
      manager,
      firstName: body.firstName,
      lastName: body.lastName,
      ...(body.personalEmail ? { personalEmail: body.personalEmail.toLowerCase() } : {}),
      validityMs: body.validity,
      groups: [...new Set(body.groups)],
      reason: body.reason,
      via: viaOf(caller),
      submittedAt: new Date().toISOString(),
      resolved: resolution.resolved,
    });
    req.log.info({ accountId, workflowId: `temporary-account-${accountId}`, manager, created: started.created }, 'temporary account requested');
    res.status(started.created ? 201 : 200).json(view(started));
  });

  router.get('/', async (req, res) => {
    const q = listAccountsQuery.parse(req.query);
    const caller = callerOf(res);
    if (caller.kind === 'person' && q.manager && q.manager !== caller.login) throw new HttpError(403, 'forbidden', `a personal Okta token lists only the accounts ${caller.login} manages`, [{ path: 'manager' }]);
    const manager = caller.kind === 'person' ? caller.login : q.manager;
    const page = await service.list({ ...(manager ? { manager } : {}), ...(q.status ? { status: q.status } : {}) }, q.pageSize, q.pageToken);
    res.json({ items: page.items.map(view), nextPageToken: page.nextPageToken });
  });

  router.get('/:id', async (req, res) => {
    const loaded = await service.load(accountIdParam(req));
    if (!mayRead(callerOf(res), loaded.state)) throw new HttpError(403, 'forbidden', 'only the manager or a security admin may read this account');
    res.json(view(loaded));
  });

  /** Extend and close: who acts (a person token only as itself), the Update keyed by the Idempotency-Key. */
  const change = <B extends { actor?: string }>(name: 'extend' | 'close', parse: (b: unknown) => B, send: (id: string, actor: string, body: B, via: string, updateId?: string) => Promise<LoadedAccount>) => {
    router.post(`/:id/${name}`, async (req: Request, res: Response) => {
      const id = accountIdParam(req);
      const body = parse(req.body ?? {});
      const key = idempotencyKeyHeader.parse(req.get('idempotency-key'));
      const caller = callerOf(res);
      const actor = await actingPerson(people, caller, body.actor, { scope: 'temporary-accounts', field: 'actor' });
      const updateId = key ? `http:${name}:${callerKey(caller)}:${key}` : undefined;
      const loaded = await send(id, actor, body, viaOf(caller), updateId);
      const keyOwner = updateId ? loaded.state.decisionKeys?.[updateId] : undefined;
      if (keyOwner && keyOwner !== actor) throw new HttpError(409, 'conflict', `this Idempotency-Key was already used by ${keyOwner} on this account`, [{ reason: 'idempotency_key_reused' }]);
      res.json(view(loaded));
    });
  };
  change('extend', (b) => extendAccountBody.parse(b), (id, actor, b, via, u) => service.extend(id, { actor, durationMs: b.duration, via }, u));
  change('close', (b) => closeAccountBody.parse(b), (id, actor, b, via, u) => service.close(id, { actor, ...(b.reason ? { reason: b.reason } : {}), via }, u));

  return router;
}
