import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  badRequest,
  ConfigError,
  envLogLevel,
  envNumber,
  errorBody,
  HttpError,
  notFound,
} from '../src/index.js';

describe('environment parsing', () => {
  it('reads numbers within bounds and names the variable when one is wrong', () => {
    assert.equal(envNumber({}, 'PORT', 8080), 8080);
    assert.equal(envNumber({ PORT: '' }, 'PORT', 8080), 8080);
    assert.equal(envNumber({ PORT: '9000' }, 'PORT', 8080, { min: 0, max: 65535, integer: true }), 9000);
    assert.throws(
      () => envNumber({ PORT: '70000' }, 'PORT', 8080, { min: 0, max: 65535 }),
      /^ConfigError: PORT must be a number from 0 to 65535, got "70000"$/,
    );
    assert.throws(
      () => envNumber({ N: '1.5' }, 'N', 1, { min: 1, integer: true }),
      /N must be a whole number >= 1/,
    );
    assert.throws(() => envNumber({ N: 'soon' }, 'N', 1), ConfigError);
  });

  it('takes pino log levels and refuses anything else rather than falling back to info', () => {
    assert.equal(envLogLevel({}), 'info');
    assert.equal(envLogLevel({ LOG_LEVEL: 'debug' }), 'debug');
    assert.throws(() => envLogLevel({ LOG_LEVEL: 'verbose' }), /LOG_LEVEL must be one of fatal, error, warn/);
  });
});

describe('HTTP errors', () => {
  it('carry a status, a message and the field at fault, and give one body shape', () => {
    const err = badRequest('end must be after start', 'end');
    assert.ok(err instanceof HttpError);
    assert.deepEqual(errorBody(err.statusCode, err.message, err.field), {
      statusCode: 400,
      error: 'Bad Request',
      message: 'end must be after start',
      field: 'end',
    });
    assert.deepEqual(errorBody(notFound('asset').statusCode, notFound('asset').message), {
      statusCode: 404,
      error: 'Not Found',
      message: 'asset not found',
    });
    assert.equal(errorBody(503, 'later').error, 'Service Unavailable');
    assert.equal(errorBody(502, 'upstream').error, 'Internal Server Error');
  });
});
