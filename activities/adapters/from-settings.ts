/** Maps Gatehouse's settings (activities/settings.ts) to the adapters; undefined where unset. */
import type { JiraPort, OktaPort, SlackPort } from '../ports';
import { DEV_MAIL_FROM, type Settings } from '../settings';
import { createJiraAdapter } from './jira';
import { createMailAdapter, type MailAdapter } from './mail';
import { createOktaAdapter, type OktaSettings } from './okta';
import { createSlackAdapter } from './slack';

/** The Okta client settings; `scopes` for an OAuth service app (the set-up scripts need other ones). */
export function oktaSettingsFrom(s: Settings, scopes?: string[]): OktaSettings | undefined {
  if (!s.OKTA_ORG_URL) return undefined;
  return { orgUrl: s.OKTA_ORG_URL, token: s.OKTA_API_TOKEN, clientId: s.OKTA_CLIENT_ID, privateKey: s.OKTA_PRIVATE_KEY, keyId: s.OKTA_KEY_ID, ...(scopes ? { scopes } : {}) };
}

export function oktaFromSettings(s: Settings): OktaPort | undefined {
  const settings = oktaSettingsFrom(s);
  return settings && createOktaAdapter(settings);
}

export function slackFromSettings(s: Settings): SlackPort | undefined {
  if (!s.SLACK_BOT_TOKEN) return undefined;
  return createSlackAdapter({ botToken: s.SLACK_BOT_TOKEN, apiUrl: s.SLACK_API_URL });
}

export function jiraFromSettings(s: Settings): JiraPort | undefined {
  if (!s.JIRA_HOST || !s.JIRA_EMAIL || !s.JIRA_API_TOKEN || !s.JIRA_PROJECT_KEY) return undefined;
  return createJiraAdapter({ host: s.JIRA_HOST, email: s.JIRA_EMAIL, apiToken: s.JIRA_API_TOKEN, projectKey: s.JIRA_PROJECT_KEY });
}

export function mailFromSettings(s: Settings): MailAdapter | undefined {
  if (!s.SMTP_URL) return undefined;
  return createMailAdapter({ url: s.SMTP_URL, from: s.MAIL_FROM ?? DEV_MAIL_FROM });
}
