/**
 * Alarm preflight: the alarms in topology.alarmNames are checked in the read-only preflight, so a
 * misspelt/missing alarm or one already in ALARM is refused before any write — not discovered in the
 * first bake after traffic moved.
 */
import { deploy, executeDeploy } from '../../../services/deployer/src/core/deploy';
import { exampleTopology, scenario } from './harness';

const key = { environment: 'dev', service: 'api' };
const P99 = 'switchyard-dev-api-p99-latency';
const HOSTS = 'switchyard-dev-api-unhealthy-hosts';

async function expectNoWrites(s: ReturnType<typeof scenario>) {
  expect(s.sim.writes()).toHaveLength(0); // no ECS/ELB/Auto Scaling write
  expect(s.sim.memoryStore.writes).toBe(0); // no lock, no release
  expect(await s.sim.store.getLock(key)).toBeUndefined();
  expect(await s.sim.store.listReleases(key, 5)).toHaveLength(0);
}

test('a misspelt alarm name is refused in the preflight, naming the alarm', async () => {
  const s = scenario(); // the world has the real alarms
  const topology = { ...exampleTopology(), alarmNames: [P99, 'switchyard-dev-api-unhealthy-hostz'] };
  const out = await deploy(s.sim.deps(s.events), s.request({ topology }));
  expect(out).toMatchObject({ status: 'refused', code: 'alarm-missing' });
  expect(out.status === 'refused' && out.reason).toMatch(
    /CloudWatch alarm\(s\) not found: switchyard-dev-api-unhealthy-hostz; fix alarmNames in the topology.*after traffic moved/,
  );
  expect(out.status === 'refused' && out.reason).not.toContain(`${P99},`);
  await expectNoWrites(s);
  expect(s.events.ofType('refused')).toHaveLength(1);
});

test('an alarm already in ALARM is refused before the deploy starts', async () => {
  const s = scenario();
  s.sim.world.state.alarms[HOSTS] = { state: 'ALARM', since: s.sim.clock.now() };
  const out = await deploy(s.sim.deps(s.events), s.request());
  expect(out).toMatchObject({ status: 'refused', code: 'alarm-firing' });
  expect(out.status === 'refused' && out.reason).toMatch(
    new RegExp(
      `^alarm ${HOSTS} is in ALARM before the deploy started; fix it or wait until it returns to OK`,
    ),
  );
  expect(out.status === 'refused' && out.reason).toContain('switchyard rollback --env dev --service api');
  await expectNoWrites(s);
});

test('several firing alarms are all named; the dry run refuses the same way', async () => {
  const s = scenario();
  for (const a of [P99, HOSTS]) s.sim.world.state.alarms[a] = { state: 'ALARM', since: s.sim.clock.now() };
  const out = await deploy(s.sim.deps(s.events), s.request({ dryRun: true }));
  expect(out).toMatchObject({ status: 'refused', code: 'alarm-firing' });
  expect(out.status === 'refused' && out.reason).toContain(`alarms ${P99}, ${HOSTS} are in ALARM`);
  await expectNoWrites(s);
});

test('alarms in INSUFFICIENT_DATA do not block; the deploy gates on them as before', async () => {
  const s = scenario();
  s.sim.world.state.alarms[P99] = { state: 'INSUFFICIENT_DATA', since: s.sim.clock.now() };
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'all-at-once' }));
  expect(out.status).toBe('deployed');
});

test('a rollback (kind rollback) is not blocked by a firing alarm — it warns', async () => {
  const s = scenario();
  s.sim.world.state.alarms[P99] = { state: 'ALARM', since: s.sim.clock.now() };
  const out = await executeDeploy(s.sim.deps(s.events), s.request({ dryRun: true, kind: 'rollback' }));
  expect(out.status).toBe('dry-run');
  expect(s.events.ofType('alarm.firing')[0]).toMatchObject({
    level: 'warn',
    message: expect.stringContaining(`alarm ${P99} is in ALARM before the rollback started`),
  });
});

test('no alarms configured: no DescribeAlarms in the preflight', async () => {
  const s = scenario({ topology: { ...exampleTopology(), alarmNames: [] } });
  const out = await deploy(s.sim.deps(s.events), s.request({ dryRun: true }));
  expect(out.status).toBe('dry-run');
  expect(s.sim.calls()['cloudwatch:DescribeAlarms']).toBeUndefined();
});
