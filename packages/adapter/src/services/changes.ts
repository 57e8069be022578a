import type { Announcement } from '@frameproof/core';
import type { Database, Queryable } from '../db/database.js';
import type { EventBus } from './event-bus.js';

/**
 * One transaction's writes and what they announce. Services write through `tx` and say what
 * changed with `announce`; the events are stored in the same transaction (the `events` table)
 * and go out only once it has committed, so no client hears of a change that was rolled back,
 * and none that committed goes unheard.
 */
export class Changes {
  private readonly announced: Announcement[] = [];
  private work = false;

  constructor(readonly tx: Queryable) {}

  /** Announces a change; a second announcement of the same thing merges into the first. */
  announce(event: Announcement): void {
    const same = this.announced.find((e) => e.type === event.type && e.id === event.id);
    if (!same) this.announced.push({ ...event });
    else if (event.data) same.data = { ...same.data, ...event.data };
  }

  /** Says that jobs were queued, so that workers are told once it commits. */
  workQueued(): void {
    this.work = true;
  }

  get events(): readonly Announcement[] {
    return this.announced;
  }
  get queuedWork(): boolean {
    return this.work;
  }
}

/**
 * Runs `fn` in one transaction and stores what it announced as its last statement (a seq taken
 * just before COMMIT: see `EventBus` on why that matters); once committed, publishes the events
 * (and wakes workers).
 */
export async function inTransaction<T>(
  db: Database,
  bus: EventBus,
  fn: (changes: Changes) => Promise<T>,
): Promise<T> {
  const { result, changes, events } = await db.transaction(async (tx) => {
    const changes = new Changes(tx);
    const result = await fn(changes);
    return { result, changes, events: await bus.record(tx, changes.events) };
  });
  bus.publish(events);
  if (changes.queuedWork) bus.signalWorkers({ type: 'work-available' });
  return result;
}
