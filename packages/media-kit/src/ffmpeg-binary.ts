import { constants } from 'node:fs';
import { access, chmod, copyFile, mkdtemp, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CAPABILITY_ARGS, type FfmpegCapabilities, ffmpegCapabilities } from '@frameproof/core';
import { type FfmpegPaths, FfmpegRunner } from './ffmpeg-runner.js';
import type { Logger } from './logger.js';

export type BinarySource = 'env' | 'system' | 'npm';

export interface FfmpegInstall extends FfmpegPaths {
  source: { ffmpeg: BinarySource; ffprobe: BinarySource };
  capabilities: FfmpegCapabilities;
  runner: FfmpegRunner;
}

export interface LocateOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the distribution's ffmpeg lives. */
  systemDir?: string;
  /** The npm-shipped binaries' paths (a seam for tests). */
  npmPaths?: () => Partial<FfmpegPaths>;
  /** Where a copy goes when a binary lacks the execute bit and is not ours to chmod. */
  copyDir?: string;
  log?: Logger;
}

/** @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe, where they can be loaded. */
function installerPaths(): Partial<FfmpegPaths> {
  const require = createRequire(import.meta.url);
  const load = (name: string): string | undefined => {
    try {
      return (require(name) as { path?: string }).path;
    } catch {
      return undefined; // not installed for this platform
    }
  };
  return { ffmpeg: load('@ffmpeg-installer/ffmpeg'), ffprobe: load('@ffprobe-installer/ffprobe') };
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

const executable = (path: string) =>
  access(path, constants.X_OK).then(
    () => true,
    () => false,
  );

/**
 * Returns a path to `path` that may be executed. npm 11 does not run the installers' chmod
 * scripts, so their binaries can come without the execute bit: set it when the file is ours,
 * else run a copy from a private temp folder.
 */
export async function ensureExecutable(path: string, copyDir?: string): Promise<string> {
  if (await executable(path)) return path;
  const info = await stat(path);
  if (info.uid === process.getuid?.()) {
    try {
      await chmod(path, info.mode | 0o755);
      if (await executable(path)) return path;
    } catch {
      // A read-only file system: fall through to the copy.
    }
  }
  const dir = copyDir ?? (await mkdtemp(join(tmpdir(), 'frameproof-ffmpeg-')));
  const copy = join(dir, basename(path));
  await copyFile(path, copy);
  await chmod(copy, 0o755);
  return copy;
}

async function choose(
  name: keyof FfmpegPaths,
  envPath: string | undefined,
  systemDir: string,
  npm: Partial<FfmpegPaths>,
): Promise<{ path: string; source: BinarySource }> {
  if (envPath) return { path: envPath, source: 'env' };
  const system = join(systemDir, name);
  if (await isFile(system)) return { path: system, source: 'system' };
  const shipped = npm[name];
  if (shipped && (await isFile(shipped))) return { path: shipped, source: 'npm' };
  throw new Error(
    `no ${name} found: set ${name.toUpperCase()}_PATH, install it in ${systemDir}, or install the npm package`,
  );
}

/**
 * Finds ffmpeg and ffprobe (FFMPEG_PATH / FFPROBE_PATH, else the system's, else the npm-shipped
 * ones), makes sure they run, and asks ffmpeg what it can do.
 */
/** What this ffmpeg can do (version, scdet, -fps_mode), from its own answers. */
export async function probeCapabilities(runner: FfmpegRunner): Promise<FfmpegCapabilities> {
  const [version, filters, help] = await Promise.all([
    runner.ffmpeg(CAPABILITY_ARGS.version),
    runner.ffmpeg(CAPABILITY_ARGS.filters),
    runner.ffmpeg(CAPABILITY_ARGS.help),
  ]);
  return ffmpegCapabilities({ version: version.stdout, filters: filters.stdout, help: help.stdout });
}

export async function locateFfmpeg(options: LocateOptions = {}): Promise<FfmpegInstall> {
  const env = options.env ?? process.env;
  const systemDir = options.systemDir ?? '/usr/bin';
  const npm = (options.npmPaths ?? installerPaths)();
  const ffmpeg = await choose('ffmpeg', env.FFMPEG_PATH, systemDir, npm);
  const ffprobe = await choose('ffprobe', env.FFPROBE_PATH, systemDir, npm);
  const paths = {
    ffmpeg: await ensureExecutable(ffmpeg.path, options.copyDir),
    ffprobe: await ensureExecutable(ffprobe.path, options.copyDir),
  };
  const runner = new FfmpegRunner(paths, (command, args) => options.log?.debug({ command, args }, 'run'));
  const capabilities = await probeCapabilities(runner);
  options.log?.info(
    {
      ffmpeg: paths.ffmpeg,
      ffprobe: paths.ffprobe,
      source: ffmpeg.source,
      version: capabilities.version,
      scdet: capabilities.scdet,
      fpsMode: capabilities.fpsMode,
    },
    'ffmpeg found',
  );
  return { ...paths, source: { ffmpeg: ffmpeg.source, ffprobe: ffprobe.source }, capabilities, runner };
}
