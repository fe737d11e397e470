/**
 * Alarm preflight and scoping (core/alarms.ts): every alarm of the topology (alarms.blue / .green /
 * .shared) is read in the read-only preflight, so a misspelt/missing one is refused before any write. A
 * release to green is judged on green's own alarms and the shared ones — never on blue's (the colour it
 * replaces). A deploy is refused while a gating alarm fires, unless the live colour's own alarm fires too
 * (a roll-forward over a bad live release); then pre-firing alarms fail a bake only on a new transition.
 */
import { deploy, executeDeploy } from '../../../services/deployer/src/core/deploy';
import { exampleTopology, scenario } from './harness';

const key = { environment: 'dev', service: 'api' };
// blue is live in the seeded world, so a deploy goes to green
const GREEN = 'switchyard-dev-api-green-5xx-share';
const GREEN_HOSTS = 'switchyard-dev-api-green-unhealthy-hosts';
const BLUE = 'switchyard-dev-api-blue-5xx-share';
const SHARED = 'switchyard-dev-alb-5xx';

async function expectNoWrites(s: ReturnType<typeof scenario>) {
  expect(s.sim.writes()).toHaveLength(0); // no ECS/ELB/Auto Scaling write
  expect(s.sim.memoryStore.writes).toBe(0); // no lock, no release
  expect(await s.sim.store.getLock(key)).toBeUndefined();
  expect(await s.sim.store.listReleases(key, 5)).toHaveLength(0);
}

const fire = (s: ReturnType<typeof scenario>, name: string, at = s.sim.clock.now()) => {
  s.sim.world.state.alarms[name] = { state: 'ALARM', since: at };
};

test('a misspelt alarm name (in any scope) is refused in the preflight, naming the alarm', async () => {
  const s = scenario(); // the world has the real alarms
  const base = exampleTopology();
  const topology = {
    ...base,
    alarms: { ...base.alarms, blue: [BLUE, 'switchyard-dev-api-blue-unhealthy-hostz'] },
  };
  const out = await deploy(s.sim.deps(s.events), s.request({ topology }));
  expect(out).toMatchObject({ status: 'refused', code: 'alarm-missing' });
  expect(out.status === 'refused' && out.reason).toMatch(
    /CloudWatch alarm\(s\) not found: switchyard-dev-api-blue-unhealthy-hostz; fix the alarm names in the topology.*after traffic moved/,
  );
  await expectNoWrites(s);
  expect(s.events.ofType('refused')).toHaveLength(1);
});

test("a gating alarm (green's own) in ALARM while blue's are OK is refused before the deploy starts", async () => {
  const s = scenario();
  fire(s, GREEN_HOSTS);
  const out = await deploy(s.sim.deps(s.events), s.request());
  expect(out).toMatchObject({ status: 'refused', code: 'alarm-firing' });
  expect(out.status === 'refused' && out.reason).toMatch(
    new RegExp(
      `^alarm ${GREEN_HOSTS} is in ALARM before the deploy started \\(${GREEN_HOSTS}: green's own\\)`,
    ),
  );
  expect(out.status === 'refused' && out.reason).toContain('switchyard rollback --env dev --service api');
  await expectNoWrites(s);
});

test('a shared alarm in ALARM with a healthy live colour refuses; several are all named; the dry run too', async () => {
  const s = scenario();
  for (const a of [GREEN, SHARED]) fire(s, a);
  const out = await deploy(s.sim.deps(s.events), s.request({ dryRun: true }));
  expect(out).toMatchObject({ status: 'refused', code: 'alarm-firing' });
  expect(out.status === 'refused' && out.reason).toContain(
    `alarms ${GREEN}, ${SHARED} are in ALARM before the deploy started (${GREEN}: green's own; ${SHARED}: shared)`,
  );
  await expectNoWrites(s);
});

test('alarms in INSUFFICIENT_DATA do not block; the deploy gates on them as before', async () => {
  const s = scenario();
  s.sim.world.state.alarms[GREEN] = { state: 'INSUFFICIENT_DATA', since: s.sim.clock.now() };
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'all-at-once' }));
  expect(out.status).toBe('deployed');
});

