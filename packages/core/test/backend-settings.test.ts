import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseBackendSettings, withBackendSettings } from '../src/index.js';

describe('backend settings from the configuration bucket', () => {
  it('reads a JSON object of variable names, as the environment would hold them', () => {
    assert.deepEqual(parseBackendSettings('{"UPLOAD_MAX_BYTES": 1024, "AUTH_LOCAL": "off", "X_ON": true}'), {
      UPLOAD_MAX_BYTES: '1024',
      AUTH_LOCAL: 'off',
      X_ON: 'true',
    });
  });

  it('refuses what is not a flat object of names to values, naming the fault', () => {
    const cases: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['[1]', /JSON object/],
      ['{"lower": "x"}', /not an environment variable name/],
      ['{"CONFIG_BUCKET": "x"}', /set it in the environment/],
      ['{"A": {"b": 1}}', /string, a number or a boolean/],
      ['{"A": null}', /string, a number or a boolean/],
    ];
    for (const [text, message] of cases)
      assert.throws(
        () => parseBackendSettings(text),
        (err) => err instanceof ConfigError && message.test(err.message),
        text,
      );
  });

  it('fills in what the environment does not set; the environment wins', () => {
    assert.deepEqual(
      withBackendSettings({ A: 'env', C: undefined }, { A: 'bucket', B: 'bucket', C: 'bucket' }),
      {
        A: 'env',
        B: 'bucket',
        C: 'bucket',
      },
    );
  });
});
