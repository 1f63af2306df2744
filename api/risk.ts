/**
 * The risk-response service (SPEC §12), used by the Okta hook, the HTTP routes, Slack and the
 * request service's quarantine check: it starts `risk-event-<uuid>` workflows, reads a user's
 * risk (`user-risk-<userId>`) and the access reviews (`access-review-<id>`), and sends review
 * decisions. Like the request service, it answers from what Temporal returned.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { RiskPolicy } from '../activities/policy/schema';
import { Rejection } from '../workflows/access-request/errors';
import type { AccessRequestInput } from '../workflows/access-request/types';
import { accessReviewWorkflowId, riskEventWorkflowId, SA, userRiskWorkflowId } from '../workflows/constants';
import type { RiskEventInput } from '../workflows/risk/event';
import { decideReviewUpdate, reviewQuery, userRiskQuery } from '../workflows/risk/messages';
import type { riskEventWorkflow } from '../workflows/risk/risk-event';
import type { AccessReviewState, DecideReviewInput, RiskPolicySnapshot, UserRiskState } from '../workflows/risk/types';
import { summary } from '../workflows/risk/wording';
import { accessReviewQuery, KIND, usersAtRiskQuery } from '../workflows/shared/visibility';
import { HttpError, notFound, rejectionOf } from './errors';

/** A review id is its assignment event's uuid, lower-case. */
export const REVIEW_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** What an event's workflow needs of the policy, taken when the event comes in. */
export function policySnapshot(risk: RiskPolicy, appId?: string): RiskPolicySnapshot {
  const app = appId && Object.hasOwn(risk.highRiskApps, appId) ? risk.highRiskApps[appId]! : undefined;
  return {
    quarantineGroupId: risk.quarantineGroupId,
    ...(risk.mediumGroupId ? { mediumGroupId: risk.mediumGroupId } : {}),
    securityChannel: risk.securityChannel,
    incident: { projectKey: risk.incident.projectKey, issueType: risk.incident.issueType },
    ...(risk.reviewersGroupId ? { reviewersGroupId: risk.reviewersGroupId } : {}),
    ...(app ? { app: { id: appId!, name: app.name, onHigh: app.onHigh, reviewTimeoutMs: app.reviewTimeout, onTimeout: app.onTimeout } } : {}),
  };
}

