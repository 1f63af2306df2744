/**
 * Gatehouse in Slack (SPEC §7): a Bolt app whose ExpressReceiver is mounted on the API's own
 * express app at POST /slack/events, before any body parser (the signature covers the raw
 * bytes). Bolt verifies every request (forged signature or a timestamp older than 5 minutes:
 * 401), listeners ack() at once and call Temporal afterwards, through the same request service
 * and workflow validators as the HTTP API.
 */
import { App, ExpressReceiver, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
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
import { slackBodyGuard } from './guard';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackAppOptions {
  botToken: string;
  signingSecret: string;
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

/** Builds the Bolt app and mounts its receiver on `web` (call before any body parser). */
export function mountSlack(web: express.Application, opts: SlackAppOptions): App {
  const logger = opts.logger.child({ component: 'slack' });
  // Before Bolt: a body no listener can take is a 400, not Bolt's 500 or a 3 s hang.
  web.post(SLACK_EVENTS_PATH, slackBodyGuard);
  const receiver = new ExpressReceiver({
    signingSecret: opts.signingSecret,
    endpoints: SLACK_EVENTS_PATH,
    app: web,
    logger: boltLogger(logger),
  });
  const clientOptions = {
    ...(opts.apiUrl ? { slackApiUrl: opts.apiUrl } : {}),
    // Interactions are answered within seconds or not at all: fail fast, never queue for minutes.
    retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 200 },
    rejectRateLimitedCalls: true,
  };
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
  return app;
}
