/**
 * The demo: signs in to a local stack (through the demo server, which forwards /api to the
 * gateway), loads an asset and plays it. `?asset=<id>&frame=N` or `&tc=...` deep-links.
 */
import type { AssetWithShapes, Marker, TokenResponse } from '@frameproof/core';
import { createPlayer, frameFromDeepLink, type Player, type PlayerMarker } from '../src/index.js';
import { mediaFromAsset } from './asset-media.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} missing`);
  return node as T;
};

let token: string | null = sessionStorage.getItem('fp-demo-token');
let player: Player | null = null;

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (init.body) headers.set('content-type', 'application/json');
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function say(text: string): void {
  $('status').textContent = text;
}

async function signIn(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const data = new FormData(form);
  const t = await api<TokenResponse>('/api/auth/login', {
    method: 'POST',
    body: JSON.stringify({ username: data.get('username'), password: data.get('password') }),
  });
  token = t.accessToken;
  sessionStorage.setItem('fp-demo-token', token);
  say('Signed in.');
}

async function open(assetId: string): Promise<void> {
  const asset = await api<AssetWithShapes>(`/api/assets/${encodeURIComponent(assetId)}`);
  const media = mediaFromAsset(asset);
  const markers = await api<{ items: Marker[] }>(`/api/assets/${encodeURIComponent(assetId)}/markers`)
    .then((list) =>
      list.items.map((m): PlayerMarker => ({
        id: m.id,
        start: m.start.frame,
        end: m.end.frame,
        title: m.title,
        group: m.group,
        severity: m.severity,
        category: m.category,
        color: m.color,
      })),
    )
    .catch(() => [] as PlayerMarker[]);
  player?.destroy();
  player = createPlayer($('player'), {
    media,
    markers,
    initialFrame: frameFromDeepLink(location.search, media) ?? 0,
    fetchData: (url) => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
  });
  player.on('frame', (e) => {
    if (!e.playing) history.replaceState(null, '', `?asset=${encodeURIComponent(assetId)}&frame=${e.frame}`);
  });
  player.on('markercreate', (e) =>
    player?.upsertMarker({ id: `local-${Date.now()}`, ...e, title: 'New marker', group: 'Manual' }),
  );
  player.on('markermove', (e) =>
    say(`moved ${e.id} to ${e.start}-${e.end} (not saved: the demo does not write)`),
  );
  player.on('markertrim', (e) => say(`trimmed ${e.id} to ${e.start}-${e.end} (not saved)`));
  player.on('error', (e) => say(e.message));
  say(`${asset.title}: ${media.durationFrames} frames at ${media.frameRate.num}/${media.frameRate.den}`);
}

$<HTMLFormElement>('login').addEventListener(
  'submit',
  (e) => void signIn(e).catch((err: unknown) => say(String(err))),
);
$<HTMLFormElement>('open').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = new FormData(e.target as HTMLFormElement).get('asset');
  void open(String(id)).catch((err: unknown) => say(String(err)));
});
const fromUrl = new URLSearchParams(location.search).get('asset');
if (fromUrl && token) void open(fromUrl).catch((err: unknown) => say(String(err)));
