/**
 * The bare lifecycle Gatehouse is compared with: add the membership, sleep, remove it. No policy,
 * approvals, audit, Jira or Slack; the same Okta adapter and emulator. Lives outside workflows/
 * on purpose (its own bundle, worker and task queue).
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { BareActivities } from './activities';

const okta = proxyActivities<BareActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface BareGrantInput {
  groupId: string;
  userId: string;
  durationMs: number;
  /** An expiry instant (epoch ms) instead of a duration: a revoke burst aims every expiry at one window. */
  expiresAt?: number;
}

export async function bareGrantWorkflow(input: BareGrantInput): Promise<{ grantedAt: number; expiresAt: number }> {
  await okta.bareAddMember(input);
  const grantedAt = Date.now();
  const expiresAt = input.expiresAt ?? grantedAt + input.durationMs;
  await sleep(Math.max(expiresAt - grantedAt, 1));
  await okta.bareRemoveMember(input);
  return { grantedAt, expiresAt };
}
