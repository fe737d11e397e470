/**
 * Retention marks (issue 11 item 5) on the simulation: after each release that goes live the digest live
 * in the environment carries `sy-live-<env>-<svc>` and the previous known-good one `sy-prev-<env>-<svc>`
 * (the default rollback target); a failed deploy moves nothing; failures and a hanging registry are
 * warnings within a bounded time, never an exception. The source commit (the image's 40-hex tag) is
 * recorded on the release.
 */
import { afterCommand, releaseMade } from '../../../services/deployer/src/cli/after-release';
import { deploy } from '../../../services/deployer/src/core/deploy';
import { rollback } from '../../../services/deployer/src/ops/rollback';
import { afterRelease, planRetention, retentionTags } from '../../../services/deployer/src/ops/retention';
import type { ReleaseRecord } from '../../../services/deployer/src/ports';
import { digestOf, registryKey } from '../../../services/deployer/src/sim';
import type { ServiceTopology } from '../../../services/topology';
import { deployLeavingOldRunning, deployOk, type Env, makeEnv, request, topology } from './harness';

const d = (tag: string) => digestOf('switchyard/api', tag);
const marks = (env: Env, t: ServiceTopology) => {
  const tags = env.sim.world.state.images[registryKey(t.repositoryUri, t.repositoryName)]!.tags;
  const { live, prev } = retentionTags(t.environment, t.service);
  return { live: tags[live], prev: tags[prev] };
};

describe('planRetention (pure)', () => {
  const t = { environment: 'prod', service: 'api' };
  const rel = (
    id: string,
    tag: string,
    outcome: ReleaseRecord['outcome'],
    over: Partial<ReleaseRecord> = {},
  ) => ({ id, imageTag: tag, imageDigest: d(tag), outcome, ...over }) as ReleaseRecord;

  test('live = newest known good; prev = newest known good before it with another image', () => {
    const plan = planRetention(t, [
      rel('r4', 'v4', 'failed'),
      rel('r3', 'v3', 'deployed'),
      rel('r2', 'v3', 'deployed'),
      rel('r1', 'v2', 'rolled-back'),
      rel('r0', 'v1', 'deployed'),
    ]);
    expect(plan).toEqual({
      live: { tag: 'sy-live-prod-api', digest: d('v3'), releaseId: 'r3' },
      prev: { tag: 'sy-prev-prod-api', digest: d('v1'), releaseId: 'r0' },
    });
  });
  test('one release: the revision live before it is the previous known good (whole history read)', () => {
    const only = [rel('r1', 'v1', 'deployed', { previousTaskDefinitionArn: 'arn:td:1' })];
    expect(planRetention(t, only).preHistoryTaskDefinitionArn).toBe('arn:td:1');
    // a window full of releases may not reach the first one: then nothing before it is guessed
    expect(planRetention(t, only, 1).preHistoryTaskDefinitionArn).toBeUndefined();
  });
  test('nothing known good: nothing to mark', () => {
    expect(planRetention(t, [rel('r1', 'v1', 'failed')])).toEqual({});
  });
  test('the tags match the lifecycle and mutability pattern sy-*', () => {
    expect(retentionTags('prod', 'api')).toEqual({ live: 'sy-live-prod-api', prev: 'sy-prev-prod-api' });
  });
});

