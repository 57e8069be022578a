/**
 * The analyze service's benchmark (`npm run bench -- analyze`), on generated programmes (48 kHz
 * stereo, cached under the OS temp folder), every figure in one run:
 *  (a) the whole programme from a cold cache: the one pass (peak file and full loudness, true peak
 *      included) and, apart, the waveform alone (the pass's decode and peak loop without the
 *      meter), both decoding in-process when the addon is built (each result names its `decoder`),
 *      each as a ratio to `ffmpeg -i <input> -f null -` timed in the same run
 *      (interleaved, medians), in wall time and in CPU time;
 *  (b) the peak memory of that computation, measured in a child process (its own maxRSS, and the
 *      high-water mark of the ffmpeg processes it runs);
 *  (c) 10-second windows at one sample per pixel through the HTTP route: cold, then warm `.dat`
 *      and JSON asked by 8 clients at once while the service analyses another whole programme;
 *      then, the same way, the window the timeline asks for 10 s across 2000 pixels (its
 *      samplesPerPixel from the player's timeline model: 240 at 25 frames a second).
 * CPU time is what the analysis costs a running service: the measured child's own CPU
 * (`process.cpuUsage()`) from just before the work starts to just after it ends, plus the CPU of
 * the ffmpeg processes it ran meanwhile (the growth of its reaped children's time, `cutime` and
 * `cstime` in /proc/self/stat); starting Node and loading the service come before and are not
 * counted. The baseline is `ffmpeg -f null`'s whole-process CPU (its `-benchmark` utime + stime),
 * start-up included: ffmpeg starts in milliseconds, which the results show
 * (`nullDecodeStartupCpuSeconds`: the same command on a 0.1-second input).
 * (a), (b) and (c) run twice: on the machine's cores, and pinned to one core (`taskset -c 0` on the
 * service, whose ffmpeg inherits it, and on the baseline). BENCH_MAX_HOURS (3) leaves out longer
 * programmes; BENCH_HOURS (1) sets the length of the short one, for a quick check.
 * The programmes are AAC in MP4, what the jobs service makes as audio proxies; a 1-hour PCM WAV is
 * measured too: there "decoding" is only copying, and the ratio shows the cost of moving PCM to
 * the service. BENCH_REPEATS (5) sets the repetitions. For quick checks, BENCH_WINDOWS=0 leaves
 * out (c) and BENCH_CORES=one (or all) measures only on one core (or on all).
 */
