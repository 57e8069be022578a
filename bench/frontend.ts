/**
 * `npm run bench -- frontend`: the browser side. The player's figures come from
 * bench/frontend/player.ts; the review workspace adds its own here.
 */
import { measurePlayer } from './frontend/player.js';

export async function run(): Promise<Record<string, unknown>> {
  return { ...(await measurePlayer()) };
}
