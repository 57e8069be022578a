import { useEffect, useRef, useState } from 'preact/hooks';
import { uploadTargets, useProjects } from '../lib/projects.js';
import { uploads, type UploadItem } from '../lib/uploads.js';

/** Drop files here or pick several; each uploads resumably with its own progress bar. */
export function Upload() {
  const [items, setItems] = useState<UploadItem[]>([]);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => uploads.subscribe(setItems), []);
  // Who may add to several projects chooses one; with one, it goes there.
  const targets = uploadTargets(useProjects());
  const [project, setProject] = useState('');
  const chosen = targets.length > 1 ? project || undefined : targets[0]?.id;
  const add = (files: FileList | null) => files && void uploads.add([...files], chosen);
  return (
    <section class="upload" aria-label="Upload">
      <div
        class={`dropzone${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          add(e.dataTransfer?.files ?? null);
        }}
      >
        {targets.length > 1 && (
          <label>
            Project{' '}
            <select
              value={project}
              aria-label="Project to upload to"
              onChange={(e) => setProject((e.currentTarget as HTMLSelectElement).value)}
            >
              <option value="">choose…</option>
              {targets.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <span>Drop media files here, or</span>
        <button type="button" onClick={() => input.current?.click()}>
          Choose files…
        </button>
        <input
          ref={input}
          type="file"
          multiple
          class="sr"
          aria-label="Files to upload"
          data-testid="upload-input"
          onChange={(e) => {
            add((e.currentTarget as HTMLInputElement).files);
            (e.currentTarget as HTMLInputElement).value = '';
          }}
        />
      </div>
      {items.length > 0 && (
        <ul class="uploads" aria-label="Uploads">
          {items.map((u) => (
            <li key={u.key} data-upload={u.name} data-state={u.state}>
              <span class="name">{u.name}</span>
              <progress max={u.size || 1} value={u.sent} aria-label={`Upload of ${u.name}`} />
              <span class="pct">{u.size ? Math.floor((u.sent / u.size) * 100) : 0}%</span>
              <span class="state">
                {u.state === 'interrupted'
                  ? 'interrupted: choose the file again to resume'
                  : u.state === 'failed'
                    ? `failed: ${u.error ?? ''}`
                    : u.state}
              </span>
              {u.state === 'uploading' && (
                <button type="button" onClick={() => uploads.pause(u.key)}>
                  Pause
                </button>
              )}
              {u.state !== 'uploading' && (
                <button type="button" onClick={() => uploads.dismiss(u.key)} aria-label={`Dismiss ${u.name}`}>
                  Dismiss
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
