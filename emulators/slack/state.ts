import { randomBytes } from 'node:crypto';
import { seedEmail, type Directory } from '../shared/directory';
import { randomId } from '../shared/http';

export interface SlackUser {
  id: string;
  team_id: string;
  name: string;
  real_name: string;
  deleted: boolean;
  is_bot: boolean;
  /** Guests: multi-channel (restricted) and single-channel (ultra restricted). */
  is_restricted: boolean;
  is_ultra_restricted: boolean;
  profile: { email?: string; display_name: string; real_name: string; first_name?: string; last_name?: string };
}

export interface SlackMessage {
  type: 'message';
  ts: string;
  text: string;
  blocks?: unknown[];
  user: string;
  bot_id?: string;
  app_id?: string;
  team: string;
  thread_ts?: string;
  edited?: { user: string; ts: string };
}

export interface EphemeralMessage {
  ts: string;
  /** The only user who sees it. */
  user: string;
  text: string;
  blocks?: unknown[];
}

export interface Conversation {
  id: string;
  name?: string;
  is_channel: boolean;
  is_im: boolean;
  is_mpim: boolean;
  /** The other party of a DM. */
  user?: string;
  members: string[];
  created: number;
  messages: SlackMessage[];
  ephemeral: EphemeralMessage[];
}

export interface SlackView {
  id: string;
  team_id: string;
  type: string;
  callback_id: string;
  external_id: string;
  private_metadata: string;
  title: unknown;
  submit: unknown;
  close: unknown;
  blocks: unknown[];
  state: { values: Record<string, Record<string, unknown>> };
  hash: string;
  root_view_id: string;
  previous_view_id: string | null;
  app_id: string;
  bot_id: string;
  clear_on_close: boolean;
  notify_on_close: boolean;
  /** Who the modal is open for (not a Slack field). */
  user: string;
  open: boolean;
  /** The app's last `response_action: errors`, by block id (not a Slack field; the page shows them). */
  errors?: Record<string, string>;
}

/** Where a response_url posts: the message it was issued for, in the channel, for the user. */
export interface ResponseUrlTarget {
  channel: string;
  messageTs?: string;
  user: string;
  createdAt: number;
  uses: number;
}

export interface BotIdentity {
  userId: string;
  botId: string;
  appId: string;
  name: string;
}

