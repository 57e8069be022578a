import type { Role, User } from '@frameproof/core';
import type { Queryable } from '../db/database.js';
import { isoRequired } from './rows.js';

interface UserRow {
  id: string;
  username: string;
  display_name: string | null;
  role: Role;
  password_hash: string | null;
  disabled: boolean;
  created_at: Date;
}

export interface UserRecord extends User {
  passwordHash: string | null;
}

const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  disabled: r.disabled,
  createdAt: isoRequired(r.created_at),
  passwordHash: r.password_hash,
});

export const publicUser = ({ passwordHash: _, ...user }: UserRecord): User => user;

export class UsersRepository {
  constructor(private readonly db: Queryable) {}

  async byUsername(username: string): Promise<UserRecord | undefined> {
    const [row] = await this.db.query<UserRow>('SELECT * FROM users WHERE username = $1', [username]);
    return row && toUser(row);
  }
  async byId(id: string, options: { forUpdate?: boolean } = {}): Promise<UserRecord | undefined> {
    const [row] = await this.db.query<UserRow>(
      `SELECT * FROM users WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return row && toUser(row);
  }
  async list(): Promise<UserRecord[]> {
    return (await this.db.query<UserRow>('SELECT * FROM users ORDER BY username')).map(toUser);
  }
  async create(u: {
    username: string;
    role: Role;
    passwordHash: string | null;
    displayName?: string | null;
  }): Promise<UserRecord> {
    const [row] = await this.db.query<UserRow>(
      `INSERT INTO users (username, role, password_hash, display_name) VALUES ($1, $2, $3, $4) RETURNING *`,
      [u.username, u.role, u.passwordHash, u.displayName ?? null],
    );
    return toUser(row as UserRow);
  }
  async update(
    id: string,
    patch: { role?: Role; passwordHash?: string; displayName?: string | null; disabled?: boolean },
  ): Promise<UserRecord | undefined> {
    const [row] = await this.db.query<UserRow>(
      `UPDATE users SET
         role = coalesce($2, role),
         password_hash = coalesce($3, password_hash),
         display_name = CASE WHEN $4::boolean THEN $5 ELSE display_name END,
         disabled = coalesce($6, disabled)
       WHERE id = $1 RETURNING *`,
      [
        id,
        patch.role ?? null,
        patch.passwordHash ?? null,
        patch.displayName !== undefined,
        patch.displayName ?? null,
        patch.disabled ?? null,
      ],
    );
    return row && toUser(row);
  }
  /** A person signed in through OpenID Connect: found by issuer and subject, kept up to date. */
  async upsertExternal(
    subject: string,
    username: string,
    role: Role,
    displayName: string | null,
  ): Promise<UserRecord> {
    const [row] = await this.db.query<UserRow>(
      `INSERT INTO users (username, role, external_subject, display_name)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (external_subject) DO UPDATE SET role = EXCLUDED.role, display_name = EXCLUDED.display_name
       RETURNING *`,
      [username, role, subject, displayName],
    );
    return toUser(row as UserRow);
  }
}

export class SettingsRepository {
  constructor(private readonly db: Queryable) {}
  /** Returns the stored value, storing `create()` first if there is none (first start). */
  async delete(key: string): Promise<void> {
    await this.db.query('DELETE FROM settings WHERE key = $1', [key]);
  }

  async getOrCreate(key: string, create: () => string): Promise<string> {
    await this.db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
      key,
      create(),
    ]);
    const [row] = await this.db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return (row as { value: string }).value;
  }
}
