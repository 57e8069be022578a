import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  type CompleteBody,
  type FailBody,
  type HeartbeatBody,
  JOB_TYPES,
  type JobResult,
  type LeaseBody,
  type LeasedJob,
  MediaInputError,
} from '@frameproof/core';
import { ApiError } from '@frameproof/client';
import type { Storage } from '@frameproof/storage';
import type { Bus, BusHandlers } from '../src/bus.js';
import type { ProcessorContext, ProcessorTable } from '../src/processors/index.js';
import { Runner, type RunnerClient } from '../src/runner.js';
import { until } from '@frameproof/tests/until';
import { systemRunner } from './helpers.js';

type Call =
  | { name: 'login' }
  | { name: 'lease'; body: LeaseBody }
  | { name: 'heartbeat'; id: string; body: HeartbeatBody }
  | { name: 'complete'; id: string; body: CompleteBody }
  | { name: 'fail'; id: string; body: FailBody }
  | { name: 'release'; id: string };

/** Stands in for the adapter: hands out queued jobs and records every call. */
class FakeClient implements RunnerClient {
  accessToken?: string;
  calls: Call[] = [];
  queue: LeasedJob[] = [];
  /** Status codes the next calls of a kind answer with. */
  failNext: Partial<Record<Call['name'], number[]>> = {};

  private answer(name: Call['name']) {
    if (this.accessToken === 'expired' && name !== 'login') throw new ApiError(401, undefined);
    const status = this.failNext[name]?.shift();
    if (status) throw new ApiError(status, { statusCode: status, error: 'x', message: `HTTP ${status}` });
  }
  async login() {
    this.calls.push({ name: 'login' });
    this.accessToken = `token-${this.calls.length}`;
  }
  async lease(body: LeaseBody) {
    this.calls.push({ name: 'lease', body });
    this.answer('lease');
    return { jobs: this.queue.splice(0, body.limit ?? 1) };
  }
  async heartbeat(id: string, body: HeartbeatBody) {
    this.calls.push({ name: 'heartbeat', id, body });
    this.answer('heartbeat');
    return {};
  }
  async complete(id: string, body: CompleteBody) {
    this.calls.push({ name: 'complete', id, body });
    this.answer('complete');
    return {};
  }
  async fail(id: string, body: FailBody) {
    this.calls.push({ name: 'fail', id, body });
    this.answer('fail');
    return {};
  }
  async release(id: string) {
    this.calls.push({ name: 'release', id });
    this.answer('release');
    return {};
  }
  named<N extends Call['name']>(name: N): Extract<Call, { name: N }>[] {
    return this.calls.filter((c): c is Extract<Call, { name: N }> => c.name === name);
  }
}

class FakeBus implements Bus {
  up = false;
  handlers: BusHandlers | undefined;
  stopped = false;
  start(handlers: BusHandlers) {
    this.handlers = handlers;
  }
  async stop() {
    this.stopped = true;
  }
  isUp() {
    return this.up;
  }
}

