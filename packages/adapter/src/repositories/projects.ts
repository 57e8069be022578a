import type { ProjectMember, ProjectRole } from '@frameproof/core';
import type { Queryable } from '../db/database.js';
import { isoRequired } from './rows.js';

export interface ProjectRecord {
  id: string;
  name: string;
  createdAt: string;
}

const toProject = (r: { id: string; name: string; created_at: Date }): ProjectRecord => ({
  id: r.id,
  name: r.name,
  createdAt: isoRequired(r.created_at),
});

/** SQL of projects and their members. */
export class ProjectsRepository {
  constructor(private readonly db: Queryable) {}

  async all(): Promise<ProjectRecord[]> {
    return (
      await this.db.query<{ id: string; name: string; created_at: Date }>(
        'SELECT id, name, created_at FROM projects ORDER BY lower(name), id',
      )
    ).map(toProject);
  }

  async byId(id: string): Promise<ProjectRecord | undefined> {
    const [row] = await this.db.query<{ id: string; name: string; created_at: Date }>(
      'SELECT id, name, created_at FROM projects WHERE id = $1',
      [id],
    );
    return row && toProject(row);
  }

  /** Creates the project; undefined when the name (in any case) is taken. */
  async create(name: string): Promise<ProjectRecord | undefined> {
    const [row] = await this.db.query<{ id: string; name: string; created_at: Date }>(
      `INSERT INTO projects (name) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id, name, created_at`,
      [name],
    );
    return row && toProject(row);
  }

  /** Creates "Default" when there is no project at all (a deployment always has one). */
  async ensureOne(): Promise<void> {
    await this.db.query(
      `INSERT INTO projects (name) SELECT 'Default' WHERE NOT EXISTS (SELECT 1 FROM projects) ON CONFLICT DO NOTHING`,
    );
  }

  /** Renames; 'taken' when another project has the name, undefined when there is no such project. */
  async rename(id: string, name: string): Promise<ProjectRecord | 'taken' | undefined> {
    const [clash] = await this.db.query<{ id: string }>(
      'SELECT id FROM projects WHERE lower(name) = lower($1) AND id <> $2',
      [name, id],
    );
    if (clash) return 'taken';
    const [row] = await this.db.query<{ id: string; name: string; created_at: Date }>(
      'UPDATE projects SET name = $2 WHERE id = $1 RETURNING id, name, created_at',
      [id, name],
    );
    return row && toProject(row);
  }

  /** The projects a user is a member of, with their role in each. */
  async rolesOf(userId: string): Promise<Map<string, ProjectRole>> {
    const rows = await this.db.query<{ project_id: string; role: ProjectRole }>(
      'SELECT project_id, role FROM project_members WHERE user_id = $1',
      [userId],
    );
    return new Map(rows.map((r) => [r.project_id, r.role]));
  }

  /** The project of an asset (deleted or not) and the user's role there (null: not a member). */
  async assetAccess(
    assetId: string,
    userId: string,
  ): Promise<{ projectId: string; role: ProjectRole | null } | undefined> {
    const [row] = await this.db.query<{ project_id: string; role: ProjectRole | null }>(
      `SELECT a.project_id, m.role FROM assets a
       LEFT JOIN project_members m ON m.project_id = a.project_id AND m.user_id = $2
       WHERE a.id = $1`,
      [assetId, userId],
    );
    return row && { projectId: row.project_id, role: row.role };
  }

  /** The asset a job belongs to (null: a job of no asset). */
  async jobAsset(jobId: string): Promise<string | null | undefined> {
    const [row] = await this.db.query<{ asset_id: string | null }>(
      'SELECT asset_id FROM jobs WHERE id = $1',
      [jobId],
    );
    return row ? row.asset_id : undefined;
  }

  async members(projectId: string): Promise<ProjectMember[]> {
    const rows = await this.db.query<{
      user_id: string;
      username: string;
      display_name: string | null;
      role: ProjectRole;
    }>(
      `SELECT m.user_id, u.username, u.display_name, m.role FROM project_members m
       JOIN users u ON u.id = m.user_id WHERE m.project_id = $1 ORDER BY u.username`,
      [projectId],
    );
    return rows.map((r) => ({
      userId: r.user_id,
      username: r.username,
      displayName: r.display_name,
      role: r.role,
    }));
  }

  async putMember(projectId: string, userId: string, role: ProjectRole): Promise<void> {
    await this.db.query(
      `INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role`,
      [projectId, userId, role],
    );
  }

  async deleteMember(projectId: string, userId: string): Promise<boolean> {
    return (
      (
        await this.db.query(
          'DELETE FROM project_members WHERE project_id = $1 AND user_id = $2 RETURNING user_id',
          [projectId, userId],
        )
      ).length > 0
    );
  }
}
