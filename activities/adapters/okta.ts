import { randomInt } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { Client, DefaultRequestExecutor, type User, type UserProfile } from '@okta/okta-sdk-nodejs';
import { classifyFailure } from '../errors';
import type { CreateUserInput, DirectoryGroup, DirectoryUser, OktaPort } from '../ports';

export interface OktaSettings {
  orgUrl: string;
  /** API token (sent as `SSWS <token>`). */
  token?: string;
  /** OAuth 2.0 service app (private_key_jwt) instead of a token. */
  clientId?: string;
  privateKey?: string;
  keyId?: string;
  scopes?: string[];
  /**
   * Every request is abandoned after this long (default 10 s), below the grant and revoke
   * activities' 15 s start-to-close: an attempt can never outlive its activity and land late.
   */
  requestTimeoutMs?: number;
}

export const DEFAULT_OKTA_REQUEST_TIMEOUT_MS = 10_000;

/**
 * The SDK's executor with no client-side retries (a 429 fails at once, and Temporal retries after
 * the reset the server asked for: `nextRetryDelay`), a request timeout, and the running activity's
 * cancellation signal passed to every request, so a cancelled or timed-out activity aborts its call.
 */
class ActivityRequestExecutor extends DefaultRequestExecutor {
  override fetch(request: Record<string, unknown>): Promise<unknown> {
    let signal: AbortSignal | undefined;
    try {
      signal = Context.current().cancellationSignal;
    } catch {
      // outside an activity (scripts, the API's lookups): the timeout alone bounds the call
    }
    return super.fetch(signal ? { ...request, signal } : request);
  }
}

const DEFAULT_SCOPES = ['okta.users.manage', 'okta.groups.manage', 'okta.apps.manage'];

interface OktaErrorLike {
  status?: number;
  errorCode?: string;
  errorSummary?: string;
  errorCauses?: Array<{ errorSummary?: string }>;
  message?: string;
  headers?: { get?(name: string): string | null } | Record<string, string>;
}

