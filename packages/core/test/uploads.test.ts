import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bytesReported,
  DEFAULT_PART_BYTES,
  missingParts,
  MULTIPART_LIMITS,
  normalizeEtag,
  partRange,
  planParts,
  programmeTypeOfName,
} from '../src/index.js';

const MiB = 1024 * 1024;

describe('cutting a file into multipart parts', () => {
  it('uses 8 MiB parts, the last one short', () => {
    assert.deepEqual(planParts(1), { partSize: DEFAULT_PART_BYTES, partCount: 1 });
    assert.deepEqual(planParts(8 * MiB), { partSize: 8 * MiB, partCount: 1 });
    assert.deepEqual(planParts(8 * MiB + 1), { partSize: 8 * MiB, partCount: 2 });
    const plan = planParts(20 * MiB);
    assert.deepEqual(plan, { partSize: 8 * MiB, partCount: 3 });
    assert.deepEqual(partRange(20 * MiB, plan, 1), { start: 0, end: 8 * MiB });
    assert.deepEqual(partRange(20 * MiB, plan, 3), { start: 16 * MiB, end: 20 * MiB });
  });

  it('grows the parts in whole MiB to stay within 10,000 parts, and never under S3’s 5 MiB', () => {
    const size = 200 * 1024 ** 3;
    const plan = planParts(size);
    assert.equal(plan.partSize % MiB, 0);
    assert.ok(plan.partCount <= MULTIPART_LIMITS.maxParts, `${plan.partCount} parts`);
    assert.ok(planParts(size, plan.partSize - MiB).partCount <= MULTIPART_LIMITS.maxParts);
    assert.equal(planParts(100, 1024).partSize, MULTIPART_LIMITS.minPartBytes);
  });

  it('refuses sizes that cannot be uploaded, and part numbers out of range', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) assert.throws(() => planParts(size), RangeError);
    assert.throws(() => planParts(6 * 1024 ** 4), /too large/);
    const plan = planParts(10 * MiB);
    for (const n of [0, 3, 1.5]) assert.throws(() => partRange(10 * MiB, plan, n), RangeError);
  });

  it('tells which parts are left and how many bytes are in', () => {
    const upload = { size: 20 * MiB, ...planParts(20 * MiB), parts: [{ partNumber: 3 }, { partNumber: 1 }] };
    assert.deepEqual(missingParts(upload), [2]);
    assert.equal(bytesReported(upload), 8 * MiB + 4 * MiB);
    assert.deepEqual(missingParts({ partCount: 2, parts: [] }), [1, 2]);
  });

  it('keeps ETags quoted and lower-case, as CompleteMultipartUpload takes them', () => {
    assert.equal(normalizeEtag('ABCDEF0123456789abcdef0123456789'), '"abcdef0123456789abcdef0123456789"');
    assert.equal(normalizeEtag('"abcdef0123456789abcdef0123456789"'), '"abcdef0123456789abcdef0123456789"');
  });
});

describe('media types of imported objects', () => {
  it('knows programme files by their extension, and nothing else', () => {
    assert.equal(programmeTypeOfName('incoming/Reel 1.MOV'), 'video/quicktime');
    assert.equal(programmeTypeOfName('a/b.mxf'), 'application/mxf');
    assert.equal(programmeTypeOfName('a/b.wav'), 'audio/wav');
    assert.equal(programmeTypeOfName('a/notes.txt'), undefined);
    assert.equal(programmeTypeOfName('a/noextension'), undefined);
  });
});
