/**
 * Risk response activities (SPEC §12). The critical ones — the quarantine group, the revocation
 * of every active grant, an app assignment rolled back — run as local activities with the durable
 * fallback (workflows/shared/retry.ts critical()); the records go through applyEffects.
 *
 * Revocation goes through each access request's own revoke path (its `revokeSignal`), so the
 * lease, the membership (unless the ledger explains it) and the request's audit trail end as for
 * any revoke. A lease whose workflow is gone is closed here, as the drift sweep would.
 */
import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { revokeSignal } from '../workflows/access-request/messages';
import { SA, userRiskWorkflowId } from '../workflows/constants';
import { riskEventSignal } from '../workflows/risk/messages';
import { closeSignal as temporaryAccountCloseSignal } from '../workflows/temporary-account/messages';
import { RISK_ACTOR } from '../workflows/risk/state';
import type { RevokedGrant, RiskRevocation, RiskSignal, RiskSubject } from '../workflows/risk/types';
import { summary } from '../workflows/risk/wording';
import { KIND, requestQuery, temporaryAccountsOfLoginQuery } from '../workflows/shared/visibility';
import type { userRiskWorkflow } from '../workflows/risk/user-risk';
import { isRejected } from './errors';
import { removeUnlessExplained } from './grants';
import type { AuditEvent, AuditPort, DirectoryUser, LedgerPort, OktaPort } from './ports';

/** What risk response asks of Temporal itself (built over the client in workers/). */
export interface RiskWorkflowsPort {
  /** Signal-with-start of the user's serializer, `user-risk-<userId>`. */
  deliverToUser(signal: RiskSignal): Promise<void>;
  /** The user's running access requests that wait for approval. */
  pendingRequests(login: string): Promise<{ workflowId: string; resource: string }[]>;
  /** Running temporary accounts with this login (workflow ids). */
  temporaryAccounts(login: string): Promise<string[]>;
  /** False when the workflow is not running (closed, or unknown). */
  signal(workflowId: string, which: 'revoke' | 'closeTemporaryAccount', input: { actor: string; reason: string; via: string }): Promise<boolean>;
}

export interface RiskDeps {
  okta: OktaPort;
  ledger: LedgerPort & AuditPort;
  /** Absent in tests that do not run risk response. */
  workflows?: RiskWorkflowsPort;
  onAudit?: (event: AuditEvent) => void;
}

/** Ten at a time: twenty grants are revoked in two round trips, a thousand without a burst. */
async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>, size = 10): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return out;
}

const requestIdOf = (workflowId: string) => workflowId.replace(/^access-request-/, '');

async function activeLogin(okta: OktaPort, ref: unknown): Promise<string | undefined> {
  if (typeof ref !== 'string' || !ref) return undefined;
  const user = await okta.getUser(ref);
  return user?.status === 'ACTIVE' ? user.login.toLowerCase() : undefined;
}

const managerOf = (okta: OktaPort, user: DirectoryUser) => activeLogin(okta, user.profile.managerId ?? user.profile.manager);

