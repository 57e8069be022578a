/**
 * The BBC audiowaveform data formats (binary `.dat` and JSON, versions 1 and 2, 8 or 16 bits),
 * which the `waveform-data` library and peaks.js read. Pure: no I/O.
 *
 * Binary layout, little-endian: int32 version, uint32 flags (bit 0 set = 8-bit), int32 sample rate,
 * int32 samples per pixel, uint32 length (pixels), then in version 2 int32 channels; then for each
 * pixel, for each channel, min and max (int8 or int16).
 */
import { endianness } from 'node:os';

export type WaveformBits = 8 | 16;
export type WaveformVersion = 1 | 2;

export interface WaveformData {
  sampleRate: number;
  samplesPerPixel: number;
  /** Series per pixel (channels of the output). */
  channels: number;
  /** [pixel][channel][min, max], 16-bit values. */
  data: Int16Array;
}

export interface EncodeOptions {
  bits: WaveformBits;
  version: WaveformVersion;
}

export class WaveformFormatError extends Error {}

export interface WaveformJson {
  version: WaveformVersion;
  channels?: number;
  sample_rate: number;
  samples_per_pixel: number;
  bits: WaveformBits;
  length: number;
  data: number[];
}

function check(w: WaveformData, o: EncodeOptions): number {
  if (o.version === 1 && w.channels !== 1) {
    throw new WaveformFormatError('version 1 holds one channel only; use version 2 for several channels');
  }
  return w.data.length / (w.channels * 2);
}

/** 16-bit values become 8-bit as audiowaveform does: the high byte (an arithmetic shift). */
const to8 = (v: number) => v >> 8;

export function headerSize(version: WaveformVersion): number {
  return version === 2 ? 24 : 20;
}

/** Room for the largest `.dat` header (version 2) before peaks made by `allocatePeaks`. */
const DAT_HEADROOM = 24;
/** Memory made by `allocatePeaks` whose room before the peaks no `.dat` has used yet. */
const roomBefore = new WeakSet<ArrayBufferLike>();

/**
 * Storage for `values` 16-bit peak values with room for a `.dat` header before it: `encodeDat` of
 * peaks held there (or in a view of it) writes its header into that room and answers the same
 * memory, so a window's peaks are written once, where the answer is sent from.
 */
export function allocatePeaks(values: number): Int16Array {
  const memory = new ArrayBuffer(DAT_HEADROOM + values * 2);
  roomBefore.add(memory);
  return new Int16Array(memory, DAT_HEADROOM, values);
}

export function encodeDat(w: WaveformData, o: EncodeOptions): Buffer {
  const length = check(w, o);
  const header = headerSize(o.version);
  const d = w.data;
  if (o.bits === 16 && d.byteOffset === DAT_HEADROOM && roomBefore.has(d.buffer) && endianness() === 'LE') {
    // The header goes just before the peaks, once: a second `.dat` of the same peaks is a copy, so
    // the first answer stays as it was.
    roomBefore.delete(d.buffer);
    const buf = Buffer.from(d.buffer, DAT_HEADROOM - header, header + d.byteLength);
    writeDatHeader(buf, w, o, length);
    return buf;
  }
  const buf = Buffer.allocUnsafe(header + d.length * (o.bits / 8));
  writeDatHeader(buf, w, o, length);
  if (o.bits === 8) {
    const out = new Int8Array(buf.buffer, buf.byteOffset + header, d.length);
    for (let i = 0; i < d.length; i++) out[i] = to8(d[i] as number);
  } else if (buf.byteOffset % 2 === 0 && endianness() === 'LE') {
    new Int16Array(buf.buffer, buf.byteOffset + header, d.length).set(d);
  } else {
    for (let i = 0; i < d.length; i++) buf.writeInt16LE(d[i] as number, header + i * 2);
  }
  return buf;
}

