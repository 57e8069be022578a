import type { FailureCount, LoginFailuresRepository } from '../repositories/login-failures.js';

/**
 * Slows password guessing: after a few failures for the same account, or from the same client
 * address, each further try must wait, twice as long each time (up to 15 minutes). Counted in
 * the database, so every adapter instance behind the load balancer shares the counts (two
 * instances do not give twice the tries): a failed try costs one upsert, any try one read. A
 * success clears the account's count; a count quiet for four times the longest wait is forgotten.
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

const accountKey = (username: string) => `account:${username.toLowerCase()}`;
const addressKey = (address: string) => `address:${address}`;

export class LoginThrottle {
  constructor(
    private readonly failures: LoginFailuresRepository,
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait before the next try may be checked, or 0. */
  async waitSeconds(username: string, address: string): Promise<number> {
    const [account, from] = [accountKey(username), addressKey(address)];
    const counts = await this.failures.get([account, from]);
    const now = this.now();
    return Math.max(
      this.wait(counts.get(account), this.policy.freeAccountFailures, now),
      this.wait(counts.get(from), this.policy.freeAddressFailures, now),
    );
  }

  failed(username: string, address: string): Promise<void> {
    const now = this.now();
    return this.failures.add([accountKey(username), addressKey(address)], now, now - this.quietMs);
  }

  succeeded(username: string): Promise<void> {
    return this.failures.clear(accountKey(username));
  }

  /** Forgets counts that have been quiet long enough; returns how many. */
  purge(): Promise<number> {
    return this.failures.purge(this.now() - this.quietMs);
  }

  private get quietMs() {
    return this.policy.maxWaitSeconds * 4000;
  }

  private wait(count: FailureCount | undefined, free: number, now: number): number {
    if (!count || count.failures < free || now - count.lastMs > this.quietMs) return 0;
    const seconds = Math.min(2 ** Math.min(count.failures - free, 30), this.policy.maxWaitSeconds);
    return Math.max(0, Math.ceil((count.lastMs + seconds * 1000 - now) / 1000));
  }
}
