/**
 * In-memory implementations of the ports, seeded from the demo directory. Workflow tests use them
 * to run the real activities fast and to inspect what happened (who is in which group, which
 * messages were sent, which tickets exist).
 */
import { randomBytes } from 'node:crypto';
import { classifyFailure } from '../errors';
import { loadDirectory, type Directory } from '../directory';
import type { AuditEvent, AuditPort, CreateUserInput, MailPort, OutgoingMail, DirectoryUser, JiraIssueRef, JiraPort, Lease, LedgerPort, NewLease, OktaPort, SlackMessageRef, SlackPort, StandingRecord } from '../ports';

export class FakeOkta implements OktaPort {
  readonly users = new Map<string, DirectoryUser>();
  readonly groups = new Map<string, { name: string; members: Set<string> }>();
  readonly calls: string[] = [];

  constructor(dir: Directory) {
    for (const u of dir.users) {
      this.users.set(u.id, {
        id: u.id,
        login: u.login,
        email: u.email ?? u.login,
        firstName: u.firstName,
        lastName: u.lastName,
        displayName: `${u.firstName} ${u.lastName}`,
        status: u.status ?? 'ACTIVE',
        profile: { login: u.login, email: u.email ?? u.login, firstName: u.firstName, lastName: u.lastName, ...u.profile },
      });
    }
    for (const g of dir.groups) {
      const ids = g.members.map((m) => this.find(m)?.id).filter((id): id is string => !!id);
      this.groups.set(g.id, { name: g.name, members: new Set(ids) });
    }
  }

  private find(idOrLogin: string): DirectoryUser | undefined {
    return this.users.get(idOrLogin) ?? [...this.users.values()].find((u) => u.login.toLowerCase() === idOrLogin.toLowerCase());
  }

  private group(groupId: string) {
    const g = this.groups.get(groupId);
    if (!g) throw classifyFailure('Okta', 404, `Not found: Resource not found: ${groupId} (UserGroup)`);
    return g;
  }

  /** Logins of a group's members, for assertions. */
  memberLogins(groupId: string): string[] {
    return [...(this.groups.get(groupId)?.members ?? [])].map((id) => this.users.get(id)?.login ?? id).sort();
  }

  async getUser(idOrLogin: string) {
    return this.find(idOrLogin) ?? null;
  }
  async getGroup(groupId: string) {
    const g = this.groups.get(groupId);
    return g ? { id: groupId, name: g.name } : null;
  }
  async listGroupMembers(groupId: string) {
    return [...this.group(groupId).members].map((id) => this.users.get(id)!).filter(Boolean);
  }
  async isGroupMember(groupId: string, userId: string) {
    return this.group(groupId).members.has(userId);
  }
  async groupIdsOf(userId: string) {
    return [...this.groups].filter(([, g]) => g.members.has(userId)).map(([id]) => id);
  }
  async addUserToGroup(groupId: string, userId: string) {
    this.calls.push(`add ${groupId} ${userId}`);
    if (!this.users.has(userId)) throw classifyFailure('Okta', 404, `Not found: Resource not found: ${userId} (User)`);
    this.group(groupId).members.add(userId);
  }
  async removeUserFromGroup(groupId: string, userId: string) {
    this.calls.push(`remove ${groupId} ${userId}`);
    this.groups.get(groupId)?.members.delete(userId);
  }
  async findUsersByLoginPrefix(prefix: string) {
    return [...this.users.values()].filter((u) => u.login.toLowerCase().startsWith(prefix.toLowerCase()));
  }
  async createUserWithTemporaryPassword(input: CreateUserInput) {
    const existing = this.find(input.login);
    const user = existing ?? (await this.createUser({ ...input, activate: true }));
    return { user, temporaryPassword: await this.issueTemporaryPassword(user.id) };
  }
  async issueTemporaryPassword(userId: string) {
    this.setStatus(userId, 'PASSWORD_EXPIRED');
    this.calls.push(`temp-password ${userId}`);
    return `Fake-${randomBytes(6).toString('hex')}`;
  }
  async createUser(input: CreateUserInput) {
    const id = `00u_${input.login.split('@')[0]}_${this.users.size}`;
    const user: DirectoryUser = {
      id,
      login: input.login,
      email: input.email,
      firstName: input.firstName,
      lastName: input.lastName,
      displayName: `${input.firstName} ${input.lastName}`,
      status: input.activate === false ? 'STAGED' : 'ACTIVE',
      profile: { ...input.profile, login: input.login, email: input.email },
    };
    this.users.set(id, user);
    for (const g of input.groupIds ?? []) this.group(g).members.add(id);
    return user;
  }
  private setStatus(userId: string, status: string) {
    const u = this.users.get(userId);
    if (!u) throw classifyFailure('Okta', 404, `Not found: Resource not found: ${userId} (User)`);
    u.status = status;
  }
  async deactivateUser(userId: string) {
    this.setStatus(userId, 'DEPROVISIONED');
  }
  async deleteUser(userId: string) {
    this.users.delete(userId);
    for (const g of this.groups.values()) g.members.delete(userId);
  }
  async suspendUser(userId: string) {
    this.setStatus(userId, 'SUSPENDED');
  }
  async unsuspendUser(userId: string) {
    this.setStatus(userId, 'ACTIVE');
  }
  async clearUserSessions(userId: string) {
    this.calls.push(`clear-sessions ${userId}`);
  }
  async assignUserToApp(appId: string, userId: string) {
    this.calls.push(`assign ${appId} ${userId}`);
  }
  async unassignUserFromApp(appId: string, userId: string) {
    this.calls.push(`unassign ${appId} ${userId}`);
  }
}

