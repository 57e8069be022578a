import { MediaInputError } from './errors.js';

/** How many leading bytes of an upload `notMediaSignature` looks at. */
export const SNIFF_BYTES = 512;

const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));

/**
 * Leading bytes of files that are never media, whatever their name says. Each is at least four
 * bytes long: a QuickTime file may start with the size of its first box, any number.
 */
const SIGNATURES: readonly { what: string; at: number; bytes: readonly number[] }[] = [
  { what: 'a zip archive', at: 0, bytes: ascii('PK\x03\x04') },
  { what: 'a zip archive', at: 0, bytes: ascii('PK\x05\x06') },
  { what: 'a zip archive', at: 0, bytes: ascii('PK\x07\x08') },
  { what: 'a tar archive', at: 257, bytes: ascii('ustar') },
  { what: 'an xz archive', at: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { what: 'a 7-Zip archive', at: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { what: 'a RAR archive', at: 0, bytes: ascii('Rar!\x1a\x07') },
  { what: 'a PDF document', at: 0, bytes: ascii('%PDF-') },
  { what: 'a program', at: 0, bytes: [0x7f, 0x45, 0x4c, 0x46] },
];

/**
 * What an upload is when its first bytes (up to SNIFF_BYTES) show it is not media: an archive,
 * a document, a program, or markup (HTML, XML, SVG: text whose first non-blank
 * character opens a tag). Undefined when nothing says so. ffprobe alone finds an MPEG-TS
 * stored in a zip or tar (it scans for sync bytes) and takes the archive for a video.
 * Playlists and concat lists are left to ffmpeg's demuxer allow-list, which names them.
 */
export function notMediaSignature(head: Uint8Array): string | undefined {
  for (const { what, at, bytes } of SIGNATURES)
    if (head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b)) return what;
  const text = head.subarray(0, SNIFF_BYTES);
  // Text: no control bytes but tab, line feed, carriage return (UTF-8 and a BOM are fine).
  if (text.some((b) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return undefined;
  let i = text[0] === 0xef && text[1] === 0xbb && text[2] === 0xbf ? 3 : 0;
  while ([0x09, 0x0a, 0x0d, 0x20].includes(text[i] ?? -1)) i++;
  const next = String.fromCharCode(text[i + 1] ?? 0);
  return text[i] === 0x3c && /[!?A-Za-z]/.test(next) ? 'a web page or other markup' : undefined;
}

/** Throws MediaInputError `unsupported-container` when `notMediaSignature` names the file. */
export function checkMediaSignature(head: Uint8Array): void {
  const what = notMediaSignature(head);
  if (what) throw new MediaInputError('unsupported-container', `the file is ${what}, not media`);
}
