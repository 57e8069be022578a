/**
 * The loudness meter's per-sample work in WebAssembly SIMD, one module assembled here, opcode by
 * opcode (no generated file to keep in step); `loudness-meter.test.ts` checks both functions
 * against the JavaScript loops.
 *
 * peak(p, end, peak, bound): the true-peak interpolator. The four phases of BS.1770-4 Annex 2's
 * 48-tap filter side by side in one f32x4, so each input sample costs 12 vector multiply-adds
 * instead of 48 scalar ones. For each input position from byte address p (the first of 12 floats,
 * oldest first) while p < end, stepping one float, the largest |interpolated value| of the four
 * phases, and at least `peak`. With a bound (≥ 0: at least every |input| read), four positions
 * at a time are skipped when `interpolationBound` shows that none can exceed `peak`: their two
 * middle inputs are under a level set by the largest second difference in the inputs.
 *
 * weigh(in, n, frameBytes, x0, x1, loud, st, blocks): everything else a 16-bit sample costs, for
 * a pair of channels of n interleaved frames (`frameBytes` apart) from `in`, in two passes. The
 * first takes four frames at a time (the caller pads the input to whole fours with silence): the
 * pair's samples are scaled to full scale and stored as floats at x0 and x1 (for the
 * interpolator), their magnitudes raise the sample peaks and mark a frame loud (a byte at `loud`,
 * ORed with what the pairs before marked) when either channel reaches its silence threshold, their
 * squares are summed exactly in integers, and for each WEIGH_BLOCK frames of the call (the last
 * maybe fewer) the largest |sample| of each channel is written as an f64x2 at `blocks`: the bound
 * the true-peak skip needs, so that no JavaScript loop reads the samples again. The second runs the
 * two K-weighting biquads frame by frame on those floats, the two channels as the lanes of an
 * f64x2, in doubles, the same operations in the same order as the JavaScript loop (so the same
 * figures), summing the weighted energy. `st` holds the pair's state and settings, see WEIGH_STATE.
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
const F32_CONST = 0x43;
const F64_LOAD = 0x2b;
const I32_LOAD = 0x28;
const I32_STORE = 0x36;
const I32_OR = 0x72;
const I32_POPCNT = 0x69;
const ELSE = 0x05;
const V128_TYPE = 0x7b;
const F64_ADD = 0xa0;
const F64_MUL = 0xa2;
const F32_DEMOTE_F64 = 0xb6;
const F64_CONVERT_I64_U = 0xba;
const I32_SHL = 0x74;
const F32_GE = 0x60;
const F32_SUB = 0x93;
const F32_MUL = 0x94;
const F32_DIV = 0x95;
const SELECT = 0x1b;
const GLOBAL_GET = 0x23;
const GLOBAL_SET = 0x24;
const I32_LT_U = 0x49;
const I32_SUB = 0x6b;
const I32_SHR_U = 0x76;
const I32_EQ = 0x46;
const IF = 0x04;
const I32_GE_U = 0x4f;
const I32_ADD = 0x6a;
const F32_MAX = 0x97;
const I32_MUL = 0x6c;
const TEE = 0x22;
const F64_STORE = 0x39;
const F64_CONVERT_I32_U = 0xb8;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00];
const LOAD32_SPLAT = [SIMD, 0x09];
const V128_STORE = [SIMD, 0x0b];
const V128_CONST = [SIMD, 0x0c];
const V128_ANY_TRUE = [SIMD, 0x53];
const I32X4_EXTEND_LOW_I16X8_S = [SIMD, 0xa7, 0x01];
const F64X2_ADD = [SIMD, 0xf0, 0x01];
const F64X2_SUB = [SIMD, 0xf1, 0x01];
const F64X2_MUL = [SIMD, 0xf2, 0x01];
const F64X2_MAX = [SIMD, 0xf5, 0x01];
const F32X4_SPLAT = [SIMD, 0x13];
const SHUFFLE = [SIMD, 0x0d];
const F32X4_GT = [SIMD, 0x44];
const F32X4_SUB = [SIMD, 0xe5, 0x01];
const F32X4_GE = [SIMD, 0x46];
const V128_LOAD32_ZERO = [SIMD, 0x5c];
const V128_LOAD32_LANE = [SIMD, 0x56];
const V128_OR = [SIMD, 0x50];
const I64X2_EXTRACT = [SIMD, 0x1d];
const F64X2_EXTRACT = [SIMD, 0x21];
const I32X4_EXTRACT = [SIMD, 0x1b];
const F64X2_PROMOTE_LOW_F32X4 = [SIMD, 0x5f];
const I8X16_ABS = [SIMD, 0x60];
const I8X16_NARROW_I16X8_S = [SIMD, 0x65];
const I16X8_NARROW_I32X4_S = [SIMD, 0x85, 0x01];
const I32X4_EXTEND_HIGH_I16X8_S = [SIMD, 0xa8, 0x01];
const I32X4_DOT_I16X8_S = [SIMD, 0xba, 0x01];
const I64X2_EXTEND_LOW_I32X4_U = [SIMD, 0xc9, 0x01];
const I64X2_EXTEND_HIGH_I32X4_U = [SIMD, 0xca, 0x01];
const I64X2_ADD = [SIMD, 0xce, 0x01];
const F32X4_CONVERT_I32X4_S = [SIMD, 0xfa, 0x01];
const F32X4_EXTRACT = [SIMD, 0x1f];
const F32X4_ABS = [SIMD, 0xe0, 0x01];
const F32X4_ADD = [SIMD, 0xe4, 0x01];
const F32X4_MUL = [SIMD, 0xe6, 0x01];
const F32X4_MAX = [SIMD, 0xe9, 0x01];

// peak's parameters, then its locals.
const P = 0;
const END_PTR = 1;
const PEAK = 2;
const BOUND = 3;
const Q = 4;
const R = 5;
const GROUP_END = 6;
const MX = 7;
const TAU = 8;
const D = 9;

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

/**
 * How far the interpolator's output can rise above its two middle inputs. Each phase's taps
 * (applied to a window w0..w11, oldest first) are split into a linear part on w5 and w6, which
 * keeps the phase's sum and first moment, and what is left, which has neither and so is a
 * weighted sum of the window's second differences w[i-1] - 2 w[i] + w[i+1] (i = 1..10). Then
 * |output| ≤ linear · max(|w5|, |w6|) + curvature · max |second difference|: on a smooth signal
 * only the outputs beside its largest samples can raise a true peak.
 */
