import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@okta/okta-sdk-nodejs';
import request from 'supertest';
import { createOktaAdapter } from '../../activities/adapters/okta';
import { loadDirectory } from '../../emulators';
import { GATEHOUSE_HOOK_EVENT_TYPES, parseEventHookArgs, registerEventHook } from '../../scripts/okta-event-hook';
import { setupOktaSchema } from '../../scripts/okta-setup';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { HookReceiver } from '../helpers/hook-receiver';
import { waitFor } from '../helpers/wait';

const ROOT = join(__dirname, '..', '..');
const SECRET = 'event-hook-secret-0123456789';

/** Runs a script as `npm run` would (tsx), to its exit. */
function runCli(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('Okta set-up scripts against the emulator', () => {
  let emulators: RunningEmulators;
  let client: Client;
  let receiver: HookReceiver;
  const emulator = () => emulators.okta.emulator;
  const lines: string[] = [];
  const say = (line: string) => lines.push(line);

  beforeAll(async () => {
    emulators = await startTestEmulators({ slack: false, jira: false });
    client = new Client({ orgUrl: emulators.okta.url, token: 'test-token', cacheMiddleware: null });
    receiver = await new HookReceiver().start();
  });
  afterAll(async () => {
    await receiver?.close();
    await emulators?.close();
  });
  beforeEach(() => {
    emulator().reset();
    emulator().seed(loadDirectory());
    receiver.clear();
    lines.length = 0;
  });

  describe('okta:setup', () => {
    it('adds the two attributes once; a second run changes nothing and says so', async () => {
      const adapter = createOktaAdapter({ orgUrl: emulators.okta.url, token: 'test-token' });
      const account = { login: 'setup.tmp@example.org', email: 'setup.tmp@example.org', firstName: 'Set', lastName: 'Up', profile: { gatehouseTemporary: true, gatehouseManager: 'bob@example.com' } };
      await expect(adapter.createUserWithTemporaryPassword(account)).rejects.toMatchObject({ type: 'OktaRejected' });

      expect(await setupOktaSchema(client, say)).toEqual({ added: ['gatehouseTemporary', 'gatehouseManager'], present: [] });
      expect(emulator().state.schema.custom.get('gatehouseTemporary')).toMatchObject({ type: 'boolean', title: 'Gatehouse temporary account' });
      expect(emulator().state.schema.custom.get('gatehouseManager')).toMatchObject({ type: 'string' });
      expect((await adapter.createUserWithTemporaryPassword(account)).user.profile).toMatchObject({ gatehouseTemporary: true, gatehouseManager: 'bob@example.com' });

      const schemaWrites = () => emulator().requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/v1/meta/schemas')).length;
      const writes = schemaWrites();
      lines.length = 0;
      expect(await setupOktaSchema(client, say)).toEqual({ added: [], present: ['gatehouseTemporary', 'gatehouseManager'] });
      expect(schemaWrites()).toBe(writes);
      expect(lines.at(-1)).toBe('nothing to change: the user schema has every Gatehouse attribute');
    });

    it('adds only what is missing, and refuses an attribute of the wrong type without changing anything', async () => {
      emulator().state.schema.update({ definitions: { custom: { properties: { gatehouseTemporary: { title: 'Mine', type: 'boolean' } } } } });
      expect(await setupOktaSchema(client, say)).toEqual({ added: ['gatehouseManager'], present: ['gatehouseTemporary'] });

      emulator().reset();
      emulator().state.schema.update({ definitions: { custom: { properties: { gatehouseManager: { title: 'Mine', type: 'boolean' } } } } });
      await expect(setupOktaSchema(client, say)).rejects.toThrow(/gatehouseManager as boolean, Gatehouse needs string/);
      expect([...emulator().state.schema.custom.keys()]).toEqual(['gatehouseManager']);
    });

    it('runs as npm run okta:setup with the Okta settings from the environment', async () => {
      const env = { OKTA_ORG_URL: emulators.okta.url, OKTA_API_TOKEN: 'cli-token' };
      const run = await runCli('scripts/okta-setup.ts', [], env);
      expect(run).toMatchObject({ code: 0 });
      expect(run.output).toContain('added gatehouseTemporary (boolean) to the user schema');
      expect(emulator().state.schema.custom.has('gatehouseManager')).toBe(true);

      const unset = await runCli('scripts/okta-setup.ts', [], { OKTA_ORG_URL: '', OKTA_API_TOKEN: '' });
      expect(unset.code).toBe(1);
      expect(unset.output).toContain('set OKTA_ORG_URL and OKTA_API_TOKEN');
    });
  });

  describe('okta:event-hook', () => {
    const options = () => ({ url: receiver.url, name: 'Gatehouse', secret: SECRET });

    it('creates, verifies and activates the hook; a risk event then reaches Gatehouse with the secret', async () => {
      const hook = await registerEventHook(client, options(), say);
      expect(hook).toMatchObject({ name: 'Gatehouse', status: 'ACTIVE', verificationStatus: 'VERIFIED', events: { items: GATEHOUSE_HOOK_EVENT_TYPES } });
      expect(lines[0]).toMatch(/^created event hook who\w+ "Gatehouse"/);
      expect(receiver.requests[0]).toMatchObject({ method: 'GET', headers: { authorization: SECRET } });

      const risk = await request(emulator().app).post('/_emulator/risk').send({ login: 'alice@example.com', level: 'HIGH' }).expect(201);
      const post = await waitFor(() => receiver.posts()[0], 'the risk event delivery');
      expect(post.headers.authorization).toBe(SECRET);
      expect(receiver.events()[0]).toMatchObject({ uuid: risk.body.event.uuid, eventType: 'user.risk.detect' });
    });

    it('replaces the hook matched by URI or name instead of adding one, and reactivates it', async () => {
      const first = await registerEventHook(client, options(), say);
      await client.eventHookApi.deactivateEventHook({ eventHookId: first.id ?? '' });
      const again = await registerEventHook(client, options(), say);
      expect(again).toMatchObject({ id: first.id, status: 'ACTIVE', verificationStatus: 'VERIFIED' });
      expect(lines).toContain('activated');

      const moved = `${receiver.url}?v=2`;
      const renamed = await registerEventHook(client, { ...options(), url: moved }, say);
      expect(renamed).toMatchObject({ id: first.id, channel: { config: { uri: moved } } });
      expect(emulator().eventHooks.hooks.size).toBe(1);
      expect(emulator().eventHooks.hooks.get(first.id ?? '')?.channel.config.authScheme?.value).toBe(SECRET);
    });

    it('says why when Okta cannot verify the endpoint, and refuses a short secret', async () => {
      receiver.echoChallenge = false;
      await expect(registerEventHook(client, options(), say)).rejects.toThrow(/Okta could not verify .*same OKTA_EVENT_HOOK_SECRET/);
      await expect(registerEventHook(client, { ...options(), secret: 'short' }, say)).rejects.toThrow(/16 characters/);
    });

    it('checks its command line', () => {
      expect(parseEventHookArgs(['--url', 'https://gatehouse.example.org/hooks/okta'])).toEqual({ url: 'https://gatehouse.example.org/hooks/okta', name: 'Gatehouse' });
      expect(parseEventHookArgs(['--url=http://127.0.0.1:3000/hooks/okta', '--name', 'Gatehouse dev'])).toEqual({ url: 'http://127.0.0.1:3000/hooks/okta', name: 'Gatehouse dev' });
      expect(() => parseEventHookArgs([])).toThrow(/--url is required/);
      expect(() => parseEventHookArgs(['--url', 'http://gatehouse.example.org/hooks/okta'])).toThrow(/must be https/);
      expect(() => parseEventHookArgs(['--url', 'nope'])).toThrow(/not a URL/);
      expect(() => parseEventHookArgs(['--url', 'https://x', '--secret', 'y'])).toThrow(/usage/);
    });

    it('runs as npm run okta:event-hook with the secret from the environment', async () => {
      const env = { OKTA_ORG_URL: emulators.okta.url, OKTA_API_TOKEN: 'cli-token', OKTA_EVENT_HOOK_SECRET: SECRET };
      const run = await runCli('scripts/okta-event-hook.ts', ['--url', receiver.url], env);
      expect(run.output).toMatch(/event hook who\w+ is ACTIVE and VERIFIED/);
      expect(run.code).toBe(0);
      expect(receiver.requests[0]?.headers.authorization).toBe(SECRET);
    });
  });
});
