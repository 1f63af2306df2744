import { randomId } from '../shared/http';
import { seedEmail, type Directory } from '../shared/directory';
import { UserSchema } from './schema';
import { SystemLog } from './system-log';

export interface OktaUser {
  id: string;
  status: string;
  created: string;
  activated: string | null;
  statusChanged: string | null;
  lastLogin: string | null;
  lastUpdated: string;
  passwordChanged: string | null;
  profile: Record<string, unknown> & { login: string; email: string; firstName: string; lastName: string };
  hasPassword: boolean;
  /** When clear-sessions was last called (observability for tests; not an Okta field). */
  sessionsClearedAt: string | null;
}

export interface OktaGroup {
  id: string;
  created: string;
  lastUpdated: string;
  lastMembershipUpdated: string;
  profile: { name: string; description: string };
  members: Set<string>;
}

export interface OktaAppUser {
  id: string;
  created: string;
  lastUpdated: string;
  scope: string;
  status: string;
  credentials: Record<string, unknown>;
  profile: Record<string, unknown>;
}

export interface OktaApp {
  id: string;
  label: string;
  created: string;
  users: Map<string, OktaAppUser>;
}

const now = () => new Date().toISOString();

/** One membership change request as the emulator applied it (benchmarks and chaos checks read these). */
export interface MembershipEvent {
  groupId: string;
  userId: string;
  op: 'add' | 'remove';
  /** Epoch milliseconds when the emulator applied it. */
  at: number;
  /** False when the call changed nothing (already a member / not a member): Okta answers 204 either way. */
  changed: boolean;
}

/** The level GET /api/v1/users/{id}/risk answers (NONE when never set). */
export interface UserRisk {
  level: 'LOW' | 'MEDIUM' | 'HIGH';
  reason?: string;
}

export class OktaState {
  users = new Map<string, OktaUser>();
  groups = new Map<string, OktaGroup>();
  apps = new Map<string, OktaApp>();
  /** Access tokens issued by /oauth2/v1/token, with their client id. */
  accessTokens = new Map<string, { clientId: string; scope: string }>();
  /** Every add/remove of a group member, in order (GET /_emulator/membership-events). */
  membershipEvents: MembershipEvent[] = [];
  readonly schema = new UserSchema();
  readonly systemLog = new SystemLog();
  risk = new Map<string, UserRisk>();

  reset(): void {
    this.membershipEvents = [];
    this.schema.reset();
    this.systemLog.clear();
    this.risk.clear();
    this.users.clear();
    this.groups.clear();
    this.apps.clear();
    this.accessTokens.clear();
  }

  /** By id, full login or short login (the part before @), as Okta's GET /users/{idOrLogin}. */
  findUser(idOrLogin: string): OktaUser | undefined {
    const direct = this.users.get(idOrLogin);
    if (direct) return direct;
    const wanted = idOrLogin.toLowerCase();
    for (const user of this.users.values()) {
      const login = user.profile.login.toLowerCase();
      if (login === wanted || login.split('@')[0] === wanted) return user;
    }
    return undefined;
  }

  findByLogin(login: string): OktaUser | undefined {
    const wanted = login.toLowerCase();
    return [...this.users.values()].find((user) => user.profile.login.toLowerCase() === wanted);
  }

  addUser(input: { id?: string; profile: OktaUser['profile']; status: string; hasPassword: boolean }): OktaUser {
    const at = now();
    const active = ['ACTIVE', 'PROVISIONED', 'PASSWORD_EXPIRED'].includes(input.status);
    const user: OktaUser = {
      id: input.id ?? randomId('00u'),
      status: input.status,
      created: at,
      activated: active ? at : null,
      statusChanged: active ? at : null,
      lastLogin: null,
      lastUpdated: at,
      passwordChanged: input.hasPassword ? at : null,
      profile: input.profile,
      hasPassword: input.hasPassword,
      sessionsClearedAt: null,
    };
    this.users.set(user.id, user);
    return user;
  }

