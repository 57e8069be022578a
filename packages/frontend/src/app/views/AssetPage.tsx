import type { AssetWithShapes, Job, Marker } from '@frameproof/core';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { isTyping } from '../App.js';
import { api, errorText } from '../lib/api.js';
import { subscribe } from '../lib/events.js';
import { createPlayer, type Player } from '@frameproof/player';
import { frameFromSearch, playerMediaOf, timecodeOf, toPlayerMarker } from '../lib/frames.js';
import { apiBase } from '../lib/settings.js';
import { navigate, onLinkClick } from '../lib/router.js';
import { session } from '../lib/session.js';
import { type MarkerDraft, MarkersPanel } from './Markers.js';
import { AutoQcPanel, ExchangePanel, JobsPanel, LoudnessPanel, MetadataPanel, QcPanel } from './panels.js';

type Tab = 'markers' | 'qc' | 'autoqc' | 'loudness' | 'metadata' | 'jobs' | 'exchange';
const TABS: [Tab, string][] = [
  ['markers', 'Markers'],
  ['qc', 'QC decision'],
  ['autoqc', 'Auto QC'],
  ['loudness', 'Loudness'],
  ['metadata', 'Technical metadata'],
  ['jobs', 'Jobs'],
  ['exchange', 'Export and import'],
];

/**
 * `/assets/{id}` (`?frame=N` or `?tc=…` opens on that frame): the player and timeline in the
 * mount, and the panels around it. Everything others change arrives live over the event bus.
 */
