import {
  type BulkMarkersBody,
  type Comment,
  type CreateMarkerBody,
  exportMarkers,
  type ExportMarkersQuery,
  framePointFormatter,
  type ImportMarkersBody,
  MarkerExportError,
  type MarkerFile,
  MarkerImportError,
  readMarkers,
  safeExportName,
  type ListMarkersQuery,
  type Marker,
  type OutputMarker,
  resolvePoint,
  resolveRange,
  type Timeline,
  type Announcement,
  TimelineError,
  type UpdateMarkerBody,
} from '@frameproof/core';
import type { Database } from '../db/database.js';
import { badRequest, can, conflict, forbidden, HttpError, notFound, type Role } from '@frameproof/core';
import { AssetsRepository } from '../repositories/assets.js';
import { MarkersRepository, type NewMarker } from '../repositories/markers.js';
import { type Changes, inTransaction } from './changes.js';
import type { EventBus } from './event-bus.js';
import { type Actor, audit, type NewAuditEntry } from './audit.js';

export const MANUAL_GROUP = 'Manual';

/** What the audit log keeps of a created or deleted marker. */
const summary = (m: { title: string; startFrame: number; endFrame: number; group: string }) => ({
  title: m.title,
  start: m.startFrame,
  end: m.endFrame,
  group: m.group,
});

/** The fields a marker update may change, as stored (frames). */
const UPDATABLE = [
  'startFrame',
  'endFrame',
  'title',
  'description',
  'group',
  'category',
  'severity',
  'color',
  'confidence',
] as const;

function timelineError(err: unknown, prefix = ''): unknown {
  if (!(err instanceof TimelineError)) return err;
  const field = prefix + err.field;
  return err.reason === 'not-ready' ? conflict(err.message) : new HttpError(400, err.message, field);
}

