import { ActivityFailure, log, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { GroupMember, ReconcileActivities, ReconcileTarget } from '../../activities/audit/reconcile';

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
  groups: GroupOutcome[];
}

/** Okta reads and removals: retried with backoff; a 429 waits for Okta's reset (nextRetryDelay). */
const okta = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});
const notify = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
const auditing = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * One drift sweep (SPEC §2 item 5): for every Gatehouse-managed Okta group, list the members and
 * report each one that neither an open grant nor a standing membership explains (audit event +
 * one Slack message to the security channel); remove them where the policy says `reconcile: remove`.
 * The first sweep of a group records its baseline instead of reporting (activities/audit/reconcile.ts).
 */
export async function reconcileWorkflow(input: ReconcileInput = {}): Promise<ReconcileResult> {
  const { workflowId, runId } = workflowInfo();
  let seq = 0;
  const audit = (type: string, resource: string, details: Record<string, unknown>) => {
    seq++;
    return auditing.recordAuditEvent({ id: `${workflowId}:${runId}:${seq}`, requestId: workflowId, seq, type, actor: 'gatehouse', resource, at: new Date().toISOString(), details });
  };

  const { groups } = await okta.listReconcileTargets();
  await audit('reconcile_started', '', { groups: groups.map((g) => g.groupId), reason: input.reason });
  const outcomes: GroupOutcome[] = [];
  for (const target of groups) {
    setCurrentDetails(`Reconciling ${target.groupId} (${outcomes.length + 1} of ${groups.length})`);
    const scan = await okta.scanOktaGroupForDrift({ groupId: target.groupId, resources: target.resources, runId });
    const outcome: GroupOutcome = { ...target, members: scan.members, baselineRecorded: scan.baselineRecorded, unexplained: [] };
    for (const member of scan.unexplained) {
      const resource = target.resources.join(',');
      await audit('drift_detected', resource, { groupId: target.groupId, userId: member.userId, login: member.login, action: target.action });
      let removed = false;
      if (target.action === 'remove') {
        ({ removed } = await okta.removeUnexplainedOktaMember({ groupId: target.groupId, resources: target.resources, member }));
        await audit(removed ? 'drift_removed' : 'drift_explained', resource, { groupId: target.groupId, userId: member.userId, login: member.login });
      }
      outcome.unexplained.push({ ...member, removed });
    }
    outcomes.push(outcome);
  }

  const drift = outcomes.filter((o) => o.unexplained.length > 0);
  if (drift.length > 0) {
    const lines = drift.flatMap((o) => [
      `*${o.resources.join(', ')}* (Okta group ${o.groupId}, policy: ${o.action}):`,
      ...o.unexplained.map((m) => `• ${m.login} — no grant, not a standing member${m.removed ? ' → removed' : ''}`),
    ]);
    try {
      await notify.postSlackSecurityAlert({ text: [':rotating_light: Gatehouse drift: members of managed groups without a grant', ...lines].join('\n') });
    } catch (err) {
      // The audit events already hold the report; a Slack outage must not fail the sweep.
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('drift report not posted to Slack', { message: err.message });
    }
  }
  const unexplained = outcomes.reduce((n, o) => n + o.unexplained.length, 0);
  await audit('reconcile_completed', '', { groups: outcomes.length, unexplained, removed: outcomes.reduce((n, o) => n + o.unexplained.filter((m) => m.removed).length, 0) });
  setCurrentDetails(`Done: ${outcomes.length} groups, ${unexplained} unexplained members`);
  return { groups: outcomes };
}