export interface FakeSlackMessage extends SlackMessageRef {
  text: string;
  blocks?: unknown[];
  updates: number;
}

export class FakeSlack implements SlackPort {
  readonly messages: FakeSlackMessage[] = [];
  readonly ephemerals: { channel: string; user: string; text: string }[] = [];
  private readonly byEmail = new Map<string, string>();
  private seq = 0;

  constructor(dir: Directory) {
    for (const u of dir.users) if (u.slackUserId) this.byEmail.set((u.email ?? u.login).toLowerCase(), u.slackUserId);
  }

  async lookupUserIdByEmail(email: string) {
    return this.byEmail.get(email.toLowerCase()) ?? null;
  }
  async getPerson(slackUserId: string) {
    const email = [...this.byEmail.entries()].find(([, id]) => id === slackUserId)?.[0];
    return email ? { email, teamId: 'T_GATEHOUSE', deleted: false, isBot: false, isGuest: false } : null;
  }
  async openDirectMessage(slackUserId: string) {
    return `D_${slackUserId}`;
  }
  async postMessage(m: { channel: string; text: string; blocks?: unknown[] }) {
    const ref = { channel: m.channel, ts: `${1_700_000_000 + ++this.seq}.000100` };
    this.messages.push({ ...ref, text: m.text, blocks: m.blocks, updates: 0 });
    return ref;
  }
  async updateMessage(ref: SlackMessageRef, m: { text: string; blocks?: unknown[] }) {
    const msg = this.messages.find((x) => x.channel === ref.channel && x.ts === ref.ts);
    if (!msg) throw classifyFailure('Slack', 400, 'message_not_found');
    Object.assign(msg, { text: m.text, blocks: m.blocks, updates: msg.updates + 1 });
  }
  async postEphemeral(channel: string, user: string, text: string) {
    this.ephemerals.push({ channel, user, text });
  }
  /** Messages in the DM with a user (by Slack id). */
  dmsTo(slackUserId: string): FakeSlackMessage[] {
    return this.messages.filter((m) => m.channel === `D_${slackUserId}`);
  }
}

export interface FakeIssue extends JiraIssueRef {
  summary: string;
  description: string;
  labels: string[];
  comments: string[];
  status: string;
}

