import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Channel } from '../access-request/types';
import type { AccountState } from './types';

export interface ExtendAccountInput {
  actor: string;
  durationMs: number;
  via?: Channel;
}
export interface CloseAccountInput {
  actor: string;
  reason?: string;
  via?: Channel;
}

// Message names are wire contracts with running executions: never rename them.
export const extendAccountUpdate = defineUpdate<AccountState, [ExtendAccountInput]>('extend');
export const closeAccountUpdate = defineUpdate<AccountState, [CloseAccountInput]>('close');
/**
 * Close as a Signal: accepted while no worker runs and never refused (risk response closes an
 * account at HIGH with `{ actor: 'system:risk', reason: 'risk: HIGH …', via: 'okta-hook' }`).
 */
export const closeSignal = defineSignal<[CloseAccountInput]>('closeSignal');
export const accountStatusQuery = defineQuery<AccountState>('status');
