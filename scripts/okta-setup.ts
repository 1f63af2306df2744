/**
 * `npm run okta:setup`: adds the custom profile attributes temporary accounts need
 * (`gatehouseTemporary`, `gatehouseManager`) to the Okta user schema. Okta refuses a profile
 * property its schema lacks (400 E0000001), so this runs once per org, before the first account.
 * Idempotent: a second run changes nothing and says so. Reads OKTA_ORG_URL and OKTA_API_TOKEN (or
 * the OAuth service-app settings, which need the okta.schemas.manage scope).
 */
import type { Client } from '@okta/okta-sdk-nodejs';
import { createOktaClient } from '../activities/adapters/okta';
import { oktaSettingsFrom } from '../activities/adapters/from-settings';
import { loadSettings } from '../activities/settings';
import { runScript } from './script-main';

export const GATEHOUSE_PROFILE_ATTRIBUTES = {
  gatehouseTemporary: { title: 'Gatehouse temporary account', description: 'Set by Gatehouse on the temporary accounts it creates and closes', type: 'boolean' },
  gatehouseManager: { title: 'Gatehouse manager', description: 'Login of the manager who asked Gatehouse for this temporary account', type: 'string' },
} as const;

export interface SchemaSetupResult {
  added: string[];
  present: string[];
}

/** Adds the attributes the schema lacks in one update; refuses (and changes nothing) if one exists with another type. */
export async function setupOktaSchema(client: Client, say: (line: string) => void = () => {}): Promise<SchemaSetupResult> {
  const schema = await client.schemaApi.getUserSchema({ schemaId: 'default' });
  const existing = schema.definitions?.custom?.properties ?? {};
  const missing: Record<string, (typeof GATEHOUSE_PROFILE_ATTRIBUTES)[keyof typeof GATEHOUSE_PROFILE_ATTRIBUTES]> = {};
  const present: string[] = [];
  for (const [name, attribute] of Object.entries(GATEHOUSE_PROFILE_ATTRIBUTES)) {
    const found = existing[name];
    if (!found) {
      missing[name] = attribute;
    } else if (String(found.type) !== attribute.type) {
      throw new Error(`the user schema already has ${name} as ${String(found.type)}, Gatehouse needs ${attribute.type}: rename or remove it in the Okta Profile Editor, then run again`);
    } else {
      present.push(name);
      say(`${name} (${attribute.type}) is already in the user schema`);
    }
  }
  const added = Object.keys(missing);
  if (added.length === 0) {
    say('nothing to change: the user schema has every Gatehouse attribute');
    return { added, present };
  }
  await client.schemaApi.updateUserProfile({
    schemaId: 'default',
    userSchema: { definitions: { custom: { id: '#custom', type: 'object', properties: missing } } } as never,
  });
  for (const name of added) say(`added ${name} (${missing[name]?.type}) to the user schema`);
  return { added, present };
}

async function main(): Promise<void> {
  const settings = loadSettings();
  const okta = oktaSettingsFrom(settings, ['okta.schemas.manage']);
  if (!okta) throw new Error('set OKTA_ORG_URL and OKTA_API_TOKEN (or OKTA_CLIENT_ID and OKTA_PRIVATE_KEY) to the org to set up');
  console.log(`Okta org ${okta.orgUrl}: checking the user schema`);
  await setupOktaSchema(createOktaClient(okta), (line) => console.log(`  ${line}`));
}

if (require.main === module) runScript(main);
