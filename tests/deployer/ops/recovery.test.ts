/**
 * A deployer killed (kill -9: no cleanup) at each step of a deploy, then a new process runs `status`
 * and `rollback`: status explains what was left behind, rollback puts traffic on a healthy colour,
 * marks the dead release failed, and leaves a state a normal deploy proceeds from.
 */
import { deploy } from '../../../services/deployer/src/core/deploy';
import { rollback } from '../../../services/deployer/src/ops/rollback';
import { formatStatusText, serviceStatus } from '../../../services/deployer/src/ops/status';
import type { DeployStep, StorePort } from '../../../services/deployer/src/ports';
import { createSimulation, type Fault, restoreStore } from '../../../services/deployer/src/sim';
import type { ServiceTopology } from '../../../services/topology';
import { type Env, makeEnv, plainTopology, request, writeCount } from './harness';

const key = { environment: 'dev', service: 'api' };
// written for a topology without autoscaling / base revision (ops/autoscaling.test.ts covers those),
// with 120 s bakes pinned here whatever the example files bake (the "rolling-back" case relies on them)
const plain = plainTopology('dev');
const t: ServiceTopology = {
  ...plain,
  deployment: { ...plain.deployment, bakeSeconds: 120, finalBakeSeconds: 120, terminationWaitSeconds: 150 },
};
const ONCALL = { actor: 'bob', host: 'pager', operation: 'rollback' };

/** Store that kills the simulated process right after the release record reaches `step` (before acting on it). */
function killAfterStep(env: Env, step: DeployStep): StorePort {
  const store = env.sim.store;
  const wrap =
    (name: 'putRelease' | 'updateRelease') =>
    async (...args: unknown[]) => {
      const res = await (store[name] as (...a: unknown[]) => Promise<unknown>)(...args);
      const written =
        name === 'putRelease' ? (args[0] as { step: string }).step : (args[2] as { step?: string }).step;
      if (written === step) env.sim.kill();
      return res;
    };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'putRelease' || prop === 'updateRelease') return wrap(prop);
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** Runs a deploy of v1.1.0 that gets killed; returns a new process (simulation) on the state left behind. */
async function killedDeploy(opts: { step?: DeployStep; faults?: Fault[] }) {
  const env = makeEnv([t], { faults: opts.faults });
  const deps = opts.step ? env.deps(t, { store: killAfterStep(env, opts.step) }) : env.deps(t);
  let settled = false;
  void deploy(deps, request(t, 'v1.1.0', { strategy: 'canary' })).then(() => {
    settled = true;
  });
  await env.sim.killed;
  await new Promise((r) => setTimeout(r, 10));
  expect(settled).toBe(false);
  const snap = await env.sim.snapshot();
  const next = createSimulation({ topologies: [t], snapshot: snap });
  await restoreStore(next, snap);
  return makeEnv([t], { sim: next });
}

const steps: {
  step: DeployStep;
  faults?: Fault[];
  weights: { blue: number; green: number };
  greenChanged: boolean;
}[] = [
  { step: 'started', weights: { blue: 100, green: 0 }, greenChanged: false },
  { step: 'task-definition-registered', weights: { blue: 100, green: 0 }, greenChanged: false },
  { step: 'scaling-idle', weights: { blue: 100, green: 0 }, greenChanged: false },
  { step: 'waiting-healthy', weights: { blue: 100, green: 0 }, greenChanged: true },
  { step: 'shifting', weights: { blue: 100, green: 0 }, greenChanged: true },
  { step: 'baking', weights: { blue: 90, green: 10 }, greenChanged: true },
  { step: 'final-bake', weights: { blue: 0, green: 100 }, greenChanged: true },
  {
    step: 'rolling-back',
    faults: [{ name: '5xx-spike', afterSeconds: 90 }],
    // CloudWatch shows the spike 1–2 min late: starting 90 s into the 120 s canary bake, it is caught once
    // traffic is at 100% (at 30 s it was seen in the canary bake's last check or the next, by timing alone)
    weights: { blue: 0, green: 100 },
    greenChanged: true,
  },
];

