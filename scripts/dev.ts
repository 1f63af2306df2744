/**
 * `npm run dev`: the whole stack on one machine with no configuration (SPEC §9). Checks the policy,
 * then starts the Temporal dev server, the emulators for every system without real settings, the
 * worker and the API as child processes with prefixed logs; prints the URLs, the dev API token and
 * a curl line. Ctrl-C / SIGTERM stops them in reverse order (the worker drains first).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { loadPolicy, PolicyError } from '../activities/policy/load';
import { API_SCOPES, configuredSystems, loadSettings, SettingsError, type Settings } from '../activities/settings';
import { createOktaClient } from '../activities/adapters/okta';
import { registerEventHook } from './okta-event-hook';
import { setupOktaSchema } from './okta-setup';
import { createSupervisor } from './dev-supervisor';
import { findTemporalCli } from './temporal-cli';

const ROOT = join(__dirname, '..');
const DATA = join(ROOT, '.data');
const COLORS = { temporal: 35, emulators: 36, worker: 33, api: 32, dev: 1 } as const;
type Name = keyof typeof COLORS;

const say = (name: Name, line: string) => process.stdout.write(`\x1b[${COLORS[name]}m[${name}]\x1b[0m ${line}\n`);

const supervisor = createSupervisor({ cwd: ROOT, say: (name, line) => say(name as Name, line), onFatal: (code) => void shutdown(code), restart: ['worker'] });
const start = (name: Name, script: string, env: NodeJS.ProcessEnv) => supervisor.start(name, script, env);

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (supervisor.isStopping()) throw new Error('stopping');
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000}s`);
}

const httpOk = (url: string) => async () => (await fetch(url)).ok;
const temporalUp = (address: string) => async () => {
  const c = await Connection.connect({ address, connectTimeout: 1000 });
  await c.close();
  return true;
};

let shuttingDown = false;
async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    say('dev', 'stopping…');
    await supervisor.stopAll();
  }
  process.exit(code);
}

/** A dev-mode secret kept in .data/<name>, so a restart of dev mode keeps sessions and clients working. */
function devSecret(name: string): string {
  const file = join(DATA, name);
  const secret = existsSync(file) ? readFileSync(file, 'utf8').trim() : randomBytes(24).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

const DEV_OIDC_CLIENT_ID = '0oa_gatehouse_dev';

/** The configured tokens, or the dev token (kept in .data/dev-token), which holds every scope. */
function devToken(settings: Settings): { tokens: string; token: string } {
  const first = [...settings.GATEHOUSE_API_TOKENS.keys()][0];
  if (first) return { tokens: process.env.GATEHOUSE_API_TOKENS!, token: first };
  const file = join(DATA, 'dev-token');
  const token = existsSync(file) ? readFileSync(file, 'utf8').trim() : `ghdev_${randomBytes(20).toString('hex')}`;
  writeFileSync(file, token, { mode: 0o600 });
  return { tokens: `dev:${token}:${API_SCOPES.join('+')}`, token };
}

async function main() {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  mkdirSync(DATA, { recursive: true });

  process.env.GATEHOUSE_DEV_MODE = '1';
  const settings = loadSettings();
  loadPolicy(settings.GATEHOUSE_POLICY); // a broken policy stops dev mode before anything starts
  const port = settings.PORT;
  const apiUrl = `http://127.0.0.1:${port}`;
  const { tokens, token } = devToken(settings);
  // Dev mode is the one place emulators, fakes, the dev token and dev secrets are allowed (issue 9).
  const publicUrl = settings.GATEHOUSE_PUBLIC_URL ?? apiUrl;
  const env: NodeJS.ProcessEnv = {
    GATEHOUSE_DEV_MODE: '1',
    GATEHOUSE_API_TOKENS: tokens,
    GATEHOUSE_PUBLIC_URL: publicUrl,
    // Kept in .data/, so portal sessions survive a restart of dev mode.
    GATEHOUSE_SESSION_SECRET: settings.GATEHOUSE_SESSION_SECRET ?? devSecret('session-secret'),
    // The event hook's shared secret (risk response): the API checks it, the emulator's hook sends it.
    OKTA_EVENT_HOOK_SECRET: settings.OKTA_EVENT_HOOK_SECRET ?? devSecret('okta-event-hook-secret'),
  };

  // 1. Temporal: the dev server unless TEMPORAL_ADDRESS points elsewhere or one already answers.
  const address = settings.TEMPORAL_ADDRESS;
  if (await temporalUp(address)().catch(() => false)) {
    say('dev', `using the Temporal server already running at ${address}`);
  } else if (address === '127.0.0.1:7233' || address === 'localhost:7233') {
    env.TEMPORAL_CLI_PATH = await findTemporalCli((l) => say('temporal', l));
    start('temporal', 'scripts/temporal.ts', env);
    await waitUntil('the Temporal dev server', temporalUp(address));
  } else {
    throw new Error(`the Temporal server at TEMPORAL_ADDRESS=${address} does not answer`);
  }

  // 2. Emulators for every system without settings.
  const configured = configuredSystems(settings);
  const emulate = (Object.keys(configured) as (keyof typeof configured)[]).filter((s) => !configured[s]);
  if (emulate.length > 0) {
    const signingSecret = settings.SLACK_SIGNING_SECRET ?? 'dev-signing-secret';
    const oidc = { OKTA_OIDC_CLIENT_ID: DEV_OIDC_CLIENT_ID, OKTA_OIDC_CLIENT_SECRET: devSecret('oidc-client-secret') };
    // The mail system's emulator is called smtp.
    // SLACK_APP_TOKEN=xapp-dev-token npm run dev: the emulated Slack talks to the API over Socket Mode.
    const slackSocket = settings.SLACK_APP_TOKEN ? { SLACK_APP_TOKEN: settings.SLACK_APP_TOKEN } : {};
    start('emulators', 'emulators/main.ts', { GATEHOUSE_EMULATE: emulate.map((s) => (s === 'mail' ? 'smtp' : s)).join(','), GATEHOUSE_SLACK_EVENTS_URL: `${apiUrl}/slack/events`, SLACK_SIGNING_SECRET: signingSecret, ...slackSocket, ...oidc });
    if (emulate.includes('okta')) {
      // The emulator is also the OpenID provider: the API verifies Okta tokens, the portal signs in with it.
      Object.assign(env, { OKTA_ORG_URL: 'http://127.0.0.1:4010', OKTA_API_TOKEN: 'dev-okta-token', ...oidc, OKTA_OIDC_ISSUER: 'http://127.0.0.1:4010/oauth2/default' });
    }
    if (emulate.includes('slack')) Object.assign(env, { SLACK_BOT_TOKEN: 'xoxb-dev-token', SLACK_SIGNING_SECRET: signingSecret, SLACK_API_URL: 'http://127.0.0.1:4020/api/', SLACK_TEAM_ID: 'T_GATEHOUSE', ...slackSocket });
    if (emulate.includes('jira')) Object.assign(env, { JIRA_HOST: 'http://127.0.0.1:4030', JIRA_EMAIL: 'gatehouse@example.com', JIRA_API_TOKEN: 'dev-jira-token', JIRA_PROJECT_KEY: 'GATE' });
    if (emulate.includes('mail')) env.SMTP_URL = 'smtp://127.0.0.1:4025';
    const urls = { okta: 'http://127.0.0.1:4010/_emulator/state', slack: 'http://127.0.0.1:4020/_emulator/state', jira: 'http://127.0.0.1:4030/_emulator/state', mail: 'http://127.0.0.1:4026/_emulator/state' };
    for (const s of emulate) await waitUntil(`the ${s} emulator`, httpOk(urls[s]));
    // Temporary accounts write custom profile attributes, which Okta (and the emulator) refuse until declared.
    if (emulate.includes('okta')) await setupOktaSchema(createOktaClient({ orgUrl: 'http://127.0.0.1:4010', token: 'dev-okta-token' }), (l) => say('dev', `okta:setup ${l}`));
  }

  // 3. Worker and API.
  start('worker', 'workers/main.ts', env);
  start('api', 'api/main.ts', env);
  await waitUntil('the API', httpOk(`${apiUrl}/healthz`));
  // Risk response: the Okta emulator delivers its System Log events to the API, as Okta would.
  if (emulate.includes('okta')) {
    // Not fatal: everything else works without it, and the message says what to fix.
    await registerEventHook(createOktaClient({ orgUrl: 'http://127.0.0.1:4010', token: 'dev-okta-token' }), { url: `${apiUrl}/hooks/okta`, name: 'Gatehouse', secret: env.OKTA_EVENT_HOOK_SECRET! }, (l) =>
      say('dev', `okta:event-hook ${l}`),
    ).catch((err: unknown) => say('dev', `okta:event-hook failed, risk events will not reach Gatehouse: ${err instanceof Error ? err.message : String(err)}`));
  }

  const curl = `curl -s -X POST ${apiUrl}/v1/requests -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '{"requester":"alice@example.com","resource":"prod-db-admin","duration":"2m","justification":"OPS-123 investigate slow queries"}'`;
  const lines = [
    '',
    'Gatehouse is running (Ctrl-C stops everything):',
    `  API            ${apiUrl}   token: ${token}`,
    ...(env.OKTA_OIDC_CLIENT_ID ?? settings.OKTA_OIDC_CLIENT_ID
      ? [`  Portal         ${publicUrl.replace(/\/+$/, '')}/   sign in as a demo user (${emulate.includes('okta') ? 'the Okta emulator lists them: alice asks, bob and carol approve' : 'with Okta'})`]
      : []),
    `  Temporal UI    ${settings.TEMPORAL_UI_URL}`,
    ...(emulate.includes('okta') ? ['  Okta emulator  http://127.0.0.1:4010/_emulator/state'] : []),
    `  Okta hook      ${apiUrl}/hooks/okta   secret (OKTA_EVENT_HOOK_SECRET): ${env.OKTA_EVENT_HOOK_SECRET}`,
    ...(emulate.includes('slack') ? ['  Slack emulator http://127.0.0.1:4020/   (messages and buttons)'] : []),
    ...(emulate.includes('jira') ? ['  Jira emulator  http://127.0.0.1:4030/_emulator/state'] : []),
    ...(emulate.includes('mail') ? ['  SMTP emulator  http://127.0.0.1:4026/   (received mail)'] : []),
    '',
    'File a first request (alice asks for prod-db-admin for 2 minutes):',
    `  ${curl}`,
    'then approve it as bob (her manager) and carol (the owner), with the id it printed:',
    `  curl -s -X POST ${apiUrl}/v1/requests/<id>/approve -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '{"approver":"bob@example.com"}'`,
    `  curl -s -X POST ${apiUrl}/v1/requests/<id>/approve -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '{"approver":"carol@example.com"}'`,
    `  curl -s ${apiUrl}/v1/requests/<id> -H "Authorization: Bearer ${token}"`,
    ...(emulate.includes('okta')
      ? [
          'Risk response: Okta raises alice to HIGH (her grants are revoked, she is quarantined; see the Slack, SMTP and Jira pages):',
          `  curl -s -X POST http://127.0.0.1:4010/_emulator/risk -H 'Content-Type: application/json' -d '{"login":"alice@example.com","level":"HIGH"}'`,
          `  curl -s ${apiUrl}/v1/risk/users/alice@example.com -H "Authorization: Bearer ${token}"`,
        ]
      : []),
    '',
    'A temporary account that closes itself after 30 s (bob asks; the credential mail shows on the SMTP emulator page; or /access temp in Slack):',
    `  curl -s -X POST ${apiUrl}/v1/temporary-accounts -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '{"manager":"bob@example.com","firstName":"Élodie","lastName":"Lefèvre","personalEmail":"elodie@example.net","validity":"30s","groups":["paris-shared-inbox"],"reason":"redeployed to Paris"}'`,
    '',
  ];
  for (const l of lines) say('dev', l);
}

main().catch((err) => {
  if (err instanceof PolicyError || err instanceof SettingsError) console.error(err.message);
  else console.error(err instanceof Error ? err.message : err);
  void shutdown(1);
});
