import express, { Router, type Request, type Response } from 'express';
import { z, ZodError } from 'zod';
import { sendControlError } from '../shared/control';
import { interactionBody, postSignedToApp, type AppResponse } from './signing';
import { SocketModeDeliveryError, type EnvelopeType, type SocketModeHub } from './socket-mode';
import { assignBlockIds, type Conversation, type SlackMessage, type SlackState, type SlackUser } from './state';
import { viewJson } from './web-api';

/** Where interactions go. Mutable: tests start the emulator before the app knows its own port. */
export interface AppTarget {
  appEventsUrl?: string;
  /** Socket Mode on: everything goes over the app's WebSocket, nothing to appEventsUrl (as in Slack). */
  socketMode: boolean;
  signingSecret: string;
  /** The legacy verification token Slack still puts in payloads. */
  verificationToken: string;
}

export interface InteractionsContext {
  state: SlackState;
  baseUrl(req: Request): string;
  app: AppTarget;
  socket: SocketModeHub;
}

type Block = { type?: string; block_id?: string; elements?: Element[]; accessory?: Element };
type Element = { type?: string; action_id?: string; value?: string; text?: unknown; style?: string; options?: Array<{ value?: string }> };

/** The interactive element a user would click: by action_id, and by value when several share it. */
export function findActionElement(blocks: unknown[] | undefined, actionId: string, value?: string, blockId?: string): { blockId: string; element: Element } | undefined {
  for (const block of (blocks ?? []) as Block[]) {
    if (blockId && block.block_id !== blockId) continue;
    const elements = block.type === 'actions' ? (block.elements ?? []) : block.accessory ? [block.accessory] : [];
    const element = elements.find((candidate) => candidate.action_id === actionId && (value === undefined || candidate.type !== 'button' || candidate.value === value));
    if (element) return { blockId: block.block_id ?? '', element };
  }
  return undefined;
}

function actionJson(element: Element, blockId: string, value: string | undefined, actionTs: string): Record<string, unknown> {
  const base = { type: element.type ?? 'button', block_id: blockId, action_id: element.action_id, action_ts: actionTs };
  if (element.type === 'static_select') {
    const selected = element.options?.find((option) => option.value === value) ?? element.options?.[0];
    return { ...base, selected_option: selected };
  }
  return { ...base, value: value ?? element.value, ...(element.text ? { text: element.text } : {}), ...(element.style ? { style: element.style } : {}) };
}

function userJson(user: SlackUser): Record<string, unknown> {
  return { id: user.id, username: user.name, name: user.name, team_id: user.team_id };
}

function channelJson(conversation: Conversation): Record<string, unknown> {
  return { id: conversation.id, name: conversation.name ?? 'directmessage' };
}

export interface BlockActionsInput {
  state: SlackState;
  user: SlackUser;
  conversation: Conversation;
  message: SlackMessage;
  blockId: string;
  element: Element;
  value?: string;
  responseUrl: string;
  triggerId: string;
  verificationToken: string;
}

/** A block_actions payload as Slack sends it for a click on a message button. */
export function buildBlockActionsPayload(input: BlockActionsInput): Record<string, unknown> {
  const { state } = input;
  return {
    type: 'block_actions',
    user: userJson(input.user),
    api_app_id: state.bot.appId,
    token: input.verificationToken,
    container: { type: 'message', message_ts: input.message.ts, channel_id: input.conversation.id, is_ephemeral: false },
    trigger_id: input.triggerId,
    team: { id: state.team.id, domain: state.team.domain },
    enterprise: null,
    is_enterprise_install: false,
    channel: channelJson(input.conversation),
    message: input.message,
    state: { values: {} },
    response_url: input.responseUrl,
    actions: [actionJson(input.element, input.blockId, input.value, state.nextTs())],
  };
}

const actionSchema = z.object({
  user: z.string().min(1),
  channel: z.string().min(1),
  ts: z.string().min(1),
  actionId: z.string().min(1),
  value: z.string().optional(),
  blockId: z.string().optional(),
});

const commandSchema = z.object({
  user: z.string().min(1),
  command: z.string().startsWith('/'),
  text: z.string().default(''),
  channel: z.string().optional(),
});

const submitSchema = z.object({
  viewId: z.string().min(1),
  user: z.string().optional(),
  /** Slack's state.values; a plain string stands for a plain_text_input value. */
  values: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.record(z.string(), z.unknown())]))).default({}),
});

class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

function viewStateValues(values: z.infer<typeof submitSchema>['values']): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(values).map(([blockId, actions]) => [
      blockId,
      Object.fromEntries(Object.entries(actions).map(([actionId, value]) => [actionId, typeof value === 'string' ? { type: 'plain_text_input', value } : value])),
    ]),
  );
}

