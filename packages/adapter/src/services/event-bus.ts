import { EventEmitter } from 'node:events';
import { EVENT_TYPES, type Announcement, type LiveEvent } from '@frameproof/core';
import type { Database, Queryable } from '../db/database.js';
import { EventsRepository } from '../repositories/events.js';

const EVENTS = 'frameproof_events';
const WORK = 'frameproof_work';
const ACCESS = 'frameproof_access';

/** A user's sessions or standing changed (sign-out, disabled, new role or password): re-check them. */
export interface AccessChange {
  userId: string;
}

export type WorkSignal = { type: 'work-available' } | { type: 'cancel'; jobId: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function isLiveEvent(v: unknown): v is LiveEvent {
  return (
    isObject(v) &&
    Number.isSafeInteger(v.seq) &&
    (v.seq as number) > 0 &&
    (EVENT_TYPES as readonly unknown[]).includes(v.type) &&
    (v.assetId === null || typeof v.assetId === 'string') &&
    typeof v.id === 'string' &&
    (v.data === undefined || (isObject(v.data) && !Array.isArray(v.data)))
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function isAccessChange(v: unknown): v is AccessChange {
  return isObject(v) && typeof v.userId === 'string' && UUID.test(v.userId);
}

function isWorkSignal(v: unknown): v is WorkSignal {
  return isObject(v) && (v.type === 'work-available' || (v.type === 'cancel' && typeof v.jobId === 'string'));
}

export interface EventBusOptions {
  /**
   * How long a missing seq is waited for before it is taken for a transaction that rolled back
   * (or one that has still not committed: see `lateMs`). Events after it wait as long.
   */
  gapMs?: number;
  /** How often the table is read anyway, for an event whose notification never came. */
  catchUpMs?: number;
  /** How long a seq given up on is still looked for, and delivered should it turn up. */
  lateMs?: number;
}

/** A socket's feed: `seq` is the last event before it began; `off` ends it. */
export interface Subscription {
  seq: number;
  off: () => void;
}

/** Events read from the table at a time. */
const BATCH = 500;
/** At most this many seqs given up on are remembered (a gap wider than that is not a transaction). */
const MAX_SKIPPED = 1000;

/**
 * Live events for browsers and work signals for workers. On PostgreSQL they travel through
 * NOTIFY, so every adapter instance hears every change; on PGlite there is one instance and
 * they stay in the process.
 *
 * Events are also rows of the `events` table, written in the transaction of the change they
 * announce and numbered by `seq`, and each instance delivers them to its sockets in seq order,
 * each once: a notification is only the fast path. What NOTIFY did not bring (the LISTEN
 * connection was down, a NOTIFY failed after its commit) is read from the table when the
 * connection comes back, when a seq is missing, and every `catchUpMs` anyway.
 *
 * Seqs are taken when a transaction inserts its events and become visible when it commits, so
 * seq 11 may be heard before seq 10, and a seq may never appear (its transaction rolled back).
 * The choice here: hold back what comes after a missing seq, for `gapMs` at most, then give up
 * on it. That keeps delivery in seq order, so a socket that resumes from the last seq it saw
 * misses nothing before it, and costs a delay only while a transaction commits (events are
 * inserted as the last statement before COMMIT, so that is one round trip) or after a rollback.
 * A seq given up on that turns up later (a commit slower than `gapMs`) is still delivered, late
 * and out of order, if it does within `lateMs`: the table is read for exactly those seqs.
 * The alternative, delivering as heard and deduplicating by seq, would need each client to
 * remember a window of seqs instead of one number to resume from.
 */
export class EventBus {
  private readonly local = new EventEmitter();
  private readonly repo: EventsRepository;
  private readonly options: Required<EventBusOptions>;
  private viaDatabase = false;
  private unlisten: (() => Promise<void>)[] = [];
  private offResumed: () => void = () => undefined;
  /** Every event up to this seq has been delivered, or given up on (`skipped`). */
  private delivered = 0;
  /** Heard, waiting for a missing seq before them. */
  private readonly pending = new Map<number, { event: LiveEvent; fromTable: boolean }>();
  /** When a seq still missing began to be waited for. */
  private gapSince: number | undefined;
  /** Seqs given up on, and when. */
  private readonly skipped = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private readAgain = false;
  /** Events delivered from the table rather than from a notification (tests and logs read it). */
  caughtUp = 0;

  constructor(
    private readonly db: Database,
    options: EventBusOptions = {},
  ) {
    this.local.setMaxListeners(0);
    this.repo = new EventsRepository(db);
    this.options = { gapMs: 2000, catchUpMs: 5000, lateMs: 60_000, ...options };
  }

  async start(): Promise<void> {
    // Delivery starts after the newest seq issued, not the newest stored: when the events kept
    // were all purged (or a test emptied the table), the next one is far beyond the newest
    // stored, and would wait `gapMs` for seqs that will never come. Those issued but not stored
    // may yet commit (another instance's transaction): they are looked for as late ones.
    const { issued, stored } = await this.repo.newest();
    const now = Date.now();
    for (let seq = Math.max(stored, issued - MAX_SKIPPED) + 1; seq <= issued; seq++)
      this.skipped.set(seq, now);
    this.delivered = issued;
    this.timer = setInterval(() => this.catchUpSoon(0), this.options.catchUpMs);
    this.timer.unref();
    if (this.db.kind !== 'postgres') return;
    this.offResumed = this.db.onListenResumed(() => this.catchUpSoon(0));
    this.unlisten = [
      await this.db.listen(EVENTS, (payload) => this.receive('event', payload, isLiveEvent)),
      await this.db.listen(WORK, (payload) => this.receive('work', payload, isWorkSignal)),
      await this.db.listen(ACCESS, (payload) => this.receive('access', payload, isAccessChange)),
    ];
    this.viaDatabase = true;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.soon);
    this.timer = this.soon = undefined;
    this.offResumed();
    for (const unlisten of this.unlisten) await unlisten();
    this.unlisten = [];
    this.viaDatabase = false;
    await this.reading;
  }

  /** Stores announcements in the transaction `tx` and numbers them; `publish` them once it commits. */
  record(tx: Queryable, announced: readonly Announcement[]): Promise<LiveEvent[]> {
    return new EventsRepository(tx).insert(announced);
  }

  /** Deletes the events older than `seconds` (and all before them); returns how many went. */
  purge(seconds: number): Promise<number> {
    return this.repo.purge(seconds);
  }

  /** Sends events stored by `record` to every instance, once their transaction has committed. */
  publish(events: readonly LiveEvent[]): void {
    for (const event of events) {
      if (!this.viaDatabase) this.arrive(event, false);
      else
        this.db.notify(EVENTS, JSON.stringify(event)).catch((err: unknown) => {
          this.fail(err);
          this.catchUpSoon(0); // stored all the same: read it from the table
        });
    }
  }
  signalWorkers(signal: WorkSignal): void {
    this.send(WORK, 'work', signal);
  }
  /** Tells every adapter instance (this one included) that a user's access changed. */
  accessChanged(change: AccessChange): void {
    this.send(ACCESS, 'access', change);
  }

  /** Anyone who can reach the database can NOTIFY: a payload is checked before anyone hears it. */
  private receive(name: string, payload: string, valid: (message: unknown) => boolean): void {
    let message: unknown;
    try {
      message = JSON.parse(payload);
    } catch {
      message = undefined;
    }
    if (!valid(message)) this.fail(new Error(`ignored a malformed ${name} notification`));
    else if (name === 'event') this.arrive(message as LiveEvent, false);
    else this.local.emit(name, message);
  }

  private send(channel: string, name: string, message: WorkSignal | AccessChange) {
    if (!this.viaDatabase) {
      this.local.emit(name, message);
      return;
    }
    this.db.notify(channel, JSON.stringify(message)).catch((err: unknown) => this.fail(err));
  }

  /** An event heard (or read from the table): delivered in seq order, once. */
  private arrive(event: LiveEvent, fromTable: boolean): void {
    if (event.seq <= this.delivered) {
      // Given up on, and here after all: late rather than never. Otherwise heard already.
      if (this.skipped.delete(event.seq)) this.deliver(event, fromTable);
      return;
    }
    if (this.pending.has(event.seq)) return;
    this.pending.set(event.seq, { event, fromTable });
    this.drain();
  }

  private deliver(event: LiveEvent, fromTable: boolean) {
    if (fromTable) this.caughtUp++;
    this.local.emit('event', event);
  }

  private drain() {
    for (let next = this.pending.get(this.delivered + 1); next; next = this.pending.get(this.delivered + 1)) {
      this.pending.delete(next.event.seq);
      this.delivered = next.event.seq;
      this.deliver(next.event, next.fromTable);
    }
    if (this.pending.size === 0) this.gapSince = undefined;
    else if (this.gapSince === undefined) {
      this.gapSince = Date.now();
      this.catchUpSoon(this.options.gapMs);
    }
  }

  /** After a gap has been waited for long enough: its seqs are given up on, what follows goes out. */
  private giveUpOnGap() {
    if (this.gapSince === undefined) return;
    const waited = Date.now() - this.gapSince;
    if (waited < this.options.gapMs) {
      this.catchUpSoon(this.options.gapMs - waited);
      return;
    }
    const first = Math.min(...this.pending.keys());
    const now = Date.now();
    for (let seq = Math.max(this.delivered + 1, first - MAX_SKIPPED); seq < first; seq++)
      this.skipped.set(seq, now);
    this.delivered = first - 1;
    this.gapSince = undefined;
    this.drain();
  }

  private catchUpSoon(delayMs: number) {
    if (this.soon || !this.timer) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.catchUp();
    }, delayMs);
    this.soon.unref();
  }

  /**
   * Reads what the table holds after the last event delivered (and the seqs given up on), and
   * delivers what was not heard. One read at a time; a call during one reads again after it.
   */
  catchUp(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.readAgain = false;
          await this.readTable();
        } while (this.readAgain);
      } catch (err) {
        this.fail(err); // the database is away: the timer or the reconnection tries again
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  private async readTable() {
    const now = Date.now();
    for (const [seq, at] of this.skipped) if (now - at > this.options.lateMs) this.skipped.delete(seq);
    if (this.skipped.size > 0)
      for (const event of await this.repo.bySeq([...this.skipped.keys()])) this.arrive(event, true);
    for (let cursor = this.delivered; ;) {
      const events = await this.repo.after(cursor, BATCH);
      for (const event of events) this.arrive(event, true);
      if (events.length < BATCH) break;
      cursor = (events.at(-1) as LiveEvent).seq;
    }
    this.giveUpOnGap();
  }

  /**
   * Live events, each once, in seq order (a seq given up on may come late). With `since`, first
   * the stored events after it, up to where live ones begin; `resync` instead when `since` is
   * older than the events kept, or was never issued. `failed` when the table cannot be read.
   */
  follow(
    since: number | undefined,
    handler: (event: LiveEvent) => void,
    resync: (reason: string) => void,
    failed: (err: unknown) => void,
  ): Subscription {
    const upTo = this.delivered;
    if (since === undefined) return { seq: upTo, off: this.onEvent(handler) };
    let after = since;
    let held: LiveEvent[] | undefined = [];
    let stopped = false;
    const replayed = new Set<number>();
    const pass = (event: LiveEvent) => {
      if (event.seq > after && !replayed.has(event.seq)) handler(event);
    };
    const off = this.onEvent((event) => (held ? held.push(event) : pass(event)));
    const replay = async () => {
      const { newest, oldestKept } = await this.repo.bounds();
      if (since > newest || since + 1 < oldestKept) {
        after = upTo;
        resync(
          since > newest
            ? `no event ${since} was ever sent here: reload, then follow from ${upTo}`
            : `events after ${since} are no longer kept: reload, then follow from ${upTo}`,
        );
      } else
        for (let cursor = since; !stopped;) {
          const events = await this.repo.after(cursor, BATCH, upTo);
          for (const event of events) {
            replayed.add(event.seq);
            if (!stopped) handler(event);
          }
          if (events.length < BATCH) break;
          cursor = (events.at(-1) as LiveEvent).seq;
        }
      const live = held ?? [];
      held = undefined;
      for (const event of live) pass(event);
    };
    replay().catch((err: unknown) => {
      off();
      if (!stopped) failed(err);
    });
    return {
      seq: upTo,
      off: () => {
        stopped = true;
        off();
      },
    };
  }

  /** Reported to `onError` handlers; with none, dropped (the caller goes on either way). */
  private fail(err: unknown) {
    if (this.local.listenerCount('error') > 0) this.local.emit('error', err);
  }

  onEvent(handler: (event: LiveEvent) => void): () => void {
    this.local.on('event', handler);
    return () => this.local.off('event', handler);
  }
  onWork(handler: (signal: WorkSignal) => void): () => void {
    this.local.on('work', handler);
    return () => this.local.off('work', handler);
  }
  onAccessChanged(handler: (change: AccessChange) => void): () => void {
    this.local.on('access', handler);
    return () => this.local.off('access', handler);
  }
  onError(handler: (err: unknown) => void): void {
    this.local.on('error', handler);
  }
}
