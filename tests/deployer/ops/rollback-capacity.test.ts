/** Rollback capacity: a recovery or a flip never puts 100% on fewer healthy tasks than carry the traffic now. */
import { deploy } from '../../../services/deployer/src/core/deploy';
import { rollback } from '../../../services/deployer/src/ops/rollback';
import { createSimulation, restoreStore } from '../../../services/deployer/src/sim';
import { deployLeavingOldRunning, deployOk, makeEnv, plainTopology, request, writeCount } from './harness';

const dev = plainTopology('dev');
const ONCALL = { actor: 'oncall', host: 'pager', operation: 'rollback' } as const;

/** green live (v1.1.0); a deploy of v1.3.0 to blue is killed in its final bake (100% on blue); new process. */
async function deadAtFinalBake() {
  const first = makeEnv([dev]);
  await deployOk(first, dev, 'v1.1.0');
  first.sim.world.pushImage(dev.repositoryUri, dev.repositoryName, 'v1.3.0');
  const deps = first.deps(dev);
  const events = {
    emit: (e: { type: string; data?: unknown }) => {
      if (e.type === 'bake.start' && (e.data as { final?: boolean })?.final) first.sim.kill();
      deps.events.emit(e as never);
    },
  };
  void deploy({ ...deps, events }, request(dev, 'v1.3.0', { strategy: 'all-at-once' }));
  await first.sim.killed;
  const snap = await first.sim.snapshot();
  const next = createSimulation({ topologies: [dev], snapshot: snap });
  await restoreStore(next, snap);
  const env = makeEnv([dev], { sim: next });
  await env.sim.clock.sleep(200_000); // lease expired
  return env;
}

test('recovery refuses (no writes) when the known-good colour was scaled in below what carries the traffic now, with the numbers', async () => {
  const env = await deadAtFinalBake();
  expect(env.sim.world.trafficWeights(dev)).toEqual({ blue: 100, green: 0 });
  // autoscaling (or a person) scaled the idle known-good colour in to 1 task while blue carried 100% on 2
  await env.sim.ecs.updateService(dev.cluster, dev.ecsServices.green, { desiredCount: 1 });
  await env.sim.clock.sleep(120_000);
  await env.sim.ecs.describeService(dev.cluster, dev.ecsServices.green); // the simulated world advances on reads
  expect(env.sim.world.colour(dev, 'green').running).toBe(1);
  const before = writeCount(env);
  const out = await rollback(env.deps(dev), { topology: dev, reason: 'recover', owner: ONCALL });
  expect(out).toMatchObject({ status: 'refused', code: 'unsafe' });
  expect(out.status === 'refused' && out.reason).toMatch(
    /green .* has 1 healthy of 1 running \/ 1 desired tasks; it needs 2 healthy \(the blue colour now carrying traffic runs 2\)/,
  );
  expect(out.status === 'refused' && out.reason).toContain('--desired-count 2');
  expect(writeCount(env)).toBe(before);
  expect(env.sim.world.trafficWeights(dev)).toEqual({ blue: 100, green: 0 });

  // scaled back up and healthy: the recovery proceeds
  await env.sim.ecs.updateService(dev.cluster, dev.ecsServices.green, { desiredCount: 2 });
  await env.sim.clock.sleep(180_000);
  const ok = await rollback(env.deps(dev), { topology: dev, reason: 'recover', owner: ONCALL });
  expect(ok).toMatchObject({ status: 'rolled-back' });
  expect(env.sim.world.trafficWeights(dev)).toEqual({ blue: 0, green: 100 });
});

test('after a rollback the test listener rule reaches the idle colour again', async () => {
  const env = makeEnv([dev]);
  await deployLeavingOldRunning(env, dev, 'v1.1.0'); // green live, blue still running v1.0.0
  // the test rule was left on the colour that now serves (e.g. by hand)
  await env.sim.lb.setRuleTarget(dev.testRuleArn, dev.targetGroupArns.blue);
  const out = await rollback(env.deps(dev), { topology: dev, reason: 'undo', owner: ONCALL });
  expect(out).toMatchObject({ status: 'rolled-back', plan: { mode: 'flip' } });
  expect(env.sim.world.trafficWeights(dev)).toEqual({ blue: 100, green: 0 });
  expect(await env.sim.lb.getRuleWeights(dev.testRuleArn)).toEqual([
    { targetGroupArn: dev.targetGroupArns.green, weight: 1 },
  ]);
});

test('a flip with stickiness on the production rule says sessions move only after the stickiness duration', async () => {
  const env = makeEnv([dev]);
  await deployLeavingOldRunning(env, dev, 'v1.1.0');
  const deps = env.deps(dev);
  const lb = { ...deps.lb, getRuleStickiness: async () => ({ enabled: true, durationSeconds: 600 }) };
  const out = await rollback({ ...deps, lb }, { topology: dev, reason: 'undo', owner: ONCALL });
  expect(out).toMatchObject({ status: 'rolled-back', plan: { mode: 'flip' } });
  expect(env.events.ofType('rollback.stickiness')[0].message).toMatch(
    /stickiness is enabled .* \(600s\): .*pinned to the colour being left keep reaching it for up to 600s/,
  );
});
