import { approvalGroup, approvalResource, autoGroup, autoResource, bareGroup, twoStepGroup, twoStepResource, userId, userLogin } from './stack';

export interface Pair {
  login: string;
  userId: string;
  resource: string;
  groupId: string;
}

/** Auto-approved, one approval, two approvals (Gatehouse resources), and the bare workflow's groups. */
export type Family = 'auto' | 'approval' | 'two' | 'bare';

const RESOURCE: Record<Family, (k: number) => string> = { auto: autoResource, approval: approvalResource, two: twoStepResource, bare: (k) => `bare-${k}` };
const GROUP: Record<Family, (k: number) => string> = { auto: autoGroup, approval: approvalGroup, two: twoStepGroup, bare: bareGroup };

/**
 * Hands out (user, resource) pairs, each once per run: the API refuses a second open request for
 * the same person and resource, and one pair per lifecycle keeps the membership log unambiguous.
 */
export class Pairs {
  private readonly next: Record<Family, number> = { auto: 0, approval: 0, two: 0, bare: 0 };

  constructor(
    private readonly users: number,
    private readonly resources: number,
  ) {}

  capacity(): number {
    return this.users * this.resources;
  }

  take(family: Family): Pair {
    const n = this.next[family]++;
    if (n >= this.capacity()) throw new Error(`out of ${family} (user, resource) pairs: the directory was sized for fewer lifecycles`);
    const k = n % this.resources;
    const i = Math.floor(n / this.resources);
    return { login: userLogin(i), userId: userId(i), resource: RESOURCE[family](k), groupId: GROUP[family](k) };
  }
}
