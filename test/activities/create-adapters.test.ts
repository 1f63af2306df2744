import { createAdapters } from '../../activities/adapters';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';

describe('createAdapters', () => {
  let emulators: RunningEmulators;
  beforeAll(async () => {
    emulators = await startTestEmulators();
  });
  afterAll(() => emulators?.close());

  it('builds working adapters for every configured system', async () => {
    const adapters = createAdapters({
      okta: { orgUrl: emulators.okta.url, token: 't' },
      slack: { botToken: 'xoxb-t', apiUrl: emulators.slack.apiUrl },
      jira: { host: emulators.jira.url, email: 'bot@example.com', apiToken: 't', projectKey: 'GATE' },
    });
    expect((await adapters.okta.getUser('alice@example.com'))?.id).toBe('00u_alice');
    expect(await adapters.slack.lookupUserIdByEmail('alice@example.com')).toBe('U_ALICE');
    expect(await adapters.jira.findIssueByLabel('none')).toBeNull();
  });

  it('leaves out the systems without settings', () => {
    const adapters = createAdapters({ slack: { botToken: 'xoxb-t', apiUrl: emulators.slack.apiUrl } });
    expect(Object.keys(adapters)).toEqual(['slack']);
  });

  it('refuses Okta settings with neither a token nor a private key', () => {
    expect(() => createAdapters({ okta: { orgUrl: emulators.okta.url } })).toThrow(/token, or clientId and privateKey/);
  });
});
