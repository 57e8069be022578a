import type { AccessState } from '../repositories/sessions.js';

/**
 * The per-request re-check of a token's user and session, remembered in the process so that a
 * request costs no query. Whatever ends a session or changes a user drops that user's entries
 * here at once, and on every other adapter instance through the event bus (NOTIFY); the
 * time-to-live only bounds how stale an entry can be should a notification ever be lost.
 *
 * A read that started before a drop is not remembered: each user has a generation, bumped by
 * every drop, and a read is kept only if its user's generation did not move while it ran.
 */
export class AccessCache {
  private readonly entries = new Map<string, Map<string, { state: AccessState; until: number }>>();
  private readonly generations = new Map<string, number>();
  /** Bumped when `generations` is emptied, so that no read under way is mistaken for current. */
  private epoch = 0;

  constructor(
    private readonly read: (userId: string, sessionId: string | null) => Promise<AccessState | undefined>,
    private readonly options: { ttlMs: number; maxUsers?: number; now?: () => number },
  ) {}

  private now() {
    return this.options.now?.() ?? Date.now();
  }

  async get(userId: string, sessionId: string | null): Promise<AccessState | undefined> {
    const key = sessionId ?? '';
    const hit = this.entries.get(userId)?.get(key);
    if (hit && hit.until > this.now()) return hit.state;
    const generation = this.generations.get(userId) ?? 0;
    const epoch = this.epoch;
    const state = await this.read(userId, sessionId);
    if (state && this.epoch === epoch && (this.generations.get(userId) ?? 0) === generation) {
      if (this.entries.size >= (this.options.maxUsers ?? 10_000) && !this.entries.has(userId)) {
        this.entries.clear();
      }
      let sessions = this.entries.get(userId);
      if (!sessions) this.entries.set(userId, (sessions = new Map()));
      sessions.set(key, { state, until: this.now() + this.options.ttlMs });
    }
    return state;
  }

  /** Forgets what is known of `userId`; reads under way are not remembered either. */
  drop(userId: string): void {
    this.entries.delete(userId);
    this.generations.set(userId, (this.generations.get(userId) ?? 0) + 1);
    if (this.generations.size > 100_000) {
      this.generations.clear();
      this.epoch += 1;
    }
  }
}
