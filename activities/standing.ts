/** Explicit standing-access records (the allowlist), written with their audit event. */
import type { StandingChange } from '../workflows/standing/workflow';
import type { LedgerPort } from './ports';

export function createStandingActivities(deps: { ledger: LedgerPort }) {
  return {
    async recordStandingChange(input: { change: StandingChange; eventId: string }): Promise<{ changed: boolean }> {
      const { change } = input;
      const event = {
        id: input.eventId,
        requestId: `standing-${change.groupId}`,
        seq: 0,
        type: change.action === 'add' ? 'standing_member_added' : 'standing_member_removed',
        actor: change.by,
        resource: '',
        at: new Date().toISOString(),
        details: { groupId: change.groupId, userId: change.userId, login: change.record?.login, reason: change.reason, via: change.via },
      };
      if (change.action === 'add') return { changed: await deps.ledger.putStandingRecord(change.record!, event) };
      return { changed: await deps.ledger.deleteStandingRecord(change.userId, change.groupId, event) };
    },
  };
}

export type StandingActivities = ReturnType<typeof createStandingActivities>;
