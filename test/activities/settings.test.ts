import { portalFromSettings } from '../../api/portal/from-settings';
import { configuredSystems, loadSettings, settingsSchema, SettingsError, validateSettings } from '../../activities/settings';

describe('settings', () => {
  it('defaults to a local dev setup', () => {
    const s = settingsSchema.parse({});
    expect(s).toMatchObject({ TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_NAMESPACE: 'default', PORT: 3000, GATEHOUSE_POLICY: 'config/policy.yaml', GATEHOUSE_TASK_QUEUE: 'gatehouse' });
    expect(s.GATEHOUSE_API_TOKENS.size).toBe(0);
  });

  it('parses API tokens as name:token[:scopes], least privilege by default', () => {
    const s = settingsSchema.parse({ GATEHOUSE_API_TOKENS: 'portal:0123456789abcdef0123, ci:fedcba9876543210fedc:requests:decide+audit:read' });
    const entries = [...s.GATEHOUSE_API_TOKENS.entries()].map(([token, t]) => [token, t.name, [...t.scopes].sort()]);
    expect(entries).toEqual([
      ['0123456789abcdef0123', 'portal', ['requests:create', 'requests:read']],
      ['fedcba9876543210fedc', 'ci', ['audit:read', 'requests:decide']],
    ]);
  });

  it('refuses unknown scopes, empty scope lists, repeated names and malformed entries', () => {
    const r = validateSettings({ GATEHOUSE_API_TOKENS: 'a:0123456789abcdef0123:requests:delete, b:0123456789abcdef0124:, a:0123456789abcdef0125, bad entry' });
    if (r.ok) throw new Error('expected problems');
    const text = r.problems.map((p) => p.message).join('\n');
    expect(text).toMatch(/unknown scopes requests:delete/);
    expect(text).toMatch(/b has an empty scope list/);
    expect(text).toMatch(/a is used twice/);
    expect(text).toMatch(/expected name:token/);
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

  it('takes SLACK_APP_TOKEN (Socket Mode) only as an xapp- token, with the bot token, and then needs no signing secret', () => {
    const socket = validateSettings({ SLACK_BOT_TOKEN: 'xoxb-1-abc', SLACK_APP_TOKEN: 'xapp-1-A0GATE-123-abcdef' });
    expect(socket).toMatchObject({ ok: true, settings: { SLACK_APP_TOKEN: 'xapp-1-A0GATE-123-abcdef' } });
    // The HTTP transport still needs its signing secret.
    const http = validateSettings({ SLACK_BOT_TOKEN: 'xoxb-1-abc' });
    expect(http.ok ? [] : http.problems.map((p) => p.path)).toEqual(['SLACK_SIGNING_SECRET']);
    // A bot token, a user token or a typo in SLACK_APP_TOKEN fails closed, and the value is never echoed.
    for (const wrong of ['xoxb-1-abc-secretvalue', 'xoxp-1-secretvalue', 'xapp secretvalue', 'secretvalue']) {
      const r = validateSettings({ SLACK_BOT_TOKEN: 'xoxb-1-abc', SLACK_APP_TOKEN: wrong });
      if (r.ok) throw new Error(`expected ${wrong} to be refused`);
      expect(r.problems).toEqual([{ path: 'SLACK_APP_TOKEN', message: expect.stringMatching(/app-level token \(xapp-…\) with the connections:write scope/) }]);
      expect(JSON.stringify(r.problems)).not.toContain('secretvalue');
    }
    const alone = validateSettings({ SLACK_APP_TOKEN: 'xapp-1-A0GATE-123-abcdef' });
    expect(alone.ok ? [] : alone.problems.map((p) => p.path)).toEqual(['SLACK_BOT_TOKEN']);
    // The dev value is dev mode's only.
    const dev = validateSettings({ SLACK_BOT_TOKEN: 'xoxb-1-abc', SLACK_APP_TOKEN: 'xapp-dev-token' });
    expect(dev.ok ? [] : dev.problems).toEqual([{ path: 'SLACK_APP_TOKEN', message: 'a development value: set the real one' }]);
    expect(validateSettings({ GATEHOUSE_DEV_MODE: '1', SLACK_APP_TOKEN: 'xapp-dev-token' }).ok).toBe(true);
  });

  it('accepts OAuth private-key settings for Okta instead of a token', () => {
    expect(validateSettings({ OKTA_ORG_URL: 'https://acme.okta.com', OKTA_CLIENT_ID: '0oa1', OKTA_PRIVATE_KEY: '{"kty":"RSA"}' }).ok).toBe(true);
    expect(validateSettings({ OKTA_ORG_URL: 'https://acme.okta.com', OKTA_CLIENT_ID: '0oa1' }).ok).toBe(false);
  });

  describe('fail closed outside dev mode', () => {
    const devLooking = {
      GATEHOUSE_FAKES: '1',
      SLACK_BOT_TOKEN: 'xoxb-dev-token',
      SLACK_SIGNING_SECRET: 'dev-signing-secret',
      OKTA_ORG_URL: 'http://okta.example.com',
      OKTA_API_TOKEN: 'dev-okta-token',
      JIRA_HOST: 'http://127.0.0.1:4030',
      JIRA_EMAIL: 'a@example.com',
      JIRA_API_TOKEN: 'dev-jira-token',
      JIRA_PROJECT_KEY: 'GATE',
      GATEHOUSE_API_TOKENS: 'dev:ghdev_0123456789abcdef0123',
    };

    it('refuses fakes, dev secrets, the dev token and plain http to another host, all at once', () => {
      const r = validateSettings(devLooking);
      if (r.ok) throw new Error('expected problems');
      expect(r.problems.map((p) => p.path).sort()).toEqual(
        ['GATEHOUSE_API_TOKENS', 'GATEHOUSE_FAKES', 'JIRA_API_TOKEN', 'OKTA_API_TOKEN', 'OKTA_ORG_URL', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'].sort(),
      );
      // http to this machine (an emulator, a sidecar) is fine.
      expect(r.problems.some((p) => p.path === 'JIRA_HOST')).toBe(false);
    });

    it('accepts the same values in dev mode', () => {
      expect(validateSettings({ ...devLooking, GATEHOUSE_DEV_MODE: '1' }).ok).toBe(true);
    });

    it('production needs a PostgreSQL audit store and never dev mode', () => {
      const r = validateSettings({ NODE_ENV: 'production', GATEHOUSE_DEV_MODE: '1' });
      if (r.ok) throw new Error('expected problems');
      expect(r.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['DATABASE_URL', 'GATEHOUSE_DEV_MODE']));
    });
  });

  it('takes an smtp:// or smtps:// SMTP_URL and a MAIL_FROM address; mail counts as configured with SMTP_URL', () => {
    const s = settingsSchema.parse({ SMTP_URL: 'smtps://gatehouse:secret@mail.acme.com:465', MAIL_FROM: 'Gatehouse <gatehouse@acme.com>' });
    expect(configuredSystems(s).mail).toBe(true);
    expect(configuredSystems(settingsSchema.parse({})).mail).toBe(false);
    expect(validateSettings({ SMTP_URL: 'smtp://127.0.0.1:4025', MAIL_FROM: 'gatehouse@acme.com' }).ok).toBe(true);
    const r = validateSettings({ SMTP_URL: 'http://mail.acme.com', MAIL_FROM: 'Gatehouse' });
    if (r.ok) throw new Error('expected problems');
    expect(r.problems.map((p) => p.path).sort()).toEqual(['MAIL_FROM', 'SMTP_URL']);
    // The password in SMTP_URL never appears in a problem.
    const bad = validateSettings({ SMTP_URL: 'smtpx://user:hunter2@mail.acme.com' });
    expect(JSON.stringify(bad)).not.toContain('hunter2');
  });

  it('requires MAIL_FROM with SMTP_URL in production', () => {
    const r = validateSettings({ NODE_ENV: 'production', SMTP_URL: 'smtp://mail.acme.com:587' });
    if (r.ok) throw new Error('expected problems');
    expect(r.problems.map((p) => p.path)).toContain('MAIL_FROM');
  });

  it('reads the Okta OpenID settings: the issuer without a trailing slash, everything else optional', () => {
    const s = settingsSchema.parse({ OKTA_OIDC_ISSUER: 'https://acme.okta.com/oauth2/default/', OKTA_OIDC_CLIENT_ID: '0oa_portal', OKTA_OIDC_CLIENT_SECRET: 'secret' });
    expect(s).toMatchObject({ OKTA_OIDC_ISSUER: 'https://acme.okta.com/oauth2/default', OKTA_OIDC_CLIENT_ID: '0oa_portal', OKTA_OIDC_CLIENT_SECRET: 'secret' });
    expect(s.OKTA_OIDC_AUDIENCE).toBeUndefined();
    expect(validateSettings({ OKTA_OIDC_ISSUER: 'not a url' }).ok).toBe(false);
  });

  it('takes a portal session secret of 32+ characters; the API decides when the portal needs one', () => {
    const short = validateSettings({ GATEHOUSE_SESSION_SECRET: 'too-short' });
    if (short.ok) throw new Error('expected a problem');
    expect(short.problems.map((p) => p.path)).toEqual(['GATEHOUSE_SESSION_SECRET']);
    expect(validateSettings({ GATEHOUSE_SESSION_SECRET: 'x'.repeat(32) }).ok).toBe(true);
    const portal = (env: Record<string, string>) => portalFromSettings(settingsSchema.parse({ OKTA_OIDC_ISSUER: 'https://acme.okta.com/oauth2/default', OKTA_OIDC_CLIENT_ID: '0oa_portal', OKTA_OIDC_CLIENT_SECRET: 'secret', ...env }));
    expect(portal({}).problems).toEqual([expect.stringMatching(/^GATEHOUSE_SESSION_SECRET: required with the portal/)]);
    expect(portal({ GATEHOUSE_DEV_MODE: '1' })).toMatchObject({ problems: [], ephemeralSecret: true, options: { publicUrl: 'http://127.0.0.1:3000' } });
    expect(portal({ NODE_ENV: 'production', GATEHOUSE_SESSION_SECRET: 'x'.repeat(32) }).problems).toEqual([expect.stringMatching(/^GATEHOUSE_PUBLIC_URL: required/)]);
    expect(portalFromSettings(settingsSchema.parse({ OKTA_OIDC_ISSUER: 'https://acme.okta.com/oauth2/default' }))).toEqual({ problems: [] });
  });
});
