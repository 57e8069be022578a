import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { earliestExpiry, stillValid, urlExpiresAt } from '../src/app/lib/expiry.js';

describe('signed URL expiry (the library keeps sprite tiles only while their URLs work)', () => {
  it("reads our media URLs' expires (Unix seconds), absolute or relative", () => {
    assert.equal(urlExpiresAt('/api/media/f1?expires=1796000000&signature=abc'), 1_796_000_000_000);
    assert.equal(
      urlExpiresAt('https://review.example/api/media/f1?expires=1796000060&signature=abc'),
      1_796_000_060_000,
    );
  });

  it("reads S3 presigned URLs' X-Amz-Date plus X-Amz-Expires", () => {
    const url =
      'https://bucket.s3.eu-west-1.amazonaws.com/assets/a/sprite-0.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261202T013000Z&X-Amz-Expires=3600&X-Amz-Signature=f00';
    assert.equal(urlExpiresAt(url), Date.UTC(2026, 11, 2, 2, 30, 0));
  });

  it('says null for URLs that do not say, or say it wrongly', () => {
    for (const url of [
      '/static/poster.jpg',
      '/api/media/f1?expires=soon',
      'https://b.s3.amazonaws.com/k?X-Amz-Date=yesterday&X-Amz-Expires=3600',
      'https://b.s3.amazonaws.com/k?X-Amz-Date=20261202T013000Z',
      'http://[bad',
    ])
      assert.equal(urlExpiresAt(url), null, url);
  });

  it('takes the earliest of several, ignoring those that do not say', () => {
    assert.equal(
      earliestExpiry(['/a?expires=200', '/poster.jpg', '/b?expires=100', '/c?expires=300']),
      100_000,
    );
    assert.equal(earliestExpiry(['/poster.jpg']), null);
    assert.equal(earliestExpiry([]), null);
  });

  it('keeps what was fetched until a minute before its URLs expire', () => {
    const at = 1_796_000_000_000;
    assert.equal(stillValid(at, at - 61_000), true);
    assert.equal(stillValid(at, at - 60_000), false);
    assert.equal(stillValid(at, at + 1), false);
    assert.equal(stillValid(at, at - 5_000, 1_000), true);
    assert.equal(stillValid(null, at), true);
  });
});
