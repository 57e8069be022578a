/**
 * The true-peak interpolator in WebAssembly SIMD: the four phases of BS.1770-4 Annex 2's 48-tap
 * filter side by side in one f32x4, so each input sample costs 12 vector multiply-adds instead of
 * 48 scalar ones. Oversampling is most of the loudness meter's work, and every sample of a
 * programme may pass through it. The module is assembled here, opcode by opcode (no generated file
 * to keep in step); `loudness-meter.test.ts` checks it against the JavaScript loop.
 *
 * peak(p, end, peak): for each input position from byte address p (the first of 12 floats, oldest
 * first) while p < end, stepping one float, the largest |interpolated value| of the four phases,
 * and at least `peak`.
 */

const BLOCK = 0x02;
const LOOP = 0x03;
const VOID = 0x40;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const GET = 0x20;
const SET = 0x21;
const I32_CONST = 0x41;
const I32_GE_U = 0x4f;
const I32_ADD = 0x6a;
const F32_MAX = 0x97;
const SIMD = 0xfd;
const LOAD32_SPLAT = [SIMD, 0x09];
const V128_CONST = [SIMD, 0x0c];
const F32X4_SPLAT = [SIMD, 0x13];
const F32X4_EXTRACT = [SIMD, 0x1f];
const F32X4_ABS = [SIMD, 0xe0, 0x01];
const F32X4_ADD = [SIMD, 0xe4, 0x01];
const F32X4_MUL = [SIMD, 0xe6, 0x01];
const F32X4_MAX = [SIMD, 0xe9, 0x01];

// Parameters and locals.
const P = 0;
const END_PTR = 1;
const PEAK = 2;
const MX = 3;

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

function f32x4(values: readonly number[]): number[] {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return [...V128_CONST, ...bytes];
}

/** Taps per phase. */
const TAPS = 12;

function moduleBytes(phases: readonly (readonly number[])[]): Uint8Array {
  // x[n - k] is at p + 4 (11 - k): tap k of every phase times that sample, summed over k as a
  // tree ((0+1)+(2+3))+... so that the additions do not wait on one another in a chain.
  const product = (k: number) => [
    ...[GET, P, ...LOAD32_SPLAT, 2, ...uleb(4 * (TAPS - 1 - k))],
    ...f32x4(phases.map((phase) => phase[k] as number)),
    ...F32X4_MUL,
  ];
  const quad = (k: number) => [
    ...product(k),
    ...product(k + 1),
    ...F32X4_ADD,
    ...product(k + 2),
    ...product(k + 3),
    ...F32X4_ADD,
    ...F32X4_ADD,
  ];
  const taps = [...quad(0), ...quad(4), ...F32X4_ADD, ...quad(8), ...F32X4_ADD];
  // prettier-ignore
  const body = [
    GET, PEAK, ...F32X4_SPLAT, SET, MX,
    BLOCK, VOID,
    LOOP, VOID,
    GET, P, GET, END_PTR, I32_GE_U, BR_IF, 1,
    ...taps,
    ...F32X4_ABS, GET, MX, ...F32X4_MAX, SET, MX,
    GET, P, I32_CONST, 4, I32_ADD, SET, P,
    BR, 0,
    END,
    END,
    GET, MX, ...F32X4_EXTRACT, 0,
    GET, MX, ...F32X4_EXTRACT, 1, F32_MAX,
    GET, MX, ...F32X4_EXTRACT, 2, F32_MAX,
    GET, MX, ...F32X4_EXTRACT, 3, F32_MAX,
    END,
  ];
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const name = (text: string) => [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
  const I32 = 0x7f;
  const F32 = 0x7d;
  const V128 = 0x7b;
  const code = [...vec([[1, V128]]), ...body];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [F32]]), ...vec([[F32]])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(
      7,
      vec([
        [...name('peak'), 0x00, 0],
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

// WebAssembly is no I/O, but the ES library core compiles against does not declare it.
interface Exports {
  peak(p: number, end: number, peak: number): number;
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Exports };
};

export interface TruePeakKernel {
  /** Channel c's buffer, in the kernel's memory. */
  readonly buffers: Float32Array[];
  /** The largest |oversampled value| for inputs buffers[c][from, to) (from ≥ 11), at least `peak`. */
  peak(c: number, from: number, to: number, peak: number): number;
}

let compiled: object | null | undefined;

/** A kernel with one buffer of `length` floats per channel, or undefined without WebAssembly SIMD. */
export function createTruePeakKernel(
  phases: readonly (readonly number[])[],
  channels: number,
  length: number,
): TruePeakKernel | undefined {
  try {
    if (compiled === undefined) compiled = new WebAssembly.Module(moduleBytes(phases));
    if (compiled === null) return undefined;
    const { memory, peak } = new WebAssembly.Instance(compiled).exports;
    const stride = Math.ceil(length / 4) * 4;
    const bytes = channels * stride * 4;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    const buffers = Array.from(
      { length: channels },
      (_, c) => new Float32Array(memory.buffer, c * stride * 4, length),
    );
    return {
      buffers,
      peak: (c, from, to, current) => {
        const base = c * stride * 4;
        return peak(base + (from - (TAPS - 1)) * 4, base + (to - (TAPS - 1)) * 4, current);
      },
    };
  } catch {
    compiled = null;
    return undefined;
  }
}