export function interpolationBound(phases: readonly (readonly number[])[]): {
  linear: number;
  curvature: number;
} {
  let linear = 0;
  let curvature = 0;
  for (const taps of phases) {
    const w = Array.from({ length: TAPS }, (_, j) => taps[TAPS - 1 - j] as number);
    const sum = w.reduce((a, v) => a + v, 0);
    const moment = w.reduce((a, v, j) => a + v * j, 0);
    const b = moment - 5 * sum;
    const a = sum - b;
    const rest = w.map((v, j) => v - (j === 5 ? a : j === 6 ? b : 0));
    // rest = Σ e[i] (δ[i-1] - 2 δ[i] + δ[i+1]); solved from the oldest tap on.
    const e = new Array<number>(TAPS + 1).fill(0);
    e[1] = rest[0] as number;
    for (let j = 1; j < TAPS - 1; j++)
      e[j + 1] = (rest[j] as number) + 2 * (e[j] as number) - (e[j - 1] as number);
    linear = Math.max(linear, Math.abs(a) + Math.abs(b));
    curvature = Math.max(
      curvature,
      e.reduce((acc, v) => acc + Math.abs(v), 0),
    );
  }
  return { linear, curvature };
}

/** Relative room for rounding in the single-precision sums and in the bound itself. */
const BOUND_MARGIN = 2 ** -14;

/**
 * weigh's block at `st`, in f64x2 slots (16 bytes; lane 0 the first channel, lane 1 the second):
 * the filter state, the sample peaks, then what one call sums from zero (squares and weighted
 * energy), then settings that the caller writes to both lanes.
 */
