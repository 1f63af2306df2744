/**
 * `npm run api`: the composition root of the API process (settings → policy → Temporal client →
 * ports → createApp → listen), with a graceful shutdown.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { PolicyError } from '../activities/policy/load';
import { watchPolicy } from '../activities/policy/source';
import { API_SCOPES, loadSettings, SettingsError, type ApiToken, type Settings } from '../activities/settings';
import { describeAuditStore, openAuditStore } from '../activities/audit/store';
import { createApp } from './app';
import { createOktaTokenVerifier } from './identity/okta-token';
import { buildOktaPort } from './deps';
import { portalFromSettings } from './portal/from-settings';
import { mountSlack, SLACK_EVENTS_PATH, SlackSocketModeError, type SlackApp } from './slack';

function loadOrExit<T>(load: () => T, known: new (...args: never[]) => Error): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof known) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/**
 * The configured tokens. Only dev mode may run without any: it then makes one with every scope
 * and prints it. Anywhere else an API without tokens refuses to start.
 */
function apiTokens(settings: Settings, logger: pino.Logger): Map<string, ApiToken> {
  if (settings.GATEHOUSE_API_TOKENS.size > 0) return settings.GATEHOUSE_API_TOKENS;
  if (!settings.GATEHOUSE_DEV_MODE) {
    console.error('Invalid configuration (see .env.example):\n  - GATEHOUSE_API_TOKENS: required (name:token[:scope+scope…]); only `npm run dev` makes one');
    process.exit(1);
  }
  const token = `ghdev_${randomBytes(20).toString('hex')}`;
  logger.warn(`no GATEHOUSE_API_TOKENS: use "Authorization: Bearer ${token}" (dev mode only; every scope)`);
  return new Map([[token, { name: 'dev', scopes: new Set(API_SCOPES) }]]);
}

