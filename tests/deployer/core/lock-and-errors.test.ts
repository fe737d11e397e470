import { DeployError, deploy, executeDeploy } from '../../../services/deployer/src/core/deploy';
import { CollectingSink } from '../../../services/deployer/src/core/events';
import { withLock } from '../../../services/deployer/src/core/lock';
import { PortError } from '../../../services/deployer/src/ports';
import { scenario } from './harness';

const key = { environment: 'dev', service: 'api' };
const owner = { actor: 'a', host: 'h', operation: 'deploy' };

describe('withLock', () => {
  test('renews the lease on a heartbeat while the operation runs, releases it afterwards', async () => {
    const s = scenario();
    const deps = s.sim.deps(s.events);
    let heldMidway: unknown;
    const res = await withLock(deps, key, owner, async () => {
      await s.sim.clock.sleep(300_000); // 5 min, lease is 2 min
      heldMidway = await s.sim.store.acquireLock(key, { ...owner, actor: 'b' }, 60_000);
      await s.sim.clock.sleep(300_000);
      return 42;
    });
    expect(res).toMatchObject({ status: 'acquired', value: 42 });
    expect(heldMidway).toMatchObject({ acquired: false, heldBy: { owner: { actor: 'a' } } });
    expect(await s.sim.store.getLock(key)).toBeUndefined();
  });

  test('is released when the operation throws', async () => {
    const s = scenario();
    await expect(
      withLock(s.sim.deps(s.events), key, owner, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await s.sim.store.getLock(key)).toBeUndefined();
  });

  test('a held lock is reported, the operation does not run', async () => {
    const s = scenario();
    await s.sim.store.acquireLock(key, { ...owner, actor: 'other' }, 60_000);
    let ran = false;
    const res = await withLock(s.sim.deps(s.events), key, owner, async () => {
      ran = true;
    });
    expect(res).toMatchObject({ status: 'held', heldBy: { owner: { actor: 'other' } } });
    expect(ran).toBe(false);
  });

  test('an expired lock is taken over (and reported)', async () => {
    const s = scenario();
    await s.sim.store.acquireLock(key, { ...owner, actor: 'dead' }, 10_000);
    await s.sim.clock.sleep(11_000);
    const res = await withLock(s.sim.deps(s.events), key, owner, async () => 'ok');
    expect(res).toMatchObject({ status: 'acquired', tookOver: { owner: { actor: 'dead' } } });
    expect(s.events.ofType('lock.took-over')).toHaveLength(1);
  });

  test('losing the lock mid-deploy stops it without another ECS/ELB write (no rollback on a stale plan): DeployError, exit 1', async () => {
    const s = scenario();
    let writesAtLoss = -1;
    let weightsAtLoss: unknown;
    s.sim.clock.at(s.sim.clock.now() + 100_000, () => {
      writesAtLoss = s.sim.writes().length;
      weightsAtLoss = s.sim.world.trafficWeights(s.topology);
      void s.sim.store.forceUnlock(key, 'intruder', 'testing');
    });
    const err = await deploy(s.sim.deps(s.events), s.request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    expect((err as Error).message).toMatch(/lock lost; the new holder owns recovery/);
    expect(writesAtLoss).toBeGreaterThan(0);
    // nothing written to ECS/ELB after the loss: traffic stays as the new holder found it
    expect(s.sim.writes()).toHaveLength(writesAtLoss);
    expect(s.sim.world.trafficWeights(s.topology)).toEqual(weightsAtLoss);
    const [rel] = await s.sim.store.listReleases(key, 1);
    expect(rel.outcome).toBe('in-progress'); // the new holder's recovery decides
    // the lost-lock note is a fenced write too: with the lock gone the store refuses it (nothing written)
    expect(rel.note).toBeUndefined();
    expect(s.events.ofType('deploy.lock-lost')).toHaveLength(1);
  });
});

describe('errors', () => {
  test('an unexpected API error mid-deploy rolls back with the error as reason', async () => {
    const s = scenario();
    const deps = s.sim.deps(s.events);
    let n = 0;
    const ecs = {
      ...deps.ecs,
      describeService: async (c: string, svc: string) => {
        if (svc === s.topology.ecsServices.green && ++n === 4)
          throw new PortError('internal', 'AccessDeniedException: not authorized');
        return deps.ecs.describeService(c, svc);
      },
    };
    const out = await deploy({ ...deps, ecs }, s.request());
    expect(out).toMatchObject({ status: 'rolled-back', gate: 'error' });
    expect(out.status === 'rolled-back' && out.reason).toMatch(/AccessDeniedException/);
    expect(s.sim.world.colour(s.topology, 'green').desiredCount).toBe(0);
  });

  test('if even the restoring write fails: DeployError (exit 1) with how to recover, release recorded failed', async () => {
    const s = scenario({ faults: [{ name: '5xx-spike' }] });
    const deps = s.sim.deps(s.events);
    let writes = 0;
    const lb = {
      ...deps.lb,
      setRuleWeights: async (rule: string, w: readonly { targetGroupArn: string; weight: number }[]) => {
        if (++writes > 1) throw new PortError('internal', 'ELB is down');
        return deps.lb.setRuleWeights(rule, w);
      },
    };
    await expect(deploy({ ...deps, lb }, s.request())).rejects.toBeInstanceOf(DeployError);
    const [rec] = await s.sim.store.listReleases(key, 1);
    expect(rec.outcome).toBe('failed');
    expect(rec.reason).toMatch(
      /could not restore traffic to blue.*switchyard rollback --env dev --service api/,
    );
    expect(await s.sim.store.getLock(key)).toBeUndefined();
  });

  test('executeDeploy with a pinned digest deploys exactly that image (rollback/promote path)', async () => {
    const s = scenario();
    const digest = s.sim.world.state.images['111111111111/switchyard/api'].tags['v1.2.0'];
    const events = new CollectingSink();
    const out = await executeDeploy(s.sim.deps(events), {
      ...s.request({ strategy: 'all-at-once' }),
      imageTag: 'v1.2.0',
      imageDigest: digest,
      kind: 'promote',
      sourceEnvironment: 'dev',
      sourceReleaseId: 'r-1',
      reason: 'promote',
    });
    expect(out.status).toBe('deployed');
    expect(s.sim.world.colour(s.topology, 'green').image).toBe(`${s.topology.repositoryUri}@${digest}`);
    expect(s.sim.calls()['ecr:DescribeImages']).toBe(1); // checked, not resolved
    const [rec] = await s.sim.store.listReleases(key, 1);
    expect(rec).toMatchObject({
      kind: 'promote',
      sourceEnvironment: 'dev',
      sourceReleaseId: 'r-1',
      imageDigest: digest,
    });
  });
});

describe('store and signal edges around the writes', () => {
  /** Deps whose store runs `hook` for every updateRelease patch (before the write; may throw). */
  function hooked(s: ReturnType<typeof scenario>, hook: (patch: Record<string, unknown>) => void) {
    const deps = s.sim.deps(s.events);
    const store = s.sim.store;
    return {
      ...deps,
      store: new Proxy(store, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver);
          if (prop !== 'updateRelease') return typeof v === 'function' ? v.bind(target) : v;
          return async (...args: Parameters<typeof store.updateRelease>) => {
            hook(args[2] as Record<string, unknown>);
            return store.updateRelease(...args);
          };
        },
      }),
    };
  }

  test('SIGINT during the store write of "shifting": traffic never moves, rolled back', async () => {
    const s = scenario();
    const ac = new AbortController();
    const deps = hooked(s, (p) => {
      if (p.step === 'shifting') ac.abort(new Error('SIGINT'));
    });
    const out = await deploy({ ...deps, signal: ac.signal }, s.request({ strategy: 'canary' }));
    expect(out).toMatchObject({ status: 'rolled-back', gate: 'interrupted' });
    const prodWrites = s.sim
      .writes()
      .filter(
        (w) =>
          w.api === 'elbv2:ModifyRule' &&
          (w.args as { ruleArn: string }).ruleArn === s.topology.productionRuleArn,
      );
    expect(prodWrites).toHaveLength(0);
    expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 100, green: 0 });
  });

  test('recording "deployed" keeps failing: still deployed (exit 0) with a warning, the old colour left running', async () => {
    const s = scenario();
    const deps = hooked(s, (p) => {
      if (p.outcome === 'deployed') throw new PortError('unavailable', 'DynamoDB is down');
    });
    const out = await deploy(deps, s.request({ strategy: 'all-at-once' }));
    expect(out).toMatchObject({ status: 'deployed', oldColourScaledDown: false });
    expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 0, green: 100 });
    expect(s.sim.world.colour(s.topology, 'blue').desiredCount).toBe(2);
    expect(s.events.ofType('store.failed')[0].message).toMatch(/blue is left running \(not scaled down\)/);
  });
});