describe.each(steps)('deployer killed at step "$step"', ({ step, faults, weights, greenChanged }) => {
  test('status explains it; rollback restores blue, marks it failed; the next deploy works', async () => {
    const env = await killedDeploy({ step, faults });
    expect(env.sim.world.trafficWeights(t)).toEqual(weights);
    const [dead] = await env.sim.store.listReleases(key, 1);
    expect(dead).toMatchObject({ outcome: 'in-progress', step, previousColour: 'blue', colour: 'green' });
    expect(env.sim.world.colour(t, 'green').desiredCount).toBe(greenChanged ? 2 : 0);

    // 1. while the dead deployer's lease runs: status says a deploy runs; rollback is refused naming it
    const early = await serviceStatus(env.deps(t), t);
    expect(early.running).toEqual({ releaseId: dead.id, step });
    const before = writeCount(env);
    const refused = await rollback(env.deps(t), { topology: t, reason: 'recover', owner: ONCALL });
    expect(refused).toMatchObject({ status: 'refused', code: 'lock-held' });
    expect(refused.status === 'refused' && refused.reason).toMatch(
      /deploy by alice@laptop.*lease expires in \d+s/,
    );
    expect(writeCount(env)).toBe(before);

    // 2. after the lease expired: status explains the killed deployer
    await env.sim.clock.sleep(125_000);
    const st = await serviceStatus(env.deps(t), t);
    expect(st.dead).toMatchObject({ releaseId: dead.id, step, safeColour: 'blue', safeColourHealthy: true });
    expect(st.dead?.explanation).toContain(`at step "${step}"`);
    expect(st.dead?.explanation).toContain('its deployer died mid-flight');
    expect(st.dead?.explanation).toContain('Last known good colour: blue');
    if (dead.intendedWeights) {
      expect(st.dead?.explanation).toContain(
        `It intended blue ${dead.intendedWeights.blue}% / green ${dead.intendedWeights.green}%`,
      );
    }
    expect(st.warnings.map((w) => w.code)).toContain('killed-deployer');
    expect(st.lastKnownGood?.colour).toBe('blue');
    expect(formatStatusText({ environment: 'dev', generatedAt: 0, services: [st] })).toMatch(
      /WARNING \[killed-deployer\].*switchyard rollback --env dev --service api/,
    );

    // 3. rollback recovers
    const out = await rollback(env.deps(t), { topology: t, reason: 'deployer died', owner: ONCALL });
    if (out.status !== 'rolled-back') throw new Error(JSON.stringify(out));
    expect(out.plan.mode).toBe('restore');
    expect(out.recovered).toEqual([dead.id]);
    expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
    expect(env.sim.world.colour(t, 'blue')).toMatchObject({ desiredCount: 2, running: 2 });
    const healthyBlue = env.sim.world.state.targetGroups[t.targetGroupArns.blue].targets.filter(
      (x) => x.state === 'healthy',
    );
    expect(healthyBlue).toHaveLength(2);
    if (greenChanged) expect(env.sim.world.colour(t, 'green').desiredCount).toBe(0);
    const weightWrites = env.sim
      .writes()
      .filter((w) => w.api === 'elbv2:ModifyRule' && w.at > out.release.startedAt);
    expect(weightWrites).toHaveLength(weights.blue === 100 ? 0 : 1);

    const failed = await env.sim.store.getRelease(key, dead.id);
    expect(failed).toMatchObject({ outcome: 'failed' });
    expect(failed?.reason).toContain(`deployer died at step "${step}"`);
    expect(failed?.reason).toContain(`recovered by ${out.release.id} (bob): deployer died`);
    expect(out.release).toMatchObject({
      kind: 'rollback',
      outcome: 'deployed',
      colour: 'blue',
      step: 'done',
    });
    expect(env.events.ofType('lock.took-over')).toHaveLength(1);
    expect(await env.sim.store.getLock(key)).toBeUndefined();

    // 4. consistent: status has no warnings, and a normal deploy goes through
    const after = await serviceStatus(env.deps(t), t);
    expect(after.warnings).toEqual([]);
    const again = await deploy(env.deps(t), request(t, 'v1.2.0', { strategy: 'all-at-once' }));
    expect(again.status).toBe('deployed');
    expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
  });
});

test('killed right after the first traffic shift (kill fault): recovered at once with --force-unlock', async () => {
  const env = await killedDeploy({ faults: [{ name: 'kill' }] });
  expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 90, green: 10 });
  const out = await rollback(env.deps(t), {
    topology: t,
    reason: 'pager: split traffic',
    owner: ONCALL,
    forceUnlock: true,
  });
  if (out.status !== 'rolled-back') throw new Error(JSON.stringify(out));
  expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
  expect(env.sim.memoryStore.forcedUnlocks[0]).toMatchObject({ by: 'bob', reason: 'pager: split traffic' });
  const st = await serviceStatus(env.deps(t), t);
  expect(st.warnings).toEqual([]);
});

test('a rollback killed after recording but before its weight write is recovered towards its target', async () => {
  // v1.1.0 on green (blue left running), then a rollback (flip to blue) dies before the write
  const env = makeEnv([t]);
  const ac = new AbortController();
  const watching: StorePort = new Proxy(env.sim.store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'updateRelease') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: Parameters<StorePort['updateRelease']>) => {
        const res = await target.updateRelease(...args);
        if (args[2].outcome === 'deployed') ac.abort(new Error('SIGINT'));
        return res;
      };
    },
  });
  await deploy(env.deps(t, { store: watching, signal: ac.signal }), request(t, 'v1.1.0'));
  expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
  const killing: StorePort = new Proxy(env.sim.store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'putRelease') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: Parameters<StorePort['putRelease']>) => {
        await target.putRelease(...args);
        env.sim.kill();
      };
    },
  });
  void rollback(env.deps(t, { store: killing }), { topology: t, reason: 'bad release', owner: ONCALL });
  await env.sim.killed;
  await new Promise((r) => setTimeout(r, 10));
  const snap = await env.sim.snapshot();
  const next = createSimulation({ topologies: [t], snapshot: snap });
  await restoreStore(next, snap);
  const env2 = makeEnv([t], { sim: next });
  await env2.sim.clock.sleep(125_000);
  const st = await serviceStatus(env2.deps(t), t);
  expect(st.dead).toMatchObject({ kind: 'rollback', step: 'rolling-back', safeColour: 'blue' });
  const out = await rollback(env2.deps(t), { topology: t, reason: 'finish the rollback', owner: ONCALL });
  if (out.status !== 'rolled-back') throw new Error(JSON.stringify(out));
  expect(env2.sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
  expect((await serviceStatus(env2.deps(t), t)).warnings).toEqual([]);
});

