/**
 * What everyone else says while a deploy is held for approval (core/hold.ts): the canary's split weights
 * and the kept lock are the hold, so `status`, `deploy`, `deploy --force-unlock`, `promote`-style deploys
 * and `rollback` name the hold, its expiry and `continue` / `abort` — never `--force-unlock` or `rollback`
 * as the way out of a healthy hold — and say precisely what applies once it expired or lost its lock.
 */
import { CollectingSink } from '../../../services/deployer/src/core/events';
import { deploy, type DeployOutcome } from '../../../services/deployer/src/core/deploy';
import { continueDeploy } from '../../../services/deployer/src/core/resume';
import { rollback } from '../../../services/deployer/src/ops/rollback';
import { serviceStatus } from '../../../services/deployer/src/ops/status';
import type { Simulation } from '../../../services/deployer/src/sim';
import type { ServiceTopology } from '../../../services/topology';
import { heldDeploy, heldTopology } from './harness';

const KEY = { environment: 'dev', service: 'api' };
const t: ServiceTopology = heldTopology();
const DEPLOYER = { actor: 'ci', host: 'runner', operation: 'deploy' } as const;
const ONCALL = { actor: 'oncall', host: 'pager', operation: 'rollback' } as const;

async function held(): Promise<{ sim: Simulation; out: Extract<DeployOutcome, { status: 'held' }> }> {
  const { sim, out } = await heldDeploy(t, DEPLOYER);
  if (out.status !== 'held') throw new Error(JSON.stringify(out));
  return { sim, out };
}
const deps = (sim: Simulation) => ({ ...sim.deps(new CollectingSink()), signal: undefined });
const reasonOf = (o: { status: string; reason?: string }) => (o.status === 'refused' ? o.reason! : '');

const CONTINUE = 'switchyard continue --env dev --service api';
const ABORT = 'switchyard abort --env dev --service api --reason "…"';

