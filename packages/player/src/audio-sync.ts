/**
 * Keeping an audio track on the video's clock, as decisions without the DOM: how far apart the
 * two are allowed to drift before the audio is nudged (rate) or jumped (seek).
 */

export interface SyncDecision {
  action: 'none' | 'nudge' | 'seek';
  /** For 'nudge': the audio's playback rate relative to the video's. */
  rateFactor: number;
}

/**
 * `drift` = audio time - video time, in seconds. Within a quarter frame: leave it. Up to
 * `seekAbove` (default two frames): change the audio's rate by up to 5 % so it closes the gap
 * in about half a second, inaudibly with pitch preserved. Beyond: seek the audio.
 */
export function syncDecision(
  drift: number,
  frameSeconds: number,
  seekAbove = 2 * frameSeconds,
): SyncDecision {
  const a = Math.abs(drift);
  if (a <= frameSeconds / 4) return { action: 'none', rateFactor: 1 };
  if (a > seekAbove) return { action: 'seek', rateFactor: 1 };
  const correction = Math.min(0.05, a / 0.5);
  return { action: 'nudge', rateFactor: drift > 0 ? 1 - correction : 1 + correction };
}

/** Which tracks are heard: soloed ones if any, else the unmuted ones. */
export function audibleTracks(
  tracks: readonly { track: number; muted: boolean; solo: boolean }[],
): Set<number> {
  const solo = tracks.filter((t) => t.solo);
  return new Set((solo.length ? solo : tracks.filter((t) => !t.muted)).map((t) => t.track));
}

/** Peak dBFS of a block of samples (−Infinity for silence). */
export function peakDbfs(samples: ArrayLike<number>): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = Math.abs(samples[i] as number);
    if (v > peak) peak = v;
  }
  return peak === 0 ? Number.NEGATIVE_INFINITY : 20 * Math.log10(peak);
}

/** Peak hold: keeps a peak for `holdMs`, then lets it fall at `fallDbPerS`. */
export function holdPeak(
  held: { db: number; at: number },
  db: number,
  now: number,
  holdMs = 1500,
  fallDbPerS = 20,
): { db: number; at: number } {
  if (db >= held.db) return { db, at: now };
  const age = now - held.at;
  if (age <= holdMs) return held;
  const fallen = held.db - ((age - holdMs) / 1000) * fallDbPerS;
  return fallen > db ? { db: fallen, at: held.at } : { db, at: now };
}
