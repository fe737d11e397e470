import {
  environmentStatus,
  formatStatusText,
  serviceStatus,
} from '../../../services/deployer/src/ops/status';
import { deploy } from '../../../services/deployer/src/core/deploy';
import { createSimulation, restoreStore } from '../../../services/deployer/src/sim';
import {
  deployLeavingOldRunning,
  deployOk,
  makeEnv,
  OWNER as OWNER_T,
  otherService,
  topology,
  writeCount,
} from './harness';

const dev = topology('dev');
const key = { environment: 'dev', service: 'api' };

test('fresh service: colours, weights, free lock, no releases, no warnings', async () => {
  const env = makeEnv([dev]);
  const st = await serviceStatus(env.deps(dev), dev);
  expect(st.live).toEqual({ status: 'ok', liveColour: 'blue', weights: { blue: 100, green: 0 } });
  expect(st.colours?.blue).toMatchObject({
    serviceName: 'api-blue',
    weight: 100,
    desired: 2,
    running: 2,
    healthy: 2,
  });
  expect(st.colours?.blue.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(st.colours?.green).toMatchObject({ weight: 0, desired: 0, running: 0, healthy: 0 });
  expect(st.lock).toBeUndefined();
  expect(st.releases).toEqual([]);
  expect(st.warnings).toEqual([]);
  expect(st.lastKnownGood).toEqual({ colour: 'blue' });
  const text = formatStatusText({ environment: 'dev', generatedAt: 0, services: [st] });
  expect(text).toContain('dev/api  live: blue (blue 100% / green 0%)');
  expect(text).toContain('lock: free');
  expect(text).toContain('releases: none recorded');
});

test('after deploys: tags per colour, releases newest first (limited), read-only', async () => {
  const env = makeEnv([dev]);
  const a = await deployOk(env, dev, 'v1.1.0');
  const b = await deployLeavingOldRunning(env, dev, 'v1.2.0');
  const before = writeCount(env);
  const st = await serviceStatus(env.deps(dev), dev, { releases: 1 });
  expect(writeCount(env)).toBe(before);
  expect(st.releases.map((r) => r.id)).toEqual([b.release.id]);
  expect(st.colours?.blue).toMatchObject({ imageTag: 'v1.2.0', releaseId: b.release.id, weight: 100 });
  expect(st.colours?.green).toMatchObject({ imageTag: 'v1.1.0', releaseId: a.release.id, running: 2 });
  expect(st.lastKnownGood).toEqual({ colour: 'blue', releaseId: b.release.id, imageTag: 'v1.2.0' });
  expect(st.warnings).toEqual([]);
  expect(st.notes.join('\n')).toMatch(
    /green still runs switchyard-dev-api:2 \(2\/2 healthy\) after .*: instant rollback to it is possible/,
  );
  // JSON output is plain data
  expect(JSON.parse(JSON.stringify(st))).toEqual(st);
});

test('lock: live holder with lease left; expired lock without a release in flight is a stale-lock warning', async () => {
  const env = makeEnv([dev]);
  await deployOk(env, dev, 'v1.1.0');
  await env.sim.store.acquireLock(
    key,
    { actor: 'carol', host: 'ci', runUrl: 'https://ci/run/3', operation: 'deploy' },
    60_000,
  );
  let st = await serviceStatus(env.deps(dev), dev);
  expect(st.lock).toMatchObject({ expired: false, owner: { actor: 'carol' } });
  expect(st.lock?.description).toMatch(
    /^deploy by carol@ci \(https:\/\/ci\/run\/3\), started \d+s ago, lease expires in \d+s$/,
  );
  expect(st.warnings).toEqual([]);
  await env.sim.clock.sleep(90_000);
  st = await serviceStatus(env.deps(dev), dev);
  expect(st.lock).toMatchObject({ expired: true });
  expect(st.lock?.remainingSeconds).toBeLessThanOrEqual(-29);
  expect(st.lock?.description).toMatch(/lease EXPIRED (29|30|31)s ago$/);
  expect(st.warnings.map((w) => w.code)).toEqual(['stale-lock']);
});

test('drift: weights changed by hand, revision changed by hand', async () => {
  const env = makeEnv([dev]);
  await deployOk(env, dev, 'v1.1.0');
  await deployLeavingOldRunning(env, dev, 'v1.2.0'); // blue live, green runs v1.1.0
  env.sim.world.setRuleWeights(env.sim.clock.now(), dev.productionRuleArn, [
    { targetGroupArn: dev.targetGroupArns.blue, weight: 0 },
    { targetGroupArn: dev.targetGroupArns.green, weight: 100 },
  ]);
  let st = await serviceStatus(env.deps(dev), dev);
  expect(st.warnings.map((w) => w.code)).toEqual(['weights-drift']);
  expect(st.warnings[0].message).toMatch(
    /live traffic is on green .* left it on blue: the production rule was changed outside switchyard/,
  );

  const env2 = makeEnv([dev]);
  await deployOk(env2, dev, 'v1.1.0'); // green live
  const deps = env2.deps(dev);
  const live = env2.sim.world.colour(dev, 'green');
  const td = await deps.ecs.registerTaskDefinitionFrom(
    live.taskDefinitionArn,
    'api',
    `${dev.repositoryUri}:hotfix`,
  );
  await deps.ecs.updateService(dev.cluster, 'api-green', { taskDefinitionArn: td.arn, desiredCount: 2 });
  st = await serviceStatus(deps, dev);
  expect(st.warnings.map((w) => w.code)).toContain('revision-drift');
  expect(st.warnings.find((w) => w.code === 'revision-drift')?.message).toMatch(
    /green runs switchyard-dev-api:3 but the last release .* recorded switchyard-dev-api:2 there/,
  );
});

test('split weights and an unhealthy live colour are warnings', async () => {
  const env = makeEnv([dev]);
  env.sim.world.setRuleWeights(env.sim.clock.now(), dev.productionRuleArn, [
    { targetGroupArn: dev.targetGroupArns.blue, weight: 50 },
    { targetGroupArn: dev.targetGroupArns.green, weight: 50 },
  ]);
  let st = await serviceStatus(env.deps(dev), dev);
  expect(st.warnings.map((w) => w.code)).toEqual(['split-weights']);
  const env2 = makeEnv([dev]);
  await env2.deps(dev).ecs.updateService(dev.cluster, 'api-blue', { desiredCount: 3 });
  st = await serviceStatus(env2.deps(dev), dev);
  expect(st.warnings.map((w) => w.code)).toEqual(['live-unhealthy']);
  expect(st.warnings[0].message).toBe('the live colour blue has 2 healthy of 3 desired targets');
});

test('unreadable live state: the store view is still shown', async () => {
  const env = makeEnv([dev]);
  await deployOk(env, dev, 'v1.1.0');
  const broken = { ...dev, cluster: 'no-such-cluster' };
  const st = await serviceStatus(env.deps(dev), broken);
  expect(st.error).toMatch(/ServiceNotFoundException/);
  expect(st.warnings.map((w) => w.code)).toEqual(['unreadable']);
  expect(st.releases).toHaveLength(1);
  expect(formatStatusText({ environment: 'dev', generatedAt: 0, services: [st] })).toContain('live: unknown');
});

test('environment status: every service given', async () => {
  const worker = otherService(dev);
  const env = makeEnv([dev, worker]);
  await deployOk(env, worker, 'v1.1.0');
  const report = await environmentStatus(env.deps(dev), 'dev', [dev, worker]);
  expect(report.services.map((s) => [s.service, s.live?.liveColour, s.releases.length])).toEqual([
    ['api', 'blue', 0],
    ['worker', 'green', 1],
  ]);
});

describe('status while a release is in progress or after a resume', () => {
  test('during the first deploy at its final bake (100% on the new colour), last known good is the colour it started from', async () => {
    const env = makeEnv([dev]); // no release recorded yet: blue serves v1.0.0
    let seen: Awaited<ReturnType<typeof serviceStatus>> | undefined;
    const deps = env.deps(dev);
    const events = {
      emit: (e: { type: string; data?: unknown }) => {
        if (e.type === 'bake.start' && (e.data as { final?: boolean })?.final && !seen)
          void serviceStatus(env.deps(dev), dev).then((st) => (seen = st));
        deps.events.emit(e as never);
      },
    };
    const out = await deploy(
      { ...deps, events },
      { topology: dev, imageTag: 'v1.1.0', owner: OWNER_T, strategy: 'all-at-once' },
    );
    expect(out.status).toBe('deployed');
    expect(seen?.live?.weights).toEqual({ blue: 0, green: 100 });
    expect(seen?.running).toBeDefined();
    expect(seen?.lastKnownGood).toEqual({ colour: 'blue' });
  });

  test('a resumed simulation keeps the lock verbatim, expired too: status says the lease expired', async () => {
    const env = makeEnv([dev]);
    const lock = await env.sim.store.acquireLock(key, OWNER_T, 60_000);
    if (!lock.acquired) throw new Error('not acquired');
    await env.sim.clock.sleep(90_000); // expired 30 s ago
    const snap = await env.sim.snapshot();
    const next = createSimulation({ topologies: [dev], snapshot: snap });
    await restoreStore(next, snap);
    expect(await next.store.getLock(key)).toEqual(lock.lock);
    const st = await serviceStatus(makeEnv([dev], { sim: next }).deps(dev), dev);
    expect(st.lock).toMatchObject({ expired: true });
    expect(st.lock?.remainingSeconds).toBeLessThanOrEqual(-30);
    expect(st.lock?.remainingSeconds).toBeGreaterThan(-40);
    expect(formatStatusText({ environment: 'dev', generatedAt: 0, services: [st] })).toMatch(
      /lease expired 3\ds ago/,
    );
  });
});
