import {
  CreateUserBody,
  IdParams,
  LoginBody,
  RefreshBody,
  TokenResponse,
  UpdateUserBody,
  User,
} from '@frameproof/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { errors } from './errors.js';
import { conflict, notFound } from '../errors.js';
import { principalOf } from '../plugins/auth.js';
import { publicUser } from '../repositories/users.js';
import { hashPassword } from '../services/passwords.js';

export const authRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/api/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a local account',
        body: LoginBody,
        response: { 200: TokenResponse, ...errors },
      },
    },
    (req) => ctx.auth.login(req.body.username, req.body.password, req.ip),
  );
  app.post(
    '/api/auth/refresh',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Trade a refresh token for new tokens (it is used up)',
        body: RefreshBody,
        response: { 200: TokenResponse, ...errors },
      },
    },
    (req) => ctx.auth.refresh(req.body.refreshToken),
  );
  app.post(
    '/api/auth/logout',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Revoke a refresh token',
        body: RefreshBody,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await ctx.auth.logout(req.body.refreshToken);
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/api/auth/me',
    {
      config: { permission: 'asset:read' },
      schema: { tags: ['auth'], summary: 'Who the token belongs to', response: { 200: User, ...errors } },
    },
    async (req) => {
      const user = await ctx.users.byId(principalOf(req).userId);
      if (!user) throw notFound('user');
      return publicUser(user);
    },
  );

  app.get(
    '/api/users',
    {
      config: { permission: 'user:manage' },
      schema: { tags: ['users'], response: { 200: Type.Object({ items: Type.Array(User) }), ...errors } },
    },
    async () => ({ items: (await ctx.users.list()).map(publicUser) }),
  );
  app.post(
    '/api/users',
    {
      config: { permission: 'user:manage' },
      schema: { tags: ['users'], body: CreateUserBody, response: { 201: User, ...errors } },
    },
    async (req, reply) => {
      if (await ctx.users.byUsername(req.body.username))
        throw conflict(`the username "${req.body.username}" is taken`);
      const user = await ctx.users.create({
        username: req.body.username,
        role: req.body.role,
        displayName: req.body.displayName ?? null,
        passwordHash: await hashPassword(req.body.password),
      });
      return reply.code(201).send(publicUser(user));
    },
  );
  app.patch(
    '/api/users/:id',
    {
      config: { permission: 'user:manage' },
      schema: { tags: ['users'], params: IdParams, body: UpdateUserBody, response: { 200: User, ...errors } },
    },
    async (req) => {
      const { password, ...rest } = req.body;
      const user = await ctx.users.update(req.params.id, {
        ...rest,
        ...(password ? { passwordHash: await hashPassword(password) } : {}),
      });
      if (!user) throw notFound('user');
      return publicUser(user);
    },
  );
};
