/**
 * The SRE review's blockers: the deploy never scales down a colour that carries traffic again (B1), a
 * run that lost its lock stops without writing (B2), and a deploy over a dead in-progress release is
 * refused until `switchyard rollback` recovered it (B3).
 */
import { DeployError, deploy } from '../../../services/deployer/src/core/deploy';
import { toRule, weightsFor } from '../../../services/deployer/src/core/traffic';
import { rollback } from '../../../services/deployer/src/ops/rollback';
import type { DeployEvent, EventSink, ReleaseRecord, StorePort } from '../../../services/deployer/src/ports';
import { LockFenceError } from '../../../services/deployer/src/ports';
import { createSimulation, restoreStore } from '../../../services/deployer/src/sim';
import { deployOk, makeEnv, plainTopology, request, writeCount } from '../ops/harness';

const dev = plainTopology('dev');
const key = { environment: 'dev', service: 'api' };
const ONCALL = { actor: 'oncall', host: 'pager', operation: 'rollback' } as const;

/** An event sink calling `on` for every event, then forwarding it. */
function tap(sink: EventSink, on: (e: DeployEvent) => void): EventSink {
  return {
    emit: (e) => {
      on(e);
      sink.emit(e);
    },
  };
}

async function greenLive() {
  const env = makeEnv([dev]);
  await deployOk(env, dev, 'v1.1.0'); // green live, blue scaled to 0
  env.sim.world.pushImage(dev.repositoryUri, dev.repositoryName, 'v1.3.0');
  env.sim.world.pushImage(dev.repositoryUri, dev.repositoryName, 'v1.4.0');
  return env;
}

/**
 * The store as deployer A sees it: logs every release write A attempts and how it ended; `beforeWrite`
 * runs right before a release write is sent (a slow request / paused process: the window between A's
 * last lock check and its write).
 */
function storeOfA(
  store: StorePort,
  log: { op: string; fenced: boolean; result: string }[],
  beforeWrite: () => Promise<void>,
): StorePort {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'putRelease' && prop !== 'updateRelease')
        return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        const fenced = args[prop === 'putRelease' ? 1 : 3] !== undefined;
        await beforeWrite();
        try {
          const out = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          log.push({ op: String(prop), fenced, result: 'ok' });
          return out;
        } catch (e) {
          log.push({
            op: String(prop),
            fenced,
            result: e instanceof LockFenceError ? 'lock-lost' : 'error',
          });
          throw e;
        }
      };
    },
  });
}