export class FakeJira implements JiraPort {
  readonly issues: FakeIssue[] = [];
  async findIssueByLabel(label: string, projectKey = 'GATE') {
    const i = this.issues.find((x) => x.labels.includes(label) && x.key.startsWith(`${projectKey}-`));
    return i ? { key: i.key, url: i.url } : null;
  }
  async createIssue(input: { summary: string; description: string; labels: string[]; projectKey?: string; issueType?: string }) {
    const project = input.projectKey ?? 'GATE';
    const key = `${project}-${this.issues.filter((x) => x.key.startsWith(`${project}-`)).length + 1}`;
    const issue = { key, url: `http://jira.test/browse/${key}`, summary: input.summary, description: input.description, labels: input.labels, comments: [], status: 'To Do' };
    this.issues.push(issue);
    return { key, url: issue.url };
  }
  private issue(key: string) {
    const i = this.issues.find((x) => x.key === key);
    if (!i) throw classifyFailure('Jira', 404, 'Issue does not exist or you do not have permission to see it.');
    return i;
  }
  async addComment(key: string, text: string) {
    this.issue(key).comments.push(text);
  }
  async transitionIssue(key: string, status: 'In Progress' | 'Done') {
    this.issue(key).status = status;
  }
  async getIssueStatus(key: string) {
    return this.issue(key).status;
  }
}

/** The audit log and the grant ledger in memory (activities/audit/store.ts is the real one). */
export class FakeAudit implements AuditPort, LedgerPort {
  readonly events: AuditEvent[] = [];
  readonly leases = new Map<string, Lease>();
  readonly standing = new Map<string, StandingRecord>();
  async append(event: AuditEvent) {
    if (!this.events.some((e) => e.id === event.id)) this.events.push(event);
  }
  trail(requestId: string): AuditEvent[] {
    return this.events.filter((e) => e.requestId === requestId).sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq);
  }
  async openLease(lease: NewLease, events: AuditEvent[]) {
    const existing = this.leases.get(lease.requestId);
    if (!existing) this.leases.set(lease.requestId, { ...lease, endedAt: null, endReason: null });
    else Object.assign(existing, { endedAt: null, endReason: null });
    for (const e of events) await this.append(e);
    return { ...this.leases.get(lease.requestId)! };
  }
  async closeLease(requestId: string, end: { at: string; reason: string }, events: AuditEvent[]) {
    const lease = this.leases.get(requestId);
    const closed = !!lease && lease.endedAt === null;
    if (lease && closed) Object.assign(lease, { endedAt: end.at, endReason: end.reason });
    for (const e of events) await this.append(e);
    return { lease: lease ? { ...lease } : null, closed };
  }
  async lease(requestId: string) {
    const lease = this.leases.get(requestId);
    return lease ? { ...lease } : null;
  }
  async openLeases(filter: { userId?: string; groupId?: string } = {}) {
    return [...this.leases.values()].filter((l) => l.endedAt === null && (!filter.userId || l.userId === filter.userId) && (!filter.groupId || l.groupId === filter.groupId));
  }
  async leasesEndedSince(groupId: string, since: string) {
    return [...this.leases.values()].filter((l) => l.groupId === groupId && l.endedAt !== null && l.endedAt >= since);
  }
  async standingRecord(userId: string, groupId: string) {
    return this.standing.get(`${userId}/${groupId}`) ?? null;
  }
  async standingRecords(groupId?: string) {
    return [...this.standing.values()].filter((r) => !groupId || r.groupId === groupId);
  }
  async putStandingRecord(record: StandingRecord, event: AuditEvent) {
    const fresh = !this.standing.has(`${record.userId}/${record.groupId}`);
    this.standing.set(`${record.userId}/${record.groupId}`, record);
    await this.append(event);
    return fresh;
  }
  async deleteStandingRecord(userId: string, groupId: string, event: AuditEvent) {
    const deleted = this.standing.delete(`${userId}/${groupId}`);
    if (deleted) await this.append(event);
    return deleted;
  }
}

/** Mail kept in memory: what was sent, to whom. */
export class FakeMail implements MailPort {
  readonly sent: OutgoingMail[] = [];
  async send(mail: OutgoingMail) {
    this.sent.push(mail);
    return { messageId: `<fake-${this.sent.length}@gatehouse.test>` };
  }
  /** Messages to one address. */
  to(address: string): OutgoingMail[] {
    return this.sent.filter((m) => [m.to].flat().some((t) => t.toLowerCase() === address.toLowerCase()));
  }
}

export interface FakePorts {
  okta: FakeOkta;
  slack: FakeSlack;
  jira: FakeJira;
  audit: FakeAudit;
  mail: FakeMail;
}

export function createFakePorts(dir: Directory = loadDirectory()): FakePorts {
  return { okta: new FakeOkta(dir), slack: new FakeSlack(dir), jira: new FakeJira(), audit: new FakeAudit(), mail: new FakeMail() };
}
