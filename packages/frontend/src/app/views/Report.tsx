import type { AssetWithShapes, Marker } from '@frameproof/core';
import { frameToSeconds } from '@frameproof/core';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../lib/api.js';
import { timecodeOf } from '../lib/frames.js';
import { onLinkClick } from '../lib/router.js';
import { tileAt, type SpriteTile } from '@frameproof/player';
import { spritesOf } from '../lib/sprites.js';
import { LoudnessPanel, MetadataPanel } from './panels.js';

/** The printable QC report: asset, technical metadata, loudness, decision, every marker with a still. */
export function Report({ id }: { id: string }) {
  const [asset, setAsset] = useState<AssetWithShapes | null>(null);
  const [markers, setMarkers] = useState<Marker[]>([]);
  const [cues, setCues] = useState<SpriteTile[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    Promise.all([api.getAsset(id), api.listMarkers(id)]).then(
      async ([a, m]) => {
        setAsset(a);
        setMarkers(m.items.sort((x, y) => x.start.frame - y.start.frame));
        setCues(await spritesOf(a));
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, [id]);
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!asset) return <p class="empty">Loading…</p>;
  const qc = asset.qc;
  return (
    <article class="report">
      <div class="no-print row">
        <a href={`/assets/${id}`} onClick={onLinkClick}>
          Back to the asset
        </a>
        <button type="button" class="primary" onClick={() => print()}>
          Print or save as PDF
        </button>
      </div>
      <h1>QC report: {asset.title}</h1>
      <p>
        Generated {new Date().toLocaleString()} · asset {asset.id}
      </p>
      <h2>QC decision</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd>{qc.status.replace('_', ' ')}</dd>
        <dt>Decided by</dt>
        <dd>{qc.by?.username ?? '—'}</dd>
        <dt>When</dt>
        <dd>{qc.at ? new Date(qc.at).toLocaleString() : '—'}</dd>
        <dt>Reason</dt>
        <dd>{qc.reason ?? '—'}</dd>
      </dl>
      <h2>Technical metadata</h2>
      <MetadataPanel asset={asset} />
      <h2>Loudness</h2>
      <LoudnessPanel asset={asset} />
      <h2>Markers ({markers.length})</h2>
      <table class="report-markers">
        <thead>
          <tr>
            <th scope="col">Still</th>
            <th scope="col">In</th>
            <th scope="col">Out</th>
            <th scope="col">Marker</th>
            <th scope="col">Group</th>
            <th scope="col">Severity</th>
            <th scope="col">By</th>
          </tr>
        </thead>
        <tbody>
          {markers.map((m) => (
            <tr key={m.id}>
              <td>
                <Still
                  cue={
                    asset.frameRate ? tileAt(cues, frameToSeconds(m.start.frame, asset.frameRate)) : undefined
                  }
                />
              </td>
              <td>{m.start.timecode ?? timecodeOf(asset, m.start.frame)}</td>
              <td>{m.end.timecode ?? timecodeOf(asset, m.end.frame)}</td>
              <td>
                <strong>{m.title}</strong>
                {m.description && <div>{m.description}</div>}
              </td>
              <td>{m.group}</td>
              <td>{m.severity ?? ''}</td>
              <td>{m.author?.username ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}

const sheets = new Map<string, Promise<HTMLImageElement>>();

/** The marker's frame from the sprite sheet, drawn on a canvas (prints where backgrounds do not). */
function Still({ cue }: { cue: SpriteTile | undefined }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!cue || !ref.current) return;
    let image = sheets.get(cue.url);
    if (!image) {
      image = new Promise((resolve, reject) => {
        const img = new Image();
        img.onload = () => resolve(img);
        img.onerror = reject;
        img.src = cue.url;
      });
      sheets.set(cue.url, image);
    }
    const canvas = ref.current;
    void image.then(
      (img) => canvas.getContext('2d')?.drawImage(img, cue.x, cue.y, cue.w, cue.h, 0, 0, cue.w, cue.h),
      () => undefined,
    );
  }, [cue?.url, cue?.x, cue?.y]);
  if (!cue) return <span class="empty">no still</span>;
  return (
    <canvas
      ref={ref}
      width={cue.w}
      height={cue.h}
      class="still"
      role="img"
      aria-label="Still of the marker's frame"
    />
  );
}