function writeDatHeader(buf: Buffer, w: WaveformData, o: EncodeOptions, length: number): void {
  buf.writeInt32LE(o.version, 0);
  buf.writeUInt32LE(o.bits === 8 ? 1 : 0, 4);
  buf.writeInt32LE(w.sampleRate, 8);
  buf.writeInt32LE(w.samplesPerPixel, 12);
  buf.writeUInt32LE(length, 16);
  if (o.version === 2) buf.writeInt32LE(w.channels, 20);
}

export function toJson(w: WaveformData, o: EncodeOptions): WaveformJson {
  const length = check(w, o);
  const data = o.bits === 8 ? Array.from(w.data, to8) : Array.from(w.data);
  return {
    version: o.version,
    ...(o.version === 2 ? { channels: w.channels } : {}),
    sample_rate: w.sampleRate,
    samples_per_pixel: w.samplesPerPixel,
    bits: o.bits,
    length,
    data,
  };
}

/**
 * Each 16-bit value's JSON text and a comma ("-32768," at most), as two little-endian 32-bit words,
 * and its length: a number is written with two 32-bit stores (the next number overwrites the spare
 * bytes).
 */
const TEXT_LO = new Uint32Array(65536);
const TEXT_HI = new Uint32Array(65536);
const TEXT_LENGTH = new Uint8Array(65536);
for (let v = -32768; v < 32768; v++) {
  const text = `${v},`;
  const bytes = new Uint8Array(8);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const words = new DataView(bytes.buffer);
  TEXT_LO[v & 0xffff] = words.getUint32(0, true);
  TEXT_HI[v & 0xffff] = words.getUint32(4, true);
  TEXT_LENGTH[v & 0xffff] = text.length;
}

/**
 * JSON text written straight into one buffer, each number copied from a table: a 10-second window
 * at one sample per pixel has a million of them, and neither `join(',')` nor `JSON.stringify` (a
 * string per number) comes close.
 */
export function encodeJson(w: WaveformData, o: EncodeOptions): Buffer {
  const length = check(w, o);
  const head = Buffer.from(
    `{"version":${o.version},` +
      (o.version === 2 ? `"channels":${w.channels},` : '') +
      `"sample_rate":${w.sampleRate},"samples_per_pixel":${w.samplesPerPixel},"bits":${o.bits},"length":${length},"data":[`,
  );
  const d = w.data;
  // At most "-32768," per value, and a spare word for the last one's second store.
  const out = new Uint8Array(head.length + d.length * 7 + 8);
  out.set(head);
  const view = new DataView(out.buffer);
  let p = head.length;
  const shift = o.bits === 8 ? 8 : 0;
  for (let i = 0; i < d.length; i++) {
    const k = ((d[i] as number) >> shift) & 0xffff;
    view.setUint32(p, TEXT_LO[k] as number, true);
    view.setUint32(p + 4, TEXT_HI[k] as number, true);
    p += TEXT_LENGTH[k] as number;
  }
  if (d.length > 0) p--; // the last comma
  out[p++] = 0x5d; // ]
  out[p++] = 0x7d; // }
  return Buffer.from(out.buffer, 0, p);
}

/** Reads a `.dat` (v1 or v2) back; for tests and tools. */
export function decodeDat(buf: Uint8Array): WaveformData & { bits: WaveformBits; version: WaveformVersion } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = view.getInt32(0, true);
  if (version !== 1 && version !== 2) throw new WaveformFormatError(`unknown version ${version}`);
  const bits: WaveformBits = view.getUint32(4, true) & 1 ? 8 : 16;
  const length = view.getUint32(16, true);
  const channels = version === 2 ? view.getInt32(20, true) : 1;
  const header = headerSize(version);
  const data = new Int16Array(length * channels * 2);
  for (let i = 0; i < data.length; i++) {
    data[i] = bits === 8 ? view.getInt8(header + i) : view.getInt16(header + i * 2, true);
  }
  return {
    version,
    bits,
    sampleRate: view.getInt32(8, true),
    samplesPerPixel: view.getInt32(12, true),
    channels,
    data,
  };
}
