import { useEffect, useState } from 'preact/hooks';

/** A small history router: the app's few routes do not need a library. */
export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  dispatchEvent(new Event('frameproof:navigate'));
}

export function useLocation(): { path: string; search: URLSearchParams } {
  const read = () => ({ path: location.pathname, search: new URLSearchParams(location.search) });
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const update = () => setLoc(read());
    addEventListener('popstate', update);
    addEventListener('frameproof:navigate', update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener('frameproof:navigate', update);
    };
  }, []);
  return loc;
}

/** Links that navigate in the app (plain clicks) and stay real links (new tab, copy). */
export function onLinkClick(event: MouseEvent): void {
  const a = (event.currentTarget as HTMLElement).closest('a');
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
    return;
  const url = new URL(a.href);
  if (url.origin !== location.origin) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
}
