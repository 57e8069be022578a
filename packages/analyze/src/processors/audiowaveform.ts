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

export function encodeDat(w: WaveformData, o: EncodeOptions): Buffer {
  const length = check(w, o);
  const header = headerSize(o.version);
  const buf = Buffer.allocUnsafe(header + w.data.length * (o.bits / 8));
  buf.writeInt32LE(o.version, 0);
  buf.writeUInt32LE(o.bits === 8 ? 1 : 0, 4);
  buf.writeInt32LE(w.sampleRate, 8);
  buf.writeInt32LE(w.samplesPerPixel, 12);
  buf.writeUInt32LE(length, 16);
  if (o.version === 2) buf.writeInt32LE(w.channels, 20);
  const d = w.data;
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
 * JSON text as bytes, the numbers written digit by digit: a 10-second window at one sample per
 * pixel has a million of them, and `join(',')` would take several times longer.
 */
export function encodeJson(w: WaveformData, o: EncodeOptions): Buffer {
  const length = check(w, o);
  const head = Buffer.from(
    `{"version":${o.version},` +
      (o.version === 2 ? `"channels":${w.channels},` : '') +
      `"sample_rate":${w.sampleRate},"samples_per_pixel":${w.samplesPerPixel},"bits":${o.bits},"length":${length},"data":[`,
  );
  const d = w.data;
  // At most "-32768," per value.
  const out = Buffer.allocUnsafe(head.length + d.length * 7 + 2);
  head.copy(out);
  let p = head.length;
  const shift = o.bits === 8 ? 8 : 0;
  for (let i = 0; i < d.length; i++) {
    if (i > 0) out[p++] = 0x2c; // ,
    let v = (d[i] as number) >> shift;
    if (v < 0) {
      out[p++] = 0x2d; // -
      v = -v;
    }
    if (v >= 10000) out[p++] = 0x30 + Math.floor(v / 10000);
    if (v >= 1000) out[p++] = 0x30 + (Math.floor(v / 1000) % 10);
    if (v >= 100) out[p++] = 0x30 + (Math.floor(v / 100) % 10);
    if (v >= 10) out[p++] = 0x30 + (Math.floor(v / 10) % 10);
    out[p++] = 0x30 + (v % 10);
  }
  out[p++] = 0x5d; // ]
  out[p++] = 0x7d; // }
  return out.subarray(0, p);
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
