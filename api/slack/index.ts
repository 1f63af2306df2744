/**
 * Gatehouse in Slack (SPEC §7): a Bolt app with one of two transports.
 * - HTTP (default): an ExpressReceiver mounted on the API's own express app at POST /slack/events,
 *   before any body parser (the signature covers the raw bytes). Bolt verifies every request
 *   (forged signature or a timestamp older than 5 minutes: 401).
 * - Socket Mode (SLACK_APP_TOKEN, issue 15): a SocketModeReceiver that connects out to Slack with
 *   the app-level token, for an API Slack cannot reach; /slack/events is then not served (404).
 * Either way listeners ack() at once and call Temporal afterwards, through the same request
 * service and workflow validators as the HTTP API.
 */
import { App, ExpressReceiver, LogLevel, SocketModeReceiver, type Logger as BoltLogger, type ReceiverEvent } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type express from 'express';
import type { Logger } from 'pino';
import { SlackAdapter } from '../../activities/adapters/slack';
import type { Policy } from '../../activities/policy/schema';
import type { OktaPort } from '../../activities/ports';
import type { RequestService } from '../access-requests';
import type { TemporaryAccountService } from '../temporary-accounts';
import type { RiskService } from '../risk';
import * as actions from './actions';
import * as commands from './commands';
import type { SlackDeps } from './deps';
import { createSlackIdentity, type SlackIdentity } from './identity';
import * as views from './views';
import { slackBodyGuard, socketPayloadProblem } from './guard';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackAppOptions {
  botToken: string;
  /** HTTP transport: the signing secret that authenticates every request to /slack/events. */
  signingSecret?: string;
  /** Socket Mode: the app-level token (xapp-…, scope connections:write); set, /slack/events is not served. */
  appToken?: string;
  /** Web API base (the emulator's http://127.0.0.1:4020/api/); default Slack's own. */
  apiUrl?: string;
  service: RequestService;
  accounts?: TemporaryAccountService;
  risk?: RiskService;
  policy: () => Policy;
  okta: OktaPort;
  logger: Logger;
  /** SLACK_TEAM_ID: the one workspace whose clicks are accepted. */
  teamId?: string;
  /** Replaces the users.info → Okta lookup (tests). */
  identity?: SlackIdentity;
}

