/**
 * Pre-traffic smoke tests (core/smoke.ts, step `smoke-testing`): through the test listener, after the new
 * colour is healthy and BEFORE any production weight moves; a failure rolls back with no production
 * traffic moved and the new colour scaled to 0.
 */
import { exitCodeOf, outcomeResult, planLines } from '../../../services/deployer/src/cli/present';
import { deploy } from '../../../services/deployer/src/core/deploy';
import { planSmokeTest, smokeWorstCaseSeconds } from '../../../services/deployer/src/core/smoke';
import { worstCaseSeconds } from '../../../services/deployer/src/core/worst-case';
import { ExitCode } from '../../../services/deployer/src/exit-codes';
import {
  PortError,
  type SmokeCommandRun,
  type SmokeHttpRequest,
  type SmokePort,
} from '../../../services/deployer/src/ports';
import type { ServiceTopology } from '../../../services/topology';
import { exampleTopology, plainTopology, scenario } from './harness';

const KEY = { environment: 'dev', service: 'api' };
const URL_ = 'http://test-alb.example:8080';
const withSmoke = (smokeTest: ServiceTopology['smokeTest'], t = plainTopology()): ServiceTopology => ({
  ...t,
  testListenerUrl: URL_,
  ...(smokeTest ? { smokeTest } : {}),
});

/** Production-rule writes of the run (weights). */
const productionWrites = (s: ReturnType<typeof scenario>) =>
  s.sim.world.state.weightHistory.filter((h) => h.ruleArn === s.topology.productionRuleArn);

test('the example topology: smoke test through the test listener, recorded, before the first production write', async () => {
  const s = scenario({ topology: exampleTopology() });
  expect(s.topology.smokeTest).toBeDefined();
  const out = await deploy(s.sim.deps(s.events), s.request());
  expect(out.status).toBe('deployed');
  const [rec] = await s.sim.store.listReleases(KEY, 1);
  expect(rec.smokeTest).toMatchObject({
    passed: true,
    colour: 'green',
    url: s.topology.testListenerUrl,
    checks: [{ request: 'GET /health', passed: true, attempts: 3 }],
  });
  const calls = s.sim.world.state.writes;
  const testRule = calls.find(
    (w) => w.api === 'elbv2:ModifyRule' && (w.args as { ruleArn: string }).ruleArn === s.topology.testRuleArn,
  )!;
  const smokeStart = s.events.ofType('smoke.check')[0].at;
  // the checks start only after the test-rule change had time to reach every ALB node
  expect(smokeStart - testRule.at).toBeGreaterThanOrEqual(15_000);
  expect(productionWrites(s)[0].at).toBeGreaterThan(smokeStart);
});

test('--fault smoke-fail: rolled back (exit 3) with NO production write, the new colour scaled to 0, the failure recorded', async () => {
  const s = scenario({ topology: exampleTopology(), faults: [{ name: 'smoke-fail' }] });
  const out = await deploy(s.sim.deps(s.events), s.request());
  if (out.status !== 'rolled-back') throw new Error(JSON.stringify(out));
  expect(exitCodeOf(out)).toBe(ExitCode.RolledBack);
  expect(outcomeResult('deploy', 'dev/api', out).headline).toBe(
    'rolled back v1.1.0 on dev/api: 100% on blue (smoke test failed: no production traffic moved), green scaled to 0',
  );
  expect(out.gate).toBe('smoke');
  expect(out.reason).toMatch(
    /smoke test of green failed before any production traffic moved: GET \/health \(attempt 1 of 3\) answered 500, expected 200/,
  );
  expect(out.restoredAt).toBeUndefined();
  expect(productionWrites(s)).toEqual([]);
  expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 100, green: 0 });
  expect(s.sim.world.colour(s.topology, 'green').desiredCount).toBe(0);
  const [rec] = await s.sim.store.listReleases(KEY, 1);
  expect(rec).toMatchObject({
    outcome: 'rolled-back',
    smokeTest: { passed: false, reason: expect.stringMatching(/answered 500/) },
  });
});

