/**
 * In-memory StorePort with the same semantics as the DynamoDB store (conditional lock with lease,
 * token-checked renew/release, release writes optionally fenced by the lock token, history newest
 * first). Used by the simulation, tests and benchmarks.
 */
import { randomUUID } from 'node:crypto';
import {
  type AcquireResult,
  type Clock,
  type LockInfo,
  LockFenceError,
  type LockOwner,
  PortError,
  type ReleaseKey,
  type ReleaseRecord,
  type StoreFence,
  type StorePort,
} from '../ports';

const keyOf = (k: ReleaseKey) => `${k.environment}#${k.service}`;

export interface ForcedUnlock {
  readonly key: ReleaseKey;
  readonly by: string;
  readonly reason: string;
  readonly at: number;
  readonly removed?: LockInfo;
}

export class MemoryStore implements StorePort {
  private readonly locks = new Map<string, LockInfo>();
  private readonly releases = new Map<string, ReleaseRecord[]>();
  readonly forcedUnlocks: ForcedUnlock[] = [];
  /** Count of calls that write (for "no writes on bad input" assertions). */
  writes = 0;

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  async acquireLock(key: ReleaseKey, owner: LockOwner, leaseMs: number): Promise<AcquireResult> {
    const now = this.clock.now();
    const existing = this.locks.get(keyOf(key));
    if (existing && existing.expiresAt > now) return { acquired: false, heldBy: existing };
    this.writes++;
    const lock: LockInfo = { key, owner, token: randomUUID(), acquiredAt: now, expiresAt: now + leaseMs };
    this.locks.set(keyOf(key), lock);
    return existing ? { acquired: true, lock, tookOverExpired: existing } : { acquired: true, lock };
  }

  async renewLock(lock: LockInfo, leaseMs: number): Promise<LockInfo> {
    const current = this.locks.get(keyOf(lock.key));
    if (!current || current.token !== lock.token) {
      // the token condition failed: the only renewal failure that means the lock is lost (core/lock.ts)
      throw new LockFenceError(`lock for ${keyOf(lock.key)} is no longer held by this deployer`);
    }
    this.writes++;
    const renewed = { ...current, expiresAt: this.clock.now() + leaseMs };
    this.locks.set(keyOf(lock.key), renewed);
    return renewed;
  }

  async handOverLock(key: ReleaseKey, token: string, owner: LockOwner, leaseMs: number): Promise<LockInfo> {
    const current = this.locks.get(keyOf(key));
    if (!current || current.token !== token) {
      throw new LockFenceError(
        `lock hand-over refused — the lock for ${keyOf(key)} ${current ? 'carries another token (taken over or forced)' : 'is no longer held'}`,
      );
    }
    this.writes++;
    const now = this.clock.now();
    const lock: LockInfo = { key, owner, token: randomUUID(), acquiredAt: now, expiresAt: now + leaseMs };
    this.locks.set(keyOf(key), lock);
    return lock;
  }

  async releaseLock(lock: LockInfo): Promise<void> {
    const current = this.locks.get(keyOf(lock.key));
    if (current && current.token === lock.token) {
      this.writes++;
      this.locks.delete(keyOf(lock.key));
    }
  }

  async forceUnlock(key: ReleaseKey, by: string, reason: string): Promise<LockInfo | undefined> {
    const removed = this.locks.get(keyOf(key));
    this.writes++;
    this.locks.delete(keyOf(key));
    this.forcedUnlocks.push({ key, by, reason, at: this.clock.now(), removed });
    return removed;
  }

  /**
   * Puts a lock back exactly as it was saved (token, acquiredAt, expiresAt — also an expired one): how
   * the simulation resumes a world. Not a StorePort operation; not counted as a write.
   */
  restoreLock(lock: LockInfo): void {
    this.locks.set(keyOf(lock.key), lock);
  }

  async getLock(key: ReleaseKey): Promise<LockInfo | undefined> {
    return this.locks.get(keyOf(key));
  }

  /** The fence check of a release write (see StoreFence): token match only, the lease is not checked. */
  private checkFence(key: ReleaseKey, fence: StoreFence | undefined, what: string): void {
    if (!fence) return;
    const current = this.locks.get(keyOf(key));
    if (current?.token === fence.token) return;
    throw new LockFenceError(
      `lock lost: ${what} refused — the lock for ${key.environment}/${key.service} ${current ? `is now held by another run (${current.owner.operation} by ${current.owner.actor})` : 'is no longer held'}`,
    );
  }

  async putRelease(record: ReleaseRecord, fence?: StoreFence): Promise<void> {
    this.checkFence(record, fence, `writing release ${record.id}`);
    const list = this.releases.get(keyOf(record)) ?? [];
    if (list.some((r) => r.id === record.id)) throw new PortError('conflict', `release ${record.id} exists`);
    this.writes++;
    list.push({ ...record });
    this.releases.set(keyOf(record), list);
  }

  async updateRelease(
    key: ReleaseKey,
    id: string,
    patch: Partial<Omit<ReleaseRecord, 'id' | 'environment' | 'service'>>,
    fence?: StoreFence,
  ): Promise<ReleaseRecord> {
    const fields = Object.keys(patch).filter((f) => f !== 'id' && f !== 'environment' && f !== 'service');
    if (fields.length > 0) this.checkFence(key, fence, `updating release ${id}`);
    const list = this.releases.get(keyOf(key)) ?? [];
    const i = list.findIndex((r) => r.id === id);
    if (i < 0) throw new PortError('not-found', `release ${id} not found for ${keyOf(key)}`);
    if (fields.length === 0) return { ...list[i] };
    this.writes++;
    list[i] = { ...list[i], ...patch };
    return { ...list[i] };
  }

  async getRelease(key: ReleaseKey, id: string): Promise<ReleaseRecord | undefined> {
    const r = (this.releases.get(keyOf(key)) ?? []).find((x) => x.id === id);
    return r ? { ...r } : undefined;
  }

  async listReleases(key: ReleaseKey, limit: number): Promise<ReleaseRecord[]> {
    return [...(this.releases.get(keyOf(key)) ?? [])]
      .sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1))
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }
}
