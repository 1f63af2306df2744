import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { StandingActivities } from '../../activities/standing';
import type { StandingRecord } from '../../activities/ports';
import { LOOKUPS } from '../shared/retry';

export interface StandingChange {
  action: 'add' | 'remove';
  userId: string;
  groupId: string;
  /** For `add`: the record as it will be kept (source allowlist). */
  record?: StandingRecord;
  /** Who asked, and how (`http:<token>`), for the audit event. */
  by: string;
  via: string;
  reason?: string;
}

const { recordStandingChange } = proxyActivities<StandingActivities>(LOOKUPS);

/**
 * An explicit change to standing access (SPEC §6 /v1/standing-members): the allowlist entry and its
 * audit event written together by the worker, so the API itself never writes to the store (it may
 * run on a read-only database role). One short workflow per change: durable, retried, audited.
 */
export async function standingMemberWorkflow(change: StandingChange): Promise<{ changed: boolean }> {
  return recordStandingChange({ change, eventId: `${workflowInfo().workflowId}:${workflowInfo().runId}` });
}
