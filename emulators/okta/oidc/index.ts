export { OidcProvider, type OidcOptions } from './provider';
export { oidcControlRouter, oidcRouter } from './routes';
