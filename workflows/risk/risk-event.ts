import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { RiskActivities } from '../../activities/risk';
import { critical, OKTA_DURABLE, OKTA_LOCAL } from '../shared/retry';
import type { RiskEventWorkflowInput } from './types';

const local = proxyLocalActivities<Pick<RiskActivities, 'deliverRiskEvent'>>(OKTA_LOCAL);
const durable = proxyActivities<Pick<RiskActivities, 'deliverRiskEvent'>>(OKTA_DURABLE);

/**
 * `risk-event-<okta event uuid>` (SPEC §8, §12): one Okta event. Its id is the deduplication —
 * the hook starts it with a reuse policy that refuses the same id, so Okta's redeliveries and
 * duplicates start nothing new — and it hands the event to the user's serializer
 * (`user-risk-<userId>`, signal-with-start), which applies it in order. One local activity: a
 * handful of history events per Okta event.
 */
export async function riskEventWorkflow(input: RiskEventWorkflowInput): Promise<{ userId: string }> {
  await critical(() => local.deliverRiskEvent(input), () => durable.deliverRiskEvent(input));
  return { userId: input.event.userId };
}
