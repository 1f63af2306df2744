/**
 * /v1/requests (SPEC §6): create, read, list, and decide on access requests. Each route parses
 * with zod, calls the request service (Temporal), and maps the result to a request view.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { WorkflowNotFoundError } from '@temporalio/common';
import { resolveRequest } from '../../activities/policy/resolve';
import { approveUpdate, cancelUpdate, denyUpdate, extendUpdate, revokeUpdate } from '../../workflows/access-request/messages';
import type { AccessRequestInput, ResolutionErrorCode } from '../../workflows/access-request/types';
import { newRequestId, OpenRequestExists, REQUEST_ID_PATTERN, requestIdForIdempotencyKey, type LoadedState, type RequestService } from '../access-requests';
import type { ApiDeps } from '../app';
import { actingPerson, callerKey, callerOf, requireScope, viaOf } from '../auth';
import type { People } from '../people';
import { HttpError, notFound, type ErrorCode } from '../errors';
import {
  approveBody,
  cancelBody,
  createRequestBody,
  denyBody,
  extendBody,
  idempotencyKeyHeader,
  listRequestsQuery,
  revokeBody,
} from '../schemas';
import { toRequestView } from '../views';

const RESOLUTION_STATUS: Record<ResolutionErrorCode, [number, ErrorCode]> = {
  unknown_resource: [404, 'not_found'],
  unknown_user: [404, 'not_found'],
  not_eligible: [403, 'forbidden'],
  risk_gate: [403, 'forbidden'],
  duration_exceeds_policy: [422, 'beyond_policy'],
  justification_required: [422, 'beyond_policy'],
  justification_invalid: [422, 'beyond_policy'],
  no_approvers: [422, 'beyond_policy'],
};

/** Path ids that can't be a request are simply not found (never a 500, never a Temporal call). */
function requestIdParam(req: Request): string {
  const id = String(req.params.id ?? '').toUpperCase();
  if (!REQUEST_ID_PATTERN.test(id)) throw notFound('request');
  return id;
}

