import { Type, type Static } from 'typebox';
import { JsonObject, Nullable, Page, Timestamp, Uuid } from './common.js';

/**
 * What the audit log records, as `<subject>.<change>`. A service that audits a new kind of change
 * adds its action here first, so that the log's filter and readers know it.
 */
export const AUDIT_ACTIONS = [
  /** A QC decision: `{ before: { status, reason }, after: { status, reason } }`. */
  'asset.qc',
  /** `{ after: { title, start, end, group } }` (frames). */
  'marker.create',
  /** The changed fields only: `{ before: {...}, after: {...} }`. */
  'marker.update',
  /** `{ before: { title, start, end, group } }`. */
  'marker.delete',
  /** Many markers in one request; the subject is the asset: `{ count, groups }`. */
  'marker.bulk',
  /** A marker file; the subject is the asset: `{ format, count, groups }`. */
  'marker.import',
  /** `{ markerId, length }` (the text itself stays in the comment). */
  'comment.create',
  /** `{ after: { username, role, displayName } }`. */
  'user.create',
  /** `{ before: { role }, after: { role } }`. */
  'user.role',
  /** Disabled or enabled again: `{ before: { disabled }, after: { disabled } }`. */
  'user.disable',
  /** A new password set by an admin (never the password itself): `{}`. */
  'user.password',
  /** `{ before: { displayName }, after: { displayName } }`. */
  'user.update',
  /** `{ after: { name } }`. */
  'project.create',
  /** `{ before: { name }, after: { name } }`. */
  'project.rename',
  /** A member added or their role changed; the subject is the project: `{ userId, before: { role } | null, after: { role } }`. */
  'member.put',
  /** `{ userId, before: { role } }`. */
  'member.remove',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AuditEntry = Type.Object({
  id: Type.String({ description: 'Ascending in the order entries were written.' }),
  at: Timestamp,
  actor: Type.Object({
    id: Nullable(Uuid),
    name: Type.String({ description: 'The username at the time of the change.' }),
  }),
  action: Type.Enum(AUDIT_ACTIONS),
  subject: Type.Object({ type: Type.String(), id: Type.String() }),
  assetId: Nullable(Uuid),
  detail: JsonObject,
});
export type AuditEntry = Static<typeof AuditEntry>;

export const ListAuditQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    assetId: Type.Optional(Uuid),
    actorId: Type.Optional(Uuid),
    action: Type.Optional(Type.Enum(AUDIT_ACTIONS)),
    since: Type.Optional(
      Type.String({ format: 'date-time', description: 'Entries at or after this instant.' }),
    ),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Entries before this instant.' })),
  },
  { additionalProperties: false },
);
export type ListAuditQuery = Static<typeof ListAuditQuery>;
export const AuditPage = Page(AuditEntry);
export type AuditPage = Static<typeof AuditPage>;
