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
    GATEHOUSE_API_TOKENS: optional.transform((v, ctx) => {
      const tokens = new Map<string, string>();
      for (const pair of (v ?? '').split(',').filter(Boolean)) {
        const i = pair.indexOf(':');
        const name = pair.slice(0, i).trim();
        const token = pair.slice(i + 1).trim();
        if (i <= 0 || !token) ctx.addIssue({ code: 'custom', message: 'expected name:token,name:token' });
        else if (token.length < 16) ctx.addIssue({ code: 'custom', message: `the token of ${name} is shorter than 16 characters` });
        else tokens.set(token, name);
      }
      return tokens;
    }),
    GATEHOUSE_PUBLIC_URL: optionalUrl,
    GATEHOUSE_POLICY: z.string().default('config/policy.yaml'),
    /** Tests run isolated workers on their own queue; production keeps the default. */
    GATEHOUSE_TASK_QUEUE: z.string().default('gatehouse'),
    /** Dev only: run on in-process fakes of Okta/Slack/Jira when no emulator or real system is configured. */
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
    /** Worker tuning (benchmarks): unset keeps the Temporal SDK defaults. */
    GATEHOUSE_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
    GATEHOUSE_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(1).optional(),
    GATEHOUSE_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).optional(),
    GATEHOUSE_WORKFLOW_TASK_POLLERS: z.coerce.number().int().min(1).optional(),
    GATEHOUSE_ACTIVITY_TASK_POLLERS: z.coerce.number().int().min(1).optional(),
    /** Milliseconds; the SDK default is 10 s. */
    GATEHOUSE_STICKY_TIMEOUT_MS: z.coerce.number().int().min(1).optional(),
    /** Every this many ms the worker logs a `worker stats` line (RSS, heap, cached workflows); 0 = off. */
    GATEHOUSE_WORKER_STATS_MS: z.coerce.number().int().min(0).default(0),
    OKTA_ORG_URL: optionalUrl,
    OKTA_API_TOKEN: optional,
    OKTA_CLIENT_ID: optional,
    OKTA_PRIVATE_KEY: optional,
    OKTA_KEY_ID: optional,
    /** The shared secret Okta sends in Authorization on every event-hook request (npm run okta:event-hook sets it on the hook). */
    OKTA_EVENT_HOOK_SECRET: optional,
    SLACK_BOT_TOKEN: optional,
    SLACK_SIGNING_SECRET: optional,
    SLACK_API_URL: optionalUrl,
    JIRA_HOST: optionalUrl,
    JIRA_EMAIL: optional,
    JIRA_API_TOKEN: optional,
    JIRA_PROJECT_KEY: optional.pipe(z.string().regex(/^[A-Z][A-Z0-9]+$/, 'a Jira project key like GATE').optional()),
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
  need(has('SLACK_BOT_TOKEN'), ['SLACK_SIGNING_SECRET'], 'with SLACK_BOT_TOKEN');
  need(has('JIRA_HOST') || has('JIRA_API_TOKEN'), ['JIRA_HOST', 'JIRA_EMAIL', 'JIRA_API_TOKEN', 'JIRA_PROJECT_KEY'], 'for Jira');
  if (s.NODE_ENV === 'production') {
    need(true, ['OKTA_ORG_URL', 'SLACK_BOT_TOKEN', 'JIRA_HOST', 'GATEHOUSE_API_TOKENS'], 'in production');
    if (s.GATEHOUSE_FAKES === '1') issues.push({ path: 'GATEHOUSE_FAKES', message: 'fakes are for development only' });
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
  return { okta: !!s.OKTA_ORG_URL, slack: !!s.SLACK_BOT_TOKEN, jira: !!s.JIRA_HOST };
}
