import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Channel, RequestState } from './types';

export interface DecisionInput {
  approver: string;
  comment?: string;
  reason?: string;
  via?: Channel;
}
export interface ExtendInput {
  actor: string;
  durationMs: number;
  via?: Channel;
}
export interface RevokeInput {
  actor: string;
  reason?: string;
  via?: Channel;
}
export interface CancelInput {
  actor: string;
  via?: Channel;
}

// Message names are wire contracts with running executions: never rename them.
export const approveUpdate = defineUpdate<RequestState, [DecisionInput]>('approve');
export const denyUpdate = defineUpdate<RequestState, [DecisionInput]>('deny');
export const extendUpdate = defineUpdate<RequestState, [ExtendInput]>('extend');
export const revokeUpdate = defineUpdate<RequestState, [RevokeInput]>('revoke');
export const cancelUpdate = defineUpdate<RequestState, [CancelInput]>('cancel');
/** Revoke as a Signal: durable even while no worker runs (break-glass, risk response). */
export const revokeSignal = defineSignal<[RevokeInput]>('revokeSignal');
export const statusQuery = defineQuery<RequestState>('status');
