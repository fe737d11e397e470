/**
 * The Application Auto Scaling floor: with `topology.autoscaling` and `deps.scaling` the deployer moves
 * each colour's min/max so the simulated autoscaler (which raises a desired count below the floor back
 * after AUTOSCALER_ENFORCE_MS) never undoes a scale-down; without the port, it does (the bug).
 */

import { planLines } from '../../../services/deployer/src/cli/present';
import { applyScalingFloor } from '../../../services/deployer/src/core';
import type { DeployDeps } from '../../../services/deployer/src/core/deploy';
import { deploy } from '../../../services/deployer/src/core/deploy';
import { CollectingSink } from '../../../services/deployer/src/core/events';
import { AUTOSCALER_ENFORCE_MS, SCALE_IN_AFTER_MS, type WriteCall } from '../../../services/deployer/src/sim';
import type { ServiceTopology } from '../../../services/topology';
import { exampleTopology, plainTopology, scenario } from './harness';

const BLUE = 'service/switchyard-dev/api-blue';
const GREEN = 'service/switchyard-dev/api-green';
const withAutoscaling = (): ServiceTopology => ({
  ...exampleTopology(),
  autoscaling: { minCapacity: 2, maxCapacity: 6, resourceIds: { blue: BLUE, green: GREEN } },
});
const key = { environment: 'dev', service: 'api' };

/** Lets virtual time pass after the run and brings the world up to date. */
async function wait(s: ReturnType<typeof scenario>, ms: number) {
  await s.sim.clock.sleep(ms);
  s.sim.world.advanceTo(s.sim.clock.now());
}

const describe_ = (w: WriteCall) => {
  const a = w.args as Record<string, unknown>;
  if (w.api === 'application-autoscaling:RegisterScalableTarget')
    return `range ${String(a.resourceId).split('-').pop()} ${a.min}..${a.max}`;
  if (w.api === 'ecs:UpdateService') return `scale ${String(a.service).split('-').pop()} ${a.desiredCount}`;
  return w.api;
};
const scalingWrites = (s: ReturnType<typeof scenario>) =>
  s.sim
    .writes()
    .filter(
      (w) => w.api === 'application-autoscaling:RegisterScalableTarget' || w.api === 'ecs:UpdateService',
    )
    .map(describe_);

test('sim: Terraform-like scalable targets — blue floor = tier min, green floor = 0', () => {
  const s = scenario({ topology: withAutoscaling() });
  expect(s.sim.world.scalableTarget(BLUE)).toMatchObject({ min: 2, max: 6 });
  expect(s.sim.world.scalableTarget(GREEN)).toMatchObject({ min: 0, max: 6 });
});

test('managed: the old colour stays at 0 after a deploy, and the floors follow the live colour', async () => {
  const s = scenario({ topology: withAutoscaling() });
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'all-at-once' }));
  expect(out.status).toBe('deployed');
  expect(out.status === 'deployed' && out.oldColourScaledDown).toBe(true);
  // floor before the idle scale-up, live range after success, old colour's floor to 0 BEFORE its scale-down
  expect(scalingWrites(s)).toEqual([
    'range green 2..6',
    'scale green 2',
    'range green 2..6',
    'range blue 0..6',
    'scale blue 0',
  ]);
  await wait(s, 10 * AUTOSCALER_ENFORCE_MS);
  expect(s.sim.world.colour(s.topology, 'blue')).toMatchObject({ desiredCount: 0, running: 0 });
  expect(s.sim.world.colour(s.topology, 'green')).toMatchObject({ desiredCount: 2, running: 2 });
  expect(s.sim.world.state.scalingActivities).toEqual([]);
  expect(s.sim.world.scalableTarget(BLUE)).toMatchObject({ min: 0, max: 6 });
  expect(s.sim.world.scalableTarget(GREEN)).toMatchObject({ min: 2, max: 6 });
  // intended ranges are on record (written before acting)
  const [release] = await s.sim.store.listReleases(key, 1);
  expect(release.intendedCapacity).toEqual({ green: { min: 2, max: 6 }, blue: { min: 0, max: 6 } });
  expect(s.events.ofType('scaling.range')).toHaveLength(3);

  // and back again: blue becomes live with the tier floor, green drops to 0 and stays there
  const back = await deploy(s.sim.deps(s.events), s.request({ imageTag: 'v1.2.0', strategy: 'all-at-once' }));
  expect(back.status).toBe('deployed');
  await wait(s, 10 * AUTOSCALER_ENFORCE_MS);
  expect(s.sim.world.scalableTarget(BLUE)).toMatchObject({ min: 2, max: 6 });
  expect(s.sim.world.scalableTarget(GREEN)).toMatchObject({ min: 0, max: 6 });
  expect(s.sim.world.colour(s.topology, 'green')).toMatchObject({ desiredCount: 0, running: 0 });
  expect(s.sim.world.state.scalingActivities).toEqual([]);
});

