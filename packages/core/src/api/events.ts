import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';

/**
 * What the adapter pushes to browsers on /api/eventbus. Small: clients fetch details over HTTP.
 * A client keeps its marker list current with:
 * - `marker.created`, `marker.updated`, `marker.deleted`: one marker, `id` is the marker's;
 * - `markers.created`: several markers created at once (the bulk route); `id` is the asset's,
 *   `data` is `{ count, groups }`: fetch those groups again;
 * - `asset.deleted`: the asset left every list; `data` is `{ restorableUntil }` after a soft
 *   delete (it may come back with `asset.restored`) or `{ purged: true }` once it is gone for good;
 * - `markers.replaced`: an automatic step replaced the markers it made before (Auto QC); `id`
 *   is the asset's, `data` is `{ group, origin, count }`: drop that group and fetch it again;
 *   a step that writes several rows (video analysis) sends `{ groups, origins, count }`.
 */
export const EVENT_TYPES = [
  'asset.created',
  'asset.updated',
  'asset.deleted',
  'asset.restored',
  'marker.created',
  'marker.updated',
  'marker.deleted',
  'markers.created',
  'markers.replaced',
  'comment.created',
  'job.updated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What a change announces, before it is stored and numbered. */
export interface Announcement {
  type: EventType;
  assetId: string | null;
  /** The id of the thing that changed (asset, marker, comment or job). */
  id: string;
  /** A small summary, e.g. a job's status and progress. */
  data?: Record<string, unknown>;
}

/**
 * An event as a socket receives it. `seq` numbers the events of the whole deployment (every
 * adapter instance), rising in the order a socket receives them; a client that reconnects
 * passes the last one it saw as `since` and hears what it missed.
 */
export interface LiveEvent extends Announcement {
  seq: number;
}

/**
 * Every message on `/api/eventbus`: events, then
 * - `hello` once the socket is open: `seq` is the last event before this subscription (what
 *   to resume from if no event comes before the socket drops);
 * - `resync` when `since` is older than the events kept (or unknown): the client missed events
 *   that are gone, so it reloads what it shows, then goes on from `seq`.
 */
export type EventBusMessage =
  LiveEvent | { type: 'hello'; user?: string; seq: number } | { type: 'resync'; reason: string; seq: number };

/** A one-time ticket for the live-event WebSocket: connect to `/api/eventbus?ticket=…`. */
export const EventBusTicket = Type.Object({
  ticket: Type.String({ description: 'Single use; valid until `expiresAt` (about 30 s).' }),
  expiresAt: Timestamp,
});
export type EventBusTicket = Static<typeof EventBusTicket>;
