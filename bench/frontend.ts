/**
 * `npm run bench -- frontend`: the browser side. The player's figures come from
 * bench/frontend/player.ts, the review workspace's from bench/frontend/workspace.ts.
 */
import { measurePlayer } from './frontend/player.js';
import { measureWorkspace } from './frontend/workspace.js';

export async function run(): Promise<Record<string, unknown>> {
  return { ...(await measurePlayer()), workspace: await measureWorkspace() };
}
