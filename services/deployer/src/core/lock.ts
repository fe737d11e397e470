/**
 * The deployment lock around an operation: acquire (or take over with a recorded force-unlock), renew
 * the lease on a heartbeat while the operation runs, release in `finally` — on success, failure and
 * abort alike. If a renewal finds the lock is no longer ours, the operation's signal is aborted with a
 * `LockLostError`: the operation must stop acting on ECS/ELB at once — NOT roll back (it would write on a
 * stale plan over whatever the new holder does); the new holder owns recovery. `fn` also gets a `fence`
 * to call right before each write: one cheap `getLock` read that throws `LockLostError` when the lock is
 * no longer ours (another run force-unlocked it between two heartbeats).
 */
import type { AcquireResult, Clock, EventSink, LockInfo, LockOwner, ReleaseKey, StorePort } from '../ports';
import { isLockFenceError, PortError } from '../ports';
import { Emitter } from './events';
import { withRetry } from './retry';

export interface LockOptions {
  /** Lease length; a crashed holder's lock can be taken over after this. @default 120_000 */
  readonly leaseMs?: number;
  /** Renewal period. @default leaseMs / 4 */
  readonly heartbeatMs?: number;
  /** Remove whatever lock exists first, recording who and why (`--force-unlock --reason`). */
  readonly forceUnlock?: { readonly reason: string };
  /**
   * Take over the lock a held deploy left behind (`switchyard continue` / `abort`): `handOverLock` with
   * this token instead of `acquireLock`. When the lock no longer carries it (forced, taken over after its
   * lease ran out, released), `fn` does not run: `{ status: 'not-handed-over', current }`.
   */
  readonly handOver?: { readonly token: string };
}

/**
 * Passed to `fn`: leave the lock held when `fn` returns, its lease renewed to end at `untilMs` (a deploy
 * held for approval; `switchyard continue` takes it over with `handOverLock`). Stops the heartbeat.
 * Throws `LockFenceError` when the lock is no longer ours.
 */
export type KeepLock = (untilMs: number) => Promise<LockInfo>;

export interface LockDeps {
  readonly store: StorePort;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly signal?: AbortSignal;
}

export type LockResult<T> =
  | {
      readonly status: 'acquired';
      readonly value: T;
      readonly lock: LockInfo;
      readonly tookOver?: LockInfo;
      /** `fn` kept the lock (KeepLock): it was not released. */
      readonly kept?: boolean;
    }
  | { readonly status: 'held'; readonly heldBy: LockInfo }
  | { readonly status: 'not-handed-over'; readonly current?: LockInfo };

export const DEFAULT_LEASE_MS = 120_000;

/** This run no longer holds the deployment lock: stop writing; the new holder owns recovery. */
export class LockLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockLostError';
  }
}

/**
 * A release write refused by its store fence (`LockFenceError`: the lock no longer carries this run's
 * token) is this run's lost lock: returns the `LockLostError` to throw instead; any other error as is.
 */
export function asLockLost(e: unknown): unknown {
  return isLockFenceError(e) ? new LockLostError(`the store refused a release write (${e.message})`) : e;
}

/** Throws `LockLostError` when this run no longer holds the lock; call right before a write. */
export type LockFence = () => Promise<void>;

/** A store read/renewal that fails (not a conflict) is tolerated while the lease has more than this left. */
export const LEASE_SAFETY_MARGIN_MS = 15_000;

/**
 * A fence for the lock `mine()` returns (the latest renewal): one `getLock` read comparing the token (and
 * the lease). A store that cannot be read (after retries) is tolerated only while this run's own lease
 * has more than LEASE_SAFETY_MARGIN_MS left — nobody can take the lock through the store before it
 * expires without a force-unlock, which also needs the store — otherwise it counts as lost.
 */
