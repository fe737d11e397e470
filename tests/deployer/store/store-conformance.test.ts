/**
 * The same behavioural cases against every StorePort: the in-memory store the simulation uses and the
 * DynamoDB store over a tiny fake DynamoDB (tests/deployer/store/fake-dynamodb.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RELEASE_ID_ATTRIBUTE, RELEASE_ID_INDEX } from '../../../modules/deployment-table/keys';
import type { LockOwner, ReleaseRecord, StorePort } from '../../../services/deployer/src/ports';
import { LockFenceError, PortError } from '../../../services/deployer/src/ports';
import { DynamoStore } from '../../../services/deployer/src/store/dynamodb-store';
import { MemoryStore } from '../../../services/deployer/src/store/memory-store';
import { FakeDynamoDb } from './fake-dynamodb';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const KEY = { environment: 'dev', service: 'api' };
const OTHER = { environment: 'dev', service: 'worker' };
const ALICE: LockOwner = {
  actor: 'alice',
  host: 'ci-runner-1',
  runId: '42',
  runUrl: 'https://ci/42',
  operation: 'deploy',
};
const BOB: LockOwner = { actor: 'bob', host: 'laptop', operation: 'rollback' };

function release(id: string, startedAt: number, extra: Partial<ReleaseRecord> = {}): ReleaseRecord {
  return {
    id,
    environment: 'dev',
    service: 'api',
    kind: 'deploy',
    imageTag: 'v1.2.3',
    imageDigest: 'sha256:aaaa',
    image: 'repo@sha256:aaaa',
    colour: 'green',
    previousColour: 'blue',
    strategy: 'canary',
    outcome: 'in-progress',
    step: 'started',
    actor: 'alice',
    startedAt,
    updatedAt: startedAt,
    ...extra,
  };
}

interface Subject {
  store: StorePort;
  clock: { t: number; now(): number };
  /** Lets the DynamoDB fake's GSI lag behind (no-op for the memory store). */
  lagIndex(on: boolean): void;
  /** A second store instance over the same data (another deployer process). */
  other(): StorePort;
}

