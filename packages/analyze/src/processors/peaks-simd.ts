/**
 * The stereo peak loop in WebAssembly SIMD: eight 16-bit samples (four frames) per instruction,
 * several times faster than the JavaScript loop, which matters because every sample of a
 * programme passes through it. The module is assembled here, opcode by opcode, so there is no
 * generated file to keep in step; `peaks.test.ts` checks it against the JavaScript loop.
 *
 * peaks(in, bins, spp, out): for each of `bins` bins of `spp` frames (spp a multiple of 4) of
 * interleaved stereo s16 at byte offset `in`, writes six int16 at `out`: min and max of the left
 * channel, of the right, and of the mix ((l + r) / 2 truncated toward zero).
 */

// Opcodes (WebAssembly core and SIMD).
const BLOCK = 0x02;
const LOOP = 0x03;
const VOID = 0x40;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const GET = 0x20;
const SET = 0x21;
const TEE = 0x22;
const I32_STORE16 = 0x3b;
const I32_CONST = 0x41;
const I32_EQZ = 0x45;
const I32_LT_U = 0x49;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_SHL = 0x74;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00];
const V128_CONST = [SIMD, 0x0c];
const SHUFFLE = [SIMD, 0x0d];
const I16X8_EXTRACT_S = [SIMD, 0x18];
const I32X4_EXTRACT = [SIMD, 0x1b];
const I32X4_EXTADD_PAIRWISE_I16X8_S = [SIMD, 0x7e];
const I16X8_MIN_S = [SIMD, 0x96, 0x01];
const I16X8_MAX_S = [SIMD, 0x98, 0x01];
const I32X4_SHR_S = [SIMD, 0xac, 0x01];
const I32X4_SHR_U = [SIMD, 0xad, 0x01];
const I32X4_ADD = [SIMD, 0xae, 0x01];
const I32X4_MIN_S = [SIMD, 0xb6, 0x01];
const I32X4_MAX_S = [SIMD, 0xb8, 0x01];

// Parameters and locals.
const IN = 0;
const BINS = 1;
const SPP = 2;
const OUT = 3;
const END_PTR = 4;
const V = 5;
const S = 6;
const LR_MIN = 7;
const LR_MAX = 8;
const M_MIN = 9;
const M_MAX = 10;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const i32 = (n: number) => [I32_CONST, ...sleb(n)];
const splat16 = (v: number) => [
  ...V128_CONST,
  ...Array.from({ length: 8 }, () => [v & 0xff, (v >> 8) & 0xff]).flat(),
];
const splat32 = (v: number) => [
  ...V128_CONST,
  ...Array.from({ length: 4 }, () => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff]).flat(),
];
/** Swap the 64-bit halves; then the 32-bit quarters within each half. */
const SWAP64 = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
const SWAP32 = [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11];
/** local = op(local, shuffle(local)), twice: lane 0 (and 1 for i16 pairs) then hold the result. */
const fold = (local: number, op: number[]) =>
  [SWAP64, SWAP32].flatMap((lanes) => [
    GET,
    local,
    GET,
    local,
    GET,
    local,
    ...SHUFFLE,
    ...lanes,
    ...op,
    SET,
    local,
  ]);
const store16 = (offset: number, value: number[]) => [GET, OUT, ...value, I32_STORE16, 1, ...uleb(offset)];

// prettier-ignore
const body = [
  BLOCK, VOID,
  LOOP, VOID,
  GET, BINS, I32_EQZ, BR_IF, 1,
  ...splat16(32767), SET, LR_MIN,
  ...splat16(-32768), SET, LR_MAX,
  ...splat32(32767), SET, M_MIN,
  ...splat32(-32768), SET, M_MAX,
  GET, IN, GET, SPP, ...i32(2), I32_SHL, I32_ADD, SET, END_PTR,
  LOOP, VOID,
  GET, IN, ...V128_LOAD, 0, 0, TEE, V,
  GET, LR_MIN, ...I16X8_MIN_S, SET, LR_MIN,
  GET, V, GET, LR_MAX, ...I16X8_MAX_S, SET, LR_MAX,
  // The mix: pairwise sums as i32, halved toward zero: (s + (s >>> 31)) >> 1.
  GET, V, ...I32X4_EXTADD_PAIRWISE_I16X8_S, TEE, S,
  GET, S, ...i32(31), ...I32X4_SHR_U, ...I32X4_ADD, ...i32(1), ...I32X4_SHR_S, TEE, S,
  GET, M_MIN, ...I32X4_MIN_S, SET, M_MIN,
  GET, S, GET, M_MAX, ...I32X4_MAX_S, SET, M_MAX,
  GET, IN, ...i32(16), I32_ADD, TEE, IN,
  GET, END_PTR, I32_LT_U, BR_IF, 0,
  END,
  ...fold(LR_MIN, I16X8_MIN_S),
  ...fold(LR_MAX, I16X8_MAX_S),
  ...fold(M_MIN, I32X4_MIN_S),
  ...fold(M_MAX, I32X4_MAX_S),
  ...store16(0, [GET, LR_MIN, ...I16X8_EXTRACT_S, 0]),
  ...store16(2, [GET, LR_MAX, ...I16X8_EXTRACT_S, 0]),
  ...store16(4, [GET, LR_MIN, ...I16X8_EXTRACT_S, 1]),
  ...store16(6, [GET, LR_MAX, ...I16X8_EXTRACT_S, 1]),
  ...store16(8, [GET, M_MIN, ...I32X4_EXTRACT, 0]),
  ...store16(10, [GET, M_MAX, ...I32X4_EXTRACT, 0]),
  GET, OUT, ...i32(12), I32_ADD, SET, OUT,
  GET, BINS, ...i32(1), I32_SUB, SET, BINS,
  BR, 0,
  END,
  END,
  END,
];

const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (text: string) => [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];

const I32 = 0x7f;
const V128 = 0x7b;
const locals = vec([
  [1, I32],
  [6, V128],
]);
const code = [...locals, ...body];

const MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([])]])),
  ...section(3, vec([[0]])),
  ...section(5, vec([[0x00, 1]])),
  ...section(
    7,
    vec([
      [...name('peaks'), 0x00, 0],
      [...name('memory'), 0x02, 0],
    ]),
  ),
  ...section(10, vec([[...uleb(code.length), ...code]])),
]);

// Node has WebAssembly, but the ES library this project compiles against does not declare it.
interface Exports {
  peaks(input: number, bins: number, spp: number, out: number): void;
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Exports };
};

export interface StereoPeaks {
  /**
   * Peaks of `bins` bins of `spp` frames (a multiple of 4) from interleaved stereo `samples` at
   * sample index `from`; answers six values per bin (left, right and mix, min and max each),
   * valid until the next call.
   */
  run(samples: Int16Array, from: number, bins: number, spp: number): Int16Array;
}

/** The SIMD kernel, or undefined where WebAssembly SIMD is not available. */
export function createStereoPeaks(): StereoPeaks | undefined {
  let exports: Exports;
  try {
    exports = new WebAssembly.Instance(new WebAssembly.Module(MODULE)).exports;
  } catch {
    return undefined;
  }
  const { memory, peaks } = exports;
  return {
    run(samples, from, bins, spp) {
      const inBytes = bins * spp * 4;
      const outBytes = bins * 12;
      const need = inBytes + outBytes;
      if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
      new Int16Array(memory.buffer, 0, inBytes / 2).set(samples.subarray(from, from + inBytes / 2));
      peaks(0, bins, spp, inBytes);
      return new Int16Array(memory.buffer, inBytes, bins * 6);
    },
  };
}