test('a rollback (kind rollback) is not blocked by a firing alarm — it warns', async () => {
  const s = scenario();
  fire(s, SHARED);
  const out = await executeDeploy(s.sim.deps(s.events), s.request({ dryRun: true, kind: 'rollback' }));
  expect(out.status).toBe('dry-run');
  expect(s.events.ofType('alarm.firing')[0]).toMatchObject({
    level: 'warn',
    message: expect.stringContaining(`alarm ${SHARED} is in ALARM before the rollback started`),
  });
  expect(out.status === 'dry-run' && out.plan.gates.alarmsPreFiring).toEqual([SHARED]);
});

test("roll-forward: the live colour's own alarm in ALARM does not refuse a deploy, nor gate it", async () => {
  const s = scenario();
  fire(s, BLUE); // the live release is the incident
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'all-at-once' }));
  expect(out.status).toBe('deployed');
  expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 0, green: 100 });
  expect(s.events.ofType('alarm.firing')[0]?.message).toContain(
    `alarm ${BLUE} is in ALARM on blue, the colour this deploy moves traffic away from: not gating it`,
  );
  // the plan says which alarms gate the release and which do not
  expect(out.status === 'deployed' && out.plan.gates.alarms).toEqual([
    GREEN,
    'switchyard-dev-api-green-p95-latency',
    GREEN_HOSTS,
    SHARED,
  ]);
  expect(out.status === 'deployed' && out.plan.gates.alarmsNotGating).toContain(BLUE);
});

test('roll-forward during an incident: a shared alarm already in ALARM does not fail the bakes while it stays in that state', async () => {
  const s = scenario();
  fire(s, BLUE);
  fire(s, SHARED);
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'all-at-once' }));
  expect(out.status).toBe('deployed');
  expect(
    s.events
      .ofType('alarm.firing')
      .map((e) => e.message)
      .join('\n'),
  ).toContain(`alarm ${SHARED} is in ALARM too; continuing because blue's own alarm fires`);
  expect(s.events.ofType('bake.progress')[0]?.message).toContain(
    `(still in ALARM since before the run: ${SHARED})`,
  );
});

test('…but a pre-firing shared alarm that goes to ALARM again after the run started fails the bake', async () => {
  const s = scenario();
  fire(s, BLUE);
  fire(s, SHARED);
  // once traffic reaches green: OK for a moment, then ALARM again (a new StateTransitionedTimestamp)
  const start = s.sim.clock.now();
  s.sim.clock.at(start + 6 * 60_000, () => fire(s, SHARED));
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'all-at-once' }));
  expect(out).toMatchObject({ status: 'rolled-back', gate: 'alarm' });
  expect(out.status === 'rolled-back' && out.reason).toContain(`CloudWatch alarm in ALARM: ${SHARED}`);
});

test('a gating alarm pre-firing in a roll-forward that is seen OK and then fires again fails (no timestamps needed)', async () => {
  const s = scenario();
  fire(s, BLUE);
  fire(s, GREEN, 0); // stale green alarm; its timestamp never changes below
  const start = s.sim.clock.now();
  s.sim.clock.at(start + 5 * 60_000, () => {
    s.sim.world.state.alarms[GREEN] = { state: 'OK', since: 0 };
  });
  s.sim.clock.at(start + 6 * 60_000, () => {
    s.sim.world.state.alarms[GREEN] = { state: 'ALARM', since: 0 };
  });
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'all-at-once' }));
  expect(out).toMatchObject({ status: 'rolled-back', gate: 'alarm' });
  expect(out.status === 'rolled-back' && out.reason).toContain(GREEN);
});

test('no alarms configured: no DescribeAlarms in the preflight', async () => {
  const s = scenario({ topology: { ...exampleTopology(), alarms: { blue: [], green: [], shared: [] } } });
  const out = await deploy(s.sim.deps(s.events), s.request({ dryRun: true }));
  expect(out.status).toBe('dry-run');
  expect(s.sim.calls()['cloudwatch:DescribeAlarms']).toBeUndefined();
});
