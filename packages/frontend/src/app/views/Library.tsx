import {
  ASSET_STATUSES,
  type Asset,
  type AssetWithShapes,
  type Job,
  JOB_TYPES,
  type ListAssetsQuery,
  QC_STATUSES,
} from '@frameproof/core';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { isTyping } from '../App.js';
import { api, errorText } from '../lib/api.js';
import { assetDetails, forgetDetails, urlsExpireAt } from '../lib/details.js';
import { stillValid } from '../lib/expiry.js';
import { subscribe } from '../lib/events.js';
import { navigate, onLinkClick } from '../lib/router.js';
import { session } from '../lib/session.js';
import { tileAt, type SpriteTile } from '@frameproof/player';
import { forgetSprites, posterOf, spritesOf } from '../lib/sprites.js';
import { useProjects } from '../lib/projects.js';
import { Upload } from './Upload.js';
import { VirtualList } from './VirtualList.js';

type Steps = Record<string, { status: string; progress: number }>;
const PAGE = 100;

function useWidth(ref: { current: HTMLElement | null }) {
  const [width, setWidth] = useState(1280);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return width;
}

export function Library() {
  const [items, setItems] = useState<Asset[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState<'grid' | 'list'>(
    () => (localStorage.getItem('frameproof.view') as 'grid') ?? 'grid',
  );
  const [q, setQ] = useState('');
  const [status, setStatus] = useState('');
  const [qcStatus, setQcStatus] = useState('');
  const [since, setSince] = useState('');
  const [sort, setSort] = useState('createdAt:desc');
  const [project, setProject] = useState('');
  const projects = useProjects();
  // Project names show only where there is more than one to tell apart.
  const projectNames = projects.length > 1 ? new Map(projects.map((p) => [p.id, p.name])) : undefined;
  const [selected, setSelected] = useState(0);
  const [steps, setSteps] = useState<Record<string, Steps>>({});
  const loading = useRef(false);
  const generation = useRef(0);
  const box = useRef<HTMLDivElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const width = useWidth(box);

  const query = useCallback((): ListAssetsQuery => {
    const [by, order] = sort.split(':') as ['createdAt', 'desc'];
    return {
      limit: PAGE,
      sort: by,
      order,
      ...(q.trim() ? { q: q.trim() } : {}),
      ...(status ? { status: status as Asset['status'] } : {}),
      ...(qcStatus ? { qcStatus: qcStatus as Asset['qc']['status'] } : {}),
      ...(project ? { projectId: project } : {}),
      // The date picked is a day here: from its local midnight, filtered by the API.
      ...(since ? { createdSince: new Date(`${since}T00:00:00`).toISOString() } : {}),
    };
  }, [q, status, qcStatus, since, sort, project]);

  const reload = useCallback(async () => {
    const gen = ++generation.current;
    loading.current = true;
    try {
      const page = await api.listAssets(query());
      if (gen !== generation.current) return;
      setItems(page.items);
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      if (gen === generation.current) setError(errorText(err));
    } finally {
      if (gen === generation.current) loading.current = false;
    }
  }, [query]);

  const more = useCallback(async () => {
    if (loading.current || !cursor) return;
    const gen = generation.current;
    loading.current = true;
    try {
      const page = await api.listAssets({ ...query(), cursor });
      if (gen !== generation.current) return;
      setItems((prev) => [...prev, ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(errorText(err));
    } finally {
      loading.current = false;
    }
  }, [cursor, query]);

  useEffect(() => {
    const t = setTimeout(() => void reload(), q ? 250 : 0);
    return () => clearTimeout(t);
  }, [reload]);

  // Live: new assets, status changes and ingest progress per step.
  useEffect(
    () =>
      subscribe(
        null,
        (event) => {
          if (
            event.type === 'asset.created' ||
            event.type === 'asset.deleted' ||
            event.type === 'asset.restored'
          )
            void reload();
          else if (event.type === 'asset.updated' && event.assetId) {
            forgetDetails(event.assetId);
            void api
              .getAsset(event.assetId)
              .then((a) => setItems((prev) => prev.map((i) => (i.id === a.id ? a : i))));
          } else if (event.type === 'job.updated' && event.assetId && event.data) {
            const {
              type,
              status: s,
              progress,
            } = event.data as { type?: string; status?: string; progress?: number };
            if (!type) return;
            setSteps((prev) => ({
              ...prev,
              [event.assetId as string]: {
                ...prev[event.assetId as string],
                [type]: { status: s ?? 'running', progress: progress ?? 0 },
              },
            }));
          }
        },
        () => void reload(),
      ),
    [reload],
  );

  const perRow = view === 'grid' ? Math.max(1, Math.floor((width - 8) / 232)) : 1;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === '/') {
        e.preventDefault();
        search.current?.focus();
      } else if (e.key === 'j') setSelected((s) => Math.min(items.length - 1, s + (view === 'grid' ? 1 : 1)));
      else if (e.key === 'k') setSelected((s) => Math.max(0, s - 1));
      else if (e.key === 'Enter' && items[selected] && !(e.target instanceof HTMLAnchorElement))
        navigate(`/assets/${items[selected].id}`);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [items, selected, view]);

  return (
    <div class="library">
      <div class="toolbar" role="search">
        <label>
          <span class="sr">Search</span>
          <input
            ref={search}
            type="search"
            placeholder="Search titles and metadata  ( / )"
            value={q}
            onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        {projectNames && (
          <label>
            Project
            <select
              value={project}
              onChange={(e) => setProject((e.currentTarget as HTMLSelectElement).value)}
            >
              <option value="">any</option>
              {projects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Status
          <select value={status} onChange={(e) => setStatus((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">any</option>
            {ASSET_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          QC
          <select
            value={qcStatus}
            onChange={(e) => setQcStatus((e.currentTarget as HTMLSelectElement).value)}
          >
            <option value="">any</option>
            {QC_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Created since
          <input
            type="date"
            value={since}
            onInput={(e) => setSince((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <label>
          Sort
          <select value={sort} onChange={(e) => setSort((e.currentTarget as HTMLSelectElement).value)}>
            <option value="createdAt:desc">Newest first</option>
            <option value="createdAt:asc">Oldest first</option>
            <option value="updatedAt:desc">Recently changed</option>
            <option value="title:asc">Title A–Z</option>
            <option value="title:desc">Title Z–A</option>
          </select>
        </label>
        <div class="segmented" role="group" aria-label="View">
          {(['grid', 'list'] as const).map((v) => (
            <button
              key={v}
              type="button"
              aria-pressed={view === v}
              onClick={() => {
                setView(v);
                localStorage.setItem('frameproof.view', v);
              }}
            >
              {v === 'grid' ? 'Grid' : 'List'}
            </button>
          ))}
        </div>
      </div>
      {session.can('asset:create') && <Upload />}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="library-body" ref={box}>
        {items.length === 0 && !loading.current ? (
          <p class="empty">
            No assets{q || status || qcStatus || since || project ? ' match these filters' : ' yet'}.
          </p>
        ) : (
          <VirtualList
            items={items}
            perRow={perRow}
            rowHeight={view === 'grid' ? 224 : 56}
            label="Assets"
            scrollTo={selected}
            onNearEnd={() => void more()}
            renderRow={(row, r) =>
              row.map((asset, i) => (
                <AssetCard
                  key={asset.id}
                  asset={asset}
                  view={view}
                  steps={steps[asset.id]}
                  project={projectNames?.get(asset.projectId)}
                  selected={r * perRow + i === selected}
                />
              ))
            }
          />
        )}
      </div>
    </div>
  );
}

/** A card shows each step's progress in the order ingest runs them; a new job type shows too. */
const STEP_ORDER: readonly string[] = JOB_TYPES;

function AssetCard({
  asset,
  view,
  steps,
  project,
  selected,
}: {
  asset: Asset;
  view: 'grid' | 'list';
  steps: Steps | undefined;
  /** The asset's project, where there are several. */
  project: string | undefined;
  selected: boolean;
}) {
  const [details, setDetails] = useState<AssetWithShapes | null>(null);
  const [cue, setCue] = useState<SpriteTile | null>(null);
  const [jobs, setJobs] = useState<Steps | undefined>(undefined);
  // The tiles of these details (their signed URLs); new details mean new tiles.
  const cues = useRef<{ of: AssetWithShapes | null; tiles: SpriteTile[] }>({ of: null, tiles: [] });
  const refreshed = useRef<AssetWithShapes | null>(null);
  useEffect(() => {
    let live = true;
    if (asset.status === 'ready')
      void assetDetails(asset.id, asset.updatedAt).then(
        (d) => live && setDetails(d),
        () => undefined,
      );
    if (asset.status === 'ingesting')
      void api.listJobs({ assetId: asset.id, limit: 50 }).then(
        (page) => live && setJobs(stepsOf(page.items)),
        () => undefined,
      );
    return () => {
      live = false;
    };
  }, [asset.id, asset.status, asset.updatedAt]);
  const poster = details ? posterOf(details) : undefined;
  // Fresh details (new signed URLs), once per set of details that stopped working.
  const refresh = (stale: AssetWithShapes) => {
    if (refreshed.current === stale) return;
    refreshed.current = stale;
    forgetDetails(asset.id);
    forgetSprites(asset.id);
    setCue(null);
    void assetDetails(asset.id, asset.updatedAt).then(setDetails, () => undefined);
  };
  const scrub = (e: MouseEvent) => {
    if (!details || !asset.technical) return;
    // Signed URLs expire (MEDIA_URL_SECONDS): a long session asks for fresh ones first.
    if (!stillValid(urlsExpireAt(details), Date.now())) return refresh(details);
    const rect = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const at = ((e.clientX - rect.left) / rect.width) * asset.technical.durationSeconds;
    if (cues.current.of !== details) {
      const of = details;
      void spritesOf(of).then((tiles) => {
        cues.current = { of, tiles };
        setCue(tileAt(tiles, at) ?? null);
      });
    } else setCue(tileAt(cues.current.tiles, at) ?? null);
  };
  const progress = { ...jobs, ...steps };
  const href = `/assets/${asset.id}`;
  return (
    <a
      href={href}
      onClick={onLinkClick}
      class={`card ${view}${selected ? ' selected' : ''}`}
      aria-current={selected ? 'true' : undefined}
      data-asset-id={asset.id}
    >
      <div class="thumb" onMouseMove={scrub} onMouseLeave={() => setCue(null)}>
        {cue ? (
          <div
            class="sprite"
            aria-hidden="true"
            style={{
              backgroundImage: `url("${cue.url}")`,
              backgroundPosition: `-${cue.x}px -${cue.y}px`,
              width: `${cue.w}px`,
              height: `${cue.h}px`,
            }}
          >
            {/* A background image fails silently; this copy of the sheet says when (403: expired). */}
            <img hidden alt="" src={cue.url} onError={() => details && refresh(details)} />
          </div>
        ) : poster ? (
          <img src={poster} alt="" loading="lazy" />
        ) : (
          <span class="noposter" aria-hidden="true" />
        )}
      </div>
      <div class="meta">
        <span class="title">{asset.title}</span>
        <span class={`badge status-${asset.status}`}>{asset.status}</span>
        <span class={`badge qc-${asset.qc.status}`}>QC {asset.qc.status.replace('_', ' ')}</span>
        {project && <span class="badge project">{project}</span>}
        {view === 'list' && <span class="date">{new Date(asset.createdAt).toLocaleString()}</span>}
        {asset.status === 'ingesting' && (
          <span class="steps" aria-label="Ingest progress">
            {STEP_ORDER.filter((s) => progress[s]).map((s) => (
              <span key={s} class={`step ${progress[s]?.status}`} title={s}>
                {s} {Math.round(progress[s]?.progress ?? 0)}%
              </span>
            ))}
          </span>
        )}
      </div>
    </a>
  );
}

function stepsOf(jobs: Job[]): Steps {
  const out: Steps = {};
  for (const j of jobs) out[j.type] = { status: j.status, progress: j.progress ?? 0 };
  return out;
}
