/**
 * Rollback and recovery with Application Auto Scaling managed (topology `autoscaling` + a scaling port):
 * a colour scaled to 0 gets its floor dropped first (or the autoscaler raises it back), a colour that
 * takes the traffic gets the live floor.
 */

import type { DeployDeps } from '../../../services/deployer/src/core/deploy';
import { deploy } from '../../../services/deployer/src/core/deploy';
import { rollback } from '../../../services/deployer/src/ops/rollback';
import { serviceStatus } from '../../../services/deployer/src/ops/status';
import {
  AUTOSCALER_ENFORCE_MS,
  createSimulation,
  restoreStore,
  type WriteCall,
} from '../../../services/deployer/src/sim';
import type { ServiceTopology } from '../../../services/topology';
import { deployLeavingOldRunning, deployOk, type Env, makeEnv, request, topology } from './harness';

const BLUE = 'service/switchyard-dev/api-blue';
const GREEN = 'service/switchyard-dev/api-green';
const t: ServiceTopology = {
  ...topology('dev'),
  autoscaling: { minCapacity: 2, maxCapacity: 6, resourceIds: { blue: BLUE, green: GREEN } },
};
const ONCALL = { actor: 'bob', host: 'pager', operation: 'rollback' };

const scalingWrites = (env: Env, since: number) =>
  env.sim
    .writes()
    .slice(since)
    .filter((w: WriteCall) => w.api !== 'elbv2:DescribeRules')
    .map((w) => {
      const a = w.args as Record<string, unknown>;
      if (w.api === 'application-autoscaling:RegisterScalableTarget')
        return `range ${String(a.resourceId).split('-').pop()} ${a.min}..${a.max}`;
      if (w.api === 'ecs:UpdateService')
        return `scale ${String(a.service).split('-').pop()} ${a.desiredCount}`;
      if (w.api === 'elbv2:ModifyRule') return 'weights';
      return w.api;
    });

async function settle(env: Env) {
  await env.sim.clock.sleep(AUTOSCALER_ENFORCE_MS * 3);
  env.sim.world.advanceTo(env.sim.clock.now());
}

/** A deploy killed right after `when` happened; a new process on what it left, lease expired. */
async function killed(when: (deps: DeployDeps, env: Env) => DeployDeps) {
  const env = makeEnv([t]);
  void deploy(when(env.deps(t), env), request(t, 'v1.1.0', { strategy: 'canary' }));
  await env.sim.killed;
  await new Promise((r) => setTimeout(r, 10));
  const snap = await env.sim.snapshot();
  const next = createSimulation({ topologies: [t], snapshot: snap });
  await restoreStore(next, snap);
  const env2 = makeEnv([t], { sim: next });
  await settle(env2); // the autoscaler acts on the floor the dead deploy left; the lease expires
  return env2;
}

test('killed after raising the idle floor, before scaling it: recovery drops the floor, then scales it to 0', async () => {
  const env = await killed((deps, e) => ({
    ...deps,
    scaling: {
      ...deps.scaling!,
      setCapacityRange: async (...a) => {
        await deps.scaling!.setCapacityRange(...a);
        e.sim.kill();
      },
    },
  }));
  // the autoscaler enforced the floor the dead deploy set: green runs 2 tasks of its old revision
  expect(env.sim.world.scalableTarget(GREEN)).toMatchObject({ min: 2 });
  expect(env.sim.world.colour(t, 'green').desiredCount).toBe(2);
  const st = await serviceStatus(env.deps(t), t);
  expect(st.dead).toMatchObject({ step: 'scaling-idle', safeColour: 'blue' });

  const before = env.sim.writes().length;
  const out = await rollback(env.deps(t), { topology: t, reason: 'deployer died', owner: ONCALL });
  if (out.status !== 'rolled-back') throw new Error(JSON.stringify(out));
  expect(out.plan).toMatchObject({
    mode: 'restore',
    needsWrite: false,
    resetFloor: 'green',
    scaleDown: 'green',
  });
  expect(scalingWrites(env, before)).toEqual(['range green 0..6', 'scale green 0']);
  await settle(env);
  expect(env.sim.world.colour(t, 'green').desiredCount).toBe(0);
  expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
  expect((await serviceStatus(env.deps(t), t)).warnings).toEqual([]);
});

