/** Credentials that expire mid-deploy (issue 9 item 7): the worst case from the plan, and the refusal. */
import { deploy } from '../../../services/deployer/src/core/deploy';
import {
  credentialsProblem,
  FINAL_BAKE_EXTENSION_SECONDS,
  worstCaseSeconds,
} from '../../../services/deployer/src/core/worst-case';
import { scenario } from './harness';

const plan = {
  steps: [{ bakeSeconds: 240 }, { bakeSeconds: 240 }],
  finalBakeSeconds: 240,
  terminationWaitSeconds: 270,
  gates: { pollIntervalSeconds: 10, deploymentTimeoutSeconds: 900, healthyTimeoutSeconds: 300 },
};

test('worst case = set-up + ECS and health timeouts + every bake and a poll + the longest final bake + the longer of restore and termination wait', () => {
  expect(FINAL_BAKE_EXTENSION_SECONDS).toBe(360);
  const w = worstCaseSeconds(plan, 600);
  expect(w.seconds).toBe(60 + 900 + 300 + 2 * (240 + 10) + (360 + 10) + 600);
  expect(worstCaseSeconds({ ...plan, terminationWaitSeconds: 1200 }, 600).seconds).toBe(
    w.seconds - 600 + 1260,
  );
  expect(worstCaseSeconds({ ...plan, finalBakeSeconds: 900 }, 600).seconds).toBe(w.seconds - 370 + 910);
});

test("the restore reserve follows the plan's restore deadline and settle time (topology restoreDeadlineSeconds)", () => {
  const base = worstCaseSeconds(plan).seconds; // no plan.restore: the default reserve (600 s)
  const withRestore = { ...plan, restore: { deadlineSeconds: 1800, settleSeconds: 15 } };
  expect(worstCaseSeconds(withRestore).seconds).toBe(base - 600 + (1800 + 15 + 60));
  expect(worstCaseSeconds(withRestore).parts.at(-1)).toBe('then restore or termination wait 1875s');
});

test('refuses only when the known expiry comes before the worst case', () => {
  const now = Date.UTC(2026, 0, 1);
  const worst = worstCaseSeconds(plan).seconds * 1000;
  expect(credentialsProblem(plan, undefined, now)).toBeUndefined();
  expect(credentialsProblem(plan, now + worst, now)).toBeUndefined();
  expect(credentialsProblem(plan, now + worst - 1000, now)).toMatch(
    /^the AWS credentials expire at 2026-01-01T00:\d\d:\d\dZ \(in 45 min 29 s\), but this deploy can take up to 45 min 30 s \(set-up 60s \+ ECS deployment 900s/,
  );
});

test('a deploy whose credentials expire before its worst-case end is refused before anything is written (no lock, no release)', async () => {
  const s = scenario();
  const deps = s.sim.deps(s.events);
  const now = s.sim.clock.now();
  const out = await deploy({ ...deps, credentialsExpireAt: now + 20 * 60_000 }, s.request());
  expect(out).toMatchObject({ status: 'refused', code: 'credentials-expire' });
  expect(await s.sim.store.listReleases({ environment: 'dev', service: 'api' }, 5)).toEqual([]);
  expect(s.events.ofType('lock.acquired')).toEqual([]);
  // with a session long enough it deploys
  const ok = await deploy({ ...deps, credentialsExpireAt: now + 2 * 3600_000 }, s.request());
  expect(ok.status).toBe('deployed');
});

test('a dry run shows the problem as a plan warning', async () => {
  const s = scenario();
  const deps = s.sim.deps(s.events);
  const out = await deploy(
    { ...deps, credentialsExpireAt: s.sim.clock.now() + 60_000 },
    s.request({ dryRun: true }),
  );
  expect(out.status).toBe('dry-run');
  expect(s.events.ofType('plan.warning').map((e) => e.message)).toEqual(
    expect.arrayContaining([expect.stringMatching(/^the AWS credentials expire at/)]),
  );
});
