import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { AudioStream, VideoStream } from '@frameproof/core';
import { AnalyzeMeasurer } from '../src/audio-measurer.js';
import { isRetryable } from '../src/runner.js';

const ASSET = '11111111-1111-4111-8111-111111111111';
const audio: AudioStream = {
  index: 1,
  track: 2,
  codec: 'pcm_s24le',
  channels: 2,
  sampleRate: 48000,
  startTime: 0.5,
};
const video: VideoStream = {
  index: 0,
  codec: 'prores',
  width: 1920,
  height: 1080,
  frameRate: { num: 25, den: 1 },
  variableFrameRate: false,
  fieldOrder: 'progressive',
  frameCount: 250,
  startTime: 0,
};

const LOUDNESS = {
  source: 'original',
  integrated: -30.2,
  range: 1.5,
  truePeak: null,
  samplePeak: -27,
};
const LEVELS = {
  source: 'original',
  silence: { threshold: -60, minDuration: 2, spans: [{ start: 3, end: 6, duration: 3 }] },
};

/** Just enough of analyze: the two measuring routes, answering as `answer` says. */
describe('AnalyzeMeasurer (Auto QC asking analyze)', () => {
  let server: Server;
  let url: string;
  const seen: { path: string; authorization?: string }[] = [];
  let answer: (req: IncomingMessage) => [number, unknown] = () => [500, {}];
  before(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      const [status, body] = answer(req);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  const measurer = (token = 'token-1') =>
    new AnalyzeMeasurer({ url, getToken: () => token, retryDelaysMs: [10, 10] });

  it("asks for the track's loudness and levels with the worker's token, and puts them on the video's clock", async () => {
    seen.length = 0;
    answer = (req) => [200, req.url?.includes('/loudness') ? LOUDNESS : LEVELS];
    const m = await measurer().measure({ assetId: ASSET, audio, video }, new AbortController().signal);
    assert.deepEqual(m, {
      track: 2,
      source: 'original',
      silence: [{ start: 3.5, end: 6.5 }],
      loudness: { integrated: -30.2, range: 1.5, truePeak: -Infinity },
    });
    assert.deepEqual(
      seen.map((s) => [s.path, s.authorization]),
      [
        [`/api/analyze/assets/${ASSET}/audio/2/loudness`, 'Bearer token-1'],
        [
          `/api/analyze/assets/${ASSET}/audio/2/levels?silenceThreshold=-60&silenceMinDuration=2`,
          'Bearer token-1',
        ],
      ],
      "Auto QC's silence settings, which are analyze's defaults (one pass per track)",
    );
  });

  it('asks again while analyze restarts or the token is renewed, then gives up saying where it asked', async () => {
    seen.length = 0;
    let calls = 0;
    answer = (req) =>
      ++calls <= 2 ? [503, { message: 'busy' }] : [200, req.url?.includes('/loudness') ? LOUDNESS : LEVELS];
    const m = await measurer().measure({ assetId: ASSET, audio, video }, new AbortController().signal);
    assert.equal(m.loudness?.integrated, -30.2);
    assert.equal(seen.length, 4, 'two refusals, then the loudness and the levels');

    answer = () => [401, { statusCode: 401, error: 'Unauthorized', message: 'token expired' }];
    await assert.rejects(
      measurer().measure({ assetId: ASSET, audio }, new AbortController().signal),
      (err: Error) => {
        assert.match(
          err.message,
          new RegExp(`ANALYZE_URL ${url}.*answered 401 for the loudness of audio track 2`),
        );
        assert.equal(isRetryable(err), true);
        return true;
      },
    );
  });

  it('fails for good when analyze cannot read the track, and at once when the job is stopped', async () => {
    answer = () => [
      422,
      { statusCode: 422, error: 'Unprocessable Entity', message: 'the file could not be read as media' },
    ];
    await assert.rejects(
      measurer().measure({ assetId: ASSET, audio }, new AbortController().signal),
      (err: Error) => {
        assert.equal(isRetryable(err), false);
        assert.match(err.message, /422.*could not be read/);
        return true;
      },
    );
    answer = () => [503, { message: 'busy' }];
    const stop = new AbortController();
    const reason = new Error('cancelled');
    const slow = new AnalyzeMeasurer({ url, getToken: () => 't', retryDelaysMs: [60_000] });
    const asked = slow.measure({ assetId: ASSET, audio }, stop.signal);
    setTimeout(() => stop.abort(reason), 50);
    await assert.rejects(asked, (err) => err === reason);
  });

  it('says where it asked when nothing answers', async () => {
    const nowhere = new AnalyzeMeasurer({
      url: 'http://127.0.0.1:9',
      getToken: () => 't',
      retryDelaysMs: [],
    });
    await assert.rejects(
      nowhere.measure({ assetId: ASSET, audio }, new AbortController().signal),
      /ANALYZE_URL http:\/\/127\.0\.0\.1:9\) could not be asked for the loudness of audio track 2/,
    );
  });
});
