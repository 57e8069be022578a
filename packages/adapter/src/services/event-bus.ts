import { EventEmitter } from 'node:events';
import type { LiveEvent } from '@frameproof/core';
import type { Database } from '../db/database.js';

const EVENTS = 'frameproof_events';
const WORK = 'frameproof_work';

export type WorkSignal = { type: 'work-available' } | { type: 'cancel'; jobId: string };

/**
 * Live events for browsers and work signals for workers. On PostgreSQL they travel through
 * NOTIFY, so every adapter instance hears every change; on PGlite there is one instance and
 * they stay in the process.
 */
export class EventBus {
  private readonly local = new EventEmitter();
  private viaDatabase = false;
  private unlisten: (() => Promise<void>)[] = [];

  constructor(private readonly db: Database) {
    this.local.setMaxListeners(0);
  }

  async start(): Promise<void> {
    if (this.db.kind !== 'postgres') return;
    this.unlisten = [
      await this.db.listen(EVENTS, (payload) => this.local.emit('event', JSON.parse(payload))),
      await this.db.listen(WORK, (payload) => this.local.emit('work', JSON.parse(payload))),
    ];
    this.viaDatabase = true;
  }

  async stop(): Promise<void> {
    for (const unlisten of this.unlisten) await unlisten();
    this.unlisten = [];
    this.viaDatabase = false;
  }

  publish(event: LiveEvent): void {
    this.send(EVENTS, 'event', event);
  }
  signalWorkers(signal: WorkSignal): void {
    this.send(WORK, 'work', signal);
  }

  private send(channel: string, name: string, message: LiveEvent | WorkSignal) {
    if (!this.viaDatabase) {
      this.local.emit(name, message);
      return;
    }
    this.db.notify(channel, JSON.stringify(message)).catch((err: unknown) => this.local.emit('error', err));
  }

  onEvent(handler: (event: LiveEvent) => void): () => void {
    this.local.on('event', handler);
    return () => this.local.off('event', handler);
  }
  onWork(handler: (signal: WorkSignal) => void): () => void {
    this.local.on('work', handler);
    return () => this.local.off('work', handler);
  }
  onError(handler: (err: unknown) => void): void {
    this.local.on('error', handler);
  }
}
