import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mediaResponseHeaders, servedInline, storableMediaType } from '../src/media-types.js';

test('a claimed type is kept only when it is on the list of media types', () => {
  assert.equal(storableMediaType('video/quicktime'), 'video/quicktime');
  assert.equal(storableMediaType('Video/MP4; codecs="avc1"'), 'video/mp4');
  for (const hostile of ['text/html', 'image/svg+xml', 'application/javascript', 'text/xml', '', undefined])
    assert.equal(storableMediaType(hostile), 'application/octet-stream', String(hostile));
});

test('only video, audio and raster images are served inline; everything is sandboxed and unsniffed', () => {
  assert.ok(servedInline('video/mp4'));
  assert.ok(servedInline('image/png'));
  assert.ok(!servedInline('image/svg+xml'));
  assert.ok(!servedInline('text/vtt'));
  const page = mediaResponseHeaders('text/html', 'x".html');
  assert.equal(page['content-type'], 'application/octet-stream');
  assert.equal(page['content-disposition'], 'attachment; filename="x_.html"');
  assert.equal(page['x-content-type-options'], 'nosniff');
  assert.equal(page['content-security-policy'], "default-src 'none'; sandbox");
  assert.equal(
    mediaResponseHeaders('video/mp4', 'video.mp4')['content-disposition'],
    'inline; filename="video.mp4"',
  );
});
