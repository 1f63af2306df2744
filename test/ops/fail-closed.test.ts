/**
 * Fail closed outside dev mode (issue 9, item 4): a worker or API started any other way than
 * `npm run dev`, with a missing or dev-looking setting, exits at once with every problem listed.
 */
import { processEnv, startProcess } from '../helpers/processes';
import type { RunningEmulators } from '../helpers/emulators';
import { waitFor } from '../helpers/wait';

// Only URLs are read from the emulators here; nothing is started.
const fakeEmulators = {
  okta: { url: 'http://127.0.0.1:9' },
  slack: { apiUrl: 'http://127.0.0.1:9/api/' },
  jira: { url: 'http://127.0.0.1:9' },
} as unknown as RunningEmulators;

const devLooking = {
  SLACK_BOT_TOKEN: 'xoxb-dev-token',
  SLACK_SIGNING_SECRET: 'dev-signing-secret',
  OKTA_ORG_URL: 'http://okta.example.com',
  GATEHOUSE_FAKES: '1',
};

it.each(['workers/main.ts', 'api/main.ts'])('%s exits 1 listing every dev-looking setting', async (script) => {
  const child = startProcess(script, processEnv(fakeEmulators, devLooking));
  const code = await waitFor(() => child.child.exitCode, `${script} to exit`, 60_000, 100);
  expect(code).toBe(1);
  const out = child.output.join('\n');
  for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'OKTA_ORG_URL', 'GATEHOUSE_FAKES']) expect(out).toContain(name);
  expect(out).not.toMatch(/listening|worker started/);
});

it('the API without any token exits 1 outside dev mode', async () => {
  const child = startProcess('api/main.ts', processEnv(fakeEmulators, { GATEHOUSE_API_TOKENS: '' }));
  const code = await waitFor(() => child.child.exitCode, 'the API to exit', 60_000, 100);
  expect(code).toBe(1);
  expect(child.output.join('\n')).toMatch(/GATEHOUSE_API_TOKENS: required/);
});

it('the API with the portal on but no session secret (or client secret) exits 1 outside dev mode', async () => {
  const child = startProcess('api/main.ts', processEnv(fakeEmulators, { OKTA_OIDC_ISSUER: 'http://127.0.0.1:9/oauth2/default', OKTA_OIDC_CLIENT_ID: '0oa_portal' }));
  const code = await waitFor(() => child.child.exitCode, 'the API to exit', 60_000, 100);
  expect(code).toBe(1);
  const out = child.output.join('\n');
  expect(out).toMatch(/GATEHOUSE_SESSION_SECRET: required with the portal/);
  expect(out).toMatch(/OKTA_OIDC_CLIENT_SECRET: required/);
});
