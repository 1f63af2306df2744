import express, { Router, type Request } from 'express';
import { randomId } from '../shared/http';
import { assignBlockIds, type Conversation, type SlackState, type SlackView } from './state';

/** An `{ok:false, error}` answer (always HTTP 200, as Slack does). */
export class SlackApiError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

type Args = Record<string, unknown>;

export interface SlackApiContext {
  state: SlackState;
  /** Base URL of the emulator, for response_url and auth.test's url. */
  baseUrl(req: Request): string;
  triggerTtlMs: number;
  botToken?: string;
}

type MethodHandler = (args: Args, ctx: SlackApiContext, req: Request) => Record<string, unknown>;

function str(args: Args, name: string): string | undefined {
  const value = args[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function required(args: Args, name: string): string {
  const value = str(args, name);
  if (value === undefined) throw new SlackApiError('invalid_arguments', { response_metadata: { messages: [`[ERROR] missing required field: ${name}`] } });
  return value;
}

/** `blocks` / `view` arrive as JSON strings in form bodies and as objects in JSON bodies. */
function jsonArg<T>(args: Args, name: string, error: string): T | undefined {
  const value = args[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') return value as T;
  try {
    return JSON.parse(value) as T;
  } catch {
    throw new SlackApiError(error);
  }
}

function blocksArg(args: Args): unknown[] | undefined {
  const blocks = jsonArg<unknown>(args, 'blocks', 'invalid_blocks');
  if (blocks !== undefined && !Array.isArray(blocks)) throw new SlackApiError('invalid_blocks');
  return blocks === undefined ? undefined : assignBlockIds(blocks as unknown[]);
}

function channelArg(ctx: SlackApiContext, args: Args): Conversation {
  const conversation = ctx.state.resolveChannel(required(args, 'channel'));
  if (!conversation) throw new SlackApiError('channel_not_found');
  return conversation;
}

function conversationJson(conversation: Conversation): Record<string, unknown> {
  const { messages: _messages, ephemeral: _ephemeral, members: _members, ...fields } = conversation;
  return { ...fields, is_open: true, is_private: conversation.is_im || conversation.is_mpim };
}

function viewHash(): string {
  return `${Math.floor(Date.now() / 1000)}.${randomId('', 8)}`;
}

function buildView(ctx: SlackApiContext, raw: Record<string, unknown>, user: string, previous?: SlackView): SlackView {
  if (!raw || typeof raw !== 'object' || (raw.type !== 'modal' && raw.type !== 'home')) throw new SlackApiError('invalid_arguments');
  const id = previous?.id ?? randomId('V', 10).toUpperCase();
  return {
    id,
    team_id: ctx.state.team.id,
    type: String(raw.type),
    callback_id: String(raw.callback_id ?? ''),
    external_id: String(raw.external_id ?? ''),
    private_metadata: String(raw.private_metadata ?? ''),
    title: raw.title ?? null,
    submit: raw.submit ?? null,
    close: raw.close ?? null,
    blocks: Array.isArray(raw.blocks) ? raw.blocks : [],
    state: { values: previous?.state.values ?? {} },
    hash: viewHash(),
    root_view_id: previous?.root_view_id ?? id,
    previous_view_id: previous?.previous_view_id ?? null,
    app_id: ctx.state.bot.appId,
    bot_id: ctx.state.bot.botId,
    clear_on_close: raw.clear_on_close === true,
    notify_on_close: raw.notify_on_close === true,
    user,
    open: true,
  };
}

/** A view as Slack returns it (without the emulator's bookkeeping fields). */
export function viewJson(view: SlackView): Record<string, unknown> {
  const { user: _user, open: _open, errors: _errors, ...fields } = view;
  return fields;
}

function consumeTrigger(ctx: SlackApiContext, triggerId: string): string {
  const trigger = ctx.state.triggers.get(triggerId);
  if (!trigger) throw new SlackApiError('invalid_trigger_id');
  if (trigger.used) throw new SlackApiError('exchanged_trigger_id');
  if (Date.now() - trigger.createdAt > ctx.triggerTtlMs) throw new SlackApiError('expired_trigger_id');
  trigger.used = true;
  return trigger.user;
}

const methods: Record<string, MethodHandler> = {
  'api.test': (args) => ({ args }),

  'auth.test': (_args, ctx, req) => ({
    url: `${ctx.baseUrl(req)}/`,
    team: ctx.state.team.name,
    user: ctx.state.bot.name,
    team_id: ctx.state.team.id,
    user_id: ctx.state.bot.userId,
    bot_id: ctx.state.bot.botId,
    is_enterprise_install: false,
  }),

  'chat.postMessage': (args, ctx) => {
    const conversation = channelArg(ctx, args);
    const blocks = blocksArg(args);
    const text = str(args, 'text') ?? '';
    if (!text && !blocks) throw new SlackApiError('no_text');
    if (text.length > 40_000) throw new SlackApiError('msg_too_long');
    const message = {
      type: 'message' as const,
      ts: ctx.state.nextTs(),
      text,
      ...(blocks ? { blocks } : {}),
      user: ctx.state.bot.userId,
      bot_id: ctx.state.bot.botId,
      app_id: ctx.state.bot.appId,
      team: ctx.state.team.id,
      ...(str(args, 'thread_ts') ? { thread_ts: str(args, 'thread_ts') } : {}),
    };
    conversation.messages.push(message);
    return { channel: conversation.id, ts: message.ts, message };
  },

  'chat.update': (args, ctx) => {
    const conversation = channelArg(ctx, args);
    const message = ctx.state.findMessage(conversation, required(args, 'ts'));
    if (!message) throw new SlackApiError('message_not_found');
    if (message.user !== ctx.state.bot.userId) throw new SlackApiError('cant_update_message');
    const blocks = blocksArg(args);
    if (str(args, 'text') !== undefined) message.text = str(args, 'text') as string;
    if (blocks) message.blocks = blocks;
    message.edited = { user: ctx.state.bot.userId, ts: ctx.state.nextTs() };
    return { channel: conversation.id, ts: message.ts, text: message.text, message };
  },

  'chat.delete': (args, ctx) => {
    const conversation = channelArg(ctx, args);
    const ts = required(args, 'ts');
    const index = conversation.messages.findIndex((message) => message.ts === ts);
    if (index < 0) throw new SlackApiError('message_not_found');
    conversation.messages.splice(index, 1);
    return { channel: conversation.id, ts };
  },

  'chat.postEphemeral': (args, ctx) => {
    const conversation = channelArg(ctx, args);
    const user = ctx.state.users.get(required(args, 'user'));
    if (!user) throw new SlackApiError('user_not_found');
    const blocks = blocksArg(args);
    const text = str(args, 'text') ?? '';
    if (!text && !blocks) throw new SlackApiError('no_text');
    const ts = ctx.state.nextTs();
    conversation.ephemeral.push({ ts, user: user.id, text, ...(blocks ? { blocks } : {}) });
    return { message_ts: ts };
  },

  'conversations.open': (args, ctx) => {
    const channelId = str(args, 'channel');
    if (channelId) {
      const conversation = ctx.state.conversations.get(channelId);
      if (!conversation) throw new SlackApiError('channel_not_found');
      return { channel: args.return_im ? conversationJson(conversation) : { id: conversation.id }, no_op: true, already_open: true };
    }
    const userIds = (str(args, 'users') ?? '').split(',').map((id) => id.trim()).filter(Boolean);
    if (userIds.length === 0) throw new SlackApiError('not_enough_users');
    if (userIds.length > 1) throw new SlackApiError('method_not_supported_for_channel_type', { detail: 'the emulator opens 1:1 DMs only' });
    const user = ctx.state.users.get(userIds[0] as string);
    if (!user) throw new SlackApiError('user_not_found');
    if (user.deleted) throw new SlackApiError('user_disabled');
    const [conversation, alreadyOpen] = ctx.state.openDm(user.id);
    return {
      channel: args.return_im ? conversationJson(conversation) : { id: conversation.id },
      ...(alreadyOpen ? { no_op: true, already_open: true } : {}),
    };
  },

  'conversations.history': (args, ctx) => {
    const conversation = ctx.state.conversations.get(required(args, 'channel'));
    if (!conversation) throw new SlackApiError('channel_not_found');
    const limit = Math.min(Math.max(Number(args.limit) || 100, 1), 999);
    const offset = str(args, 'cursor') ? Number(Buffer.from(str(args, 'cursor') as string, 'base64').toString('utf8').replace('offset:', '')) || 0 : 0;
    const inclusive = args.inclusive === true || args.inclusive === 'true' || args.inclusive === '1';
    const latest = str(args, 'latest');
    const oldest = str(args, 'oldest');
    const inRange = (ts: string) =>
      (!latest || (inclusive ? Number(ts) <= Number(latest) : Number(ts) < Number(latest))) &&
      (!oldest || (inclusive ? Number(ts) >= Number(oldest) : Number(ts) > Number(oldest)));
    const newestFirst = conversation.messages.filter((message) => inRange(message.ts)).reverse();
    const page = newestFirst.slice(offset, offset + limit);
    const hasMore = offset + limit < newestFirst.length;
    return {
      messages: page,
      has_more: hasMore,
      pin_count: 0,
      response_metadata: { next_cursor: hasMore ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '' },
    };
  },

  'conversations.info': (args, ctx) => {
    const conversation = ctx.state.conversations.get(required(args, 'channel'));
    if (!conversation) throw new SlackApiError('channel_not_found');
    return { channel: conversationJson(conversation) };
  },

  'conversations.list': (_args, ctx) => ({
    channels: [...ctx.state.conversations.values()].filter((conversation) => conversation.is_channel).map(conversationJson),
    response_metadata: { next_cursor: '' },
  }),

  'users.info': (args, ctx) => {
    const user = ctx.state.users.get(required(args, 'user'));
    if (!user) throw new SlackApiError('user_not_found');
    return { user };
  },

  'users.lookupByEmail': (args, ctx) => {
    const email = required(args, 'email').toLowerCase();
    const user = [...ctx.state.users.values()].find((candidate) => candidate.profile.email?.toLowerCase() === email && !candidate.deleted);
    if (!user) throw new SlackApiError('users_not_found');
    return { user };
  },

  'views.open': (args, ctx) => {
    const triggerId = str(args, 'trigger_id') ?? str(args, 'interactivity_pointer');
    if (!triggerId) throw new SlackApiError('invalid_arguments');
    const raw = jsonArg<Record<string, unknown>>(args, 'view', 'invalid_arguments');
    if (!raw) throw new SlackApiError('invalid_arguments');
    const user = consumeTrigger(ctx, triggerId);
    const view = buildView(ctx, raw, user);
    ctx.state.views.set(view.id, view);
    return { view: viewJson(view) };
  },

  'views.push': (args, ctx) => {
    const raw = jsonArg<Record<string, unknown>>(args, 'view', 'invalid_arguments');
    if (!raw) throw new SlackApiError('invalid_arguments');
    const user = consumeTrigger(ctx, required(args, 'trigger_id'));
    const root = [...ctx.state.views.values()].reverse().find((candidate) => candidate.user === user && candidate.open);
    const view = buildView(ctx, raw, user);
    if (root) Object.assign(view, { root_view_id: root.root_view_id, previous_view_id: root.id });
    ctx.state.views.set(view.id, view);
    return { view: viewJson(view) };
  },

  'views.update': (args, ctx) => {
    const viewId = str(args, 'view_id');
    const externalId = str(args, 'external_id');
    const existing = viewId
      ? ctx.state.views.get(viewId)
      : [...ctx.state.views.values()].find((candidate) => externalId && candidate.external_id === externalId);
    if (!existing) throw new SlackApiError('not_found');
    const hash = str(args, 'hash');
    if (hash && hash !== existing.hash) throw new SlackApiError('hash_conflict');
    const raw = jsonArg<Record<string, unknown>>(args, 'view', 'invalid_arguments');
    if (!raw) throw new SlackApiError('invalid_arguments');
    const view = buildView(ctx, raw, existing.user, existing);
    ctx.state.views.set(view.id, view);
    return { view: viewJson(view) };
  },
};

function tokenOf(req: Request, args: Args): string | undefined {
  const header = req.get('authorization');
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim() || undefined;
  return str(args, 'token');
}

/** The Web API under /api/<method>: POST (form or JSON) or GET (query); always HTTP 200. */
export function webApiRouter(ctx: SlackApiContext): Router {
  const router = Router();
  router.use('/api', express.urlencoded({ extended: false, limit: '5mb' }), express.json({ limit: '5mb' }));
  router.all('/api/:method', (req, res) => {
    const args: Args = { ...(req.query as Args), ...((req.body ?? {}) as Args) };
    const reply = (body: Record<string, unknown>) => res.status(200).json(body);
    const handler = methods[req.params.method];
    if (!handler) return reply({ ok: false, error: 'unknown_method' });
    const token = tokenOf(req, args);
    if (!token) return reply({ ok: false, error: 'not_authed' });
    if (ctx.botToken && token !== ctx.botToken) return reply({ ok: false, error: 'invalid_auth' });
    try {
      reply({ ok: true, ...handler(args, ctx, req) });
    } catch (err) {
      if (err instanceof SlackApiError) return reply({ ok: false, error: err.error, ...err.extra });
      throw err;
    }
  });
  return router;
}
