/**
 * The 5xx gate against CloudWatch as it really behaves: whole minutes, published 60–120 s late. The
 * final bake does not pass on missing data when the service's traffic is enough to judge.
 */
import { deploy } from '../../../services/deployer/src/core/deploy';
import { fiveXxDataDueAt, fiveXxInconclusive, fiveXxWindow } from '../../../services/deployer/src/core/gates';
import type { MetricsPort } from '../../../services/deployer/src/ports';
import { exampleTopology, plainTopology, scenario } from './harness';

const MIN = 60_000;

describe('fiveXxWindow (pure)', () => {
  test('whole minutes ending at the last complete minute, at most 3, never before the minute traffic started in', () => {
    const t0 = Date.UTC(2026, 0, 1, 10, 0, 0);
    expect(fiveXxWindow(t0 + 10 * MIN + 42_000, undefined)).toEqual({
      fromMs: t0 + 7 * MIN,
      toMs: t0 + 10 * MIN,
    });
    expect(fiveXxWindow(t0 + 10 * MIN + 42_000, t0 + 9 * MIN + 30_000)).toEqual({
      fromMs: t0 + 9 * MIN,
      toMs: t0 + 10 * MIN,
    });
    // traffic started in the current minute: nothing complete to query yet
    expect(fiveXxWindow(t0 + 10 * MIN + 42_000, t0 + 10 * MIN + 5_000)).toBeUndefined();
  });

  test('a judged window is due only when the expected traffic can fill it; low traffic never makes it inconclusive', () => {
    const since = Date.UTC(2026, 0, 1, 10, 0, 30);
    // 1200 req/min, min sample 50: one full minute after the first full one + 120 s delay
    expect(fiveXxDataDueAt(since, 1200, 50)).toBe(Date.UTC(2026, 0, 1, 10, 4, 0));
    expect(fiveXxDataDueAt(since, 10, 50)).toBeUndefined(); // 100 needed > 3 min × 10
    expect(fiveXxInconclusive(Date.UTC(2026, 0, 1, 10, 3, 59), since, 0, 1200, 50)).toBe(false);
    expect(fiveXxInconclusive(Date.UTC(2026, 0, 1, 10, 4, 0), since, 0, 1200, 50)).toBe(true);
    expect(fiveXxInconclusive(Date.UTC(2026, 0, 1, 10, 4, 0), since, 60, 1200, 50)).toBe(false);
    expect(fiveXxInconclusive(Date.UTC(2026, 0, 1, 11, 0, 0), since, 0, 10, 50)).toBe(false);
  });
});

/** Metrics whose answers for `tgSuffix` are transformed by `f` (others unchanged). */
function metricsWith(
  base: MetricsPort,
  f: (
    c: { requests: number; errors5xx: number },
    tgSuffix: string,
  ) => { requests: number; errors5xx: number },
): MetricsPort {
  return {
    ...base,
    targetGroupRequests: async (lb, tg, from, to) => f(await base.targetGroupRequests(lb, tg, from, to), tg),
  };
}

test('metrics missing for the new colour while traffic is expected: the final bake fails as inconclusive and rolls back', async () => {
  const s = scenario({ topology: plainTopology() });
  const deps = s.sim.deps(s.events);
  const green = s.topology.targetGroupArnSuffixes.green;
  const metrics = metricsWith(deps.metrics, (c, tg) => (tg === green ? { requests: 0, errors5xx: 0 } : c));
  const out = await deploy({ ...deps, metrics }, s.request({ strategy: 'canary' }));
  expect(out).toMatchObject({ status: 'rolled-back', gate: '5xx' });
  expect(out.status === 'rolled-back' && out.reason).toMatch(/5xx gate inconclusive for green: 0 requests/);
  expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 100, green: 0 });
});

