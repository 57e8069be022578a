import { useEffect, useRef } from 'preact/hooks';

export const SHORTCUTS: [string, string][] = [
  ['?', 'Show or hide this sheet'],
  ['g', 'Go to the library'],
  ['/', 'Search (library) or filter markers (asset page)'],
  ['j / k', 'Next / previous asset or marker'],
  ['Enter', 'Open the selected asset; seek to the selected marker'],
  ['← / →', 'Step one frame back / forward (player)'],
  ['Space', 'Play / pause (player)'],
  ['m', 'Add a marker at the current frame'],
  ['e', 'Edit the selected marker'],
  ['c', 'Comment on the selected marker'],
  ['l', 'Copy a link to this frame'],
  ['r', 'Open the printable report (asset page)'],
  ['Shift+A', 'Approve (QC)'],
  ['Shift+R', 'Reject (QC): write the reason'],
  ['Escape', 'Close, cancel an edit'],
];

export function ShortcutSheet({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    dialog?.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} class="sheet" aria-labelledby="shortcuts-title" onClose={onClose}>
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <table>
        <tbody>
          {SHORTCUTS.map(([key, what]) => (
            <tr key={key}>
              <th scope="row">
                <kbd>{key}</kbd>
              </th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" onClick={onClose} autoFocus>
        Close
      </button>
    </dialog>
  );
}