let n = 0;
function job(leaseSeconds = 3, sourceKey = 'k'): LeasedJob {
  n++;
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    id,
    type: 'probe',
    payload: { assetId: 'a', source: { key: sourceKey }, outputPrefix: `p/${n}` },
    attempt: 1,
    leaseToken: `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    leaseExpiresAt: new Date().toISOString(),
    leaseSeconds,
  };
}

/** Work whose end each test decides: resolve it, fail it, or let an abort end it. */
type Work = (ctx: ProcessorContext<'probe'>) => Promise<JobResult>;
function table(work: Work): ProcessorTable {
  return Object.fromEntries(JOB_TYPES.map((t) => [t, work])) as unknown as ProcessorTable;
}
const untilAborted = (ctx: { signal: AbortSignal }) =>
  new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));

let tmpRoot: string;
let client: FakeClient;
let runner: Runner | undefined;
beforeEach(async () => {
  tmpRoot = await mkdtemp(join(tmpdir(), 'frameproof-runner-'));
  client = new FakeClient();
});
afterEach(async () => {
  await runner?.stop();
  runner = undefined;
  assert.deepEqual(await readdir(tmpRoot), [], 'every job scratch folder is removed');
  await rm(tmpRoot, { recursive: true, force: true });
});

function start(work: Work, options: Partial<ConstructorParameters<typeof Runner>[0]> = {}) {
  runner = new Runner({
    client,
    credentials: { username: 'runner', password: 'secret' },
    processors: table(work),
    storage: {} as unknown as Storage,
    workerId: 'test-worker',
    tmpRoot,
    pollSeconds: 60,
    ...options,
  });
  void runner.start();
  return runner;
}

describe('Runner', () => {
  it('leases only as many jobs as it has room for, and reports each result', async () => {
    client.queue = [job(), job(), job(), job(), job()];
    let running = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    start(
      async (ctx) => {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((r) => gates.push(r));
        running--;
        return { metadata: { tmp: ctx.tmpDir.startsWith(tmpRoot) } };
      },
      { concurrency: 2 },
    );
    await until(() => gates.length === 2, 'two jobs');
    assert.deepEqual(client.named('lease')[0]?.body, { workerId: 'test-worker', types: undefined, limit: 2 });
    while (client.named('complete').length < 5) {
      gates.shift()?.();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(most, 2);
    assert.ok(client.named('lease').every((c) => (c.body.limit ?? 1) <= 2));
    assert.ok(
      client
        .named('lease')
        .slice(1)
        .some((c) => c.body.limit === 1),
      'leases one when one slot frees',
    );
    assert.deepEqual(client.named('complete')[0]?.body.result, { metadata: { tmp: true } });
    assert.equal(client.named('login').length, 1);
  });

  it('heartbeats progress every third of the lease; a lost lease (409) aborts the work quietly', async () => {
    const j = job(0.3);
    client.queue = [j];
    client.failNext.heartbeat = [0, 409];
    let aborted: unknown;
    start(async (ctx) => {
      ctx.reportProgress({ percent: 42.123, etaSeconds: 7.6 });
      return untilAborted(ctx).catch((err: unknown) => {
        aborted = err;
        throw err;
      });
    });
    await until(() => aborted !== undefined, 'the abort');
    const beats = client.named('heartbeat');
    assert.deepEqual(beats[0], {
      name: 'heartbeat',
      id: j.id,
      body: { leaseToken: j.leaseToken, progress: 42.1, etaSeconds: 8 },
    });
    assert.equal((aborted as { kind?: string }).kind, 'lease-lost');
    await until(() => runner?.activeJobs.length === 0, 'the job to end');
    assert.equal(
      client.named('complete').length + client.named('fail').length + client.named('release').length,
      0,
    );
  });

  it('stops a job that runs past its time limit, kills its ffmpeg, fails it for good and goes on', async () => {
    const endless = job(3, 'endless');
    endless.payload = { ...endless.payload, technical: { durationSeconds: 2 } } as LeasedJob['payload'];
    client.queue = [endless, job(3, 'next')];
    const { runner: ffmpeg } = await systemRunner();
    let ffmpegEnded: unknown;
    start(
      async (ctx) => {
        if (ctx.payload.source.key !== 'endless') return { metadata: { ran: ctx.payload.source.key } };
        // A source that never ends, as a hostile file can make a decoder loop.
        const args = ['-hide_banner', '-f', 'lavfi', '-i', 'testsrc2=rate=25', '-f', 'null', '-'];
        await ffmpeg.ffmpeg(args, { signal: ctx.signal }).catch((err: unknown) => {
          ffmpegEnded = err;
          throw err;
        });
        return {};
      },
      // 0.2 s plus 0.1 s per second of media: 0.4 s for this 2 s file.
      { timeouts: { baseSeconds: 0.2, perMediaSecond: 0.1 } },
    );
    await until(
      () => client.named('fail').length === 1 && client.named('complete').length === 1,
      'both jobs',
    );
    assert.ok(ffmpegEnded, 'the ffmpeg run was stopped');
    const [failed] = client.named('fail');
    assert.equal(failed?.id, endless.id);
    assert.equal(failed?.body.retryable, false);
    assert.match(failed?.body.error ?? '', /ran longer than its limit of 0\.4 s/);
    assert.deepEqual(client.named('complete')[0]?.body.result, { metadata: { ran: 'next' } });
  });

  it('fails bad input as not retryable and other errors as retryable', async () => {
    const [bad, flaky] = [job(3, 'bad'), job()];
    client.queue = [bad, flaky];
    start(async (ctx) => {
      if (ctx.payload.source.key === 'bad') throw new MediaInputError('unreadable', 'moov atom not found');
      throw new Error('connection reset');
    });
    await until(() => client.named('fail').length === 2, 'two failures');
    assert.deepEqual(
      client.named('fail').map((c) => [c.id, c.body.error, c.body.retryable]),
      [
        [bad.id, 'moov atom not found', false],
        [flaky.id, 'connection reset', true],
      ],
    );
  });

  it('fails a job whose result the adapter refuses (400) rather than leaving it hanging', async () => {
    client.queue = [job()];
    client.failNext.complete = [400];
    start(async () => ({ metadata: {} }));
    await until(() => client.named('fail').length === 1, 'the failure');
    assert.equal(client.named('fail')[0]?.body.retryable, false);
  });

  it('aborts a job cancelled on the bus, and leases when told there is work', async () => {
    const bus = new FakeBus();
    const [a, b] = [job(), job()];
    client.queue = [a];
    const seen: string[] = [];
    start(
      async (ctx) => {
        seen.push(ctx.payload.outputPrefix);
        return untilAborted(ctx);
      },
      { bus, concurrency: 2, stopTimeoutSeconds: 0.1 },
    );
    await until(() => seen.length === 1, 'the first job');
    client.queue = [b];
    bus.handlers?.onMessage({ type: 'work-available' });
    await until(() => seen.length === 2, 'the second job');
    bus.handlers?.onMessage({ type: 'cancel', jobId: a.id });
    await until(() => runner?.activeJobs.length === 1, 'the cancel');
    assert.deepEqual(runner?.activeJobs, [b.id]);
    bus.handlers?.onMessage({ type: 'cancel', jobId: 'not-mine' });
    assert.equal(client.named('fail').length + client.named('complete').length, 0);
    await runner?.stop();
    assert.ok(bus.stopped);
    assert.deepEqual(
      client.named('release').map((c) => c.id),
      [b.id],
    );
  });

  it('logs in again when a token is refused (401), once for all calls', async () => {
    start(async () => ({}));
    await until(() => client.named('lease').length === 1, 'the first lease');
    client.accessToken = 'expired';
    client.queue = [job()];
    runner?.wake();
    await until(() => client.named('complete').length === 1, 'the job');
    assert.equal(client.named('login').length, 2);
  });

  it('renews an expired token with the refresh token, in the same session, and logs in only if that fails', async () => {
    let refreshes = 0;
    let refreshWorks = true;
    Object.assign(client, {
      async refresh() {
        refreshes++;
        if (!refreshWorks) throw new ApiError(401, undefined);
        client.accessToken = `refreshed-${refreshes}`;
      },
    });
    start(async () => ({}));
    await until(() => client.named('lease').length === 1, 'the first lease');
    client.accessToken = 'expired';
    client.queue = [job()];
    runner?.wake();
    await until(() => client.named('complete').length === 1, 'the first job');
    assert.deepEqual([refreshes, client.named('login').length], [1, 1], 'renewed, no new sign-in');

    refreshWorks = false; // the session was ended: sign in again
    client.accessToken = 'expired';
    client.queue = [job()];
    runner?.wake();
    await until(() => client.named('complete').length === 2, 'the second job');
    assert.deepEqual([refreshes, client.named('login').length], [2, 2]);
  });

  it('polls only while no bus connection is up', async () => {
    const bus = new FakeBus();
    bus.up = true;
    start(async () => ({}), { bus, pollSeconds: 0.03 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(client.named('lease').length, 1, 'just the lease at start');
    bus.up = false;
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(client.named('lease').length >= 3, `polled ${client.named('lease').length - 1} times`);
  });

  it('retries a failed lease with backoff even while the bus is up', async () => {
    const bus = new FakeBus();
    bus.up = true;
    client.failNext.lease = [503];
    client.queue = [job()];
    start(async () => ({}), { bus });
    await until(() => client.named('complete').length === 1, 'the job after a retry', { ms: 3000 });
    assert.equal(client.named('lease').length >= 2, true);
  });

  describe('stop', () => {
    it('lets running jobs finish within the stop timeout', async () => {
      client.queue = [job()];
      let finish: (() => void) | undefined;
      start(() => new Promise((r) => (finish = () => r({}))));
      await until(() => finish !== undefined, 'the job');
      const stopped = runner?.stop();
      client.queue = [job()];
      runner?.wake();
      setTimeout(() => finish?.(), 50);
      await stopped;
      assert.equal(client.named('complete').length, 1);
      assert.equal(client.named('release').length, 0);
      assert.equal(client.named('lease').length, 1, 'no leasing once stopping');
    });

    it('releases jobs still running when the timeout ends', async () => {
      const j = job();
      client.queue = [j];
      let started = false;
      start(
        (ctx) => {
          started = true;
          return untilAborted(ctx);
        },
        { stopTimeoutSeconds: 0.1 },
      );
      await until(() => started, 'the job');
      const t0 = Date.now();
      await runner?.stop();
      assert.ok(Date.now() - t0 < 1000);
      assert.deepEqual(
        client.named('release').map((c) => c.id),
        [j.id],
      );
      assert.equal(client.named('fail').length, 0);
    });

    it('hands back jobs leased while stopping', async () => {
      const j = job();
      let answer: (() => void) | undefined;
      client.lease = async (body: LeaseBody) => {
        client.calls.push({ name: 'lease', body });
        await new Promise<void>((r) => (answer = r));
        return { jobs: [j] };
      };
      start(async () => ({}));
      await until(() => answer !== undefined, 'the lease');
      const stopped = runner?.stop();
      answer?.();
      await stopped;
      await until(() => client.named('release').length === 1, 'the release');
      assert.equal(client.named('complete').length, 0);
    });
  });
});