const subjects: [string, () => Subject][] = [
  [
    'MemoryStore',
    () => {
      const clock = { t: T0, now: () => clock.t };
      const store = new MemoryStore(clock);
      return { store, clock, lagIndex: () => {}, other: () => store };
    },
  ],
  [
    'DynamoStore over a fake DynamoDB',
    () => {
      const clock = { t: T0, now: () => clock.t };
      const client = new DynamoDBClient({
        region: 'eu-west-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      const fake = new FakeDynamoDb(client, { gsis: { [RELEASE_ID_INDEX]: RELEASE_ID_ATTRIBUTE } });
      const make = () => new DynamoStore({ client, tableName: 'switchyard-dev-deployments', clock });
      return { store: make(), clock, lagIndex: (on) => (fake.gsiLagging = on), other: make };
    },
  ],
];

describe.each(subjects)('%s', (_name, make) => {
  let s: Subject;
  beforeEach(() => {
    s = make();
  });

  describe('lock', () => {
    it('is acquired when free, with owner, token and lease', async () => {
      const r = await s.store.acquireLock(KEY, ALICE, 60_000);
      expect(r.acquired).toBe(true);
      if (!r.acquired) return;
      expect(r.tookOverExpired).toBeUndefined();
      expect(r.lock).toMatchObject({ key: KEY, owner: ALICE, acquiredAt: T0, expiresAt: T0 + 60_000 });
      expect(await s.store.getLock(KEY)).toEqual(r.lock);
    });

    it('is refused while held, naming the holder', async () => {
      const first = await s.store.acquireLock(KEY, ALICE, 60_000);
      s.clock.t += 59_999;
      const second = await s.other().acquireLock(KEY, BOB, 60_000);
      expect(second.acquired).toBe(false);
      if (second.acquired || !first.acquired) throw new Error('unexpected');
      expect(second.heldBy).toEqual(first.lock);
    });

    it('is taken over once the lease expired, reporting the previous holder', async () => {
      const first = await s.store.acquireLock(KEY, ALICE, 60_000);
      s.clock.t += 60_001;
      const second = await s.other().acquireLock(KEY, BOB, 60_000);
      if (!second.acquired || !first.acquired) throw new Error('expected take-over');
      expect(second.tookOverExpired).toEqual(first.lock);
      expect(second.lock.owner).toEqual(BOB);
      expect(second.lock.token).not.toBe(first.lock.token);
    });

    it('locks of different services are independent', async () => {
      expect((await s.store.acquireLock(KEY, ALICE, 60_000)).acquired).toBe(true);
      expect((await s.store.acquireLock(OTHER, BOB, 60_000)).acquired).toBe(true);
    });

    it('heartbeat: renew extends the lease so nobody can take it over', async () => {
      const r = await s.store.acquireLock(KEY, ALICE, 60_000);
      if (!r.acquired) throw new Error('not acquired');
      let lock = r.lock;
      for (let i = 0; i < 5; i++) {
        s.clock.t += 30_000;
        lock = await s.store.renewLock(lock, 60_000);
        expect(lock.expiresAt).toBe(s.clock.t + 60_000);
        expect(lock.token).toBe(r.lock.token);
      }
      s.clock.t += 59_000;
      expect((await s.other().acquireLock(KEY, BOB, 60_000)).acquired).toBe(false);
    });

    it('renew fails with conflict once the lock was taken over', async () => {
      const r = await s.store.acquireLock(KEY, ALICE, 1_000);
      if (!r.acquired) throw new Error('not acquired');
      s.clock.t += 2_000;
      await s.other().acquireLock(KEY, BOB, 60_000);
      const err = await s.store.renewLock(r.lock, 60_000).catch((e) => e);
      expect(err).toBeInstanceOf(PortError);
      expect(err.kind).toBe('conflict');
    });

    it('release removes only our own lock and is idempotent', async () => {
      const r = await s.store.acquireLock(KEY, ALICE, 1_000);
      if (!r.acquired) throw new Error('not acquired');
      s.clock.t += 2_000;
      const bob = await s.other().acquireLock(KEY, BOB, 60_000);
      if (!bob.acquired) throw new Error('not taken over');
      await s.store.releaseLock(r.lock); // stale token: must not remove Bob's lock
      expect((await s.store.getLock(KEY))?.token).toBe(bob.lock.token);
      await s.other().releaseLock(bob.lock);
      expect(await s.store.getLock(KEY)).toBeUndefined();
      await expect(s.other().releaseLock(bob.lock)).resolves.toBeUndefined();
    });

    it('force-unlock removes a held lock and returns it; then the lock can be taken', async () => {
      const r = await s.store.acquireLock(KEY, ALICE, 600_000);
      if (!r.acquired) throw new Error('not acquired');
      const removed = await s.other().forceUnlock(KEY, 'bob', 'deployer of run 42 was killed');
      expect(removed).toEqual(r.lock);
      expect(await s.store.getLock(KEY)).toBeUndefined();
      expect((await s.other().acquireLock(KEY, BOB, 60_000)).acquired).toBe(true);
      await expect(s.store.renewLock(r.lock, 60_000)).rejects.toMatchObject({ kind: 'conflict' });
    });

    it('hand-over replaces the lock only while it carries the token (expired or not); one of two wins', async () => {
      const r = await s.store.acquireLock(KEY, ALICE, 1_000);
      if (!r.acquired) throw new Error('not acquired');
      s.clock.t += 5_000; // expired: a held deploy's lease may have run out, its token still names it
      const bob = await s.other().handOverLock(KEY, r.lock.token, BOB, 60_000);
      expect(bob).toMatchObject({ owner: BOB, acquiredAt: s.clock.t, expiresAt: s.clock.t + 60_000 });
      expect(bob.token).not.toBe(r.lock.token);
      expect((await s.store.getLock(KEY))?.token).toBe(bob.token);
      // a second hand-over of the same (old) token loses: the lock carries Bob's token now
      await expect(s.store.handOverLock(KEY, r.lock.token, ALICE, 60_000)).rejects.toMatchObject({
        kind: 'conflict',
      });
      await expect(s.store.renewLock(r.lock, 60_000)).rejects.toMatchObject({ kind: 'conflict' });
      await s.other().forceUnlock(KEY, 'carol', 'gone');
      await expect(s.other().handOverLock(KEY, bob.token, ALICE, 60_000)).rejects.toMatchObject({
        kind: 'conflict',
      });
      expect(await s.store.getLock(KEY)).toBeUndefined();
    });

    it('force-unlock of a free lock returns undefined', async () => {
      await expect(s.store.forceUnlock(KEY, 'bob', 'clean up')).resolves.toBeUndefined();
    });
  });

  describe('history', () => {
    it('round-trips a full record', async () => {
      const r = release('r1', T0, {
        taskDefinitionArn: 'arn:td:42',
        previousTaskDefinitionArn: 'arn:td:41',
        intendedWeights: { blue: 90, green: 10 },
        commitSha: 'abc123',
        runUrl: 'https://ci/42',
      });
      await s.store.putRelease(r);
      expect(await s.other().getRelease(KEY, 'r1')).toEqual(r);
    });

    it('round-trips the scaling floor and base revision fields (intendedCapacity per colour)', async () => {
      const r = release('r2', T0, { baseTaskDefinitionArn: 'arn:td:40' });
      await s.store.putRelease(r);
      const updated = await s.store.updateRelease(KEY, 'r2', {
        step: 'scaling-idle',
        intendedCapacity: { green: { min: 2, max: 6 } },
        updatedAt: T0 + 1,
      });
      expect(updated.intendedCapacity).toEqual({ green: { min: 2, max: 6 } });
      await s.store.updateRelease(KEY, 'r2', {
        outcome: 'deployed',
        step: 'draining-old',
        intendedCapacity: { green: { min: 2, max: 6 }, blue: { min: 0, max: 6 } },
        updatedAt: T0 + 2,
      });
      expect(await s.other().getRelease(KEY, 'r2')).toMatchObject({
        baseTaskDefinitionArn: 'arn:td:40',
        intendedCapacity: { green: { min: 2, max: 6 }, blue: { min: 0, max: 6 } },
      });
    });

    it('refuses a duplicate id', async () => {
      await s.store.putRelease(release('r1', T0));
      await expect(s.store.putRelease(release('r1', T0))).rejects.toMatchObject({ kind: 'conflict' });
    });

    it('updates a release and returns the merged record', async () => {
      await s.store.putRelease(release('r1', T0));
      const updated = await s.store.updateRelease(KEY, 'r1', {
        step: 'shifting',
        intendedWeights: { blue: 0, green: 100 },
        updatedAt: T0 + 5,
      });
      expect(updated).toEqual({
        ...release('r1', T0),
        step: 'shifting',
        intendedWeights: { blue: 0, green: 100 },
        updatedAt: T0 + 5,
      });
      expect(await s.store.getRelease(KEY, 'r1')).toEqual(updated);
    });

    it('updates a release written by another process even while the id index lags', async () => {
      await s.store.putRelease(release('r1', T0));
      s.lagIndex(true);
      const other = s.other();
      const updated = await other.updateRelease(KEY, 'r1', {
        outcome: 'rolled-back',
        reason: '5xx 4%',
        endedAt: T0 + 9,
      });
      expect(updated).toMatchObject({ outcome: 'rolled-back', reason: '5xx 4%', endedAt: T0 + 9 });
      expect(await other.getRelease(KEY, 'r1')).toEqual(updated);
    });

    it('update of an unknown release is not-found; get returns undefined', async () => {
      await expect(s.store.updateRelease(KEY, 'nope', { step: 'done' })).rejects.toMatchObject({
        kind: 'not-found',
      });
      expect(await s.store.getRelease(KEY, 'nope')).toBeUndefined();
    });

    it('lists newest first, limited, per service', async () => {
      await s.store.putRelease(release('b', T0 + 2000));
      await s.store.putRelease(release('a', T0));
      await s.store.putRelease(release('c', T0 + 5000));
      await s.store.putRelease(release('d', T0 + 2000)); // same start as b: id breaks the tie
      await s.store.putRelease({ ...release('w', T0 + 9000), service: 'worker' });
      const all = await s.other().listReleases(KEY, 10);
      expect(all.map((r) => r.id)).toEqual(['c', 'd', 'b', 'a']);
      expect((await s.other().listReleases(KEY, 2)).map((r) => r.id)).toEqual(['c', 'd']);
      expect((await s.other().listReleases(OTHER, 10)).map((r) => r.id)).toEqual(['w']);
      expect(await s.other().listReleases({ environment: 'prod', service: 'api' }, 10)).toEqual([]);
    });

    it('history is not confused by lock items', async () => {
      await s.store.acquireLock(KEY, ALICE, 60_000);
      await s.store.forceUnlock(KEY, 'bob', 'stuck');
      await s.store.putRelease(release('r1', T0));
      expect((await s.store.listReleases(KEY, 10)).map((r) => r.id)).toEqual(['r1']);
    });
  });

  describe('fenced release writes (lock token)', () => {
    it('succeed while the lock carries the token; the returned record is what a reader sees', async () => {
      const got = await s.store.acquireLock(KEY, ALICE, 60_000);
      if (!got.acquired) throw new Error('not acquired');
      await s.store.putRelease(release('r1', T0), got.lock);
      const updated = await s.store.updateRelease(
        KEY,
        'r1',
        { step: 'shifting', intendedWeights: { blue: 90, green: 10 }, updatedAt: T0 + 1 },
        got.lock,
      );
      const again = await s.store.updateRelease(
        KEY,
        'r1',
        { step: 'baking', intendedWeights: undefined, updatedAt: T0 + 2 },
        { token: got.lock.token },
      );
      expect(updated).toEqual({
        ...release('r1', T0),
        step: 'shifting',
        intendedWeights: { blue: 90, green: 10 },
        updatedAt: T0 + 1,
      });
      expect(again).toEqual({ ...release('r1', T0), step: 'baking', updatedAt: T0 + 2 });
      expect(await s.other().getRelease(KEY, 'r1')).toEqual(again);
    });

    it('with a stale token (force-unlocked and taken by another run): conflict "lock lost", record unchanged', async () => {
      const a = await s.store.acquireLock(KEY, ALICE, 60_000);
      if (!a.acquired) throw new Error('not acquired');
      await s.store.putRelease(release('r1', T0), a.lock);
      const other = s.other();
      await other.forceUnlock(KEY, 'bob', 'alice is stuck');
      const b = await other.acquireLock(KEY, BOB, 60_000);
      if (!b.acquired) throw new Error('not acquired');
      const bobs = await other.updateRelease(
        KEY,
        'r1',
        { outcome: 'failed', note: 'recovered by bob' },
        b.lock,
      );

      const upd = await s.store
        .updateRelease(KEY, 'r1', { step: 'shifting', note: 'alice was here', updatedAt: T0 + 3 }, a.lock)
        .catch((e: unknown) => e);
      expect(upd).toBeInstanceOf(LockFenceError);
      expect(upd).toBeInstanceOf(PortError);
      expect(upd).toMatchObject({ kind: 'conflict' });
      expect((upd as Error).message).toBe(
        'lock lost: updating release r1 refused — the lock for dev/api is now held by another run (rollback by bob)',
      );
      const put = await s.store.putRelease(release('r2', T0 + 10), a.lock).catch((e: unknown) => e);
      expect(put).toBeInstanceOf(LockFenceError);
      expect((put as Error).message).toMatch(/^lock lost: writing release r2 refused/);

      expect(await other.getRelease(KEY, 'r1')).toEqual(bobs); // bob's record intact
      expect(await other.getRelease(KEY, 'r2')).toBeUndefined(); // nothing created
      expect((await other.listReleases(KEY, 10)).map((r) => r.id)).toEqual(['r1']);
      expect(await other.getLock(KEY)).toMatchObject({ token: b.lock.token }); // lock untouched
    });

    it('with no lock held at all: refused, nothing written', async () => {
      await s.store.putRelease(release('r1', T0));
      const a = await s.store.acquireLock(KEY, ALICE, 60_000);
      if (!a.acquired) throw new Error('not acquired');
      await s.store.releaseLock(a.lock);
      await expect(s.store.updateRelease(KEY, 'r1', { step: 'done' }, a.lock)).rejects.toThrow(
        /^lock lost: updating release r1 refused — the lock for dev\/api is no longer held$/,
      );
      expect(await s.store.getRelease(KEY, 'r1')).toEqual(release('r1', T0));
    });

    it("another service's lock does not fence this service's releases", async () => {
      const w = await s.store.acquireLock(OTHER, ALICE, 60_000);
      if (!w.acquired) throw new Error('not acquired');
      await expect(s.store.putRelease(release('r1', T0), w.lock)).rejects.toBeInstanceOf(LockFenceError);
      expect(await s.store.getRelease(KEY, 'r1')).toBeUndefined();
    });

    it("token match is the fence: an expired lease nobody took over still carries it (the lease is the heartbeat's business)", async () => {
      const a = await s.store.acquireLock(KEY, ALICE, 10_000);
      if (!a.acquired) throw new Error('not acquired');
      await s.store.putRelease(release('r1', T0), a.lock);
      s.clock.t = T0 + 60_000;
      await expect(
        s.store.updateRelease(KEY, 'r1', { note: 'late but still ours' }, a.lock),
      ).resolves.toMatchObject({ note: 'late but still ours' });
      // once someone takes the expired lock over, the old token is refused
      const b = await s.other().acquireLock(KEY, BOB, 60_000);
      expect(b.acquired).toBe(true);
      await expect(s.store.updateRelease(KEY, 'r1', { note: 'too late' }, a.lock)).rejects.toBeInstanceOf(
        LockFenceError,
      );
      expect((await s.store.getRelease(KEY, 'r1'))?.note).toBe('late but still ours');
    });

    it('a missing release under a live fence is still not-found; a duplicate is still conflict (not lock lost)', async () => {
      const a = await s.store.acquireLock(KEY, ALICE, 60_000);
      if (!a.acquired) throw new Error('not acquired');
      const missing = await s.store
        .updateRelease(KEY, 'nope', { step: 'done' }, a.lock)
        .catch((e: unknown) => e);
      expect(missing).toMatchObject({ kind: 'not-found' });
      await s.store.putRelease(release('r1', T0), a.lock);
      const dup = await s.store.putRelease(release('r1', T0), a.lock).catch((e: unknown) => e);
      expect(dup).toMatchObject({ kind: 'conflict', message: 'release r1 exists' });
      expect(dup).not.toBeInstanceOf(LockFenceError);
    });
  });
});
