import type { DeletedAsset } from '@frameproof/core';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../lib/api.js';
import { subscribe } from '../lib/events.js';
import { onLinkClick } from '../lib/router.js';

/**
 * `/trash` (editors and admins, `asset:delete`): deleted assets, restorable until their
 * retention runs out (ASSET_RETENTION_DAYS), then purged by the adapter. Restore brings one back
 * whole; deletions and restores by others arrive live.
 */
export function Trash() {
  const [items, setItems] = useState<DeletedAsset[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(
    () =>
      api.listDeletedAssets({ limit: 200 }).then(
        (list) => {
          setItems(list.items);
          setError(null);
        },
        (e: unknown) => setError(errorText(e)),
      ),
    [],
  );
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(
    () =>
      subscribe(
        null,
        (event) => {
          if (event.type === 'asset.deleted' || event.type === 'asset.restored') void load();
        },
        () => void load(),
      ),
    [load],
  );
  const restore = async (asset: DeletedAsset) => {
    try {
      await api.restoreAsset(asset.id);
      setItems((prev) => prev?.filter((a) => a.id !== asset.id) ?? null);
      setNotice(`Restored ${asset.title}.`);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section class="trash" aria-labelledby="trash-title">
      <h1 id="trash-title">Trash</h1>
      <p>Deleted assets can be restored until the date shown; after that they are removed for good.</p>
      {notice && (
        <p class="notice" role="status">
          {notice}{' '}
          <a href="/" onClick={onLinkClick}>
            Back to the library
          </a>
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {items === null ? (
        <p class="empty">Loading…</p>
      ) : items.length === 0 ? (
        <p class="empty">The trash is empty.</p>
      ) : (
        <table class="trash-list">
          <thead>
            <tr>
              <th scope="col">Asset</th>
              <th scope="col">Deleted</th>
              <th scope="col">Restorable until</th>
              <th scope="col">Restore</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.id} data-asset-id={a.id}>
                <th scope="row">{a.title}</th>
                <td>{new Date(a.deletedAt).toLocaleString()}</td>
                <td>{new Date(a.restorableUntil).toLocaleString()}</td>
                <td>
                  <button type="button" onClick={() => void restore(a)} aria-label={`Restore ${a.title}`}>
                    Restore
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
