import { exitCodeOf, outcomeResult } from '../../../services/deployer/src/cli/present';
import { deploy } from '../../../services/deployer/src/core/deploy';
import { ExitCode } from '../../../services/deployer/src/exit-codes';
import { scenario } from './harness';

const key = { environment: 'dev', service: 'api' };

async function expectRefused(
  s: ReturnType<typeof scenario>,
  over: Parameters<ReturnType<typeof scenario>['request']>[0],
  code: string,
  message: RegExp,
) {
  const storeWritesBefore = s.sim.memoryStore.writes;
  const out = await deploy(s.sim.deps(s.events), s.request(over));
  expect(out).toMatchObject({ status: 'refused', code });
  expect(out.status === 'refused' && out.reason).toMatch(message);
  expect(s.sim.writes()).toHaveLength(0); // no ECS/ELB write
  expect(await s.sim.store.listReleases(key, 5)).toHaveLength(0); // no release recorded
  expect(await s.sim.store.getLock(key)).toBeUndefined();
  expect(s.sim.memoryStore.writes).toBe(storeWritesBefore); // not even the lock
}

test.each(['latest', 'LATEST', 'stable', 'main'])(
  'mutable tag %s is refused before taking the lock',
  async (tag) => {
    const s = scenario();
    await expectRefused(
      s,
      { imageTag: tag },
      'mutable-tag',
      new RegExp(`refusing mutable tag "${tag}".*immutable tag`),
    );
    expect(s.sim.memoryStore.writes).toBe(0);
    expect(s.sim.calls()).toEqual({});
  },
);

test('a tag that does not resolve is refused', async () => {
  const s = scenario();
  await expectRefused(
    s,
    { imageTag: 'v9.9.9' },
    'unresolvable-tag',
    /tag "v9.9.9" does not exist in 111111111111.dkr.ecr.eu-west-1.amazonaws.com\/switchyard\/api; push it first/,
  );
});

test('an invalid tag is refused', async () => {
  const s = scenario();
  await expectRefused(s, { imageTag: 'has space' }, 'invalid-request', /not a valid image tag/);
});

test('a pinned digest the registry does not hold is refused', async () => {
  const s = scenario();
  await expectRefused(
    s,
    { imageDigest: `sha256:${'0'.repeat(64)}` },
    'digest-not-found',
    /does not hold image sha256:0+/,
  );
});

test('split weights are refused with how to recover', async () => {
  const s = scenario();
  const t = s.topology;
  s.sim.world.state.rules[t.productionRuleArn] = [
    { targetGroupArn: t.targetGroupArns.blue, weight: 60 },
    { targetGroupArn: t.targetGroupArns.green, weight: 40 },
  ];
  await expectRefused(
    s,
    {},
    'split-weights',
    /split \(blue 60% \/ green 40%\).*switchyard rollback --env dev --service api/,
  );
});

test('weights on a target group the topology does not know are refused', async () => {
  const s = scenario();
  const t = s.topology;
  s.sim.world.state.targetGroups['arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/other/1'] =
    {
      ...s.sim.world.state.targetGroups[t.targetGroupArns.blue],
      arn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/other/1',
    };
  s.sim.world.state.rules[t.productionRuleArn] = [
    {
      targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/other/1',
      weight: 100,
    },
    { targetGroupArn: t.targetGroupArns.green, weight: 0 },
  ];
  await expectRefused(
    s,
    {},
    'unknown-target',
    /does not know: .*targetgroup\/other\/1 \(weight 100\).*re-apply the environment/,
  );
});

test('a topology naming a service that does not exist is refused', async () => {
  const s = scenario();
  const t = { ...s.topology, ecsServices: { blue: 'nope-blue', green: 'nope-green' } };
  const out = await deploy(s.sim.deps(s.events), { ...s.request(), topology: t });
  expect(out).toMatchObject({ status: 'refused', code: 'not-found' });
  expect(out.status === 'refused' && out.reason).toMatch(
    /service nope-blue not found in cluster switchyard-dev/,
  );
  expect(s.sim.writes()).toHaveLength(0);
});

