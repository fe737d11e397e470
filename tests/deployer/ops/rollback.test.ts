import { deploy } from '../../../services/deployer/src/core/deploy';
import { ExitCode } from '../../../services/deployer/src/exit-codes';
import {
  type RollbackOutcome,
  type RollbackRequest,
  rollback,
  rollbackExitCode,
} from '../../../services/deployer/src/ops/rollback';
import { serviceStatus } from '../../../services/deployer/src/ops/status';
import type { ServiceTopology } from '../../../services/topology';
import {
  deployLeavingOldRunning,
  deployOk,
  type Env,
  makeEnv,
  request,
  topology,
  writeCount,
} from './harness';

const key = { environment: 'dev', service: 'api' };
const ONCALL = { actor: 'bob', host: 'pager', operation: 'rollback' };

function rb(t: ServiceTopology, over: Partial<RollbackRequest> = {}): RollbackRequest {
  return { topology: t, reason: 'p99 latency doubled', owner: ONCALL, ...over };
}

function productionWrites(env: Env, t: ServiceTopology, since: number) {
  return env.sim
    .writes()
    .slice(since)
    .filter(
      (w) => w.api === 'elbv2:ModifyRule' && (w.args as { ruleArn: string }).ruleArn === t.productionRuleArn,
    );
}

function expectRolledBack(
  out: RollbackOutcome,
): asserts out is Extract<RollbackOutcome, { status: 'rolled-back' }> {
  if (out.status !== 'rolled-back') throw new Error(`expected rolled-back, got ${JSON.stringify(out)}`);
}

