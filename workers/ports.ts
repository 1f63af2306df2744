/**
 * Builds the ports for a process from its settings: the real adapters for every system that is
 * configured, in-process fakes for the others when GATEHOUSE_FAKES=1 (dev mode only: the settings
 * refuse it elsewhere). The fakes and the demo directory are loaded only then, never in production.
 */
import type pino from 'pino';
import { openAuditStore, type AuditStore } from '../activities/audit/store';
import { jiraFromSettings, mailFromSettings, oktaFromSettings, slackFromSettings } from '../activities/adapters/from-settings';
import type { JiraPort, OktaPort, Ports, SlackPort } from '../activities/ports';
import { configuredSystems, SettingsError, type Settings } from '../activities/settings';

export function buildPorts(settings: Settings, logger: pino.Logger): Ports & { audit: AuditStore } {
  const configured = configuredSystems(settings);
  // Mail is optional: without SMTP_URL, mail effects are recorded as failures and temporary accounts are refused.
  const missing = Object.entries(configured).filter(([name, ok]) => !ok && name !== 'mail').map(([name]) => name);
  if (missing.length > 0 && !settings.GATEHOUSE_FAKES) {
    throw new SettingsError(
      `Invalid configuration: no settings for ${missing.join(', ')}.\n` +
        '  Set OKTA_ORG_URL/OKTA_API_TOKEN, SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET and JIRA_HOST/JIRA_EMAIL/JIRA_API_TOKEN/JIRA_PROJECT_KEY (see .env.example),\n' +
        '  or run `npm run dev`, which starts local emulators for the missing ones.',
    );
  }
  const fakes = missing.length > 0 ? loadFakes().createFakePorts() : undefined;
  const okta = oktaFromSettings(settings) ?? fakes!.okta;
  const slack = slackFromSettings(settings) ?? fakes!.slack;
  const jira = jiraFromSettings(settings) ?? fakes!.jira;
  const mail = mailFromSettings(settings);
  for (const name of missing) logger.warn({ system: name }, `${name}: no settings, using the in-process fake (development only)`);
  return {
    okta,
    slack,
    jira,
    ...(mail ? { mail } : {}),
    // SQLite under .data/ by default, PostgreSQL with DATABASE_URL; migrated before the worker starts.
    audit: openAuditStore(settings),
  };
}

/**
 * What `npm run dev` takes from activities/fakes. Declared here rather than imported, even as a
 * type, so the production build (tsconfig.build.json) never compiles the fakes into dist/.
 */
interface FakesModule {
  createFakePorts(): { okta: OktaPort; slack: SlackPort; jira: JiraPort };
}

/** The in-process fakes (and the demo directory they read), required only when used: never in production. */
export function loadFakes(): FakesModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../activities/fakes') as FakesModule;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String((err as Error).message).includes('activities/fakes')) throw err;
    throw new SettingsError('GATEHOUSE_FAKES: the in-process fakes are not part of the production build (dist/); run `npm run dev` from the sources');
  }
}
