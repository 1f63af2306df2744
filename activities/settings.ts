/**
 * Gatehouse's configuration: one zod schema over the environment (SPEC §9), parsed once at
 * start-up by each process. An error lists every bad or missing variable at once.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from './policy/duration';

const optional = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() ? v.trim() : undefined));
const optionalUrl = optional.pipe(z.url().optional());

/** What an API token may do (SPEC §13). */
export const API_SCOPES = ['requests:create', 'requests:read', 'requests:decide', 'temporary-accounts', 'audit:read', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];
/** Least privilege: a token without a scope list may file and read requests, nothing more. */
export const DEFAULT_API_SCOPES: readonly ApiScope[] = ['requests:create', 'requests:read'];

export interface ApiToken {
  /** Recorded as the caller on every action (`via: "http:<name>"`). */
  name: string;
  scopes: ReadonlySet<ApiScope>;
}

const isScope = (s: string): s is ApiScope => (API_SCOPES as readonly string[]).includes(s);

/** `name:token[:scope+scope…]`, comma-separated → token → { name, scopes }, with every problem found. */
export function parseApiTokens(text: string): { tokens: Map<string, ApiToken>; problems: string[] } {
  const tokens = new Map<string, ApiToken>();
  const problems: string[] = [];
  const names = new Set<string>();
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    // Scopes hold colons themselves (requests:create): only the first two split.
    const [name = '', token = '', ...rest] = entry.split(':').map((p) => p.trim());
    const scopeList = rest.length ? rest.join(':') : undefined;
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name) || !token) {
      problems.push('expected name:token[:scope+scope…], comma-separated (names: letters, digits, . _ -; tokens without ":")');
      continue;
    }
    if (token.length < 16) problems.push(`the token of ${name} is shorter than 16 characters`);
    if (names.has(name)) problems.push(`the token name ${name} is used twice`);
    names.add(name);
    const scopes = scopeList === undefined ? [...DEFAULT_API_SCOPES] : scopeList.split('+').map((x) => x.trim());
    const unknown = scopes.filter((x) => !isScope(x));
    if (unknown.length) problems.push(`the token of ${name} has unknown scopes ${unknown.join(', ')} (known: ${API_SCOPES.join(', ')})`);
    if (scopes.length === 0 || scopeList === '') problems.push(`the token of ${name} has an empty scope list`);
    tokens.set(token, { name, scopes: new Set(scopes.filter(isScope)) });
  }
  return { tokens, problems };
}

const baseSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
    TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().default('default'),
    TEMPORAL_API_KEY: optional,
    TEMPORAL_TLS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** `name:token[:scope+scope…]`, comma-separated (SPEC §13); see parseApiTokens. */
    GATEHOUSE_API_TOKENS: optional.transform((v, ctx) => {
      const { tokens, problems } = parseApiTokens(v ?? '');
      for (const message of problems) ctx.addIssue({ code: 'custom', message });
      return tokens;
    }),
    /** Set by `npm run dev` only: the one switch for emulators, fakes, the dev token and dev secrets. */
    GATEHOUSE_DEV_MODE: z.enum(['0', '1']).default('0').transform((v) => v === '1'),
    /** Requests per minute one caller (token, person or Okta client) may make to /v1; 0 turns the limit off. */
    GATEHOUSE_RATE_LIMIT: z.coerce.number().int().min(0).default(600),
    GATEHOUSE_PUBLIC_URL: optionalUrl,
    /** Signs the portal's session cookies (api/portal/session.ts); required by the API outside dev mode when the portal is on. */
    GATEHOUSE_SESSION_SECRET: optional.pipe(z.string().min(32, 'at least 32 random characters (openssl rand -base64 48)').optional()),
    GATEHOUSE_POLICY: z.string().default('config/policy.yaml'),
    /** Tests run isolated workers on their own queue; production keeps the default. */
    GATEHOUSE_TASK_QUEUE: z.string().default('gatehouse'),
    /** Dev mode only: run on in-process fakes of Okta/Slack/Jira when no emulator or real system is configured. */
    GATEHOUSE_FAKES: z.enum(['0', '1']).default('0').transform((v) => v === '1'),
    /** The audit store: PostgreSQL when set (postgres://user:pass@host:5432/db), else the SQLite file below. */
    DATABASE_URL: optional.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional()),
    GATEHOUSE_AUDIT_DB: z.string().default('.data/audit.sqlite'),
    /** How often the drift reconciliation runs (a duration like 15m), or `off` (no schedule is created or changed). */
    GATEHOUSE_RECONCILE_EVERY: z
      .string()
      .default('15m')
      .transform((v, ctx) => {
        if (v.trim() === 'off') return null;
        const ms = parseDuration(v.trim());
        if (!ms || ms < 60_000) {
          ctx.addIssue({ code: 'custom', message: 'a duration of at least 1m (15m, 1h) or off' });
          return z.NEVER;
        }
        return ms;
      }),
    /** Where drift reports go in Slack. */
    GATEHOUSE_SECURITY_CHANNEL: z.string().trim().min(1).default('#security-alerts'),
    /** The worker's Prometheus /metrics port (0 = any free port); unset: not served. */
    GATEHOUSE_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /**
     * Worker tuning, explicit (README "Worker and server tuning"). The cache holds the workflows
     * that are moving; a grant asleep for hours is evicted and replayed (a few dozen events) when
     * its timer fires, so the cache, not the number of open grants, bounds the worker's memory.
     */
    GATEHOUSE_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(1000),
    GATEHOUSE_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(1).default(40),
    GATEHOUSE_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(100),
    GATEHOUSE_WORKFLOW_TASK_POLLERS: z.coerce.number().int().min(1).default(10),
    GATEHOUSE_ACTIVITY_TASK_POLLERS: z.coerce.number().int().min(1).default(10),
    /** How long a draining worker may take before it is stopped by force (ms). */
    GATEHOUSE_WORKER_SHUTDOWN_FORCE_MS: z.coerce.number().int().min(1000).default(30_000),
    /** How long a task waits for the worker that has the workflow cached before any worker takes it (ms; SDK default 10 s). */
    GATEHOUSE_STICKY_TIMEOUT_MS: z.coerce.number().int().min(1).default(5000),
    /** Every this many ms the worker logs a `worker stats` line (RSS, heap, cached workflows); 0 = off. */
    GATEHOUSE_WORKER_STATS_MS: z.coerce.number().int().min(0).default(0),
    OKTA_ORG_URL: optionalUrl,
    OKTA_API_TOKEN: optional,
    OKTA_CLIENT_ID: optional,
    OKTA_PRIVATE_KEY: optional,
    OKTA_KEY_ID: optional,
    /** Okta's custom authorization server for sign-in and Okta-issued API tokens (SPEC §13); no trailing slash. */
    OKTA_OIDC_ISSUER: optionalUrl.transform((v) => v?.replace(/\/+$/, '')),
    /** The audience Okta access tokens must carry; unset: api://default. */
    OKTA_OIDC_AUDIENCE: optional,
    OKTA_OIDC_CLIENT_ID: optional,
    OKTA_OIDC_CLIENT_SECRET: optional,
    /** The shared secret Okta sends in Authorization on every event-hook request (npm run okta:event-hook sets it on the hook). */
    OKTA_EVENT_HOOK_SECRET: optional.pipe(z.string().min(16, 'at least 16 random characters (openssl rand -base64 24)').optional()),
    SLACK_BOT_TOKEN: optional,
    SLACK_SIGNING_SECRET: optional,
    /**
     * Socket Mode (issue 15): the app-level token (xapp-…, scope connections:write). Set, the API
     * connects out to Slack instead of serving /slack/events. The value is never printed.
     */
    SLACK_APP_TOKEN: optional.pipe(
      z
        .string()
        .regex(/^xapp-[A-Za-z0-9-]+$/, "an app-level token (xapp-…) with the connections:write scope, from the Slack app's Basic Information page (a bot token xoxb-… goes in SLACK_BOT_TOKEN)")
        .optional(),
    ),
    SLACK_API_URL: optionalUrl,
    /** The workspace (T…) whose clicks and commands are accepted; any other is refused. */
    SLACK_TEAM_ID: optional.pipe(z.string().regex(/^[TE][A-Z0-9_]+$/, 'a Slack team id like T012AB3CD').optional()),
    JIRA_HOST: optionalUrl,
    JIRA_EMAIL: optional,
    JIRA_API_TOKEN: optional,
    JIRA_PROJECT_KEY: optional.pipe(z.string().regex(/^[A-Z][A-Z0-9]+$/, 'a Jira project key like GATE').optional()),
    /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465; it holds a password: never log it. */
    SMTP_URL: optional.pipe(z.url({ protocol: /^smtps?$/, hostname: /^\S+$/, error: 'an smtp:// or smtps:// URL (smtp://user:pass@host:587)' }).optional()),
    /** Unset: DEV_MAIL_FROM outside production. */
    MAIL_FROM: optional.pipe(z.string().regex(/^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, 'an address (gatehouse@acme.com) or Name <address>').optional()),
  })

