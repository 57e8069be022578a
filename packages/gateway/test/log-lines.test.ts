import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogLines, logFormat } from '../src/log-lines.js';

const at = Date.UTC(2026, 11, 1, 19, 12, 24);

describe("npm start's log lines", () => {
  it('are lines in a terminal and JSON elsewhere, unless FRAMEPROOF_LOG_FORMAT says', () => {
    assert.equal(logFormat({}, true), 'lines');
    assert.equal(logFormat({}, false), 'json');
    assert.equal(logFormat({}, undefined), 'json');
    assert.equal(logFormat({ FRAMEPROOF_LOG_FORMAT: 'json' }, true), 'json');
    assert.equal(logFormat({ FRAMEPROOF_LOG_FORMAT: 'lines' }, false), 'lines');
  });

  it("give one line per request with the service's name, method, path, status and time", () => {
    const lines = new LogLines('adapter');
    const incoming = JSON.stringify({
      level: 30,
      time: at,
      pid: 1,
      hostname: 'vm',
      reqId: 'req-1',
      req: { method: 'POST', url: '/api/assets', remoteAddress: '127.0.0.1' },
      msg: 'incoming request',
    });
    const completed = JSON.stringify({
      level: 30,
      time: at,
      pid: 1,
      hostname: 'vm',
      reqId: 'req-1',
      res: { statusCode: 201 },
      responseTime: 130.62,
      msg: 'request completed',
    });
    assert.equal(lines.format(incoming), null);
    const line = lines.format(completed) ?? '';
    assert.match(line, /^\d\d:\d\d:\d\d adapter {2}POST \/api\/assets 201 131 ms$/);
  });

  it('show a message with its fields and level, and an error with its message', () => {
    const lines = new LogLines('jobs');
    const done = lines.format(
      JSON.stringify({
        level: 30,
        time: '2026-12-01T19:18:57.735Z',
        service: 'jobs',
        workerId: 'vm-1',
        jobId: 'j1',
        type: 'auto-qc',
        seconds: 9.772,
        msg: 'job completed',
      }),
    );
    assert.match(done ?? '', /^\d\d:\d\d:\d\d jobs {5}job completed jobId=j1 type=auto-qc seconds=9.772$/);
    const failed = lines.format(
      JSON.stringify({
        level: 40,
        time: at,
        msg: 'bus disconnected',
        url: 'ws://x/bus',
        err: { message: 'gone away' },
      }),
    );
    assert.match(failed ?? '', / WARN bus disconnected url=ws:\/\/x\/bus error="gone away"$/);
  });

  it('pass lines that are not JSON as they are, with the name', () => {
    const lines = new LogLines('adapter');
    assert.equal(lines.format('  username: admin'), 'adapter    username: admin');
    assert.equal(lines.format(''), '');
    assert.equal(lines.format('[1, 2]'), 'adapter  [1, 2]');
  });
});
