import {
  badRequest,
  can,
  conflict,
  forbidden,
  type LiveEvent,
  notFound,
  type Permission,
  type Project,
  type ProjectMember,
  type ProjectRole,
  PROJECT_ROLES,
  type Role,
  strongestRole,
} from '@frameproof/core';
import type { Database } from '../db/database.js';
import { ProjectsRepository } from '../repositories/projects.js';
import type { UsersRepository } from '../repositories/users.js';
import { type Actor, audit } from './audit.js';
import type { EventBus, Subscription } from './event-bus.js';

/** Who asks: the parts of a principal that decide what they see. */
export interface Caller {
  userId: string;
  role: Role;
}

/** Admins and the jobs service account hold every project; people hold the projects they belong to. */
export const holdsAll = (caller: Caller) => caller.role === 'admin' || caller.role === 'service';

const isProjectRole = (role: string): role is ProjectRole =>
  (PROJECT_ROLES as readonly string[]).includes(role);

/**
 * Projects and who may do what in them. A person's role on an asset is their role in the
 * asset's project; someone who is not a member is told the asset does not exist (404).
 */
export class ProjectService {
  /** Which project each asset is in: an asset never moves, so it is remembered (bounded). */
  private readonly assetProjects = new Map<string, string>();

  constructor(
    private readonly db: Database,
    private readonly users: UsersRepository,
    private readonly events: EventBus,
  ) {}

  private get repo() {
    return new ProjectsRepository(this.db);
  }

  ensureOne(): Promise<void> {
    return this.repo.ensureOne();
  }

  rolesOf(userId: string): Promise<Map<string, ProjectRole>> {
    return this.repo.rolesOf(userId);
  }

  /**
   * The role a route's permission is checked against before any asset is known: for a person,
   * the strongest role they hold in any project (viewer when they belong to none, so that they
   * may still ask who they are and see empty lists).
   */
  async routeRole(caller: Caller): Promise<Role> {
    if (holdsAll(caller)) return caller.role;
    return strongestRole([...(await this.rolesOf(caller.userId)).values()]) ?? 'viewer';
  }

  /** The projects whose assets a list may show for `permission`; undefined: every project. */
  async visible(caller: Caller, permission: Permission = 'asset:read'): Promise<string[] | undefined> {
    if (holdsAll(caller)) return undefined;
    return [...(await this.rolesOf(caller.userId))]
      .filter(([, role]) => can(role, permission))
      .map(([id]) => id);
  }

  /** The caller's role on an asset (deleted or not); undefined when there is no such asset for them. */
  async roleOnAsset(caller: Caller, assetId: string): Promise<Role | undefined> {
    if (holdsAll(caller)) return caller.role;
    const access = await this.repo.assetAccess(assetId, caller.userId);
    if (access) this.remember(assetId, access.projectId);
    return access?.role ?? undefined;
  }

  /** The caller's role on a job's asset; undefined when the caller may not know of the job. */
  async roleOnJob(caller: Caller, jobId: string): Promise<Role | undefined> {
    if (holdsAll(caller)) return caller.role;
    const assetId = await this.repo.jobAsset(jobId);
    return assetId ? this.roleOnAsset(caller, assetId) : undefined;
  }

  /**
   * The project a new asset goes to: the one named, or the caller's only project. The caller
   * must be an editor there (admins: anywhere).
   */
  async uploadTarget(caller: Caller, requested: string | undefined): Promise<string> {
    const roles: Map<string, Role> = holdsAll(caller)
      ? new Map((await this.repo.all()).map((p) => [p.id, caller.role]))
      : await this.rolesOf(caller.userId);
    let projectId = requested;
    if (projectId === undefined) {
      if (roles.size === 0) throw forbidden('you are a member of no project: ask an admin to add you to one');
      if (roles.size > 1)
        throw badRequest(
          'projectId: you belong to several projects; name the one the asset goes to',
          'projectId',
        );
      projectId = [...roles.keys()][0] as string;
    }
    const role = roles.get(projectId);
    if (!role) throw notFound('project');
    if (!can(role, 'asset:create'))
      throw forbidden(`the ${role} role may not add assets to this project; editors may`);
    return projectId;
  }

  /** The caller's projects (admins: all), with their role in each. */
  async list(caller: Caller): Promise<Project[]> {
    const all = await this.repo.all();
    if (caller.role === 'admin') return all.map((p) => ({ ...p, role: null }));
    const roles = await this.rolesOf(caller.userId);
    return all.flatMap((p) => {
      const role = roles.get(p.id);
      return role ? [{ ...p, role }] : [];
    });
  }

  async create(name: string, actor: Actor): Promise<Project> {
    const project = await this.db.transaction(async (tx) => {
      const created = await new ProjectsRepository(tx).create(name.trim());
      if (!created) throw conflict(`a project named "${name.trim()}" exists`);
      await audit.record(tx, {
        actor,
        action: 'project.create',
        subject: { type: 'project', id: created.id },
        detail: { after: { name: created.name } },
      });
      return created;
    });
    return { ...project, role: null };
  }

