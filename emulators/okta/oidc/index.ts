export { OidcProvider, API_AUDIENCE, DEFAULT_CUSTOM_SCOPES, type OidcOptions } from './provider';
export { oidcControlRouter, oidcRouter } from './routes';
export type { ClientRegistration, OidcClient } from './clients';
