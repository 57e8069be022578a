/** Roles people can hold, plus `service` for the jobs and analyze workers' account. */
export const Role = {
  Admin: 'admin',
  Editor: 'editor',
  Reviewer: 'reviewer',
  Viewer: 'viewer',
  Service: 'service',
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const PERSON_ROLES = ['admin', 'editor', 'reviewer', 'viewer'] as const satisfies readonly Role[];
/** The roles a person holds in a project (admins hold every project without being members). */
export const PROJECT_ROLES = ['editor', 'reviewer', 'viewer'] as const satisfies readonly Role[];
export type ProjectRole = (typeof PROJECT_ROLES)[number];

/**
 * The permission table. Every route names one permission; tests walk the routes with each role
 * and check the answer against this table.
 */
export const PERMISSIONS = {
  'asset:read': ['admin', 'editor', 'reviewer', 'viewer', 'service'],
  'asset:create': ['admin', 'editor'],
  'asset:update': ['admin', 'editor'],
  /** Soft delete and restore: the asset leaves every list but can be restored for a while. */
  'asset:delete': ['admin', 'editor'],
  /** Hard delete: rows and files removed at once, for good. */
  'asset:purge': ['admin'],
  'asset:qc': ['admin', 'reviewer'],
  'marker:read': ['admin', 'editor', 'reviewer', 'viewer', 'service'],
  'marker:write': ['admin', 'editor', 'reviewer'],
  /** Change or delete markers others wrote; reviewers change and delete only their own. */
  'marker:write-any': ['admin', 'editor'],
  /** Change or delete the markers of automatic steps (Auto QC, video analysis). */
  'marker:write-automatic': ['admin', 'editor'],
  'comment:write': ['admin', 'editor', 'reviewer'],
  'job:read': ['admin', 'editor', 'reviewer', 'viewer', 'service'],
  'job:manage': ['admin', 'editor'],
  'job:work': ['service'],
  'user:manage': ['admin'],
  /** The audit log: who changed QC status, markers, comments and users. */
  'audit:read': ['admin'],
  /** List the projects one belongs to (admins: all). */
  'project:read': ['admin', 'editor', 'reviewer', 'viewer'],
  /** Create and rename projects, and say who is a member with which role. */
  'project:manage': ['admin'],
  /** The embedded mode's backup: every row and every file. */
  'system:backup': ['admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

/**
 * What a person may do on an asset is decided by their role in the asset's project: these
 * permissions are checked against that role (admins and the service account: their own role).
 */
export const PROJECT_PERMISSIONS = [
  'asset:read',
  'asset:create',
  'asset:update',
  'asset:delete',
  'asset:qc',
  'marker:read',
  'marker:write',
  'marker:write-any',
  'marker:write-automatic',
  'comment:write',
  'job:read',
  'job:manage',
] as const satisfies readonly Permission[];

export function isProjectPermission(permission: Permission): boolean {
  return (PROJECT_PERMISSIONS as readonly Permission[]).includes(permission);
}

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** When a token carries several roles, the strongest one counts. */
export function strongestRole(roles: readonly string[]): Role | undefined {
  return (['admin', 'editor', 'reviewer', 'viewer', 'service'] as const).find((r) => roles.includes(r));
}
