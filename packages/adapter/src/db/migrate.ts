import init from '../migrations/001-init.js';
import subtitleShapes from '../migrations/002-subtitle-shapes.js';
import softDelete from '../migrations/003-soft-delete.js';
import sessions from '../migrations/004-sessions.js';
import directUploads from '../migrations/005-direct-uploads.js';
import projects from '../migrations/006-projects.js';
import ticketsAudit from '../migrations/007-tickets-audit.js';
import loginFailures from '../migrations/008-login-failures.js';
import confidenceImportProgress from '../migrations/009-confidence-import-progress.js';
import events from '../migrations/010-events.js';
import type { Database } from './database.js';

/** Versioned migrations, applied in order, each once, each in its own transaction. */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  { version: 1, name: 'init', sql: init },
  { version: 2, name: 'subtitle-shapes', sql: subtitleShapes },
  { version: 3, name: 'soft-delete', sql: softDelete },
  { version: 4, name: 'sessions', sql: sessions },
  { version: 5, name: 'direct-uploads', sql: directUploads },
  { version: 6, name: 'projects', sql: projects },
  { version: 7, name: 'tickets-audit', sql: ticketsAudit },
  { version: 8, name: 'login-failures', sql: loginFailures },
  { version: 9, name: 'confidence-import-progress', sql: confidenceImportProgress },
  { version: 10, name: 'events', sql: events },
];

/** Applies what is missing, up to `upTo` (all by default; tests stop at an older release's). */
export async function migrate(db: Database, { upTo = Infinity }: { upTo?: number } = {}): Promise<number[]> {
  return db.transaction(async (tx) => {
    // Several adapter instances may start at once on RDS: one migrates, the others wait.
    await tx.query('SELECT pg_advisory_xact_lock(7263544)');
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version),
    );
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version) || m.version > upTo) continue;
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** Our migrations hold no semicolons inside strings or bodies, so a split on `;` is exact. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}
