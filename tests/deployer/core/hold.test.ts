/**
 * Hold for approval (core/steps.ts `held`, core/resume.ts): `--hold-after canary` leaves the canary
 * serving and the lock kept with a lease; continue / abort finish it from another process; an expired
 * hold is aborted; a hold whose lock was lost is void.
 */
import { CollectingSink } from '../../../services/deployer/src/core/events';
import { deploy } from '../../../services/deployer/src/core/deploy';
import { abortDeploy, continueDeploy } from '../../../services/deployer/src/core/resume';
import { rollback } from '../../../services/deployer/src/ops/rollback';
import { serviceStatus } from '../../../services/deployer/src/ops/status';
import { exitCodeOf } from '../../../services/deployer/src/cli/present';
import { ExitCode } from '../../../services/deployer/src/exit-codes';
import { createSimulation, type Fault, type Simulation } from '../../../services/deployer/src/sim';
import type { ServiceTopology } from '../../../services/topology';
import { heldDeploy, heldTopology } from './harness';

const KEY = { environment: 'dev', service: 'api' };
const t: ServiceTopology = heldTopology();
const DEPLOYER = { actor: 'ci', host: 'runner', operation: 'deploy' } as const;
const APPROVER = { actor: 'approver', host: 'runner-2', operation: 'continue' } as const;

/** Deploys v1.1.0 held after the canary; returns a NEW process (simulation) on the world it left. */
const held = (opts: { faults?: Fault[] } = {}) => heldDeploy(t, DEPLOYER, opts);

const deps = (sim: Simulation, events = new CollectingSink()) => ({ ...sim.deps(events), signal: undefined });

test('held: the canary serves, the lock is kept until the hold expires, exit 4; status of the record says so', async () => {
  const { sim, out } = await held();
  if (out.status !== 'held') throw new Error(JSON.stringify(out));
  expect(exitCodeOf(out)).toBe(ExitCode.Held);
  expect(out.weights).toEqual({ blue: 90, green: 10 });
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 90, green: 10 });
  const [rec] = await sim.store.listReleases(KEY, 1);
  expect(rec).toMatchObject({
    outcome: 'in-progress',
    step: 'held',
    hold: { afterStep: 0, until: out.until },
  });
  expect(out.until - rec.hold!.heldAt).toBe(1_800_000);
  const lock = await sim.store.getLock(KEY);
  expect(lock).toMatchObject({ token: rec.hold!.lockToken, expiresAt: out.until });
  // nobody else gets in meanwhile: a deploy or a rollback without --force-unlock is refused
  const other = await deploy(deps(sim), { topology: t, imageTag: 'v1.2.0', owner: DEPLOYER });
  expect(other).toMatchObject({ status: 'refused', code: 'held-for-approval' });
});

test('continue: takes the held lock over, shifts to 100 %, bakes and deploys; the lock is released', async () => {
  const { sim, out } = await held();
  if (out.status !== 'held') throw new Error(out.status);
  const events = new CollectingSink();
  const res = await continueDeploy(deps(sim, events), { topology: t, owner: APPROVER });
  expect(res.status).toBe('deployed');
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
  expect(sim.world.colour(t, 'blue').desiredCount).toBe(0);
  const rec = await sim.store.getRelease(KEY, out.release.id);
  expect(rec).toMatchObject({ outcome: 'deployed', step: 'done' });
  expect(await sim.store.getLock(KEY)).toBeUndefined();
  expect(events.ofType('lock.handed-over')).toHaveLength(1);
  expect(events.ofType('continue.from')[0].data).toMatchObject({ position: { step: 'shifting', index: 1 } });
  // the same release, the same plan: no second task-definition revision, no second idle update
  const since = out.release.hold!.heldAt;
  expect(sim.writes().filter((w) => w.at > since && w.api === 'ecs:RegisterTaskDefinition')).toHaveLength(0);
  expect(sim.writes().filter((w) => w.at > since && w.api === 'ecs:UpdateService')).toEqual([
    expect.objectContaining({
      args: expect.objectContaining({ service: t.ecsServices.blue, desiredCount: 0 }),
    }),
  ]);
});

