/**
 * The load benchmark (`npm run bench -- load`): the stack as processes on this machine's
 * PostgreSQL (a fresh database, dropped afterwards): two adapters behind the gateway, one jobs
 * worker, analyze. CLIENTS clients (200) for SECONDS seconds (60) through the gateway, on a mix
 * of reads and writes across seeded assets, while 4 uploads ingest and one event-bus socket per
 * 10 clients listens. Afterwards every write a client was told succeeded is looked up in the
 * database, and every event a socket should have had is counted.
 *
 * Shorter runs: `npm run bench -- load --clients=20 --seconds=10` (or LOAD_CLIENTS, LOAD_SECONDS).
 * `--think-ms=1000` (LOAD_THINK_MS): clients wait that long on average between requests, as
 * people do; 0 (the default): each asks again as soon as it has its answer.
 * Targets: no 5xx, no lost write, no lost event, read p99 under 500 ms.
 * To tell where a tail comes from, it also reports the seconds of the run that held the most
 * reads over the target (`slowReads`) and the cores each service used (`coresUsed`).
 */
import { loadavg, tmpdir } from 'node:os';
import { openAsBlob } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AssetWithShapes, LiveEvent } from '@frameproof/core';
import type { FrameproofClient } from '@frameproof/client';
import { WebSocket } from 'ws';
import { Cluster, psql } from '../tests/e2e/cluster.js';
import { makeClip } from '../tests/e2e/stack.js';

const flag = (name: string, env: string, fallback: number, { zero = false } = {}): number => {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = Number(arg?.split('=')[1] ?? process.env[env] ?? fallback);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zero))
    throw new Error(`--${name} (${env}) must be a ${zero ? 'non-negative' : 'positive'} number`);
  return value;
};

const SEEDED = 6;
const MARKERS_PER_ASSET = 300;
const INGESTS = 4;
const CLIENTS_PER_SOCKET = 10;
const READS = ['asset list', 'asset', 'markers by range', 'search', 'waveform window'] as const;
const WRITES = ['create marker', 'comment', 'qc decision'] as const;
type Route = (typeof READS)[number] | (typeof WRITES)[number] | 'upload';
/** How often each operation comes up, out of the sum. */
const MIX: [Route, number][] = [
  ['asset list', 15],
  ['asset', 15],
  ['markers by range', 20],
  ['search', 10],
  ['waveform window', 10],
  ['create marker', 15],
  ['comment', 10],
  ['qc decision', 5],
];

/**
 * Opens an event-bus socket the way the frontend does (src/app/lib/events.ts): a one-time
 * ticket asked for with the access token, then the socket with it. One function, so a change in
 * how the bus authenticates is made here.
 */
async function openBus(client: FrameproofClient, assetId: string): Promise<WebSocket> {
  const { ticket } = await client.eventBusTicket();
  const url = new URL('/api/eventbus', client.baseUrl.replace(/^http/, 'ws'));
  url.searchParams.set('ticket', ticket);
  url.searchParams.set('assetId', assetId);
  return new WebSocket(url);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    count: values.length,
    p50: r(percentile(sorted, 50)),
    p95: r(percentile(sorted, 95)),
    p99: r(percentile(sorted, 99)),
  };
};

const READ_P99_TARGET_MS = 500;

/**
 * Reads slower than the target, by the second of the run they began in: the seconds with the
 * most of them, and what share of them those seconds hold. Slow reads spread evenly point at a
 * steady cost; a few seconds holding most of them point at stalls (a pause, an fsync, a burst).
 */
function bursts(seconds: number[]) {
  const perSecond = new Map<number, number>();
  for (const s of seconds) perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  const worst = [...perSecond].sort((a, b) => b[1] - a[1]).slice(0, 5);
  const inWorst = worst.reduce((sum, [, n]) => sum + n, 0);
  return {
    count: seconds.length,
    secondsWithAny: perSecond.size,
    worstSeconds: worst.map(([second, count]) => ({ second, count })),
    shareInWorstFive: seconds.length ? Math.round((inWorst / seconds.length) * 100) / 100 : 0,
  };
}