/** A smoke port answering every request with `status`/`body`, recording requests and commands. */
function fakeSmoke(
  answer: (req: SmokeHttpRequest) => { status: number; body: string } | Error,
  command: (run: SmokeCommandRun) => {
    exitCode: number | null;
    timedOut?: boolean;
    outputTail: string;
  } = () => ({
    exitCode: 0,
    outputTail: 'ok',
  }),
) {
  const requests: SmokeHttpRequest[] = [];
  const runs: SmokeCommandRun[] = [];
  const port: SmokePort = {
    http: async (req) => {
      requests.push(req);
      const a = answer(req);
      if (a instanceof Error) throw a;
      return a;
    },
    run: async (run) => {
      runs.push(run);
      const r = command(run);
      return { timedOut: false, ...r };
    },
  };
  return { port, requests, runs };
}

test('checks use the method, path, host, timeout and count; body mismatch fails naming what came back', async () => {
  const t = withSmoke({
    host: 'api.example.com',
    http: [
      { path: '/health', count: 2 },
      { path: '/version', method: 'HEAD', expectStatus: 204, timeoutSeconds: 2, count: 1 },
      { path: '/ready', bodyMatch: '^ready$', count: 1 },
    ],
  });
  const s = scenario({ topology: t });
  const f = fakeSmoke((req) =>
    req.url.endsWith('/version') ? { status: 204, body: '' } : { status: 200, body: 'not ready yet' },
  );
  const out = await deploy({ ...s.sim.deps(s.events), smoke: f.port }, s.request());
  expect(out).toMatchObject({ status: 'rolled-back', gate: 'smoke' });
  expect(out.status === 'rolled-back' && out.reason).toMatch(
    /GET \/ready \(attempt 1 of 1\) answered 200, but the body does not match \/\^ready\$\/: "not ready yet"/,
  );
  expect(f.requests.map((r) => `${r.method} ${r.url} ${r.host} ${r.timeoutMs}`)).toEqual([
    `GET ${URL_}/health api.example.com 5000`,
    `GET ${URL_}/health api.example.com 5000`,
    `HEAD ${URL_}/version api.example.com 2000`,
    `GET ${URL_}/ready api.example.com 5000`,
  ]);
  expect(productionWrites(s)).toEqual([]);
});

test('a request that fails (timeout, refused) fails the smoke test', async () => {
  const s = scenario({ topology: withSmoke({ http: [{ path: '/health' }] }) });
  const f = fakeSmoke(() => new PortError('unavailable', 'no answer within 5000 ms'));
  const out = await deploy({ ...s.sim.deps(s.events), smoke: f.port }, s.request());
  expect(out.status === 'rolled-back' && out.reason).toMatch(
    /GET \/health \(attempt 1 of 3\) failed: no answer within 5000 ms — can this host reach the test listener\? It admits the VPC's NAT addresses and alb\.testListener\.allowedCidrs only/,
  );
  expect(f.requests).toHaveLength(1); // stops at the first failure
});

