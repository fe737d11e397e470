import { deploy } from '../../../services/deployer/src/core/deploy';
import { ExitCode } from '../../../services/deployer/src/exit-codes';
import {
  checkPromotionOrder,
  type PromoteDeps,
  type PromoteRequest,
  promote,
  promoteExitCode,
} from '../../../services/deployer/src/ops/promote';
import { rollback } from '../../../services/deployer/src/ops/rollback';
import type { ServiceTopology } from '../../../services/topology';
import {
  deployLeavingOldRunning,
  deployOk,
  type Env,
  makeEnv,
  OWNER,
  request,
  topology,
  writeCount,
} from './harness';

const dev = topology('dev');
const staging = topology('staging');
const prod = topology('prod');
const byEnv: Record<string, ServiceTopology> = { dev, staging, prod };

function promoteDeps(env: Env, from: string, to: string): PromoteDeps {
  const src = env.deps(byEnv[from]);
  return { source: { store: src.store, live: { ecs: src.ecs, lb: src.lb } }, target: env.deps(byEnv[to]) };
}

function req(from: string, to: string, over: Partial<PromoteRequest> = {}): PromoteRequest {
  return {
    service: 'api',
    from,
    to,
    targetTopology: byEnv[to],
    sourceTopology: byEnv[from],
    owner: { ...OWNER, operation: 'promote' },
    strategy: 'all-at-once',
    ...over,
  };
}

const liveImage = (env: Env, t: ServiceTopology) => {
  const w = env.sim.world.trafficWeights(t);
  return env.sim.world.colour(t, w.blue === 100 ? 'blue' : 'green').image;
};

test('dev → staging → prod carries the same digest, each env with its own store and registry', async () => {
  const env = makeEnv([dev, staging, prod]);
  expect(env.stores.dev).not.toBe(env.stores.staging);
  const d = await deployOk(env, dev, 'v1.1.0');
  const digest = d.release.imageDigest;

  const s = await promote(promoteDeps(env, 'dev', 'staging'), req('dev', 'staging'));
  if (s.status !== 'deploy' || s.deploy.status !== 'deployed') throw new Error(JSON.stringify(s));
  expect(promoteExitCode(s)).toBe(ExitCode.Ok);
  expect(s.deploy.release).toMatchObject({
    kind: 'promote',
    environment: 'staging',
    imageDigest: digest,
    imageTag: 'v1.1.0',
    sourceEnvironment: 'dev',
    sourceReleaseId: d.release.id,
    outcome: 'deployed',
  });
  expect(s.deploy.release.reason).toBe(`promoted from dev release ${d.release.id}`);
  // recorded in staging's table only
  expect(await env.stores.staging.listReleases({ environment: 'staging', service: 'api' }, 5)).toHaveLength(
    1,
  );
  expect(await env.stores.dev.listReleases({ environment: 'staging', service: 'api' }, 5)).toHaveLength(0);

  // prod holds after the canary by default (tier); this test is about the promotion itself
  const p = await promote(promoteDeps(env, 'staging', 'prod'), req('staging', 'prod', { holdAfter: 'none' }));
  if (p.status !== 'deploy' || p.deploy.status !== 'deployed') throw new Error(JSON.stringify(p));
  expect(p.deploy.release).toMatchObject({
    imageDigest: digest,
    sourceEnvironment: 'staging',
    sourceReleaseId: s.deploy.release.id,
  });

  expect(liveImage(env, dev)).toBe(`${dev.repositoryUri}@${digest}`);
  expect(liveImage(env, staging)).toBe(`${staging.repositoryUri}@${digest}`);
  expect(liveImage(env, prod)).toBe(`${prod.repositoryUri}@${digest}`);
});

test('--tag promotes an older release that was deployed in the source', async () => {
  const env = makeEnv([dev, staging]);
  const v11 = await deployOk(env, dev, 'v1.1.0');
  await deployOk(env, dev, 'v1.2.0');
  const out = await promote(promoteDeps(env, 'dev', 'staging'), req('dev', 'staging', { tag: 'v1.1.0' }));
  expect(out).toMatchObject({
    status: 'deploy',
    deploy: {
      status: 'deployed',
      release: { imageDigest: v11.release.imageDigest, sourceReleaseId: v11.release.id },
    },
  });
});

