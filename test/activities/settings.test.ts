import { loadSettings, settingsSchema, SettingsError, validateSettings } from '../../activities/settings';

describe('settings', () => {
  it('defaults to a local dev setup', () => {
    const s = settingsSchema.parse({});
    expect(s).toMatchObject({ TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_NAMESPACE: 'default', PORT: 3000, GATEHOUSE_POLICY: 'config/policy.yaml', GATEHOUSE_TASK_QUEUE: 'gatehouse' });
    expect(s.GATEHOUSE_API_TOKENS.size).toBe(0);
  });

  it('parses API tokens as name:token pairs', () => {
    const s = settingsSchema.parse({ GATEHOUSE_API_TOKENS: 'portal:0123456789abcdef0123, ci:fedcba9876543210fedc' });
    expect([...s.GATEHOUSE_API_TOKENS.entries()]).toEqual([
      ['0123456789abcdef0123', 'portal'],
      ['fedcba9876543210fedc', 'ci'],
    ]);
  });

  it('lists every problem at once, by variable name', () => {
    let message = '';
    try {
      loadSettings({ PORT: 'notaport', GATEHOUSE_API_TOKENS: 'short:abc,noname', OKTA_ORG_URL: 'not a url', SLACK_BOT_TOKEN: 'xoxb-1', JIRA_HOST: 'https://x.atlassian.net', JIRA_PROJECT_KEY: 'lower' });
    } catch (e) {
      expect(e).toBeInstanceOf(SettingsError);
      message = (e as Error).message;
    }
    for (const name of ['PORT', 'GATEHOUSE_API_TOKENS', 'OKTA_ORG_URL', 'SLACK_SIGNING_SECRET', 'JIRA_EMAIL', 'JIRA_API_TOKEN', 'JIRA_PROJECT_KEY']) expect(message).toContain(name);
  });

  it('requires real systems, API tokens and no fakes in production', () => {
    const r = validateSettings({ NODE_ENV: 'production', GATEHOUSE_FAKES: '1' });
    if (r.ok) throw new Error('expected problems');
    const paths = r.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['OKTA_ORG_URL', 'SLACK_BOT_TOKEN', 'JIRA_HOST', 'GATEHOUSE_API_TOKENS', 'GATEHOUSE_FAKES']));
  });

  it('accepts OAuth private-key settings for Okta instead of a token', () => {
    expect(validateSettings({ OKTA_ORG_URL: 'https://acme.okta.com', OKTA_CLIENT_ID: '0oa1', OKTA_PRIVATE_KEY: '{"kty":"RSA"}' }).ok).toBe(true);
    expect(validateSettings({ OKTA_ORG_URL: 'https://acme.okta.com', OKTA_CLIENT_ID: '0oa1' }).ok).toBe(false);
  });

  it('reads the Okta OpenID settings: the issuer without a trailing slash, everything else optional', () => {
    const s = settingsSchema.parse({ OKTA_OIDC_ISSUER: 'https://acme.okta.com/oauth2/default/', OKTA_OIDC_CLIENT_ID: '0oa_portal', OKTA_OIDC_CLIENT_SECRET: 'secret' });
    expect(s).toMatchObject({ OKTA_OIDC_ISSUER: 'https://acme.okta.com/oauth2/default', OKTA_OIDC_CLIENT_ID: '0oa_portal', OKTA_OIDC_CLIENT_SECRET: 'secret' });
    expect(s.OKTA_OIDC_AUDIENCE).toBeUndefined();
    expect(validateSettings({ OKTA_OIDC_ISSUER: 'not a url' }).ok).toBe(false);
  });
});