export const WEIGH_STATE = {
  z1: 0,
  z2: 1,
  w1: 2,
  w2: 3,
  peak: 4,
  squares: 5,
  energy: 6,
  b0: 7,
  q1: 8,
  q2: 9,
  a1: 10,
  a2: 11,
  c1: 12,
  c2: 13,
  m1: 14,
  n2: 15,
  /** The silence threshold, rounded up to a multiple of `scale` (a frame is loud at or over it). */
  threshold: 16,
  scale: 17,
  /** Lane 0: how many of the call's frames were loud. */
  louds: 18,
  slots: 19,
} as const;

/** Frames per block of weigh's per-block sample peaks (the true-peak skip's block). */
export const WEIGH_BLOCK = 32;
if (WEIGH_BLOCK % 4) throw new Error('weigh takes frames four at a time');

// weigh's parameters, then its locals: a moving input address, its end, the four-frame steps
// into the block under way, then one v128 per name below.
const IN = 0;
const N = 1;
const FB = 2;
const X0 = 3;
const X1 = 4;
const LOUD = 5;
const ST = 6;
const BLOCKS = 7;
const AT = 8;
const AT_END = 9;
const IN_BLOCK = 10;
const GATHER = 11;
const P0 = 12;
const P1 = 13;
const BYTES = 14;
const LOUDS = 15;
const V128_LOCALS = [
  // Four frames at a time: both channels' samples, their magnitudes, peaks and squares.
  'pair',
  'left',
  'right',
  'aLeft',
  'aRight',
  'bpLeft',
  'bpRight',
  'loud',
  'sqLeft',
  'sqRight',
  'scale4',
  'thresholdLeft',
  'thresholdRight',
  'peak',
  // One frame at a time: the K-weighting, both channels as an f64x2.
  'z1',
  'z2',
  'w1',
  'w2',
  'energy',
  'b0',
  'q1',
  'q2',
  'a1',
  'a2',
  'c1',
  'c2',
  'm1',
  'n2',
  'scale',
  'v',
  'y',
  'u',
  't',
] as const;
const L = Object.fromEntries(V128_LOCALS.map((name, i) => [name, LOUDS + 1 + i])) as Record<
  (typeof V128_LOCALS)[number],
  number
>;

/** Four lanes of two v128s, by lane number (0-3 the first's, 4-7 the second's), as a shuffle. */
function lanes32(...picks: number[]): number[] {
  return [...SHUFFLE, ...picks.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3])];
}