/** Bolt's logger interface over pino. */
function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const line = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg) => logger.debug({ component: 'bolt' }, line(msg)),
    info: (...msg) => logger.info({ component: 'bolt' }, line(msg)),
    warn: (...msg) => logger.warn({ component: 'bolt' }, line(msg)),
    error: (...msg) => logger.error({ component: 'bolt' }, line(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** Slack's answers to apps.connections.open that no retry will change: the app-level token is wrong. */
const REFUSED_TOKEN = new Set(['not_authed', 'invalid_auth', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type', 'user_removed_from_team', 'team_disabled', 'missing_scope']);

/** Socket Mode could not start: Slack refused the app-level token (the API stops: fail closed). */
export class SlackSocketModeError extends Error {}

export interface SlackApp {
  app: App;
  transport: 'http' | 'socket';
  /**
   * Socket Mode: connects (apps.connections.open, then the WebSocket) and resolves at Slack's
   * `hello`; the client then reconnects by itself when the connection drops. Rejects with
   * SlackSocketModeError when Slack refuses the token. While Slack is unreachable it keeps
   * retrying. HTTP: nothing to do (the receiver is mounted on the API's server).
   */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds the Bolt app. HTTP: mounts its receiver on `web` (call before any body parser).
 * Socket Mode: mounts nothing; call start() once the API is up.
 */
export function mountSlack(web: express.Application, opts: SlackAppOptions): SlackApp {
  const logger = opts.logger.child({ component: 'slack' });
  const clientOptions = {
    ...(opts.apiUrl ? { slackApiUrl: opts.apiUrl } : {}),
    // Interactions are answered within seconds or not at all: fail fast, never queue for minutes.
    retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 200 },
    rejectRateLimitedCalls: true,
  };
  let receiver: ExpressReceiver | SocketModeReceiver;
  if (opts.appToken) {
    receiver = new SocketModeReceiver({
      appToken: opts.appToken,
      logger: boltLogger(logger),
      // apps.connections.open goes through this client (not App's clientOptions). Its default retry
      // (100 tries, ×1.3) keeps an API whose Slack is unreachable trying until Slack is back.
      installerOptions: { clientOptions: opts.apiUrl ? { slackApiUrl: opts.apiUrl } : {} },
      // An envelope whose processing throws is acked and logged;
      // Bolt would leave it unacknowledged (Slack retries it, the user sees a timeout).
      processEventErrorHandler: async ({ error, event }) => {
        logger.warn({ err: error.message }, 'a Slack envelope failed; acknowledged so Slack does not redeliver it');
        // The connection may be gone: nothing to acknowledge then, and nothing to throw.
        await event.ack().catch(() => undefined);
        return false;
      },
    });
  } else {
    if (!opts.signingSecret) throw new Error('mountSlack: the HTTP transport needs the signing secret');
    // Before Bolt: a body no listener can take is a 400, not Bolt's 500 or a 3 s hang.
    web.post(SLACK_EVENTS_PATH, slackBodyGuard);
    receiver = new ExpressReceiver({
      signingSecret: opts.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      app: web,
      logger: boltLogger(logger),
    });
  }
  const app = new App({
    receiver,
    // One workspace, one bot token. A custom authorize skips Bolt's auth.test at start-up, so the
    // API starts (and answers HTTP) while Slack is unreachable.
    authorize: async () => ({ botToken: opts.botToken }),
    ignoreSelf: false,
    logger: boltLogger(logger),
    clientOptions,
  });
  const directory = new SlackAdapter(new WebClient(opts.botToken, clientOptions));
  const identity =
    opts.identity ??
    createSlackIdentity({
      // app.client carries no token with a custom authorize: the lookups get their own client.
      personOf: (slackUserId) => directory.getPerson(slackUserId),
      okta: opts.okta,
      teamId: opts.teamId,
    });
  const deps: SlackDeps = { service: opts.service, ...(opts.accounts ? { accounts: opts.accounts } : {}), ...(opts.risk ? { risk: opts.risk } : {}), policy: opts.policy, okta: opts.okta, identity, logger };
  actions.register(app, deps);
  commands.register(app, deps);
  views.register(app, deps);
  app.error(async (err) => {
    logger.error({ err: err.message, code: err.code }, 'Slack listener failed');
  });
  if (receiver instanceof SocketModeReceiver) return socketModeApp(app, receiver, logger);
  return { app, transport: 'http', start: async () => undefined, stop: async () => undefined };
}

function socketModeApp(app: App, receiver: SocketModeReceiver, logger: Logger): SlackApp {
  // The HTTP guard's counterpart: an envelope whose payload no listener can take is acked and
  // dropped with a warning, instead of reaching Bolt (an error, or no ack and Slack's retries).
  const processEvent = app.processEvent.bind(app);
  app.processEvent = async (event: ReceiverEvent) => {
    const problem = socketPayloadProblem(event.body);
    if (problem) {
      logger.warn({ problem }, 'Slack envelope not handled: acknowledged and dropped');
      await event.ack().catch(() => undefined);
      return;
    }
    await processEvent(event);
  };
  const client = receiver.client;
  client.on('connected', () => logger.info('Slack Socket Mode connected'));
  client.on('reconnecting', () => logger.warn('Slack Socket Mode reconnecting'));
  return {
    app,
    transport: 'socket',
    start: async () => {
      try {
        await app.start();
      } catch (err) {
        const data = (err as { code?: string; data?: { error?: string } }).data;
        if ((err as { code?: string }).code === 'slack_webapi_platform_error' && data?.error && REFUSED_TOKEN.has(data.error)) {
          throw new SlackSocketModeError(
            `Slack refused SLACK_APP_TOKEN (${data.error}): use an app-level token (xapp-…) with the connections:write scope, from the Slack app's Basic Information page, and turn Socket Mode on (slack-app-manifest.yaml)`,
          );
        }
        throw err;
      }
    },
    stop: async () => {
      await app.stop();
    },
  };
}