describe('a healthy hold (not expired, lock kept)', () => {
  test('status: no split-weights warning, one note naming continue and abort', async () => {
    const { sim, out } = await held();
    const st = await serviceStatus(deps(sim), t);
    expect(st.live?.status).toBe('split');
    expect(st.warnings).toEqual([]);
    expect(st.notes).toHaveLength(1);
    expect(st.notes[0]).toContain(
      `release ${out.release.id} (deploy of v1.1.0 to green by ci) is held for approval`,
    );
    expect(st.notes[0]).toContain('blue 90% / green 10%');
    expect(st.notes[0]).toContain(new Date(out.until).toISOString().replace('.000Z', 'Z'));
    expect(st.notes[0]).toContain(`\`${CONTINUE}\``);
    expect(st.notes[0]).toContain(`\`${ABORT}\` puts 100% back on blue and scales green down`);
    expect(st.notes[0]).not.toMatch(/rollback|--force-unlock/);
  });

  test('deploy: refused (held-for-approval) naming the hold and its expiry, not --force-unlock', async () => {
    const { sim, out } = await held();
    const r = await deploy(deps(sim), { topology: t, imageTag: 'v1.2.0', owner: DEPLOYER });
    expect(r).toMatchObject({ status: 'refused', code: 'held-for-approval' });
    const why = reasonOf(r);
    expect(why).toContain(`release ${out.release.id}`);
    expect(why).toMatch(/until 2026-\S+ \(30 min left/);
    expect(why).toContain(CONTINUE);
    expect(why).toContain(ABORT);
    expect(why).toMatch(/then deploy v1\.2\.0 again$/);
    expect(why).not.toMatch(/--force-unlock|switchyard rollback/);
    expect(sim.world.trafficWeights(t)).toEqual({ blue: 90, green: 10 });
  });

  test('deploy --force-unlock: refused the same way before the lock is touched (not split-weights)', async () => {
    const { sim, out } = await held();
    const before = await sim.store.getLock(KEY);
    const r = await deploy(
      deps(sim),
      { topology: t, imageTag: 'v1.2.0', owner: DEPLOYER },
      { forceUnlock: { reason: 'x' } },
    );
    expect(r).toMatchObject({ status: 'refused', code: 'held-for-approval' });
    expect(reasonOf(r)).toContain(`release ${out.release.id}`);
    expect(reasonOf(r)).toContain(CONTINUE);
    expect(reasonOf(r)).not.toMatch(/--force-unlock|switchyard rollback/);
    expect(await sim.store.getLock(KEY)).toEqual(before); // the hold keeps its lock
  });

  test('promote-kind deploy: named as such', async () => {
    const { sim } = await held();
    const r = await deploy(deps(sim), { topology: t, imageTag: 'v1.2.0', kind: 'promote', owner: DEPLOYER });
    expect(r).toMatchObject({ status: 'refused', code: 'held-for-approval' });
    expect(reasonOf(r)).toMatch(/then promote v1\.2\.0 again$/);
  });

  test('rollback: refused (held-for-approval) — abort is the rollback of a held deploy', async () => {
    const { sim } = await held();
    const r = await rollback(deps(sim), { topology: t, reason: 'x', owner: ONCALL });
    expect(r).toMatchObject({ status: 'refused', code: 'held-for-approval' });
    const why = reasonOf(r);
    expect(why).toContain(ABORT);
    expect(why).toContain('aborting is the rollback of a held deploy');
    expect(why).not.toMatch(/--force-unlock|then rollback again/);
  });

  test('weights moved by hand during the hold: a warning saying continue is refused and abort restores', async () => {
    const { sim, out } = await held();
    await sim.lb.setRuleWeights(t.productionRuleArn, [
      { targetGroupArn: t.targetGroupArns.blue, weight: 50 },
      { targetGroupArn: t.targetGroupArns.green, weight: 50 },
    ]);
    const st = await serviceStatus(deps(sim), t);
    expect(st.notes).toEqual([]);
    expect(st.warnings).toHaveLength(1);
    expect(st.warnings[0].code).toBe('split-weights');
    expect(st.warnings[0].message).toContain(`release ${out.release.id}`);
    expect(st.warnings[0].message).toMatch(
      /production is now blue 50% \/ green 50%, not the held step's blue 90% \/ green 10%: someone moved traffic, so `switchyard continue` is refused; `switchyard abort --env dev --service api --reason "…"` restores blue/,
    );
  });
});

test('expired hold: status and deploy say it expired and to abort (abort --expired runs by itself)', async () => {
  const { sim, out } = await held();
  await sim.clock.sleep(out.until - sim.clock.now() + 1000);
  const st = await serviceStatus(deps(sim), t);
  expect(st.warnings.map((w) => w.code)).toEqual(['hold-expired']); // no split-weights next to it
  expect(st.warnings[0].message).toMatch(/the hold EXPIRED, so it is aborted, not continued/);
  expect(st.warnings[0].message).toContain(
    '`switchyard abort --env dev --service api --reason "hold expired"`',
  );
  expect(st.warnings[0].message).toContain('`switchyard abort --env dev --expired --reason "hold expired"`');
  const r = await deploy(deps(sim), { topology: t, imageTag: 'v1.2.0', owner: DEPLOYER });
  expect(r).toMatchObject({ status: 'refused', code: 'held-for-approval' });
  expect(reasonOf(r)).toMatch(/hold EXPIRED.*then deploy v1\.2\.0 again$/);
  expect(reasonOf(r)).not.toMatch(/--force-unlock|switchyard continue/);
});

test('lost hold (lock forced, now free): status and deploy say it is void and abort restores', async () => {
  const { sim } = await held();
  await sim.store.forceUnlock(KEY, 'mallory', 'cleaning up');
  const st = await serviceStatus(deps(sim), t);
  expect(st.warnings.map((w) => w.code)).toEqual(['hold-lost']);
  expect(st.warnings[0].message).toMatch(
    /its lock was forced or released: the hold is void and cannot be continued\. Run `switchyard abort --env dev --service api --reason "…"` \(puts 100% back on blue and scales green down\)$/,
  );
  const r = await deploy(deps(sim), { topology: t, imageTag: 'v1.2.0', owner: DEPLOYER });
  expect(r).toMatchObject({ status: 'refused', code: 'held-for-approval' });
  expect(reasonOf(r)).toMatch(/hold is void.*switchyard abort.*then deploy v1\.2\.0 again$/);
});

test('continue of a lost hold (lock free): refused hold-lost, pointing at abort, not rollback', async () => {
  const { sim } = await held();
  await sim.store.forceUnlock(KEY, 'mallory', 'cleaning up');
  const r = await continueDeploy(deps(sim), {
    topology: t,
    owner: { actor: 'approver', host: 'runner-2', operation: 'continue' },
  });
  expect(r).toMatchObject({ status: 'refused', code: 'hold-lost' });
  expect(reasonOf(r)).toMatch(
    /the hold is void and was not continued\. `switchyard abort --env dev --service api --reason "…"` puts 100% back on blue and scales green down$/,
  );
  expect(reasonOf(r)).not.toMatch(/switchyard rollback/);
});

test('rollback after the hold expired: recovers it (as abort would) and says it was a hold, not a dead deployer', async () => {
  const { sim, out } = await held();
  await sim.clock.sleep(out.until - sim.clock.now() + 1000);
  const events = new CollectingSink();
  const r = await rollback(
    { ...sim.deps(events), signal: undefined },
    { topology: t, reason: 'x', owner: ONCALL },
  );
  expect(r.status).toBe('rolled-back');
  expect(sim.world.trafficWeights(t)).toEqual({ blue: 100, green: 0 });
  const text = events.events.map((e) => e.message).join('\n');
  expect(text).toMatch(/release \S+ was held for approval until \S+ and nobody continued it/);
  expect(text).not.toMatch(/died at step "held"/);
  const old = (await sim.store.listReleases(KEY, 2)).find((x) => x.id === out.release.id)!;
  expect(old.outcome).toBe('failed');
  expect(old.reason).toMatch(/^was held for approval until/);
});

test('an alarm firing during a healthy hold: status says do not continue, abort — not rollback', async () => {
  const { sim } = await held();
  const name = t.alarms.green[0] ?? t.alarms.shared[0];
  sim.world.state.alarms[name] = { state: 'ALARM', since: sim.clock.now() };
  const st = await serviceStatus(deps(sim), t);
  const w = st.warnings.find((x) => x.code === 'alarm-firing');
  expect(w?.message).toMatch(
    /is held for approval with its canary on green: do not continue it if the canary is to blame — `switchyard abort --env dev --service api --reason "…"` puts 100% back on blue$/,
  );
  expect(st.warnings.map((x) => x.message).join('\n')).not.toMatch(/switchyard rollback/);
});