test('split weights without a dead release (edited by hand): rollback restores the recorded live colour', async () => {
  const env = makeEnv([t]);
  await deploy(env.deps(t), request(t, 'v1.1.0', { strategy: 'all-at-once' }));
  env.sim.world.setRuleWeights(env.sim.clock.now(), t.productionRuleArn, [
    { targetGroupArn: t.targetGroupArns.blue, weight: 50 },
    { targetGroupArn: t.targetGroupArns.green, weight: 50 },
  ]);
  const st = await serviceStatus(env.deps(t), t);
  expect(st.warnings.map((w) => w.code)).toEqual(['split-weights']);
  // blue was scaled to zero after the deploy: refuse to send traffic there; green is the recorded live colour
  const out = await rollback(env.deps(t), { topology: t, reason: 'someone split it', owner: ONCALL });
  if (out.status !== 'rolled-back') throw new Error(JSON.stringify(out));
  expect(out.plan).toMatchObject({ mode: 'restore', colour: 'green', dead: [] });
  expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
});

test('recovery refuses when the last known good colour cannot carry traffic (no writes)', async () => {
  const env = await killedDeploy({ step: 'baking' });
  await env.sim.clock.sleep(125_000);
  // someone scaled blue to zero meanwhile
  await env.deps(t).ecs.updateService(t.cluster, t.ecsServices.blue, { desiredCount: 0 });
  await env.sim.clock.sleep(60_000);
  const before = writeCount(env);
  const out = await rollback(env.deps(t), { topology: t, reason: 'recover', owner: ONCALL });
  expect(out).toMatchObject({ status: 'refused', code: 'unsafe' });
  expect(out.status === 'refused' && out.reason).toMatch(
    /last known good colour blue .* has 0 healthy of 0 running \/ 0 desired tasks; it needs 2 healthy/,
  );
  expect(writeCount(env)).toBe(before);
  expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 90, green: 10 });
});

test('a deploy over a dead release is refused (dead-release, no writes) until the rollback recovered it', async () => {
  const env = await killedDeploy({ step: 'waiting-healthy' });
  await env.sim.clock.sleep(125_000);
  const [dead] = await env.sim.store.listReleases(key, 1);
  const before = writeCount(env);
  const refused = await deploy(env.deps(t), request(t, 'v1.2.0', { strategy: 'all-at-once' }));
  expect(refused).toMatchObject({ status: 'refused', code: 'dead-release' });
  expect(refused.status === 'refused' && refused.reason).toContain(dead.id);
  expect(writeCount(env)).toBe(before);
  const out = await rollback(env.deps(t), { topology: t, reason: 'recover', owner: ONCALL });
  if (out.status !== 'rolled-back') throw new Error(JSON.stringify(out));
  expect(out.plan.mode).toBe('restore');
  const next = await deploy(env.deps(t), request(t, 'v1.2.0', { strategy: 'all-at-once' }));
  expect(next.status).toBe('deployed');
  const st = await serviceStatus(env.deps(t), t);
  expect(st.dead).toBeUndefined();
  expect(st.warnings.filter((w) => w.code === 'stale-in-progress')).toEqual([]);
});

test('with a dead release, --to is refused until the recovery ran (no writes)', async () => {
  const env = await killedDeploy({ step: 'baking' });
  await env.sim.clock.sleep(125_000);
  const before = writeCount(env);
  const out = await rollback(env.deps(t), { topology: t, reason: 'x', owner: ONCALL, to: 'v1.0.0' });
  expect(out).toMatchObject({ status: 'refused', code: 'recover-first' });
  expect(out.status === 'refused' && out.reason).toMatch(
    /still in-progress at step "baking" .* without --to first/,
  );
  expect(writeCount(env)).toBe(before);
});

test('dry run of a recovery explains the plan and writes nothing', async () => {
  const env = await killedDeploy({ step: 'baking' });
  await env.sim.clock.sleep(125_000);
  const before = writeCount(env);
  const out = await rollback(env.deps(t), { topology: t, reason: 'x', owner: ONCALL, dryRun: true });
  expect(out).toMatchObject({
    status: 'dry-run',
    plan: { mode: 'restore', colour: 'blue', needsWrite: true, scaleDown: 'green' },
  });
  expect(env.events.ofType('rollback.plan')[0].message).toMatch(
    /recover dev\/api: release .* died at step "baking" \(intended blue 90% \/ green 10%\); one write puts 100% on blue \(now blue 90% \/ green 10%\), marks .* failed, scales green to 0/,
  );
  expect(writeCount(env)).toBe(before);
});
