import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CompleteBody, type FailBody, JOB_TYPES, type JobType, type LeaseBody } from '@frameproof/core';

/** A job's end as a worker reported it, held back from the adapter. */
export interface HeldReport {
  jobId: string;
  kind: 'complete' | 'fail';
  body: CompleteBody | FailBody;
}

const REPORT = /^\/api\/runner\/jobs\/([^/?]+)\/(complete|fail)(?:\?|$)/;
const LEASE = /^\/api\/runner\/lease(?:\?|$)/;

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * One worker's way to the adapter (its AP_ADAPTER_HOST), passing its calls through, with two
 * faults a test may turn on, as the network between them could:
 * - `holdReports`: the end of a job (`complete`, `fail`) is kept, never answered. The worker has
 *   then done the job's work and stored its outputs, while the adapter still sees the job
 *   running under a lease the worker keeps alive. Killed there, it leaves the hardest case for
 *   "exactly once": the work done, the outputs written, and nobody told.
 * - `leaseTypes`: the job types its leases may take for now (none: answered "no work"), so that
 *   a worker started ahead of time takes only what it is meant to, when it is meant to.
 */
export class WorkerWay {
  readonly held: HeldReport[] = [];
  private readonly waiting = new Set<ServerResponse>();
  private leaseTypes: readonly JobType[];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly holdReports: boolean,
    leaseTypes: readonly JobType[],
  ) {
    this.leaseTypes = leaseTypes;
  }

  /** Starts one in front of the adapter at `adapterUrl` (http://host:port). */
  static async start(
    adapterUrl: string,
    {
      holdReports = false,
      leaseTypes = JOB_TYPES,
    }: { holdReports?: boolean; leaseTypes?: readonly JobType[] },
  ): Promise<WorkerWay> {
    const target = new URL(adapterUrl);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const way = new WorkerWay(server, `http://127.0.0.1:${port}`, holdReports, leaseTypes);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      way.handle(req, res, target).catch(() => res.destroy());
    });
    return way;
  }

  /** From now on, leases may take jobs of `types`. */
  allowLeases(types: readonly JobType[]): void {
    this.leaseTypes = types;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, target: URL): Promise<void> {
    const path = req.url ?? '';
    const report = REPORT.exec(path);
    if (report && req.method === 'POST' && this.holdReports) {
      const body = JSON.parse((await bodyOf(req)).toString()) as CompleteBody | FailBody;
      this.waiting.add(res);
      this.held.push({ jobId: decodeURIComponent(report[1] ?? ''), kind: report[2] as 'complete', body });
      return;
    }
    let body: Buffer | undefined;
    if (LEASE.test(path) && req.method === 'POST') {
      const lease = JSON.parse((await bodyOf(req)).toString()) as LeaseBody;
      const types = (lease.types ?? JOB_TYPES).filter((t) => this.leaseTypes.includes(t));
      if (!types.length) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jobs: [] }));
        return;
      }
      body = Buffer.from(JSON.stringify({ ...lease, types }));
    }
    const headers = { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    if (body) upstream.end(body);
    else req.pipe(upstream);
  }

  /** Waits until `count` reports are held; returns them. */
  async waitForHeld(count: number, seconds = 120): Promise<HeldReport[]> {
    const deadline = Date.now() + seconds * 1000;
    while (this.held.length < count) {
      if (Date.now() > deadline)
        throw new Error(`${this.held.length} of ${count} job reports came within ${seconds} s`);
      await sleep(100);
    }
    return this.held.slice(0, count);
  }

  async close(): Promise<void> {
    for (const res of this.waiting) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