export function lockFence(deps: Pick<LockDeps, 'store' | 'clock'>, mine: () => LockInfo): LockFence {
  return async () => {
    const lock = mine();
    let current: LockInfo | undefined;
    try {
      current = await withRetry(deps.clock, 'store.getLock', () => deps.store.getLock(lock.key));
    } catch (e) {
      if (lock.expiresAt - deps.clock.now() > LEASE_SAFETY_MARGIN_MS) return;
      throw new LockLostError(`cannot confirm this run still holds the lock: ${(e as Error).message}`);
    }
    if (!current || current.token !== lock.token) {
      const who = current ? `now held by ${describeHolder(current, deps.clock.now())}` : 'no lock is held';
      throw new LockLostError(`the deployment lock is no longer ours (${who})`);
    }
    if (current.expiresAt <= deps.clock.now())
      throw new LockLostError('the deployment lock lease expired (heartbeat did not renew it)');
  };
}

/** Human description of a lock holder, for refusal messages. */
export function describeHolder(l: LockInfo, now: number): string {
  const o = l.owner;
  const who = `${o.actor}@${o.host}${o.runUrl ? ` (${o.runUrl})` : o.runId ? ` (run ${o.runId})` : ''}`;
  const age = Math.round((now - l.acquiredAt) / 1000);
  const left = Math.round((l.expiresAt - now) / 1000);
  const lease = l.expiresAt > now ? `lease expires in ${left}s` : `lease expired ${-left}s ago`;
  return `${o.operation} by ${who}, started ${age}s ago, ${lease}`;
}

/**
 * Runs `fn` holding the lock for `key`. `fn` receives the lock and a signal that aborts when the
 * caller's signal aborts or the lock is lost. Returns `{ status: 'held' }` without running `fn` when
 * someone else holds an unexpired lock.
 */