function weighBody(): number[] {
  const slot = (name: keyof typeof WEIGH_STATE) => uleb(16 * WEIGH_STATE[name]);
  const load = (name: keyof typeof WEIGH_STATE & keyof typeof L) => [
    ...[GET, ST, ...V128_LOAD, 3, ...slot(name)],
    ...[SET, L[name]],
  ];
  const store = (name: keyof typeof WEIGH_STATE & keyof typeof L) => [
    ...[GET, ST, GET, L[name], ...V128_STORE, 3, ...slot(name)],
  ];
  // A setting's lane as four floats.
  const float4 = (name: keyof typeof WEIGH_STATE, lane: number, local: number) => [
    ...[GET, ST, F64_LOAD, 3, ...uleb(16 * WEIGH_STATE[name] + 8 * lane), F32_DEMOTE_F64],
    ...[...F32X4_SPLAT, SET, local],
  ];
  const get = (name: keyof typeof L) => [GET, L[name]];
  const mul = (a: keyof typeof L, b: keyof typeof L) => [...get(a), ...get(b), ...F64X2_MUL];
  const zero = (name: keyof typeof L) => [...V128_CONST, ...new Array<number>(16).fill(0), SET, L[name]];
  const advance = (local: number, by: number) => [GET, local, I32_CONST, by, I32_ADD, SET, local];
  const kept = ['z1', 'z2', 'w1', 'w2', 'peak'] as const;
  const settings = ['b0', 'q1', 'q2', 'a1', 'a2', 'c1', 'c2', 'm1', 'n2', 'scale'] as const;
  // Both channels' block peaks as the f64x2 [left, right], stored at BLOCKS, which then moves on;
  // the call's sample peaks rise with them.
  const endBlock = [
    ...[GET, L.bpLeft, GET, L.bpRight, ...lanes32(0, 1, 4, 5)],
    ...[GET, L.bpLeft, GET, L.bpRight, ...lanes32(2, 3, 6, 7), ...F32X4_MAX, SET, L.t],
    ...[GET, L.t, GET, L.t, ...lanes32(1, 0, 3, 2), GET, L.t, ...F32X4_MAX, SET, L.t],
    ...[GET, L.t, GET, L.t, ...lanes32(0, 2, 0, 2), ...F64X2_PROMOTE_LOW_F32X4, SET, L.t],
    ...[GET, BLOCKS, GET, L.t, ...V128_STORE, 3, 0],
    ...advance(BLOCKS, 16),
    ...[GET, L.peak, GET, L.t, ...F64X2_MAX, SET, L.peak],
    ...zero('bpLeft'),
    ...zero('bpRight'),
  ];
  // An i64x2 lane as a double, times scale twice (16-bit squares to full scale).
  const squareSum = (local: number, lane: number) => [
    ...[GET, local, ...I64X2_EXTRACT, lane, F64_CONVERT_I64_U],
  ];
  const squares = (local: number) => [
    ...squareSum(local, 0),
    ...squareSum(local, 1),
    F64_ADD,
    ...[GET, L.scale, ...F64X2_EXTRACT, 0, F64_MUL, GET, L.scale, ...F64X2_EXTRACT, 0, F64_MUL],
  ];
  // prettier-ignore
  return [
    ...[...kept, ...settings].flatMap(load),
    ...float4('scale', 0, L.scale4),
    ...float4('threshold', 0, L.thresholdLeft),
    ...float4('threshold', 1, L.thresholdRight),
    GET, X0, SET, P0,
    GET, X1, SET, P1,
    // Four frames at a time (the caller pads the input with silence to a multiple of four): the
    // floats for the interpolator, peaks, loud frames and squares.
    GET, IN, SET, AT,
    GET, IN, GET, N, I32_CONST, 3, I32_ADD, I32_CONST, 2, I32_SHR_U, GET, FB, I32_MUL, I32_CONST, 2, I32_SHL, I32_ADD, SET, AT_END,
    BLOCK, VOID,
    LOOP, VOID,
    GET, AT, GET, AT_END, I32_GE_U, BR_IF, 1,
    // [l0 r0 l1 r1 l2 r2 l3 r3]: four frames of the pair, at once when they are the only channels.
    GET, FB, I32_CONST, 4, I32_EQ,
    IF, V128_TYPE,
    GET, AT, ...V128_LOAD, 1, 0,
    ELSE,
    GET, AT, ...V128_LOAD32_ZERO, 1, 0, SET, L.pair,
    GET, AT, GET, FB, I32_ADD, TEE, GATHER, GET, L.pair, ...V128_LOAD32_LANE, 1, 0, 1, SET, L.pair,
    GET, GATHER, GET, FB, I32_ADD, TEE, GATHER, GET, L.pair, ...V128_LOAD32_LANE, 1, 0, 2, SET, L.pair,
    GET, GATHER, GET, FB, I32_ADD, GET, L.pair, ...V128_LOAD32_LANE, 1, 0, 3,
    END,
    // [l0 l1 l2 l3 r0 r1 r2 r3]
    TEE, L.pair, GET, L.pair,
    ...SHUFFLE, 0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15, SET, L.pair,
    GET, L.pair, ...I32X4_EXTEND_LOW_I16X8_S, ...F32X4_CONVERT_I32X4_S, GET, L.scale4, ...F32X4_MUL, SET, L.left,
    GET, L.pair, ...I32X4_EXTEND_HIGH_I16X8_S, ...F32X4_CONVERT_I32X4_S, GET, L.scale4, ...F32X4_MUL, SET, L.right,
    GET, X0, GET, L.left, ...V128_STORE, 2, 0,
    GET, X1, GET, L.right, ...V128_STORE, 2, 0,
    GET, L.left, ...F32X4_ABS, SET, L.aLeft,
    GET, L.right, ...F32X4_ABS, SET, L.aRight,
    GET, L.bpLeft, GET, L.aLeft, ...F32X4_MAX, SET, L.bpLeft,
    GET, L.bpRight, GET, L.aRight, ...F32X4_MAX, SET, L.bpRight,
    // A frame is loud when a channel reaches its threshold: a byte of 1, added to what the pairs
    // before marked, and counted.
    GET, L.aLeft, GET, L.thresholdLeft, ...F32X4_GE, GET, L.aRight, GET, L.thresholdRight, ...F32X4_GE,
    ...V128_OR, SET, L.loud,
    GET, L.loud, GET, L.loud, ...I16X8_NARROW_I32X4_S, GET, L.loud, GET, L.loud, ...I16X8_NARROW_I32X4_S,
    ...I8X16_NARROW_I16X8_S, ...I8X16_ABS, ...I32X4_EXTRACT, 0,
    GET, LOUD, I32_LOAD, 2, 0, I32_OR, SET, BYTES,
    GET, LOUD, GET, BYTES, I32_STORE, 2, 0,
    GET, LOUDS, GET, BYTES, I32_POPCNT, I32_ADD, SET, LOUDS,
    // Squares of 16-bit samples, summed exactly: l0² + l1², l2² + l3², r0² + r1², r2² + r3².
    GET, L.pair, GET, L.pair, ...I32X4_DOT_I16X8_S, SET, L.t,
    GET, L.sqLeft, GET, L.t, ...I64X2_EXTEND_LOW_I32X4_U, ...I64X2_ADD, SET, L.sqLeft,
    GET, L.sqRight, GET, L.t, ...I64X2_EXTEND_HIGH_I32X4_U, ...I64X2_ADD, SET, L.sqRight,
    GET, AT, GET, FB, I32_CONST, 2, I32_SHL, I32_ADD, SET, AT,
    ...advance(X0, 16), ...advance(X1, 16), ...advance(LOUD, 4),
    GET, IN_BLOCK, I32_CONST, 1, I32_ADD, TEE, IN_BLOCK, I32_CONST, WEIGH_BLOCK / 4, I32_EQ,
    IF, VOID, ...endBlock, I32_CONST, 0, SET, IN_BLOCK, END,
    BR, 0,
    END,
    END,
    // The last block's peaks, if the frames did not end on a block.
    GET, IN_BLOCK, IF, VOID, ...endBlock, END,
    GET, ST, ...squares(L.sqLeft), F64_STORE, 3, ...slot('squares'),
    GET, ST, ...squares(L.sqRight), F64_STORE, 3, ...uleb(16 * WEIGH_STATE.squares + 8),
    GET, ST, GET, LOUDS, F64_CONVERT_I32_U, F64_STORE, 3, ...slot('louds'),
    // Frame by frame, both channels in an f64x2: the K-weighting, with y and u substituted into the
    // state updates so that each state waits on its own last value through one multiply and one add.
    GET, P0, GET, N, I32_CONST, 2, I32_SHL, I32_ADD, SET, AT_END,
    BLOCK, VOID,
    LOOP, VOID,
    GET, P0, GET, AT_END, I32_GE_U, BR_IF, 1,
    // [left, right] from the floats the first pass stored (scaled already, exactly).
    GET, P0, ...V128_LOAD32_ZERO, 2, 0, SET, L.v,
    GET, P1, GET, L.v, ...V128_LOAD32_LANE, 2, 0, 1, ...F64X2_PROMOTE_LOW_F32X4, SET, L.v,
    // y = b0 v + z1; t = z1; z1 = q1 v + z2 - a1 t; z2 = q2 v - a2 t
    ...mul('b0', 'v'), ...get('z1'), ...F64X2_ADD, SET, L.y,
    ...get('z1'), SET, L.t,
    ...mul('q1', 'v'), ...get('z2'), ...F64X2_ADD, ...mul('a1', 't'), ...F64X2_SUB, SET, L.z1,
    ...mul('q2', 'v'), ...mul('a2', 't'), ...F64X2_SUB, SET, L.z2,
    // u = y + w1; t = w1; w1 = m1 y + w2 - c1 t; w2 = n2 y - c2 t
    ...get('y'), ...get('w1'), ...F64X2_ADD, SET, L.u,
    ...get('w1'), SET, L.t,
    ...mul('m1', 'y'), ...get('w2'), ...F64X2_ADD, ...mul('c1', 't'), ...F64X2_SUB, SET, L.w1,
    ...mul('n2', 'y'), ...mul('c2', 't'), ...F64X2_SUB, SET, L.w2,
    ...get('energy'), ...mul('u', 'u'), ...F64X2_ADD, SET, L.energy,
    ...advance(P0, 4), ...advance(P1, 4),
    BR, 0,
    END,
    END,
    ...[...kept, 'energy' as const].flatMap(store),
    END,
  ];
}

