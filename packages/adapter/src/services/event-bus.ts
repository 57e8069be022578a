import { EventEmitter } from 'node:events';
import { EVENT_TYPES, type LiveEvent } from '@frameproof/core';
import type { Database } from '../db/database.js';

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
      await this.db.listen(EVENTS, (payload) => this.receive('event', payload, isLiveEvent)),
      await this.db.listen(WORK, (payload) => this.receive('work', payload, isWorkSignal)),
      await this.db.listen(ACCESS, (payload) => this.receive('access', payload, isAccessChange)),
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
    if (valid(message)) this.local.emit(name, message);
    else this.local.emit('error', new Error(`ignored a malformed ${name} notification`));
  }

  private send(channel: string, name: string, message: LiveEvent | WorkSignal | AccessChange) {
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
  onAccessChanged(handler: (change: AccessChange) => void): () => void {
    this.local.on('access', handler);
    return () => this.local.off('access', handler);
  }
  onError(handler: (err: unknown) => void): void {
    this.local.on('error', handler);
  }
}