export class SlackState {
  team = { id: 'T_GATEHOUSE', domain: 'gatehouse', name: 'Gatehouse' };
  readonly bot: BotIdentity = { userId: 'U0GATEBOT', botId: 'B0GATEBOT', appId: 'A0GATEHOUSE', name: 'gatehouse' };
  users = new Map<string, SlackUser>();
  conversations = new Map<string, Conversation>();
  views = new Map<string, SlackView>();
  triggers = new Map<string, { user: string; createdAt: number; used: boolean }>();
  responseUrls = new Map<string, ResponseUrlTarget>();
  private lastTsMicros = 0;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.users.clear();
    this.conversations.clear();
    this.views.clear();
    this.triggers.clear();
    this.responseUrls.clear();
    this.team = { id: 'T_GATEHOUSE', domain: 'gatehouse', name: 'Gatehouse' };
    this.addUser({ id: this.bot.userId, name: this.bot.name, realName: 'Gatehouse', isBot: true });
  }

  /** Slack timestamps are unique per channel; keep them unique and increasing globally. */
  nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  issueTrigger(user: string): string {
    const id = `${Date.now()}.${Math.floor(Math.random() * 1e12)}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(id, { user, createdAt: Date.now(), used: false });
    return id;
  }

  issueResponseUrl(target: Omit<ResponseUrlTarget, 'createdAt' | 'uses'>): string {
    const id = randomBytes(12).toString('hex');
    this.responseUrls.set(id, { ...target, createdAt: Date.now(), uses: 0 });
    return id;
  }

  addUser(input: { id: string; name: string; realName: string; email?: string; firstName?: string; lastName?: string; isBot?: boolean }): SlackUser {
    const user: SlackUser = {
      id: input.id,
      team_id: this.team.id,
      name: input.name,
      real_name: input.realName,
      deleted: false,
      is_bot: input.isBot ?? false,
      is_restricted: false,
      is_ultra_restricted: false,
      profile: { email: input.email, display_name: input.name, real_name: input.realName, first_name: input.firstName, last_name: input.lastName },
    };
    this.users.set(user.id, user);
    return user;
  }

  /** A Slack user id, or an e-mail (the emulator's control surface accepts both). */
  findUser(idOrEmail: string): SlackUser | undefined {
    const direct = this.users.get(idOrEmail);
    if (direct) return direct;
    const wanted = idOrEmail.toLowerCase();
    return [...this.users.values()].find((user) => user.profile.email?.toLowerCase() === wanted);
  }

  addChannel(name: string): Conversation {
    const clean = name.replace(/^#/, '');
    const existing = this.findChannelByName(clean);
    if (existing) return existing;
    const channel: Conversation = {
      id: `C${clean.toUpperCase().replace(/[^A-Z0-9]/g, '')}`.slice(0, 11),
      name: clean,
      is_channel: true,
      is_im: false,
      is_mpim: false,
      members: [...this.users.keys()],
      created: Math.floor(Date.now() / 1000),
      messages: [],
      ephemeral: [],
    };
    this.conversations.set(channel.id, channel);
    return channel;
  }

  findChannelByName(name: string): Conversation | undefined {
    const clean = name.replace(/^#/, '').toLowerCase();
    return [...this.conversations.values()].find((conversation) => conversation.name?.toLowerCase() === clean);
  }

  /** The bot's DM with a user, opened on first use. Returns [conversation, alreadyOpen]. */
  openDm(userId: string): [Conversation, boolean] {
    const existing = [...this.conversations.values()].find((conversation) => conversation.is_im && conversation.user === userId);
    if (existing) return [existing, true];
    const dm: Conversation = {
      id: randomId('D', 10).toUpperCase(),
      is_channel: false,
      is_im: true,
      is_mpim: false,
      user: userId,
      members: [userId, this.bot.userId],
      created: Math.floor(Date.now() / 1000),
      messages: [],
      ephemeral: [],
    };
    this.conversations.set(dm.id, dm);
    return [dm, false];
  }

  /**
   * What chat.* accept as `channel`: a C…/G… id, a D… DM id, `#name` or a bare name, or a U…/W…
   * user id (the app's DM with that user).
   */
  resolveChannel(ref: string): Conversation | undefined {
    const byId = this.conversations.get(ref);
    if (byId) return byId;
    if (/^[UW][A-Z0-9_]+$/.test(ref) && this.users.has(ref)) return this.openDm(ref)[0];
    return this.findChannelByName(ref);
  }

  findMessage(conversation: Conversation, ts: string): SlackMessage | undefined {
    return conversation.messages.find((message) => message.ts === ts);
  }

  seed(directory: Directory): void {
    if (directory.slack?.teamId) this.team.id = directory.slack.teamId;
    if (directory.slack?.teamDomain) this.team.domain = directory.slack.teamDomain;
    for (const user of this.users.values()) user.team_id = this.team.id;
    for (const seed of directory.users) {
      const id = seed.slackUserId ?? `U${seed.id.replace(/[^A-Za-z0-9]/g, '').toUpperCase()}`;
      this.addUser({
        id,
        name: seed.login.split('@')[0] ?? seed.login,
        realName: `${seed.firstName} ${seed.lastName}`,
        email: seedEmail(seed),
        firstName: seed.firstName,
        lastName: seed.lastName,
      });
    }
    for (const channel of directory.slack?.channels ?? []) this.addChannel(channel);
  }

  dump(): Record<string, unknown> {
    return {
      team: this.team,
      bot: this.bot,
      users: [...this.users.values()],
      conversations: [...this.conversations.values()],
      views: [...this.views.values()],
    };
  }
}

/** Slack gives every block without a block_id a generated one; the payloads then carry it. */
export function assignBlockIds(blocks: unknown[]): unknown[] {
  return blocks.map((block) =>
    block && typeof block === 'object' && !(block as { block_id?: unknown }).block_id
      ? { ...(block as object), block_id: randomBytes(3).toString('base64url') }
      : block,
  );
}