function moduleBytes(phases: readonly (readonly number[])[]): Uint8Array {
  // x[n - k] is at r + 4 (11 - k): tap k of every phase times that sample, summed over k as a
  // tree ((0+1)+(2+3))+... so that the additions do not wait on one another in a chain.
  const product = (k: number) => [
    ...[GET, R, ...LOAD32_SPLAT, 2, ...uleb(4 * (TAPS - 1 - k))],
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
  const { linear, curvature } = interpolationBound(phases);
  const f32 = (v: number) => {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, v, true);
    return [F32_CONST, ...bytes];
  };
  const load = (local: number, offset: number) => [GET, local, ...V128_LOAD, 2, ...uleb(offset)];
  // |second differences| of the four inputs from j + 4 (bytes), raising D.
  const curve = (j: number[]) => [
    ...[...j, ...V128_LOAD, 2, 0, ...j, ...V128_LOAD, 2, 8, ...F32X4_ADD],
    ...[...j, ...V128_LOAD, 2, 4, ...j, ...V128_LOAD, 2, 4, ...F32X4_ADD],
    ...[...F32X4_SUB, ...F32X4_ABS, GET, D, ...F32X4_MAX, SET, D],
  ];
  const widest = (local: number, lanes: number[]) => [
    ...[
      GET,
      local,
      GET,
      local,
      ...SHUFFLE,
      ...lanes.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]),
    ],
    ...[GET, local, ...F32X4_MAX, SET, local],
  ];
  // prettier-ignore
  const body = [
    GET, PEAK, ...F32X4_SPLAT, SET, MX,
    ...f32(-1), ...F32X4_SPLAT, SET, TAU,
    // With a bound, tau: the largest middle input that cannot raise the peak, given the largest
    // second difference anywhere in the inputs (windows from p to end read up to end + 10).
    GET, BOUND, ...f32(0), F32_GE, IF, VOID,
    GET, P, SET, Q,
    BLOCK, VOID,
    LOOP, VOID,
    GET, Q, GET, END_PTR, I32_CONST, 20, I32_ADD, I32_GE_U, BR_IF, 1,
    ...curve([GET, Q]),
    GET, Q, I32_CONST, 16, I32_ADD, SET, Q,
    BR, 0,
    END,
    END,
    ...curve([GET, END_PTR, I32_CONST, 20, I32_ADD]),
    ...widest(D, [2, 3, 0, 1]),
    ...widest(D, [1, 0, 3, 2]),
    GET, PEAK, ...f32(1 - BOUND_MARGIN), F32_MUL,
    GET, BOUND, ...f32(BOUND_MARGIN), F32_MUL, F32_SUB,
    GET, D, ...F32X4_EXTRACT, 0, ...f32(curvature * (1 + BOUND_MARGIN)), F32_MUL, F32_SUB,
    ...f32(linear * (1 + BOUND_MARGIN)), F32_DIV,
    ...F32X4_SPLAT, SET, TAU,
    END,
    // Four outputs at a time: oversampled only if a middle input is over tau.
    GET, P, SET, Q,
    BLOCK, VOID,
    LOOP, VOID,
    GET, Q, GET, END_PTR, I32_GE_U, BR_IF, 1,
    ...load(Q, 20), ...F32X4_ABS, ...load(Q, 24), ...F32X4_ABS, ...F32X4_MAX,
    GET, TAU, ...F32X4_GT, ...V128_ANY_TRUE,
    IF, VOID,
    GET, Q, I32_CONST, 16, I32_ADD, TEE, GROUP_END, GET, END_PTR,
    GET, GROUP_END, GET, END_PTR, I32_LT_U, SELECT, SET, GROUP_END,
    GLOBAL_GET, 0, GET, GROUP_END, GET, Q, I32_SUB, I32_CONST, 2, I32_SHR_U, I32_ADD, GLOBAL_SET, 0,
    GET, Q, SET, R,
    BLOCK, VOID,
    LOOP, VOID,
    GET, R, GET, GROUP_END, I32_GE_U, BR_IF, 1,
    ...taps,
    ...F32X4_ABS, GET, MX, ...F32X4_MAX, SET, MX,
    GET, R, I32_CONST, 4, I32_ADD, SET, R,
    BR, 0,
    END,
    END,
    END,
    GET, Q, I32_CONST, 16, I32_ADD, SET, Q,
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
  const code = [
    ...vec([
      [3, I32],
      [3, V128],
    ]),
    ...body,
  ];
  const weigh = [
    ...vec([
      [LOUDS - BLOCKS, I32],
      [V128_LOCALS.length, V128],
    ]),
    ...weighBody(),
  ];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(
      1,
      vec([
        [0x60, ...vec([[I32], [I32], [F32], [F32]]), ...vec([[F32]])],
        [0x60, ...vec(Array.from({ length: BLOCKS + 1 }, () => [I32])), ...vec([])],
      ]),
    ),
    ...section(3, vec([[0], [1]])),
    ...section(5, vec([[0x00, 1]])),
    // The count of outputs oversampled (not skipped), for tests and benchmarks.
    ...section(6, vec([[I32, 0x01, I32_CONST, 0, END]])),
    ...section(
      7,
      vec([
        [...name('peak'), 0x00, 0],
        [...name('weigh'), 0x00, 1],
        [...name('memory'), 0x02, 0],
        [...name('oversampled'), 0x03, 0],
      ]),
    ),
    ...section(
      10,
      vec([
        [...uleb(code.length), ...code],
        [...uleb(weigh.length), ...weigh],
      ]),
    ),
  ]);
}

