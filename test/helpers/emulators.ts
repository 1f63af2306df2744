import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { loadDirectory, startEmulators, type Directory, type RunningEmulators, type StartEmulatorsOptions } from '../../emulators';

export type { RunningEmulators };

/** Emulators on free ports, seeded with the demo directory unless told otherwise. */
export function startTestEmulators(options: StartEmulatorsOptions = {}): Promise<RunningEmulators> {
  return startEmulators({ host: '127.0.0.1', ...options });
}

/** The demo directory plus `count` extra users in a group of their own (for pagination tests). */
export function directoryWithBigGroup(groupId: string, count: number): Directory {
  const base = loadDirectory();
  const users = Array.from({ length: count }, (_, i) => ({
    id: `00u_bulk_${String(i).padStart(3, '0')}`,
    login: `bulk${i}@example.com`,
    firstName: 'Bulk',
    lastName: `User ${i}`,
  }));
  return {
    ...base,
    users: [...base.users, ...users],
    groups: [...base.groups, { id: groupId, name: 'bulk', members: users.map((user) => user.login) }],
  };
}

/**
 * The demo directory plus one person of their own (a unique login, in Engineering, reporting to
 * bob): the one Temporal dev server is shared by every suite, and a request or a quarantine another
 * suite left open for a demo user would refuse this one's (SPEC §4: one open request per person
 * and resource).
 */
export function directoryWithUniqueUser(prefix = 'user'): { directory: Directory; login: string } {
  const base = loadDirectory();
  const suffix = randomBytes(4).toString('hex');
  const login = `${prefix}-${suffix}@example.com`;
  const user = {
    id: `00u_${prefix}_${suffix}`,
    login,
    firstName: 'Test',
    lastName: `User ${suffix}`,
    profile: { department: 'Engineering', title: 'Software Engineer', managerId: '00u_bob', manager: 'bob@example.com' },
    slackUserId: `U_${suffix.toUpperCase()}`,
  };
  return { directory: { ...base, users: [...base.users, user] }, login };
}

/** The ApplicationFailure a promise rejects with (fails the test if it resolves or throws something else). */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw new Error(`expected an ApplicationFailure, got ${String(err)}`);
  }
  throw new Error('expected the call to fail, it succeeded');
}