/** CPU time (user and system, seconds) of a process, its children that ended and those still running. */
async function cpuSeconds(pid: number): Promise<number> {
  const read = (path: string) => readFile(path, 'utf8').catch(() => '');
  const stat = await read(`/proc/${pid}/stat`);
  // After the command's closing parenthesis: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => []);
  for (const task of tasks)
    for (const child of (await read(`/proc/${pid}/task/${task}/children`)).split(' ').filter(Boolean))
      ticks += (await cpuSeconds(Number(child))) * CLOCK_TICKS;
  return ticks / CLOCK_TICKS;
}
/** Linux's USER_HZ, what /proc counts CPU time in. */
const CLOCK_TICKS = 100;

/** A write the server acknowledged, and when. */
interface Ack {
  kind: 'marker' | 'comment' | 'qc';
  assetId: string;
  id: string;
  sentAt: number;
  ackedAt: number;
  reason?: string;
}

/** One listening socket: what it got, and the span it was subscribed. */
interface Listener {
  assetId: string;
  openedAt: number;
  closedAt: number | undefined;
  reconnects: number;
  received: Map<string, number>;
  updates: number;
}

export async function run(): Promise<Record<string, unknown>> {
  const clients = flag('clients', 'LOAD_CLIENTS', 200);
  const seconds = flag('seconds', 'LOAD_SECONDS', 60);
  // A person reads what they asked for before asking again: with think time, each client waits a
  // random while (exponential, this mean) after each answer. 0: each asks again at once, and the
  // latencies measure how long the queue grows when the stack is saturated.
  const thinkMs = flag('think-ms', 'LOAD_THINK_MS', 0, { zero: true });
  const think = () => (thinkMs > 0 ? sleep(-Math.log(1 - Math.random()) * thinkMs) : undefined);
  const server = process.env.LOAD_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const clips = join(tmpdir(), 'frameproof-bench');
  await mkdir(clips, { recursive: true });
  const seedClip = await makeClip(join(clips, 'load-seed-4s.mp4'), { seconds: 4 });
  const ingestClips = await Promise.all(
    Array.from({ length: INGESTS }, (_, i) =>
      makeClip(join(clips, `load-ingest-${i}.mp4`), { seconds: 20, size: '640x360' }),
    ),
  );

  const cluster = await Cluster.create(server);
  try {
    await cluster.startAdapter();
    await cluster.startAdapter();
    await cluster.startAnalyze(); // before the worker, whose Auto QC asks it
    cluster.startWorker();
    await cluster.startGateway();
    const admin = await cluster.admin();
    const token = admin.accessToken ?? '';
    const base = cluster.url;

    // Seeded assets, ingested before the run: ready, with audio, and markers to read by range.
    const seeded: string[] = [];
    for (let i = 0; i < SEEDED; i++)
      seeded.push((await admin.uploadAsset(await openAsBlob(seedClip), 'seed.mp4', `Seeded reel ${i}`)).id);
    const deadline = Date.now() + 600_000;
    let ready: AssetWithShapes[] = [];
    while (Date.now() < deadline) {
      ready = await Promise.all(seeded.map((id) => admin.getAsset(id)));
      if (ready.every((a) => a.status !== 'ingesting')) break;
      await sleep(1000);
    }
    if (!ready.every((a) => a.status === 'ready')) throw new Error('the seeded assets did not become ready');
    for (const id of seeded) {
      await admin.createMarkers(id, {
        markers: Array.from({ length: MARKERS_PER_ASSET }, (_, m) => ({
          start: { frame: m % 100 },
          title: `seed ${m}`,
          group: 'Seed',
        })),
      });
    }
    const seedMarker = new Map<string, string>();
    for (const id of seeded)
      seedMarker.set(id, (await admin.listMarkers(id, { from: 0, to: 1 })).items[0]?.id ?? '');
    // Warm analyze's cache: the benchmark measures windows of a decoded programme, not first decodes.
    for (const id of seeded)
      await fetch(waveformUrl(base, id, 0), { headers: { authorization: `Bearer ${token}` } });

    const latencies = new Map<Route, number[]>();
    const statuses = new Map<Route, Map<string, number>>();
    const acks: Ack[] = [];
    /** When each read over the target began, in seconds from the start: do they come in bursts? */
    const slowReads: number[] = [];
    let runStarted = Infinity;
    const note = (route: Route, ms: number, status: string) => {
      if (!latencies.has(route)) latencies.set(route, []);
      latencies.get(route)?.push(ms);
      if (ms >= READ_P99_TARGET_MS && (READS as readonly string[]).includes(route))
        slowReads.push(Math.floor((performance.now() - ms - runStarted) / 1000));
      const byStatus = statuses.get(route) ?? new Map<string, number>();
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      statuses.set(route, byStatus);
    };
    const call = async (route: Route, url: string, init: RequestInit = {}): Promise<unknown> => {
      const started = performance.now();
      let status = 'network error';
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (typeof init.body === 'string') headers['content-type'] = 'application/json';
      try {
        const res = await fetch(url, { ...init, headers });
        status = String(res.status);
        const body = route === 'waveform window' ? await res.arrayBuffer() : await res.text();
        return res.ok ? (typeof body === 'string' && body ? JSON.parse(body) : body) : undefined;
      } catch {
        return undefined;
      } finally {
        note(route, performance.now() - started, status);
      }
    };

    // The sockets, each on one seeded asset, open before the clients start.
    const listeners: Listener[] = [];
    const sockets: WebSocket[] = [];
    let stopping = false;
    const listen = (assetId: string): Promise<void> => {
      const listener: Listener = {
        assetId,
        openedAt: Infinity,
        closedAt: undefined,
        reconnects: 0,
        received: new Map(),
        updates: 0,
      };
      listeners.push(listener);
      return new Promise<void>((resolve) => {
        const connect = async () => {
          let ws: WebSocket;
          try {
            ws = await openBus(admin, assetId);
          } catch {
            setTimeout(() => void connect(), 1000);
            return;
          }
          sockets.push(ws);
          ws.onmessage = (msg) => {
            const event = JSON.parse(String(msg.data)) as LiveEvent | { type: 'hello' };
            if (event.type === 'hello') {
              if (listener.openedAt === Infinity) listener.openedAt = Date.now();
              resolve();
              return;
            }
            if (event.type === 'asset.updated') listener.updates++;
            listener.received.set(event.id, Date.now());
          };
          ws.onclose = () => {
            if (stopping) return;
            // A dropped socket may miss events: from here on it is not counted.
            listener.closedAt ??= Date.now();
            listener.reconnects++;
            setTimeout(() => void connect(), 1000);
          };
        };
        void connect();
      });
    };
    await Promise.all(
      Array.from({ length: Math.max(1, Math.ceil(clients / CLIENTS_PER_SOCKET)) }, (_, i) =>
        listen(seeded[i % seeded.length] ?? ''),
      ),
    );

    const load = [loadavg()[0] ?? 0];
    // Where the machine's CPU goes during the run: each service (the worker with its ffmpeg), and this process.
    const services = [...cluster.adapters, ...cluster.others, ...(cluster.gateway ? [cluster.gateway] : [])];
    const cpuOf = async () =>
      new Map<string, number>([
        ...(await Promise.all(
          services.map(async (s): Promise<[string, number]> => [
            s.name,
            await cpuSeconds(s.process.pid ?? 0),
          ]),
        )),
        ['benchmark clients', process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6],
      ]);
    const cpuBefore = await cpuOf();
    const started = Date.now();
    runStarted = performance.now();
    const end = started + seconds * 1000;
    // The ingests: generated clips uploaded as the run begins, ingesting while it lasts.
    const uploads = ingestClips.map(async (path, i) => {
      const form = new FormData();
      form.set('title', `Load ingest ${i}`);
      form.set('file', await openAsBlob(path), `ingest-${i}.mp4`);
      const asset = (await call('upload', `${base}/api/assets`, {
        method: 'POST',
        body: form,
      })) as { id: string } | undefined;
      return asset?.id;
    });
    const total = MIX.reduce((s, [, w]) => s + w, 0);
    const pick = (): Route => {
      let n = Math.random() * total;
      for (const [route, weight] of MIX) if ((n -= weight) < 0) return route;
      return 'asset';
    };
    const client = async (c: number) => {
      const mine: { assetId: string; markerId: string }[] = [];
      let n = 0;
      // People do not all click in the same millisecond: with think time, each client's first
      // request waits a pause too. (Without it, every client asked at once when the run began,
      // and that one burst held most of the reads over the target.)
      await think();
      while (Date.now() < end) {
        const assetId = seeded[(c + n) % seeded.length] ?? '';
        n++;
        const route = pick();
        const sentAt = Date.now();
        switch (route) {
          case 'asset list':
            await call(route, `${base}/api/assets?limit=50`);
            break;
          case 'asset':
            await call(route, `${base}/api/assets/${assetId}`);
            break;
          case 'markers by range': {
            const from = Math.floor(Math.random() * 80);
            await call(route, `${base}/api/assets/${assetId}/markers?from=${from}&to=${from + 20}`);
            break;
          }
          case 'search':
            await call(route, `${base}/api/assets?q=reel&limit=20`);
            break;
          case 'waveform window':
            await call(route, waveformUrl(base, assetId, Math.random() * 2));
            break;
          case 'create marker': {
            const marker = (await call(route, `${base}/api/assets/${assetId}/markers`, {
              method: 'POST',
              body: JSON.stringify({
                start: { frame: Math.floor(Math.random() * 100) },
                title: `load ${c}-${n}`,
              }),
            })) as { id: string } | undefined;
            if (marker) {
              acks.push({ kind: 'marker', assetId, id: marker.id, sentAt, ackedAt: Date.now() });
              mine.push({ assetId, markerId: marker.id });
            }
            break;
          }
          case 'comment': {
            const on = mine[Math.floor(Math.random() * mine.length)] ?? {
              assetId,
              markerId: seedMarker.get(assetId) ?? '',
            };
            const comment = (await call(
              route,
              `${base}/api/assets/${on.assetId}/markers/${on.markerId}/comments`,
              {
                method: 'POST',
                body: JSON.stringify({ body: `comment ${c}-${n}` }),
              },
            )) as { id: string } | undefined;
            if (comment)
              acks.push({
                kind: 'comment',
                assetId: on.assetId,
                id: comment.id,
                sentAt,
                ackedAt: Date.now(),
              });
            break;
          }
          case 'qc decision': {
            const reason = `load ${c}-${n}`;
            const status = (['in_review', 'approved', 'rejected'] as const)[n % 3];
            const asset = await call(route, `${base}/api/assets/${assetId}/qc`, {
              method: 'POST',
              body: JSON.stringify({ status, reason }),
            });
            if (asset) acks.push({ kind: 'qc', assetId, id: assetId, sentAt, ackedAt: Date.now(), reason });
            break;
          }
          default:
            break;
        }
        await think();
      }
    };
    const sampler = setInterval(() => load.push(loadavg()[0] ?? 0), 5000);
    await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
    const elapsed = (Date.now() - started) / 1000;
    clearInterval(sampler);
    const cpuAfter = await cpuOf();
    const coresUsed = Object.fromEntries(
      [...cpuAfter].map(([name, seconds]) => [
        name,
        Math.round(((seconds - (cpuBefore.get(name) ?? 0)) / elapsed) * 100) / 100,
      ]),
    );
    const ingestIds = (await Promise.all(uploads)).filter((id): id is string => Boolean(id));
    // Events still on their way.
    await sleep(3000);
    stopping = true;
    for (const ws of sockets) ws.close();

    // Lost writes: every acknowledged marker and comment must be a row; each asset's QC decision
    // must be one that was acknowledged, and no decision sent after it was acknowledged may be missing.
    const ids = (kind: Ack['kind']) => acks.filter((a) => a.kind === kind).map((a) => `'${a.id}'`);
    // In batches: one psql argument holds at most 128 KiB, about 3000 quoted ids.
    const present = async (table: string, list: string[]) => {
      const found = new Set<string>();
      for (let i = 0; i < list.length; i += 1000) {
        const batch = list.slice(i, i + 1000).join(',');
        for (const [id] of await psql(cluster.databaseUrl, `SELECT id FROM ${table} WHERE id IN (${batch})`))
          if (id) found.add(id);
      }
      return found;
    };
    const markerRows = await present('markers', ids('marker'));
    const commentRows = await present('comments', ids('comment'));
    const qcRows = new Map(
      (
        await psql(
          cluster.databaseUrl,
          `SELECT id, qc_reason FROM assets WHERE id IN (${seeded.map((s) => `'${s}'`).join(',')})`,
        )
      ).map((r) => [r[0] ?? '', r[1] ?? '']),
    );
    let lostQc = 0;
    for (const assetId of seeded) {
      const decisions = acks.filter((a) => a.kind === 'qc' && a.assetId === assetId);
      if (decisions.length === 0) continue;
      const stored = decisions.find((d) => d.reason === qcRows.get(assetId));
      if (!stored) lostQc += decisions.length;
      else lostQc += decisions.filter((d) => d.sentAt > stored.ackedAt).length;
    }
    const lost = {
      markers: acks.filter((a) => a.kind === 'marker' && !markerRows.has(a.id)).length,
      comments: acks.filter((a) => a.kind === 'comment' && !commentRows.has(a.id)).length,
      qcDecisions: lostQc,
    };

    // Lost events: each socket should have had every marker and comment acknowledged on its asset
    // while it was subscribed, and an asset.updated for each QC decision.
    let expected = 0;
    let lostEvents = 0;
    const delays: number[] = [];
    for (const l of listeners) {
      const during = acks.filter(
        (a) => a.assetId === l.assetId && a.sentAt >= l.openedAt && a.ackedAt <= (l.closedAt ?? Infinity),
      );
      for (const a of during.filter((d) => d.kind !== 'qc')) {
        expected++;
        const at = l.received.get(a.id);
        if (at === undefined) lostEvents++;
        else delays.push(Math.max(0, at - a.ackedAt));
      }
      const qc = during.filter((d) => d.kind === 'qc').length;
      expected += qc;
      lostEvents += Math.max(0, qc - l.updates);
    }

    const ingests = await Promise.all(ingestIds.map((id) => admin.getAsset(id)));
    const routes = Object.fromEntries(
      [...READS, ...WRITES, 'upload' as const].map((route) => [
        route,
        { ...summary(latencies.get(route) ?? []), statuses: Object.fromEntries(statuses.get(route) ?? []) },
      ]),
    );
    const errorsByStatus: Record<string, number> = {};
    for (const byStatus of statuses.values())
      for (const [status, count] of byStatus)
        if (!status.startsWith('2')) errorsByStatus[status] = (errorsByStatus[status] ?? 0) + count;
    const requests = [...latencies.values()].reduce((s, l) => s + l.length, 0);
    const reads = READS.flatMap((r) => latencies.get(r) ?? []);
    const readP99 = summary(reads).p99;
    const fiveXx = Object.entries(errorsByStatus)
      .filter(([s]) => s.startsWith('5') || s === 'network error')
      .reduce((s, [, n]) => s + n, 0);
    const lostWrites = lost.markers + lost.comments + lost.qcDecisions;
    return {
      clients,
      thinkMs,
      durationSeconds: Math.round(elapsed * 10) / 10,
      adapters: cluster.adapters.length,
      sockets: listeners.length,
      seededAssets: SEEDED,
      ingests: { uploaded: ingestIds.length, statusAtEnd: ingests.map((a) => a.status) },
      requests,
      throughput: Math.round(requests / elapsed),
      routes,
      reads: summary(reads),
      errorsByStatus,
      slowReads: bursts(slowReads),
      writes: { acknowledged: acks.length, lost },
      events: {
        expected,
        lost: lostEvents,
        reconnects: listeners.reduce((s, l) => s + l.reconnects, 0),
        delayMs: summary(delays),
      },
      loadAverage: { start: load[0], max: Math.max(...load), end: loadavg()[0] },
      coresUsed,
      targets: {
        'no 5xx or network errors': fiveXx === 0,
        'no lost writes': lostWrites === 0,
        'no lost events': lostEvents === 0,
        'read p99 < 500 ms': readP99 < READ_P99_TARGET_MS,
      },
    };
  } finally {
    await cluster.close();
  }
}

/** A 1 s window of track 1's waveform at 100 pixels per second, as the asset page asks. */
function waveformUrl(base: string, assetId: string, start: number): string {
  const s = Math.round(start * 100) / 100;
  return `${base}/api/analyze/assets/${assetId}/audio/1/waveform?pixelsPerSecond=100&start=${s}&end=${s + 1}&format=json`;
}