export class MarkerService {
  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
  ) {}

  private async timeline(assetId: string): Promise<Timeline> {
    const asset = await new AssetsRepository(this.db).byId(assetId);
    if (!asset) throw notFound('asset');
    return asset;
  }

  private toNew(body: CreateMarkerBody, t: Timeline, authorId: string, prefix = ''): NewMarker {
    let start: number, end: number;
    try {
      [start, end] = resolveRange(body.start, body.end, t);
    } catch (err) {
      throw timelineError(err, prefix);
    }
    return {
      startFrame: start,
      endFrame: end,
      title: body.title,
      description: body.description ?? null,
      group: body.group ?? MANUAL_GROUP,
      category: body.category ?? null,
      severity: body.severity ?? null,
      color: body.color ?? null,
      confidence: body.confidence ?? null,
      authorId,
    };
  }

  async list(assetId: string, query: ListMarkersQuery): Promise<Marker[]> {
    if (query.from !== undefined && query.to !== undefined && query.to < query.from) {
      throw badRequest('to must not come before from', 'to');
    }
    const t = await this.timeline(assetId);
    return new MarkersRepository(this.db).list(assetId, query, framePointFormatter(t));
  }

  /** One marker; announces `marker.created` with its id, audits `marker.create`. */
  async create(assetId: string, body: CreateMarkerBody, actor: Actor): Promise<Marker> {
    const t = await this.timeline(assetId);
    const row = this.toNew(body, t, actor.id);
    const [marker] = await this.insert(
      assetId,
      t,
      [row],
      ([m]) => ({
        actor,
        action: 'marker.create',
        subject: { type: 'marker', id: (m as Marker).id },
        assetId,
        detail: { after: summary(row) },
      }),
      ([m]) => ({ type: 'marker.created', assetId, id: (m as Marker).id }),
    );
    return marker as Marker;
  }

  /**
   * Many markers, all or nothing: one bad marker refuses the whole request, naming it
   * (`markers/<i>/...`). Announces one `markers.created` naming the groups they went to, however
   * many there were (see `EVENT_TYPES`), and audits one `marker.bulk` (or `marker.import`).
   */
  async createMany(
    assetId: string,
    body: BulkMarkersBody,
    actor: Actor,
    how: { action: 'marker.bulk' | 'marker.import'; detail?: Record<string, unknown> } = {
      action: 'marker.bulk',
    },
  ): Promise<Marker[]> {
    const t = await this.timeline(assetId);
    const rows = body.markers.map((m, i) => this.toNew(m, t, actor.id, `markers/${i}/`));
    const groups = [...new Set(rows.map((r) => r.group))].sort();
    return this.insert(
      assetId,
      t,
      rows,
      () => ({
        actor,
        action: how.action,
        subject: { type: 'asset', id: assetId },
        assetId,
        detail: { ...how.detail, count: rows.length, groups },
      }),
      (markers) => ({
        type: 'markers.created',
        assetId,
        id: assetId,
        data: { count: markers.length, groups },
      }),
    );
  }

  /** Inserts markers, their audit entry and the event that announces them in one transaction. */
  private insert(
    assetId: string,
    t: Timeline,
    rows: NewMarker[],
    entry: (markers: Marker[]) => NewAuditEntry,
    event: (markers: Marker[]) => Announcement,
  ): Promise<Marker[]> {
    return inTransaction(this.db, this.events, async (changes) => {
      const repo = new MarkersRepository(changes.tx);
      const markers = await repo.list(
        assetId,
        { ids: await repo.insert(assetId, rows) },
        framePointFormatter(t),
      );
      await audit.record(changes.tx, entry(markers));
      changes.announce(event(markers));
      return markers;
    });
  }

  /**
   * Replaces the markers an automatic step made before (a re-run replaces, never adds), inside
   * the transaction that completes the step. Announces `markers.replaced` naming the group.
   */
  async replaceAutomatic(
    changes: Changes,
    assetId: string,
    by: { origin: string; group: string },
    markers: readonly OutputMarker[],
  ): Promise<void> {
    await this.replaceRows(changes.tx, assetId, by, markers);
    changes.announce({
      type: 'markers.replaced',
      assetId,
      id: assetId,
      data: { group: by.group, origin: by.origin, count: markers.length },
    });
  }

  /**
   * The same for a step that writes several rows (video analysis: one per analysis), with one
   * `markers.replaced` naming them all (`groups`), since one transaction announces a change once.
   */
  async replaceAutomaticRows(
    changes: Changes,
    assetId: string,
    rows: readonly { origin: string; group: string; markers: readonly OutputMarker[] }[],
  ): Promise<void> {
    for (const row of rows) await this.replaceRows(changes.tx, assetId, row, row.markers);
    changes.announce({
      type: 'markers.replaced',
      assetId,
      id: assetId,
      data: {
        groups: rows.map((r) => r.group),
        origins: rows.map((r) => r.origin),
        count: rows.reduce((n, r) => n + r.markers.length, 0),
      },
    });
  }

  private async replaceRows(
    tx: Changes['tx'],
    assetId: string,
    by: { origin: string; group: string },
    markers: readonly OutputMarker[],
  ): Promise<void> {
    const repo = new MarkersRepository(tx);
    await repo.deleteByOrigin(assetId, by.origin);
    await repo.insert(
      assetId,
      markers.map((m) => ({ ...m, group: by.group, origin: by.origin, authorId: null })),
    );
  }

  /** The markers of an asset (or of one group) as a file in one of the export formats. */
  async exportFile(assetId: string, query: ExportMarkersQuery): Promise<MarkerFile & { fileName: string }> {
    const asset = await new AssetsRepository(this.db).byId(assetId);
    if (!asset) throw notFound('asset');
    const markers = await new MarkersRepository(this.db).list(
      assetId,
      query.group === undefined ? {} : { group: query.group },
      framePointFormatter(asset),
    );
    try {
      const file = exportMarkers(query.format, asset, markers);
      return { ...file, fileName: safeExportName(asset.title, file.extension) };
    } catch (err) {
      if (err instanceof MarkerExportError) throw conflict(err.message);
      throw err;
    }
  }

  /**
   * Imports a CSV or JSON marker file, all or none: every row is checked against the asset's
   * timeline first, and the first problem refuses the file, naming its row and column.
   */
  async importFile(assetId: string, body: ImportMarkersBody, actor: Actor): Promise<Marker[]> {
    const t = await this.timeline(assetId);
    let markers: CreateMarkerBody[];
    try {
      markers = readMarkers(body.format, body.text, t);
    } catch (err) {
      if (!(err instanceof MarkerImportError)) throw err;
      throw err.reason === 'not-ready' ? conflict(err.message) : badRequest(err.message, 'text');
    }
    return this.createMany(assetId, { markers }, actor, {
      action: 'marker.import',
      detail: { format: body.format },
    });
  }

  /**
   * May `role` (the caller's role in the asset's project) change or delete this marker? A
   * marker of an automatic step (Auto QC, video analysis) only editors and up; another's
   * marker too; reviewers their own. 404 when there is no such marker.
   */
  async checkWrite(assetId: string, markerId: string, caller: { userId: string; role: Role }): Promise<void> {
    const marker = await new MarkersRepository(this.db).authorship(assetId, markerId);
    if (!marker) throw notFound('marker');
    if (marker.origin !== null) {
      if (!can(caller.role, 'marker:write-automatic'))
        throw forbidden(
          `the ${caller.role} role may not change the markers of automatic checks; editors may`,
        );
    } else if (marker.authorId !== caller.userId && !can(caller.role, 'marker:write-any')) {
      throw forbidden(`the ${caller.role} role may change only its own markers`);
    }
  }

  /** Changes a marker; audits `marker.update` with the fields that changed, before and after. */
  async update(assetId: string, markerId: string, body: UpdateMarkerBody, actor: Actor): Promise<Marker> {
    const t = await this.timeline(assetId);
    const point = framePointFormatter(t);
    return inTransaction(this.db, this.events, async (changes) => {
      const { tx } = changes;
      const repo = new MarkersRepository(tx);
      const current = await repo.byId(assetId, markerId, point, { forUpdate: true });
      if (!current) throw notFound('marker');
      let start = current.start.frame;
      let end = current.end.frame;
      try {
        if (body.start) start = resolvePoint(body.start, t, 'start');
        if (body.end) end = resolvePoint(body.end, t, 'end');
      } catch (err) {
        throw timelineError(err);
      }
      if (end < start)
        throw badRequest(
          `end: the out point (frame ${end}) comes before the in point (frame ${start})`,
          'end',
        );
      const patch: Partial<NewMarker> = {
        startFrame: start,
        endFrame: end,
        title: body.title,
        description: body.description,
        group: body.group,
        category: body.category,
        severity: body.severity,
        color: body.color,
        confidence: body.confidence,
      };
      await repo.update(assetId, markerId, patch);
      const was: Record<(typeof UPDATABLE)[number], unknown> = {
        startFrame: current.start.frame,
        endFrame: current.end.frame,
        title: current.title,
        description: current.description,
        group: current.group,
        category: current.category,
        severity: current.severity,
        color: current.color,
        confidence: current.confidence,
      };
      const changed = UPDATABLE.filter((k) => patch[k] !== undefined && patch[k] !== was[k]);
      await audit.record(tx, {
        actor,
        action: 'marker.update',
        subject: { type: 'marker', id: markerId },
        assetId,
        detail: {
          before: Object.fromEntries(changed.map((k) => [k, was[k]])),
          after: Object.fromEntries(changed.map((k) => [k, patch[k]])),
        },
      });
      changes.announce({ type: 'marker.updated', assetId, id: markerId });
      return (await repo.byId(assetId, markerId, point)) as Marker;
    });
  }

  /** Deletes a marker; audits `marker.delete` with what it was. */
  async delete(assetId: string, markerId: string, actor: Actor): Promise<void> {
    await this.timeline(assetId);
    await inTransaction(this.db, this.events, async (changes) => {
      const { tx } = changes;
      const deleted = await new MarkersRepository(tx).delete(assetId, markerId);
      if (!deleted) throw notFound('marker');
      await audit.record(tx, {
        actor,
        action: 'marker.delete',
        subject: { type: 'marker', id: markerId },
        assetId,
        detail: { before: summary(deleted) },
      });
      changes.announce({ type: 'marker.deleted', assetId, id: markerId });
    });
  }

  private async marker(assetId: string, markerId: string) {
    await this.timeline(assetId);
    const marker = await new MarkersRepository(this.db).byId(assetId, markerId, (frame) => ({
      frame,
      timecode: null,
    }));
    if (!marker) throw notFound('marker');
    return marker;
  }

  async comments(assetId: string, markerId: string): Promise<Comment[]> {
    await this.marker(assetId, markerId);
    return new MarkersRepository(this.db).comments(markerId);
  }

  /** Adds a comment; audits `comment.create`. */
  async addComment(assetId: string, markerId: string, actor: Actor, body: string): Promise<Comment> {
    await this.marker(assetId, markerId);
    return inTransaction(this.db, this.events, async (changes) => {
      const { tx } = changes;
      const added = await new MarkersRepository(tx).addComment(markerId, actor.id, body);
      await audit.record(tx, {
        actor,
        action: 'comment.create',
        subject: { type: 'comment', id: added.id },
        assetId,
        detail: { markerId, length: body.length },
      });
      changes.announce({ type: 'comment.created', assetId, id: added.id, data: { markerId } });
      return added;
    });
  }
}
