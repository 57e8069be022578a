/** J/K/L shuttle: each press of L (or J) goes faster, K stops; the other key slows first. */
export const SHUTTLE_SPEEDS = [1, 2, 4, 8] as const;

/** Signed speed: positive forwards, negative backwards, 0 stopped. */
export type ShuttleSpeed = number;

export function shuttlePress(current: ShuttleSpeed, key: 'j' | 'k' | 'l'): ShuttleSpeed {
  if (key === 'k') return 0;
  const dir = key === 'l' ? 1 : -1;
  if (current === 0 || Math.sign(current) !== dir) {
    // Pressing the opposite direction while shuttling stops the shuttle one step at a time.
    if (current !== 0) return slower(current);
    return dir;
  }
  const i = SHUTTLE_SPEEDS.indexOf(Math.abs(current) as (typeof SHUTTLE_SPEEDS)[number]);
  const next = SHUTTLE_SPEEDS[Math.min(SHUTTLE_SPEEDS.length - 1, i + 1)] ?? 1;
  return dir * next;
}

function slower(current: ShuttleSpeed): ShuttleSpeed {
  const i = SHUTTLE_SPEEDS.indexOf(Math.abs(current) as (typeof SHUTTLE_SPEEDS)[number]);
  return i <= 0 ? 0 : Math.sign(current) * (SHUTTLE_SPEEDS[i - 1] ?? 1);
}

/**
 * Browsers cannot play backwards, so reverse shuttle steps frames on a timer: how many frames
 * to step back per tick and how often, for a rate and a reverse speed.
 */
export function reverseStepPlan(speed: ShuttleSpeed, fps: number): { frames: number; intervalMs: number } {
  const perSecond = Math.abs(speed) * fps;
  // Seeking (and confirming) a frame takes a few tens of milliseconds: at most ~12 seeks a
  // second, each stepping as many frames as the speed needs.
  const ticks = Math.min(12, perSecond);
  return { frames: Math.max(1, Math.round(perSecond / ticks)), intervalMs: 1000 / ticks };
}
