/**
 * The automatic restore (issue 9 items 2, 3, 4): the live colour's floor is held for the whole deploy;
 * the restore verifies capacity (scales up first), is retried through network failures until a deadline
 * measured in minutes, is read back, and an unconfirmed restore exits 1 with the weights it saw — never
 * scaling the failed colour down. A confirmed restore waits RESTORE_SETTLE_MS before the scale-down.
 */
import { DeployError, deploy } from '../../../services/deployer/src/core/deploy';
import { RESTORE_SETTLE_MS } from '../../../services/deployer/src/core/settings';
import {
  type LoadBalancerPort,
  PortError,
  type StorePort,
  type WeightedTarget,
} from '../../../services/deployer/src/ports';
import { SCALE_IN_AFTER_MS } from '../../../services/deployer/src/sim';
import type { Colour, ServiceTopology } from '../../../services/topology';
import { exampleTopology, scenario } from './harness';

const BLUE = 'service/switchyard-dev/api-blue';
const GREEN = 'service/switchyard-dev/api-green';
const key = { environment: 'dev', service: 'api' };

const withAutoscaling = (): ServiceTopology => ({
  ...exampleTopology(),
  autoscaling: { minCapacity: 2, maxCapacity: 6, resourceIds: { blue: BLUE, green: GREEN } },
});

/** Blue (live) autoscaled to `n` tasks above its floor of 2, all healthy. */
function liveAt(s: ReturnType<typeof scenario>, n: number) {
  const svc = s.sim.world.service(s.topology.cluster, s.topology.ecsServices.blue);
  svc.desiredCount = n;
  svc.deployments[0].desiredCount = n;
  s.sim.world.advanceTo(s.sim.clock.now());
}

/** Production-rule writes with, for each, the healthy non-draining targets of the colour given 100%. */
function watchedLb(s: ReturnType<typeof scenario>, log: { weights: number[]; healthy?: number }[]) {
  const lb = s.sim.portsFor(s.topology).lb;
  const t = s.topology;
  return {
    ...lb,
    setRuleWeights: async (ruleArn: string, weights: readonly WeightedTarget[]) => {
      if (ruleArn === t.productionRuleArn) {
        s.sim.world.advanceTo(s.sim.clock.now());
        const full = weights.find((w) => w.weight === 100);
        const colour: Colour | undefined = full
          ? full.targetGroupArn === t.targetGroupArns.blue
            ? 'blue'
            : 'green'
          : undefined;
        const healthy = colour
          ? s.sim.world.state.targetGroups[t.targetGroupArns[colour]].targets.filter(
              (x) => x.state === 'healthy',
            ).length
          : undefined;
        log.push({ weights: weights.map((w) => w.weight), ...(healthy !== undefined ? { healthy } : {}) });
      }
      return lb.setRuleWeights(ruleArn, weights);
    },
  } satisfies LoadBalancerPort;
}

// linear 25% steps with 20-minute bakes: from the 75% step on, blue's 4 tasks share 5 req/s — below the
// sim's target-tracking threshold — for longer than SCALE_IN_AFTER_MS; the spike is caught at 100%
const LONG = {
  strategy: 'linear' as const,
  settings: { linearStepPercent: 25, bakeSeconds: 1_200, finalBakeSeconds: 1_200 },
};
const LATE_SPIKE = { name: '5xx-spike' as const, afterSeconds: 3_700, errorRatio: 0.5 };

