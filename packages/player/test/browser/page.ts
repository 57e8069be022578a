/** The page the browser tests and the benchmark drive: a player on `/media-info/<key>`. */
import { createPlayer, frameFromDeepLink, type PlayerMarker, type PlayerMedia } from '../../src/index.js';

declare global {
  interface Window {
    player?: ReturnType<typeof createPlayer>;
    pageError?: string;
    /** Every event the player emitted, in order, and every CSP violation. */
    events: { type: string; event: unknown }[];
    cspViolations: string[];
    /** With `callback=silent`: while true, requestVideoFrameCallback never calls back. */
    callbacksSilent?: boolean;
  }
}

window.events = [];
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
);

/**
 * Test switches, applied before the player starts:
 * - `callback=none`: the browser has no requestVideoFrameCallback (the WebCodecs path);
 * - `callback=silent`: the callback exists but, while `window.callbacksSilent` is true (from
 *   the start), never calls back, so a paused frame cannot be confirmed by it;
 * - `video=hidden`: the video element is transparent, so a picture read from the screen can
 *   only come from the decoded frame's canvas.
 */
function applySwitches(params: URLSearchParams): void {
  const proto = HTMLVideoElement.prototype as Partial<HTMLVideoElement>;
  if (params.get('callback') === 'none') {
    delete proto.requestVideoFrameCallback;
    delete proto.cancelVideoFrameCallback;
  } else if (params.get('callback') === 'silent') {
    window.callbacksSilent = true;
    const request = HTMLVideoElement.prototype.requestVideoFrameCallback;
    HTMLVideoElement.prototype.requestVideoFrameCallback = function (
      this: HTMLVideoElement,
      callback: VideoFrameRequestCallback,
    ): number {
      const relay: VideoFrameRequestCallback = (now, meta) => {
        if (window.callbacksSilent) request.call(this, relay);
        else callback(now, meta);
      };
      return request.call(this, relay);
    };
  }
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  applySwitches(params);
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
  const video = document.querySelector<HTMLVideoElement>('.fp-video');
  if (video && params.get('video') === 'hidden') video.style.opacity = '0';
  window.player = player;
  (document.querySelector('.fp-player') as HTMLElement | null)?.focus();
}

main().catch((err: unknown) => {
  window.pageError = String(err);
});
