/**
 * `npm run okta:event-hook -- --url https://<public host>/hooks/okta [--name Gatehouse]`: creates
 * (or replaces, matched by URI then by name) the Okta event hook that calls Gatehouse, subscribed
 * to the risk and app-assignment events, with OKTA_EVENT_HOOK_SECRET in its Authorization header;
 * then has Okta verify it (Gatehouse must be running there with the same secret) and activates it.
 * Reads OKTA_ORG_URL and OKTA_API_TOKEN (or the OAuth settings, with okta.eventHooks.manage).
 */
import { parseArgs } from 'node:util';
import type { Client, EventHook } from '@okta/okta-sdk-nodejs';
import { createOktaClient } from '../activities/adapters/okta';
import { oktaSettingsFrom } from '../activities/adapters/from-settings';
import { loadSettings } from '../activities/settings';
import { runScript } from './script-main';

export const GATEHOUSE_HOOK_EVENT_TYPES = ['user.risk.detect', 'user.risk.change', 'application.user_membership.add'];
export const DEFAULT_HOOK_NAME = 'Gatehouse';

export interface EventHookOptions {
  url: string;
  name: string;
  secret: string;
}

const USAGE = 'usage: npm run okta:event-hook -- --url https://<public host>/hooks/okta [--name Gatehouse]';

/** The command line, checked: Okta only calls https (http is accepted for a loopback address, as the emulator does). */
export function parseEventHookArgs(argv: string[]): { url: string; name: string } {
  let values: { url?: string; name?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { url: { type: 'string' }, name: { type: 'string' } }, strict: true }));
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  if (!values.url) throw new Error(`--url is required\n${USAGE}`);
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new Error(`--url ${values.url} is not a URL\n${USAGE}`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new Error(`--url must be https (Okta calls https endpoints only): ${values.url}`);
  const name = values.name?.trim() || DEFAULT_HOOK_NAME;
  return { url: url.href, name };
}

function definition(options: EventHookOptions): EventHook {
  return {
    name: options.name,
    description: 'Gatehouse risk response: risk changes and app assignments',
    events: { type: 'EVENT_TYPE', items: GATEHOUSE_HOOK_EVENT_TYPES },
    channel: {
      type: 'HTTP',
      version: '1.0.0',
      config: { uri: options.url, headers: [], authScheme: { type: 'HEADER', key: 'Authorization', value: options.secret } },
    },
  } as EventHook;
}

/**
 * Idempotent: the hook at this URI (else with this name) is replaced rather than duplicated, and
 * the secret is always rewritten (Okta never returns it, so it cannot be compared).
 */
export async function registerEventHook(client: Client, options: EventHookOptions, say: (line: string) => void = () => {}): Promise<EventHook> {
  if (options.secret.length < 16) throw new Error('OKTA_EVENT_HOOK_SECRET must be set, 16 characters or more (the same value Gatehouse checks)');
  const hooks: EventHook[] = [];
  for await (const hook of await client.eventHookApi.listEventHooks()) if (hook) hooks.push(hook);
  const existing = hooks.find((hook) => hook.channel?.config?.uri === options.url) ?? hooks.find((hook) => hook.name === options.name);

  let hook: EventHook;
  if (existing?.id) {
    hook = await client.eventHookApi.replaceEventHook({ eventHookId: existing.id, eventHook: definition(options) });
    say(`updated event hook ${hook.id} "${hook.name}" → ${options.url}`);
  } else {
    hook = await client.eventHookApi.createEventHook({ eventHook: definition(options) });
    say(`created event hook ${hook.id} "${hook.name}" → ${options.url}`);
  }
  const id = hook.id ?? '';
  say(`subscribed to ${GATEHOUSE_HOOK_EVENT_TYPES.join(', ')}`);

  try {
    hook = await client.eventHookApi.verifyEventHook({ eventHookId: id });
  } catch (err) {
    const causes = (err as { errorCauses?: Array<{ errorSummary?: string }> }).errorCauses?.map((c) => c.errorSummary).join('; ');
    throw new Error(`Okta could not verify ${options.url}${causes ? ` (${causes})` : ''}: is Gatehouse running there, reachable from Okta, with the same OKTA_EVENT_HOOK_SECRET?`);
  }
  say('verified: Gatehouse answered the challenge');
  if (hook.status !== 'ACTIVE') {
    hook = await client.eventHookApi.activateEventHook({ eventHookId: id });
    say('activated');
  }
  say(`event hook ${id} is ${hook.status} and ${hook.verificationStatus}`);
  return hook;
}

async function main(): Promise<void> {
  const { url, name } = parseEventHookArgs(process.argv.slice(2));
  const settings = loadSettings();
  const okta = oktaSettingsFrom(settings, ['okta.eventHooks.manage']);
  if (!okta) throw new Error('set OKTA_ORG_URL and OKTA_API_TOKEN (or OKTA_CLIENT_ID and OKTA_PRIVATE_KEY) to the org to set up');
  console.log(`Okta org ${okta.orgUrl}: registering the Gatehouse event hook`);
  await registerEventHook(createOktaClient(okta), { url, name, secret: settings.OKTA_EVENT_HOOK_SECRET ?? '' }, (line) => console.log(`  ${line}`));
}

if (require.main === module) runScript(main);