test('abort: traffic back on the live colour (one write), the canary scaled down, recorded rolled back (aborted)', async () => {
  const { sim, out } = await held();
  if (out.status !== 'held') throw new Error(out.status);
  const res = await abortDeploy(deps(sim), { topology: t, owner: APPROVER, reason: 'not approved' });
  if (res.status !== 'rolled-back') throw new Error(JSON.stringify(res));
  expect(res.gate).toBe('aborted');
  expect(res.reason).toMatch(/aborted by approver: not approved/);
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
  expect(sim.world.colour(t, 'green').desiredCount).toBe(0);
  const since = out.release.hold!.heldAt;
  expect(sim.writes().filter((w) => w.at > since && w.api === 'elbv2:ModifyRule')).toHaveLength(1);
  expect(await sim.store.getRelease(KEY, out.release.id)).toMatchObject({ outcome: 'rolled-back' });
  expect(await sim.store.getLock(KEY)).toBeUndefined();
  // nothing left to continue
  expect(await continueDeploy(deps(sim), { topology: t, owner: APPROVER })).toMatchObject({
    status: 'refused',
    code: 'nothing-in-progress',
  });
});

test('an expired hold: continue is refused; abort --expired leaves a live hold alone and aborts an expired one', async () => {
  const { sim, out } = await held();
  if (out.status !== 'held') throw new Error(out.status);
  const early = await abortDeploy(deps(sim), {
    topology: t,
    owner: APPROVER,
    reason: 'enforcer',
    expiredOnly: true,
  });
  expect(early.status).toBe('nothing-to-do');
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 90, green: 10 });
  await sim.clock.sleep(out.until - sim.clock.now());
  const late = await continueDeploy(deps(sim), { topology: t, owner: APPROVER });
  expect(late).toMatchObject({ status: 'refused', code: 'hold-expired' });
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 90, green: 10 });
  const res = await abortDeploy(deps(sim), {
    topology: t,
    owner: APPROVER,
    reason: 'enforcer',
    expiredOnly: true,
  });
  if (res.status !== 'rolled-back') throw new Error(JSON.stringify(res));
  expect(res.reason).toMatch(/hold expired at .* \(nobody continued it\)/);
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
});

test('lost lock during a hold: force-unlocked → continue refused (hold-lost), nothing moved; abort still restores', async () => {
  const { sim, out } = await held();
  if (out.status !== 'held') throw new Error(out.status);
  await sim.store.forceUnlock(KEY, 'mallory', 'cleaning up');
  const res = await continueDeploy(deps(sim), { topology: t, owner: APPROVER });
  expect(res).toMatchObject({ status: 'refused', code: 'hold-lost' });
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 90, green: 10 });
  const ab = await abortDeploy(deps(sim), { topology: t, owner: APPROVER, reason: 'lock gone' });
  expect(ab.status).toBe('rolled-back');
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
});

test('lost lock during a hold: taken over by a rollback → that rollback recovers; continue finds nothing', async () => {
  const { sim, out } = await held();
  if (out.status !== 'held') throw new Error(out.status);
  const rb = await rollback(deps(sim), {
    topology: t,
    reason: 'canary looks wrong',
    forceUnlock: true,
    owner: { actor: 'oncall', host: 'pager', operation: 'rollback' },
  });
  expect(rb.status).toBe('rolled-back');
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
  expect(await sim.store.getRelease(KEY, out.release.id)).toMatchObject({ outcome: 'failed' });
  expect(await continueDeploy(deps(sim), { topology: t, owner: APPROVER })).toMatchObject({
    status: 'refused',
    code: 'nothing-in-progress',
  });
});

test('two continues at once: exactly one takes the lock over; the other is refused without writing', async () => {
  const { sim, out } = await held();
  if (out.status !== 'held') throw new Error(out.status);
  const [a, b] = await Promise.all([
    continueDeploy(deps(sim), { topology: t, owner: APPROVER }),
    continueDeploy(deps(sim), { topology: t, owner: { ...APPROVER, actor: 'second' } }),
  ]);
  const statuses = [a.status, b.status].sort();
  expect(statuses).toEqual(['deployed', 'refused']);
  const loser = a.status === 'refused' ? a : b;
  expect(loser).toMatchObject({ code: 'hold-lost' });
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 0, green: 100 });
});