test('redeploying the image that is live and healthy is a success with nothing to do (CI reruns stay green)', async () => {
  const s = scenario();
  const out = await deploy(s.sim.deps(s.events), s.request({ imageTag: 'v1.0.0' }));
  expect(out).toMatchObject({ status: 'up-to-date', liveColour: 'blue', healthyTargets: 2, desiredCount: 2 });
  expect(out.status === 'up-to-date' && out.reason).toMatch(
    /^dev\/api already serves sha256:[0-9a-f]+ \(v1.0.0\) on blue, 2\/2 targets healthy: nothing to do$/,
  );
  expect(exitCodeOf(out)).toBe(ExitCode.Ok);
  expect(outcomeResult('deploy', 'dev/api', out).headline).toMatch(
    /^nothing to do: dev\/api already serves v1\.0\.0 \(sha256:[0-9a-f]{12}…\) on blue, 2\/2 healthy$/,
  );
  // nothing written: not even the lock
  expect(s.sim.writes()).toHaveLength(0);
  expect(s.sim.memoryStore.writes).toBe(0);
});

test('the live image on an unhealthy live colour: refused, saying a redeploy would not help', async () => {
  const s = scenario();
  s.sim.world.state.targetGroups[s.topology.targetGroupArns.blue].targets[0].state = 'unhealthy';
  await expectRefused(
    s,
    { imageTag: 'v1.0.0' },
    'nothing-to-do',
    /already serves sha256:[0-9a-f]+ \(v1.0.0\) on blue, but only 1 of its 2 targets are healthy; deploying the same image again would not change that/,
  );
});

test('invalid setting overrides are refused', async () => {
  const s = scenario();
  await expectRefused(s, { settings: { canaryPercent: 150 } }, 'invalid-request', /canaryPercent/);
});

test('a held lock refuses the second deploy and it changes nothing', async () => {
  const s = scenario();
  await s.sim.store.acquireLock(
    key,
    { actor: 'alice', host: 'ci', operation: 'deploy', runUrl: 'https://github.com/o/r/actions/runs/1' },
    60_000,
  );
  const out = await deploy(s.sim.deps(s.events), s.request());
  expect(out).toMatchObject({ status: 'refused', code: 'lock-held' });
  expect(out.status === 'refused' && out.reason).toMatch(
    /deploy by alice@ci \(https:\/\/github.com\/o\/r\/actions\/runs\/1\)/,
  );
  expect(s.sim.writes()).toHaveLength(0);
  expect(await s.sim.store.listReleases(key, 5)).toHaveLength(0);
  expect((await s.sim.store.getLock(key))?.owner.actor).toBe('alice');
});

test('--force-unlock with a reason takes over and is recorded', async () => {
  const s = scenario();
  await s.sim.store.acquireLock(key, { actor: 'alice', host: 'ci', operation: 'deploy' }, 600_000);
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'all-at-once' }), {
    forceUnlock: { reason: 'runner died' },
  });
  expect(out.status).toBe('deployed');
  expect(s.sim.memoryStore.forcedUnlocks).toMatchObject([
    { by: 'tester', reason: 'runner died', removed: { owner: { actor: 'alice' } } },
  ]);
});

test('dry run prints the plan and changes nothing', async () => {
  const s = scenario();
  const out = await deploy(s.sim.deps(s.events), s.request({ dryRun: true, strategy: 'linear' }));
  expect(out.status).toBe('dry-run');
  if (out.status !== 'dry-run') return;
  expect(out.plan).toMatchObject({
    liveColour: 'blue',
    idleColour: 'green',
    strategy: 'linear',
    desiredCount: 2,
  });
  expect(out.plan.steps.map((x) => x.percent)).toEqual([25, 50, 75, 100]);
  expect(out.plan.taskDefinition.imageFrom).not.toBe(out.plan.taskDefinition.imageTo);
  expect(s.sim.writes()).toHaveLength(0);
  expect(s.sim.memoryStore.writes).toBe(0);
});
