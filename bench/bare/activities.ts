import type { OktaPort } from '../../activities/ports';

export function createBareActivities(okta: OktaPort) {
  return {
    async bareAddMember(input: { groupId: string; userId: string }): Promise<void> {
      await okta.addUserToGroup(input.groupId, input.userId);
    },
    async bareRemoveMember(input: { groupId: string; userId: string }): Promise<void> {
      await okta.removeUserFromGroup(input.groupId, input.userId);
    },
  };
}

export type BareActivities = ReturnType<typeof createBareActivities>;
