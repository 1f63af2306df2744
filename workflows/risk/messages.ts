import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AccessReviewState, DecideReviewInput, RiskSignal, UserRiskState } from './types';

// Message names are wire contracts with running executions: never rename them.

/** An Okta event for this user (from its `risk-event-<uuid>` workflow, by signal-with-start). */
export const riskEventSignal = defineSignal<[RiskSignal]>('riskEvent');
export const userRiskQuery = defineQuery<UserRiskState>('riskState');

/** Keep or revoke an app assignment under review: the manager or a reviewer (validator). */
export const decideReviewUpdate = defineUpdate<AccessReviewState, [DecideReviewInput]>('decide');
export const reviewQuery = defineQuery<AccessReviewState>('review');

