import {
  CreateProjectBody,
  IdParams,
  MemberParams,
  Project,
  ProjectList,
  ProjectMember,
  ProjectMemberList,
  PutMemberBody,
  UpdateProjectBody,
} from '@frameproof/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { principalOf } from '../plugins/auth.js';
import { actorOf } from '../services/audit.js';
import { errors } from './errors.js';

const tags = ['projects'];

/** Projects and their members: people see the assets of their projects, with their role there. */
export const projectRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/projects',
    {
      config: { permission: 'project:read' },
      schema: {
        tags,
        summary: 'The projects one is a member of, with one’s role in each (admins: every project)',
        response: { 200: ProjectList, ...errors },
      },
    },
    async (req) => ({ items: await ctx.projects.list(principalOf(req)) }),
  );
  app.post(
    '/api/projects',
    {
      config: { permission: 'project:manage' },
      schema: {
        tags,
        summary: 'Create a project',
        body: CreateProjectBody,
        response: { 201: Project, ...errors },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await ctx.projects.create(req.body.name, actorOf(principalOf(req)))),
  );
  app.patch(
    '/api/projects/:id',
    {
      config: { permission: 'project:manage' },
      schema: {
        tags,
        summary: 'Rename a project',
        params: IdParams,
        body: UpdateProjectBody,
        response: { 200: Project, ...errors },
      },
    },
    (req) => ctx.projects.rename(req.params.id, req.body.name, actorOf(principalOf(req))),
  );
  app.get(
    '/api/projects/:id/members',
    {
      config: { permission: 'project:manage' },
      schema: {
        tags,
        summary: 'The members of a project with their roles',
        params: IdParams,
        response: { 200: ProjectMemberList, ...errors },
      },
    },
    async (req) => ({ items: await ctx.projects.members(req.params.id) }),
  );
  app.put(
    '/api/projects/:id/members/:userId',
    {
      config: { permission: 'project:manage' },
      schema: {
        tags,
        summary:
          "Make a person a member of the project, or change their role there (editor, reviewer or viewer; by default their account's role)",
        params: MemberParams,
        body: PutMemberBody,
        response: { 200: ProjectMember, ...errors },
      },
    },
    (req) =>
      ctx.projects.putMember(req.params.id, req.params.userId, req.body.role, actorOf(principalOf(req))),
  );
  app.delete(
    '/api/projects/:id/members/:userId',
    {
      config: { permission: 'project:manage' },
      schema: {
        tags,
        summary: 'Remove a person from the project: its assets are gone for them at once',
        params: MemberParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await ctx.projects.removeMember(req.params.id, req.params.userId, actorOf(principalOf(req)));
      return reply.code(204).send(null);
    },
  );
};
