/** What the adapter pushes to browsers on /api/eventbus. Small: clients fetch details over HTTP. */
export const EVENT_TYPES = [
  'asset.created',
  'asset.updated',
  'asset.deleted',
  'marker.created',
  'marker.updated',
  'marker.deleted',
  'markers.replaced',
  'comment.created',
  'job.updated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface LiveEvent {
  type: EventType;
  assetId: string | null;
  /** The id of the thing that changed (asset, marker, comment or job). */
  id: string;
  /** A small summary, e.g. a job's status and progress. */
  data?: Record<string, unknown>;
}