describe('item 2: the live colour keeps its capacity', () => {
  test("managed: the live colour's floor is held at its pre-deploy count for the whole deploy; the restore lands on all of it", async () => {
    expect(SCALE_IN_AFTER_MS).toBeLessThan(1_200_000);
    const s = scenario({ topology: withAutoscaling(), faults: [LATE_SPIKE] });
    liveAt(s, 4);
    const log: { weights: number[]; healthy?: number }[] = [];
    const out = await deploy({ ...s.sim.deps(s.events), lb: watchedLb(s, log) }, s.request(LONG));
    expect(out).toMatchObject({ status: 'rolled-back', gate: '5xx' });
    expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 100, green: 0 });
    // target tracking never touched blue: its floor was 4 from before the first shift
    expect((s.sim.world.state.scalingActivities ?? []).filter((a) => a.resourceId === BLUE)).toEqual([]);
    expect(log.at(-1)).toEqual({ weights: [100, 0], healthy: 4 });
    expect(s.events.ofType('scaling.range')[0].message).toMatch(
      /^blue: autoscaling range 4\.\.6 — floor held at its count before the deploy/,
    );
    // after the restore, blue gets its live range back
    expect(s.sim.world.scalableTarget(BLUE)).toMatchObject({ min: 2, max: 6 });
    const [rec] = await s.sim.store.listReleases(key, 1);
    expect(rec.intendedCapacity?.blue).toEqual({ min: 4, max: 6 }); // the held floor was on record
  }, 30_000);

  test('the live colour lost tasks meanwhile (an outside scale-in): the restore scales it back up first, then flips', async () => {
    const s = scenario({ topology: withAutoscaling(), faults: [{ name: '5xx-spike', afterSeconds: 5 }] });
    liveAt(s, 4);
    // a minute in, something outside switchyard lowers blue's floor and scales it to 2 tasks
    s.sim.clock.at(s.sim.clock.now() + 60_000, () => {
      s.sim.world.registerScalableTarget(BLUE, 2, 6);
      const svc = s.sim.world.service(s.topology.cluster, s.topology.ecsServices.blue);
      svc.desiredCount = 2;
      svc.deployments[0].desiredCount = 2;
    });
    const log: { weights: number[]; healthy?: number }[] = [];
    const out = await deploy({ ...s.sim.deps(s.events), lb: watchedLb(s, log) }, s.request());
    expect(out).toMatchObject({ status: 'rolled-back', gate: '5xx' });
    // the restore raised blue's floor and desired count back to the pre-deploy 4 and wrote 100% only
    // once 4 targets were healthy
    const writes = s.sim.writes().map((w) => `${w.api} ${JSON.stringify(w.args)}`);
    const floor = writes.findIndex(
      (w) => w.includes('RegisterScalableTarget') && w.includes(`"${BLUE}","min":4`),
    );
    const scaleUp = writes.findIndex(
      (w) => w.includes('ecs:UpdateService') && w.includes('"service":"api-blue","desiredCount":4'),
    );
    const flip =
      writes.length -
      1 -
      [...writes].reverse().findIndex((w) => w.includes('ModifyRule') && w.includes('"weight":100'));
    expect(floor).toBeGreaterThan(0);
    expect(scaleUp).toBeGreaterThan(floor);
    expect(flip).toBeGreaterThan(scaleUp);
    expect(log.at(-1)).toEqual({ weights: [100, 0], healthy: 4 });
    expect(s.events.ofType('restore.capacity')[0].message).toMatch(
      /^blue has 2 healthy target\(s\) \(desired 2\); it needs 4 \(the live count before the deploy\) to take all traffic: scaling it up first/,
    );
  });
});

/** An lb whose production-rule writes fail with a network error while `down()` says so. */
function flakyLb(s: ReturnType<typeof scenario>, down: () => boolean): LoadBalancerPort {
  const lb = s.sim.portsFor(s.topology).lb;
  const fail = (api: string) => new PortError('unavailable', `${api}: connect EHOSTUNREACH 10.0.0.1:443`);
  return {
    ...lb,
    setRuleWeights: async (arn, w) => {
      if (down()) throw fail('ModifyRule');
      return lb.setRuleWeights(arn, w);
    },
    getRuleWeights: async (arn) => {
      if (down()) throw fail('DescribeRules');
      return lb.getRuleWeights(arn);
    },
  };
}

/** The store, calling `then` once the deploy has recorded that it starts restoring (step rolling-back). */
function onRollingBack(store: StorePort, then: () => unknown): StorePort {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'updateRelease') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: Parameters<StorePort['updateRelease']>) => {
        const res = await store.updateRelease(...args);
        if (args[2].step === 'rolling-back') then();
        return res;
      };
    },
  });
}

