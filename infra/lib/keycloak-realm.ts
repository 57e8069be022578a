/**
 * The Frameproof realm that Keycloak imports when it first starts (`--import-realm`; an existing
 * realm is left as it is). `${NAME}` placeholders are filled by Keycloak from the container's
 * environment, so the realm carries neither the domain name nor the client secret.
 */

export const REALM = 'frameproof';
export const FRONTEND_CLIENT_ID = 'frameproof-frontend';
export const ADAPTER_CLIENT_ID = 'frameproof-adapter';
/** The roles people hold (`PERSON_ROLES` in @frameproof/core); the adapter reads them from `realm_access.roles`. */
export const PERSON_ROLES = ['admin', 'editor', 'reviewer', 'viewer'] as const;
export const ROLES_CLAIM = 'realm_access.roles';

/** The environment variables the realm's placeholders name. */
export const REALM_PLACEHOLDERS = {
  publicUrl: 'PUBLIC_URL',
  adapterClientSecret: 'KEYCLOAK_BACKEND_PASSWORD',
} as const;

const placeholder = (name: string): string => `\${${name}}`;

const ROLE_DESCRIPTIONS: Record<(typeof PERSON_ROLES)[number], string> = {
  admin: 'Everything, including users and deleting assets',
  editor: 'Creates and edits assets, markers and jobs',
  reviewer: 'Reviews: markers, comments and QC status',
  viewer: 'Reads assets and markers',
};

export function frameproofRealm(): Record<string, unknown> {
  const publicUrl = placeholder(REALM_PLACEHOLDERS.publicUrl);
  return {
    realm: REALM,
    displayName: 'Frameproof',
    enabled: true,
    sslRequired: 'external',
    registrationAllowed: false,
    loginWithEmailAllowed: true,
    resetPasswordAllowed: true,
    bruteForceProtected: true,
    roles: {
      realm: PERSON_ROLES.map((name) => ({ name, description: ROLE_DESCRIPTIONS[name] })),
    },
    clients: [
      {
        clientId: FRONTEND_CLIENT_ID,
        name: 'Frameproof web app',
        enabled: true,
        protocol: 'openid-connect',
        publicClient: true,
        standardFlowEnabled: true,
        implicitFlowEnabled: false,
        directAccessGrantsEnabled: false,
        serviceAccountsEnabled: false,
        rootUrl: publicUrl,
        baseUrl: '/',
        redirectUris: [`${publicUrl}/*`],
        webOrigins: [publicUrl],
        attributes: {
          'pkce.code.challenge.method': 'S256',
          'post.logout.redirect.uris': `${publicUrl}/*`,
        },
        protocolMappers: [
          {
            // Access tokens for the web app are meant for the adapter's API.
            name: 'adapter-audience',
            protocol: 'openid-connect',
            protocolMapper: 'oidc-audience-mapper',
            config: {
              'included.client.audience': ADAPTER_CLIENT_ID,
              'access.token.claim': 'true',
              'id.token.claim': 'false',
            },
          },
        ],
      },
      {
        clientId: ADAPTER_CLIENT_ID,
        name: 'Frameproof adapter',
        enabled: true,
        protocol: 'openid-connect',
        publicClient: false,
        clientAuthenticatorType: 'client-secret',
        secret: placeholder(REALM_PLACEHOLDERS.adapterClientSecret),
        standardFlowEnabled: false,
        implicitFlowEnabled: false,
        directAccessGrantsEnabled: false,
        // The audience of the web app's tokens, nothing more: the adapter never asks Keycloak for
        // tokens of its own, so no service account (and no rights on the realm's users).
        serviceAccountsEnabled: false,
      },
    ],
  };
}
