import type { JiraPort, OktaPort, SlackPort } from '../ports';
import { createJiraAdapter, type JiraSettings } from './jira';
import { createOktaAdapter, type OktaSettings } from './okta';
import { createSlackAdapter, type SlackSettings } from './slack';

export { createJiraAdapter, createOktaAdapter, createSlackAdapter };
export type { JiraSettings, OktaSettings, SlackSettings };

/** What the composition root maps the environment to (SPEC §9). */
export interface AdapterSettings {
  okta: OktaSettings;
  slack: SlackSettings;
  jira: JiraSettings;
}

export interface Adapters {
  okta: OktaPort;
  slack: SlackPort;
  jira: JiraPort;
}

/**
 * The real implementations of the ports, over the official SDKs. A system whose settings are
 * absent gets no adapter (the caller falls back to a fake or an emulator).
 */
export function createAdapters(settings: AdapterSettings): Adapters;
export function createAdapters(settings: Partial<AdapterSettings>): Partial<Adapters>;
export function createAdapters(settings: Partial<AdapterSettings>): Partial<Adapters> {
  return {
    ...(settings.okta ? { okta: createOktaAdapter(settings.okta) } : {}),
    ...(settings.slack ? { slack: createSlackAdapter(settings.slack) } : {}),
    ...(settings.jira ? { jira: createJiraAdapter(settings.jira) } : {}),
  };
}