test('not managed (no scaling port): Application Auto Scaling brings the old colour back to its min', async () => {
  const s = scenario({ topology: withAutoscaling() });
  const { scaling: _notManaged, ...deps } = s.sim.deps(s.events);
  const out = await deploy(deps as DeployDeps, s.request({ strategy: 'all-at-once' }));
  expect(out.status).toBe('deployed');
  expect(s.sim.world.colour(s.topology, 'blue').desiredCount).toBe(0); // scaled down at the end…
  expect(scalingWrites(s).filter((w) => w.startsWith('range'))).toEqual([]);
  await wait(s, 10 * AUTOSCALER_ENFORCE_MS);
  // …and bounced back: blue's floor is still the tier minimum Terraform gave it
  expect(s.sim.world.colour(s.topology, 'blue')).toMatchObject({ desiredCount: 2, running: 2 });
  expect(s.sim.world.state.scalingActivities).toEqual([
    expect.objectContaining({ resourceId: BLUE, from: 0, to: 2 }),
  ]);
});

describe('target tracking during a long canary bake (low traffic on the new colour)', () => {
  // 10% of 20 req/s over 2 tasks = 1 req/s per task, far below the sim's target of TARGET_REQUESTS_PER_TASK:
  // after SCALE_IN_AFTER_MS target tracking scales in — unless the bake floor holds the colour at 2
  const longBake = { strategy: 'canary' as const, settings: { bakeSeconds: 1_200 } };
  expect(SCALE_IN_AFTER_MS).toBeLessThan(1_200_000);

  test('managed: the bake floor keeps the idle colour at the live desired count; deployed', async () => {
    const s = scenario({ topology: withAutoscaling() });
    const out = await deploy(s.sim.deps(s.events), s.request(longBake));
    expect(out.status).toBe('deployed');
    expect(s.sim.world.state.scalingActivities).toEqual([]);
  });

  test('not managed: target tracking shrinks the baking colour and the health gate rolls the release back', async () => {
    const s = scenario({ topology: withAutoscaling() });
    const { scaling: _notManaged, ...deps } = s.sim.deps(s.events);
    const out = await deploy(deps as DeployDeps, s.request(longBake));
    expect(out).toMatchObject({ status: 'rolled-back', gate: 'target-health' });
    expect(s.sim.world.state.scalingActivities).toEqual([
      expect.objectContaining({
        resourceId: GREEN,
        from: 2,
        to: 1,
        cause: expect.stringContaining('target tracking'),
      }),
    ]);
  });
});

test('rollback: the failed colour gets floor 0 before it is scaled to 0, and stays down', async () => {
  const s = scenario({ topology: withAutoscaling(), faults: [{ name: '5xx-spike', afterSeconds: 5 }] });
  const out = await deploy(s.sim.deps(s.events), s.request());
  expect(out.status).toBe('rolled-back');
  expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 100, green: 0 });
  expect(scalingWrites(s)).toEqual([
    'range green 2..6',
    'scale green 2',
    'range green 0..6',
    'scale green 0',
  ]);
  await wait(s, 10 * AUTOSCALER_ENFORCE_MS);
  expect(s.sim.world.colour(s.topology, 'green')).toMatchObject({ desiredCount: 0, running: 0 });
  expect(s.sim.world.scalableTarget(GREEN)).toMatchObject({ min: 0, max: 6 });
  expect(s.sim.world.scalableTarget(BLUE)).toMatchObject({ min: 2, max: 6 }); // untouched
  const [release] = await s.sim.store.listReleases(key, 1);
  expect(release).toMatchObject({ outcome: 'rolled-back', intendedCapacity: { green: { min: 0, max: 6 } } });
});

test('rollback without the floor write: the bake floor would bring the failed colour back', async () => {
  const s = scenario({ topology: withAutoscaling(), faults: [{ name: '5xx-spike', afterSeconds: 5 }] });
  // a port that raises the floor but "forgets" to lower it again shows why the rollback must write it
  const deps = s.sim.deps(s.events);
  const raiseOnly = {
    ...deps,
    scaling: {
      describeCapacity: deps.scaling.describeCapacity,
      setCapacityRange: async (id: string, min: number, max: number) => {
        if (min > 0) await deps.scaling.setCapacityRange(id, min, max);
      },
    },
  };
  expect((await deploy(raiseOnly, s.request())).status).toBe('rolled-back');
  await wait(s, 10 * AUTOSCALER_ENFORCE_MS);
  expect(s.sim.world.colour(s.topology, 'green').desiredCount).toBe(2);
});

