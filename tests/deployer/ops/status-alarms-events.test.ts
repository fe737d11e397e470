/**
 * `switchyard status` (issue 9 item 12): reads the topology's alarms — a firing one is a warning naming
 * it and saying what the next deploy would do (the same decision as the deploy preflight) — and shows
 * the latest ECS service events of each colour.
 */
import { deploy } from '../../../services/deployer/src/core/deploy';
import { formatStatusText, serviceStatus } from '../../../services/deployer/src/ops/status';
import { deployOk, makeEnv, request, topology } from './harness';

const dev = topology('dev');
const BLUE = 'switchyard-dev-api-blue-5xx-share';
const GREEN = 'switchyard-dev-api-green-p95-latency';
const SHARED = 'switchyard-dev-alb-5xx';

function fire(env: ReturnType<typeof makeEnv>, name: string) {
  env.sim.world.state.alarms[name] = { state: 'ALARM', since: env.sim.clock.now() };
}

test('no alarm firing: every alarm read, none warned about', async () => {
  const env = makeEnv([dev]);
  const st = await serviceStatus(env.deps(dev), dev);
  expect(st.alarms).toHaveLength(7);
  expect(st.alarms!.every((a) => a.state === 'OK')).toBe(true);
  expect(st.warnings).toEqual([]);
  const text = formatStatusText({ environment: 'dev', generatedAt: 0, services: [st] });
  expect(text).toContain('alarms: 7 OK');
});

test('a firing shared alarm: warned by name, the next deploy would be refused — and it is', async () => {
  const env = makeEnv([dev]);
  fire(env, SHARED);
  const st = await serviceStatus(env.deps(dev), dev);
  expect(st.warnings).toEqual([
    {
      code: 'alarm-firing',
      message: expect.stringMatching(
        new RegExp(
          `^alarm ${SHARED} \\(shared\\) is in ALARM since 2026-01-01T00:00:00Z: the next deploy or promote of dev/api would be refused \\(alarm-firing\\) until it returns to OK; a rollback is not blocked$`,
        ),
      ),
    },
  ]);
  const text = formatStatusText({ environment: 'dev', generatedAt: 0, services: [st] });
  expect(text).toContain(`alarms: 6 OK; in ALARM: ${SHARED} (shared)`);
  expect(text).toContain(`WARNING [alarm-firing] alarm ${SHARED} (shared) is in ALARM`);
  // what status said is what deploy does
  const out = await deploy(env.deps(dev), request(dev, 'v1.1.0'));
  expect(out).toMatchObject({ status: 'refused', code: 'alarm-firing' });
});

test("the next deploy's own colour alarm (green) also refuses it; the live colour's alarm says roll back or roll forward", async () => {
  const env = makeEnv([dev]);
  fire(env, GREEN);
  let st = await serviceStatus(env.deps(dev), dev);
  expect(st.warnings[0].message).toContain(`alarm ${GREEN} (green's own) is in ALARM`);
  expect(st.warnings[0].message).toContain('the next deploy or promote of dev/api would be refused');

  const env2 = makeEnv([dev]);
  fire(env2, BLUE);
  fire(env2, SHARED);
  st = await serviceStatus(env2.deps(dev), dev);
  const byName = (n: string) => st.warnings.find((w) => w.message.startsWith(`alarm ${n} `))!.message;
  expect(byName(BLUE)).toMatch(
    /the live release on blue looks unhealthy\. Roll back with `switchyard rollback --env dev --service api --reason "…"`, or deploy a fix — the next deploy is not refused for it/,
  );
  expect(byName(SHARED)).toMatch(
    new RegExp(
      `the next deploy is not refused for it because blue's own alarm ${BLUE} fires \\(a roll-forward`,
    ),
  );
  const out = await deploy(env2.deps(dev), request(dev, 'v1.1.0', { strategy: 'all-at-once' }));
  expect(out.status).toBe('deployed');
});

test('an alarm the topology names but CloudWatch does not have: warned, the next deploy would be refused', async () => {
  const env = makeEnv([dev]);
  const t = { ...dev, alarms: { ...dev.alarms, shared: [SHARED, 'switchyard-dev-typo'] } };
  const st = await serviceStatus(env.deps(t), t);
  expect(st.warnings).toEqual([
    {
      code: 'alarm-missing',
      message: expect.stringMatching(
        /CloudWatch alarm\(s\) not found: switchyard-dev-typo.*the next deploy would be refused \(alarm-missing\)/,
      ),
    },
  ]);
});

test('without a metrics port nothing is read (older callers)', async () => {
  const env = makeEnv([dev]);
  fire(env, SHARED);
  const { metrics: _none, ...deps } = env.deps(dev);
  const st = await serviceStatus(deps, dev);
  expect(st.alarms).toBeUndefined();
  expect(st.warnings).toEqual([]);
});

test('the latest ECS service events of each colour, newest first', async () => {
  const env = makeEnv([dev]);
  await deployOk(env, dev, 'v1.1.0', { strategy: 'all-at-once' });
  await env.sim.clock.sleep(60_000); // blue's tasks stop after its scale-down
  const st = await serviceStatus(env.deps(dev), dev);
  const green = st.colours!.green.events;
  expect(green.length).toBe(3);
  expect(green[0].at).toBeGreaterThanOrEqual(green[1].at);
  expect(green.map((e) => e.message).join('\n')).toMatch(
    /\(service api-green\) has reached a steady state\./,
  );
  const blue = st.colours!.blue.events;
  expect(blue[0].message).toMatch(
    /^\(service api-blue\) has stopped 1 running tasks: \(task task-[0-9a-f]+\)\. Reason: Scaling activity/,
  );
  const text = formatStatusText({ environment: 'dev', generatedAt: 0, services: [st] });
  expect(text).toMatch(/ {9}2026-01-01T\d\d:\d\d:\d\dZ {2}\(service api-green\) /);
});
