import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MetricsPort, PortError } from '../../../services/deployer/src/ports';
import { createSimulation, FakeClock, parseFault } from '../../../services/deployer/src/sim';
import { openSimulation } from '../../../services/deployer/src/sim/state-file';
import { allAlarmNames, type ServiceTopology } from '../../../services/topology';
import { exampleTopology, withoutOptional } from '../core/harness';

const t = exampleTopology();

/** Names of the topology's alarms in ALARM, read through the simulated CloudWatch. */
async function firing(sim: { metrics: MetricsPort }, topology: ServiceTopology): Promise<string[]> {
  const states = await sim.metrics.alarmStates(allAlarmNames(topology.alarms));
  return states.filter((s) => s.state === 'ALARM').map((s) => s.name);
}

describe('FakeClock', () => {
  test('sleep advances virtual time instantly and interleaves concurrent sleepers in time order', async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    const a = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(1000);
        log.push(`a@${clock.now()}`);
      }
    })();
    const b = (async () => {
      await clock.sleep(1500);
      log.push(`b@${clock.now()}`);
    })();
    const started = Date.now();
    await Promise.all([a, b]);
    expect(log).toEqual(['a@1000', 'b@1500', 'a@2000', 'a@3000']);
    expect(Date.now() - started).toBeLessThan(500);
  });

  test('an aborted sleep resolves at once without advancing time', async () => {
    const clock = new FakeClock(0);
    const ac = new AbortController();
    clock.at(200, () => ac.abort());
    await clock.sleep(60_000, ac.signal);
    expect(clock.now()).toBe(200);
  });
});