describe('SIGINT before anything started', () => {
  test('refused (interrupted): no release record, no lock left, no ECS/ELB write', async () => {
    const s = scenario();
    const ac = new AbortController();
    ac.abort(new Error('SIGINT'));
    const out = await deploy({ ...s.sim.deps(s.events), signal: ac.signal }, s.request());
    expect(out).toMatchObject({ status: 'refused', code: 'interrupted' });
    expect(await s.sim.store.listReleases(key, 5)).toEqual([]);
    expect(await s.sim.store.getLock(key)).toBeUndefined();
    expect(s.sim.writes()).toHaveLength(0);
    expect(s.sim.memoryStore.writes).toBe(0);
  });

  test('SIGINT arriving while the lock is being taken: refused, no release record', async () => {
    const s = scenario();
    const ac = new AbortController();
    const deps = s.sim.deps(s.events);
    const store = new Proxy(s.sim.store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop !== 'acquireLock') return typeof v === 'function' ? v.bind(target) : v;
        return async (...a: Parameters<typeof s.sim.store.acquireLock>) => {
          const res = await s.sim.store.acquireLock(...a);
          ac.abort(new Error('SIGINT'));
          return res;
        };
      },
    });
    const out = await deploy({ ...deps, store, signal: ac.signal }, s.request());
    expect(out).toMatchObject({ status: 'refused', code: 'interrupted' });
    expect(await s.sim.store.listReleases(key, 5)).toEqual([]);
    expect(await s.sim.store.getLock(key)).toBeUndefined();
    expect(s.sim.writes()).toHaveLength(0);
  });
});

