import type { LiveEvent } from '@frameproof/core';
import type { Database, Queryable } from '../db/database.js';
import type { EventBus } from './event-bus.js';

/**
 * One transaction's writes and what they announce. Services write through `tx` and say what
 * changed with `announce`; the events go out only once the transaction has committed, so no
 * client hears of a change that was rolled back.
 */
export class Changes {
  private readonly announced: LiveEvent[] = [];
  private work = false;

  constructor(readonly tx: Queryable) {}

  /** Announces a change; a second announcement of the same thing merges into the first. */
  announce(event: LiveEvent): void {
    const same = this.announced.find((e) => e.type === event.type && e.id === event.id);
    if (!same) this.announced.push({ ...event });
    else if (event.data) same.data = { ...same.data, ...event.data };
  }

  /** Says that jobs were queued, so that workers are told once it commits. */
  workQueued(): void {
    this.work = true;
  }

  get events(): readonly LiveEvent[] {
    return this.announced;
  }
  get queuedWork(): boolean {
    return this.work;
  }
}

/** Runs `fn` in one transaction, then publishes what it announced (and wakes workers). */
export async function inTransaction<T>(
  db: Database,
  bus: EventBus,
  fn: (changes: Changes) => Promise<T>,
): Promise<T> {
  const { result, changes } = await db.transaction(async (tx) => {
    const changes = new Changes(tx);
    return { result: await fn(changes), changes };
  });
  for (const event of changes.events) bus.publish(event);
  if (changes.queuedWork) bus.signalWorkers({ type: 'work-available' });
  return result;
}