describe('simulated world', () => {
  test('seeds blue live at 100% with running healthy tasks, green at 0', async () => {
    const sim = createSimulation({ topologies: [t] });
    expect(sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
    const blue = await sim.ecs.describeService(t.cluster, t.ecsServices.blue);
    expect(blue).toMatchObject({ desiredCount: 2, runningCount: 2 });
    expect(blue.deployments[0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'COMPLETED' });
    expect((await sim.lb.describeTargetHealth(t.targetGroupArns.blue)).map((x) => x.state)).toEqual([
      'healthy',
      'healthy',
    ]);
    expect(await sim.lb.describeTargetHealth(t.targetGroupArns.green)).toEqual([]);
    expect(await sim.registry.resolveTag(t.repositoryName, 'v1.1.0')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await sim.registry.resolveTag(t.repositoryName, 'nope')).toBeUndefined();
  });

  test('ECS takes time: new tasks start, register as initial, turn healthy, then the deployment COMPLETES', async () => {
    const sim = createSimulation({ topologies: [t] });
    const live = await sim.ecs.describeService(t.cluster, t.ecsServices.blue);
    const td = await sim.ecs.registerTaskDefinitionFrom(
      live.taskDefinitionArn,
      'api',
      `${t.repositoryUri}@sha256:${'a'.repeat(64)}`,
    );
    const { deploymentId } = await sim.ecs.updateService(t.cluster, t.ecsServices.green, {
      taskDefinitionArn: td.arn,
      desiredCount: 2,
    });
    const seen = new Set<string>();
    let states = '';
    for (let i = 0; i < 120; i++) {
      await sim.clock.sleep(1000);
      const svc = await sim.ecs.describeService(t.cluster, t.ecsServices.green);
      const dep = svc.deployments.find((d) => d.id === deploymentId)!;
      const targets = await sim.lb.describeTargetHealth(t.targetGroupArns.green);
      for (const x of targets) seen.add(x.state);
      states = `${dep.rolloutState}:${dep.runningCount}`;
      if (dep.rolloutState === 'COMPLETED') break;
    }
    expect(states).toBe('COMPLETED:2');
    expect(seen).toEqual(new Set(['initial', 'healthy']));
    expect(sim.clock.now() - sim.world.state.startedAt).toBeGreaterThan(25_000);
  });

  test('register-from copies everything but the named container image; unknown container is invalid', async () => {
    const sim = createSimulation({ topologies: [t] });
    const base = sim.world.colour(t, 'blue').taskDefinitionArn;
    const td = await sim.ecs.registerTaskDefinitionFrom(base, 'api', 'repo@sha256:x');
    expect(td.revision).toBe(2);
    expect(td.containers).toEqual([
      { containerName: 'api', image: 'repo@sha256:x' },
      { containerName: 'log-router', image: expect.stringContaining('fluent-bit') },
    ]);
    await expect(sim.ecs.registerTaskDefinitionFrom(base, 'nope', 'x')).rejects.toMatchObject({
      kind: 'invalid',
    });
  });

  test('ModifyRule with an unknown target group fails and changes nothing; rules read back', async () => {
    const sim = createSimulation({ topologies: [t] });
    await expect(
      sim.lb.setRuleWeights(t.productionRuleArn, [
        { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/ghost/1', weight: 100 },
      ]),
    ).rejects.toBeInstanceOf(PortError);
    expect(await sim.lb.getRuleWeights(t.productionRuleArn)).toEqual([
      { targetGroupArn: t.targetGroupArns.blue, weight: 100 },
      { targetGroupArn: t.targetGroupArns.green, weight: 0 },
    ]);
    expect(sim.writes()).toHaveLength(0);
    await sim.lb.setRuleWeights(t.productionRuleArn, [
      { targetGroupArn: t.targetGroupArns.blue, weight: 70 },
      { targetGroupArn: t.targetGroupArns.green, weight: 30 },
    ]);
    expect(sim.world.trafficWeights(t)).toEqual({ blue: 70, green: 30 });
    expect(sim.writes()).toMatchObject([{ api: 'elbv2:ModifyRule' }]);
    expect(sim.calls()['elbv2:ModifyRule']).toBe(2);
  });

  test('task-crash: the circuit breaker fails the deployment with the stopped reason', async () => {
    const sim = createSimulation({ topologies: [t], faults: [{ name: 'task-crash' }] });
    const base = sim.world.colour(t, 'blue').taskDefinitionArn;
    const td = await sim.ecs.registerTaskDefinitionFrom(base, 'api', 'repo@sha256:bad');
    const { deploymentId } = await sim.ecs.updateService(t.cluster, t.ecsServices.green, {
      taskDefinitionArn: td.arn,
      desiredCount: 2,
    });
    let failed: unknown;
    for (let i = 0; i < 60 && !failed; i++) {
      await sim.clock.sleep(5_000);
      const svc = await sim.ecs.describeService(t.cluster, t.ecsServices.green);
      failed = svc.deployments.find((d) => d.id === deploymentId && d.rolloutState === 'FAILED');
    }
    expect(failed).toMatchObject({ rolloutStateReason: expect.stringContaining('circuit breaker') });
    // ECS rolls the service back to its last completed task definition
    await sim.clock.sleep(120_000);
    expect(sim.world.colour(t, 'green').taskDefinitionArn).toBe(base);
    expect(await sim.ecs.recentStoppedTaskReasons(t.cluster, t.ecsServices.green, 0)).toEqual(
      expect.arrayContaining([expect.stringContaining('Essential container in task exited')]),
    );
  });

  test('throttle: some calls fail with PortError throttled, never more than 3 in a row per API', async () => {
    const sim = createSimulation({ topologies: [t], faults: [{ name: 'throttle' }], seed: 9 });
    let run = 0;
    let maxRun = 0;
    let throttled = 0;
    for (let i = 0; i < 200; i++) {
      try {
        await sim.lb.getRuleWeights(t.productionRuleArn);
        run = 0;
      } catch (e) {
        expect(e).toMatchObject({ kind: 'throttled' });
        throttled++;
        maxRun = Math.max(maxRun, ++run);
      }
    }
    expect(throttled).toBeGreaterThan(30);
    expect(maxRun).toBeLessThanOrEqual(3);
  });

  test('5xx spike and alarm start once the idle colour gets traffic', async () => {
    const sim = createSimulation({
      topologies: [t],
      faults: [parseFault('5xx-spike'), parseFault('alarm@20')],
    });
    await sim.clock.sleep(60_000);
    expect(await firing(sim, t)).toEqual([]);
    // green has no healthy targets: its share becomes ELB 503s, not target 5xx — give it targets first
    sim.world.state.targetGroups[t.targetGroupArns.green].targets.push({
      id: '10.9.9.9',
      port: 8080,
      taskId: 'x',
      state: 'healthy',
    });
    const from = sim.clock.now();
    await sim.lb.setRuleWeights(t.productionRuleArn, [
      { targetGroupArn: t.targetGroupArns.blue, weight: 50 },
      { targetGroupArn: t.targetGroupArns.green, weight: 50 },
    ]);
    await sim.clock.sleep(30_000);
    // CloudWatch has nothing yet: the minute is not over, and its datapoint comes 60–120 s after it ends
    expect(
      await sim.metrics.targetGroupRequests(
        t.loadBalancerArnSuffix,
        t.targetGroupArnSuffixes.green,
        from,
        sim.clock.now(),
      ),
    ).toEqual({ requests: 0, errors5xx: 0 });
    await sim.clock.sleep(210_000);
    const green = await sim.metrics.targetGroupRequests(
      t.loadBalancerArnSuffix,
      t.targetGroupArnSuffixes.green,
      from,
      sim.clock.now(),
    );
    const blue = await sim.metrics.targetGroupRequests(
      t.loadBalancerArnSuffix,
      t.targetGroupArnSuffixes.blue,
      from,
      sim.clock.now(),
    );
    expect(green.errors5xx / green.requests).toBeGreaterThan(0.2);
    expect(blue.errors5xx / blue.requests).toBeLessThan(0.01);
    // the alarm of the colour that got the traffic (green), not blue's
    expect(await firing(sim, t)).toEqual(['switchyard-dev-api-green-5xx-share']);
  });

  test('kill: every later call never settles', async () => {
    const sim = createSimulation({ topologies: [t] });
    sim.kill();
    const p = sim.lb.getRuleWeights(t.productionRuleArn);
    const r = await Promise.race([
      p.then(() => 'settled'),
      new Promise((res) => setTimeout(() => res('pending'), 30)),
    ]);
    expect(r).toBe('pending');
    await expect(sim.killed).resolves.toBeUndefined();
  });
});

describe('state file', () => {
  test('round-trips world, store and time; faults do not carry over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-sim-'));
    try {
      const path = join(dir, 'state.json');
      const a = await openSimulation({ path, faults: [{ name: 'alarm' }] });
      a.sim.addTopology(t);
      await a.sim.lb.setRuleWeights(t.productionRuleArn, [
        { targetGroupArn: t.targetGroupArns.blue, weight: 0 },
        { targetGroupArn: t.targetGroupArns.green, weight: 100 },
      ]);
      await a.sim.store.acquireLock(
        { environment: 'dev', service: 'api' },
        { actor: 'x', host: 'h', operation: 'deploy' },
        60_000,
      );
      await a.sim.clock.sleep(5_000);
      await a.save();
      const b = await openSimulation({ path, followWallClock: false });
      expect(b.sim.clock.now()).toBe(a.sim.clock.now());
      expect(b.sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
      expect((await b.sim.store.getLock({ environment: 'dev', service: 'api' }))?.owner.actor).toBe('x');
      expect(b.sim.world.state.armedAlarms).toEqual([]);
      const c = await openSimulation({ path, wallNow: () => Date.now() + 90_000 });
      expect(c.sim.clock.now()).toBeGreaterThanOrEqual(a.sim.clock.now() + 90_000);
      const fresh = await openSimulation({ path, reset: true });
      expect(fresh.sim.topologies).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Application Auto Scaling in the sim', () => {
  const plain = withoutOptional(t);
  const scaled = {
    ...plain,
    autoscaling: {
      minCapacity: 2,
      maxCapacity: 4,
      resourceIds: { blue: 'service/switchyard-dev/api-blue', green: 'service/switchyard-dev/api-green' },
    },
  };

  test('a resumed world whose topology gained autoscaling gets the scalable targets Terraform would add', async () => {
    const first = createSimulation({ topologies: [plain] });
    expect(first.world.scalableTarget(scaled.autoscaling.resourceIds.blue)).toBeUndefined();
    const resumed = createSimulation({ topologies: [], snapshot: await first.snapshot() });
    resumed.addTopology(plain);
    resumed.addTopology(scaled); // same service, now with autoscaling
    expect(await resumed.scaling.describeCapacity(scaled.autoscaling.resourceIds.blue)).toEqual({
      resourceId: scaled.autoscaling.resourceIds.blue,
      min: 2,
      max: 4,
    });
    expect(await resumed.scaling.describeCapacity(scaled.autoscaling.resourceIds.green)).toMatchObject({
      min: 0,
    });
  });

  test('RegisterScalableTarget validates like AWS and is logged as a write', async () => {
    const sim = createSimulation({ topologies: [scaled] });
    await expect(sim.scaling.setCapacityRange('service/switchyard-dev/nope', 0, 1)).rejects.toMatchObject({
      kind: 'invalid',
    });
    await expect(
      sim.scaling.setCapacityRange(scaled.autoscaling.resourceIds.green, 3, 2),
    ).rejects.toMatchObject({
      kind: 'invalid',
    });
    await sim.scaling.setCapacityRange(scaled.autoscaling.resourceIds.green, 1, 4);
    expect(sim.writes().map((w) => w.api)).toEqual(['application-autoscaling:RegisterScalableTarget']);
  });

  test('DescribeAlarms with a name that matches no alarm is an error, like the AWS adapter', async () => {
    const sim = createSimulation({ topologies: [t] });
    await expect(sim.metrics.alarmStates([...allAlarmNames(t.alarms), 'nope'])).rejects.toMatchObject({
      kind: 'not-found',
      message: expect.stringContaining('not found: nope'),
    });
  });
});

describe('faults on a resumed world', () => {
  test('--fault alarm fires afterSeconds after the NEW traffic of this run, not at once because the colour served before', async () => {
    const plain = withoutOptional(t);
    const first = createSimulation({ topologies: [plain] });
    // an earlier deploy: green served, then back to blue (green has a traffic history)
    await first.lb.setRuleWeights(plain.productionRuleArn, [
      { targetGroupArn: plain.targetGroupArns.blue, weight: 0 },
      { targetGroupArn: plain.targetGroupArns.green, weight: 100 },
    ]);
    await first.clock.sleep(60_000);
    await first.lb.setRuleWeights(plain.productionRuleArn, [
      { targetGroupArn: plain.targetGroupArns.blue, weight: 100 },
      { targetGroupArn: plain.targetGroupArns.green, weight: 0 },
    ]);
    await first.clock.sleep(600_000);
    const snap = await first.snapshot();
    const resumed = createSimulation({
      topologies: [plain],
      snapshot: snap,
      faults: [{ name: 'alarm', afterSeconds: 60 }],
    });
    await resumed.clock.sleep(120_000);
    expect(await firing(resumed, plain)).toEqual([]); // not armed by old traffic
    await resumed.lb.setRuleWeights(plain.productionRuleArn, [
      { targetGroupArn: plain.targetGroupArns.blue, weight: 90 },
      { targetGroupArn: plain.targetGroupArns.green, weight: 10 },
    ]);
    await resumed.clock.sleep(30_000);
    expect(await firing(resumed, plain)).toEqual([]);
    await resumed.clock.sleep(31_000);
    expect(await firing(resumed, plain)).toEqual(['switchyard-dev-api-green-5xx-share']);
  });
});