export async function withLock<T>(
  deps: LockDeps,
  key: ReleaseKey,
  owner: LockOwner,
  fn: (lock: LockInfo, signal: AbortSignal, fence: LockFence, keep: KeepLock) => Promise<T>,
  opts?: Omit<LockOptions, 'handOver'> & { readonly handOver?: undefined },
): Promise<Exclude<LockResult<T>, { status: 'not-handed-over' }>>;
export async function withLock<T>(
  deps: LockDeps,
  key: ReleaseKey,
  owner: LockOwner,
  fn: (lock: LockInfo, signal: AbortSignal, fence: LockFence, keep: KeepLock) => Promise<T>,
  opts: LockOptions,
): Promise<LockResult<T>>;
export async function withLock<T>(
  deps: LockDeps,
  key: ReleaseKey,
  owner: LockOwner,
  fn: (lock: LockInfo, signal: AbortSignal, fence: LockFence, keep: KeepLock) => Promise<T>,
  opts: LockOptions = {},
): Promise<LockResult<T>> {
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const heartbeatMs = opts.heartbeatMs ?? Math.floor(leaseMs / 4);
  const emitter = new Emitter(deps.events, deps.clock);

  if (opts.forceUnlock) {
    const reason = opts.forceUnlock.reason.trim();
    if (!reason)
      throw new PortError('invalid', '--force-unlock needs a --reason saying why the lock is taken over');
    const removed = await withRetry(deps.clock, 'store.forceUnlock', () =>
      deps.store.forceUnlock(key, owner.actor, reason),
    );
    emitter.warn(
      'lock.forced',
      removed
        ? `force-unlocked ${key.environment}/${key.service}: removed lock held by ${describeHolder(removed, deps.clock.now())}; reason: ${reason}`
        : `force-unlock requested for ${key.environment}/${key.service} but no lock was held; reason: ${reason}`,
      { removed, reason },
    );
  }

  let acquired: AcquireResult;
  if (opts.handOver) {
    const token = opts.handOver.token;
    try {
      const lock = await withRetry(deps.clock, 'store.handOverLock', () =>
        deps.store.handOverLock(key, token, owner, leaseMs),
      );
      acquired = { acquired: true, lock };
      emitter.info('lock.handed-over', `took over the held lock of ${key.environment}/${key.service}`, {});
    } catch (e) {
      if (!isLockFenceError(e)) throw e;
      const current = await withRetry(deps.clock, 'store.getLock', () => deps.store.getLock(key));
      return current ? { status: 'not-handed-over', current } : { status: 'not-handed-over' };
    }
  } else {
    acquired = await withRetry(deps.clock, 'store.acquireLock', () =>
      deps.store.acquireLock(key, owner, leaseMs),
    );
  }
  if (!acquired.acquired) {
    emitter.error(
      'lock.held',
      `lock for ${key.environment}/${key.service} is held: ${describeHolder(acquired.heldBy, deps.clock.now())}`,
      {
        heldBy: acquired.heldBy,
      },
    );
    return { status: 'held', heldBy: acquired.heldBy };
  }
  let lock = acquired.lock;
  if (acquired.tookOverExpired) {
    emitter.warn(
      'lock.took-over',
      `took over an expired lock (${describeHolder(acquired.tookOverExpired, deps.clock.now())})`,
      {
        previous: acquired.tookOverExpired,
      },
    );
  }
  emitter.info('lock.acquired', `lock acquired for ${key.environment}/${key.service}`, {
    expiresAt: lock.expiresAt,
  });

  const inner = new AbortController();
  const onOuterAbort = () => inner.abort(deps.signal?.reason ?? new Error('aborted'));
  if (deps.signal?.aborted) onOuterAbort();
  else deps.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const stopHeartbeat = new AbortController();
  const heartbeat = (async () => {
    while (!stopHeartbeat.signal.aborted) {
      await deps.clock.sleep(heartbeatMs, stopHeartbeat.signal);
      if (stopHeartbeat.signal.aborted) return;
      try {
        lock = await withRetry(deps.clock, 'store.renewLock', () => deps.store.renewLock(lock, leaseMs));
      } catch (e) {
        if (stopHeartbeat.signal.aborted) return;
        // Lost only when the store says the token condition failed (LockFenceError). Anything else — a
        // throttle, an unreachable store, DynamoDB's TransactionConflictException when this renewal met
        // this run's own fenced TransactWriteItems on the lock item — leaves the lease running.
        const notOurs = isLockFenceError(e);
        const left = lock.expiresAt - deps.clock.now();
        if (!notOurs && left > heartbeatMs + LEASE_SAFETY_MARGIN_MS) {
          // the store is unreachable, not taken over: the lease still runs; try again next heartbeat
          emitter.warn(
            'lock.renew-failed',
            `could not renew the deployment lock (${(e as Error).message}); the lease still runs ${Math.round(left / 1000)}s, retrying`,
            {},
          );
          continue;
        }
        emitter.error(
          'lock.lost',
          `lost the deployment lock: ${(e as Error).message}; stopping without further writes (the new holder owns recovery)`,
          {},
        );
        inner.abort(new LockLostError(`lock lost: ${(e as Error).message}`));
        return;
      }
    }
  })();

  let kept = false;
  const keep: KeepLock = async (untilMs) => {
    stopHeartbeat.abort();
    await heartbeat;
    lock = await withRetry(deps.clock, 'store.renewLock', () =>
      deps.store.renewLock(lock, Math.max(1, untilMs - deps.clock.now())),
    );
    kept = true;
    emitter.info(
      'lock.kept',
      `lock of ${key.environment}/${key.service} kept until ${new Date(lock.expiresAt).toISOString()}`,
      { expiresAt: lock.expiresAt },
    );
    return lock;
  };
  try {
    const value = await fn(
      lock,
      inner.signal,
      lockFence(deps, () => lock),
      keep,
    );
    return {
      status: 'acquired',
      value,
      lock,
      ...(acquired.tookOverExpired ? { tookOver: acquired.tookOverExpired } : {}),
      ...(kept ? { kept } : {}),
    };
  } finally {
    stopHeartbeat.abort();
    deps.signal?.removeEventListener('abort', onOuterAbort);
    await heartbeat;
    if (!kept) {
      try {
        await withRetry(deps.clock, 'store.releaseLock', () => deps.store.releaseLock(lock));
        emitter.info('lock.released', `lock released for ${key.environment}/${key.service}`);
      } catch (e) {
        emitter.warn(
          'lock.release-failed',
          `could not release the lock (it expires by itself): ${(e as Error).message}`,
        );
      }
    }
  }
}
