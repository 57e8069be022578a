import { type AuditAction, type AuditEntry, badRequest, type ListAuditQuery } from '@frameproof/core';
import type { Queryable } from '../db/database.js';
import { isoRequired } from './rows.js';

/** Who made a change: their id, and their username as it was then. */
export interface Actor {
  id: string;
  name: string;
}

/** One audited change, as a service records it. */
export interface NewAuditEntry {
  /** No id for a change nobody signed in made (a deployment setting). */
  actor: Actor | { id: null; name: string };
  action: AuditAction;
  subject: { type: string; id: string };
  assetId?: string | null;
  /** Small: the changed fields before and after, never secrets. */
  detail?: Record<string, unknown>;
}

interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  actor_name: string;
  action: AuditAction;
  subject_type: string;
  subject_id: string;
  asset_id: string | null;
  detail: Record<string, unknown>;
}

/** Opaque page cursor: the id of the last entry seen (entries come newest first). */
function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify(['audit', id])).toString('base64url');
}

/** A cursor comes from the client: anything but one this API returned is a 400, never a SQL error. */
function decodeCursor(cursor: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 2) {
    const [kind, id] = parsed as unknown[];
    if (
      kind === 'audit' &&
      typeof id === 'string' &&
      /^[1-9]\d{0,17}$/.test(id) &&
      encodeCursor(id) === cursor
    )
      return id;
  }
  throw badRequest('cursor is not one this API returned for the audit log', 'cursor');
}

export class AuditRepository {
  constructor(private readonly db: Queryable) {}

  async insert(entry: NewAuditEntry): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_log (actor_id, actor_name, action, subject_type, subject_id, asset_id, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
      [
        entry.actor.id,
        entry.actor.name,
        entry.action,
        entry.subject.type,
        entry.subject.id,
        entry.assetId ?? null,
        JSON.stringify(entry.detail ?? {}),
      ],
    );
  }

  /** Newest first, filtered, a page at a time. */
  async list(query: ListAuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const params: unknown[] = [];
    const param = (v: unknown) => `$${params.push(v)}`;
    const where: string[] = ['true'];
    if (query.assetId) where.push(`asset_id = ${param(query.assetId)}::uuid`);
    if (query.actorId) where.push(`actor_id = ${param(query.actorId)}::uuid`);
    if (query.action) where.push(`action = ${param(query.action)}`);
    if (query.since) where.push(`at >= ${param(query.since)}::timestamptz`);
    if (query.until) where.push(`at < ${param(query.until)}::timestamptz`);
    if (query.cursor) where.push(`id < ${param(decodeCursor(query.cursor))}::bigint`);
    const rows = await this.db.query<AuditRow>(
      `SELECT id::text AS id, at, actor_id, actor_name, action, subject_type, subject_id, asset_id, detail
       FROM audit_log WHERE ${where.join(' AND ')} ORDER BY audit_log.id DESC LIMIT ${param(limit + 1)}`,
      params,
    );
    const items = rows.slice(0, limit).map((r): AuditEntry => ({
      id: r.id,
      at: isoRequired(r.at),
      actor: { id: r.actor_id, name: r.actor_name },
      action: r.action,
      subject: { type: r.subject_type, id: r.subject_id },
      assetId: r.asset_id,
      detail: r.detail,
    }));
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
  }
}