describe('rollback by weight flip', () => {
  test('back to the previous known-good release while its colour still runs: one write, recorded', async () => {
    const t = topology('dev');
    const env = makeEnv([t]);
    const v11 = await deployOk(env, t, 'v1.1.0'); // green, blue scaled to 0
    const v12 = await deployLeavingOldRunning(env, t, 'v1.2.0'); // blue, green (v1.1.0) left running
    expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
    expect(env.sim.world.colour(t, 'green').running).toBe(2);

    const writesBefore = env.sim.writes().length;
    const out = await rollback(env.deps(t), rb(t));
    expectRolledBack(out);
    expect(rollbackExitCode(out)).toBe(ExitCode.Ok);
    expect(out.plan.mode).toBe('flip');
    // exactly one ECS/ELB write: the production rule, 100% on green
    const writes = env.sim.writes().slice(writesBefore);
    expect(writes.map((w) => w.api)).toEqual(['elbv2:ModifyRule']);
    expect(productionWrites(env, t, writesBefore)).toHaveLength(1);
    expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
    expect(out.restoredAt).toBe(writes[0].at);

    const [rec, from] = await env.sim.store.listReleases(key, 2);
    expect(rec).toMatchObject({
      id: out.release.id,
      kind: 'rollback',
      outcome: 'deployed',
      step: 'done',
      colour: 'green',
      previousColour: 'blue',
      imageTag: 'v1.1.0',
      imageDigest: v11.release.imageDigest,
      taskDefinitionArn: v11.release.taskDefinitionArn,
      sourceReleaseId: v11.release.id,
      actor: 'bob',
    });
    expect(rec.reason).toMatch(/^p99 latency doubled \(rollback to release .* from /);
    // the release rolled back from is no longer known good
    expect(from).toMatchObject({ id: v12.release.id, outcome: 'rolled-back' });
    expect(from.reason).toBe(`rolled back by ${rec.id} (bob): p99 latency doubled`);
    expect(out.rolledBackFrom).toBe(v12.release.id);
    // blue keeps running (instant re-flip possible), lock released
    expect(env.sim.world.colour(t, 'blue').running).toBe(2);
    expect(await env.sim.store.getLock(key)).toBeUndefined();
    // status is consistent: no warnings
    const st = await serviceStatus(env.deps(t), t);
    expect(st.warnings).toEqual([]);
    expect(st.lastKnownGood).toMatchObject({ colour: 'green', releaseId: rec.id });
  });

  test('first recorded release: back to the revision that was live before it', async () => {
    const t = topology('dev');
    const env = makeEnv([t]);
    const before = env.sim.world.colour(t, 'blue');
    const v11 = await deployLeavingOldRunning(env, t, 'v1.1.0');
    const writesBefore = env.sim.writes().length;
    const out = await rollback(env.deps(t), rb(t));
    expectRolledBack(out);
    expect(out.plan.mode).toBe('flip');
    expect(out.release).toMatchObject({ imageTag: 'untracked', taskDefinitionArn: before.taskDefinitionArn });
    expect(
      env.sim
        .writes()
        .slice(writesBefore)
        .map((w) => w.api),
    ).toEqual(['elbv2:ModifyRule']);
    expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
    expect((await env.sim.store.getRelease(key, v11.release.id))?.outcome).toBe('rolled-back');
  });

  test('--to a release id and --to a tag pick that release', async () => {
    const t = topology('dev');
    const env = makeEnv([t]);
    const v11 = await deployOk(env, t, 'v1.1.0');
    await deployLeavingOldRunning(env, t, 'v1.2.0');
    const byId = await rollback(env.deps(t), rb(t, { to: v11.release.id, dryRun: true }));
    expect(byId).toMatchObject({
      status: 'dry-run',
      plan: { mode: 'flip', target: { releaseId: v11.release.id } },
    });
    const byTag = await rollback(env.deps(t), rb(t, { to: 'v1.1.0' }));
    expectRolledBack(byTag);
    expect(byTag.release.sourceReleaseId).toBe(v11.release.id);
  });
});

describe('rollback by redeploy', () => {
  test('old colour scaled to zero: blue/green deployment of the recorded digest, kind rollback', async () => {
    const t = topology('dev');
    const env = makeEnv([t]);
    const v11 = await deployOk(env, t, 'v1.1.0'); // green
    await deployOk(env, t, 'v1.2.0'); // blue, green scaled to 0
    expect(env.sim.world.colour(t, 'green').desiredCount).toBe(0);
    const out = await rollback(env.deps(t), rb(t, { strategy: 'all-at-once' }));
    expectRolledBack(out);
    expect(out.plan.mode).toBe('redeploy');
    expect(out.plan.mode === 'redeploy' && out.plan.why).toMatch(/green is scaled to zero/);
    expect(out.deploy?.status).toBe('deployed');
    expect(out.release).toMatchObject({
      kind: 'rollback',
      outcome: 'deployed',
      imageDigest: v11.release.imageDigest,
      imageTag: 'v1.1.0',
      sourceReleaseId: v11.release.id,
      colour: 'green',
    });
    expect(out.release.reason).toMatch(/^p99 latency doubled \(rollback to release/);
    expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
    expect(env.sim.world.colour(t, 'green').image).toBe(`${t.repositoryUri}@${v11.release.imageDigest}`);
    const st = await serviceStatus(env.deps(t), t);
    expect(st.warnings).toEqual([]);
  });

  test('a rollback by redeploy that fails its gates puts traffic back and exits "rolled back"', async () => {
    const t = topology('dev');
    const env = makeEnv([t]);
    await deployOk(env, t, 'v1.1.0');
    await deployOk(env, t, 'v1.2.0'); // live blue
    env.sim.world.armFault(t, { name: 'unhealthy-targets' });
    const out = await rollback(env.deps(t), rb(t));
    expect(out.status).toBe('gates-failed');
    expect(rollbackExitCode(out)).toBe(ExitCode.RolledBack);
    expect(env.sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
  });
});

describe('refusals: clear message, exit 2, no writes', () => {
  async function expectRefused(
    env: Env,
    t: ServiceTopology,
    req: RollbackRequest,
    code: string,
    msg: RegExp,
  ) {
    const before = writeCount(env);
    const out = await rollback(env.deps(t), req);
    expect(out).toMatchObject({ status: 'refused', code });
    expect(out.status === 'refused' && out.reason).toMatch(msg);
    expect(rollbackExitCode(out)).toBe(ExitCode.Refused);
    expect(writeCount(env)).toBe(before);
    expect(env.events.ofType('refused').at(-1)?.message).toMatch(msg);
    return out;
  }

  test('no history', async () => {
    const t = topology('dev');
    const env = makeEnv([t]);
    await expectRefused(
      env,
      t,
      rb(t),
      'no-history',
      /nothing to roll back to: no release of dev\/api is recorded/,
    );
  });

  test('unknown release id / tag', async () => {
    const t = topology('dev');
    const env = makeEnv([t]);
    await deployOk(env, t, 'v1.1.0');
    await expectRefused(
      env,
      t,
      rb(t, { to: '20250101T000000Z-deploy-abcdef' }),
      'unknown-release',
      /unknown release "20250101T000000Z-deploy-abcdef".*Known-good releases: .*\(v1\.1\.0\)/,
    );
    await expectRefused(env, t, rb(t, { to: 'v9.9.9' }), 'unknown-release', /unknown release "v9\.9\.9"/);
  });

  test('missing --reason, and --force-unlock without a reason', async () => {
    const t = topology('dev');
    const env = makeEnv([t]);
    await deployOk(env, t, 'v1.1.0');
    await expectRefused(env, t, rb(t, { reason: '' }), 'invalid-request', /needs --reason/);
    await expectRefused(
      env,
      t,
      rb(t, { reason: '   ', forceUnlock: true }),
      'invalid-request',
      /--force-unlock needs --reason/,
    );
  });

  test('the target already live, and a release rolled back earlier', async () => {
    const t = topology('dev');
    const env = makeEnv([t]);
    await deployOk(env, t, 'v1.1.0');
    await deployOk(env, t, 'v1.2.0');
    await expectRefused(env, t, rb(t, { to: 'v1.2.0' }), 'nothing-to-do', /already serves/);
    expect((await rollback(env.deps(t), rb(t))).status).toBe('rolled-back'); // → v1.1.0 by redeploy
    await expectRefused(
      env,
      t,
      rb(t, { to: 'v1.2.0' }),
      'not-known-good',
      /recorded as rolled-back .* deploy it with its gates/,
    );
  });

  test('a failed release is not a rollback target', async () => {
    const t = topology('dev');
    const env = makeEnv([t], { faults: [{ name: '5xx-spike', afterSeconds: 30 }] });
    await deployOk(env, t, 'v1.1.0').catch(() => undefined); // gate failure → rolled-back
    const [failed] = await env.sim.store.listReleases(key, 1);
    expect(failed.outcome).toBe('rolled-back');
    await expectRefused(
      env,
      t,
      rb(t, { to: failed.id }),
      'not-known-good',
      /only known-good releases are rollback targets/,
    );
  });

  test('lock held: refused naming the holder', async () => {
    const t = topology('dev');
    const env = makeEnv([t]);
    await deployOk(env, t, 'v1.1.0');
    await env.sim.store.acquireLock(
      key,
      { actor: 'carol', host: 'ci', runUrl: 'https://ci/run/7', operation: 'deploy' },
      120_000,
    );
    await expectRefused(
      env,
      t,
      rb(t),
      'lock-held',
      /deploy by carol@ci \(https:\/\/ci\/run\/7\).*--force-unlock --reason/,
    );
  });
});

test('--force-unlock with a reason takes over a held lock and records who and why', async () => {
  const t = topology('dev');
  const env = makeEnv([t]);
  await deployOk(env, t, 'v1.1.0');
  await deployLeavingOldRunning(env, t, 'v1.2.0');
  await env.sim.store.acquireLock(key, { actor: 'carol', host: 'ci', operation: 'deploy' }, 600_000);
  const out = await rollback(env.deps(t), rb(t, { forceUnlock: true, reason: 'ci runner wedged' }));
  expectRolledBack(out);
  expect(env.sim.memoryStore.forcedUnlocks).toMatchObject([
    { by: 'bob', reason: 'ci runner wedged', removed: { owner: { actor: 'carol' } } },
  ]);
  expect(env.events.ofType('lock.forced')[0].message).toMatch(/removed lock held by deploy by carol@ci/);
});

test('a deploy in its termination wait holds the lock: the refusal says how to get an instant rollback', async () => {
  const t = topology('dev');
  const env = makeEnv([t]);
  await deployOk(env, t, 'v1.1.0');
  const running = deploy(env.deps(t), request(t, 'v1.2.0'));
  // wait until the deploy recorded "deployed" and sits in its termination wait
  for (;;) {
    await env.sim.clock.sleep(5_000);
    const [rec] = await env.sim.store.listReleases(key, 1);
    if (rec?.imageTag === 'v1.2.0' && rec.step === 'draining-old') break;
  }
  const out = await rollback(env.deps(t), rb(t));
  expect(out).toMatchObject({ status: 'refused', code: 'lock-held' });
  expect(out.status === 'refused' && out.reason).toMatch(
    /already deployed and in its termination wait \(green still runs/,
  );
  expect((await running).status).toBe('deployed');
});
