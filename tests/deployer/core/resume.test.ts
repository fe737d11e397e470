/**
 * Resuming after a killed runner (core/resume.ts `continueDeploy`): a deployer killed (kill -9, no
 * cleanup) right after recording a step; a new process continues the release from that step — the same
 * machine a held deploy continues with — to deployed, or aborts it.
 */
import { deploy } from '../../../services/deployer/src/core/deploy';
import { CollectingSink } from '../../../services/deployer/src/core/events';
import { abortDeploy, continueDeploy } from '../../../services/deployer/src/core/resume';
import type { DeployStep, StorePort } from '../../../services/deployer/src/ports';
import { createSimulation, restoreStore, type Simulation } from '../../../services/deployer/src/sim';
import type { ServiceTopology } from '../../../services/topology';
import { plainTopology } from './harness';

const KEY = { environment: 'dev', service: 'api' };
const plain = plainTopology();
const t: ServiceTopology = {
  ...plain,
  deployment: { ...plain.deployment, bakeSeconds: 120, finalBakeSeconds: 120, terminationWaitSeconds: 60 },
};
const OWNER = { actor: 'ci', host: 'runner', operation: 'deploy' } as const;
const NEXT = { actor: 'oncall', host: 'laptop', operation: 'continue' } as const;

/** Store that kills the process right after the release record reaches `step` (before acting on it). */
function killAfter(sim: Simulation, step: DeployStep): StorePort {
  return new Proxy(sim.store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'putRelease' && prop !== 'updateRelease')
        return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        const res = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        const written =
          prop === 'putRelease' ? (args[0] as { step: string }).step : (args[2] as { step?: string }).step;
        if (written === step) sim.kill();
        return res;
      };
    },
  });
}

/** A canary deploy killed after recording `step`; a new process on the world it left, after its lease ran out. */
async function killedAt(step: DeployStep): Promise<Simulation> {
  const sim = createSimulation({ topologies: [t], seed: 5 });
  void deploy(
    { ...sim.deps(new CollectingSink()), store: killAfter(sim, step) },
    {
      topology: t,
      imageTag: 'v1.1.0',
      strategy: 'canary',
      owner: OWNER,
    },
  );
  await sim.killed;
  const snap = await sim.snapshot();
  const next = createSimulation({ topologies: [t], snapshot: snap, seed: 6 });
  await restoreStore(next, snap);
  await next.clock.sleep(125_000); // the dead runner's lease (120 s) runs out
  return next;
}

const deps = (sim: Simulation, events = new CollectingSink()) => ({ ...sim.deps(events), signal: undefined });

describe.each([
  'started',
  'registering-task-definition',
  'task-definition-registered',
  'scaling-idle',
  'waiting-healthy',
  'shifting',
  'baking',
  'final-bake',
  'draining-old',
] as DeployStep[])('runner killed after recording "%s"', (step) => {
  test('continue picks the same release up at that step and deploys it', async () => {
    const sim = await killedAt(step);
    const [dead] = await sim.store.listReleases(KEY, 1);
    expect(dead).toMatchObject({ step, outcome: step === 'draining-old' ? 'deployed' : 'in-progress' });
    const since = sim.clock.now();
    const events = new CollectingSink();
    const out = await continueDeploy(deps(sim, events), { topology: t, owner: NEXT });
    if (step === 'draining-old') {
      // recorded deployed already: nothing in progress — the old colour is left for the next deploy
      expect(out).toMatchObject({ status: 'refused', code: 'nothing-in-progress' });
      return;
    }
    if (out.status !== 'deployed') throw new Error(JSON.stringify(out));
    expect(out.release.id).toBe(dead.id);
    expect(sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
    expect(sim.world.colour(t, 'blue').desiredCount).toBe(0);
    expect(await sim.store.getRelease(KEY, dead.id)).toMatchObject({ outcome: 'deployed', step: 'done' });
    const writes = sim.writes().filter((w) => w.at >= since);
    // a revision is registered again only when the runner died before recording one
    const registered = dead.taskDefinitionArn !== undefined;
    expect(writes.filter((w) => w.api === 'ecs:RegisterTaskDefinition')).toHaveLength(registered ? 0 : 1);
    // the idle colour's update is not repeated once its deployment was recorded as started
    const greenUpdates = writes.filter(
      (w) => w.api === 'ecs:UpdateService' && (w.args as { service: string }).service === t.ecsServices.green,
    );
    expect(greenUpdates).toHaveLength(
      ['waiting-healthy', 'shifting', 'baking', 'final-bake'].includes(step) ? 0 : 1,
    );
  });

  test('abort restores blue and scales green down', async () => {
    const sim = await killedAt(step);
    const out = await abortDeploy(deps(sim), { topology: t, owner: NEXT, reason: 'runner died' });
    if (step === 'draining-old') {
      expect(out).toMatchObject({ status: 'refused', code: 'nothing-in-progress' });
      return;
    }
    expect(out).toMatchObject({ status: 'rolled-back', gate: 'aborted' });
    expect(sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
    expect(sim.world.colour(t, 'green').desiredCount).toBe(0);
  });
});

test('a runner whose lease still runs is not continued without --force-unlock (it may be alive)', async () => {
  const sim = createSimulation({ topologies: [t], seed: 5 });
  void deploy(
    { ...sim.deps(new CollectingSink()), store: killAfter(sim, 'baking') },
    {
      topology: t,
      imageTag: 'v1.1.0',
      strategy: 'canary',
      owner: OWNER,
    },
  );
  await sim.killed;
  const snap = await sim.snapshot();
  const next = createSimulation({ topologies: [t], snapshot: snap, seed: 6 });
  await restoreStore(next, snap);
  expect(await continueDeploy(deps(next), { topology: t, owner: NEXT })).toMatchObject({
    status: 'refused',
    code: 'lock-held',
  });
  const forced = await continueDeploy(deps(next), {
    topology: t,
    owner: NEXT,
    forceUnlock: true,
    reason: 'runner vm is gone',
  });
  expect(forced.status).toBe('deployed');
});

test('killed after the idle update but before its next record: continue waits for that ECS deployment, no second update', async () => {
  const sim = createSimulation({ topologies: [t], seed: 5 });
  const d = sim.deps(new CollectingSink());
  const ecs = {
    ...d.ecs,
    updateService: async (...a: Parameters<typeof d.ecs.updateService>) => {
      const res = await d.ecs.updateService(...a);
      if (a[1] === t.ecsServices.green) sim.kill();
      return res;
    },
  };
  void deploy({ ...d, ecs }, { topology: t, imageTag: 'v1.1.0', strategy: 'canary', owner: OWNER });
  await sim.killed;
  const snap = await sim.snapshot();
  const next = createSimulation({ topologies: [t], snapshot: snap, seed: 6 });
  await restoreStore(next, snap);
  await next.clock.sleep(125_000);
  const [dead] = await next.store.listReleases(KEY, 1);
  expect(dead.step).toBe('scaling-idle');
  const since = next.clock.now();
  const out = await continueDeploy(deps(next), { topology: t, owner: NEXT });
  expect(out.status).toBe('deployed');
  const greenUpdates = next
    .writes()
    .filter(
      (w) =>
        w.at >= since &&
        w.api === 'ecs:UpdateService' &&
        (w.args as { service: string }).service === t.ecsServices.green,
    );
  expect(greenUpdates).toEqual([]);
});
