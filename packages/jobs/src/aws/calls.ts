import { setTimeout as sleep } from 'node:timers/promises';

/** How long to wait between tries: `firstMs`, growing by `factor` up to `maxMs`. */
export interface Backoff {
  firstMs: number;
  maxMs: number;
  factor: number;
}

/** Following an AWS job: every 5 s at first, at most every 30 s. */
export const FOLLOW_BACKOFF: Backoff = { firstMs: 5000, maxMs: 30_000, factor: 1.5 };
/** A throttled or failed call: tried again from 1 s, 6 tries in all. */
export const CALL_BACKOFF: Backoff = { firstMs: 1000, maxMs: 20_000, factor: 2 };
const CALL_ATTEMPTS = 6;

export function* delays(backoff: Backoff): Generator<number, never> {
  for (let ms = backoff.firstMs; ; ms = Math.min(backoff.maxMs, ms * backoff.factor)) yield ms;
}

interface AwsErrorShape {
  name?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** Error names the services use for "too many requests" (or, Rekognition, too many jobs at once). */
const THROTTLES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
]);

/** Whether trying the same call again later can succeed: throttling, or a fault on AWS's side. */
export function isTransient(err: unknown): boolean {
  const e = (err ?? {}) as AwsErrorShape;
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    THROTTLES.has(e.name ?? '') ||
    e.$retryable?.throttling === true ||
    status === 429 ||
    e.$fault === 'server' ||
    status >= 500 ||
    ['InternalServerError', 'InternalServerErrorException', 'ServiceUnavailableException'].includes(
      e.name ?? '',
    )
  );
}

/** An AWS call that failed: `retryable` tells the runner whether the job may run again. */
export class AwsCallError extends Error {
  override readonly name = 'AwsCallError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Sends one AWS call, trying again with backoff while it is throttled or AWS faults; other
 * errors (bad request, access denied) end at once, as not retryable. `what` names the call in
 * the error.
 */
export async function call<T>(
  what: string,
  send: () => Promise<T>,
  signal: AbortSignal,
  backoff: Backoff = CALL_BACKOFF,
): Promise<T> {
  const waits = delays(backoff);
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    try {
      return await send();
    } catch (err) {
      const transient = isTransient(err);
      if (transient && attempt < CALL_ATTEMPTS) {
        await sleep(waits.next().value, undefined, { signal });
        continue;
      }
      const e = err as Error;
      throw new AwsCallError(
        `${what} failed${transient ? ` after ${attempt} tries` : ''}: ${e.name}: ${e.message}`,
        transient,
        { cause: err },
      );
    }
  }
}
