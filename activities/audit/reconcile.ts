/**
 * Drift reconciliation activities (SPEC §2 item 5, §8; issue 10). Every member of a
 * Gatehouse-managed Okta group must be explained by the ledger: an open lease (a grant in force),
 * or a standing record (the group's first-sweep baseline, or an allowlist entry). A sweep:
 *   1. closes the leases whose workflow ended without ending them (terminated, reset, failed):
 *      the grant is revoked (membership removed unless something else explains it), whatever the
 *      resource's `reconcile` mode;
 *   2. on a group's first sweep, records its baseline (who was there before Gatehouse);
 *   3. reports every other unexplained member, and removes them where the policy says `remove`.
 */
import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { removeUnlessExplained } from '../grants';
import type { Policy } from '../policy/schema';
import type { AuditEvent, AuditPort, LedgerPort, OktaPort } from '../ports';

export interface ReconcileTarget {
  groupId: string;
  /** Policy resources granted through this group. */
  resources: string[];
  /** `remove` only when every resource on the group says so. */
  action: 'report' | 'remove';
}

export interface GroupMember {
  userId: string;
  login: string;
}

export interface GroupScan {
  members: number;
  /** True when this run recorded the group's baseline (nothing is reported on that run). */
  baselineRecorded: boolean;
  unexplained: GroupMember[];
}

export interface ClosedLease {
  requestId: string;
  login: string;
  groupId: string;
  workflowStatus: string;
  removed: boolean;
}

export interface ReconcileDeps {
  okta: OktaPort;
  store: AuditPort &
    LedgerPort & {
      hasBaseline(groupId: string): Promise<boolean>;
      recordBaseline(groupId: string, members: { login: string; userId: string }[]): Promise<boolean>;
    };
  policy: () => Policy;
  /** The status of a workflow (RUNNING, COMPLETED, TERMINATED…), or null when Temporal has forgotten it. */
  workflowStatus: (workflowId: string) => Promise<string | null>;
}

/** A lease that ended this recently is a revocation still in flight, not drift. */
const REVOCATION_GRACE_MS = 2 * 60_000;

/** workflowStatus over a Temporal client (describe). */
export function workflowStatusFromTemporal(client: Client): ReconcileDeps['workflowStatus'] {
  return async (workflowId) => {
    try {
      return (await client.workflow.getHandle(workflowId).describe()).status.name;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  };
}

/** Groups of the policy, each with its resources and what to do about drift. */
export function reconcileTargets(policy: Policy): ReconcileTarget[] {
  const byGroup = new Map<string, ReconcileTarget>();
  for (const [key, resource] of Object.entries(policy.resources)) {
    const target = byGroup.get(resource.okta.groupId) ?? { groupId: resource.okta.groupId, resources: [], action: 'remove' as const };
    target.resources.push(key);
    if (resource.reconcile !== 'remove') target.action = 'report';
    byGroup.set(resource.okta.groupId, target);
  }
  return [...byGroup.values()];
}

export function createReconcileActivities(deps: ReconcileDeps) {
  const { okta, store } = deps;

  /**
   * Members the ledger explains: an open lease, a standing record, or a lease that ended in the
   * last two minutes (its workflow is removing them right now).
   */
  async function explained(groupId: string): Promise<Set<string>> {
    const open = await store.openLeases({ groupId });
    const standing = await store.standingRecords(groupId);
    const ending = await store.leasesEndedSince(groupId, new Date(Date.now() - REVOCATION_GRACE_MS).toISOString());
    return new Set([...open, ...standing, ...ending].map((x) => x.userId));
  }

  return {
    async listReconcileTargets(): Promise<{ groups: ReconcileTarget[] }> {
      return { groups: reconcileTargets(deps.policy()) };
    },

    /**
     * Closes every open lease whose workflow is no longer running: that workflow will never end
     * it. Its membership is removed (unless another lease or a standing record explains it) and
     * the request's trail ends with `revoked`, actor `system:reconcile`.
     */
    async closeLeasesOfEndedWorkflows(input: { runId: string }): Promise<{ closed: ClosedLease[] }> {
      const closed: ClosedLease[] = [];
      for (const lease of await store.openLeases()) {
        heartbeat();
        const status = await deps.workflowStatus(lease.workflowId);
        if (status === 'RUNNING') continue;
        const what = status ? `the workflow was ${status.toLowerCase().replace(/_/g, ' ')}` : 'the workflow no longer exists';
        const reason = `revoked by the drift sweep: ${what} without ending the grant`;
        const at = new Date().toISOString();
        const event: AuditEvent = {
          id: `reconcile:${input.runId}:lease:${lease.requestId}`,
          requestId: lease.requestId,
          seq: 0,
          type: 'revoked',
          actor: 'system:reconcile',
          resource: lease.resource,
          at,
          details: { reason, via: 'system', groupId: lease.groupId, workflowStatus: status, reconcileRun: input.runId },
        };
        // The membership first, then the lease: a removal that fails (Okta down) is retried with
        // the lease still open, so a retried attempt finds it again (closed first, it was lost).
        const result = await removeUnlessExplained(okta, store, lease.userId, lease.groupId, lease.requestId);
        const { closed: didClose } = await store.closeLease(lease.requestId, { at, reason }, [event]);
        if (!didClose) continue;
        closed.push({ requestId: lease.requestId, login: lease.login, groupId: lease.groupId, workflowStatus: status ?? 'gone', removed: result.removed });
      }
      return { closed };
    },

    /** Lists a group's members (every page) and returns those the ledger does not explain. */
    async scanOktaGroupForDrift(input: { groupId: string; resources: string[]; runId: string }): Promise<GroupScan> {
      // The adapter follows Okta's Link pages; a 429 fails the attempt and Temporal retries after the reset.
      const members = (await okta.listGroupMembers(input.groupId)).map((u) => ({ userId: u.id, login: (u.login || u.email).toLowerCase() }));
      heartbeat();
      const userIds = await explained(input.groupId);

      if (!(await store.hasBaseline(input.groupId))) {
        const baseline = members.filter((m) => !userIds.has(m.userId));
        // The audit event first (idempotent by id), so a retry after a crash still has it.
        await store.append({
          id: `reconcile-baseline:${input.groupId}`,
          requestId: `reconcile-baseline-${input.groupId}`,
          seq: 1,
          type: 'reconcile_baseline_recorded',
          actor: 'gatehouse',
          resource: input.resources.join(','),
          at: new Date().toISOString(),
          details: { groupId: input.groupId, resources: input.resources, members: baseline.map((m) => m.login), count: baseline.length, reconcileRun: input.runId },
        });
        const recorded = await store.recordBaseline(input.groupId, baseline);
        if (recorded) return { members: members.length, baselineRecorded: true, unexplained: [] };
      }
      const unexplained = members.filter((m) => !userIds.has(m.userId)).sort((a, b) => a.login.localeCompare(b.login));
      return { members: members.length, baselineRecorded: false, unexplained };
    },

    /** Idempotent; checks the ledger again first, so a grant that started since the scan is left alone. */
    async removeUnexplainedOktaMember(input: { groupId: string; resources: string[]; member: GroupMember }): Promise<{ removed: boolean }> {
      const result = await removeUnlessExplained(okta, store, input.member.userId, input.groupId);
      return { removed: result.removed };
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