test('killed mid-shift: one weight write, then the floor of the dead colour dropped before its scale-down', async () => {
  const env = await killed((deps, e) => ({
    ...deps,
    store: {
      ...deps.store,
      getLock: (...a) => deps.store.getLock(...a),
      acquireLock: (...a) => deps.store.acquireLock(...a),
      renewLock: (...a) => deps.store.renewLock(...a),
      releaseLock: (...a) => deps.store.releaseLock(...a),
      forceUnlock: (...a) => deps.store.forceUnlock(...a),
      putRelease: (...a) => deps.store.putRelease(...a),
      getRelease: (...a) => deps.store.getRelease(...a),
      listReleases: (...a) => deps.store.listReleases(...a),
      updateRelease: async (...a) => {
        const r = await deps.store.updateRelease(...a);
        if (a[2].step === 'baking') e.sim.kill();
        return r;
      },
    },
  }));
  expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 90, green: 10 });
  const before = env.sim.writes().length;
  const out = await rollback(env.deps(t), { topology: t, reason: 'deployer died', owner: ONCALL });
  if (out.status !== 'rolled-back') throw new Error(JSON.stringify(out));
  expect(scalingWrites(env, before)).toEqual(['weights', 'range green 0..6', 'scale green 0']);
  expect(out.release.intendedCapacity).toEqual({ green: { min: 0, max: 6 } });
  await settle(env);
  expect(env.sim.world.colour(t, 'green').desiredCount).toBe(0);
  expect(env.sim.world.colour(t, 'blue')).toMatchObject({ desiredCount: 2, running: 2 });
  expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
  expect((await serviceStatus(env.deps(t), t)).warnings).toEqual([]);
});

test('weight flip to a colour whose floor was already dropped raises it after the write', async () => {
  const env = makeEnv([t]);
  await deployOk(env, t, 'v1.1.0');
  await deployLeavingOldRunning(env, t, 'v1.2.0'); // blue live, green still runs v1.1.0
  // a half-finished drain: green's floor already at 0 (its scale-down never happened)
  await env.deps(t).scaling!.setCapacityRange(GREEN, 0, 6);
  const before = env.sim.writes().length;
  const out = await rollback(env.deps(t), { topology: t, reason: 'bad 1.2', owner: ONCALL });
  if (out.status !== 'rolled-back') throw new Error(JSON.stringify(out));
  expect(out.plan).toMatchObject({ mode: 'flip', colour: 'green', raiseFloor: true });
  expect(scalingWrites(env, before)).toEqual(['weights', 'range green 2..6']);
  expect(out.release.intendedCapacity).toEqual({ green: { min: 2, max: 6 } });
  await settle(env);
  expect(env.sim.world.colour(t, 'green').desiredCount).toBe(2);
  expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
});

test('weight flip with floors already right: exactly one write', async () => {
  const env = makeEnv([t]);
  await deployOk(env, t, 'v1.1.0');
  await deployLeavingOldRunning(env, t, 'v1.2.0');
  const before = env.sim.writes().length;
  const out = await rollback(env.deps(t), { topology: t, reason: 'bad 1.2', owner: ONCALL });
  expect(out).toMatchObject({ status: 'rolled-back', plan: { mode: 'flip' } });
  expect(scalingWrites(env, before)).toEqual(['weights']);
});

test('status shows each colour autoscaling range and warns when the live floor is too low', async () => {
  const env = makeEnv([t]);
  let st = await serviceStatus(env.deps(t), t);
  expect(st.colours?.blue.autoscaling).toEqual({ min: 2, max: 6 });
  expect(st.colours?.green.autoscaling).toEqual({ min: 0, max: 6 });
  expect(st.warnings).toEqual([]);
  await env.deps(t).scaling!.setCapacityRange(BLUE, 0, 6);
  st = await serviceStatus(env.deps(t), t);
  expect(st.warnings.map((w) => w.code)).toEqual(['floor-low']);
  expect(st.warnings[0].message).toMatch(
    /live colour blue's autoscaling floor is 0, below the service's minimum 2/,
  );
  // status never writes
  const before = env.sim.writes().length;
  await serviceStatus(env.deps(t), t);
  expect(env.sim.writes().length).toBe(before);
});