function header(headers: OktaErrorLike['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof headers.get === 'function') return headers.get(name) ?? undefined;
  return (headers as Record<string, string>)[name];
}

/** The wait Okta asks for on a 429: until x-rate-limit-reset (epoch seconds). */
export function oktaRetryAfterMs(headers: OktaErrorLike['headers'], now = Date.now()): number | undefined {
  const reset = Number(header(headers, 'x-rate-limit-reset'));
  return Number.isFinite(reset) && reset > 0 ? Math.max(reset * 1000 - now, 0) : undefined;
}

function statusOf(err: unknown): number | undefined {
  const status = (err as OktaErrorLike | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Every upstream failure goes through classifyFailure (network errors carry no status: retryable).
 * E0000038 ("not allowed in the user's current status") is a 403 that no credential fixes: rejected.
 */
function toFailure(err: unknown): Error {
  const e = (err ?? {}) as OktaErrorLike;
  const status = e.errorCode === 'E0000038' ? 400 : statusOf(err);
  return classifyFailure('Okta', status, e.message ?? String(err), status === 429 ? oktaRetryAfterMs(e.headers) : undefined);
}

function isLoginTaken(err: unknown): boolean {
  const e = err as OktaErrorLike;
  return statusOf(err) === 400 && !!e.errorCauses?.some((cause) => /login: An object with this field already exists/i.test(cause.errorSummary ?? ''));
}

/** Readable when handed over by voice or on paper: no 0/O, 1/l/I. */
const PASSWORD_ALPHABETS = ['abcdefghijkmnpqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789'];

/**
 * 16 random characters with a lower-case letter, a capital and a digit, and none of `avoid`
 * (Okta's default policy refuses a password that contains parts of the username).
 */
export function generateTemporaryPassword(avoid: string[] = []): string {
  const all = PASSWORD_ALPHABETS.join('');
  const parts = avoid.map((part) => part.toLowerCase()).filter((part) => part.length >= 3);
  for (;;) {
    const chars = [...PASSWORD_ALPHABETS.map((alphabet) => alphabet[randomInt(alphabet.length)] as string), ...Array.from({ length: 13 }, () => all[randomInt(all.length)] as string)];
    // Fisher-Yates, so the guaranteed classes are not always first.
    for (let i = chars.length - 1; i > 0; i -= 1) {
      const j = randomInt(i + 1);
      [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
    }
    const password = chars.join('');
    if (!parts.some((part) => password.toLowerCase().includes(part))) return password;
  }
}

/** The Okta profile of a create: the caller's attributes (which the user schema must know) and the four required ones. */
function profileOf(input: CreateUserInput): UserProfile {
  return { ...input.profile, login: input.login, email: input.email, firstName: input.firstName, lastName: input.lastName } as UserProfile;
}

/** A user made by an earlier attempt of the same create carries every value the input asks for. */
function madeFrom(user: DirectoryUser, input: CreateUserInput): boolean {
  const same = (a: unknown, b: unknown) => (typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : JSON.stringify(a) === JSON.stringify(b));
  return Object.entries(profileOf(input)).every(([key, value]) => same(user.profile[key], value));
}

export function toDirectoryUser(user: User): DirectoryUser {
  const profile = { ...(user.profile as unknown as Record<string, unknown>) };
  const text = (key: string) => (typeof profile[key] === 'string' ? (profile[key] as string) : '');
  const firstName = text('firstName');
  const lastName = text('lastName');
  return {
    id: user.id ?? '',
    login: text('login'),
    email: text('email'),
    firstName,
    lastName,
    displayName: text('displayName') || `${firstName} ${lastName}`.trim(),
    status: String(user.status ?? ''),
    profile,
  };
}

/**
 * Builds the SDK client. Every config field is passed explicitly (authorizationMode included) so
 * a stray OKTA_CLIENT_* variable or okta.yaml cannot switch the mode or add a key: the SDK merges
 * those under the constructor arguments. The GET cache is off so changes made outside this process
 * (the emulator, an admin) are seen at once.
 */
export function createOktaClient(settings: OktaSettings): Client {
  const orgUrl = settings.orgUrl.replace(/\/+$/, '');
  const common = {
    orgUrl,
    cacheMiddleware: null,
    requestExecutor: new ActivityRequestExecutor({ maxRetries: 0, requestTimeout: settings.requestTimeoutMs ?? DEFAULT_OKTA_REQUEST_TIMEOUT_MS }),
  };
  if (settings.token) {
    return new Client({ ...common, authorizationMode: 'SSWS', token: settings.token, clientId: '', privateKey: '', keyId: '' });
  }
  if (settings.clientId && settings.privateKey) {
    return new Client({
      ...common,
      authorizationMode: 'PrivateKey',
      token: '',
      clientId: settings.clientId,
      privateKey: settings.privateKey,
      keyId: settings.keyId ?? '',
      scopes: settings.scopes ?? DEFAULT_SCOPES,
    });
  }
  throw new Error('Okta settings need either token, or clientId and privateKey');
}

export class OktaAdapter implements OktaPort {
  constructor(private readonly client: Client) {}

  /** Runs an SDK call; a 404 becomes `onNotFound` when given, every other failure is classified. */
  private async call<T>(work: () => Promise<T>, onNotFound?: () => T): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (onNotFound && statusOf(err) === 404) return onNotFound();
      throw toFailure(err);
    }
  }

  async getUser(idOrLogin: string): Promise<DirectoryUser | null> {
    return this.call(async () => toDirectoryUser(await this.client.userApi.getUser({ userId: idOrLogin })), () => null);
  }

  async getGroup(groupId: string): Promise<DirectoryGroup | null> {
    return this.call(
      async () => {
        const group = await this.client.groupApi.getGroup({ groupId });
        return { id: group.id ?? groupId, name: group.profile?.name ?? '' };
      },
      () => null,
    );
  }

  async listGroupMembers(groupId: string): Promise<DirectoryUser[]> {
    return this.call(async () => {
      const members: DirectoryUser[] = [];
      // The collection follows the Link rel="next" pages.
      for await (const user of await this.client.groupApi.listGroupUsers({ groupId })) {
        if (user) members.push(toDirectoryUser(user));
      }
      return members;
    });
  }

  async isGroupMember(groupId: string, userId: string): Promise<boolean> {
    // A user's groups are few; a group's members may be many.
    return (await this.groupIdsOf(userId)).includes(groupId);
  }

  async groupIdsOf(userId: string): Promise<string[]> {
    return this.call(
      async () => {
        const ids: string[] = [];
        for await (const group of await this.client.userApi.listUserGroups({ userId })) {
          if (group?.id) ids.push(group.id);
        }
        return ids;
      },
      () => [],
    );
  }

  async addUserToGroup(groupId: string, userId: string): Promise<void> {
    // Okta's PUT is idempotent: an existing membership answers 204 as well.
    await this.call(() => this.client.groupApi.assignUserToGroup({ groupId, userId }));
  }

  async removeUserFromGroup(groupId: string, userId: string): Promise<void> {
    // 404: the user (or the group) is gone, so the membership is too: success for a revoke.
    await this.call(
      () => this.client.groupApi.unassignUserFromGroup({ groupId, userId }),
      () => undefined,
    );
  }

  async findUsersByLoginPrefix(prefix: string): Promise<DirectoryUser[]> {
    if (!prefix) throw classifyFailure('Okta', 400, 'a login prefix is required');
    // A SCIM string: quotes and backslashes escaped. `sw` is case-insensitive on values in Okta.
    const search = `profile.login sw "${prefix.replace(/["\\]/g, '\\$&')}"`;
    return this.call(async () => {
      const users: DirectoryUser[] = [];
      for await (const user of await this.client.userApi.listUsers({ search })) {
        if (user) users.push(toDirectoryUser(user));
      }
      return users;
    });
  }

  async createUser(input: CreateUserInput): Promise<DirectoryUser> {
    return this.createOnce(input, async () => {
      const user = await this.client.userApi.createUser({
        activate: input.activate ?? true,
        body: { profile: profileOf(input), ...(input.groupIds?.length ? { groupIds: input.groupIds } : {}) },
      });
      return toDirectoryUser(user);
    });
  }

  async createUserWithTemporaryPassword(input: CreateUserInput): Promise<{ user: DirectoryUser; temporaryPassword: string }> {
    const temporaryPassword = generateTemporaryPassword([input.login.split('@')[0] ?? '', input.firstName, input.lastName]);
    let created = false;
    const user = await this.createOnce(input, async () => {
      const made = await this.client.userApi.createUser({
        activate: true,
        nextLogin: 'changePassword',
        body: { profile: profileOf(input), credentials: { password: { value: temporaryPassword } }, ...(input.groupIds?.length ? { groupIds: input.groupIds } : {}) },
      });
      created = true;
      return toDirectoryUser(made);
    });
    if (created) return { user, temporaryPassword };
    // A retry: the first attempt's password went with it, so the user gets a new one.
    const replacement = await this.issueTemporaryPassword(user.id);
    return { user: (await this.getUser(user.id)) ?? user, temporaryPassword: replacement };
  }

  /**
   * Runs a create; when Okta says the login is taken, returns the user an earlier attempt made
   * (logins are decided unique before creating), or refuses when someone else holds it.
   */
  private async createOnce(input: CreateUserInput, create: () => Promise<DirectoryUser>): Promise<DirectoryUser> {
    try {
      return await create();
    } catch (err) {
      if (!isLoginTaken(err)) throw toFailure(err);
    }
    const existing = await this.getUser(input.login);
    if (existing && madeFrom(existing, input)) return existing;
    throw classifyFailure('Okta', 409, `the login ${input.login} is taken by another user`);
  }

  async issueTemporaryPassword(userId: string): Promise<string> {
    // Raw HTTP through the SDK (its auth, retries and errors): userApi.expirePasswordAndGetTemporaryPassword
    // in SDK 8.1.0 parses the answer as a User and drops tempPassword (research/round2.md §2).
    const url = `${this.client.baseUrl}/api/v1/users/${encodeURIComponent(userId)}/lifecycle/expire_password_with_temp_password?revokeSessions=true`;
    let answer: { tempPassword?: unknown };
    try {
      answer = (await (await this.client.http.post(url)).json()) as { tempPassword?: unknown };
    } catch (err) {
      throw toFailure(err);
    }
    if (typeof answer.tempPassword !== 'string' || !answer.tempPassword) throw classifyFailure('Okta', 502, 'expire_password_with_temp_password answered without a tempPassword');
    return answer.tempPassword;
  }

  async deactivateUser(userId: string): Promise<void> {
    await this.call(
      () => this.client.userApi.deactivateUser({ userId, sendEmail: false }),
      () => undefined,
    );
  }

  async deleteUser(userId: string): Promise<void> {
    const user = await this.getUser(userId);
    if (!user) return;
    // Okta only deletes a DEPROVISIONED user; a DELETE on a live one merely deactivates it.
    if (user.status !== 'DEPROVISIONED') await this.deactivateUser(user.id);
    await this.call(
      () => this.client.userApi.deleteUser({ userId: user.id, sendEmail: false }),
      () => undefined,
    );
  }

  async suspendUser(userId: string): Promise<void> {
    await this.lifecycle(userId, 'SUSPENDED', () => this.client.userApi.suspendUser({ userId }));
  }

  async unsuspendUser(userId: string): Promise<void> {
    await this.lifecycle(userId, 'ACTIVE', () => this.client.userApi.unsuspendUser({ userId }));
  }

  /** Okta answers 400 when the user is not in the source state; already in the target state is success. */
  private async lifecycle(userId: string, target: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (statusOf(err) === 400) {
        const user = await this.getUser(userId);
        if (user?.status === target) return;
      }
      throw toFailure(err);
    }
  }

  async clearUserSessions(userId: string): Promise<void> {
    await this.call(
      () => this.client.userApi.revokeUserSessions({ userId, oauthTokens: true }),
      () => undefined,
    );
  }

  async assignUserToApp(appId: string, userId: string): Promise<void> {
    // Assigning again updates the assignment: idempotent.
    await this.call(() => this.client.applicationApi.assignUserToApplication({ appId, appUser: { id: userId, scope: 'USER' } }));
  }

  async unassignUserFromApp(appId: string, userId: string): Promise<void> {
    await this.call(
      () => this.client.applicationApi.unassignUserFromApplication({ appId, userId, sendEmail: false }),
      () => undefined,
    );
  }
}

export function createOktaAdapter(settings: OktaSettings): OktaAdapter {
  return new OktaAdapter(createOktaClient(settings));
}
