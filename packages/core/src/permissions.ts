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
  'comment:write': ['admin', 'editor', 'reviewer'],
  'job:read': ['admin', 'editor', 'reviewer', 'viewer', 'service'],
  'job:manage': ['admin', 'editor'],
  'job:work': ['service'],
  'user:manage': ['admin'],
  /** The audit log: who changed QC status, markers, comments and users. */
  'audit:read': ['admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** When a token carries several roles, the strongest one counts. */
export function strongestRole(roles: readonly string[]): Role | undefined {
  return (['admin', 'editor', 'reviewer', 'viewer', 'service'] as const).find((r) => roles.includes(r));
}