  setStatus(user: OktaUser, status: string): void {
    const at = now();
    user.status = status;
    user.statusChanged = at;
    user.lastUpdated = at;
    if (status === 'ACTIVE' && !user.activated) user.activated = at;
  }

  /** Okta removes app assignments on deactivation (returned, for the log); group memberships stay. */
  deactivate(user: OktaUser): Array<{ app: OktaApp; assignment: OktaAppUser }> {
    this.setStatus(user, 'DEPROVISIONED');
    const removed: Array<{ app: OktaApp; assignment: OktaAppUser }> = [];
    for (const app of this.apps.values()) {
      const assignment = app.users.get(user.id);
      if (assignment && app.users.delete(user.id)) removed.push({ app, assignment });
    }
    return removed;
  }

  deleteUser(user: OktaUser): void {
    this.users.delete(user.id);
    this.risk.delete(user.id);
    for (const group of this.groups.values()) group.members.delete(user.id);
    for (const app of this.apps.values()) app.users.delete(user.id);
  }

  /** True when the user was not a member yet. */
  addMember(group: OktaGroup, userId: string): boolean {
    const changed = !group.members.has(userId);
    this.membershipEvents.push({ groupId: group.id, userId, op: 'add', at: Date.now(), changed });
    group.members.add(userId);
    group.lastMembershipUpdated = now();
    return changed;
  }

  /** True when the user was a member. */
  removeMember(group: OktaGroup, userId: string): boolean {
    const changed = group.members.has(userId);
    this.membershipEvents.push({ groupId: group.id, userId, op: 'remove', at: Date.now(), changed });
    group.members.delete(userId);
    group.lastMembershipUpdated = now();
    return changed;
  }

  assignApp(app: OktaApp, user: OktaUser, body: { scope?: string; credentials?: Record<string, unknown>; profile?: Record<string, unknown> }): OktaAppUser {
    const at = now();
    const existing = app.users.get(user.id);
    const assignment: OktaAppUser = {
      id: user.id,
      created: existing?.created ?? at,
      lastUpdated: at,
      scope: body.scope ?? 'USER',
      status: 'PROVISIONED',
      credentials: body.credentials ?? { userName: user.profile.login },
      profile: body.profile ?? existing?.profile ?? {},
    };
    app.users.set(user.id, assignment);
    return assignment;
  }

  seed(directory: Directory): void {
    const at = now();
    for (const seed of directory.users) {
      this.schema.declareFromSeed(seed.profile ?? {});
      this.addUser({
        id: seed.id,
        status: seed.status ?? 'ACTIVE',
        hasPassword: true,
        profile: { ...seed.profile, login: seed.login, email: seedEmail(seed), firstName: seed.firstName, lastName: seed.lastName },
      });
    }
    const resolveIds = (refs: string[]) =>
      refs.map((ref) => this.findUser(ref)?.id).filter((id): id is string => id !== undefined);
    for (const seed of directory.groups) {
      this.groups.set(seed.id, {
        id: seed.id,
        created: at,
        lastUpdated: at,
        lastMembershipUpdated: at,
        profile: { name: seed.name, description: seed.description ?? '' },
        members: new Set(resolveIds(seed.members)),
      });
    }
    for (const seed of directory.apps) {
      const app: OktaApp = { id: seed.id, label: seed.label, created: at, users: new Map() };
      this.apps.set(seed.id, app);
      for (const id of resolveIds(seed.users)) this.assignApp(app, this.users.get(id) as OktaUser, {});
    }
  }

  dump(): Record<string, unknown> {
    return {
      users: [...this.users.values()],
      groups: [...this.groups.values()].map(({ members, ...group }) => ({ ...group, members: [...members] })),
      apps: [...this.apps.values()].map(({ users, ...app }) => ({ ...app, users: [...users.values()] })),
      customProfileProperties: Object.fromEntries(this.schema.custom),
      risk: Object.fromEntries(this.risk),
      systemLogEvents: this.systemLog.all().length,
    };
  }
}
