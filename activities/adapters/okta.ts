import { Client, DefaultRequestExecutor, type User } from '@okta/okta-sdk-nodejs';
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

/** Every upstream failure goes through classifyFailure (network errors carry no status: retryable). */
function toFailure(err: unknown): Error {
  const e = (err ?? {}) as OktaErrorLike;
  return classifyFailure('Okta', statusOf(err), e.message ?? String(err), statusOf(err) === 429 ? oktaRetryAfterMs(e.headers) : undefined);
}

function isLoginTaken(err: unknown): boolean {
  const e = err as OktaErrorLike;
  return statusOf(err) === 400 && !!e.errorCauses?.some((cause) => /login: An object with this field already exists/i.test(cause.errorSummary ?? ''));
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
    // Two in-call retries of a 429 (waiting until x-rate-limit-reset); beyond that Temporal retries.
    requestExecutor: new DefaultRequestExecutor({ maxRetries: 2, requestTimeout: 0 }),
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
    return this.call(
      async () => {
        for await (const group of await this.client.userApi.listUserGroups({ userId })) {
          if (group?.id === groupId) return true;
        }
        return false;
      },
      () => false,
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

  async createUser(input: CreateUserInput): Promise<DirectoryUser> {
    try {
      const user = await this.client.userApi.createUser({
        activate: input.activate ?? true,
        body: {
          profile: { ...input.profile, login: input.login, email: input.email, firstName: input.firstName, lastName: input.lastName },
          ...(input.groupIds?.length ? { groupIds: input.groupIds } : {}),
        },
      });
      return toDirectoryUser(user);
    } catch (err) {
      // A retried activity finds the user its first attempt created (logins are generated unique).
      if (isLoginTaken(err)) {
        const existing = await this.getUser(input.login);
        if (existing) return existing;
      }
      throw toFailure(err);
    }
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
