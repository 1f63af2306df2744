/**
 * Whether the API serves the portal, from its settings: it does when the portal's Okta app is
 * configured (OKTA_OIDC_CLIENT_ID). The checks are the API's own (the worker never needs them).
 */
import { randomBytes } from 'node:crypto';
import type { Settings } from '../../activities/settings';
import type { PortalOptions } from '.';

export interface PortalSettings {
  options?: PortalOptions;
  /** Each a `VARIABLE: what is wrong` line, like the settings' own errors. */
  problems: string[];
  /** Dev mode without a secret: one was made up for this process (sessions end with it). */
  ephemeralSecret?: boolean;
}

export function portalFromSettings(settings: Settings): PortalSettings {
  if (!settings.OKTA_OIDC_CLIENT_ID) return { problems: [] };
  const problems: string[] = [];
  if (!settings.OKTA_OIDC_ISSUER) problems.push('OKTA_OIDC_ISSUER: required for the portal’s sign-in (OKTA_OIDC_CLIENT_ID is set)');
  if (!settings.OKTA_OIDC_CLIENT_SECRET) problems.push('OKTA_OIDC_CLIENT_SECRET: required for the portal’s sign-in (OKTA_OIDC_CLIENT_ID is set)');
  if (!settings.GATEHOUSE_SESSION_SECRET && !settings.GATEHOUSE_DEV_MODE) {
    problems.push('GATEHOUSE_SESSION_SECRET: required with the portal (OKTA_OIDC_CLIENT_ID is set): 32+ random characters, e.g. `openssl rand -base64 48`');
  }
  if (!settings.GATEHOUSE_PUBLIC_URL && settings.NODE_ENV === 'production') {
    problems.push('GATEHOUSE_PUBLIC_URL: required with the portal in production (the https URL browsers use; the sign-in redirect URI is <it>/auth/callback)');
  }
  if (problems.length) return { problems };
  return {
    options: {
      publicUrl: settings.GATEHOUSE_PUBLIC_URL ?? `http://127.0.0.1:${settings.PORT}`,
      sessionSecret: settings.GATEHOUSE_SESSION_SECRET ?? randomBytes(32).toString('base64url'),
      issuer: settings.OKTA_OIDC_ISSUER!,
      clientId: settings.OKTA_OIDC_CLIENT_ID,
      clientSecret: settings.OKTA_OIDC_CLIENT_SECRET!,
    },
    problems,
    ...(settings.GATEHOUSE_SESSION_SECRET ? {} : { ephemeralSecret: true }),
  };
}
