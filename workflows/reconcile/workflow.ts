import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { ClosedLease, GroupMember, ReconcileActivities, ReconcileTarget } from '../../activities/audit/reconcile';
import type { AuditEvent } from '../../activities/ports';
import { Effects } from '../shared/effects';
import { LOOKUPS } from '../shared/retry';

/** The schedule that runs reconcileWorkflow (created or updated by every worker at start-up). */
export const RECONCILE_SCHEDULE_ID = 'gatehouse-reconcile';

export interface ReconcileInput {
  /** Free text for the audit trail (the schedule passes nothing). */
  reason?: string;
}

export interface GroupOutcome extends ReconcileTarget {
  members: number;
  baselineRecorded: boolean;
  unexplained: (GroupMember & { removed: boolean })[];
}

export interface ReconcileResult {
  /** Leases of workflows that ended without ending them, closed (and their memberships removed) by this sweep. */
  closedLeases: ClosedLease[];
  groups: GroupOutcome[];
}

/** Okta reads and removals: retried with backoff; a 429 waits for Okta's reset (nextRetryDelay). */
const okta = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});
const ledger = proxyActivities<ReconcileActivities>(LOOKUPS);

/**
 * One drift sweep (SPEC §2 item 5, §8): close the leases that dead workflows left open (their
 * memberships removed whatever the resource's `reconcile` mode), then, for every managed Okta
 * group, report each member the ledger does not explain (audit event + one Slack message to the
 * security channel), removing them where the policy says `reconcile: remove`. A group's first
 * sweep records its baseline instead of reporting.
 */
export async function reconcileWorkflow(input: ReconcileInput = {}): Promise<ReconcileResult> {
  const { workflowId, runId } = workflowInfo();
  const effects = new Effects(() => undefined);
  let seq = 0;
  const audit = (type: string, resource: string, details: Record<string, unknown>) => {
    const event: AuditEvent = { id: `${workflowId}:${runId}:${++seq}`, requestId: workflowId, seq, type, actor: 'gatehouse', resource, at: new Date().toISOString(), details };
    effects.record([{ system: 'audit', event }]);
  };

  const { groups } = await ledger.listReconcileTargets();
  audit('reconcile_started', '', { groups: groups.map((g) => g.groupId), reason: input.reason });
  setCurrentDetails('Closing the leases of workflows that ended without ending them');
  const { closed: closedLeases } = await ledger.closeLeasesOfEndedWorkflows({ runId });

  const outcomes: GroupOutcome[] = [];
  for (const target of groups) {
    setCurrentDetails(`Reconciling ${target.groupId} (${outcomes.length + 1} of ${groups.length})`);
    const scan = await okta.scanOktaGroupForDrift({ groupId: target.groupId, resources: target.resources, runId });
    const outcome: GroupOutcome = { ...target, members: scan.members, baselineRecorded: scan.baselineRecorded, unexplained: [] };
    const resource = target.resources.join(',');
    for (const member of scan.unexplained) {
      audit('drift_detected', resource, { groupId: target.groupId, userId: member.userId, login: member.login, action: target.action });
      let removed = false;
      if (target.action === 'remove') {
        ({ removed } = await okta.removeUnexplainedOktaMember({ groupId: target.groupId, resources: target.resources, member }));
        audit(removed ? 'drift_removed' : 'drift_explained', resource, { groupId: target.groupId, userId: member.userId, login: member.login });
      }
      outcome.unexplained.push({ ...member, removed });
    }
    outcomes.push(outcome);
  }

  const drift = outcomes.filter((o) => o.unexplained.length > 0);
  const lines = [
    ...closedLeases.map((l) => `• ${l.login} in ${l.groupId}: request ${l.requestId} — its workflow was ${l.workflowStatus.toLowerCase()} without ending the grant → lease closed${l.removed ? ', membership removed' : ''}`),
    ...drift.flatMap((o) => [
      `*${o.resources.join(', ')}* (Okta group ${o.groupId}, policy: ${o.action}):`,
      ...o.unexplained.map((m) => `• ${m.login} — no grant, not a standing member${m.removed ? ' → removed' : ''}`),
    ]),
  ];
  // The audit events hold the report; a Slack outage delays or loses only the message.
  if (lines.length > 0) effects.record([{ system: 'slack', op: 'security', text: [':rotating_light: Gatehouse drift: members of managed groups without a grant', ...lines].join('\n') }]);
  const unexplained = outcomes.reduce((n, o) => n + o.unexplained.length, 0);
  audit('reconcile_completed', '', { groups: outcomes.length, unexplained, closedLeases: closedLeases.length, removed: outcomes.reduce((n, o) => n + o.unexplained.filter((m) => m.removed).length, 0) });
  await effects.drain();
  setCurrentDetails(`Done: ${outcomes.length} groups, ${unexplained} unexplained members, ${closedLeases.length} leases of ended workflows closed`);
  return { closedLeases, groups: outcomes };
}