/** Rules across variables. Run on the raw strings too, so they are reported with field errors. */
function crossChecks(s: Record<string, unknown>): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const has = (name: string) => typeof s[name] === 'string' && (s[name] as string).trim() !== '';
  const need = (when: boolean, vars: string[], why: string) => {
    if (when) for (const name of vars) if (!has(name)) issues.push({ path: name, message: `required ${why}` });
  };
  need(has('OKTA_ORG_URL') && !has('OKTA_CLIENT_ID'), ['OKTA_API_TOKEN'], 'with OKTA_ORG_URL (or set OKTA_CLIENT_ID + OKTA_PRIVATE_KEY)');
  need(has('OKTA_CLIENT_ID'), ['OKTA_ORG_URL', 'OKTA_PRIVATE_KEY'], 'for OAuth with OKTA_CLIENT_ID');
  // Socket Mode needs no signing secret (nothing reaches /slack/events); the HTTP transport does.
  need(has('SLACK_BOT_TOKEN') && !has('SLACK_APP_TOKEN'), ['SLACK_SIGNING_SECRET'], 'with SLACK_BOT_TOKEN (or set SLACK_APP_TOKEN for Socket Mode)');
  need(has('SLACK_APP_TOKEN') && s.GATEHOUSE_DEV_MODE !== '1', ['SLACK_BOT_TOKEN'], 'with SLACK_APP_TOKEN (Socket Mode brings the clicks; Gatehouse answers with the bot token)');
  need(has('SLACK_BOT_TOKEN') && s.NODE_ENV === 'production', ['SLACK_TEAM_ID'], 'with SLACK_BOT_TOKEN in production (the one workspace whose clicks count)');
  need(has('JIRA_HOST') || has('JIRA_API_TOKEN'), ['JIRA_HOST', 'JIRA_EMAIL', 'JIRA_API_TOKEN', 'JIRA_PROJECT_KEY'], 'for Jira');
  if (s.NODE_ENV === 'production') {
    need(true, ['OKTA_ORG_URL', 'SLACK_BOT_TOKEN', 'JIRA_HOST', 'GATEHOUSE_API_TOKENS', 'DATABASE_URL'], 'in production');
    need(has('SMTP_URL'), ['MAIL_FROM'], 'with SMTP_URL in production');
    if (s.GATEHOUSE_DEV_MODE === '1') issues.push({ path: 'GATEHOUSE_DEV_MODE', message: 'dev mode is never on in production' });
  }
  if (s.GATEHOUSE_DEV_MODE !== '1') issues.push(...outsideDevMode(s));
  return issues;
}

