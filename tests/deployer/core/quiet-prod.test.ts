/**
 * Quiet services in prod (issue 13 item 3): a service too quiet for the 5xx gate (core/quiet.ts's verdict,
 * read in the plan by core/plan-traffic.ts) deploys only with a smoke test or the explicit opt-in
 * `quietTraffic: allow`; otherwise the deploy is refused (exit 2) before anything is written.
 */
import { exitCodeOf } from '../../../services/deployer/src/cli/present';
import { deploy } from '../../../services/deployer/src/core/deploy';
import { quietProblem } from '../../../services/deployer/src/core/preflight';
import { ExitCode } from '../../../services/deployer/src/exit-codes';
import type { ServiceTopology } from '../../../services/topology';
import { exampleTopology, plainTopology, quieter, scenario } from './harness';

/** The prod example without a smoke test, with the prod tier's rule (or `rule`). */
const prod = (rule: 'allow' | 'require-smoke-test' = 'require-smoke-test', t = plainTopology('prod')) => ({
  ...t,
  deployment: { ...t.deployment, quietTraffic: rule },
});

/** Runs a deploy (or dry run) of `topology` in a world with 1/100 of the example's traffic (~12/min). */
async function quietDeploy(topology: ServiceTopology, dryRun = false) {
  const s = scenario({ topology });
  const deps = s.sim.deps(s.events);
  // the prod tier holds after the canary by default; these tests are about the quiet-traffic rule
  const out = await deploy(
    { ...deps, metrics: quieter(100)(deps.metrics) },
    s.request({ dryRun, holdAfter: 'none' }),
  );
  return { s, out };
}

test('prod, quiet, no smoke test: refused (exit 2) naming the service and both fixes; nothing written', async () => {
  for (const dryRun of [false, true]) {
    const { s, out } = await quietDeploy(prod(), dryRun);
    if (out.status !== 'refused') throw new Error(out.status);
    expect(out.code).toBe('quiet-unverified');
    expect(exitCodeOf(out)).toBe(ExitCode.Refused);
    expect(out.reason).toMatch(
      /^prod\/api is too quiet for the 5xx gate \(~12 requests\/min on blue.*\); a judged window needs ≥ 34 requests\/min\)/,
    );
    expect(out.reason).toContain('add services[].smokeTest');
    expect(out.reason).toContain('opt in explicitly with deploy.quietTraffic: allow');
    expect(s.sim.memoryStore.writes).toBe(0);
    expect(s.sim.writes()).toEqual([]);
  }
});

test('prod, quiet, with a smoke test: deploys (the smoke test ran before any production traffic)', async () => {
  const withSmoke = prod('require-smoke-test', {
    ...plainTopology('prod'),
    testListenerUrl: exampleTopology('dev').testListenerUrl!.replace('-dev-', '-prod-'),
    smokeTest: { http: [{ path: '/health', count: 1 }] },
  });
  const { s, out } = await quietDeploy(withSmoke);
  expect(out.status).toBe('deployed');
  expect(s.events.ofType('smoke.passed')).toHaveLength(1);
});

test('the explicit opt-in (quietTraffic: allow) deploys with the warning; a busy prod service needs no smoke test', async () => {
  const { s, out } = await quietDeploy(prod('allow'));
  expect(out.status).toBe('deployed');
  expect(s.events.ofType('plan.warning').some((e) => /too quiet for the 5xx gate/.test(e.message))).toBe(
    true,
  );
  const busy = scenario({ topology: prod() });
  expect((await deploy(busy.sim.deps(busy.events), busy.request({ holdAfter: 'none' }))).status).toBe(
    'deployed',
  );
});

test('quietProblem: rollbacks, unknown traffic and the default rule are never refused', () => {
  const traffic = {
    colour: 'blue' as const,
    perMinute: 2,
    fromMs: 0,
    toMs: 180_000,
    quiet: true,
    neededPerMinute: 100 / 3,
    unjudgedPercents: [],
  };
  const settings = { quietTraffic: 'require-smoke-test' as const, min5xxSampleRequests: 50 };
  const plan = { kind: 'deploy' as const, traffic };
  expect(quietProblem('prod/api', plan, settings)).toMatch(/too quiet/);
  expect(quietProblem('prod/api', { ...plan, kind: 'promote' }, settings)).toMatch(/too quiet/);
  expect(quietProblem('prod/api', { ...plan, kind: 'rollback' }, settings)).toBeUndefined();
  expect(
    quietProblem(
      'prod/api',
      { ...plan, traffic: { ...traffic, perMinute: undefined, quiet: false } },
      settings,
    ),
  ).toBeUndefined();
  expect(quietProblem('prod/api', plan, { min5xxSampleRequests: 50 })).toBeUndefined(); // core default: allow
});