test('the live desired count sets the bake floor (max widened when above maxCapacity)', async () => {
  const t = { ...withAutoscaling(), autoscaling: { ...withAutoscaling().autoscaling!, maxCapacity: 3 } };
  const s = scenario({ topology: t });
  s.sim.world.registerScalableTarget(BLUE, 2, 3);
  s.sim.world.registerScalableTarget(GREEN, 0, 3);
  const sim = depsWithLiveDesired(s, 4);
  const out = await deploy(sim, s.request({ strategy: 'all-at-once', dryRun: true }));
  expect(out.status).toBe('dry-run');
  expect(out.status === 'dry-run' && out.plan.autoscaling).toEqual({
    resourceIds: { blue: BLUE, green: GREEN },
    current: { blue: { min: 2, max: 3 }, green: { min: 0, max: 3 } },
    bakeFloor: { min: 4, max: 4 },
    liveFloor: { min: 4, max: 4 },
    liveRange: { min: 2, max: 3 },
    idleRange: { min: 0, max: 3 },
  });
  const text = planLines(out.status === 'dry-run' ? out.plan : (undefined as never)).join('\n');
  expect(text).toContain('autoscaling    now: blue 2..3, green 0..3');
  expect(text).toContain('green floor 4..4 before it scales up');
  expect(text).toContain('blue (live) floor held at 4..4 for the whole deploy');
  expect(text).toContain('on success: green 2..3; blue 0..3 before it is scaled to 0');
  expect(s.sim.writes()).toHaveLength(0);
});

/** Live colour running `n` tasks (autoscaled above its floor). */
function depsWithLiveDesired(s: ReturnType<typeof scenario>, n: number) {
  const svc = s.sim.world.service(s.topology.cluster, s.topology.ecsServices.blue);
  svc.desiredCount = n;
  svc.deployments[0].desiredCount = n;
  return s.sim.deps(s.events);
}

test('a scalable target named by the topology but missing in AWS is refused before any write', async () => {
  const s = scenario({ topology: withAutoscaling() });
  delete s.sim.world.state.scalableTargets![GREEN];
  const out = await deploy(s.sim.deps(s.events), s.request());
  expect(out).toMatchObject({ status: 'refused', code: 'not-found' });
  expect(out.status === 'refused' && out.reason).toContain(`green (${GREEN})`);
  expect(s.sim.writes()).toHaveLength(0);
  expect(s.sim.memoryStore.writes).toBe(0);
});

test('without topology.autoscaling nothing is read or written through the scaling port', async () => {
  const s = scenario({ topology: plainTopology() });
  expect((await deploy(s.sim.deps(s.events), s.request({ strategy: 'all-at-once' }))).status).toBe(
    'deployed',
  );
  expect(Object.keys(s.sim.calls()).filter((k) => k.startsWith('application-autoscaling'))).toEqual([]);
});

describe('applyScalingFloor (for rollback by weight flip)', () => {
  test('live colour (min, max) first, then the idle colour (0, max)', async () => {
    const s = scenario({ topology: withAutoscaling() });
    const res = await applyScalingFloor(s.sim.deps(s.events), s.topology, 'green', 'blue');
    expect(res).toEqual({ managed: true, ranges: { green: { min: 2, max: 6 }, blue: { min: 0, max: 6 } } });
    expect(scalingWrites(s)).toEqual(['range green 2..6', 'range blue 0..6']);
  });

  test('no-op without the port or without topology.autoscaling', async () => {
    const s = scenario({ topology: withAutoscaling() });
    const { scaling: _x, ...deps } = s.sim.deps(s.events);
    expect(await applyScalingFloor(deps, s.topology, 'green', 'blue')).toEqual({
      managed: false,
      ranges: {},
    });
    expect(await applyScalingFloor(s.sim.deps(s.events), plainTopology(), 'green', 'blue')).toEqual({
      managed: false,
      ranges: {},
    });
    expect(s.sim.writes()).toHaveLength(0);
    await expect(
      applyScalingFloor(s.sim.deps(new CollectingSink()), s.topology, 'blue', 'blue'),
    ).rejects.toThrow(/both blue/);
  });
});
