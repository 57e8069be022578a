/**
 * Slows password guessing: after a few failures for the same account, or from the same client
 * address, each further try must wait, twice as long each time (up to 15 minutes). Counted in
 * memory per adapter instance; a success clears the account's count.
 */
export interface ThrottlePolicy {
  /** Failures allowed before waits begin, per account and per client address. */
  freeAccountFailures: number;
  freeAddressFailures: number;
  maxWaitSeconds: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  freeAccountFailures: 5,
  freeAddressFailures: 20,
  maxWaitSeconds: 900,
};

interface Count {
  failures: number;
  last: number;
}

const MAX_KEYS = 100_000;

export class LoginThrottle {
  private readonly counts = new Map<string, Count>();

  constructor(private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE) {}

  /** Seconds to wait before the next try may be checked, or 0. */
  waitSeconds(username: string, address: string, now = Date.now()): number {
    return Math.max(
      this.wait(`account:${username.toLowerCase()}`, this.policy.freeAccountFailures, now),
      this.wait(`address:${address}`, this.policy.freeAddressFailures, now),
    );
  }

  failed(username: string, address: string, now = Date.now()): void {
    for (const key of [`account:${username.toLowerCase()}`, `address:${address}`]) {
      const count = this.counts.get(key) ?? { failures: 0, last: now };
      this.counts.delete(key); // re-insert: the map's order is the order of last use
      this.counts.set(key, { failures: count.failures + 1, last: now });
    }
    while (this.counts.size > MAX_KEYS) {
      const oldest = this.counts.keys().next().value;
      if (oldest === undefined) break;
      this.counts.delete(oldest);
    }
  }

  succeeded(username: string): void {
    this.counts.delete(`account:${username.toLowerCase()}`);
  }

  private wait(key: string, free: number, now: number): number {
    const count = this.counts.get(key);
    if (!count || count.failures < free) return 0;
    const seconds = Math.min(2 ** (count.failures - free), this.policy.maxWaitSeconds);
    const left = Math.ceil((count.last + seconds * 1000 - now) / 1000);
    if (left > 0) return left;
    if (now - count.last > this.policy.maxWaitSeconds * 4000) this.counts.delete(key); // long quiet: forget
    return 0;
  }
}
