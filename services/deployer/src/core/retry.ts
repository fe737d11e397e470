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
/** For the write that restores traffic: more attempts, short waits (it must land within one poll interval). */
export const RESTORE_RETRY: RetryPolicy = { attempts: 12, baseMs: 50, maxMs: 1_000 };
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
