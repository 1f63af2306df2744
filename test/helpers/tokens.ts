import { API_SCOPES, type ApiScope, type ApiToken } from '../../activities/settings';

/** One static API token for createApp(); every scope unless told otherwise. */
export function apiToken(token: string, name: string, scopes: readonly ApiScope[] = API_SCOPES): Map<string, ApiToken> {
  return new Map([[token, { name, scopes: new Set(scopes) }]]);
}
