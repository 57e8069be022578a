import { Type, type Static } from 'typebox';
import { Nullable, Timestamp, Uuid } from './common.js';

export const ProjectRoleSchema = Type.Enum(['editor', 'reviewer', 'viewer']);

export const Project = Type.Object({
  id: Uuid,
  name: Type.String(),
  createdAt: Timestamp,
  /** The caller's role in the project; null for an admin, who holds every project without being a member. */
  role: Nullable(ProjectRoleSchema),
});
export type Project = Static<typeof Project>;
export const ProjectList = Type.Object({ items: Type.Array(Project) });
export type ProjectList = Static<typeof ProjectList>;

export const ProjectName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
export const CreateProjectBody = Type.Object({ name: ProjectName }, { additionalProperties: false });
export type CreateProjectBody = Static<typeof CreateProjectBody>;
export const UpdateProjectBody = Type.Object({ name: ProjectName }, { additionalProperties: false });
export type UpdateProjectBody = Static<typeof UpdateProjectBody>;

export const ProjectMember = Type.Object({
  userId: Uuid,
  username: Type.String(),
  displayName: Nullable(Type.String()),
  role: ProjectRoleSchema,
});
export type ProjectMember = Static<typeof ProjectMember>;
export const ProjectMemberList = Type.Object({ items: Type.Array(ProjectMember) });
export type ProjectMemberList = Static<typeof ProjectMemberList>;

export const MemberParams = Type.Object({ id: Uuid, userId: Uuid }, { additionalProperties: false });
export type MemberParams = Static<typeof MemberParams>;
export const PutMemberBody = Type.Object(
  {
    /** The member's role in the project; by default the role of their account. */
    role: Type.Optional(ProjectRoleSchema),
  },
  { additionalProperties: false },
);
export type PutMemberBody = Static<typeof PutMemberBody>;

/** The project an upload or import goes to: required unless the caller belongs to exactly one. */
export const ProjectIdField = Type.Optional(
  Type.String({
    format: 'uuid',
    description: 'The project the new asset goes to; may be left out by who belongs to exactly one project.',
  }),
);