// WebAssembly is no I/O, but the ES library core compiles against does not declare it.
interface Exports {
  peak(p: number, end: number, peak: number, bound: number): number;
  weigh(
    input: number,
    n: number,
    frameBytes: number,
    x0: number,
    x1: number,
    loud: number,
    st: number,
    blocks: number,
  ): void;
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  oversampled: { value: number };
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Exports };
};

/**
 * `weigh` for a meter of 16-bit input: its channels in pairs (0 and 1, 2 and 3, ...; with an odd
 * count the last alone, in lane 0, lane 1 then holding nothing to read), each pair's state, and
 * the frames marked loud.
 */
export interface Weighing {
  readonly pairs: number;
  /**
   * Per pair, WEIGH_STATE's slots, two doubles each (lane 0 the pair's first channel); the caller
   * writes what a call reads and reads the rest.
   */
  readonly states: Float64Array[];
  /**
   * Per pair, after its call, for each WEIGH_BLOCK frames (the last maybe fewer), the largest
   * |sample| of each lane: two doubles a block, lane 0's first.
   */
  readonly blockPeaks: Float64Array[];
  /** After every pair's call, one byte per frame: 1 where some channel reached its threshold. */
  readonly loud: Uint8Array;
  /** Takes frames [first, first + n) of interleaved `samples` (n at most `weighFrames`). */
  load(samples: Int16Array, first: number, n: number): void;
  /** Pair p over the n frames taken, stored as floats in its channels' buffers from index `at`. */
  run(p: number, n: number, at: number): void;
}