export function interactionsRouter(ctx: InteractionsContext): Router {
  const router = Router();
  const { state } = ctx;
  const json = express.json({ limit: '5mb' });

  const userOrFail = (ref: string) => {
    const user = state.findUser(ref);
    if (!user) throw new ControlError(404, 'user_not_found');
    return user;
  };
  /**
   * Delivers one payload the way the app is set up to receive it: an envelope over its Socket Mode
   * connection, or a signed POST to its Request URL (interactivity and commands as form fields,
   * events as JSON).
   */
  const send = async (type: EnvelopeType, payload: Record<string, unknown>): Promise<AppResponse> => {
    if (ctx.app.socketMode) {
      try {
        return await ctx.socket.deliver(type, payload);
      } catch (err) {
        if (err instanceof SocketModeDeliveryError) throw new ControlError(err.code === 'no_socket_connection' ? 409 : 504, err.code);
        throw err;
      }
    }
    if (!ctx.app.appEventsUrl) throw new ControlError(409, 'no_app_events_url');
    const [body, contentType] =
      type === 'interactive'
        ? [interactionBody(payload), undefined]
        : type === 'slash_commands'
          ? [new URLSearchParams(payload as Record<string, string>).toString(), undefined]
          : [JSON.stringify(payload), 'application/json'];
    try {
      return await postSignedToApp(ctx.app.appEventsUrl, ctx.app.signingSecret, body, contentType);
    } catch (err) {
      throw new ControlError(502, `app_unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const handle = (work: (req: Request) => Promise<Record<string, unknown>>) => async (req: Request, res: Response) => {
    try {
      res.json(await work(req));
    } catch (err) {
      if (err instanceof ControlError) return void res.status(err.status).json({ error: err.code });
      if (err instanceof ZodError) return sendControlError(res, err);
      throw err;
    }
  };

  router.post('/_emulator/config', json, (req, res) => {
    const body = z.object({ appEventsUrl: z.string().url().optional(), signingSecret: z.string().min(1).optional(), socketMode: z.boolean().optional() }).safeParse(req.body ?? {});
    if (!body.success) return sendControlError(res, body.error);
    Object.assign(ctx.app, Object.fromEntries(Object.entries(body.data).filter(([, value]) => value !== undefined)));
    res.json({ appEventsUrl: ctx.app.appEventsUrl ?? null, socketMode: ctx.app.socketMode });
  });

  // Presses a button as a user: a signed block_actions POST to the app; answers with the app's reply.
  router.post(
    '/_emulator/actions',
    json,
    handle(async (req) => {
      const input = actionSchema.parse(req.body ?? {});
      const user = userOrFail(input.user);
      const conversation = state.resolveChannel(input.channel);
      const message = conversation && state.findMessage(conversation, input.ts);
      if (!conversation || !message) throw new ControlError(404, 'message_not_found');
      const found = findActionElement(message.blocks, input.actionId, input.value, input.blockId);
      if (!found) throw new ControlError(404, 'action_not_found');
      const responseUrlId = state.issueResponseUrl({ channel: conversation.id, messageTs: message.ts, user: user.id });
      const payload = buildBlockActionsPayload({
        state,
        user,
        conversation,
        message,
        blockId: found.blockId,
        element: found.element,
        value: input.value,
        responseUrl: `${ctx.baseUrl(req)}/response_url/${responseUrlId}`,
        triggerId: state.issueTrigger(user.id),
        verificationToken: ctx.app.verificationToken,
      });
      return { ...(await send('interactive', payload)), payload };
    }),
  );

  // A slash command typed by a user (plain form fields, signed the same way).
  router.post(
    '/_emulator/commands',
    json,
    handle(async (req) => {
      const input = commandSchema.parse(req.body ?? {});
      const user = userOrFail(input.user);
      const conversation = input.channel ? state.resolveChannel(input.channel) : state.openDm(user.id)[0];
      if (!conversation) throw new ControlError(404, 'channel_not_found');
      const responseUrlId = state.issueResponseUrl({ channel: conversation.id, user: user.id });
      const fields = {
        token: ctx.app.verificationToken,
        team_id: state.team.id,
        team_domain: state.team.domain,
        channel_id: conversation.id,
        channel_name: conversation.name ?? 'directmessage',
        user_id: user.id,
        user_name: user.name,
        command: input.command,
        text: input.text,
        api_app_id: state.bot.appId,
        is_enterprise_install: 'false',
        response_url: `${ctx.baseUrl(req)}/response_url/${responseUrlId}`,
        trigger_id: state.issueTrigger(user.id),
      };
      const reply = await send('slash_commands', fields);
      // As in Slack, a message in the acknowledgement is shown to the user who typed the command.
      const ackMessage = reply.status === 200 && reply.body && typeof reply.body === 'object' ? (reply.body as { text?: string; blocks?: unknown[]; response_type?: string }) : undefined;
      if (ackMessage && (ackMessage.text || ackMessage.blocks)) {
        const shown = { ts: state.nextTs(), text: ackMessage.text ?? '', ...(ackMessage.blocks ? { blocks: assignBlockIds(ackMessage.blocks) } : {}) };
        if (ackMessage.response_type === 'in_channel') {
          conversation.messages.push({ type: 'message', ...shown, user: state.bot.userId, bot_id: state.bot.botId, app_id: state.bot.appId, team: state.team.id });
        } else conversation.ephemeral.push({ ...shown, user: user.id });
      }
      return { ...reply, payload: fields };
    }),
  );

  // An Events API event (app_home_opened, message, …) in its event_callback wrapper; the app only acks.
  router.post(
    '/_emulator/events',
    json,
    handle(async (req) => {
      const { event } = z.object({ event: z.object({ type: z.string().min(1) }).passthrough() }).parse(req.body ?? {});
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        token: ctx.app.verificationToken,
        team_id: state.team.id,
        api_app_id: state.bot.appId,
        event: { event_ts: state.nextTs(), ...event },
        type: 'event_callback',
        event_id: `Ev${state.nextTs().replace('.', '')}`,
        event_time: now,
        authorizations: [{ enterprise_id: null, team_id: state.team.id, user_id: state.bot.userId, is_bot: true, is_enterprise_install: false }],
        is_ext_shared_channel: false,
      };
      return { ...(await send('events_api', payload)), payload };
    }),
  );

  // Submits an open modal with the given state values; applies the app's response_action.
  router.post(
    '/_emulator/views/submit',
    json,
    handle(async (req) => {
      const input = submitSchema.parse(req.body ?? {});
      const view = state.views.get(input.viewId);
      if (!view || !view.open) throw new ControlError(404, 'view_not_found');
      const user = userOrFail(input.user ?? view.user);
      view.state = { values: viewStateValues(input.values) };
      const payload = {
        type: 'view_submission',
        team: { id: state.team.id, domain: state.team.domain },
        user: userJson(user),
        api_app_id: state.bot.appId,
        token: ctx.app.verificationToken,
        trigger_id: state.issueTrigger(user.id),
        view: viewJson(view),
        response_urls: [],
        is_enterprise_install: false,
        enterprise: null,
      };
      const reply = await send('interactive', payload);
      const action = reply.status === 200 && reply.body && typeof reply.body === 'object' ? (reply.body as { response_action?: string }).response_action : undefined;
      // No body (or anything but errors/update/push) closes the modal, as in Slack.
      if (reply.status === 200 && action !== 'errors' && action !== 'update' && action !== 'push') view.open = false;
      if (action === 'errors') view.errors = (reply.body as { errors?: Record<string, string> }).errors ?? {};
      else delete view.errors;
      if (action === 'clear') for (const other of state.views.values()) if (other.user === user.id) other.open = false;
      return { ...reply, payload, viewOpen: view.open };
    }),
  );

  // The user closes a modal (Cancel / ×); the app is not told (Gatehouse sets no notify_on_close).
  router.post(
    '/_emulator/views/close',
    json,
    handle(async (req) => {
      const { viewId } = z.object({ viewId: z.string().min(1) }).parse(req.body ?? {});
      const view = state.views.get(viewId);
      if (!view || !view.open) throw new ControlError(404, 'view_not_found');
      view.open = false;
      return { viewOpen: false };
    }),
  );

  // response_url: acts on the message it was issued for (replace / delete), or posts a new one.
  router.post('/response_url/:id', json, (req, res) => {
    const target = state.responseUrls.get(req.params.id);
    if (!target || Date.now() - target.createdAt > 30 * 60_000) return void res.status(404).json({ ok: false, error: 'expired_url' });
    if (target.uses >= 5) return void res.status(404).json({ ok: false, error: 'used_url' });
    target.uses += 1;
    const conversation = state.conversations.get(target.channel);
    if (!conversation) return void res.status(404).json({ ok: false, error: 'channel_not_found' });
    const body = (req.body ?? {}) as { text?: string; blocks?: unknown[]; replace_original?: boolean | string; delete_original?: boolean | string; response_type?: string; thread_ts?: string };
    const original = target.messageTs ? state.findMessage(conversation, target.messageTs) : undefined;
    const truthy = (value: unknown) => value === true || value === 'true';
    if (truthy(body.delete_original)) {
      if (original) conversation.messages.splice(conversation.messages.indexOf(original), 1);
    } else if (truthy(body.replace_original) && original) {
      original.text = body.text ?? '';
      if (body.blocks) original.blocks = assignBlockIds(body.blocks);
      else delete original.blocks;
      original.edited = { user: state.bot.userId, ts: state.nextTs() };
    } else if (body.response_type === 'in_channel') {
      conversation.messages.push({
        type: 'message',
        ts: state.nextTs(),
        text: body.text ?? '',
        ...(body.blocks ? { blocks: assignBlockIds(body.blocks) } : {}),
        user: state.bot.userId,
        bot_id: state.bot.botId,
        app_id: state.bot.appId,
        team: state.team.id,
      });
    } else {
      conversation.ephemeral.push({ ts: state.nextTs(), user: target.user, text: body.text ?? '', ...(body.blocks ? { blocks: body.blocks } : {}) });
    }
    res.json({ ok: true });
  });

  return router;
}
