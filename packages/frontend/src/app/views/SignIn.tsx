import { useState } from 'preact/hooks';
import { navigate } from '../lib/router.js';
import { session } from '../lib/session.js';

export function SignIn({ next, expired }: { next: string; expired: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (session.oidc) {
    return (
      <main id="main" class="signin">
        <h1>Frameproof</h1>
        {expired && <p role="status">Your session has ended. Sign in again to continue.</p>}
        <button type="button" class="primary" onClick={() => void session.signInWithProvider(next)}>
          Sign in
        </button>
      </main>
    );
  }
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      await session.signIn(String(form.get('username')), String(form.get('password')));
      navigate(next, true);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>Frameproof</h1>
      {expired && <p role="status">Your session has ended. Sign in again to continue where you were.</p>}
      <form onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <label>
          Username
          <input name="username" autocomplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