export function requestsRouter(deps: ApiDeps, service: RequestService, people: People): Router {
  const router = Router();
  const view = (loaded: LoadedState) => ({
    ...toRequestView(loaded.state, { webUiUrl: deps.webUiUrl, namespace: deps.namespace }),
    // Only present when the API could not hear from the workflow itself.
    ...(loaded.source === 'visibility' || loaded.source === 'input' ? { partial: true } : {}),
  });
  const readScope: RequestHandler = (_req, res, next) => {
    requireScope(callerOf(res), 'requests:read');
    next();
  };

  router.post('/', async (req, res) => {
    const body = createRequestBody.parse(req.body);
    const caller = callerOf(res);
    const policy = deps.policy();
    if (!Object.hasOwn(policy.resources, body.resource)) throw notFound(`resource ${body.resource}`);
    // The canonical Okta login: a person token files for itself, a token for the person it names.
    const requester = await actingPerson(people, caller, body.requester, { scope: 'requests:create', field: 'requester', unknownIs404: true });

    const requestId = body.idempotencyKey ? requestIdForIdempotencyKey(callerKey(caller), requester, body.idempotencyKey) : newRequestId();
    if (body.idempotencyKey) {
      const existing = await loadIfExists(service, requestId);
      if (existing) {
        if (existing.state.resource !== body.resource) {
          throw new HttpError(409, 'conflict', 'this idempotencyKey was already used for a different request', [{ requestId }], { requestId });
        }
        res.status(200).json(view(existing));
        return;
      }
    }

    const resolution = await resolveRequest(policy, deps.okta, {
      requester,
      resource: body.resource,
      durationMs: body.duration,
      justification: body.justification,
    });
    if (!resolution.ok) {
      const [status, code] = RESOLUTION_STATUS[resolution.code];
      throw new HttpError(status, code, resolution.message, [{ reason: resolution.code }]);
    }

    const input: AccessRequestInput = {
      requestId,
      requester,
      resource: body.resource,
      ...(body.duration !== undefined ? { durationMs: body.duration } : {}),
      ...(body.justification ? { justification: body.justification } : {}),
      via: viaOf(caller),
      submittedAt: new Date().toISOString(),
      resolved: resolution.resolved,
    };
    try {
      const started = await service.submit(input, !!body.idempotencyKey);
      req.log.info({ requestId, workflowId: `access-request-${requestId}`, created: started.created }, 'access request submitted');
      res.status(started.created ? 201 : 200).json(view(started));
    } catch (err) {
      if (err instanceof OpenRequestExists) {
        throw new HttpError(409, 'conflict', err.message, [{ requestId: err.requestId }], { requestId: err.requestId });
      }
      throw err;
    }
  });

  router.get('/', readScope, async (req, res) => {
    const q = listRequestsQuery.parse(req.query);
    const page = await service.list({ status: q.status, requester: q.requester, resource: q.resource }, q.pageSize, q.pageToken);
    res.json({ items: page.items.map(view), nextPageToken: page.nextPageToken });
  });

  router.get('/:id', readScope, async (req, res) => {
    const id = requestIdParam(req);
    // The audit trail outlives Temporal's retention; a store outage degrades to `audit: null`.
    const [loaded, audit] = await Promise.all([
      service.loadState(id),
      deps.audit?.trail(id).catch((err: unknown) => {
        req.log.warn({ err: String(err), requestId: id }, 'audit trail unavailable');
        return null;
      }),
    ]);
    res.json({ ...view(loaded), ...(audit !== undefined ? { audit } : {}) });
  });

  /**
   * One decision route: parse the body, settle who acts (the canonical Okta login; a person token
   * acts only as itself, a token needs requests:decide), send the Update (Idempotency-Key → Update
   * id, scoped to the caller), and answer the view. A key reused by someone else is 409.
   */
  const decision = <B extends Record<string, unknown>>(
    name: string,
    parse: (body: unknown) => B,
    field: 'approver' | 'actor',
    send: (id: string, actor: string, body: B, via: string, updateId?: string) => Promise<LoadedState>,
  ) => {
    router.post(`/:id/${name}`, async (req: Request, res: Response) => {
      const id = requestIdParam(req);
      const body = parse(req.body ?? {});
      const key = idempotencyKeyHeader.parse(req.get('idempotency-key'));
      const caller = callerOf(res);
      const actor = await actingPerson(people, caller, body[field] as string | undefined, { scope: 'requests:decide', field });
      // Namespaced by action and caller, so one key reused across approve and deny, or by another
      // integration, can't return the other's result.
      const updateId = key ? `http:${name}:${callerKey(caller)}:${key}` : undefined;
      const loaded = await send(id, actor, body, viaOf(caller), updateId);
      const keyOwner = updateId ? loaded.state.decisionKeys?.[updateId] : undefined;
      if (keyOwner && keyOwner !== actor) {
        throw new HttpError(409, 'conflict', `this Idempotency-Key was already used by ${keyOwner} on this request`, [{ reason: 'idempotency_key_reused' }]);
      }
      res.json(view(loaded));
    });
  };
  decision('approve', (b) => approveBody.parse(b), 'approver', (id, approver, b, via, u) => service.decide(id, approveUpdate, { approver, comment: b.comment, via }, u));
  decision('deny', (b) => denyBody.parse(b), 'approver', (id, approver, b, via, u) => service.decide(id, denyUpdate, { approver, reason: b.reason, via }, u));
  decision('extend', (b) => extendBody.parse(b), 'actor', (id, actor, b, via, u) => service.decide(id, extendUpdate, { actor, durationMs: b.duration, via }, u));
  decision('revoke', (b) => revokeBody.parse(b), 'actor', (id, actor, b, via, u) => service.decide(id, revokeUpdate, { actor, reason: b.reason, via }, u));
  decision('cancel', (b) => cancelBody.parse(b), 'actor', (id, actor, _b, via, u) => service.decide(id, cancelUpdate, { actor, via }, u));

  return router;
}

async function loadIfExists(service: RequestService, requestId: string): Promise<LoadedState | undefined> {
  try {
    return await service.loadState(requestId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