describe('a deployment store that is briefly unreachable is not a lost lock', () => {
  /** Store whose renewLock/getLock fail with `unavailable` in [from, to) (virtual time). */
  function flaky(s: ReturnType<typeof scenario>, from: number, to: number) {
    const store = s.sim.store;
    return new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        if (prop !== 'renewLock' && prop !== 'getLock') return v.bind(target);
        return async (...a: unknown[]) => {
          const now = s.sim.clock.now();
          if (now >= from && now < to) throw new PortError('unavailable', 'DynamoDB: ServiceUnavailable');
          return (v as (...x: unknown[]) => Promise<unknown>).apply(target, a);
        };
      },
    });
  }

  test('40 s of store errors mid-deploy (lease 120 s): the deploy goes on and deploys', async () => {
    const s = scenario();
    const t0 = s.sim.clock.now();
    const store = flaky(s, t0 + 100_000, t0 + 140_000);
    const out = await deploy({ ...s.sim.deps(s.events), store }, s.request({ strategy: 'canary' }));
    expect(out.status).toBe('deployed');
    expect(s.events.ofType('lock.renew-failed').length).toBeGreaterThan(0);
    expect(s.events.ofType('lock.lost')).toEqual([]);
  });

  test('store errors for longer than the lease: lock lost, the run stops without further ECS/ELB writes', async () => {
    const s = scenario();
    const t0 = s.sim.clock.now();
    const store = flaky(s, t0 + 100_000, t0 + 100_000_000);
    const err = await deploy({ ...s.sim.deps(s.events), store }, s.request({ strategy: 'canary' })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeployError);
    expect(s.events.ofType('lock.lost')).toHaveLength(1);
  });
});
