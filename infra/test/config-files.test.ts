import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { CONFIG_DIR, readConfigFiles, renderConfigFile } from '../lib/config-files.js';
import { FRONTEND_SETTINGS_KEY } from '../lib/services.js';

const values = {
  domain: 'frameproof.example.com',
  mediaOrigin: 'https://media-1.s3.eu-west-1.amazonaws.com',
};

describe('the starting configuration bucket', () => {
  it('ships frontend/settings.js, frontend/keycloak.json and backend/settings.json', () => {
    const keys = readConfigFiles(fileURLToPath(CONFIG_DIR)).map((f) => f.key);
    assert.deepEqual(keys, ['backend/settings.json', 'frontend/keycloak.json', 'frontend/settings.js']);
    assert.ok(keys.includes(FRONTEND_SETTINGS_KEY), 'the file whose change redeploys the frontend');
  });

  it('fills in the domain and the media origin, leaving no placeholder', () => {
    for (const file of readConfigFiles(fileURLToPath(CONFIG_DIR))) {
      const text = renderConfigFile(file.text, values);
      assert.doesNotMatch(text, /\{\{/, file.key);
      if (file.key.endsWith('.json')) JSON.parse(text);
    }
    const keycloak = readConfigFiles(fileURLToPath(CONFIG_DIR)).find(
      (f) => f.key === 'frontend/keycloak.json',
    );
    assert.equal(
      JSON.parse(renderConfigFile(keycloak?.text ?? '', values))['auth-server-url'],
      'https://frameproof.example.com/auth/',
    );
  });

  it('refuses values that are not what they claim to be', () => {
    assert.throws(() => renderConfigFile('', { ...values, domain: 'https://x.example.com' }), /host name/);
    assert.throws(
      () => renderConfigFile('', { ...values, mediaOrigin: 'http://media.example.com' }),
      /https origin/,
    );
    assert.throws(
      () => renderConfigFile('', { ...values, mediaOrigin: 'https://m.example.com/path' }),
      /https origin/,
    );
    assert.throws(() => renderConfigFile('{{OTHER}}', values), /nothing fills in/);
  });
});