export function createRiskActivities(deps: RiskDeps) {
  const { okta, ledger } = deps;
  const workflows = (): RiskWorkflowsPort => {
    if (!deps.workflows) throw new Error('risk response needs a Temporal client in the worker (createActivities({ workflows }))');
    return deps.workflows;
  };

  return {
    /** `risk-event-<uuid>` hands its event to the user's serializer (started if need be). */
    async deliverRiskEvent(input: RiskSignal): Promise<void> {
      await workflows().deliverToUser(input);
    },

    /**
     * Every active grant of the user revoked and every pending request cancelled (each through its
     * workflow's revoke signal), and every temporary account with the user's login closed.
     */
    async revokeAccessForRisk(input: { userId: string; login: string; reason: string; eventUuid: string }): Promise<RiskRevocation> {
      const signal = { actor: RISK_ACTOR, reason: input.reason, via: 'okta-hook' };
      const wf = workflows();
      const leases = await ledger.openLeases({ userId: input.userId });
      const grants = await inBatches(leases, async (lease): Promise<RevokedGrant | null> => {
        const base = { requestId: lease.requestId, resource: lease.resource, groupId: lease.groupId, workflowId: lease.workflowId };
        if (await wf.signal(lease.workflowId, 'revoke', signal)) return { ...base, how: 'signalled' };
        // Its workflow is gone and will never end the lease: end it here, as the drift sweep would.
        const at = new Date().toISOString();
        const event: AuditEvent = {
          id: `risk:${input.eventUuid}:lease:${lease.requestId}`,
          requestId: lease.requestId,
          seq: 0,
          type: 'revoked',
          actor: RISK_ACTOR,
          resource: lease.resource,
          at,
          details: { reason: input.reason, via: 'okta-hook', groupId: lease.groupId, workflowGone: true },
        };
        const { closed } = await ledger.closeLease(lease.requestId, { at, reason: input.reason }, [event]);
        if (!closed) return null;
        deps.onAudit?.(event);
        await removeUnlessExplained(okta, ledger, lease.userId, lease.groupId, lease.requestId);
        return { ...base, how: 'closed' };
      });
      const pending = await wf.pendingRequests(input.login);
      const cancelled = await inBatches(pending, async (p): Promise<RevokedGrant | null> =>
        (await wf.signal(p.workflowId, 'revoke', signal)) ? { requestId: requestIdOf(p.workflowId), resource: p.resource, workflowId: p.workflowId, how: 'signalled' } : null,
      );
      const accounts = await wf.temporaryAccounts(input.login);
      const closedAccounts = await inBatches(accounts, async (id) => ((await wf.signal(id, 'closeTemporaryAccount', signal)) ? id : null));
      const result = {
        grants: grants.filter((g): g is RevokedGrant => !!g),
        // A pending request that also holds a lease (approved meanwhile) is counted once.
        cancelled: cancelled.filter((c): c is RevokedGrant => !!c && !leases.some((l) => l.workflowId === c.workflowId)),
        temporaryAccounts: closedAccounts.filter((a): a is string => !!a),
      };
      log.info('risk revocation sent', { userId: input.userId, grants: result.grants.length, cancelled: result.cancelled.length, temporaryAccounts: result.temporaryAccounts.length });
      return result;
    },

    async isOktaGroupMember(input: { groupId: string; userId: string }): Promise<boolean> {
      return okta.isGroupMember(input.groupId, input.userId);
    },

    /** Idempotent both ways (Okta's add is a PUT; a membership already gone is success). */
    async setOktaGroupMembership(input: { groupId: string; userId: string; member: boolean }): Promise<void> {
      if (input.member) await okta.addUserToGroup(input.groupId, input.userId);
      else await okta.removeUserFromGroup(input.groupId, input.userId);
    },

    /** Removes an app assignment (`DELETE /api/v1/apps/{appId}/users/{userId}`); one already gone is done. */
    async unassignOktaApp(input: { appId: string; userId: string }): Promise<void> {
      await okta.unassignUserFromApp(input.appId, input.userId);
    },

    /** The user's login, name and manager, for the records (null when Okta no longer has the user). */
    async lookupRiskSubject(input: { userId: string }): Promise<RiskSubject | null> {
      const user = await okta.getUser(input.userId);
      if (!user) return null;
      const manager = await managerOf(okta, user);
      return { login: user.login.toLowerCase(), displayName: user.displayName, ...(manager ? { manager } : {}) };
    },

    /** Who may decide a review, resolved once: the user's manager and the ACTIVE members of the reviewers group. */
    async resolveReviewers(input: { userId: string; reviewersGroupId?: string }): Promise<{ manager?: string; reviewers: string[] }> {
      const user = await okta.getUser(input.userId);
      const manager = user ? await managerOf(okta, user) : undefined;
      let reviewers: string[] = [];
      if (input.reviewersGroupId) {
        try {
          reviewers = (await okta.listGroupMembers(input.reviewersGroupId)).filter((m) => m.status === 'ACTIVE').map((m) => m.login.toLowerCase());
        } catch (err) {
          // A reviewers group Okta does not know leaves the manager to decide; the policy should be fixed.
          if (!isRejected(err, 'Okta')) throw err;
          log.warn('the reviewers group is unknown to Okta', { groupId: input.reviewersGroupId });
        }
      }
      return { ...(manager ? { manager } : {}), reviewers: [...new Set(reviewers)] };
    },
  };
}

export type RiskActivities = ReturnType<typeof createRiskActivities>;

/** The port over a Temporal client (the worker's): signal-with-start, visibility, signals. */
export function riskWorkflowsFromTemporal(client: Client, taskQueue: string): RiskWorkflowsPort {
  const notRunning = (err: unknown) => err instanceof WorkflowNotFoundError;
  return {
    async deliverToUser(signal) {
      const { userId, login } = signal.event;
      await client.workflow.signalWithStart<typeof userRiskWorkflow, [RiskSignal]>('userRiskWorkflow', {
        taskQueue,
        workflowId: userRiskWorkflowId(userId),
        args: [{ userId, login }],
        signal: riskEventSignal,
        signalArgs: [signal],
        typedSearchAttributes: [
          { key: SA.kind, value: KIND.userRisk },
          { key: SA.status, value: 'low' },
          { key: SA.requester, value: login },
        ],
        staticSummary: summary.userRisk(login),
      });
    },
    async pendingRequests(login) {
      const out: { workflowId: string; resource: string }[] = [];
      for await (const wf of client.workflow.list({ query: requestQuery({ requester: login, status: 'pending_approval', running: true }), pageSize: 100 })) {
        out.push({ workflowId: wf.workflowId, resource: wf.typedSearchAttributes.get(SA.resource) ?? '' });
      }
      return out;
    },
    async temporaryAccounts(login) {
      const out: string[] = [];
      for await (const wf of client.workflow.list({ query: temporaryAccountsOfLoginQuery(login), pageSize: 100 })) out.push(wf.workflowId);
      return out;
    },
    async signal(workflowId, which, input) {
      try {
        const handle = client.workflow.getHandle(workflowId);
        if (which === 'revoke') await handle.signal(revokeSignal, input);
        else await handle.signal(temporaryAccountCloseSignal, input);
        return true;
      } catch (err) {
        if (notRunning(err)) return false;
        throw err;
      }
    },
  };
}