export interface TruePeakKernel {
  /** Channel c's buffer, in the kernel's memory. */
  readonly buffers: Float32Array[];
  /**
   * The largest |oversampled value| for inputs buffers[c][from, to) (from ≥ 11), at least `peak`.
   * With `bound` (at least every |input| from from - 11 to to), outputs that `interpolationBound`
   * shows cannot exceed `peak` are skipped; the answer is the same.
   */
  peak(c: number, from: number, to: number, peak: number, bound?: number): number;
  /** Input positions this kernel has oversampled so far (skipped ones not counted). */
  oversampled(): number;
  /** With `weighFrames` > 0. */
  readonly weigh?: Weighing;
}

let compiled: object | null | undefined;

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/**
 * A kernel with one buffer of `length` floats per channel, and room for `weigh` to take
 * `weighFrames` frames at a time; undefined without WebAssembly SIMD.
 */
export function createTruePeakKernel(
  phases: readonly (readonly number[])[],
  channels: number,
  length: number,
  weighFrames = 0,
): TruePeakKernel | undefined {
  try {
    if (compiled === undefined) compiled = new WebAssembly.Module(moduleBytes(phases));
    if (compiled === null) return undefined;
    const { memory, peak, weigh, oversampled } = new WebAssembly.Instance(compiled).exports;
    // weigh writes four frames at a time, up to three past the last.
    const stride = Math.ceil((length + 3) / 4) * 4;
    const pairs = weighFrames > 0 ? Math.ceil(channels / 2) : 0;
    // The channels' buffers and a spare one (lane 1 of a channel alone), then per pair weigh's
    // state, the loud bytes, the input (padded to four frames, and a sample more that lane 1 of a
    // channel alone reads), then per pair the block peaks.
    const slots = WEIGH_STATE.slots * 16;
    const stateAt = (channels + 1) * stride * 4;
    const loudAt = stateAt + pairs * slots;
    const inputAt = loudAt + align16(weighFrames + 3);
    const inputLength = (weighFrames + 3) * channels + 2;
    const blocksAt = inputAt + align16(inputLength * 2);
    const blocks = Math.ceil(weighFrames / WEIGH_BLOCK);
    const bytes = blocksAt + pairs * blocks * 16;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    const buffers = Array.from(
      { length: channels },
      (_, c) => new Float32Array(memory.buffer, c * stride * 4, length),
    );
    const input = new Int16Array(memory.buffer, inputAt, pairs ? inputLength : 0);
    const loud = new Uint8Array(memory.buffer, loudAt, pairs ? weighFrames + 3 : 0);
    return {
      buffers,
      peak: (c, from, to, current, bound = -1) => {
        const base = c * stride * 4;
        return peak(base + (from - (TAPS - 1)) * 4, base + (to - (TAPS - 1)) * 4, current, bound);
      },
      oversampled: () => oversampled.value,
      weigh: pairs
        ? {
            pairs,
            states: Array.from(
              { length: pairs },
              (_, p) => new Float64Array(memory.buffer, stateAt + p * slots, WEIGH_STATE.slots * 2),
            ),
            blockPeaks: Array.from(
              { length: pairs },
              (_, p) => new Float64Array(memory.buffer, blocksAt + p * blocks * 16, blocks * 2),
            ),
            loud: loud.subarray(0, weighFrames),
            load(samples, first, n) {
              if (n > weighFrames) throw new RangeError(`at most ${weighFrames} frames at a time`);
              input.set(samples.subarray(first * channels, (first + n) * channels));
              // Silence up to a whole four frames: it raises no peak, no square, no loud frame.
              input.fill(0, n * channels, Math.ceil(n / 4) * 4 * channels + 2);
              loud.fill(0, 0, Math.ceil(n / 4) * 4);
            },
            run(p, n, at) {
              const c = 2 * p;
              const x1 = c + 1 < channels ? c + 1 : channels;
              weigh(
                inputAt + c * 2,
                n,
                channels * 2,
                (c * stride + at) * 4,
                (x1 * stride + at) * 4,
                loudAt,
                stateAt + p * slots,
                blocksAt + p * blocks * 16,
              );
            },
          }
        : undefined,
    };
  } catch {
    compiled = null;
    return undefined;
  }
}
