/**
 * Gatehouse's configuration: one zod schema over the environment (SPEC §9), parsed once at
 * start-up by each process. An error lists every bad or missing variable at once.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';

const optional = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() ? v.trim() : undefined));
const optionalUrl = optional.pipe(z.url().optional());

export const settingsSchema = z
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
    GATEHOUSE_AUDIT_FILE: z.string().default('.data/audit.ndjson'),
    OKTA_ORG_URL: optionalUrl,
    OKTA_API_TOKEN: optional,
    OKTA_CLIENT_ID: optional,
    OKTA_PRIVATE_KEY: optional,
    OKTA_KEY_ID: optional,
    SLACK_BOT_TOKEN: optional,
    SLACK_SIGNING_SECRET: optional,
    SLACK_API_URL: optionalUrl,
    JIRA_HOST: optionalUrl,
    JIRA_EMAIL: optional,
    JIRA_API_TOKEN: optional,
    JIRA_PROJECT_KEY: optional.pipe(z.string().regex(/^[A-Z][A-Z0-9]+$/, 'a Jira project key like GATE').optional()),
  })
  .superRefine((s, ctx) => {
    const need = (when: boolean, vars: [string, unknown][], why: string) => {
      if (!when) return;
      for (const [name, value] of vars) if (!value) ctx.addIssue({ code: 'custom', path: [name], message: `required ${why}` });
    };
    need(!!s.OKTA_ORG_URL && !s.OKTA_CLIENT_ID, [['OKTA_API_TOKEN', s.OKTA_API_TOKEN]], 'with OKTA_ORG_URL (or set OKTA_CLIENT_ID + OKTA_PRIVATE_KEY)');
    need(!!s.OKTA_CLIENT_ID, [['OKTA_ORG_URL', s.OKTA_ORG_URL], ['OKTA_PRIVATE_KEY', s.OKTA_PRIVATE_KEY]], 'for OAuth with OKTA_CLIENT_ID');
    need(!!s.SLACK_BOT_TOKEN, [['SLACK_SIGNING_SECRET', s.SLACK_SIGNING_SECRET]], 'with SLACK_BOT_TOKEN');
    need(!!(s.JIRA_HOST || s.JIRA_API_TOKEN), [['JIRA_HOST', s.JIRA_HOST], ['JIRA_EMAIL', s.JIRA_EMAIL], ['JIRA_API_TOKEN', s.JIRA_API_TOKEN], ['JIRA_PROJECT_KEY', s.JIRA_PROJECT_KEY]], 'for Jira');
    if (s.NODE_ENV === 'production') {
      need(true, [['OKTA_ORG_URL', s.OKTA_ORG_URL], ['SLACK_BOT_TOKEN', s.SLACK_BOT_TOKEN], ['JIRA_HOST', s.JIRA_HOST]], 'in production');
      if (s.GATEHOUSE_API_TOKENS.size === 0) ctx.addIssue({ code: 'custom', path: ['GATEHOUSE_API_TOKENS'], message: 'required in production' });
      if (s.GATEHOUSE_FAKES) ctx.addIssue({ code: 'custom', path: ['GATEHOUSE_FAKES'], message: 'fakes are for development only' });
    }
  });

export type Settings = z.output<typeof settingsSchema>;

export class SettingsError extends Error {}

/** Reads `.env` when present (variables already set win), then validates. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, envFile = '.env'): Settings {
  if (env === process.env && existsSync(envFile)) process.loadEnvFile(envFile);
  const result = settingsSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new SettingsError(`Invalid configuration (see .env.example):\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Which systems have real (or emulator) settings; the others run on fakes in development. */
export function configuredSystems(s: Settings) {
  return { okta: !!s.OKTA_ORG_URL, slack: !!s.SLACK_BOT_TOKEN, jira: !!s.JIRA_HOST };
}
