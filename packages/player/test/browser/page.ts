/** The page the browser tests and the benchmark drive: a player on `/media-info/<key>`. */
import { createPlayer, frameFromDeepLink, type PlayerMarker, type PlayerMedia } from '../../src/index.js';

declare global {
  interface Window {
    player?: ReturnType<typeof createPlayer>;
    pageError?: string;
    /** Every event the player emitted, in order, and every CSP violation. */
    events: { type: string; event: unknown }[];
    cspViolations: string[];
  }
}

window.events = [];
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
);

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const key = params.get('media') ?? '';
  const res = await fetch(`/media-info/${encodeURIComponent(key)}`);
  const info = (await res.json()) as { media: PlayerMedia; markers?: PlayerMarker[] };
  const app = document.getElementById('app');
  if (!app) throw new Error('no #app');
  const player = createPlayer(app, {
    media: info.media,
    markers: info.markers ?? [],
    initialFrame: frameFromDeepLink(location.search, info.media) ?? 0,
  });
  for (const type of [
    'rangeselect',
    'markercreate',
    'markermove',
    'markertrim',
    'markerdelete',
    'markerselect',
    'error',
  ] as const) {
    player.on(type, (event) => window.events.push({ type, event }));
  }
  player.on('markercreate', (e) =>
    player.upsertMarker({ id: `new-${e.start}-${e.end}`, ...e, title: 'New', group: 'Manual' }),
  );
  window.player = player;
  (document.querySelector('.fp-player') as HTMLElement | null)?.focus();
}

main().catch((err: unknown) => {
  window.pageError = String(err);
});