describe('on the simulation, at the command level', () => {
  const t = topology('dev');

  test('deploy → deploy → rollback by flip: the marks follow the live and previous known-good digests', async () => {
    const env = makeEnv([t]);
    // the environment started on v1.0.0 (seeded revision: what Terraform registered)
    const first = await deployOk(env, t, 'v1.1.0');
    await afterCommand(env.deps(t), t, first);
    expect(marks(env, t)).toEqual({ live: d('v1.1.0'), prev: d('v1.0.0') });
    const second = await deployLeavingOldRunning(env, t, 'v1.2.0');
    await afterCommand(env.deps(t), t, second);
    expect(marks(env, t)).toEqual({ live: d('v1.2.0'), prev: d('v1.1.0') });
    const back = await rollback(env.deps(t), {
      topology: t,
      reason: 'p99 doubled',
      owner: { actor: 'bob', host: 'pager', operation: 'rollback' },
    });
    expect(back.status === 'rolled-back' && back.plan.mode).toBe('flip');
    await afterCommand(env.deps(t), t, back);
    // v1.2.0 is rolled back (not known good any more): the previous known good is the original image
    expect(marks(env, t)).toEqual({ live: d('v1.1.0'), prev: d('v1.0.0') });
    expect(env.events.ofType('retention.marked').length).toBe(3);
    expect(env.events.events.filter((e) => e.level === 'warn' && e.type.startsWith('retention'))).toEqual([]);
  });

  test('a deploy rolled back by its gates moves no mark', async () => {
    const env = makeEnv([t], { faults: [] });
    await afterCommand(env.deps(t), t, await deployOk(env, t, 'v1.1.0'));
    const before = marks(env, t);
    env.sim.world.armFault(t, { name: '5xx-spike' });
    const failed = await deploy(env.deps(t), request(t, 'v1.2.0'));
    expect(failed.status).toBe('rolled-back');
    expect(releaseMade(failed)).toMatchObject({ live: false });
    await afterCommand(env.deps(t), t, failed);
    expect(marks(env, t)).toEqual(before);
  });

  test('the image’s commit SHA tag is recorded on the release (imageRevision)', async () => {
    const env = makeEnv([t]);
    const sha = '0123456789abcdef0123456789abcdef01234567';
    env.sim.world.pushImage(t.repositoryUri, t.repositoryName, sha);
    const out = await deployOk(env, t, sha);
    const res = await afterRelease(env.deps(t), t, { release: out.release, live: true });
    expect(res.imageRevision).toBe(sha);
    const stored = await env.stores.dev!.getRelease({ environment: 'dev', service: 'api' }, out.release.id);
    expect(stored?.imageRevision).toBe(sha);
  });

  test('AWS unreachable while marking: warnings, no exception, the release untouched', async () => {
    const env = makeEnv([t]);
    const out = await deployOk(env, t, 'v1.1.0');
    env.sim.networkOutage(env.sim.clock.now(), 120_000);
    const start = env.sim.clock.now();
    const res = await afterRelease(env.deps(t), t, { release: out.release, live: true });
    expect(res.marks).toEqual([]);
    expect(res.warnings.some((w) => /retention marks not set/.test(w))).toBe(true);
    expect(env.sim.clock.now() - start).toBeLessThanOrEqual(30_000);
    expect(marks(env, t)).toEqual({ live: undefined, prev: undefined });
  });

  test('a registry that never answers: gives up after the timeout with one warning', async () => {
    const env = makeEnv([t]);
    const out = await deployOk(env, t, 'v1.1.0');
    const deps = env.deps(t);
    const hanging = { ...deps, registry: { ...deps.registry, tagImage: () => new Promise<never>(() => {}) } };
    const start = env.sim.clock.now();
    const res = await afterRelease(hanging, t, { release: out.release, live: true, timeoutMs: 5_000 });
    expect(env.sim.clock.now() - start).toBe(5_000);
    expect(res.warnings).toContain(
      'retention marks and source commit gave up after 5 s; the release itself is complete',
    );
  });

  test('a registry port without tagging: one warning, nothing else', async () => {
    const env = makeEnv([t]);
    const out = await deployOk(env, t, 'v1.1.0');
    const deps = env.deps(t);
    const { tagImage: _t, ...plain } = deps.registry;
    const res = await afterRelease({ ...deps, registry: plain }, t, { release: out.release, live: true });
    expect(res.warnings).toEqual([
      'retention marks not set: this registry cannot tag images; the lifecycle policy does not shield the live image',
    ]);
  });
});
