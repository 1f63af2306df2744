import { approvalGroup, approvalResource, autoGroup, autoResource, bareGroup, userId, userLogin } from './stack';

export interface Pair {
  login: string;
  userId: string;
  resource: string;
  groupId: string;
}

export type Family = 'auto' | 'approval' | 'bare';

/**
 * Hands out (user, resource) pairs, each once per run: the API refuses a second open request for
 * the same person and resource, and one pair per lifecycle keeps the membership log unambiguous.
 */
export class Pairs {
  private readonly next: Record<Family, number> = { auto: 0, approval: 0, bare: 0 };

  constructor(
    private readonly users: number,
    private readonly resources: number,
  ) {}

  capacity(): number {
    return this.users * this.resources;
  }

  take(family: Family): Pair {
    const n = this.next[family]++;
    if (n >= this.capacity()) throw new Error(`out of ${family} (user, resource) pairs: raise --users`);
    const k = n % this.resources;
    const i = Math.floor(n / this.resources);
    const resource = family === 'auto' ? autoResource(k) : family === 'approval' ? approvalResource(k) : `bare-${k}`;
    const groupId = family === 'auto' ? autoGroup(k) : family === 'approval' ? approvalGroup(k) : bareGroup(k);
    return { login: userLogin(i), userId: userId(i), resource, groupId };
  }
}