async function main(): Promise<void> {
  const settings = loadOrExit(() => loadSettings(), SettingsError);
  const logger = pino({ level: settings.LOG_LEVEL, redact: ['req.headers.authorization', 'req.headers.cookie'] });
  // The same reloading source as the worker: an edit applies to new requests in both processes.
  const policy = loadOrExit(() => watchPolicy(settings.GATEHOUSE_POLICY, logger), PolicyError);
  const okta = buildOktaPort(settings);
  const portal = portalFromSettings(settings);
  if (portal.problems.length) {
    console.error(`Invalid configuration (see .env.example):\n${portal.problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  if (portal.ephemeralSecret) logger.warn('no GATEHOUSE_SESSION_SECRET: portal sessions end with this process (dev mode only)');
  // The audit store, read-only (SQLite under .data/ or PostgreSQL, DATABASE_URL): the worker migrates
  // and writes it; the API only reads, so it may run on a read-only database role. Until the worker
  // has migrated it, /readyz and /v1/audit answer 503.
  const audit = openAuditStore(settings, { readOnly: true });
  await audit.migrate().then(
    () => logger.info({ auditStore: describeAuditStore(settings) }, 'audit store ready'),
    (err: unknown) => logger.warn({ auditStore: describeAuditStore(settings), err: err instanceof Error ? err.message : String(err) }, 'audit store not ready yet'),
  );

  const connection = await Connection.connect({
    address: settings.TEMPORAL_ADDRESS,
    ...(settings.TEMPORAL_API_KEY ? { apiKey: settings.TEMPORAL_API_KEY, tls: true } : settings.TEMPORAL_TLS ? { tls: true } : {}),
  });
  const temporal = new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE });

  let slack: SlackApp | undefined;
  const app = createApp({
    temporal,
    // The worker's queue (GATEHOUSE_TASK_QUEUE, default `gatehouse`): both sides must agree.
    taskQueue: settings.GATEHOUSE_TASK_QUEUE,
    policy,
    okta,
    tokens: apiTokens(settings, logger),
    // Okta-issued access tokens name a person (or an Okta client) instead of an integration.
    ...(settings.OKTA_OIDC_ISSUER ? { oktaTokens: createOktaTokenVerifier({ issuer: settings.OKTA_OIDC_ISSUER, audience: settings.OKTA_OIDC_AUDIENCE }) } : {}),
    rateLimitPerMinute: settings.GATEHOUSE_RATE_LIMIT,
    webUiUrl: settings.TEMPORAL_UI_URL,
    namespace: settings.TEMPORAL_NAMESPACE,
    logger,
    audit,
    ...(portal.options ? { portal: portal.options } : {}),
    // Okta event hooks (risk response) at /hooks/okta, when the shared secret is set.
    ...(settings.OKTA_EVENT_HOOK_SECRET ? { oktaHookSecret: settings.OKTA_EVENT_HOOK_SECRET } : {}),
    // Slack approvals, /access and the DM buttons, when the Slack app is configured: over
    // /slack/events (signing secret), or over Socket Mode (SLACK_APP_TOKEN; /slack/events is 404).
    ...(settings.SLACK_BOT_TOKEN && (settings.SLACK_APP_TOKEN || settings.SLACK_SIGNING_SECRET)
      ? {
          beforeParsers: (web, service, { accounts, risk }) => {
            slack = mountSlack(web, {
              accounts,
              botToken: settings.SLACK_BOT_TOKEN!,
              ...(settings.SLACK_APP_TOKEN ? { appToken: settings.SLACK_APP_TOKEN } : { signingSecret: settings.SLACK_SIGNING_SECRET! }),
              apiUrl: settings.SLACK_API_URL,
              teamId: settings.SLACK_TEAM_ID,
              service,
              risk,
              policy,
              okta,
              logger,
            });
            if (slack.transport === 'http') logger.info({ url: `${settings.GATEHOUSE_PUBLIC_URL ?? `http://127.0.0.1:${settings.PORT}`}${SLACK_EVENTS_PATH}` }, 'Slack request URL (events, interactivity, /access)');
            else logger.info('Slack over Socket Mode (SLACK_APP_TOKEN): no request URL; connecting out to Slack');
          },
        }
      : {}),
  });

  const server = app.listen(settings.PORT, (err?: Error) => {
    if (err) {
      logger.fatal({ err }, 'cannot listen');
      process.exit(1);
    }
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : settings.PORT;
    logger.info({ url: `http://127.0.0.1:${port}`, temporal: settings.TEMPORAL_ADDRESS, namespace: settings.TEMPORAL_NAMESPACE }, 'Gatehouse API listening');
    if (portal.options) logger.info({ url: portal.options.publicUrl, issuer: portal.options.issuer }, 'self-service portal (sign in with Okta)');
  });

  // Socket Mode connects once the API is up (/v1 does not wait for Slack). While Slack is unreachable
  // the client keeps trying; a token Slack refuses stops the API (fail closed), with what to fix.
  slack?.start().catch((err: unknown) => {
    if (err instanceof SlackSocketModeError) console.error(`Invalid configuration (see .env.example):\n  - SLACK_APP_TOKEN: ${err.message}`);
    else logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'Slack Socket Mode could not start');
    process.exit(1);
  });

  // Requests Node's HTTP parser refuses before Express sees them (headers over 16 KB, garbage)
  // still get the JSON error shape.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const [status, text] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
    const body = JSON.stringify({ error: { code: 'validation_failed', message: status === 431 ? 'the request headers are too large' : 'malformed HTTP request', details: [] } });
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    hard.unref();
    server.close(() => {
      (slack?.stop() ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => connection.close())
        .catch((err: unknown) => logger.warn({ err }, 'closing the Temporal connection failed'))
        .then(() => audit.close())
        .catch(() => undefined)
        .finally(() => {
          clearTimeout(hard);
          process.exit(0);
        });
    });
    // Idle keep-alive sockets would hold server.close() open until they time out.
    server.closeIdleConnections();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
