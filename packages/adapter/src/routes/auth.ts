import {
  CreateUserBody,
  IdParams,
  LoginBody,
  RefreshBody,
  SessionResponse,
  TokenResponse,
  UpdateUserBody,
  User,
} from '@frameproof/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { errors } from './errors.js';
import { notFound, unauthorized } from '@frameproof/core';
import { principalOf } from '../plugins/auth.js';
import { actorOf } from '../services/audit.js';
import { publicUser } from '../repositories/users.js';

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
        summary: "Sign out: end the refresh token's session, which cuts off its access tokens too",
        body: RefreshBody,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await ctx.auth.logout(req.body.refreshToken);
      return reply.code(204).send(null);
    },
  );

  // Browser sessions: the same tokens, but the refresh token lives in an HttpOnly cookie that
  // only these three routes see. SameSite=Strict keeps other sites from sending it; the JSON
  // body these routes require (a CORS preflight from any other origin) is a second guard.
  app.post(
    SESSION_PATH,
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in a browser: the refresh token is set as an HttpOnly cookie, not returned',
        body: LoginBody,
        response: { 200: SessionResponse, ...errors },
      },
    },
    async (req, reply) =>
      startSession(req, reply, await ctx.auth.login(req.body.username, req.body.password, req.ip), ctx),
  );
  app.post(
    `${SESSION_PATH}/refresh`,
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: "Trade the session cookie's refresh token for a new access token (and a new cookie)",
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: SessionResponse, ...errors },
      },
    },
    async (req, reply) => {
      const token = sessionCookie(req);
      if (!token) throw unauthorized('no session: sign in again');
      try {
        return startSession(req, reply, await ctx.auth.refresh(token), ctx);
      } catch (err) {
        reply.header('set-cookie', clearCookie(req));
        throw err;
      }
    },
  );
  app.post(
    `${SESSION_PATH}/logout`,
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: "End the browser session: revoke the cookie's refresh token and clear the cookie",
        body: Type.Object({}, { additionalProperties: false }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const token = sessionCookie(req);
      if (token) await ctx.auth.logout(token);
      return reply.header('set-cookie', clearCookie(req)).code(204).send(null);
    },
  );

  app.get(
    '/api/auth/me',
    {
      config: { permission: 'asset:read' },
      schema: { tags: ['auth'], summary: 'Who the token belongs to', response: { 200: User, ...errors } },
    },
    (req) => ctx.auth.user(principalOf(req).userId),
  );

  app.get(
    '/api/users',
    {
      config: { permission: 'user:manage' },
      schema: { tags: ['users'], response: { 200: Type.Object({ items: Type.Array(User) }), ...errors } },
    },
    async () => ({ items: await ctx.auth.listUsers() }),
  );
  app.post(
    '/api/users',
    {
      config: { permission: 'user:manage' },
      schema: { tags: ['users'], body: CreateUserBody, response: { 201: User, ...errors } },
    },
    async (req, reply) =>
      reply.code(201).send(await ctx.auth.createUser(req.body, actorOf(principalOf(req)))),
  );
  app.patch(
    '/api/users/:id',
    {
      config: { permission: 'user:manage' },
      schema: {
        tags: ['users'],
        summary: 'Change a user; disabling, a new role or a new password signs them out everywhere at once',
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: User, ...errors },
      },
    },
    async (req) => {
      // Disabling, a new role or a new password ends the user's sessions at once.
      const user = await ctx.auth.updateUser(req.params.id, req.body, actorOf(principalOf(req)));
      if (!user) throw notFound('user');
      return publicUser(user);
    },
  );
};

const SESSION_PATH = '/api/auth/session';
const COOKIE = 'frameproof_refresh';

function sessionCookie(req: FastifyRequest): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return decodeURIComponent(value.join('=')) || undefined;
  }
  return undefined;
}

function cookieAttributes(req: FastifyRequest): string {
  // Secure whenever the browser came over HTTPS (the ALB sets x-forwarded-proto; trustProxy).
  return `Path=${SESSION_PATH}; HttpOnly; SameSite=Strict${req.protocol === 'https' ? '; Secure' : ''}`;
}

const clearCookie = (req: FastifyRequest) => `${COOKIE}=; ${cookieAttributes(req)}; Max-Age=0`;

function startSession(
  req: FastifyRequest,
  reply: FastifyReply,
  tokens: TokenResponse,
  ctx: AppContext,
): SessionResponse {
  const maxAge = ctx.config.refreshTokenSeconds;
  reply.header(
    'set-cookie',
    `${COOKIE}=${encodeURIComponent(tokens.refreshToken)}; ${cookieAttributes(req)}; Max-Age=${maxAge}`,
  );
  return {
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    expiresIn: tokens.expiresIn,
    user: tokens.user,
  };
}