import { execFile, spawn } from 'node:child_process';
import { access, mkdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../packages/analyze/src/index.js';
import { waveformSamplesPerPixel } from '../packages/player/src/timeline-model.js';

const execFileP = promisify(execFile);
const FFMPEG = process.env.FFMPEG_PATH || 'ffmpeg';
const WORK = join(tmpdir(), 'frameproof-bench');
const RATE = 48_000;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const MAX_HOURS = Number(process.env.BENCH_MAX_HOURS ?? 3);
const HOURS = Number(process.env.BENCH_HOURS ?? 1);
const WINDOWS = process.env.BENCH_WINDOWS !== '0';
const CORES = process.env.BENCH_CORES ?? 'both';
if (!['one', 'all', 'both'].includes(CORES)) throw new Error(`BENCH_CORES: one, all or both, not ${CORES}`);
/** The pinnings measured: all cores (false) and one (true), or only one of them. */
const PINNINGS = [false, true].filter((pinned) => CORES === 'both' || (CORES === 'one') === pinned);

/** The command, pinned to the first core when asked (`taskset -c 0`); children inherit it. */
function pinnedCommand(pinned: boolean, command: string, args: string[]): [string, string[]] {
  return pinned ? ['taskset', ['-c', '0', command, ...args]] : [command, args];
}

/**
 * The service's Node as its image and `npm start` launch it (packages/analyze/Dockerfile): a 4 MB
 * young generation and two malloc arenas, so that the memory measured is the memory deployed.
 */
const SERVICE_NODE_ARGS = ['--max-semi-space-size=4'];
const SERVICE_ENV = { ...process.env, MALLOC_ARENA_MAX: '2' };

interface Programme {
  name: string;
  path: string;
  hours: number;
}

/** Pink noise and a tone at wandering levels, with five seconds of silence every ten minutes. */
export async function programme(hours: number, ext: 'm4a' | 'wav'): Promise<Programme> {
  const name = `programme-${hours}h.${ext}`;
  const path = join(WORK, name);
  try {
    await access(path);
  } catch {
    await mkdir(WORK, { recursive: true });
    const d = hours * 3600;
    const gate = `volume='if(lt(mod(t,600),595),1,0)':eval=frame`;
    const codec = ext === 'm4a' ? ['-c:a', 'aac', '-b:a', '128k'] : ['-c:a', 'pcm_s16le'];
    console.error(`bench: generating ${name} (once)`);
    await execFileP(
      FFMPEG,
      [
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'],
        ...['-f', 'lavfi', '-i', `anoisesrc=d=${d}:c=pink:r=${RATE}:a=0.25`],
        ...['-f', 'lavfi', '-i', `sine=f=440:r=${RATE}:d=${d}`],
        '-filter_complex',
        `[0:a]volume='0.6+0.4*sin(t/5)':eval=frame,${gate}[n];[1:a]volume=0.3,${gate}[s];` +
          '[n][s]join=inputs=2:channel_layout=stereo[a]',
        ...['-map', '[a]', ...codec, `${path}.part.${ext}`],
      ],
      { maxBuffer: 1 << 20 },
    );
    await execFileP('mv', [`${path}.part.${ext}`, path]);
  }
  return { name, path, hours };
}

/**
 * `ffmpeg -i <input> -f null -`: wall seconds, and CPU seconds from ffmpeg's own `-benchmark` (the
 * whole process's, start-up included). `inputOptions` go before `-i` (`-t 0.1`: its start-up alone).
 */
async function nullDecode(
  path: string,
  pinned: boolean,
  inputOptions: string[] = [],
): Promise<{ seconds: number; cpuSeconds: number }> {
  const t0 = performance.now();
  const { stderr } = await execFileP(
    ...pinnedCommand(pinned, FFMPEG, [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-benchmark',
      ...inputOptions,
      '-i',
      path,
      '-f',
      'null',
      '-',
    ]),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = /utime=([\d.]+)s stime=([\d.]+)s/.exec(stderr);
  return { seconds, cpuSeconds: Number(cpu?.[1] ?? NaN) + Number(cpu?.[2] ?? NaN) };
}

const DIST = fileURLToPath(new URL('../packages/analyze/dist/src/', import.meta.url));

/**
 * The child: the compiled service code, as production runs it (a TypeScript loader would add some
 * 40 MB to what is measured). It decodes the whole programme into the peak file and answers the
 * overview; its ffmpeg processes' peak memory is read from /proc while it runs.
 */
const CHILD = `
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
const [dist, path, hours, dir, decoders, ffmpeg, mode, clockTicks] = process.argv.slice(1);
const { WaveformService } = await import(dist + 'processors/waveform.js');
const { decodeWholeTrack } = await import(dist + 'processors/decode.js');
const { decoderName, nativeDecoder } = await import(dist + 'native-decode.js');
// The in-process decoder when it is built (as the service would use it), else the CLI.
const native = nativeDecoder();
const { PeakAccumulator, storedSeries } = await import(dist + 'processors/peaks.js');
const { DiskCache } = await import(dist + 'cache.js');
const log = { info() {}, warn(o, m) { console.error(m, o); } };
const cache = new DiskCache({ dir, maxBytes: 2 ** 40, maxAgeMs: 864e5, log, sweepIntervalMs: 0 });
await cache.init();
const waveforms = new WaveformService({ cache, ffmpegPath: ffmpeg, maxDecoders: Number(decoders), log });
const source = { input: path, map: '0:a:0', cacheKey: 'bench', channels: 2, sampleRate: ${RATE},
  durationSeconds: Number(hours) * 3600, kind: 'file' };
const peaks = new Map();
const watch = async () => {
  const children = await readFile('/proc/' + process.pid + '/task/' + process.pid + '/children', 'utf8').catch(() => '');
  for (const pid of children.split(' ').filter(Boolean)) {
    const st = await readFile('/proc/' + pid + '/status', 'utf8').catch(() => '');
    if (!st.includes('ffmpeg')) continue;
    peaks.set(pid, Math.max(peaks.get(pid) ?? 0, Number(/VmHWM:[^0-9]*([0-9]+)/.exec(st)?.[1] ?? 0)));
  }
};
// The CPU of this process's children once reaped (cutime + cstime, the 16th and 17th fields of
// /proc/self/stat, in clock ticks): every ffmpeg the work ran, exactly, since each is waited for.
const childrenCpuSeconds = () => {
  const stat = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(stat[13]) + Number(stat[14])) / Number(clockTicks);
};
const timer = setInterval(watch, 100);
// The measured span: from here (Node started, the service loaded) to the end of the work.
const children0 = childrenCpuSeconds();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let frames;
if (mode === 'waveform') {
  // Waveform alone: the one pass's decode and peak loop at the peak file's finest level, no meter.
  const acc = new PeakAccumulator(storedSeries(2), 256, () => undefined);
  frames = await decodeWholeTrack({ ffmpegPath: ffmpeg, native }, source, (s) => acc.push(s));
  acc.end();
} else {
  // The track's one pass (peak file, loudness with true peak, levels, silence), then what the
  // timeline asks first: an overview about 2000 pixels wide, at a multiple of 256.
  const pass = await waveforms.programmePass(source);
  if (pass.analysis.loudness.integrated === null) throw new Error('no loudness measured');
  const spp = Math.ceil((Number(hours) * 3600 * ${RATE}) / 2000 / 256) * 256;
  await waveforms.waveform(source, { samplesPerPixel: spp, start: 0, end: undefined, channels: 'merged' });
  frames = (await waveforms.length(source)).frames;
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const ffmpegCpuSeconds = childrenCpuSeconds() - children0;
clearInterval(timer);
await rm(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  decoder: mode === 'waveform' ? decoderName(native) : waveforms.decoder, seconds, frames, nodeCpuSeconds: (cpu.user + cpu.system) / 1e6,
  maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  ffmpegPeakMb: Math.round(Math.max(0, ...peaks.values()) / 1024), ffmpegProcesses: peaks.size,
  ffmpegCpuSeconds,
}));
`;

interface ChildResult {
  /** What decoded the track: the addon in the child's process, or ffmpeg's CLI. */
  decoder: 'libav in-process' | 'ffmpeg CLI';
  seconds: number;
  frames: number;
  nodeCpuSeconds: number;
  maxRssMb: number;
  ffmpegPeakMb: number;
  ffmpegProcesses: number;
  ffmpegCpuSeconds: number;
}

const decoders = () => Number(process.env.AP_ANALYZE_DECODERS ?? loadConfig().maxDecoders);

/** Clock ticks a second, the unit of /proc's CPU times (100 on Linux as built nearly everywhere). */
let clockTicks: number | undefined;
async function ticksPerSecond(): Promise<number> {
  clockTicks ??= Number((await execFileP('getconf', ['CLK_TCK'])).stdout.trim());
  if (!(clockTicks > 0)) throw new Error(`getconf CLK_TCK: not a number of ticks (${clockTicks})`);
  return clockTicks;
}

type Work = 'full' | 'waveform';

/** The whole-programme work in a child process with a fresh cache. */
async function waveformInChild(
  path: string,
  hours: number,
  pinned: boolean,
  work: Work,
): Promise<ChildResult> {
  const dir = join(WORK, `cache-child-${Date.now()}`);
  const args = [
    ...SERVICE_NODE_ARGS,
    '--input-type=module',
    '-e',
    CHILD,
    DIST,
    path,
    String(hours),
    dir,
    String(decoders()),
    FFMPEG,
    work,
    String(await ticksPerSecond()),
  ];
  const { stdout } = await execFileP(...pinnedCommand(pinned, process.execPath, args), {
    maxBuffer: 1 << 20,
    env: SERVICE_ENV,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as ChildResult;
}

/** Builds the service (its dist/), which the child runs. */
async function build(): Promise<void> {
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  await execFileP(process.execPath, [
    tsc,
    '-b',
    fileURLToPath(new URL('../packages/analyze', import.meta.url)),
  ]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Ratios to the null decode of the same repeat: wall time, and CPU (the service's during the work
 * and its ffmpegs', against the whole null-decode process's).
 */
function summary(decode: { seconds: number; cpuSeconds: number }[], ours: ChildResult[]) {
  const ratios = ours.map((o, i) => o.seconds / (decode[i] as { seconds: number }).seconds);
  // CPU spent over the null decode's: what the wall ratio becomes when there are no spare cores
  // (half a vCPU on Fargate, or a busy machine).
  const cpuRatios = ours.map(
    (o, i) => (o.nodeCpuSeconds + o.ffmpegCpuSeconds) / (decode[i] as { cpuSeconds: number }).cpuSeconds,
  );
  return {
    decoder: ours[0]?.decoder,
    seconds: ours.map((o) => r3(o.seconds)),
    ratio: r3(median(ratios)),
    ratios: ratios.map(r3),
    cpu: {
      ratio: r3(median(cpuRatios)),
      serviceSeconds: ours.map((o) => r3(o.nodeCpuSeconds)),
      ffmpegSeconds: ours.map((o) => r3(o.ffmpegCpuSeconds)),
    },
    peakMemoryMb: {
      node: Math.max(...ours.map((o) => o.maxRssMb)),
      ffmpegEach: Math.max(...ours.map((o) => o.ffmpegPeakMb)),
      ffmpegProcesses: ours[0]?.ffmpegProcesses,
    },
  };
}

/**
 * The whole programme, each repeat interleaved: the null decode, the full one pass (waveform and
 * full loudness, true peak included) and the waveform alone.
 */
export async function wholeProgramme(p: Programme, pinned = false) {
  const decode: { seconds: number; cpuSeconds: number }[] = [];
  const full: ChildResult[] = [];
  const waveform: ChildResult[] = [];
  const startup: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    startup.push((await nullDecode(p.path, pinned, ['-t', '0.1'])).cpuSeconds);
    decode.push(await nullDecode(p.path, pinned));
    full.push(await waveformInChild(p.path, p.hours, pinned, 'full'));
    waveform.push(await waveformInChild(p.path, p.hours, pinned, 'waveform'));
  }
  return {
    input: p.name,
    cores: pinned ? 'one (taskset -c 0)' : 'all',
    frames: full[0]?.frames,
    ffmpegNullDecodeSeconds: decode.map((d) => r3(d.seconds)),
    nullDecodeCpuSeconds: decode.map((d) => r3(d.cpuSeconds)),
    // What the baseline's start-up weighs: the same null decode of the first 0.1 s.
    nullDecodeStartupCpuSeconds: startup.map(r3),
    full: summary(decode, full),
    waveformAlone: summary(decode, waveform),
  };
}

/** The service in a child process (compiled, as in production); prints the address it listens on. */
const SERVER = `
const [dist, id, path, dir, decoders, ffmpeg, busyId, busyPath] = process.argv.slice(1);
const { buildApp } = await import(dist + 'app.js');
const { FileAssetResolver } = await import(dist + 'file-resolver.js');
const resolver = new FileAssetResolver({ [id]: path, [busyId]: busyPath }, ffmpeg.replace(/ffmpeg$/, 'ffprobe'));
// Probed before the clock starts, as the adapter's resolver has each asset's probe from the jobs
// service: otherwise the busy programme's ffprobe would run inside the first timed windows.
for (const asset of [id, busyId]) await resolver.resolve(asset, 1, undefined);
const app = await buildApp({
  resolver,
  cacheDir: dir, cacheMaxBytes: 2 ** 40, cacheMaxAgeMs: 864e5, ffmpegPath: ffmpeg, maxDecoders: Number(decoders),
});
console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
`;

const CLIENTS = 8;
/** The timeline's window: 10 s of a 25 fps programme across 2000 pixels, as the player asks it. */
const TIMELINE = { seconds: 10, pixels: 2000, frameRate: { num: 25, den: 1 } };
const TIMELINE_SPP = waveformSamplesPerPixel(
  TIMELINE.pixels / (TIMELINE.seconds * (TIMELINE.frameRate.num / TIMELINE.frameRate.den)),
  RATE,
  TIMELINE.frameRate,
);
/** Windows each client asks for, in its own order. */
const PER_CLIENT = 25;

/**
 * 100 random 10-second windows at one sample per pixel, asked over HTTP from this process of the
 * service running in another: first from a cold cache (each decodes its PCM chunks), one at a
 * time; then warm, `.dat` and JSON, by 8 clients at once while the same service analyses another
 * whole programme (`busy`: its loudness, so its one pass); then the timeline's window (10 s across
 * 2000 pixels), warm, `.dat` and JSON, the same way.
 */
export async function windows(p: Programme, busy: Programme, pinned: boolean) {
  const dir = join(WORK, 'cache-windows');
  await rm(dir, { recursive: true, force: true });
  const id = '00000000-0000-4000-8000-00000000be4c';
  const busyId = '00000000-0000-4000-8000-00000000b057';
  const [command, args] = pinnedCommand(pinned, process.execPath, [
    ...SERVICE_NODE_ARGS,
    ...['--input-type=module', '-e', SERVER, DIST, id, p.path, dir, String(decoders()), FFMPEG],
    ...[busyId, busy.path],
  ]);
  const server = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: SERVICE_ENV });
  const base = await new Promise<string>((resolve, reject) => {
    server.stdout.once('data', (d: Buffer) => resolve(String(d).trim()));
    server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const starts = Array.from(
    { length: 100 },
    () => Math.floor(random() * (p.hours * 3600 - 10) * 1000) / 1000,
  );
  const time = async (start: number, format: string, spp = 1) => {
    const t0 = performance.now();
    const res = await fetch(
      `${base}/api/analyze/assets/${id}/audio/1/waveform?samplesPerPixel=${spp}&start=${start}&end=${start + 10}&format=${format}`,
    );
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`window: ${res.status} ${Buffer.from(body).toString()}`);
    return performance.now() - t0;
  };
  /** Every window asked by each of the clients at once, each client in its own order. */
  const together = async (format: string, spp = 1) => {
    const ms: number[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = 0; i < PER_CLIENT; i++) {
          ms.push(await time(starts[(i * 37 + c * 13) % starts.length] as number, format, spp));
        }
      }),
    );
    return ms;
  };
  const stats = (ms: number[]) => ({
    p50: r3(percentile(ms, 50)),
    p99: r3(percentile(ms, 99)),
    mean: r3(ms.reduce((a, b) => a + b, 0) / ms.length),
    requests: ms.length,
  });
  try {
    const cold: number[] = [];
    for (const s of starts) cold.push(await time(s, 'dat'));
    let analysing = true;
    const t0 = performance.now();
    const analysis = fetch(`${base}/api/analyze/assets/${busyId}/audio/1/loudness`).then(async (res) => {
      await res.arrayBuffer();
      analysing = false;
      if (res.status !== 200) throw new Error(`busy analysis: ${res.status}`);
      return r3((performance.now() - t0) / 1000);
    });
    const warmDat = await together('dat');
    const warmJson = await together('json');
    // The timeline's own window, from the same (now cached) stretches.
    const timelineDat = await together('dat', TIMELINE_SPP);
    const timelineJson = await together('json', TIMELINE_SPP);
    const stillAnalysing = analysing;
    const analysisSeconds = await analysis;
    return {
      input: p.name,
      cores: pinned ? 'one (taskset -c 0)' : 'all',
      window: '10 s at 1 sample per pixel, merged, 16-bit: 480 000 pixels (1.9 MB .dat)',
      clients: CLIENTS,
      meanwhile: `whole-programme analysis of ${busy.name} (${analysisSeconds} s), running throughout: ${stillAnalysing}`,
      coldMs: stats(cold),
      warmDatMs: stats(warmDat),
      warmJsonMs: stats(warmJson),
      timeline: {
        window: `10 s across a ${TIMELINE.pixels}-pixel timeline at 25 fps: ${TIMELINE_SPP} samples per pixel, merged, 16-bit`,
        samplesPerPixel: TIMELINE_SPP,
        warmDatMs: stats(timelineDat),
        warmJsonMs: stats(timelineJson),
      },
    };
  } finally {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, unknown>> {
  // Other work on the machine slows every figure; the load average says how busy it was.
  const load0 = r3(loadavg()[0] as number);
  await build();
  const aac1 = await programme(HOURS, 'm4a');
  const wav1 = await programme(HOURS, 'wav');
  const whole: Record<string, unknown> = {};
  for (const [label, p] of [
    [`${HOURS}h-aac`, aac1],
    [`${HOURS}h-pcm-wav`, wav1],
  ] as const) {
    for (const pinned of PINNINGS)
      whole[`${label}${pinned ? '-one-core' : ''}`] = await wholeProgramme(p, pinned);
  }
  if (MAX_HOURS >= 3) {
    const aac3 = await programme(3, 'm4a');
    for (const pinned of PINNINGS)
      whole[`3h-aac${pinned ? '-one-core' : ''}`] = await wholeProgramme(aac3, pinned);
  }
  const busy = MAX_HOURS >= 3 ? await programme(3, 'm4a') : wav1;
  const win = WINDOWS && PINNINGS.includes(false) ? await windows(aac1, busy, false) : undefined;
  const winOneCore = WINDOWS && PINNINGS.includes(true) ? await windows(aac1, busy, true) : undefined;
  return {
    loadAverage: { start: load0, end: r3(loadavg()[0] as number) },
    decoders: decoders(),
    repeats: REPEATS,
    targets: { fullRatioOneCore: 2.0, waveformRatioOneCore: 1.1, peakMemoryMb: 150, windowP99Ms: 50 },
    cpuRatioDefinition:
      "the service's CPU (process.cpuUsage) from the start of the work to its end, plus its ffmpeg " +
      "processes' CPU (reaped children's time), over `ffmpeg -i <input> -f null -`'s whole-process CPU " +
      '(-benchmark utime + stime, start-up included: see nullDecodeStartupCpuSeconds); ' +
      "Node's start-up and loading the service are not counted",
    wholeProgramme: whole,
    windows: win,
    windowsOneCore: winOneCore,
  };
}
