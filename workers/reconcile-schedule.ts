/**
 * The `gatehouse-reconcile` Temporal Schedule, created or brought up to date by every worker at
 * start-up (idempotent: several workers starting at once all end with the same schedule).
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import { RECONCILE_SCHEDULE_ID, type reconcileWorkflow } from '../workflows/reconcile/workflow';

export interface ReconcileScheduleOptions {
  taskQueue: string;
  everyMs: number;
  scheduleId?: string;
}

export async function ensureReconcileSchedule(client: Client, opts: ReconcileScheduleOptions): Promise<'created' | 'updated'> {
  const scheduleId = opts.scheduleId ?? RECONCILE_SCHEDULE_ID;
  const action: ScheduleOptionsStartWorkflowAction<typeof reconcileWorkflow> = {
    type: 'startWorkflow',
    workflowType: 'reconcileWorkflow',
    // The schedule appends the fire time, so each sweep has its own id.
    workflowId: scheduleId,
    taskQueue: opts.taskQueue,
    args: [{}],
    staticSummary: 'Drift reconciliation of Gatehouse-managed Okta groups',
  };
  const spec = { intervals: [{ every: opts.everyMs }] };
  // A sweep still running when the next is due is not doubled up.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: opts.everyMs };
  try {
    // The first sweep runs at once: it records each group's baseline as close to deployment as possible.
    await client.schedule.create({ scheduleId, spec, action, policies, state: { triggerImmediately: true, note: 'managed by the Gatehouse worker' } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies } }));
  return 'updated';
}