/** Values only dev mode may use: they are printed in the README or made up by `npm run dev`. */
export const DEV_VALUES: Readonly<Record<string, readonly string[]>> = {
  SLACK_SIGNING_SECRET: ['dev-signing-secret'],
  SLACK_BOT_TOKEN: ['xoxb-dev-token'],
  SLACK_APP_TOKEN: ['xapp-dev-token'],
  OKTA_API_TOKEN: ['dev-okta-token', 'dev'],
  JIRA_API_TOKEN: ['dev-jira-token'],
};
const VENDOR_URLS = ['OKTA_ORG_URL', 'OKTA_OIDC_ISSUER', 'SLACK_API_URL', 'JIRA_HOST', 'GATEHOUSE_PUBLIC_URL', 'TEMPORAL_UI_URL'];
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/**
 * Fail closed (issue 9): a worker or API started any other way than `npm run dev` refuses fakes,
 * dev secrets and plain-http URLs to anything but this machine.
 */
function outsideDevMode(s: Record<string, unknown>): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (s.GATEHOUSE_FAKES === '1') issues.push({ path: 'GATEHOUSE_FAKES', message: 'in-process fakes exist for `npm run dev` only' });
  for (const [name, values] of Object.entries(DEV_VALUES)) {
    if (typeof s[name] === 'string' && values.includes((s[name] as string).trim())) issues.push({ path: name, message: 'a development value: set the real one' });
  }
  const tokens = typeof s.GATEHOUSE_API_TOKENS === 'string' ? s.GATEHOUSE_API_TOKENS : '';
  if (/(^|[:,])\s*ghdev_/.test(tokens)) issues.push({ path: 'GATEHOUSE_API_TOKENS', message: 'holds the dev-mode token (ghdev_…): make new tokens' });
  for (const name of VENDOR_URLS) {
    const value = typeof s[name] === 'string' ? (s[name] as string).trim() : '';
    if (!value) continue;
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) issues.push({ path: name, message: `plain http to ${url.hostname}: use https (http is allowed only to this machine)` });
    } catch {
      // the schema reports an unparsable URL
    }
  }
  return issues;
}

export const settingsSchema = baseSchema;

export type SettingsResult = { ok: true; settings: Settings } | { ok: false; problems: { path: string; message: string }[] };

/** Field errors and cross-variable rules together, so every problem is reported at once. */
export function validateSettings(env: Record<string, string | undefined>): SettingsResult {
  const result = baseSchema.safeParse(env);
  const problems = [
    ...(result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join('.') || '(environment)', message: i.message }))),
    ...crossChecks(env),
  ];
  return problems.length === 0 && result.success ? { ok: true, settings: result.data } : { ok: false, problems };
}

export type Settings = z.output<typeof baseSchema>;

export class SettingsError extends Error {}

/** Reads `.env` when present (variables already set win), then validates. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, envFile = '.env'): Settings {
  if (env === process.env && existsSync(envFile)) process.loadEnvFile(envFile);
  const result = validateSettings(env);
  if (!result.ok) {
    const lines = result.problems.map((p) => `  - ${p.path}: ${p.message}`);
    throw new SettingsError(`Invalid configuration (see .env.example):\n${lines.join('\n')}`);
  }
  return result.settings;
}

/** Which systems have real (or emulator) settings; the others run on fakes in development. */
export function configuredSystems(s: Settings) {
  return { okta: !!s.OKTA_ORG_URL, slack: !!s.SLACK_BOT_TOKEN, jira: !!s.JIRA_HOST, mail: !!s.SMTP_URL };
}

/** The sender when MAIL_FROM is unset (development and tests). */
export const DEV_MAIL_FROM = 'Gatehouse <gatehouse@example.com>';