test('weights moved by hand during the hold: continue refused (unsafe); nothing written', async () => {
  const { sim, out } = await held();
  if (out.status !== 'held') throw new Error(out.status);
  await sim.lb.setRuleWeights(t.productionRuleArn, [
    { targetGroupArn: t.targetGroupArns.blue, weight: 100 },
    { targetGroupArn: t.targetGroupArns.green, weight: 0 },
  ]);
  const writes = sim.writes().length;
  const res = await continueDeploy(deps(sim), { topology: t, owner: APPROVER });
  expect(res).toMatchObject({ status: 'refused', code: 'unsafe' });
  expect(sim.writes()).toHaveLength(writes);
  // the refused continue had taken the hold's lock over and released it: abort acquires it as usual
  expect((await abortDeploy(deps(sim), { topology: t, owner: APPROVER, reason: 'moved' })).status).toBe(
    'rolled-back',
  );
});

test('a 5xx spike after continue rolls back like any deploy', async () => {
  const { sim, out } = await held({ faults: [{ name: '5xx-spike', afterSeconds: 0, errorRatio: 0.5 }] });
  if (out.status !== 'held') throw new Error(out.status);
  const res = await continueDeploy(deps(sim), { topology: t, owner: APPROVER });
  expect(res).toMatchObject({ status: 'rolled-back', gate: '5xx' });
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
});

test('refusals: hold after an all-at-once deploy; abort without a reason; a rollback never holds', async () => {
  const sim = createSimulation({ topologies: [t], seed: 3 });
  const allAtOnce = await deploy(deps(sim), {
    topology: t,
    imageTag: 'v1.1.0',
    strategy: 'all-at-once',
    holdAfter: 'canary',
    owner: DEPLOYER,
  });
  expect(allAtOnce).toMatchObject({ status: 'refused', code: 'invalid-request' });
  expect(allAtOnce.status === 'refused' && allAtOnce.reason).toMatch(
    /no step before 100%.*--hold-after none/,
  );
  expect(await abortDeploy(deps(sim), { topology: t, owner: APPROVER })).toMatchObject({
    status: 'refused',
    code: 'invalid-request',
  });
  const dry = await deploy(deps(sim), {
    topology: t,
    imageTag: 'v1.1.0',
    holdAfter: 'canary',
    dryRun: true,
    owner: DEPLOYER,
  });
  expect(dry.status === 'dry-run' && dry.plan.hold).toEqual({
    afterStep: 0,
    percent: 10,
    timeoutSeconds: 1800,
  });
  const rbDry = await deploy(deps(sim), {
    topology: { ...t, deployment: { ...t.deployment, holdAfter: 'canary' } },
    imageTag: 'v1.1.0',
    kind: 'rollback',
    dryRun: true,
    owner: DEPLOYER,
  });
  expect(rbDry.status === 'dry-run' && rbDry.plan.hold).toBeUndefined();
});

test('a rollback refused by a held deploy names abort; status explains the hold, then its expiry', async () => {
  const { sim, out } = await held();
  if (out.status !== 'held') throw new Error(out.status);
  const rb = await rollback(deps(sim), {
    topology: t,
    reason: 'x',
    owner: { actor: 'oncall', host: 'pager', operation: 'rollback' },
  });
  expect(rb.status === 'refused' && rb.reason).toMatch(
    /held for approval .*switchyard abort --env dev --service api/,
  );
  const st = await serviceStatus(deps(sim), t);
  expect(st.held).toMatchObject({ releaseId: out.release.id, expired: false, lockKept: true });
  expect(st.notes.join('\n')).toMatch(
    /held for approval with blue 90% \/ green 10% until .* \(30 min left; the lock is kept until then\)/,
  );
  expect(st.warnings.map((w) => w.code)).not.toContain('killed-deployer');
  await sim.clock.sleep(out.until - sim.clock.now());
  const late = await serviceStatus(deps(sim), t);
  expect(late.warnings.find((w) => w.code === 'hold-expired')?.message).toMatch(
    /hold EXPIRED.*switchyard abort --env dev --service api --reason "hold expired"/,
  );
});
