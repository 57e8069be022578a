import type { Announcement, EventType, LiveEvent } from '@frameproof/core';
import type { Queryable } from '../db/database.js';

interface EventRow {
  seq: number;
  type: EventType;
  asset_id: string | null;
  event_id: string;
  data: Record<string, unknown> | null;
}

// float8: a bigint comes back as a number from both drivers (exact below 2^53).
const COLUMNS = 'seq::float8 AS seq, type, asset_id, event_id, data';
/** The newest seq issued, stored or not (0 before the first). */
const ISSUED = '(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM events_seq_seq)::float8';

const toEvent = (r: EventRow): LiveEvent => ({
  seq: r.seq,
  type: r.type,
  assetId: r.asset_id,
  id: r.event_id,
  ...(r.data ? { data: r.data } : {}),
});

/** The `events` table: what changes announced, numbered by `seq`, kept for a while. */
export class EventsRepository {
  constructor(private readonly db: Queryable) {}

  /** Stores announcements (in the caller's transaction) and numbers them, in the order given. */
  async insert(announced: readonly Announcement[]): Promise<LiveEvent[]> {
    if (announced.length === 0) return [];
    const rows = await this.db.query<{ seq: number }>(
      `INSERT INTO events (type, asset_id, event_id, data)
       SELECT e->>'type', (e->>'assetId')::uuid, e->>'id', nullif(e->'data', 'null'::jsonb)
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n
       RETURNING seq::float8 AS seq`,
      [JSON.stringify(announced.map((a) => ({ ...a, data: a.data ?? null })))],
    );
    // Rows take their seq in the order they are inserted, which is the order given.
    const seqs = rows.map((r) => r.seq).sort((a, b) => a - b);
    return announced.map((a, i) => ({ ...a, seq: seqs[i] as number }));
  }

  /** Kept events after `seq`, oldest first; up to `through` when given. */
  async after(seq: number, limit: number, through?: number): Promise<LiveEvent[]> {
    const rows = await this.db.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE seq > $1 AND ($2::bigint IS NULL OR seq <= $2)
       ORDER BY seq LIMIT $3`,
      [seq, through ?? null, limit],
    );
    return rows.map(toEvent);
  }

  /** Those of `seqs` that are stored (a transaction that committed late). */
  async bySeq(seqs: readonly number[]): Promise<LiveEvent[]> {
    if (seqs.length === 0) return [];
    const rows = await this.db.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE seq = ANY($1::bigint[]) ORDER BY seq`,
      [seqs],
    );
    return rows.map(toEvent);
  }

  /**
   * The newest seq stored, and the oldest one kept (the newest issued plus one when none is):
   * what a client that resumes may ask for.
   */
  async bounds(): Promise<{ newest: number; oldestKept: number }> {
    const [row] = await this.db.query<{ newest: number; oldest: number | null }>(
      `SELECT ${ISSUED} AS newest, (SELECT min(seq) FROM events)::float8 AS oldest`,
    );
    const newest = row?.newest ?? 0;
    return { newest, oldestKept: row?.oldest ?? newest + 1 };
  }

  /**
   * The newest seq issued and the newest stored (0 when none): they differ while transactions
   * commit, after rollbacks, and once the events kept have all been purged.
   */
  async newest(): Promise<{ issued: number; stored: number }> {
    const [row] = await this.db.query<{ issued: number; stored: number }>(
      `SELECT ${ISSUED} AS issued, coalesce((SELECT max(seq) FROM events), 0)::float8 AS stored`,
    );
    return row ?? { issued: 0, stored: 0 };
  }

  /**
   * Deletes the events older than `seconds`, and every event numbered before them, so that
   * what is kept is always every event from some seq on (what resuming relies on).
   */
  async purge(seconds: number): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM events WHERE seq <= (
           SELECT max(seq) FROM events WHERE created_at < now() - make_interval(secs => $1))
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [seconds],
    );
    return rows[0]?.n ?? 0;
  }
}
