/**
 * /v1/requests (SPEC §6): create, read, list, and decide on access requests. Each route parses
 * with zod, calls the request service (Temporal), and maps the result to a request view.
 */
import { Router, type Request, type Response } from 'express';
import { WorkflowNotFoundError } from '@temporalio/common';
import { resolveRequest } from '../../activities/policy/resolve';
import { approveUpdate, cancelUpdate, denyUpdate, extendUpdate, revokeUpdate } from '../../workflows/access-request/messages';
import type { AccessRequestInput, ResolutionErrorCode } from '../../workflows/access-request/types';
import { newRequestId, OpenRequestExists, REQUEST_ID_PATTERN, requestIdForIdempotencyKey, type LoadedState, type RequestService } from '../access-requests';
import type { ApiDeps } from '../app';
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

export function requestsRouter(deps: ApiDeps, service: RequestService): Router {
  const router = Router();
  const view = (loaded: LoadedState) => ({
    ...toRequestView(loaded.state, { webUiUrl: deps.webUiUrl, namespace: deps.namespace }),
    // Only present when the API could not hear from the workflow itself.
    ...(loaded.source === 'visibility' || loaded.source === 'input' ? { partial: true } : {}),
  });

  router.post('/', async (req, res) => {
    const body = createRequestBody.parse(req.body);
    const caller = String(res.locals.caller);
    const policy = deps.policy();
    if (!Object.hasOwn(policy.resources, body.resource)) throw notFound(`resource ${body.resource}`);

    const requestId = body.idempotencyKey ? requestIdForIdempotencyKey(caller, body.requester, body.idempotencyKey) : newRequestId();
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
      requester: body.requester,
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
      requester: body.requester,
      resource: body.resource,
      ...(body.duration !== undefined ? { durationMs: body.duration } : {}),
      ...(body.justification ? { justification: body.justification } : {}),
      via: 'http',
      submittedAt: new Date().toISOString(),
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

  router.get('/', async (req, res) => {
    const q = listRequestsQuery.parse(req.query);
    const page = await service.list({ status: q.status, requester: q.requester, resource: q.resource }, q.pageSize, q.pageToken);
    res.json({ items: page.items.map(view), nextPageToken: page.nextPageToken });
  });

  router.get('/:id', async (req, res) => {
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

  /** One decision route: parse the body, send the Update (Idempotency-Key → updateId), answer the view. */
  const decision = <B>(name: string, parse: (body: unknown) => B, send: (id: string, body: B, updateId?: string) => Promise<LoadedState>) => {
    router.post(`/:id/${name}`, async (req: Request, res: Response) => {
      const id = requestIdParam(req);
      const body = parse(req.body);
      const key = idempotencyKeyHeader.parse(req.get('idempotency-key'));
      // Namespaced by action, so one key reused across approve and deny can't return the other's result.
      const loaded = await send(id, body, key ? `http:${name}:${key}` : undefined);
      res.json(view(loaded));
    });
  };
  decision('approve', (b) => approveBody.parse(b), (id, b, u) => service.decide(id, approveUpdate, { ...b, via: 'http' }, u));
  decision('deny', (b) => denyBody.parse(b), (id, b, u) => service.decide(id, denyUpdate, { ...b, via: 'http' }, u));
  decision('extend', (b) => extendBody.parse(b), (id, b, u) => service.decide(id, extendUpdate, { actor: b.actor, durationMs: b.duration, via: 'http' }, u));
  decision('revoke', (b) => revokeBody.parse(b), (id, b, u) => service.decide(id, revokeUpdate, { ...b, via: 'http' }, u));
  decision('cancel', (b) => cancelBody.parse(b), (id, b, u) => service.decide(id, cancelUpdate, { ...b, via: 'http' }, u));

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
