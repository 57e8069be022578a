/**
 * The targets of one service behind the gateway, as an ALB's target group: requests go round
 * robin over the healthy ones. A target is taken out when it refuses a connection (passive) or
 * its health check fails (active: anything but 2xx, a draining adapter's 503 included), and
 * put back when its health check passes again; without a health path, it is tried again after
 * one interval. With no healthy target left, all are tried, as an ALB fails open.
 */
export class Pool {
  readonly targets: readonly string[];
  private readonly down = new Map<string, number>();
  private turn = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private checking = false;

  constructor(
    targets: readonly string[],
    private readonly options: { healthPath?: string; intervalMs?: number } = {},
  ) {
    if (targets.length === 0) throw new Error('a pool needs at least one target');
    this.targets = targets.map((t) => new URL(t).origin);
  }

  private get intervalMs(): number {
    return this.options.intervalMs ?? 1000;
  }

  healthy(target: string): boolean {
    const since = this.down.get(target);
    if (since === undefined) return true;
    if (!this.options.healthPath && Date.now() - since >= this.intervalMs) {
      this.down.delete(target);
      return true;
    }
    return false;
  }

  /** The next target round robin, skipping those in `tried`; healthy ones first. */
  pick(tried: ReadonlySet<string> = new Set()): string | undefined {
    const untried = this.targets.filter((t) => !tried.has(t));
    const healthy = untried.filter((t) => this.healthy(t));
    const from = healthy.length > 0 ? healthy : untried;
    if (from.length === 0) return undefined;
    this.turn = (this.turn + 1) % Number.MAX_SAFE_INTEGER;
    return from[this.turn % from.length];
  }

  /** A target refused a connection: out until its health check passes. */
  refused(target: string): void {
    if (!this.down.has(target)) this.down.set(target, Date.now());
  }

  /** Health checks every interval, if the pool has a health path; `stop()` ends them. */
  start(): void {
    const path = this.options.healthPath;
    if (!path || this.timer) return;
    this.timer = setInterval(() => {
      // A slow check (a busy machine) is not run over by the next one.
      if (this.checking) return;
      this.checking = true;
      void this.check(path).finally(() => (this.checking = false));
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async check(path = this.options.healthPath ?? '/'): Promise<void> {
    await Promise.all(
      this.targets.map(async (target) => {
        let ok = false;
        try {
          // The ALB's health check timeout (5 s): a busy target is slow, not gone.
          const res = await fetch(new URL(path, target), {
            signal: AbortSignal.timeout(Math.max(5000, this.intervalMs * 2)),
          });
          await res.arrayBuffer();
          ok = res.ok;
        } catch {
          // refused, reset or too slow: unhealthy
        }
        if (ok) this.down.delete(target);
        else this.refused(target);
      }),
    );
  }
}

/** Errors that say the request never reached the target: safe to send elsewhere. */
export function neverArrived(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN';
}
