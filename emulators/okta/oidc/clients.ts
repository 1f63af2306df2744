import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { randomId } from '../../shared/http';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export interface OidcClient {
  clientId: string;
  clientName: string;
  /** null: a public client (token_endpoint_auth_method none), which must use PKCE. */
  clientSecret: string | null;
  /** As registered; like Okta's "client secret" setting, a confidential client may use either secret method. */
  authMethod: 'client_secret_basic' | 'client_secret_post' | 'none';
  /** null: any http://127.0.0.1:<port>/… or http://localhost:<port>/… (the dev client). */
  redirectUris: string[] | null;
  grantTypes: GrantType[];
  accessTokenLifetimeSec: number;
  issuedAt: number;
}

/** POST /_emulator/oidc/clients: the fields of Okta's dynamic client registration, plus a token lifetime for tests. */
export const clientRegistrationSchema = z
  .object({
    client_id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'letters, digits, _ and - only').optional(),
    client_secret: z.string().min(1).max(200).optional(),
    client_name: z.string().max(200).optional(),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'none']).default('client_secret_basic'),
    /** Omitted: any loopback redirect URI, like the dev client. */
    redirect_uris: z.array(z.url()).min(1).optional(),
    grant_types: z.array(z.enum(GRANT_TYPES)).min(1).default(['authorization_code', 'refresh_token']),
    /** Access-token lifetime (Okta sets it in the access policy); tests use a short one. */
    access_token_lifetime_seconds: z.number().int().min(1).max(86_400).default(3600),
  })
  .strict()
  .refine((c) => c.token_endpoint_auth_method !== 'none' || (!c.client_secret && !c.grant_types.includes('client_credentials')), {
    message: 'a public client (token_endpoint_auth_method none) has no secret and cannot use client_credentials',
  });

export type ClientRegistration = z.input<typeof clientRegistrationSchema>;

export class DuplicateClientError extends Error {}

/** Any port and path on a loopback host, over http (SPEC §13: redirect URIs on 127.0.0.1). */
function isLoopbackRedirect(uri: string): boolean {
  try {
    const url = new URL(uri);
    return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost') && !url.hash;
  } catch {
    return false;
  }
}

export class OidcClients {
  private readonly clients = new Map<string, OidcClient>();

  register(input: ClientRegistration): OidcClient {
    const parsed = clientRegistrationSchema.parse(input);
    const clientId = parsed.client_id ?? randomId('0oa', 17);
    if (this.clients.has(clientId)) throw new DuplicateClientError(`client ${clientId} is already registered`);
    const client: OidcClient = {
      clientId,
      clientName: parsed.client_name ?? clientId,
      clientSecret: parsed.token_endpoint_auth_method === 'none' ? null : (parsed.client_secret ?? randomBytes(30).toString('base64url')),
      authMethod: parsed.token_endpoint_auth_method,
      redirectUris: parsed.redirect_uris ?? null,
      grantTypes: parsed.grant_types,
      accessTokenLifetimeSec: parsed.access_token_lifetime_seconds,
      issuedAt: Math.floor(Date.now() / 1000),
    };
    this.clients.set(clientId, client);
    return client;
  }

  get(clientId: string | undefined): OidcClient | undefined {
    return clientId === undefined ? undefined : this.clients.get(clientId);
  }

  static allowsRedirect(client: OidcClient, uri: string): boolean {
    return client.redirectUris ? client.redirectUris.includes(uri) : isLoopbackRedirect(uri);
  }

  /** The registration response (RFC 7591 field names, as Okta answers). */
  static registrationJson(client: OidcClient): Record<string, unknown> {
    return {
      client_id: client.clientId,
      ...(client.clientSecret ? { client_secret: client.clientSecret, client_secret_expires_at: 0 } : {}),
      client_id_issued_at: client.issuedAt,
      client_name: client.clientName,
      token_endpoint_auth_method: client.authMethod,
      redirect_uris: client.redirectUris ?? ['http://127.0.0.1:*/*', 'http://localhost:*/*'],
      grant_types: client.grantTypes,
      response_types: ['code'],
      application_type: client.clientSecret ? 'web' : 'browser',
    };
  }

  /** Without secrets, for /_emulator/state. */
  snapshot(): Record<string, unknown>[] {
    return [...this.clients.values()].map((client) => {
      const { client_secret: _secret, client_secret_expires_at: _expires, ...rest } = OidcClients.registrationJson(client);
      return { ...rest, access_token_lifetime_seconds: client.accessTokenLifetimeSec };
    });
  }
}
