/**
 * Rollback during an incident (issue 9 item 1): the live release is bad and its alarms fire. A rollback
 * by redeploy must never move traffic back onto the release it rolls back from: the new colour is judged
 * on its own alarms and the shared ones, not on the bad colour's; a shared alarm already firing (the
 * incident) fails the rollback only if it goes to ALARM again after the rollback started.
 */
import { ExitCode } from '../../../services/deployer/src/exit-codes';
import { rollback, rollbackExitCode } from '../../../services/deployer/src/ops/rollback';
import { serviceStatus } from '../../../services/deployer/src/ops/status';
import { createSimulation, restoreStore } from '../../../services/deployer/src/sim';
import { deployOk, makeEnv, topology } from './harness';

const ONCALL = { actor: 'bob', host: 'pager', operation: 'rollback' };
const BLUE_5XX = 'switchyard-dev-api-blue-5xx-share';
const SHARED = 'switchyard-dev-alb-5xx';

/** v1.1.0 on green, then v1.2.0 (the bad one) on blue with green scaled to 0: a rollback must redeploy. */
async function badReleaseLive() {
  const t = topology('dev');
  const env = makeEnv([t]);
  await deployOk(env, t, 'v1.1.0');
  await deployOk(env, t, 'v1.2.0');
  expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
  expect(env.sim.world.colour(t, 'green').desiredCount).toBe(0);
  return { t, env };
}

test("the reviewer's case: the bad live colour's alarm fires; rollback by redeploy ends on the good release (exit 0)", async () => {
  const { t, env } = await badReleaseLive();
  env.sim.world.state.alarms[BLUE_5XX] = { state: 'ALARM', since: env.sim.clock.now() };
  const before = env.sim.world.state.weightHistory.length;
  const out = await rollback(env.deps(t), { topology: t, reason: 'incident', owner: ONCALL });
  expect(out.status).toBe('rolled-back');
  expect(rollbackExitCode(out)).toBe(ExitCode.Ok);
  expect(out.status === 'rolled-back' && out.plan.mode).toBe('redeploy');
  expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
  expect(env.sim.world.colour(t, 'green').image).toContain(
    env.sim.world.state.images[Object.keys(env.sim.world.state.images)[0]].tags['v1.1.0'],
  );
  // once traffic started moving to green, no production write put it back on blue
  const prod = env.sim.world.state.weightHistory
    .slice(before)
    .filter((h) => h.ruleArn === t.productionRuleArn)
    .map((h) => h.weights.find((w) => w.targetGroupArn === t.targetGroupArns.green)!.weight);
  expect(prod.length).toBeGreaterThan(0);
  expect(prod.slice(prod.findIndex((g) => g > 0))).not.toContain(0);
});

test('a shared alarm already in ALARM when the rollback starts does not fail it (it is the incident)', async () => {
  const { t, env } = await badReleaseLive();
  for (const a of [BLUE_5XX, SHARED])
    env.sim.world.state.alarms[a] = { state: 'ALARM', since: env.sim.clock.now() };
  const out = await rollback(env.deps(t), { topology: t, reason: 'incident', owner: ONCALL });
  expect(out.status).toBe('rolled-back');
  expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
  expect(
    env.events
      .ofType('alarm.firing')
      .map((e) => e.message)
      .join('\n'),
  ).toContain(`alarm ${SHARED} is in ALARM before the rollback started; continuing`);
});

test('with --simulate\'s "incident" fault (state saved and resumed like the CLI does)', async () => {
  const { t, env } = await badReleaseLive();
  const snap = await env.sim.snapshot();
  const sim = createSimulation({ topologies: [t], snapshot: snap, faults: [{ name: 'incident' }] });
  await restoreStore(sim, snap);
  const states = await sim.metrics.alarmStates([BLUE_5XX, SHARED]);
  expect(states.map((s) => s.state)).toEqual(['ALARM', 'ALARM']);
  const out = await rollback(
    { ...sim.deps(env.events), signal: new AbortController().signal },
    { topology: t, reason: 'incident', owner: ONCALL },
  );
  expect(out.status).toBe('rolled-back');
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
  // the incident's alarms clear once the bad colour carries no traffic
  await sim.clock.sleep(200_000);
  expect((await sim.metrics.alarmStates([BLUE_5XX, SHARED])).map((s) => s.state)).toEqual(['OK', 'OK']);
});

describe('a rollback by redeploy whose target fails a gate after traffic moved', () => {
  test.each(['all-at-once', 'canary'] as const)(
    '%s: traffic stays on the rollback target, never back on the release rolled back from (exit 3)',
    async (strategy) => {
      const { t, env } = await badReleaseLive();
      env.sim.world.state.alarms[BLUE_5XX] = { state: 'ALARM', since: env.sim.clock.now() };
      // green's own alarm fires 30 s after it gets traffic: the rollback target has a problem too
      env.sim.world.armFault(t, { name: 'alarm', afterSeconds: 30 });
      const [bad] = await env.sim.store.listReleases({ environment: 'dev', service: 'api' }, 1);
      const out = await rollback(env.deps(t), { topology: t, reason: 'incident', owner: ONCALL, strategy });
      expect(out.status).toBe('gates-failed');
      expect(rollbackExitCode(out)).toBe(ExitCode.RolledBack);
      if (out.status !== 'gates-failed' || out.deploy.status !== 'rolled-back') throw new Error(out.status);
      expect(out.deploy.gate).toBe('alarm');
      expect(out.deploy.restoredColour).toBe('green');
      expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
      // both keep running: nothing is scaled down, the operator decides
      expect(env.sim.world.colour(t, 'blue').desiredCount).toBe(2);
      expect(env.sim.world.colour(t, 'green').desiredCount).toBe(2);
      expect(env.events.ofType('rollback.kept-target')[0].message).toContain(
        'blue (the release this rollback moves away from) was not put back: traffic stays on green',
      );
      // the release rolled back from is no longer known good; status agrees traffic belongs on green
      const releases = await env.sim.store.listReleases({ environment: 'dev', service: 'api' }, 5);
      expect(releases.find((r) => r.id === bad.id)?.outcome).toBe('rolled-back');
      const st = await serviceStatus(env.deps(t), t);
      expect(st.warnings.filter((w) => w.code === 'weights-drift')).toEqual([]);
    },
  );

  test('a target that fails before any traffic moved leaves traffic where it was (nothing is moved back either)', async () => {
    const { t, env } = await badReleaseLive();
    env.sim.world.armFault(t, { name: 'task-crash' });
    const before = env.sim.world.state.weightHistory.length;
    const out = await rollback(env.deps(t), { topology: t, reason: 'incident', owner: ONCALL });
    expect(out.status).toBe('gates-failed');
    expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
    expect(
      env.sim.world.state.weightHistory.slice(before).filter((h) => h.ruleArn === t.productionRuleArn),
    ).toEqual([]);
  });
});