  async rename(id: string, name: string, actor: Actor): Promise<Project> {
    const project = await this.db.transaction(async (tx) => {
      const repo = new ProjectsRepository(tx);
      const before = await repo.byId(id);
      const renamed = before && (await repo.rename(id, name.trim()));
      if (renamed === 'taken') throw conflict(`a project named "${name.trim()}" exists`);
      if (!before || !renamed) throw notFound('project');
      if (renamed.name !== before.name)
        await audit.record(tx, {
          actor,
          action: 'project.rename',
          subject: { type: 'project', id },
          detail: { before: { name: before.name }, after: { name: renamed.name } },
        });
      return renamed;
    });
    return { ...project, role: null };
  }

  async members(projectId: string): Promise<ProjectMember[]> {
    if (!(await this.repo.byId(projectId))) throw notFound('project');
    return this.repo.members(projectId);
  }

  /** Makes a person a member, or changes their role; their open event sockets follow at once. */
  async putMember(
    projectId: string,
    userId: string,
    role: ProjectRole | undefined,
    actor: Actor,
  ): Promise<ProjectMember> {
    if (!(await this.repo.byId(projectId))) throw notFound('project');
    const user = await this.users.byId(userId);
    if (!user) throw notFound('user');
    if (!isProjectRole(user.role))
      throw badRequest(
        user.role === 'admin'
          ? 'admins hold every project without being members'
          : 'the service account holds every project without being a member',
        'userId',
      );
    const after = role ?? user.role;
    await this.db.transaction(async (tx) => {
      const repo = new ProjectsRepository(tx);
      const before = (await repo.rolesOf(userId)).get(projectId);
      await repo.putMember(projectId, userId, after);
      if (before !== after)
        await audit.record(tx, {
          actor,
          action: 'member.put',
          subject: { type: 'project', id: projectId },
          detail: { userId, before: before ? { role: before } : null, after: { role: after } },
        });
    });
    this.events.accessChanged({ userId });
    return (await this.repo.members(projectId)).find((m) => m.userId === userId) as ProjectMember;
  }

  async removeMember(projectId: string, userId: string, actor: Actor): Promise<void> {
    if (!(await this.repo.byId(projectId))) throw notFound('project');
    await this.db.transaction(async (tx) => {
      const repo = new ProjectsRepository(tx);
      const before = (await repo.rolesOf(userId)).get(projectId);
      if (!before || !(await repo.deleteMember(projectId, userId))) throw notFound('member');
      await audit.record(tx, {
        actor,
        action: 'member.remove',
        subject: { type: 'project', id: projectId },
        detail: { userId, before: { role: before } },
      });
    });
    this.events.accessChanged({ userId });
  }

  private remember(assetId: string, projectId: string) {
    if (this.assetProjects.size >= 50_000) this.assetProjects.clear();
    this.assetProjects.set(assetId, projectId);
  }

  /** The project of an event's asset; a purged asset's event names it, its row being gone. */
  private async projectOfEvent(event: LiveEvent): Promise<string | undefined> {
    if (!event.assetId) return undefined;
    const named = event.data?.projectId;
    if (typeof named === 'string') return named;
    const known = this.assetProjects.get(event.assetId);
    if (known) return known;
    const [row] = await this.db.query<{ project_id: string }>('SELECT project_id FROM assets WHERE id = $1', [
      event.assetId,
    ]);
    if (row) this.remember(event.assetId, row.project_id);
    return row?.project_id;
  }

  /**
   * Passes on the live events the caller may see, in order: those of the assets of their
   * projects (admins and the service account: all). Memberships are read again whenever the
   * caller's access changes (a member added or removed). With `since`, first the stored events
   * after it, filtered alike (see `EventBus.follow`).
   */
  eventsFor(
    caller: Caller,
    send: (event: LiveEvent) => void,
    resume: {
      since?: number;
      resync: (reason: string) => void;
      failed: (err: unknown) => void;
    } = { resync: () => undefined, failed: () => undefined },
  ): Subscription {
    const follow = (handler: (event: LiveEvent) => void) =>
      this.events.follow(resume.since, handler, resume.resync, resume.failed);
    if (holdsAll(caller)) return follow(send);
    // Read now, awaited by the next event's check, which reports a failure: until then a
    // rejection must not count as unhandled, which would end the process.
    const readRoles = () => {
      const read = this.rolesOf(caller.userId);
      read.catch(() => undefined);
      return read;
    };
    let roles = readRoles();
    let chain = Promise.resolve();
    // An event whose project cannot be told (the database is away) ends the feed rather than
    // vanish from it: the client resumes from the last event it got.
    let broken = false;
    const offAccess = this.events.onAccessChanged(({ userId }) => {
      if (userId === caller.userId) roles = readRoles();
    });
    const { seq, off } = follow((event) => {
      chain = chain
        .then(async () => {
          if (broken) return;
          const projectId = await this.projectOfEvent(event);
          if (projectId && (await roles).has(projectId)) send(event);
        })
        .catch((err: unknown) => {
          if (broken) return;
          broken = true;
          resume.failed(err);
        });
    });
    return {
      seq,
      off: () => {
        off();
        offAccess();
      },
    };
  }
}
