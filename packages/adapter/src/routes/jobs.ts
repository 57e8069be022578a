import {
  CompleteBody,
  FailBody,
  HeartbeatBody,
  HeartbeatResponse,
  IdParams,
  Job,
  JobList,
  LeaseBody,
  LeaseResponse,
  ListJobsQuery,
  ReleaseBody,
} from '@frameproof/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { errors } from './errors.js';
import { principalOf } from '../plugins/auth.js';

/** Jobs for people (list, retry, cancel) and the worker protocol under /api/runner. */
export const jobRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/jobs',
    {
      config: { permission: 'job:read' },
      schema: {
        tags: ['jobs'],
        summary: 'Jobs, newest first, filtered by asset, status or type',
        querystring: ListJobsQuery,
        response: { 200: JobList, ...errors },
      },
    },
    async (req) => ({ items: await ctx.queue.list(req.query, await ctx.projects.visible(principalOf(req))) }),
  );
  app.get(
    '/api/jobs/:id',
    {
      config: { permission: 'job:read' },
      schema: { tags: ['jobs'], params: IdParams, response: { 200: Job, ...errors } },
    },
    (req) => ctx.queue.get(req.params.id),
  );
  app.post(
    '/api/jobs/:id/retry',
    {
      config: { permission: 'job:manage' },
      schema: {
        tags: ['jobs'],
        summary: 'Queue a failed or cancelled job again',
        params: IdParams,
        response: { 200: Job, ...errors },
      },
    },
    (req) => ctx.queue.retry(req.params.id),
  );
  app.post(
    '/api/jobs/:id/cancel',
    {
      config: { permission: 'job:manage' },
      schema: {
        tags: ['jobs'],
        summary: 'Cancel a queued or running job',
        params: IdParams,
        response: { 200: Job, ...errors },
      },
    },
    (req) => ctx.queue.cancel(req.params.id, principalOf(req).username),
  );

  const runner = { tags: ['runner'] };
  app.post(
    '/api/runner/lease',
    {
      config: { permission: 'job:work' },
      schema: {
        ...runner,
        summary: 'Take queued jobs (service account)',
        body: LeaseBody,
        response: { 200: LeaseResponse, ...errors },
      },
    },
    async (req) => ({
      jobs: await ctx.queue.lease(req.body.workerId, req.body.types, req.body.limit ?? 1),
    }),
  );
  app.post(
    '/api/runner/jobs/:id/heartbeat',
    {
      config: { permission: 'job:work' },
      schema: {
        ...runner,
        summary: 'Keep the lease and report progress; 409 when the lease is lost',
        params: IdParams,
        body: HeartbeatBody,
        response: { 200: HeartbeatResponse, ...errors },
      },
    },
    (req) => ctx.queue.heartbeat(req.params.id, req.body.leaseToken, req.body.progress, req.body.etaSeconds),
  );
  app.post(
    '/api/runner/jobs/:id/complete',
    {
      config: { permission: 'job:work' },
      schema: { ...runner, params: IdParams, body: CompleteBody, response: { 200: Job, ...errors } },
    },
    (req) => ctx.queue.complete(req.params.id, req.body.leaseToken, req.body.result),
  );
  app.post(
    '/api/runner/jobs/:id/fail',
    {
      config: { permission: 'job:work' },
      schema: { ...runner, params: IdParams, body: FailBody, response: { 200: Job, ...errors } },
    },
    (req) =>
      ctx.queue.fail(req.params.id, req.body.leaseToken, {
        error: req.body.error,
        retryable: req.body.retryable,
      }),
  );
  app.post(
    '/api/runner/jobs/:id/release',
    {
      config: { permission: 'job:work' },
      schema: {
        ...runner,
        summary: 'Hand a job back unfinished',
        params: IdParams,
        body: ReleaseBody,
        response: { 200: Job, ...errors },
      },
    },
    (req) => ctx.queue.release(req.params.id, req.body.leaseToken),
  );
};