describe('refusals: clear message, exit 2, no writes', () => {
  async function expectRefused(env: Env, deps: PromoteDeps, r: PromoteRequest, code: string, msg: RegExp) {
    const before = writeCount(env);
    const out = await promote(deps, r);
    expect(out).toMatchObject({ status: 'refused', code });
    expect(out.status === 'refused' && out.reason).toMatch(msg);
    expect(promoteExitCode(out)).toBe(ExitCode.Refused);
    expect(writeCount(env)).toBe(before);
  }

  test('a digest rolled back in the source (by its gates, or by an operator)', async () => {
    const env = makeEnv([dev, staging]);
    await deployOk(env, dev, 'v1.1.0');
    // v1.2.0 fails its canary in dev → rolled back
    env.sim.world.armFault(dev, { name: '5xx-spike', afterSeconds: 30 });
    const failed = await deploy(env.deps(dev), request(dev, 'v1.2.0'));
    expect(failed.status).toBe('rolled-back');
    await expectRefused(
      env,
      promoteDeps(env, 'dev', 'staging'),
      req('dev', 'staging', { tag: 'v1.2.0' }),
      'rolled-back',
      /tag v1\.2\.0 \(sha256:\w+\) was rolled back in dev\/api: release .* \(5xx: /,
    );

    // v1.1.0 was deployed, then rolled back by an operator → not promotable any more
    const env2 = makeEnv([dev, staging]);
    await deployOk(env2, dev, 'v1.1.0');
    await deployLeavingOldRunning(env2, dev, 'v1.2.0');
    const rb = await rollback(env2.deps(dev), { topology: dev, reason: 'bad 1.2', owner: OWNER });
    expect(rb.status).toBe('rolled-back');
    await expectRefused(
      env2,
      promoteDeps(env2, 'dev', 'staging'),
      req('dev', 'staging', { tag: 'v1.2.0' }),
      'rolled-back',
      /tag v1\.2\.0 .* was rolled back in dev\/api: .*\(rolled back by .*bad 1\.2\)/,
    );
    // without --tag, the live release (the rollback to v1.1.0) is what gets promoted
    const ok = await promote(promoteDeps(env2, 'dev', 'staging'), req('dev', 'staging'));
    expect(ok).toMatchObject({
      status: 'deploy',
      deploy: { status: 'deployed', release: { imageTag: 'v1.1.0' } },
    });
  });

  test('a tag never released in the source, and nothing deployed at all', async () => {
    const env = makeEnv([dev, staging]);
    await expectRefused(
      env,
      promoteDeps(env, 'dev', 'staging'),
      req('dev', 'staging'),
      'no-source-release',
      /nothing to promote: no release of dev\/api is recorded as deployed/,
    );
    await deployOk(env, dev, 'v1.1.0');
    await expectRefused(
      env,
      promoteDeps(env, 'dev', 'staging'),
      req('dev', 'staging', { tag: 'v1.2.0' }),
      'never-healthy',
      /tag v1\.2\.0 was never released in dev\/api/,
    );
  });

  test('a digest the target registry does not hold', async () => {
    const env = makeEnv([dev, staging]);
    env.sim.world.pushImage(dev.repositoryUri, dev.repositoryName, 'v2.0.0'); // pushed to dev's registry only
    await deployOk(env, dev, 'v2.0.0');
    await expectRefused(
      env,
      promoteDeps(env, 'dev', 'staging'),
      req('dev', 'staging'),
      'digest-not-found',
      /registry of staging \(222222222222\.dkr\.ecr.*\) does not hold sha256:.*\(v2\.0\.0, release .* in dev\)\. Replicate or push/,
    );
  });

  test('skipping a stage without --allow-skip-stage; backwards; into a first stage', async () => {
    const env = makeEnv([dev, staging, prod]);
    await deployOk(env, dev, 'v1.1.0');
    await expectRefused(
      env,
      promoteDeps(env, 'dev', 'prod'),
      req('dev', 'prod'),
      'skipped-stage',
      /prod accepts promotions from staging .* skips staging\. Promote dev → staging first, or pass --allow-skip-stage/,
    );
    await expectRefused(
      env,
      promoteDeps(env, 'prod', 'staging'),
      req('prod', 'staging'),
      'wrong-direction',
      /prod is promoted from staging/,
    );
    await expectRefused(
      env,
      promoteDeps(env, 'staging', 'dev'),
      req('staging', 'dev'),
      'first-stage',
      /dev accepts no promotions/,
    );
    await expectRefused(
      env,
      promoteDeps(env, 'dev', 'dev'),
      req('dev', 'dev'),
      'invalid-request',
      /--from and --to are both dev/,
    );
  });

  test('source drift: the recorded release is not what the source serves', async () => {
    const env = makeEnv([dev, staging]);
    await deployOk(env, dev, 'v1.1.0');
    env.sim.world.setRuleWeights(env.sim.clock.now(), dev.productionRuleArn, [
      { targetGroupArn: dev.targetGroupArns.blue, weight: 50 },
      { targetGroupArn: dev.targetGroupArns.green, weight: 50 },
    ]);
    await expectRefused(
      env,
      promoteDeps(env, 'dev', 'staging'),
      req('dev', 'staging'),
      'source-drift',
      /dev\/api does not serve its recorded release/,
    );
  });
});

test('--allow-skip-stage promotes dev → prod and records the skip', async () => {
  const env = makeEnv([dev, prod]);
  const d = await deployOk(env, dev, 'v1.1.0');
  const out = await promote(
    promoteDeps(env, 'dev', 'prod'),
    req('dev', 'prod', { allowSkipStage: true, reason: 'hotfix', holdAfter: 'none' }),
  );
  if (out.status !== 'deploy' || out.deploy.status !== 'deployed') throw new Error(JSON.stringify(out));
  expect(out.skippedStage).toBe('staging');
  expect(out.deploy.release.reason).toBe(
    `promoted from dev release ${d.release.id}; skipped stage staging (--allow-skip-stage by alice); hotfix`,
  );
});

test('promotion order is pure config: promoteFrom of the target', () => {
  expect(
    checkPromotionOrder({ service: 'api', from: 'dev', to: 'staging', targetTopology: staging }),
  ).toEqual({});
  expect(
    checkPromotionOrder({
      service: 'api',
      from: 'dev',
      to: 'prod',
      targetTopology: prod,
      allowSkipStage: true,
    }),
  ).toEqual({ skipped: 'staging' });
});

test('lock held in the target: refused naming the holder, no writes', async () => {
  const env = makeEnv([dev, staging]);
  await deployOk(env, dev, 'v1.1.0');
  await env.stores.staging.acquireLock(
    { environment: 'staging', service: 'api' },
    { actor: 'carol', host: 'ci', operation: 'deploy' },
    60_000,
  );
  const before = writeCount(env);
  const out = await promote(promoteDeps(env, 'dev', 'staging'), req('dev', 'staging'));
  expect(out).toMatchObject({ status: 'refused', code: 'lock-held' });
  expect(out.status === 'refused' && out.reason).toMatch(/deploy by carol@ci/);
  expect(writeCount(env)).toBe(before);
});

test('a tag deployed, then redeployed and rolled back by its gates, is not promotable', async () => {
  const env = makeEnv([dev, staging]);
  await deployOk(env, dev, 'v1.1.0');
  await deployOk(env, dev, 'v1.2.0');
  env.sim.world.armFault(dev, { name: '5xx-spike', afterSeconds: 30 });
  // redeploy v1.1.0 (its digest) onto the idle colour: fails its canary
  const again = await deploy(env.deps(dev), request(dev, 'v1.1.0'));
  expect(again.status).toBe('rolled-back');
  const before = writeCount(env);
  const out = await promote(promoteDeps(env, 'dev', 'staging'), req('dev', 'staging', { tag: 'v1.1.0' }));
  expect(out).toMatchObject({ status: 'refused', code: 'rolled-back' });
  expect(out.status === 'refused' && out.reason).toMatch(/was rolled back in dev\/api after it was deployed/);
  expect(writeCount(env)).toBe(before);
});
