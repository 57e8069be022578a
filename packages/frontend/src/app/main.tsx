import { render } from 'preact';
import { App } from './App.js';
import { session } from './lib/session.js';
import './styles.css';

const root = document.getElementById('app');
if (!root) throw new Error('#app is missing from index.html');
session.start().then(
  () => {
    // The session is known (refreshed from the cookie, or none): the benchmark's first mark.
    performance.mark('fp:session');
    render(<App />, root);
  },
  (err: unknown) => {
    root.textContent = `Frameproof could not start: ${err instanceof Error ? err.message : String(err)}`;
  },
);