describe('B1: the old colour is scaled down only if it still has weight 0', () => {
  test('an operator flips traffic back by hand during the termination wait: the old colour keeps its tasks', async () => {
    const env = await greenLive();
    const deps = env.deps(dev);
    const events = tap(deps.events, (e) => {
      if (e.type === 'drain.wait')
        void env.sim.clock
          .sleep(10_000)
          .then(() =>
            env.sim.lb.setRuleWeights(dev.productionRuleArn, toRule(dev, weightsFor('green', 100))),
          );
    });
    const out = await deploy({ ...deps, events }, request(dev, 'v1.3.0'));
    expect(out).toMatchObject({ status: 'deployed', oldColourScaledDown: false });
    expect(env.sim.world.trafficWeights(dev)).toEqual({ blue: 0, green: 100 });
    expect(env.sim.world.colour(dev, 'green').desiredCount).toBe(2); // still serving the 100%
    const [rel] = await env.sim.store.listReleases(key, 1);
    expect(rel).toMatchObject({ outcome: 'deployed', step: 'done' });
    expect(rel.note).toMatch(/green not scaled down: the production rule gives it weight 100 now/);
    expect(env.events.ofType('drain.skipped')).toHaveLength(1);
  });

  test('an operator flips traffic back between the last check and the scale-down write: its tasks come back at once', async () => {
    const env = await greenLive();
    const deps = env.deps(dev);
    let flipped = false;
    const ecs = {
      ...deps.ecs,
      updateService: async (cluster: string, service: string, u: { desiredCount: number }) => {
        // the operator's hand-flip lands right after switchyard's pre-check, before its UpdateService
        if (!flipped && service === dev.ecsServices.green && u.desiredCount === 0) {
          flipped = true;
          await env.sim.lb.setRuleWeights(dev.productionRuleArn, toRule(dev, weightsFor('green', 100)));
        }
        return deps.ecs.updateService(cluster, service, u);
      },
    };
    const out = await deploy({ ...deps, ecs }, request(dev, 'v1.3.0'));
    expect(flipped).toBe(true);
    expect(out).toMatchObject({ status: 'deployed', oldColourScaledDown: false });
    expect(env.sim.world.trafficWeights(dev)).toEqual({ blue: 0, green: 100 });
    expect(env.sim.world.colour(dev, 'green').desiredCount).toBe(2); // restored
    expect(env.events.ofType('scale-down.undone')).toHaveLength(1);
  });

  test('a force-unlocked rollback during the termination wait: the deploy does not scale the restored colour down', async () => {
    const env = await greenLive();
    const deps = env.deps(dev);
    let rb: Promise<unknown> | undefined;
    const events = tap(deps.events, (e) => {
      if (e.type === 'drain.wait')
        rb = env.sim.clock.sleep(147_000).then(() =>
          rollback(env.deps(dev), {
            topology: dev,
            reason: 'bad release',
            forceUnlock: true,
            owner: ONCALL,
          }),
        );
    });
    const out = await deploy({ ...deps, events }, request(dev, 'v1.3.0'));
    expect(await rb).toMatchObject({ status: 'rolled-back' });
    expect(out).toMatchObject({ status: 'deployed', oldColourScaledDown: false });
    expect(env.sim.world.trafficWeights(dev)).toEqual({ blue: 0, green: 100 });
    expect(env.sim.world.colour(dev, 'green').desiredCount).toBe(2);
    expect(env.sim.world.colour(dev, 'green').running).toBe(2);
  });
});

describe('B2: a run that lost its lock stops without writing', () => {
  test('rollback --force-unlock during the final bake: the first deployer writes nothing more, the rollback owns the state', async () => {
    const env = await greenLive();
    const deps = env.deps(dev);
    const log: string[] = [];
    let rb: Promise<unknown> | undefined;
    let writesBeforeTakeover = -1;
    const events = tap(deps.events, (e) => {
      if (e.type === 'bake.start' && (e.data as { final?: boolean } | undefined)?.final && !rb) {
        rb = env.sim.clock.sleep(5_000).then(() => {
          writesBeforeTakeover = env.sim.writes().length;
          return rollback(env.deps(dev, { events: tap(env.events, (x) => log.push(`B ${x.type}`)) }), {
            topology: dev,
            reason: 'looks stuck',
            forceUnlock: true,
            owner: ONCALL,
          });
        });
      }
    });
    const err = await deploy({ ...deps, events }, request(dev, 'v1.3.0', { strategy: 'all-at-once' })).catch(
      (e: unknown) => e,
    );
    const rbOut = await rb;
    expect(err).toBeInstanceOf(DeployError);
    expect((err as Error).message).toMatch(/lock lost; the new holder owns recovery/);
    expect(rbOut).toMatchObject({ status: 'rolled-back' });
    // the rollback (recovery of the taken-over release) put traffic back on green and scaled blue down;
    // every ECS/ELB write after the takeover is the rollback's: none from the first deployer
    const after = env.sim.writes().slice(writesBeforeTakeover);
    const rollbackWrites = after.length;
    expect(env.sim.world.trafficWeights(dev)).toEqual({ blue: 0, green: 100 });
    expect(env.sim.world.colour(dev, 'green').desiredCount).toBe(2);
    expect(env.sim.world.colour(dev, 'blue').desiredCount).toBe(0);
    expect(after.filter((w) => w.api === 'elbv2:ModifyRule')).toHaveLength(1); // the rollback's one write
    expect(rollbackWrites).toBeLessThanOrEqual(2); // ModifyRule + UpdateService(blue → 0)
    const [, dead] = await env.sim.store.listReleases(key, 2);
    expect(dead.outcome).toBe('failed'); // recovered by the rollback, not overwritten by the first deployer
  });
});

