import { useEffect, useState } from 'preact/hooks';
import { navigate, onLinkClick, useLocation } from './lib/router.js';
import { safeNext, session } from './lib/session.js';
import { AssetPage } from './views/AssetPage.js';
import { Library } from './views/Library.js';
import { Report } from './views/Report.js';
import { ShortcutSheet } from './views/ShortcutSheet.js';
import { SignIn } from './views/SignIn.js';
import { Trash } from './views/Trash.js';
import { Projects } from './views/Projects.js';
import { Users } from './views/Users.js';

const ASSET = /^\/assets\/([0-9a-f-]{36})(\/report)?$/;

function useSession() {
  const [, setTick] = useState(0);
  useEffect(() => session.subscribe(() => setTick((t) => t + 1)), []);
  return session;
}

export function App() {
  const s = useSession();
  const { path, search } = useLocation();
  const [sheet, setSheet] = useState(false);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e)) return;
      if (e.key === '?') {
        e.preventDefault();
        setSheet((v) => !v);
      } else if (e.key === 'Escape') setSheet(false);
      else if (e.key === 'g' && !e.ctrlKey && !e.metaKey) navigate('/');
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  // Not signed in (or the session ended): sign in, then back to where the person was.
  if (!s.user || s.expired || !s.token) {
    const here = location.pathname + location.search;
    const next = path === '/signin' ? safeNext(search.get('next')) : safeNext(here);
    if (path !== '/signin') history.replaceState(null, '', `/signin?next=${encodeURIComponent(next)}`);
    return <SignIn next={next} expired={s.expired} />;
  }
  if (path === '/signin') {
    navigate(safeNext(search.get('next')), true);
    return null;
  }

  const asset = ASSET.exec(path);
  let page;
  if (asset?.[1] && asset[2]) page = <Report id={asset[1]} />;
  else if (asset?.[1]) page = <AssetPage id={asset[1]} search={search} />;
  else if (path === '/admin/users' && s.can('user:manage')) page = <Users />;
  else if (path === '/admin/projects' && s.can('project:manage')) page = <Projects />;
  else if (path === '/trash' && s.can('asset:delete')) page = <Trash />;
  else if (path === '/') page = <Library />;
  else
    page = (
      <p class="empty">
        Nothing here.{' '}
        <a href="/" onClick={onLinkClick}>
          Back to the library
        </a>
      </p>
    );

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top no-print">
        <a class="brand" href="/" onClick={onLinkClick}>
          Frameproof
        </a>
        <nav aria-label="Main">
          <a href="/" onClick={onLinkClick} aria-current={path === '/' ? 'page' : undefined}>
            Library
          </a>
          {s.can('asset:delete') && (
            <a href="/trash" onClick={onLinkClick} aria-current={path === '/trash' ? 'page' : undefined}>
              Trash
            </a>
          )}
          {s.can('user:manage') && (
            <a
              href="/admin/users"
              onClick={onLinkClick}
              aria-current={path === '/admin/users' ? 'page' : undefined}
            >
              Users
            </a>
          )}
          {s.can('project:manage') && (
            <a
              href="/admin/projects"
              onClick={onLinkClick}
              aria-current={path === '/admin/projects' ? 'page' : undefined}
            >
              Projects
            </a>
          )}
        </nav>
        <span class="who">
          {s.user.displayName ?? s.user.username} · {s.user.role}
        </span>
        <button type="button" onClick={() => setSheet(true)} aria-label="Keyboard shortcuts">
          ?
        </button>
        <button type="button" onClick={() => void session.signOut().then(() => navigate('/signin'))}>
          Sign out
        </button>
      </header>
      <main id="main">{page}</main>
      {sheet && <ShortcutSheet onClose={() => setSheet(false)} />}
    </>
  );
}

/** Keys typed into a field are text, and keys inside the player are the player's: not app shortcuts. */
export function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return (
    !!t &&
    (t.isContentEditable ||
      ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) ||
      !!t.closest?.('[data-testid="player-mount"]'))
  );
}