test('a 1% canary then 100%: the final bake waits for a judged window counted from the 100% shift, not from the canary (regression: property seed -2141390446)', async () => {
  // The canary minutes carry 1% of the rate: counted from the first shift, the final bake judged the
  // data due while CloudWatch held only ~30 requests and rolled a healthy release back as inconclusive.
  const t = exampleTopology();
  const topology = {
    ...t,
    deployment: {
      ...t.deployment,
      bakeSeconds: 60,
      finalBakeSeconds: 0,
      pollIntervalSeconds: 8,
      canaryPercent: 1,
      terminationWaitSeconds: 0,
    },
  };
  const s = scenario({ topology, seed: 8 });
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'canary' }));
  expect(out.status).toBe('deployed');
  const full = s.sim.world.state.weightHistory.filter((h) => h.ruleArn === topology.productionRuleArn)[1];
  expect(full.weights.find((w) => w.targetGroupArn === topology.targetGroupArns.green)?.weight).toBe(100);
  const [extended] = s.events.ofType('bake.extended');
  // one whole minute at 100% after the shift's minute, plus CloudWatch's worst-case delay
  expect((extended.data as { untilMs: number }).untilMs).toBe(fiveXxDataDueAt(full.at, 1200, 50));
  const judged = s.events.ofType('bake.progress').filter((e) => (e.data as { judged?: boolean }).judged);
  expect(judged.length).toBeGreaterThan(0);
});

test('a low-traffic service (too few requests to ever judge) still deploys: the gate stays unjudged', async () => {
  const s = scenario({ topology: plainTopology() });
  const deps = s.sim.deps(s.events);
  const metrics = metricsWith(deps.metrics, (c) => ({
    requests: Math.floor(c.requests / 100),
    errors5xx: 0,
  }));
  const out = await deploy({ ...deps, metrics }, s.request({ strategy: 'canary' }));
  expect(out.status).toBe('deployed');
  expect(s.events.ofType('bake.extended')).toHaveLength(0);
});

test('all-at-once with 30 s bakes: the final bake is extended until CloudWatch can show the traffic, then judged and deployed', async () => {
  const s = scenario({ topology: plainTopology() });
  const out = await deploy(
    s.sim.deps(s.events),
    s.request({ strategy: 'all-at-once', settings: { bakeSeconds: 30, finalBakeSeconds: 30 } }),
  );
  expect(out.status).toBe('deployed');
  expect(s.events.ofType('plan.warning')[0].message).toMatch(/finalBakeSeconds 30s is shorter than 240s/);
  expect(s.events.ofType('bake.extended')).toHaveLength(1);
  const judged = s.events
    .ofType('bake.progress')
    .filter((e) => (e.data as { judged?: boolean; label?: string }).judged);
  expect(judged.length).toBeGreaterThan(0);
});

test('the dry run (plan) warns about bakes shorter than the metric delay + 2 periods', async () => {
  const s = scenario({ topology: plainTopology() });
  const dry = await deploy(
    s.sim.deps(s.events),
    s.request({ dryRun: true, strategy: 'canary', settings: { bakeSeconds: 120, finalBakeSeconds: 120 } }),
  );
  if (dry.status !== 'dry-run') throw new Error(dry.status);
  expect(dry.plan.warnings).toHaveLength(2);
  expect(dry.plan.warnings?.[0]).toMatch(/^bakeSeconds 120s is shorter than 240s/);
  expect(dry.plan.warnings?.[1]).toMatch(/^finalBakeSeconds 120s is shorter than 240s/);
  const long = await deploy(
    s.sim.deps(s.events),
    s.request({ dryRun: true, strategy: 'canary', settings: { bakeSeconds: 240, finalBakeSeconds: 300 } }),
  );
  if (long.status !== 'dry-run') throw new Error(long.status);
  expect(long.plan.warnings).toEqual([]);
});

test('stickiness on the production rule is named in the plan', async () => {
  const s = scenario({ topology: plainTopology() });
  const deps = s.sim.deps(s.events);
  const lb = { ...deps.lb, getRuleStickiness: async () => ({ enabled: true, durationSeconds: 3600 }) };
  const dry = await deploy({ ...deps, lb }, s.request({ dryRun: true }));
  if (dry.status !== 'dry-run') throw new Error(dry.status);
  expect(dry.plan.warnings?.join('\n')).toMatch(/stickiness is enabled on the production rule \(3600s\)/);
  const plain = await deploy(deps, s.request({ dryRun: true }));
  expect(plain.status === 'dry-run' && plain.plan.warnings?.join('\n')).not.toMatch(/stickiness/);
});
