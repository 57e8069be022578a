import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

/**
 * A real OpenID provider (oidc-provider) for the tests: a confidential client that gets JWT
 * access tokens for the `frameproof` audience with the client-credentials grant, carrying
 * Keycloak-style `realm_access.roles` and `preferred_username` claims from the client's name.
 */
export interface TestIdp {
  issuer: string;
  token(clientId: string, audience?: string): Promise<string>;
  close(): Promise<void>;
}

export const FRAMEPROOF_AUDIENCE = 'https://frameproof.test/api';

export const IDP_CLIENTS: Record<string, { roles: string[]; username: string }> = {
  'alice-reviewer': { roles: ['reviewer', 'offline_access'], username: 'alice' },
  'bob-no-role': { roles: ['offline_access'], username: 'bob' },
  'carol-admin': { roles: ['viewer', 'admin'], username: 'carol' },
};

export async function startIdp(): Promise<TestIdp> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: Object.keys(IDP_CLIENTS).map((client_id) => ({
      client_id,
      client_secret: `${client_id}-secret`,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    })),
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => FRAMEPROOF_AUDIENCE,
        getResourceServerInfo: (_ctx, resource) => ({
          scope: 'api',
          audience: resource,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: (_ctx, token) => {
      const client = IDP_CLIENTS[(token as { clientId?: string }).clientId ?? ''];
      return client ? { realm_access: { roles: client.roles }, preferred_username: client.username } : {};
    },
  });
  http.on('request', provider.callback());
  return {
    issuer,
    async token(clientId, audience = FRAMEPROOF_AUDIENCE) {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api', resource: audience }),
      });
      const body = (await res.json()) as { access_token?: string };
      if (!res.ok || !body.access_token)
        throw new Error(`token for ${clientId}: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}