export function AssetPage({ id, search }: { id: string; search: URLSearchParams }) {
  const [asset, setAsset] = useState<AssetWithShapes | null>(null);
  const [markers, setMarkers] = useState<Marker[]>([]);
  const [jobs, setJobs] = useState<Job[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [frame, setFrame] = useState(0);
  const [tab, setTab] = useState<Tab>('markers');
  const [draft, setDraft] = useState<MarkerDraft | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [qcIntent, setQcIntent] = useState<{ action: 'approve' | 'reject'; at: number } | null>(null);
  const mount = useRef<HTMLDivElement>(null);
  const player = useRef<Player | null>(null);
  const canWrite = session.can('marker:write', asset?.projectId);

  const loadAsset = useCallback(
    () =>
      api.getAsset(id).then((a) => {
        // The first answer only (the benchmark's breakdown), not every live update after it.
        if (performance.getEntriesByName('fp:asset').length === 0) performance.mark('fp:asset');
        setAsset(a);
      }),
    [id],
  );
  const loadMarkers = useCallback(() => api.listMarkers(id).then((r) => setMarkers(r.items)), [id]);
  const loadJobs = useCallback(
    () => api.listJobs({ assetId: id, limit: 100 }).then((r) => setJobs(r.items)),
    [id],
  );
  const loadAll = useCallback(
    () =>
      Promise.all([loadAsset(), loadMarkers(), loadJobs()]).then(
        () => setError(null),
        (e: unknown) => setError(errorText(e)),
      ),
    [loadAsset, loadMarkers, loadJobs],
  );

  useEffect(() => {
    void loadAll();
  }, [loadAll]);

  // The deep link's frame, once the asset's rate is known.
  useEffect(() => {
    if (!asset) return;
    try {
      const f = frameFromSearch(asset, search);
      if (f !== null) setFrame(f);
    } catch (err) {
      setNotice(`The link's frame is not valid: ${errorText(err)}`);
    }
  }, [asset?.id, asset?.frameRate?.num, search.get('frame'), search.get('tc')]);

  // The player and timeline, once the asset has a proxy; its events become API calls.
  const playable = asset ? !!playerMediaOf(asset, apiBase) : false;
  useEffect(() => {
    const el = mount.current;
    const media = asset ? playerMediaOf(asset, apiBase) : null;
    if (!el || !asset || !media) return;
    let initialFrame: number | undefined;
    try {
      initialFrame = frameFromSearch(asset, search) ?? undefined;
    } catch {
      initialFrame = undefined;
    }
    const opening = markOpening(el);
    const p = createPlayer(el, {
      media,
      markers: markers.map((m) => toPlayerMarker(m, canWrite)),
      ...(initialFrame !== undefined ? { initialFrame } : {}),
      fetchData: (url) => (url.includes('/api/analyze/') ? api.fetchWithAuth(url) : fetch(url)),
    });
    player.current = p;
    const fail = (e: unknown) => setError(errorText(e));
    const offs = [
      opening,
      p.on('frame', (e) => setFrame(e.frame)),
      p.on('error', (e) => setNotice(e.message)),
      // The reviewer names the marker: the form opens with the player's frames.
      p.on('markercreate', (e) => {
        if (!canWrite) return;
        setTab('markers');
        setDraft((d) => ({ start: e.start, end: e.end, seq: (d?.seq ?? 0) + 1 }));
      }),
      p.on(
        'markermove',
        (e) =>
          void api
            .updateMarker(id, e.id, { start: { frame: e.start }, end: { frame: e.end } })
            .then(() => loadMarkers(), fail),
      ),
      p.on(
        'markertrim',
        (e) =>
          void api
            .updateMarker(id, e.id, { start: { frame: e.start }, end: { frame: e.end } })
            .then(() => loadMarkers(), fail),
      ),
      p.on('markerdelete', (e) => void api.deleteMarker(id, e.id).then(() => loadMarkers(), fail)),
    ];
    return () => {
      for (const off of offs) off();
      p.destroy();
      player.current = null;
    };
  }, [asset?.id, playable]);
  useEffect(() => player.current?.setMarkers(markers.map((m) => toPlayerMarker(m, canWrite))), [markers]);
  // Subtitle shapes (attached, or found in the source at ingest) become the player's subtitle
  // tracks: the stored WebVTT, read through its signed URL.
  const subtitles = asset?.shapes.filter((s) => s.type === 'subtitle' && s.files[0]) ?? [];
  const subtitleIds = subtitles.map((s) => s.id).join(',');
  useEffect(() => {
    const p = player.current;
    if (!p) return;
    for (const s of subtitles) {
      const language = typeof s.metadata.language === 'string' ? s.metadata.language : undefined;
      void fetch((s.files[0] as { url: string }).url)
        .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`subtitles: HTTP ${r.status}`))))
        .then((text) =>
          p.addSubtitles({
            id: s.id,
            label: s.label ?? language ?? 'Subtitles',
            ...(language ? { language } : {}),
            text,
            format: 'vtt',
          }),
        )
        .catch((e: unknown) => setNotice(`Subtitles ${s.label ?? ''}: ${errorText(e)}`));
    }
  }, [asset?.id, playable, subtitleIds]);
  const seek = useCallback((f: number) => {
    setFrame(f);
    void player.current?.seek(f);
  }, []);

  useEffect(
    () =>
      subscribe(
        id,
        (event) => {
          if (event.type.startsWith('marker') || event.type === 'markers.replaced') void loadMarkers();
          else if (event.type === 'asset.updated') void loadAsset();
          else if (event.type === 'job.updated') {
            const d = event.data as Partial<Job> | undefined;
            setJobs((prev) =>
              prev.some((j) => j.id === event.id)
                ? prev.map((j) => (j.id === event.id ? { ...j, ...d } : j))
                : (void loadJobs(), prev),
            );
          } else if (event.type === 'asset.deleted') setError('This asset was deleted.');
        },
        () => void loadAll(),
      ),
    [id, loadAll, loadAsset, loadMarkers, loadJobs],
  );

  const copyLink = useCallback(async () => {
    const url = `${location.origin}/assets/${id}?frame=${frame}`;
    try {
      await navigator.clipboard.writeText(url);
      setNotice(`Link to frame ${frame} copied.`);
    } catch {
      setNotice(`Link to frame ${frame}: ${url}`);
    }
    history.replaceState(null, '', `/assets/${id}?frame=${frame}`);
  }, [id, frame]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Keys the player took (its own shortcuts while focus is in it) are not the page's.
      if (isTyping(e) || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'l') void copyLink();
      else if (e.key === 'r') navigate(`/assets/${id}/report`);
      else if (e.key === 'A' && e.shiftKey && session.can('asset:qc', asset?.projectId)) {
        setTab('qc');
        setQcIntent({ action: 'approve', at: Date.now() });
      } else if (e.key === 'R' && e.shiftKey && session.can('asset:qc', asset?.projectId)) {
        setTab('qc');
        setQcIntent({ action: 'reject', at: Date.now() });
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [copyLink, id]);

  if (error && !asset)
    return (
      <p class="error" role="alert">
        {error}{' '}
        <a href="/" onClick={onLinkClick}>
          Back to the library
        </a>
      </p>
    );
  if (!asset) return <p class="empty">Loading…</p>;

  return (
    <div class="asset-page">
      <div class="asset-head">
        <h1>{asset.title}</h1>
        <span class={`badge status-${asset.status}`}>{asset.status}</span>
        <span class={`badge qc-${asset.qc.status}`} data-testid="qc-badge">
          QC {asset.qc.status.replace('_', ' ')}
        </span>
        <span class="position" aria-live="polite">
          <span aria-label="Current frame">Frame {frame}</span> ·{' '}
          <span aria-label="Current timecode">{timecodeOf(asset, frame)}</span>
        </span>
        <button type="button" onClick={() => void copyLink()} aria-keyshortcuts="l">
          Copy link to this frame
        </button>
        <a class="button" href={`/assets/${id}/report`} onClick={onLinkClick} aria-keyshortcuts="r">
          Report
        </a>
      </div>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="workspace">
        <section class="player-area" aria-label="Player and timeline">
          {!playable && <p class="empty">The player appears when the proxy is ready.</p>}
          {/* The player owns this element's children: nothing of Preact's goes in it. */}
          <div class="player-mount" ref={mount} data-testid="player-mount" />
        </section>
        <section class="panels" aria-label="Panels">
          <div role="tablist" aria-label="Panels">
            {TABS.map(([key, label]) => (
              <button
                key={key}
                type="button"
                role="tab"
                id={`tab-${key}`}
                aria-selected={tab === key}
                aria-controls={`panel-${key}`}
                tabIndex={tab === key ? 0 : -1}
                onClick={() => setTab(key)}
                onKeyDown={(e) => {
                  const i = TABS.findIndex(([k]) => k === key);
                  const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : null;
                  if (next === null) return;
                  const [k] = TABS[(next + TABS.length) % TABS.length] as [Tab, string];
                  setTab(k);
                  document.getElementById(`tab-${k}`)?.focus();
                }}
              >
                {label}
                {key === 'markers' ? ` (${markers.length})` : ''}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} class="panel">
            {tab === 'markers' && (
              <MarkersPanel
                asset={asset}
                markers={markers}
                frame={frame}
                onSeek={seek}
                onChanged={() => void loadMarkers()}
                canWrite={canWrite}
                canComment={session.can('comment:write', asset?.projectId)}
                draft={draft}
              />
            )}
            {tab === 'qc' && <QcPanel asset={asset} onChanged={setAsset} intent={qcIntent} />}
            {tab === 'autoqc' && <AutoQcPanel asset={asset} markers={markers} onSeek={seek} />}
            {tab === 'loudness' && <LoudnessPanel asset={asset} />}
            {tab === 'metadata' && <MetadataPanel asset={asset} />}
            {tab === 'jobs' && (
              <JobsPanel jobs={jobs} projectId={asset?.projectId} onChanged={() => void loadJobs()} />
            )}
            {tab === 'exchange' && <ExchangePanel asset={asset} onChanged={() => void loadAll()} />}
          </div>
        </section>
      </div>
    </div>
  );
}

/**
 * Performance marks of an asset's opening, for the workspace benchmark's breakdown: `fp:player`
 * (created), then the proxy's `fp:video-loadedmetadata`, each `fp:video-seeking` and
 * `fp:video-seeked` (more than one seek: the player retried) and `fp:video-loadeddata`, until the
 * player's first confirmed frame, `fp:first-frame`. Marks stop there: a few per asset opened.
 */
function markOpening(mount: HTMLElement): () => void {
  performance.mark('fp:player');
  const types = ['loadedmetadata', 'loadeddata', 'seeking', 'seeked'];
  const onMedia = (e: Event) => {
    if (e.target instanceof HTMLVideoElement) performance.mark(`fp:video-${e.type}`);
  };
  const observer = new MutationObserver(() => {
    const root = mount.querySelector<HTMLElement>('.fp-player');
    if (root?.dataset.state !== 'paused') return;
    performance.mark('fp:first-frame');
    stop();
  });
  const stop = () => {
    observer.disconnect();
    for (const type of types) mount.removeEventListener(type, onMedia, true);
  };
  for (const type of types) mount.addEventListener(type, onMedia, true);
  observer.observe(mount, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  return stop;
}
