import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

/**
 * Renders only the rows in view (plus a few either side) inside a spacer as tall as all rows,
 * so a library of 10,000 assets costs what one screenful does. Asks for more near the end.
 */
export function VirtualList<T>(props: {
  items: T[];
  rowHeight: number;
  perRow: number;
  label: string;
  renderRow: (items: T[], rowIndex: number) => ComponentChildren;
  onNearEnd?: () => void;
  scrollTo?: number;
}) {
  const { items, rowHeight, perRow, onNearEnd } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 800 });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => setView({ top: el.scrollTop, height: el.clientHeight });
    const ro = new ResizeObserver(update);
    ro.observe(el);
    el.addEventListener('scroll', update, { passive: true });
    update();
    return () => {
      ro.disconnect();
      el.removeEventListener('scroll', update);
    };
  }, []);
  const rows = Math.ceil(items.length / perRow);
  const first = Math.max(0, Math.floor(view.top / rowHeight) - 3);
  const last = Math.min(rows, Math.ceil((view.top + view.height) / rowHeight) + 3);
  useEffect(() => {
    if (last >= rows - 5) onNearEnd?.();
  }, [last, rows, onNearEnd]);
  useEffect(() => {
    const el = ref.current;
    if (!el || props.scrollTo === undefined) return;
    const row = Math.floor(props.scrollTo / perRow);
    const y = row * rowHeight;
    if (y < el.scrollTop) el.scrollTop = y;
    else if (y + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = y + rowHeight - el.clientHeight;
  }, [props.scrollTo, perRow, rowHeight]);
  const out = [];
  for (let r = first; r < last; r++) {
    out.push(
      <div
        class="vrow"
        key={r}
        style={{ transform: `translateY(${r * rowHeight}px)`, height: `${rowHeight}px` }}
      >
        {props.renderRow(items.slice(r * perRow, r * perRow + perRow), r)}
      </div>,
    );
  }
  return (
    <div
      class="vlist"
      ref={ref}
      role="region"
      aria-label={props.label}
      data-testid="library-scroll"
      tabIndex={0}
    >
      <div class="vspace" style={{ height: `${rows * rowHeight}px` }}>
        {out}
      </div>
    </div>
  );
}
