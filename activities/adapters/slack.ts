import { ErrorCode, WebClient, type Block, type KnownBlock } from '@slack/web-api';
import { classifyFailure } from '../errors';
import { memoize } from '../memo';
import type { SlackMessage, SlackMessageRef, SlackPerson, SlackPort } from '../ports';

export interface SlackSettings {
  botToken: string;
  /** Web API base, e.g. http://127.0.0.1:4020/api/ for the emulator; default Slack's own. */
  apiUrl?: string;
}

/**
 * How long the adapter remembers who an e-mail address is in Slack (a miss: 1 minute) and a
 * person's DM channel. Without it a lifecycle called `users.lookupByEmail` (Tier 3: about 50 a
 * minute) seven times and `conversations.open` five; with it a busy worker asks once per person
 * per window. A changed address is seen within the window.
 */
export interface SlackLookupCache {
  userTtlMs: number;
  missTtlMs: number;
  channelTtlMs: number;
  now?: () => number;
}

export const SLACK_LOOKUP_CACHE: SlackLookupCache = { userTtlMs: 5 * 60_000, missTtlMs: 60_000, channelTtlMs: 60 * 60_000 };

interface SlackErrorLike {
  code?: string;
  message?: string;
  retryAfter?: number;
  statusCode?: number;
  data?: { error?: string };
}

/** Platform errors (HTTP 200, ok:false) mapped onto the HTTP status classifyFailure understands. */
const PLATFORM_ERROR_STATUS: Record<string, number> = {
  ratelimited: 429,
  not_authed: 401,
  invalid_auth: 401,
  token_revoked: 401,
  token_expired: 401,
  account_inactive: 401,
  no_permission: 403,
  missing_scope: 403,
  not_allowed_token_type: 403,
  ekm_access_denied: 403,
  internal_error: 500,
  fatal_error: 500,
  service_unavailable: 503,
  request_timeout: 503,
};

function toFailure(err: unknown): Error {
  const e = (err ?? {}) as SlackErrorLike;
  const message = e.message ?? String(err);
  switch (e.code) {
    case ErrorCode.RateLimitedError:
      return classifyFailure('Slack', 429, message, (e.retryAfter ?? 1) * 1000);
    case ErrorCode.PlatformError:
      // Anything not listed (channel_not_found, invalid_blocks, …) cannot succeed as sent.
      return classifyFailure('Slack', PLATFORM_ERROR_STATUS[e.data?.error ?? ''] ?? 400, message);
    case ErrorCode.HTTPError:
      return classifyFailure('Slack', e.statusCode, message);
    default:
      return classifyFailure('Slack', undefined, message);
  }
}

function platformError(err: unknown): string | undefined {
  const e = err as SlackErrorLike | null;
  return e?.code === ErrorCode.PlatformError ? e.data?.error : undefined;
}

export class SlackAdapter implements SlackPort {
  private readonly userIdOf: (email: string) => Promise<string | null>;
  private readonly dmOf: (slackUserId: string) => Promise<string>;

  constructor(
    private readonly client: WebClient,
    cache: SlackLookupCache = SLACK_LOOKUP_CACHE,
  ) {
    const now = cache.now;
    this.userIdOf = memoize(
      (email) => this.call(async () => (await this.client.users.lookupByEmail({ email })).user?.id ?? null, ['users_not_found']),
      { ttlMs: cache.userTtlMs, ttlFor: (id) => (id ? cache.userTtlMs : cache.missTtlMs), now },
    );
    this.dmOf = memoize(
      async (slackUserId) => {
        const channel = await this.call(async () => (await this.client.conversations.open({ users: slackUserId })).channel?.id);
        if (!channel) throw classifyFailure('Slack', 502, 'conversations.open returned no channel');
        return channel;
      },
      { ttlMs: cache.channelTtlMs, now },
    );
  }

  private async call<T>(work: () => Promise<T>, nullOn: string[] = []): Promise<T | null> {
    try {
      return await work();
    } catch (err) {
      if (nullOn.includes(platformError(err) ?? '')) return null;
      throw toFailure(err);
    }
  }

  lookupUserIdByEmail(email: string): Promise<string | null> {
    return this.userIdOf(email);
  }

  async getPerson(slackUserId: string): Promise<SlackPerson | null> {
    const user = await this.call(async () => (await this.client.users.info({ user: slackUserId })).user ?? null, ['user_not_found']);
    if (!user) return null;
    return {
      email: user.profile?.email ?? null,
      teamId: user.team_id ?? '',
      deleted: !!user.deleted,
      isBot: !!user.is_bot || user.id === 'USLACKBOT',
      isGuest: !!user.is_restricted || !!user.is_ultra_restricted,
    };
  }

  openDirectMessage(slackUserId: string): Promise<string> {
    return this.dmOf(slackUserId);
  }

  async postMessage(message: SlackMessage): Promise<SlackMessageRef> {
    const response = await this.call(() =>
      this.client.chat.postMessage({ channel: message.channel, text: message.text, ...(message.blocks ? { blocks: message.blocks as (Block | KnownBlock)[] } : {}) }),
    );
    // Slack answers the resolved channel id (a #name or a user id becomes C…/D…): chat.update needs it.
    if (!response?.channel || !response.ts) throw classifyFailure('Slack', 502, 'chat.postMessage returned no channel/ts');
    return { channel: response.channel, ts: response.ts };
  }

  async updateMessage(ref: SlackMessageRef, message: Omit<SlackMessage, 'channel'>): Promise<void> {
    await this.call(() =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: message.text, ...(message.blocks ? { blocks: message.blocks as (Block | KnownBlock)[] } : {}) }),
    );
  }

  async postEphemeral(channel: string, slackUserId: string, text: string): Promise<void> {
    await this.call(() => this.client.chat.postEphemeral({ channel, user: slackUserId, text }));
  }
}

/**
 * No client-side retries: the activity's retry policy owns them, and a rate limit surfaces at once
 * as a failure whose nextRetryDelay is Slack's Retry-After.
 */
export function createSlackClient(settings: SlackSettings): WebClient {
  return new WebClient(settings.botToken, {
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
}

export function createSlackAdapter(settings: SlackSettings, cache?: SlackLookupCache): SlackAdapter {
  return new SlackAdapter(createSlackClient(settings), cache);
}
