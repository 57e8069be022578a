import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaInputError, SNIFF_BYTES, checkMediaSignature, notMediaSignature } from '../src/index.js';

const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? Array.from(p, (c) => c.charCodeAt(0)) : p)));

describe('media signatures', () => {
  it('names archives, documents, programs and markup, whatever the file is called', () => {
    const tar = new Uint8Array(SNIFF_BYTES);
    tar.set(bytes('inside.mov'), 0);
    tar.set(bytes('ustar\u000000'), 257);
    const cases: [Uint8Array, string][] = [
      [bytes('PK', [3, 4], 'rest'), 'a zip archive'],
      [bytes('PK', [5, 6], [0, 0]), 'a zip archive'],
      [tar, 'a tar archive'],
      [bytes([0xfd], '7zXZ', [0]), 'an xz archive'],
      [bytes('7z', [0xbc, 0xaf, 0x27, 0x1c]), 'a 7-Zip archive'],
      [bytes('Rar!', [0x1a, 0x07, 0]), 'a RAR archive'],
      [bytes('%PDF-1.7\n'), 'a PDF document'],
      [bytes([0x7f], 'ELF', [2, 1]), 'a program'],
      [bytes('<!doctype html><script>alert(1)</script>'), 'a web page or other markup'],
      [bytes([0xef, 0xbb, 0xbf], '\r\n  <html lang="fr">é'), 'a web page or other markup'],
      [bytes('<?xml version="1.0"?><svg/>'), 'a web page or other markup'],
    ];
    for (const [head, what] of cases) assert.equal(notMediaSignature(head), what, what);
    assert.throws(
      () => checkMediaSignature(bytes('PK', [3, 4])),
      (err: unknown) =>
        err instanceof MediaInputError &&
        err.code === 'unsupported-container' &&
        err.message === 'the file is a zip archive, not media',
    );
  });

  it('lets media through, including a QuickTime file whose first box size looks like text', () => {
    const media: Uint8Array[] = [
      bytes([0, 0, 0, 0x20], 'ftypqt  ', [0, 0, 2, 0]), // MOV
      bytes([0x1a, 0x45, 0xdf, 0xa3]), // Matroska
      bytes([0x47, 0x40, 0x11, 0x10]), // MPEG-TS
      bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '), // WAV
      bytes('ID3', [4, 0]), // MP3
      bytes('YUV4MPEG2 W16 H16 F25:1\nFRAME\n'), // raw frames: text, but not markup
      // An old QuickTime file starting with a 1 GB mdat box: 0x3C ("<") then binary.
      bytes([0x3c, 0x21, 0x00, 0x10], 'mdat', [0, 1, 2, 3]),
      // Its size in ASCII-looking bytes, but still a box header with binary after it.
      bytes('<abc', 'mdat', [0x00, 0x00, 0x01]),
      new Uint8Array(0),
    ];
    for (const head of media) assert.equal(notMediaSignature(head), undefined, String(head.slice(0, 8)));
    assert.doesNotThrow(() => checkMediaSignature(media[0] as Uint8Array));
  });
});
