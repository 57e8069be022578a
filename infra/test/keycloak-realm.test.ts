import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPOSITORY_ROOT } from '../lib/images.js';
import {
  ADAPTER_CLIENT_ID,
  FRONTEND_CLIENT_ID,
  frameproofRealm,
  PERSON_ROLES,
  REALM_PLACEHOLDERS,
} from '../lib/keycloak-realm.js';

interface Client {
  clientId: string;
  publicClient: boolean;
  standardFlowEnabled: boolean;
  directAccessGrantsEnabled: boolean;
  implicitFlowEnabled: boolean;
  serviceAccountsEnabled: boolean;
  redirectUris?: string[];
  webOrigins?: string[];
  secret?: string;
  attributes?: Record<string, string>;
  protocolMappers?: { protocolMapper: string; config: Record<string, string> }[];
}

const realm = frameproofRealm() as {
  realm: string;
  roles: { realm: { name: string }[] };
  clients: Client[];
  users?: unknown[];
};
const client = (id: string): Client => {
  const found = realm.clients.find((c) => c.clientId === id);
  assert.ok(found, id);
  return found;
};

describe('the Frameproof realm', () => {
  it('is called frameproof (the adapter’s issuer is /auth/realms/frameproof)', () => {
    assert.equal(realm.realm, 'frameproof');
  });

  it('has the four roles people hold, as @frameproof/core names them', () => {
    const source = readFileSync(join(REPOSITORY_ROOT, 'packages/core/src/permissions.ts'), 'utf8');
    const core = /PERSON_ROLES = \[([^\]]*)\]/
      .exec(source)?.[1]
      ?.match(/'[a-z]+'/g)
      ?.map((r) => r.slice(1, -1));
    assert.deepEqual(core, [...PERSON_ROLES]);
    assert.deepEqual(
      realm.roles.realm.map((r) => r.name),
      ['admin', 'editor', 'reviewer', 'viewer'],
    );
  });

  it('lets the web app sign in as a public client with PKCE, on the application URL only', () => {
    const web = client(FRONTEND_CLIENT_ID);
    assert.equal(web.publicClient, true);
    assert.equal(web.standardFlowEnabled, true);
    assert.equal(web.implicitFlowEnabled, false);
    assert.equal(web.directAccessGrantsEnabled, false);
    assert.equal(web.attributes?.['pkce.code.challenge.method'], 'S256');
    assert.deepEqual(web.redirectUris, ['${PUBLIC_URL}/*']);
    assert.deepEqual(web.webOrigins, ['${PUBLIC_URL}']);
    const audience = web.protocolMappers?.find((m) => m.protocolMapper === 'oidc-audience-mapper');
    assert.equal(
      audience?.config['included.client.audience'],
      ADAPTER_CLIENT_ID,
      'tokens are meant for the adapter',
    );
  });

  it('gives the adapter a confidential client whose secret comes from the environment', () => {
    const adapter = client(ADAPTER_CLIENT_ID);
    assert.equal(adapter.publicClient, false);
    assert.equal(adapter.secret, `\${${REALM_PLACEHOLDERS.adapterClientSecret}}`);
    assert.equal(adapter.standardFlowEnabled, false);
  });

  it('gives the adapter client no service account and the realm no service-account user: nothing uses them', () => {
    assert.equal(client(ADAPTER_CLIENT_ID).serviceAccountsEnabled, false);
    assert.equal(realm.users, undefined);
    assert.doesNotMatch(JSON.stringify(realm), /service-account|realm-management|manage-users/);
  });

  it('carries no secret and no domain name of its own', () => {
    const text = JSON.stringify(realm);
    for (const [, name] of text.matchAll(/\$\{([A-Z_]+)\}/g)) {
      assert.ok((Object.values(REALM_PLACEHOLDERS) as string[]).includes(name ?? ''), name);
    }
    assert.doesNotMatch(text, /https?:\/\/[a-z]/);
  });
});