export interface RiskServiceOptions {
  temporal: Client;
  taskQueue: string;
  /** How long a query may wait for a worker (default 3 s). */
  queryTimeoutMs?: number;
  /** How long a decision Update may wait for a worker (default 10 s). */
  updateTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createRiskService(opts: RiskServiceOptions) {
  const { temporal, taskQueue } = opts;
  const queryTimeoutMs = opts.queryTimeoutMs ?? 3000;
  const updateTimeoutMs = opts.updateTimeoutMs ?? 10_000;

  /**
   * Starts the event's workflow (`risk-event-<uuid>`): a second start of the same id — Okta's
   * redelivery, a duplicate, even after the first has finished — is refused by Temporal, so the
   * event is applied once.
   */
  async function intake(event: RiskEventInput, policy: RiskPolicySnapshot, deadline: number): Promise<'started' | 'duplicate'> {
    try {
      await temporal.withDeadline(deadline, () =>
        temporal.workflow.start<typeof riskEventWorkflow>('riskEventWorkflow', {
          taskQueue,
          workflowId: riskEventWorkflowId(event.uuid),
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          args: [{ event, policy }],
          typedSearchAttributes: [
            { key: SA.kind, value: KIND.riskEvent },
            { key: SA.requester, value: event.login },
            ...(event.app ? [{ key: SA.resource, value: event.app.id }] : []),
          ],
          staticSummary: summary.riskEvent(event),
        }),
      );
      return 'started';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'duplicate';
      throw err;
    }
  }

  /** Queries a workflow for a moment (a worker may be busy); null when it does not exist. */
  async function query<T>(workflowId: string, run: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<T>): Promise<T | null> {
    const handle = temporal.workflow.getHandle(workflowId);
    const deadline = Date.now() + queryTimeoutMs;
    for (;;) {
      try {
        return await temporal.withDeadline(deadline, () => run(handle));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        if (Date.now() + 100 >= deadline) throw new HttpError(503, 'unavailable', 'no Gatehouse worker answered in time; retry shortly', [], {}, 5);
        await sleep(100);
      }
    }
  }

  /** The user's risk as their serializer holds it; null when Gatehouse never had an event for them. */
  async function userRisk(userId: string): Promise<UserRiskState | null> {
    return query(userRiskWorkflowId(userId), (h) => h.query(userRiskQuery));
  }

  /**
   * Whether the user is held at HIGH (quarantined): read from the serializer's search attribute
   * with describe, which is consistent and needs no worker.
   */
  async function isQuarantined(userId: string): Promise<boolean> {
    try {
      const desc = await temporal.workflow.getHandle(userRiskWorkflowId(userId)).describe();
      return desc.typedSearchAttributes.get(SA.status) === 'high';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** The request service's check where requests enter (HTTP, Slack, portal): 403 while quarantined. */
  async function refuseIfQuarantined(input: AccessRequestInput): Promise<void> {
    const userId = input.resolved?.requesterUserId;
    if (userId && (await isQuarantined(userId))) {
      throw new HttpError(403, 'risk_quarantined', `${input.requester} is quarantined: Okta rates their risk HIGH, so no access can be requested until it is lowered`, [{ reason: 'risk_quarantined' }]);
    }
  }

  /** A review: its final state once decided, else its query. */
  async function review(reviewId: string): Promise<AccessReviewState> {
    const handle = temporal.workflow.getHandle(accessReviewWorkflowId(reviewId));
    try {
      if ((await handle.describe()).status.name === 'COMPLETED') return (await handle.result()) as AccessReviewState;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound('review');
      throw err;
    }
    const state = await query(accessReviewWorkflowId(reviewId), (h) => h.query(reviewQuery));
    if (!state) throw notFound('review');
    return state;
  }

  /** Keep or revoke, as an Update the workflow's validator may refuse (who may decide, already decided). */
  async function decideReview(reviewId: string, input: DecideReviewInput, updateId?: string): Promise<AccessReviewState> {
    const handle = temporal.workflow.getHandle(accessReviewWorkflowId(reviewId));
    const notReadyUntil = Date.now() + 5000;
    for (;;) {
      try {
        return await temporal.withDeadline(Date.now() + updateTimeoutMs, () => handle.executeUpdate(decideReviewUpdate, { args: [input], ...(updateId ? { updateId } : {}) }));
      } catch (err) {
        if (rejectionOf(err) === Rejection.NotReady && Date.now() < notReadyUntil) {
          await sleep(100);
          continue;
        }
        if (err instanceof WorkflowNotFoundError) {
          // Closed: decided (or timed out) already; unknown: not found.
          const state = await review(reviewId);
          throw new HttpError(409, 'conflict', `the review is ${state.status}; it has been decided`, [{ reason: Rejection.WrongState }]);
        }
        throw err;
      }
    }
  }

  /** Workflow ids matching a visibility query, at most `limit` (newest first, as visibility lists them). */
  async function workflowIds(query: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    for await (const wf of temporal.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
      ids.push(wf.workflowId);
      if (ids.length >= limit) break;
    }
    return ids;
  }

  /**
   * Who is held above LOW (the portal's Security page): found by the serializers' status in
   * visibility, then each read with the same Query as GET /v1/risk/users/:login. `unreadable`
   * counts those no worker answered for.
   */
  async function usersAtRisk(limit = 200): Promise<{ users: UserRiskState[]; unreadable: number }> {
    const ids = await temporal.withDeadline(Date.now() + 10_000, () => workflowIds(usersAtRiskQuery({ levels: ['high', 'medium'], running: true }), limit));
    const read = await Promise.allSettled(ids.map((id) => userRisk(id.replace(/^user-risk-/, ''))));
    const users = read.flatMap((r) => (r.status === 'fulfilled' && r.value && r.value.level !== 'LOW' ? [r.value] : []));
    return { users, unreadable: read.filter((r) => r.status === 'rejected').length };
  }

  /** The reviews waiting for a decision, each read as GET /v1/reviews/:id reads it. */
  async function openReviews(limit = 200): Promise<{ reviews: AccessReviewState[]; unreadable: number }> {
    const ids = await temporal.withDeadline(Date.now() + 10_000, () => workflowIds(accessReviewQuery({ status: 'pending', running: true }), limit));
    const read = await Promise.allSettled(ids.map((id) => review(id.replace(/^access-review-/, ''))));
    const reviews = read.flatMap((r) => (r.status === 'fulfilled' && r.value.status === 'pending' ? [r.value] : []));
    return { reviews, unreadable: read.filter((r) => r.status === 'rejected').length };
  }

  return { intake, userRisk, isQuarantined, refuseIfQuarantined, review, decideReview, usersAtRisk, openReviews };
}

export type RiskService = ReturnType<typeof createRiskService>;
