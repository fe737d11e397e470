/**
 * Two deploys, or a deploy and a rollback, of the same env + service never run at once: the second is
 * refused naming the holder and writes nothing. Different services or environments run in parallel.
 */
import { type DeployOutcome, deploy } from '../../../services/deployer/src/core/deploy';
import { rollback } from '../../../services/deployer/src/ops/rollback';
import {
  deployLeavingOldRunning,
  deployOk,
  loggedDeps,
  makeEnv,
  otherService,
  request,
  topology,
} from './harness';

const dev = topology('dev');

test('two concurrent deploys of the same service: one runs, the other is refused and writes nothing', async () => {
  const env = makeEnv([dev]);
  const logA: string[] = [];
  const logB: string[] = [];
  const a = deploy(
    loggedDeps(env.deps(dev), logA),
    request(dev, 'v1.1.0', {
      owner: { actor: 'alice', host: 'ci-1', operation: 'deploy', runUrl: 'https://ci/run/1' },
    }),
  );
  const b = deploy(
    loggedDeps(env.deps(dev), logB),
    request(dev, 'v1.2.0', { owner: { actor: 'dave', host: 'ci-2', operation: 'deploy' } }),
  );
  const [outA, outB] = await Promise.all([a, b]);
  const outcomes = [outA, outB].map((o) => o.status).sort();
  expect(outcomes).toEqual(['deployed', 'refused']);
  const [winner, loser, loserLog] = outA.status === 'deployed' ? [outA, outB, logB] : [outB, outA, logA];
  expect(loser).toMatchObject({ status: 'refused', code: 'lock-held' });
  const holder = winner === outA ? /deploy by alice@ci-1 \(https:\/\/ci\/run\/1\)/ : /deploy by dave@ci-2/;
  expect((loser as Extract<DeployOutcome, { status: 'refused' }>).reason).toMatch(holder);
  // the loser changed nothing: at most a conditional lock write that was refused
  expect(loserLog.filter((x) => x !== 'store.acquireLock:refused')).toEqual([]);
  const releases = await env.sim.store.listReleases({ environment: 'dev', service: 'api' }, 10);
  expect(releases).toHaveLength(1);
  expect(releases[0].outcome).toBe('deployed');
});

test('a rollback while a deploy runs is refused naming the deploy; nothing written by it', async () => {
  const env = makeEnv([dev]);
  await deployOk(env, dev, 'v1.1.0');
  await deployLeavingOldRunning(env, dev, 'v1.2.0');
  env.sim.world.pushImage(dev.repositoryUri, dev.repositoryName, 'v1.3.0');
  const running = deploy(
    env.deps(dev),
    request(dev, 'v1.3.0', { owner: { actor: 'erin', host: 'ci-9', operation: 'deploy' } }),
  );
  await env.sim.clock.sleep(30_000); // the deploy holds the lock and rolls out its idle colour
  const log: string[] = [];
  const out = await rollback(loggedDeps(env.deps(dev), log), {
    topology: dev,
    reason: 'now',
    owner: { actor: 'bob', host: 'pager', operation: 'rollback' },
  });
  expect(out).toMatchObject({ status: 'refused', code: 'lock-held' });
  expect(out.status === 'refused' && out.reason).toMatch(
    /deploy by erin@ci-9, started \d+s ago, lease expires in \d+s/,
  );
  expect(log).toEqual([]);
  expect((await running).status).toBe('deployed');
});

test('a deploy while a rollback holds the lock is refused too', async () => {
  const env = makeEnv([dev]);
  await deployOk(env, dev, 'v1.1.0');
  await deployOk(env, dev, 'v1.2.0'); // green at 0 → the rollback redeploys (long)
  const rb = rollback(env.deps(dev), {
    topology: dev,
    reason: 'bad',
    owner: { actor: 'bob', host: 'pager', operation: 'rollback' },
  });
  await env.sim.clock.sleep(30_000);
  const log: string[] = [];
  const out = await deploy(loggedDeps(env.deps(dev), log), request(dev, 'v1.0.0'));
  expect(out).toMatchObject({ status: 'refused', code: 'lock-held' });
  expect(out.status === 'refused' && out.reason).toMatch(/rollback by bob@pager/);
  expect(log).toEqual([]);
  expect((await rb).status).toBe('rolled-back');
});

test('different services and different environments deploy in parallel', async () => {
  const worker = otherService(dev);
  const staging = topology('staging');
  const env = makeEnv([dev, worker, staging]);
  const t0 = env.sim.clock.now();
  const outs = await Promise.all([
    deploy(env.deps(dev), request(dev, 'v1.1.0')),
    deploy(env.deps(worker), request(worker, 'v1.1.0')),
    deploy(env.deps(staging), request(staging, 'v1.1.0')),
  ]);
  expect(outs.map((o) => o.status)).toEqual(['deployed', 'deployed', 'deployed']);
  // they overlapped in (virtual) time: the whole took about as long as one
  const spans = outs.map((o) =>
    o.status === 'deployed' ? [o.release.startedAt, o.release.endedAt!] : [0, 0],
  );
  const latestStart = Math.max(...spans.map((s) => s[0]));
  const earliestEnd = Math.min(...spans.map((s) => s[1]));
  expect(latestStart).toBeLessThan(earliestEnd);
  expect(env.sim.clock.now() - t0).toBeLessThan(2 * (spans[0][1] - spans[0][0]));
  for (const t of [dev, worker, staging])
    expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
});