describe('B2b: release writes are fenced by the lock token (the store refuses them, not only the pre-write read)', () => {
  test("deploy A loses its lock to a --force-unlock rollback B during a canary bake: A's next release write is refused by the store, B's records stay intact", async () => {
    const env = await greenLive();
    const deps = env.deps(dev);
    const aWrites: { op: string; fenced: boolean; result: string }[] = [];
    let bakePassed = false;
    let rbOut: unknown;
    let writesBeforeTakeover = -1;
    let afterB: ReleaseRecord[] = [];
    // B runs to completion while A's first write after its canary bake is on its way: A's lock check
    // before that bake passed, its heartbeat is far off — only the store's fence can stop the write
    const runB = async () => {
      writesBeforeTakeover = env.sim.writes().length;
      rbOut = await rollback(env.deps(dev), {
        topology: dev,
        reason: 'canary looks bad',
        forceUnlock: true,
        owner: ONCALL,
      });
      afterB = await env.sim.store.listReleases(key, 10);
    };
    const events = tap(deps.events, (e) => {
      if (e.type === 'bake.passed' && !(e.data as { final?: boolean } | undefined)?.final) bakePassed = true;
    });
    const beforeWrite = async () => {
      if (!bakePassed || rbOut) return;
      await runB();
    };
    const err = await deploy(
      { ...deps, events, store: storeOfA(deps.store, aWrites, beforeWrite) },
      request(dev, 'v1.3.0', { strategy: 'canary' }),
      { leaseMs: 900_000, heartbeatMs: 600_000 },
    ).catch((e: unknown) => e);

    expect(rbOut).toMatchObject({ status: 'rolled-back' });
    expect(err).toBeInstanceOf(DeployError);
    expect((err as Error).message).toMatch(
      /^lock lost; the new holder owns recovery \(the store refused a release write \(lock lost: updating release .* refused — the lock for dev\/api is no longer held\)\)/,
    );
    // every release write of A was fenced; the first one after the takeover was refused by the store
    expect(aWrites.every((w) => w.fenced)).toBe(true);
    const refused = aWrites.findIndex((w) => w.result === 'lock-lost');
    expect(refused).toBeGreaterThan(0);
    expect(aWrites.slice(0, refused).every((w) => w.result === 'ok')).toBe(true);
    expect(aWrites[refused].op).toBe('updateRelease');
    // B's records (its rollback release and its recovery mark on A's release) are exactly as B left them
    const now = await env.sim.store.listReleases(key, 10);
    expect(now).toEqual(afterB);
    const aRelease = now.find((r) => r.kind === 'deploy' && r.imageTag === 'v1.3.0');
    expect(aRelease).toMatchObject({ outcome: 'failed', step: 'baking' });
    expect(aRelease?.note).toBeUndefined(); // A's "lock lost" note was refused too
    expect(now.find((r) => r.kind === 'rollback')).toMatchObject({ outcome: 'deployed', step: 'done' });
    // and no ECS/ELB write from A after the takeover: those after it are B's (restore: one ModifyRule, scale-down)
    const after = env.sim.writes().slice(writesBeforeTakeover);
    expect(after.filter((w) => w.api === 'elbv2:ModifyRule')).toHaveLength(1);
    expect(env.sim.world.trafficWeights(dev)).toEqual({ blue: 0, green: 100 });
    expect(env.events.ofType('deploy.lock-lost')).toHaveLength(1);
  });
  test('the lock is force-unlocked between acquiring it and recording the release: the record is refused, nothing is written', async () => {
    const env = await greenLive();
    const deps = env.deps(dev);
    const aWrites: { op: string; fenced: boolean; result: string }[] = [];
    let forced = false;
    const before = env.sim.writes().length;
    const beforeReleases = await env.sim.store.listReleases(key, 10);
    const err = await deploy(
      {
        ...deps,
        store: storeOfA(deps.store, aWrites, async () => {
          if (forced) return;
          forced = true;
          await env.sim.store.forceUnlock(key, 'oncall', 'taking over');
        }),
      },
      request(dev, 'v1.3.0'),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    expect((err as Error).message).toMatch(/^lock lost; the new holder owns recovery \(the store refused/);
    expect(aWrites).toEqual([{ op: 'putRelease', fenced: true, result: 'lock-lost' }]);
    expect(await env.sim.store.listReleases(key, 10)).toEqual(beforeReleases);
    expect(env.sim.writes()).toHaveLength(before); // no ECS/ELB write at all
  });
});

describe('B3: deploy over a dead in-progress release', () => {
  /** Deploy v1.3.0 to blue, killed (no cleanup) in its final bake; then a new process on the same world. */
  async function killedAtFinalBake() {
    const first = await greenLive();
    const deps = first.deps(dev);
    const events = tap(deps.events, (e) => {
      if (e.type === 'bake.start' && (e.data as { final?: boolean } | undefined)?.final) first.sim.kill();
    });
    void deploy({ ...deps, events }, request(dev, 'v1.3.0', { strategy: 'all-at-once' }));
    await first.sim.killed;
    const snap = await first.sim.snapshot();
    const next = createSimulation({ topologies: [dev], snapshot: snap });
    await restoreStore(next, snap);
    return makeEnv([dev], { sim: next });
  }

  test('is refused (dead-release, zero writes) with the rollback command, also with --force-unlock', async () => {
    const env = await killedAtFinalBake();
    await env.sim.clock.sleep(200_000); // its lease expired
    const before = writeCount(env);
    for (const opts of [{}, { forceUnlock: { reason: 'it died' } }]) {
      const out = await deploy(env.deps(dev), request(dev, 'v1.4.0'), opts);
      expect(out).toMatchObject({ status: 'refused', code: 'dead-release' });
      expect(out.status === 'refused' && out.reason).toContain(
        'switchyard rollback --env dev --service api --reason "…"',
      );
    }
    expect(writeCount(env)).toBe(before);
    // 100% on blue (never passed its bake), green still running: the proven colour is intact
    expect(env.sim.world.trafficWeights(dev)).toEqual({ blue: 100, green: 0 });
    expect(env.sim.world.colour(dev, 'green').desiredCount).toBe(2);
  });

  test('after the rollback recovered it, the deploy proceeds', async () => {
    const env = await killedAtFinalBake();
    await env.sim.clock.sleep(200_000);
    expect(await rollback(env.deps(dev), { topology: dev, reason: 'recover', owner: ONCALL })).toMatchObject({
      status: 'rolled-back',
    });
    expect(env.sim.world.trafficWeights(dev)).toEqual({ blue: 0, green: 100 });
    await deployOk(env, dev, 'v1.4.0');
  });

  test('an older release left in progress (not the newest) is marked superseded by the next successful deploy', async () => {
    const env = await greenLive();
    const [live] = await env.sim.store.listReleases(key, 1);
    await env.sim.store.putRelease({
      ...live,
      id: 'older-dead',
      outcome: 'in-progress',
      step: 'baking',
      startedAt: live.startedAt - 60_000,
      updatedAt: live.startedAt - 50_000,
    });
    await deployOk(env, dev, 'v1.3.0');
    const old = await env.sim.store.getRelease(key, 'older-dead');
    expect(old).toMatchObject({ outcome: 'superseded' });
    expect(old?.note).toMatch(/died in progress at step "baking"; superseded by release/);
  });

  test('a recovery rollback that loses its lock before marking the dead release: the mark is refused, the record stays as it was', async () => {
    const env = await killedAtFinalBake();
    await env.sim.clock.sleep(200_000);
    const [deadBefore] = await env.sim.store.listReleases(key, 1);
    expect(deadBefore.outcome).toBe('in-progress');
    const writes: { op: string; fenced: boolean; result: string }[] = [];
    const deps = env.deps(dev);
    let puts = 0;
    const store = storeOfA(deps.store, writes, async () => {
      // after its own record (the put), someone force-unlocks before the rollback marks the dead release
      if (puts++ === 1) await env.sim.store.forceUnlock(key, 'someone', 'taking over');
    });
    const err = await rollback({ ...deps, store }, { topology: dev, reason: 'recover', owner: ONCALL }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/the store refused a release write \(lock lost: updating release/);
    expect(writes.map((w) => `${w.op}:${w.result}`)).toEqual(['putRelease:ok', 'updateRelease:lock-lost']);
    expect(writes.every((w) => w.fenced)).toBe(true);
    expect(await env.sim.store.getRelease(key, deadBefore.id)).toEqual(deadBefore);
  });
});
