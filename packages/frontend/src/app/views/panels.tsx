import type { Asset, AssetWithShapes, Job, Marker } from '@frameproof/core';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../lib/api.js';
import { timecodeOf } from '../lib/frames.js';
import { session } from '../lib/session.js';

/** Approve, or reject with a reason (required); who decided and when. */
export function QcPanel({
  asset,
  onChanged,
  intent,
}: {
  asset: Asset;
  onChanged: (a: AssetWithShapes) => void;
  intent: { action: 'approve' | 'reject'; at: number } | null;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reason = useRef<HTMLTextAreaElement>(null);
  const allowed = session.can('asset:qc', asset.projectId);
  const decide = async (status: 'approved' | 'rejected' | 'in_review') => {
    const why = reason.current?.value.trim() ?? '';
    if (status === 'rejected' && !why) {
      setError('A rejection needs a reason: write what is wrong.');
      reason.current?.focus();
      return;
    }
    setBusy(true);
    try {
      await api.setQc(asset.id, { status, ...(why ? { reason: why } : {}) });
      onChanged(await api.getAsset(asset.id));
      setError(null);
      if (reason.current) reason.current.value = '';
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (!intent) return;
    if (intent.action === 'approve') void decide('approved');
    else reason.current?.focus();
  }, [intent?.at]);
  const qc = asset.qc;
  return (
    <div class="qc">
      <dl class="facts">
        <dt>Status</dt>
        <dd data-testid="qc-status">{qc.status.replace('_', ' ')}</dd>
        <dt>Decided by</dt>
        <dd>{qc.by?.username ?? '—'}</dd>
        <dt>When</dt>
        <dd>{qc.at ? <time dateTime={qc.at}>{new Date(qc.at).toLocaleString()}</time> : '—'}</dd>
        {qc.reason && (
          <>
            <dt>Reason</dt>
            <dd class="reason">{qc.reason}</dd>
          </>
        )}
      </dl>
      {allowed ? (
        <form onSubmit={(e) => e.preventDefault()} aria-label="QC decision">
          <label>
            Reason (required to reject)
            <textarea ref={reason} name="reason" rows={3} maxLength={5000} />
          </label>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <div class="row">
            <button
              type="button"
              class="primary approve"
              disabled={busy}
              onClick={() => void decide('approved')}
            >
              Approve (Shift+A)
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => void decide('rejected')}>
              Reject (Shift+R)
            </button>
            <button type="button" disabled={busy} onClick={() => void decide('in_review')}>
              Back to review
            </button>
          </div>
        </form>
      ) : (
        <p class="empty">Your role cannot decide QC.</p>
      )}
    </div>
  );
}