describe('item 4: the restoring write survives network failures until a deadline in minutes', () => {
  test('30 s of network failure from the moment of the restore: retried with one line per attempt, restored, confirmed', async () => {
    const s = scenario({ faults: [{ name: '5xx-spike', afterSeconds: 5 }] });
    let from: number | undefined;
    const deps = s.sim.deps(s.events);
    const lb = flakyLb(s, () => from !== undefined && s.sim.clock.now() < from + 30_000);
    const store = onRollingBack(deps.store, () => (from ??= s.sim.clock.now()));
    const out = await deploy({ ...deps, lb, store }, s.request());
    expect(out.status).toBe('rolled-back');
    if (out.status !== 'rolled-back') return;
    expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 100, green: 0 });
    expect(out.restoredAt! - from!).toBeGreaterThanOrEqual(30_000);
    expect(out.restoredAt! - from!).toBeLessThan(36_000); // the backoff is capped at 5 s
    expect(out.confirmedAt).toBeGreaterThanOrEqual(out.restoredAt!);
    const retries = s.events.ofType('restore.retry');
    expect(retries.length).toBeGreaterThanOrEqual(8);
    expect(retries[0].message).toMatch(
      /^restoring write \(elbv2:ModifyRule\): attempt 1 failed \(ModifyRule: connect EHOSTUNREACH 10\.0\.0\.1:443\); retrying in 50 ms and a lock check, giving up in 300 s$/,
    );
    expect(retries.map((e) => e.data?.attempt)).toEqual(retries.map((_, i) => i + 1));
    expect(s.sim.world.colour(s.topology, 'green').desiredCount).toBe(0);
  });

  test('past the deadline (restoreDeadlineSeconds 60, the network stays down): exit 1 naming the attempts, nothing scaled down', async () => {
    const s = scenario({ faults: [{ name: '5xx-spike', afterSeconds: 5 }] });
    let down = false;
    const deps = s.sim.deps(s.events);
    const lb = flakyLb(s, () => down);
    const store = onRollingBack(deps.store, () => (down = true));
    const err = await deploy(
      { ...deps, lb, store },
      s.request({ settings: { restoreDeadlineSeconds: 60 } }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    expect((err as Error).message).toMatch(
      /could not restore traffic to blue .*restoring write \(elbv2:ModifyRule\): gave up after \d+ attempt\(s\) over 60s: ModifyRule: connect EHOSTUNREACH.*nothing was scaled down/,
    );
    // traffic as the failure left it (the canary step), green still running
    expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 90, green: 10 });
    expect(s.sim.world.colour(s.topology, 'green').desiredCount).toBe(2);
    const [rec] = await s.sim.store.listReleases(key, 1);
    expect(rec).toMatchObject({ outcome: 'failed' });
  });

  test('a lock taken over while the restore retries: the next retry stops (lock lost), no late write', async () => {
    const s = scenario({ faults: [{ name: '5xx-spike', afterSeconds: 5 }] });
    let down = false;
    const deps = s.sim.deps(s.events);
    const lb = flakyLb(s, () => down);
    const store = onRollingBack(deps.store, () => {
      down = true;
      // 10 s into the outage another operator force-unlocks and takes over
      s.sim.clock.at(s.sim.clock.now() + 10_000, () => {
        void s.sim.memoryStore.forceUnlock(key, 'oncall', 'taking over');
      });
    });
    const err = await deploy({ ...deps, lb, store }, s.request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    expect((err as Error).message).toMatch(/^lock lost; the new holder owns recovery/);
    expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 90, green: 10 });
    const retries = s.events.ofType('restore.retry');
    expect(retries.at(-1)!.at - retries[0].at).toBeLessThan(15_000); // stopped soon after the takeover
  });

  test('the simulated "outage" fault (every AWS call down 30 s from the restore) still restores', async () => {
    const s = scenario({ faults: [{ name: '5xx-spike', afterSeconds: 5 }, { name: 'outage' }] });
    const out = await deploy(s.sim.deps(s.events), s.request());
    expect(out.status).toBe('rolled-back');
    expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 100, green: 0 });
    const failures = Object.entries(s.sim.calls()).filter(([api]) => api.startsWith('network-failure:'));
    expect(failures.reduce((n, [, c]) => n + c, 0)).toBeGreaterThanOrEqual(3);
    const started = s.events.ofType('restore.retry')[0].at;
    expect(out.status === 'rolled-back' && out.restoredAt! - started).toBeGreaterThanOrEqual(29_000);
  });
});

describe('item 3: an unconfirmed restore is not a clean rollback', () => {
  test('the read back differs: exit 1 with the observed weights; the failed colour is NOT scaled down', async () => {
    const s = scenario({ faults: [{ name: '5xx-spike', afterSeconds: 5 }] });
    const deps = s.sim.deps(s.events);
    const t = s.topology;
    // another writer (or a lost write) leaves the rule split right after the restoring write
    const lb: LoadBalancerPort = {
      ...deps.lb,
      setRuleWeights: async (arn, w) => {
        await deps.lb.setRuleWeights(arn, w);
        if (arn === t.productionRuleArn && w[0].weight === 100)
          await s.sim.lb.setRuleWeights(arn, [
            { targetGroupArn: t.targetGroupArns.blue, weight: 50 },
            { targetGroupArn: t.targetGroupArns.green, weight: 50 },
          ]);
      },
    };
    const err = await deploy({ ...deps, lb }, s.request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    expect((err as Error).message).toMatch(
      /could not restore traffic to blue .*the production rule reads blue 50 \/ green 50 after the restoring write of 100% on blue \(read 3 times\) \(observed: blue 50 \/ green 50\)\. Traffic may be split; nothing was scaled down/,
    );
    expect(s.sim.world.colour(t, 'green').desiredCount).toBe(2);
    expect(s.events.ofType('rollback.scaled-down')).toEqual([]);
    expect(s.events.ofType('rollback.failed')[0].data).toEqual({ observed: { blue: 50, green: 50 } });
    const [rec] = await s.sim.store.listReleases(key, 1);
    expect(rec.outcome).toBe('failed');
  });

  test('a confirmed restore waits the settle time before the failed colour is scaled down', async () => {
    const s = scenario({ faults: [{ name: '5xx-spike', afterSeconds: 5 }] });
    const out = await deploy(s.sim.deps(s.events), s.request());
    expect(out).toMatchObject({ status: 'rolled-back', failedColourScaledDown: true });
    if (out.status !== 'rolled-back') return;
    const scaleDown = s.sim
      .writes()
      .find(
        (w) =>
          w.api === 'ecs:UpdateService' &&
          (w.args as { service: string; desiredCount: number }).service === 'api-green' &&
          (w.args as { desiredCount: number }).desiredCount === 0,
      )!;
    expect(scaleDown.at - out.confirmedAt!).toBeGreaterThanOrEqual(RESTORE_SETTLE_MS);
    expect(s.events.ofType('rollback.settle')[0].message).toMatch(/^waiting 15s for the rule change/);
  });
});
