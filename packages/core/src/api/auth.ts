import { Type, type Static } from 'typebox';
import { Nullable, Timestamp, Uuid } from './common.js';

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.String({ minLength: 1, maxLength: 1000 }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const RoleSchema = Type.Enum(['admin', 'editor', 'reviewer', 'viewer', 'service']);
export const PersonRoleSchema = Type.Enum(['admin', 'editor', 'reviewer', 'viewer']);

export const User = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: Nullable(Type.String()),
  role: RoleSchema,
  disabled: Type.Boolean(),
  createdAt: Timestamp,
});
export type User = Static<typeof User>;

export const TokenResponse = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires.' }),
  user: User,
});
export type TokenResponse = Static<typeof TokenResponse>;

/**
 * What a browser session gets: the access token only. The refresh token travels in an
 * `HttpOnly; SameSite=Strict` cookie scoped to `/api/auth/session`, out of reach of scripts.
 */
export const SessionResponse = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires.' }),
  user: User,
});
export type SessionResponse = Static<typeof SessionResponse>;

export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);

export const CreateUserBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._@-]+$' }),
    password: Type.String({ minLength: 8, maxLength: 1000 }),
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    role: PersonRoleSchema,
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 1000 })),
    displayName: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    role: Type.Optional(PersonRoleSchema),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserBody = Static<typeof UpdateUserBody>;