/** What automatic QC found: its markers (black, freeze, silence, loudness…) and its summary. */
export function AutoQcPanel({
  asset,
  markers,
  onSeek,
}: {
  asset: Asset;
  markers: Marker[];
  onSeek: (f: number) => void;
}) {
  const found = markers.filter((m) => m.group === 'Auto QC').sort((a, b) => a.start.frame - b.start.frame);
  const summary = asset.analysis['auto-qc'];
  return (
    <div class="autoqc">
      {found.length === 0 ? (
        <p class="empty">
          {asset.status === 'ingesting' ? 'Automatic QC has not run yet.' : 'Automatic QC found nothing.'}
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">In</th>
              <th scope="col">Out</th>
              <th scope="col">Finding</th>
              <th scope="col">Category</th>
              <th scope="col">Severity</th>
            </tr>
          </thead>
          <tbody>
            {found.map((m) => (
              <tr key={m.id}>
                <td>
                  <button type="button" class="link" onClick={() => onSeek(m.start.frame)}>
                    {m.start.timecode ?? timecodeOf(asset, m.start.frame)}
                  </button>
                </td>
                <td>{m.end.timecode ?? timecodeOf(asset, m.end.frame)}</td>
                <td>{m.title}</td>
                <td>{m.category ?? ''}</td>
                <td class={`sev-${m.severity ?? 'none'}`}>{m.severity ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {summary !== undefined && (
        <details>
          <summary>Analysis details</summary>
          <pre>{JSON.stringify(summary, null, 2)}</pre>
        </details>
      )}
    </div>
  );
}

interface Loudness {
  integrated: number | null;
  range: number | null;
  truePeak: number | null;
  target: { integrated: number; tolerance: number; truePeak: number };
  pass: boolean;
  checks: { integrated: { pass: boolean; deviation: number | null }; truePeak: { pass: boolean } };
}

const fmt = (v: number | null | undefined, unit: string) =>
  v === null || v === undefined ? '—' : `${v.toFixed(1)} ${unit}`;

/** Loudness per audio track from analyze: values against the target, pass or fail. */
export function LoudnessPanel({ asset }: { asset: AssetWithShapes }) {
  const tracks = asset.shapes.filter((s) => s.type === 'audio-proxy' && s.track !== null);
  const [results, setResults] = useState<Record<number, Loudness | string>>({});
  useEffect(() => {
    for (const shape of tracks) {
      const track = shape.track as number;
      void api
        .fetchWithAuth(`/api/analyze/assets/${asset.id}/audio/${track}/loudness`)
        .then(async (res) => {
          const body = (await res.json()) as Loudness & { message?: string };
          setResults((r) => ({ ...r, [track]: res.ok ? body : (body.message ?? `HTTP ${res.status}`) }));
        })
        .catch((err: unknown) => setResults((r) => ({ ...r, [track]: errorText(err) })));
    }
  }, [asset.id, tracks.length]);
  if (tracks.length === 0)
    return (
      <p class="empty">
        {asset.status === 'ingesting' ? 'Audio is still being prepared.' : 'This asset has no audio tracks.'}
      </p>
    );
  return (
    <table class="loudness">
      <thead>
        <tr>
          <th scope="col">Track</th>
          <th scope="col">Integrated</th>
          <th scope="col">Target</th>
          <th scope="col">True peak</th>
          <th scope="col">Max</th>
          <th scope="col">Range</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        {tracks.map((shape) => {
          const r = results[shape.track as number];
          return (
            <tr key={shape.id}>
              <th scope="row">{shape.label ?? `Track ${shape.track}`}</th>
              {r === undefined ? (
                <td colSpan={6}>Measuring…</td>
              ) : typeof r === 'string' ? (
                <td colSpan={6} class="error">
                  {r}
                </td>
              ) : (
                <>
                  <td class={r.checks.integrated.pass ? 'pass' : 'fail'}>{fmt(r.integrated, 'LUFS')}</td>
                  <td>
                    {r.target.integrated} ± {r.target.tolerance} LUFS
                  </td>
                  <td class={r.checks.truePeak.pass ? 'pass' : 'fail'}>{fmt(r.truePeak, 'dBTP')}</td>
                  <td>{r.target.truePeak} dBTP</td>
                  <td>{fmt(r.range, 'LU')}</td>
                  <td>
                    <span class={`badge ${r.pass ? 'pass' : 'fail'}`}>{r.pass ? 'pass' : 'fail'}</span>
                  </td>
                </>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** What the probe found: container, streams, timecode. */
export function MetadataPanel({ asset }: { asset: Asset }) {
  const t = asset.technical;
  if (!t) return <p class="empty">The probe has not run yet.</p>;
  const rate = asset.frameRate ? `${asset.frameRate.num}/${asset.frameRate.den}` : '—';
  return (
    <div class="metadata">
      <dl class="facts">
        <dt>Container</dt>
        <dd>{t.container}</dd>
        <dt>Duration</dt>
        <dd>
          {t.durationSeconds.toFixed(3)} s
          {asset.durationFrames !== null ? ` (${asset.durationFrames} frames)` : ''}
        </dd>
        <dt>Frame rate</dt>
        <dd>{rate}</dd>
        <dt>Start timecode</dt>
        <dd>
          {asset.startTimecode ?? '00:00:00:00'}
          {asset.dropFrame ? ' (drop-frame)' : ''}
        </dd>
        {t.sizeBytes !== undefined && (
          <>
            <dt>Size</dt>
            <dd>{(t.sizeBytes / 1e6).toFixed(1)} MB</dd>
          </>
        )}
        {t.bitRate !== undefined && (
          <>
            <dt>Bit rate</dt>
            <dd>{(t.bitRate / 1e6).toFixed(2)} Mb/s</dd>
          </>
        )}
      </dl>
      {t.video.map((v) => (
        <dl class="facts" key={`v${v.index}`} aria-label={`Video stream ${v.index}`}>
          <dt>Video #{v.index}</dt>
          <dd>
            {v.codec}
            {v.profile ? ` (${v.profile})` : ''} {v.width}×{v.height} {v.frameRate.num}/{v.frameRate.den}
            {v.fieldOrder ? ` ${v.fieldOrder}` : ''} {v.pixelFormat ?? ''} {v.colorSpace ?? ''}
            {v.frameCount !== undefined ? `, ${v.frameCount} frames` : ''}
          </dd>
        </dl>
      ))}
      {t.audio.map((a) => (
        <dl class="facts" key={`a${a.index}`} aria-label={`Audio track ${a.track}`}>
          <dt>Audio track {a.track}</dt>
          <dd>
            {a.codec} {a.channels} ch {a.channelLayout ?? ''} {a.sampleRate} Hz {a.language ?? ''}
          </dd>
        </dl>
      ))}
      {t.subtitles.map((s) => (
        <dl class="facts" key={`s${s.index}`}>
          <dt>Subtitles #{s.index}</dt>
          <dd>
            {s.codec} {s.language ?? ''}
          </dd>
        </dl>
      ))}
    </div>
  );
}

/** The asset's jobs: progress, and retry or cancel where the role allows. */
export function JobsPanel({
  jobs,
  projectId,
  onChanged,
}: {
  jobs: Job[];
  projectId: string | undefined;
  onChanged: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const manage = session.can('job:manage', projectId);
  const act = (p: Promise<unknown>) => void p.then(onChanged, (e: unknown) => setError(errorText(e)));
  return (
    <div class="jobs">
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Attempts</th>
            <th scope="col">
              <span class="sr">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id} data-job={j.type}>
              <th scope="row">{j.type}</th>
              <td class={`job-${j.status}`}>
                {j.status}
                {j.error ? `: ${j.error}` : ''}
              </td>
              <td>
                <progress max={100} value={j.progress} aria-label={`${j.type} progress`} />{' '}
                {Math.round(j.progress)}%
              </td>
              <td>
                {j.attempts}/{j.maxAttempts}
              </td>
              <td>
                {manage && (j.status === 'failed' || j.status === 'cancelled') && (
                  <button type="button" onClick={() => act(api.retryJob(j.id))}>
                    Retry
                  </button>
                )}
                {manage && (j.status === 'queued' || j.status === 'running') && (
                  <button type="button" onClick={() => act(api.cancelJob(j.id))}>
                    Cancel
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export const EXPORT_FORMATS: [string, string][] = [
  ['csv', 'CSV'],
  ['json', 'JSON'],
  ['edl', 'DaVinci Resolve EDL'],
  ['avid', 'Avid marker text'],
  ['fcpxml', 'Final Cut Pro XML'],
];

/** Markers out (CSV, JSON, EDL, Avid, FCP XML) and in (CSV, JSON, all or none); subtitles. */
export function ExchangePanel({ asset, onChanged }: { asset: AssetWithShapes; onChanged: () => void }) {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const write = session.can('marker:write', asset.projectId);
  const download = async (format: string) => {
    try {
      const res = await api.fetchWithAuth(`/api/assets/${asset.id}/markers/export?format=${format}`);
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { message?: string };
        throw new Error(body.message ?? `HTTP ${res.status}`);
      }
      const name =
        /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1] ??
        `markers.${format}`;
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setMessage({ ok: true, text: `Exported ${name}.` });
    } catch (err) {
      setMessage({ ok: false, text: `Export failed: ${errorText(err)}` });
    }
  };
  const importMarkers = async (form: HTMLFormElement) => {
    const data = new FormData(form);
    const file = data.get('file') as File | null;
    if (!file || !file.size) return setMessage({ ok: false, text: 'Choose a CSV or JSON file to import.' });
    const format = /\.json$/i.test(file.name) ? 'json' : 'csv';
    try {
      const out = await api.request<{ items: Marker[] }>('POST', `/api/assets/${asset.id}/markers/import`, {
        body: { format, text: await file.text() },
      });
      setMessage({ ok: true, text: `Imported ${out.items.length} markers from ${file.name}.` });
      form.reset();
      onChanged();
    } catch (err) {
      setMessage({ ok: false, text: `Nothing was imported: ${errorText(err)}` });
    }
  };
  const attachSubtitles = async (form: HTMLFormElement) => {
    const data = new FormData(form);
    const file = data.get('file') as File | null;
    const language = String(data.get('language') ?? '').trim();
    if (!file || !file.size || !language)
      return setMessage({ ok: false, text: 'Choose a subtitle file and its language.' });
    const format = /\.vtt$/i.test(file.name) ? 'vtt' : 'srt';
    try {
      await api.request('POST', `/api/assets/${asset.id}/subtitles`, {
        body: {
          language,
          label: String(data.get('label') ?? '') || undefined,
          format,
          text: await file.text(),
        },
      });
      setMessage({ ok: true, text: `Attached ${file.name} (${language}).` });
      form.reset();
      onChanged();
    } catch (err) {
      setMessage({ ok: false, text: `The subtitles were not attached: ${errorText(err)}` });
    }
  };
  const subtitles = asset.shapes.filter((s) => (s.type as string) === 'subtitle');
  return (
    <div class="exchange">
      {message && (
        <p class={message.ok ? 'notice' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <h2>Export markers</h2>
      <div class="row">
        {EXPORT_FORMATS.map(([format, label]) => (
          <button key={format} type="button" onClick={() => void download(format)} data-export={format}>
            {label}
          </button>
        ))}
      </div>
      {write && (
        <>
          <h2>Import markers</h2>
          <form
            class="row"
            aria-label="Import markers"
            onSubmit={(e) => {
              e.preventDefault();
              void importMarkers(e.currentTarget as HTMLFormElement);
            }}
          >
            <label>
              CSV or JSON file
              <input name="file" type="file" accept=".csv,.json,text/csv,application/json" />
            </label>
            <button type="submit">Import (all or none)</button>
          </form>
          <h2>Subtitles</h2>
          <ul>
            {subtitles.map((s) => (
              <li key={s.id}>
                {s.label ?? 'Subtitles'} {String(s.metadata.language ?? '')}{' '}
                <button
                  type="button"
                  aria-label={`Remove subtitles ${s.label ?? ''}`}
                  onClick={() =>
                    void api
                      .request('DELETE', `/api/assets/${asset.id}/subtitles/${s.id}`)
                      .then(onChanged, (e: unknown) => setMessage({ ok: false, text: errorText(e) }))
                  }
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
          <form
            class="row"
            aria-label="Attach subtitles"
            onSubmit={(e) => {
              e.preventDefault();
              void attachSubtitles(e.currentTarget as HTMLFormElement);
            }}
          >
            <label>
              SRT or WebVTT file
              <input name="file" type="file" accept=".srt,.vtt" />
            </label>
            <label>
              Language
              <input name="language" size={6} placeholder="en" />
            </label>
            <label>
              Label
              <input name="label" size={12} placeholder="English (CC)" />
            </label>
            <button type="submit">Attach</button>
          </form>
        </>
      )}
    </div>
  );
}