test('the command runs after the checks with the test URL and the colour in its environment; its failure and output tail are recorded', async () => {
  const t = withSmoke({
    http: [{ path: '/health', count: 1 }],
    command: ['npm', 'run', 'smoke'],
    commandTimeoutSeconds: 60,
  });
  const ok = scenario({ topology: t });
  const pass = fakeSmoke(() => ({ status: 200, body: '' }));
  expect((await deploy({ ...ok.sim.deps(ok.events), smoke: pass.port }, ok.request())).status).toBe(
    'deployed',
  );
  expect(pass.runs).toHaveLength(1);
  expect(pass.runs[0]).toMatchObject({
    argv: ['npm', 'run', 'smoke'],
    timeoutMs: 60_000,
    env: {
      SWITCHYARD_TEST_URL: URL_,
      SWITCHYARD_TEST_HOST: 'test-alb.example:8080',
      SWITCHYARD_COLOUR: 'green',
      SWITCHYARD_ENVIRONMENT: 'dev',
      SWITCHYARD_SERVICE: 'api',
      SWITCHYARD_IMAGE: expect.stringMatching(/@sha256:/),
    },
  });

  const bad = scenario({ topology: t });
  const fail = fakeSmoke(
    () => ({ status: 200, body: '' }),
    () => ({ exitCode: 2, outputTail: 'checkout flow: expected 201, got 500\n1 failing' }),
  );
  const out = await deploy({ ...bad.sim.deps(bad.events), smoke: fail.port }, bad.request());
  expect(out.status === 'rolled-back' && out.reason).toMatch(/command npm run smoke exited 2/);
  const [rec] = await bad.sim.store.listReleases(KEY, 1);
  expect(rec.smokeTest?.command).toEqual({
    argv: ['npm', 'run', 'smoke'],
    exitCode: 2,
    timedOut: false,
    outputTail: 'checkout flow: expected 201, got 500\n1 failing',
  });
  expect(bad.events.ofType('smoke.command').at(-1)?.message).toMatch(/1 failing/);
  expect(productionWrites(bad)).toEqual([]);
});

test('a smokeTest without a published testListenerUrl is refused before anything is written; the dry run shows the smoke test', async () => {
  const { testListenerUrl: _url, ...noUrl } = withSmoke({ http: [{ path: '/health' }] });
  const s = scenario({ topology: noUrl });
  const out = await deploy(s.sim.deps(s.events), s.request());
  expect(out).toMatchObject({ status: 'refused', code: 'invalid-request' });
  expect(out.status === 'refused' && out.reason).toMatch(/\(testListenerUrl\): re-apply the environment/);
  expect(s.sim.memoryStore.writes).toBe(0);

  const ok = scenario({
    topology: withSmoke({
      host: 'api.example.com',
      http: [{ path: '/health', bodyMatch: 'ok' }],
      command: ['./smoke.sh'],
    }),
  });
  const dry = await deploy(ok.sim.deps(ok.events), ok.request({ dryRun: true }));
  if (dry.status !== 'dry-run') throw new Error(dry.status);
  const text = planLines(dry.plan).join('\n');
  expect(text).toContain(
    `smoke test     before any production traffic, through the test listener ${URL_} (Host api.example.com)`,
  );
  expect(text).toContain('3× GET /health → 200, body /ok/ (5s timeout)');
  expect(text).toContain(
    'then: ./smoke.sh (SWITCHYARD_TEST_URL, SWITCHYARD_COLOUR in its environment; 300s)',
  );
  expect(text).toContain('on failure: no production traffic moved; green scaled back to 0; exit 3');
});

test('defaults, and the worst case counts the smoke test', () => {
  const plan = planSmokeTest(
    withSmoke({ http: [{ path: '/health' }, { path: '/a', count: 1, timeoutSeconds: 10 }], command: ['x'] }),
  );
  if (!plan || 'problem' in plan) throw new Error('no plan');
  expect(plan.checks[0]).toEqual({
    path: '/health',
    method: 'GET',
    expectStatus: 200,
    count: 3,
    timeoutSeconds: 5,
  });
  expect(smokeWorstCaseSeconds(plan)).toBe(15 + 3 * 5 + 10 + 300);
  const base = {
    steps: [{ bakeSeconds: 60 }],
    finalBakeSeconds: 0,
    terminationWaitSeconds: 0,
    gates: { pollIntervalSeconds: 10, deploymentTimeoutSeconds: 900, healthyTimeoutSeconds: 300 },
  };
  expect(worstCaseSeconds({ ...base, smokeTest: plan }).seconds - worstCaseSeconds(base).seconds).toBe(340);
  expect(planSmokeTest(plainTopology())).toBeUndefined();
});
