/**
 * The ingest benchmark (`npm run bench -- ingest`): a generated 60 s 1080p25 clip with two audio
 * tracks through the whole pipeline (adapter and one jobs worker as processes, as `npm start`
 * runs them). The worker logs every ffmpeg command it runs; afterwards the same commands run
 * bare, one after another, in the same run: the ratio of the two wall times is what the
 * pipeline adds (queueing, leases, writing outputs to storage, checksums, reports), from the
 * moment the upload is stored to the asset being ready. Target: at most 1.15.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { makeClip, Stack } from '../tests/e2e/stack.js';

const runBare = promisify(execFile);
const SECONDS = 60;

async function clip(): Promise<string> {
  const path = join(tmpdir(), 'frameproof-bench', 'ingest-60s-1080p25-2tracks.mp4');
  try {
    await access(path);
  } catch {
    await mkdir(dirname(path), { recursive: true });
    await makeClip(path, { seconds: SECONDS, size: '1920x1080', rate: '25', audioTracks: 2 });
  }
  return path;
}

interface Command {
  command: string;
  args: string[];
}

export async function run(): Promise<Record<string, unknown>> {
  const source = await clip();
  // Production leases (heartbeats every 20 s), and a slow poll: on 2 cores, anything else running
  // steals from ffmpeg.
  const stack = await Stack.start({ leaseSeconds: 60 });
  try {
    stack.startWorker({ LOG_LEVEL: 'debug' });
    await new Promise((r) => setTimeout(r, 3000)); // the worker's start-up (ffmpeg capability checks) is not ingest
    const uploadStarted = Date.now();
    const id = await stack.upload(source, 'Ingest benchmark');
    const started = Date.now();
    const [asset] = await stack.settled([id], 1800, 2000);
    if (asset?.status !== 'ready') throw new Error(`the asset ended ${asset?.status}: ${asset?.error}`);
    // The moment it became ready is the adapter's (same machine, same clock), not when the slow poll saw it.
    const pipelineSeconds = (Date.parse(asset.updatedAt) - started) / 1000;
    const uploadSeconds = (started - uploadStarted) / 1000;
    const jobs = (await stack.client.listJobs({ assetId: id })).items;

    // The commands the worker ran for this asset, replayed bare into fresh scratch folders.
    const commands: Command[] = stack.logs
      .join('')
      .split('\n')
      .flatMap((line) => {
        try {
          const entry = JSON.parse(line) as { msg?: string; command?: string; args?: string[] };
          return entry.msg === 'run' && entry.command && entry.args?.some((a) => a.includes(id))
            ? [{ command: entry.command, args: entry.args }]
            : [];
        } catch {
          return [];
        }
      });
    // The workers' scratch folders are gone: make them again, outside the timing.
    const scratch = new Set(
      commands
        .flatMap((c) =>
          c.args
            .map((a) => a.replace(/^file:/, ''))
            .filter((a) => isAbsolute(a) && a.startsWith(join(tmpdir(), 'frameproof-job-'))),
        )
        .map((a) => dirname(a)),
    );
    for (const dir of scratch) await mkdir(dir, { recursive: true });
    const bareStarted = performance.now();
    for (const c of commands) await runBare(c.command, c.args, { maxBuffer: 64 * 1024 * 1024 });
    const bareSeconds = (performance.now() - bareStarted) / 1000;
    for (const dir of scratch) await rm(dir, { recursive: true, force: true });
    return {
      clip: { seconds: SECONDS, size: '1920x1080', rate: '25', audioTracks: 2 },
      uploadSeconds: Math.round(uploadSeconds * 10) / 10,
      pipelineSeconds: Math.round(pipelineSeconds * 10) / 10,
      realtimeFactor: Math.round((SECONDS / pipelineSeconds) * 100) / 100,
      bareFfmpegSeconds: Math.round(bareSeconds * 10) / 10,
      ratio: Math.round((pipelineSeconds / bareSeconds) * 100) / 100,
      target: 'ratio <= 1.15',
      ffmpegCommands: commands.length,
      jobs: jobs.map((j) => j.type),
    };
  } finally {
    await stack.close();
  }
}
