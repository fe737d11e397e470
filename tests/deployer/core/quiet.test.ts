/**
 * Quiet services: traffic below what the 5xx gate can judge is named in the plan (dry run and real run)
 * instead of deploying with no word about it; the verdict is one pure function shared with the gate.
 */
import { deploy } from '../../../services/deployer/src/core/deploy';
import { fiveXxDataDueAt } from '../../../services/deployer/src/core/gates';
import {
  judgedWindowMinutes,
  minJudgeablePerMinute,
  tooQuietToJudge,
  unjudgedPercents,
} from '../../../services/deployer/src/core/quiet';
import type { MetricsPort } from '../../../services/deployer/src/ports';
import { plainTopology, quieter, scenario } from './harness';

describe('tooQuietToJudge (pure)', () => {
  test('a judged window needs twice min5xxSampleRequests within the 3-minute window', () => {
    expect(minJudgeablePerMinute(50)).toBeCloseTo(33.33, 2);
    expect(tooQuietToJudge(33, 50)).toBe(true);
    expect(tooQuietToJudge(34, 50)).toBe(false);
    expect(tooQuietToJudge(0, 50)).toBe(true);
    expect(tooQuietToJudge(undefined, 50)).toBe(false); // unknown is not quiet
    expect(judgedWindowMinutes(1200, 50)).toBe(1);
    expect(judgedWindowMinutes(40, 50)).toBe(3);
  });

  test('agrees with the 5xx gate: quiet exactly when no judged window is ever due', () => {
    const since = Date.UTC(2026, 0, 1, 10, 0, 30);
    for (const perMinute of [0.5, 5, 20, 33, 34, 50, 100, 1200]) {
      for (const min of [1, 10, 50, 200]) {
        expect(tooQuietToJudge(perMinute, min)).toBe(fiveXxDataDueAt(since, perMinute, min) === undefined);
      }
    }
  });

  test('canary percentages too small to judge', () => {
    expect(unjudgedPercents(200, [10, 50], 50)).toEqual([10]);
    expect(unjudgedPercents(undefined, [10], 50)).toEqual([]);
  });
});

test('a service too quiet to judge: the plan says so, the deploy still runs and says so again', async () => {
  const s = scenario({ topology: plainTopology() });
  const deps = s.sim.deps(s.events);
  const metrics = quieter(100)(deps.metrics); // ~12 requests/min
  const dry = await deploy({ ...deps, metrics }, s.request({ dryRun: true, strategy: 'canary' }));
  if (dry.status !== 'dry-run') throw new Error(dry.status);
  expect(dry.plan.traffic).toMatchObject({ colour: 'blue', quiet: true });
  expect(dry.plan.traffic?.perMinute).toBeCloseTo(12, 0);
  expect(dry.plan.warnings?.join('\n')).toMatch(
    /api is too quiet for the 5xx gate: blue served ~12 requests\/min before the deploy, a judged window needs ≥ 33\/min \(twice min5xxSampleRequests 50 in 3 minutes\)\. Its 5xx and latency gates will not judge this release: target health and alarms are what gate it/,
  );
  const out = await deploy({ ...deps, metrics }, s.request({ strategy: 'canary' }));
  expect(out.status).toBe('deployed');
  if (out.status !== 'deployed') return;
  expect(out.plan.traffic?.quiet).toBe(true);
  expect(s.events.ofType('plan.warning').some((e) => /too quiet for the 5xx gate/.test(e.message))).toBe(
    true,
  );
});

test('enough traffic at 100% but not at the canary weight: the plan names the unjudged step', async () => {
  const s = scenario({ topology: plainTopology() });
  const deps = s.sim.deps(s.events);
  const dry = await deploy(
    { ...deps, metrics: quieter(10)(deps.metrics) }, // ~120/min: 12/min at 10 %
    s.request({ dryRun: true, strategy: 'canary' }),
  );
  if (dry.status !== 'dry-run') throw new Error(dry.status);
  expect(dry.plan.traffic).toMatchObject({ quiet: false, unjudgedPercents: [10] });
  expect(dry.plan.warnings?.join('\n')).toMatch(
    /at 10% green gets too few requests for the 5xx gate \(~12\/min at 10%/,
  );
});

test('a busy service gets no traffic warning; an unreadable rate is a warning, never a refusal', async () => {
  const s = scenario({ topology: plainTopology() });
  const deps = s.sim.deps(s.events);
  const busy = await deploy(
    deps,
    s.request({ dryRun: true, strategy: 'canary', settings: { bakeSeconds: 300, finalBakeSeconds: 300 } }),
  );
  if (busy.status !== 'dry-run') throw new Error(busy.status);
  expect(busy.plan.traffic).toMatchObject({ quiet: false, unjudgedPercents: [] });
  expect(busy.plan.warnings).toEqual([]);
  const broken: MetricsPort = {
    ...deps.metrics,
    targetGroupLatency: async () => {
      throw new Error('AccessDenied');
    },
  };
  const dry = await deploy({ ...deps, metrics: broken }, s.request({ dryRun: true }));
  if (dry.status !== 'dry-run') throw new Error(dry.status);
  expect(dry.plan.traffic?.perMinute).toBeUndefined();
  expect(dry.plan.warnings?.join('\n')).toMatch(
    /could not read blue's request count before the deploy \(AccessDenied\): whether the 5xx gate can judge this release is unknown/,
  );
});
