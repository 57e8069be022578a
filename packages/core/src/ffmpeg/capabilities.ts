/** What the ffmpeg at hand can do, where builds differ (the npm-shipped one is a 4.x). */
export interface FfmpegCapabilities {
  version: string;
  /** The `scdet` scene-change filter (ffmpeg 4.4+); without it shots come from `select`. */
  scdet: boolean;
  /** `-fps_mode` (ffmpeg 5.1+); older builds take the global `-vsync`. */
  fpsMode: boolean;
}

/** The three runs whose output `ffmpegCapabilities` reads. */
export const CAPABILITY_ARGS = {
  version: ['-hide_banner', '-version'],
  filters: ['-hide_banner', '-filters'],
  help: ['-hide_banner', '-h', 'long'],
} as const;

/** "ffmpeg version 5.1.9-0+deb12u1 Copyright ..." → "5.1.9-0+deb12u1". */
export function parseFfmpegVersion(text: string): string {
  return /(?:ffmpeg|ffprobe) version (\S+)/.exec(text)?.[1] ?? 'unknown';
}

/** The filter names in `ffmpeg -filters` output (" TSC bwdif  V->V  Deinterlace ..."). */
export function parseFilterNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*[.A-Z|]{3}\s+(\w+)\s+[AVN|]+->[AVN|]+\s/.exec(line);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}

export function ffmpegCapabilities(outputs: {
  version: string;
  filters: string;
  help: string;
}): FfmpegCapabilities {
  return {
    version: parseFfmpegVersion(outputs.version),
    scdet: parseFilterNames(outputs.filters).has('scdet'),
    fpsMode: /^-fps_mode\b/m.test(outputs.help),
  };
}

/** `-fps_mode <mode>` where it exists, else the older global `-vsync <mode>`. */
export function fpsModeArgs(capabilities: FfmpegCapabilities, mode: 'cfr' | 'passthrough'): string[] {
  return capabilities.fpsMode ? ['-fps_mode', mode] : ['-vsync', mode];
}
