/**
 * Bounded retry with exponential backoff for throttled / temporarily unavailable AWS calls. Anything
 * else (not-found, invalid, conflict, internal) is thrown at once.
 */
import { type Clock, PortError } from '../ports';
import type { Emitter } from './events';

export interface RetryPolicy {
  /** Total attempts including the first. @default 6 */
  readonly attempts: number;
  /** First backoff. @default 200 */
  readonly baseMs: number;
  /** Backoff cap. @default 5000 */
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 200, maxMs: 5_000 };
/** For writes that must land soon (e.g. recording `deployed`): more attempts, short waits. */
export const RESTORE_RETRY: RetryPolicy = { attempts: 12, baseMs: 50, maxMs: 1_000 };
/** A record written right before an urgent write (the rollback intent): a few quick tries, then act anyway. */
export const QUICK_RETRY: RetryPolicy = { attempts: 3, baseMs: 100, maxMs: 400 };
/** For the reads of a gate check during bakes: quick retries so a throttle does not delay a rollback. */
export const GATE_RETRY: RetryPolicy = { attempts: 8, baseMs: 50, maxMs: 400 };

export function isRetryable(e: unknown): boolean {
  return e instanceof PortError && (e.kind === 'throttled' || e.kind === 'unavailable');
}

export async function withRetry<T>(
  clock: Clock,
  label: string,
  fn: () => Promise<T>,
  opts: { policy?: RetryPolicy; emitter?: Emitter } = {},
): Promise<T> {
  const policy = opts.policy ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isRetryable(e) || attempt >= policy.attempts) throw e;
      const wait = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
      opts.emitter?.warn(
        'api.retry',
        `${label}: ${(e as Error).message}; retrying in ${wait} ms (attempt ${attempt + 1}/${policy.attempts})`,
        {
          api: label,
          attempt,
          waitMs: wait,
        },
      );
      await clock.sleep(wait);
    }
  }
}

/** Backoff of `retryUntil`: first wait and cap (the deadline decides when to stop). */
export interface DeadlineBackoff {
  /** @default 50 */
  readonly baseMs: number;
  /** @default 5000 */
  readonly maxMs: number;
}

export const RESTORE_BACKOFF: DeadlineBackoff = { baseMs: 50, maxMs: 5_000 };

/** A call retried until a deadline that still failed: how often and for how long it was tried. */
export class DeadlineExceededError extends Error {
  constructor(
    readonly label: string,
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly last: unknown,
  ) {
    super(
      `${label}: gave up after ${attempts} attempt(s) over ${Math.round(elapsedMs / 1000)}s: ${(last as Error)?.message ?? String(last)}`,
    );
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Retries `fn` on throttled / unavailable errors (network failures included: adapters class them
 * `unavailable`) with exponential backoff until the absolute time `deadline` (clock ms), emitting ONE
 * line per failed attempt (`type`, default `api.retry`) that says what failed, the next wait and the time
 * left. Any other error is thrown at once; past the deadline `DeadlineExceededError` (wrapping the last
 * error) is thrown. `beforeRetry` runs before every retry (not the first attempt) and may throw to stop
 * (e.g. the lock fence). The wait never overshoots the deadline: the last attempt is made at it.
 */
export async function retryUntil<T>(
  clock: Clock,
  label: string,
  fn: () => Promise<T>,
  opts: {
    deadline: number;
    backoff?: DeadlineBackoff;
    emitter?: Emitter;
    type?: string;
    beforeRetry?: () => Promise<void>;
  },
): Promise<T> {
  const { baseMs, maxMs } = opts.backoff ?? RESTORE_BACKOFF;
  const start = clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isRetryable(e)) throw e;
      const now = clock.now();
      const left = opts.deadline - now;
      if (left <= 0) throw new DeadlineExceededError(label, attempt, now - start, e);
      const wait = Math.min(maxMs, baseMs * 2 ** (attempt - 1), left);
      opts.emitter?.warn(
        opts.type ?? 'api.retry',
        `${label}: attempt ${attempt} failed (${(e as Error).message}); retrying in ${wait < 1000 ? `${wait} ms` : `${(wait / 1000).toFixed(1)} s`}${opts.beforeRetry ? ' and a lock check' : ''}, giving up in ${Math.ceil(left / 1000)} s`,
        { api: label, attempt, waitMs: wait, deadline: opts.deadline, leftMs: left },
      );
      await clock.sleep(wait);
      await opts.beforeRetry?.();
    }
  }
}
