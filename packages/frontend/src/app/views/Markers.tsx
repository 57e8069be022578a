import { type AssetWithShapes, type Comment, type Marker, SEVERITIES } from '@frameproof/core';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { isTyping } from '../App.js';
import { api, errorText } from '../lib/api.js';
import { frameOf, timecodeOf } from '../lib/frames.js';

interface Props {
  asset: AssetWithShapes;
  markers: Marker[];
  frame: number;
  onSeek: (frame: number) => void;
  onChanged: () => void;
  canWrite: boolean;
  canComment: boolean;
  /** A marker the player asked for (its m key, or an in/out range): opens the form with its frames. */
  draft?: MarkerDraft | null;
}

export interface MarkerDraft {
  start: number;
  end: number;
  /** Counts requests, so that asking twice for the same frames opens the form again. */
  seq: number;
}

/** Markers: filter by group, category and severity, search, click to seek, edit in place, comments. */
export function MarkersPanel(props: Props) {
  const { asset, markers, frame, onSeek, onChanged, canWrite, canComment, draft } = props;
  const [group, setGroup] = useState('');
  const [category, setCategory] = useState('');
  const [severity, setSeverity] = useState('');
  const [text, setText] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [commenting, setCommenting] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const filter = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (draft && canWrite) setAdding(true);
  }, [draft?.seq]);

  const groups = useMemo(() => [...new Set(markers.map((m) => m.group))].sort(), [markers]);
  const categories = useMemo(
    () => [...new Set(markers.map((m) => m.category).filter((c): c is string => !!c))].sort(),
    [markers],
  );
  const shown = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return markers
      .filter(
        (m) =>
          (!group || m.group === group) &&
          (!category || m.category === category) &&
          (!severity || m.severity === severity) &&
          (!needle || `${m.title} ${m.description ?? ''}`.toLowerCase().includes(needle)),
      )
      .sort((a, b) => a.start.frame - b.start.frame);
  }, [markers, group, category, severity, text]);

  const select = (m: Marker) => {
    setSelected(m.id);
    onSeek(m.start.frame);
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      const i = shown.findIndex((m) => m.id === selected);
      if (e.key === '/') {
        e.preventDefault();
        filter.current?.focus();
      } else if (e.key === 'm' && canWrite) {
        e.preventDefault();
        setAdding(true);
      } else if (e.key === 'j' && shown.length) select(shown[Math.min(shown.length - 1, i + 1)] as Marker);
      else if (e.key === 'k' && shown.length) select(shown[Math.max(0, i - 1)] as Marker);
      else if (e.key === 'e' && selected && canWrite) {
        e.preventDefault();
        setEditing(selected);
      } else if (e.key === 'c' && selected && canComment) {
        e.preventDefault();
        setCommenting(selected);
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [shown, selected, canWrite, canComment]);

  const save = async (m: Marker | null, form: HTMLFormElement) => {
    const data = new FormData(form);
    const title = String(data.get('title') ?? '').trim();
    const at = String(data.get('at') ?? '').trim();
    const sev = String(data.get('severity') ?? '');
    const cat = String(data.get('category') ?? '').trim();
    try {
      if (!title) throw new Error('a marker needs a title');
      const start = at ? frameOf(asset, at) : frame;
      const outText = String(data.get('out') ?? '').trim();
      const end = outText ? frameOf(asset, outText) : undefined;
      const body = {
        title,
        start: { frame: start },
        ...(end !== undefined
          ? { end: { frame: end } }
          : m
            ? { end: { frame: Math.max(start, m.end.frame - m.start.frame + start) } }
            : {}),
        ...(sev ? { severity: sev as Marker['severity'] & string } : {}),
        ...(cat ? { category: cat } : {}),
      } as Parameters<typeof api.createMarker>[1];
      if (m) await api.updateMarker(asset.id, m.id, body);
      else {
        const created = await api.createMarker(asset.id, body);
        setSelected(created.id);
      }
      setEditing(null);
      setAdding(false);
      setError(null);
      onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div class="markers">
      <div class="toolbar">
        <label>
          <span class="sr">Filter markers</span>
          <input
            ref={filter}
            type="search"
            placeholder="Search markers  ( / )"
            value={text}
            onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <Select label="Group" value={group} onChange={setGroup} options={groups} />
        <Select label="Category" value={category} onChange={setCategory} options={categories} />
        <Select label="Severity" value={severity} onChange={setSeverity} options={[...SEVERITIES]} />
        {canWrite && (
          <button type="button" onClick={() => setAdding(true)}>
            Add marker (m)
          </button>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {adding && (
        <MarkerForm
          key={draft?.seq ?? 0}
          asset={asset}
          frame={draft?.start ?? frame}
          out={draft && draft.end !== draft.start ? draft.end : undefined}
          marker={null}
          onSubmit={(form) => void save(null, form)}
          onCancel={() => setAdding(false)}
        />
      )}
      <ol class="marker-list" aria-label="Markers">
        {shown.map((m) => (
          <li
            key={m.id}
            class={`marker sev-${m.severity ?? 'none'}${selected === m.id ? ' selected' : ''}`}
            aria-current={selected === m.id ? 'true' : undefined}
            data-marker-id={m.id}
          >
            {editing === m.id ? (
              <MarkerForm
                asset={asset}
                frame={m.start.frame}
                marker={m}
                onSubmit={(form) => void save(m, form)}
                onCancel={() => setEditing(null)}
              />
            ) : (
              <>
                <button
                  type="button"
                  class="seek"
                  onClick={() => select(m)}
                  onDblClick={() => canWrite && setEditing(m.id)}
                >
                  <span class="tc">{m.start.timecode ?? timecodeOf(asset, m.start.frame)}</span>
                  {m.end.frame !== m.start.frame && (
                    <span class="tc"> – {m.end.timecode ?? timecodeOf(asset, m.end.frame)}</span>
                  )}
                  <span class="mtitle">{m.title}</span>
                </button>
                <span class="tags">
                  <span class="tag">{m.group}</span>
                  {m.category && <span class="tag">{m.category}</span>}
                  {m.severity && <span class={`tag sev-${m.severity}`}>{m.severity}</span>}
                  {m.author && <span class="by">{m.author.username}</span>}
                </span>
                {canWrite && (
                  <span class="actions">
                    <button
                      type="button"
                      onClick={() => setEditing(m.id)}
                      aria-label={`Edit marker ${m.title}`}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      aria-label={`Delete marker ${m.title}`}
                      onClick={() =>
                        void api
                          .deleteMarker(asset.id, m.id)
                          .then(onChanged, (e: unknown) => setError(errorText(e)))
                      }
                    >
                      Delete
                    </button>
                  </span>
                )}
                {(selected === m.id || commenting === m.id) && (
                  <Comments
                    assetId={asset.id}
                    marker={m}
                    canComment={canComment}
                    focus={commenting === m.id}
                  />
                )}
              </>
            )}
          </li>
        ))}
      </ol>
      {shown.length === 0 && <p class="empty">No markers{markers.length ? ' match' : ' yet'}.</p>}
    </div>
  );
}

function Select(props: { label: string; value: string; onChange: (v: string) => void; options: string[] }) {
  return (
    <label>
      {props.label}
      <select
        value={props.value}
        onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        <option value="">all</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

function MarkerForm(props: {
  asset: AssetWithShapes;
  frame: number;
  /** The out frame of a new marker over a range. */
  out?: number | undefined;
  marker: Marker | null;
  onSubmit: (form: HTMLFormElement) => void;
  onCancel: () => void;
}) {
  const { asset, marker } = props;
  // `autofocus` only counts at page load; a form that appears later takes focus itself.
  const title = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => title.current?.focus(), []);
  return (
    <form
      class="marker-form"
      aria-label={marker ? 'Edit marker' : 'New marker'}
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit(e.currentTarget as HTMLFormElement);
      }}
      onKeyDown={(e) => e.key === 'Escape' && props.onCancel()}
    >
      <label>
        Title
        <input ref={title} name="title" required maxLength={500} defaultValue={marker?.title ?? ''} />
      </label>
      <label>
        In
        <input
          name="at"
          defaultValue={asset.frameRate ? timecodeOf(asset, props.frame) : String(props.frame)}
          size={12}
        />
      </label>
      <label>
        Out
        <input
          name="out"
          defaultValue={
            marker && marker.end.frame !== marker.start.frame
              ? timecodeOf(asset, marker.end.frame)
              : props.out === undefined
                ? ''
                : asset.frameRate
                  ? timecodeOf(asset, props.out)
                  : String(props.out)
          }
          size={12}
        />
      </label>
      <label>
        Severity
        <select name="severity" defaultValue={marker?.severity ?? ''}>
          <option value="">none</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Category
        <input name="category" defaultValue={marker?.category ?? ''} size={10} />
      </label>
      <button type="submit" class="primary">
        Save
      </button>
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}

function Comments({
  assetId,
  marker,
  canComment,
  focus,
}: {
  assetId: string;
  marker: Marker;
  canComment: boolean;
  focus: boolean;
}) {
  const [items, setItems] = useState<Comment[]>([]);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (focus) input.current?.focus();
  }, [focus]);
  const load = () =>
    api.listComments(assetId, marker.id).then(
      (r) => setItems(r.items),
      (e: unknown) => setError(errorText(e)),
    );
  useEffect(() => {
    void load();
  }, [marker.id, marker.updatedAt]);
  return (
    <div class="comments" aria-label={`Comments on ${marker.title}`}>
      {marker.description && <p class="desc">{marker.description}</p>}
      <ul>
        {items.map((c) => (
          <li key={c.id}>
            <span class="by">{c.author?.username ?? 'someone'}</span> <span class="body">{c.body}</span>{' '}
            <time dateTime={c.createdAt}>{new Date(c.createdAt).toLocaleString()}</time>
          </li>
        ))}
      </ul>
      {canComment && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const form = e.currentTarget as HTMLFormElement;
            const body = String(new FormData(form).get('body') ?? '').trim();
            if (!body) return;
            void api.addComment(assetId, marker.id, body).then(
              () => {
                form.reset();
                void load();
              },
              (err: unknown) => setError(errorText(err)),
            );
          }}
        >
          <label>
            <span class="sr">Comment</span>
            <input ref={input} name="body" placeholder="Comment…" maxLength={10000} />
          </label>
          <button type="submit">Comment</button>
        </form>
      )}
      {error && <p class="error">{error}</p>}
    </div>
  );
}
