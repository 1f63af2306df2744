/**
 * `npm run emulators`: Okta on 4010, Slack on 4020, Jira on 4030, seeded with
 * config/demo-directory.yaml, and SMTP on 4025 with its page of received mail on 4026. Slack
 * interactions go to GATEHOUSE_SLACK_EVENTS_URL, signed with SLACK_SIGNING_SECRET, or, when
 * SLACK_APP_TOKEN is set, over Socket Mode to the app that connects with that token. Okta's OpenID
 * dev client is OKTA_OIDC_CLIENT_ID / OKTA_OIDC_CLIENT_SECRET (default: 0oa_gatehouse_dev and a
 * secret generated and printed at start-up).
 */
import { startEmulators } from './index';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
/** GATEHOUSE_EMULATE=okta,jira,smtp starts only those (dev mode skips systems with real settings). */
const wanted = new Set((process.env.GATEHOUSE_EMULATE ?? 'okta,slack,jira,smtp').split(',').map((s) => s.trim()));

async function main(): Promise<void> {
  const running = await startEmulators({
    host: process.env.EMULATORS_HOST ?? '127.0.0.1',
    okta: wanted.has('okta') && {
      port: port('OKTA_EMULATOR_PORT', 4010),
      oidc: { clientId: process.env.OKTA_OIDC_CLIENT_ID || undefined, clientSecret: process.env.OKTA_OIDC_CLIENT_SECRET || undefined },
    },
    slack: wanted.has('slack') && {
      port: port('SLACK_EMULATOR_PORT', 4020),
      appEventsUrl: process.env.GATEHOUSE_SLACK_EVENTS_URL ?? 'http://127.0.0.1:3000/slack/events',
      signingSecret: process.env.SLACK_SIGNING_SECRET || 'dev-signing-secret',
      socketMode: !!process.env.SLACK_APP_TOKEN,
      socket: { appToken: process.env.SLACK_APP_TOKEN || undefined },
    },
    jira: wanted.has('jira') && port('JIRA_EMULATOR_PORT', 4030),
    smtp: wanted.has('smtp') && { port: port('SMTP_EMULATOR_PORT', 4025), httpPort: port('SMTP_EMULATOR_HTTP_PORT', 4026) },
  });
  const devClient = running.okta.emulator.oidc.devClient;
  const lines = [
    ...(wanted.has('okta')
      ? [
          `Okta emulator   ${running.okta.url}   (OKTA_ORG_URL; any "SSWS <token>")`,
          `Okta OpenID     OKTA_OIDC_ISSUER=${running.okta.url}/oauth2/default`,
          `                OKTA_OIDC_CLIENT_ID=${devClient.clientId} OKTA_OIDC_CLIENT_SECRET=${devClient.clientSecret}`,
        ]
      : []),
    ...(wanted.has('slack')
      ? [
          `Slack emulator  ${running.slack.url}   (page with buttons at /, Web API at ${running.slack.apiUrl})`,
          running.slack.emulator.target.socketMode ? 'Slack interactions → Socket Mode (the app connects with SLACK_APP_TOKEN)' : `Slack interactions → ${running.slack.emulator.target.appEventsUrl}`,
        ]
      : []),
    ...(wanted.has('jira') ? [`Jira emulator   ${running.jira.url}   (JIRA_HOST; any Basic e-mail:token)`] : []),
    ...(wanted.has('smtp') ? [`SMTP emulator   ${running.smtp.smtpUrl}   (SMTP_URL; any login) — received mail at ${running.smtp.url}/`] : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping emulators\n`);
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`emulators failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
