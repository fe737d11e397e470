/**
 * The latency (p99 TargetResponseTime) and connection-error (TargetConnectionErrorCount) gates of the new
 * colour's target group: pure judges, then scenarios in the simulation (faults `slow` and
 * `connection-errors`), the live colour's pre-deploy baseline, and the gates switched off.
 */
import { deploy } from '../../../services/deployer/src/core/deploy';
import {
  baselineWindow,
  judgeConnectionErrors,
  judgeLatency,
  latencyLimit,
  responseGateSettings,
} from '../../../services/deployer/src/core/metric-gates';
import { effectiveSettings } from '../../../services/deployer/src/core/settings';
import type { LatencySample, MetricsPort } from '../../../services/deployer/src/ports';
import type { DeploymentSettings } from '../../../services/topology';
import { plainTopology, scenario } from './harness';

const MIN = 60_000;
const key = { environment: 'dev', service: 'api' };

describe('judges (pure)', () => {
  const g = responseGateSettings({
    ...effectiveSettings(plainTopology()),
    maxP99LatencySeconds: 2,
    p99BaselineFactor: 1.5,
    minLatencySampleRequests: 200,
    maxConnectionErrorRatio: 0.01,
    min5xxSampleRequests: 50,
  });

  test('p99 limit = max(absolute, baseline × factor)', () => {
    expect(latencyLimit(g)).toBe(2);
    expect(latencyLimit(g, 0.1)).toBe(2); // fast service: the absolute ceiling
    expect(latencyLimit(g, 4)).toBe(6); // slow service: judged against itself
  });

  test('the p99 is judged only with enough requests, and fails above the limit', () => {
    expect(judgeLatency({ requests: 199, p99Seconds: 9 }, g)).toMatchObject({ judged: false, failed: false });
    expect(judgeLatency({ requests: 200, p99Seconds: 2 }, g)).toMatchObject({ judged: true, failed: false });
    expect(judgeLatency({ requests: 200, p99Seconds: 2.01 }, g)).toMatchObject({
      failed: true,
      limitSeconds: 2,
      fromBaseline: false,
    });
    expect(judgeLatency({ requests: 500, p99Seconds: 5 }, g, 4)).toMatchObject({
      failed: false,
      limitSeconds: 6,
      fromBaseline: true,
    });
    expect(judgeLatency({ requests: 500 }, g)).toMatchObject({ judged: false, failed: false });
    expect(judgeLatency({ requests: 500, p99Seconds: 60 }, { ...g, maxP99Seconds: 0 })).toMatchObject({
      judged: false,
      failed: false,
    });
  });

  test('connection errors: a share of attempts, judged from min5xxSampleRequests attempts', () => {
    expect(judgeConnectionErrors({ requests: 40, connectionErrors: 9 }, g)).toMatchObject({
      judged: false,
      failed: false,
    });
    expect(judgeConnectionErrors({ requests: 990, connectionErrors: 10 }, g)).toMatchObject({
      judged: true,
      ratio: 0.01,
      failed: false,
    });
    expect(judgeConnectionErrors({ requests: 980, connectionErrors: 20 }, g).failed).toBe(true);
    // a colour that refuses every connection: ~100 %, whatever RequestCount counts
    expect(judgeConnectionErrors({ requests: 0, connectionErrors: 60 }, g)).toMatchObject({
      ratio: 1,
      failed: true,
    });
    expect(
      judgeConnectionErrors({ requests: 0, connectionErrors: 60 }, { ...g, maxConnectionErrorRatio: 1 })
        .failed,
    ).toBe(false);
  });

  test('the baseline window: whole minutes CloudWatch must have published before the shift', () => {
    const shift = Date.UTC(2026, 0, 1, 10, 7, 42);
    expect(baselineWindow(shift)).toEqual({
      fromMs: Date.UTC(2026, 0, 1, 10, 2, 0),
      toMs: Date.UTC(2026, 0, 1, 10, 5, 0),
    });
  });

  test('topologies published without the settings get the core defaults', () => {
    expect(responseGateSettings(effectiveSettings(plainTopology()))).toMatchObject({
      maxP99Seconds: 3,
      baselineFactor: 2,
      minLatencySample: 200,
      maxConnectionErrorRatio: 0.01,
    });
  });
});

async function run(opts: {
  faults?: { name: 'slow' | 'connection-errors' | '5xx-spike'; afterSeconds?: number }[];
  settings?: Partial<DeploymentSettings>;
  metrics?: (base: MetricsPort, t: ReturnType<typeof plainTopology>) => MetricsPort;
}) {
  const s = scenario({ topology: plainTopology(), faults: opts.faults ?? [] });
  const deps = s.sim.deps(s.events);
  const metrics = opts.metrics ? opts.metrics(deps.metrics, s.topology) : deps.metrics;
  const out = await deploy({ ...deps, metrics }, s.request({ strategy: 'canary', settings: opts.settings }));
  const [rec] = await s.sim.store.listReleases(key, 1);
  return { s, out, rec };
}

describe('scenarios (simulation)', () => {
  test('a slow new colour: the latency gate fails the canary bake and traffic goes back to blue', async () => {
    const { s, out, rec } = await run({ faults: [{ name: 'slow' }] });
    expect(out).toMatchObject({ status: 'rolled-back', gate: 'latency' });
    if (out.status !== 'rolled-back') return;
    expect(out.reason).toMatch(
      /^latency: p99 response time of green is 4\.00s over \d+ requests in the \d whole minute\(s\) up to \d\d:\d\d UTC, above the 3\.00s limit \(blue's p99 before the shift was 0\.12s, × 2 = 0\.24s\)$/,
    );
    expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 100, green: 0 });
    expect(rec).toMatchObject({ outcome: 'rolled-back', reason: out.reason });
    // caught at the canary weight: 100 % never reached green
    const writes = s.sim
      .writes()
      .filter(
        (w) =>
          w.api === 'elbv2:ModifyRule' &&
          (w.args as { ruleArn: string }).ruleArn === s.topology.productionRuleArn,
      )
      .map((w) => (w.args as { weights: { weight: number }[] }).weights.map((x) => x.weight));
    expect(writes).toEqual([
      [90, 10],
      [100, 0],
    ]);
  });

  test('a colour whose targets drop connections: the connection-error gate fails it', async () => {
    const { s, out } = await run({ faults: [{ name: 'connection-errors' }] });
    expect(out).toMatchObject({ status: 'rolled-back', gate: 'connection-errors' });
    if (out.status !== 'rolled-back') return;
    expect(out.reason).toMatch(
      /^connection-errors: connection errors to green's targets: [4-5]\.\d% of attempts \(\d+ TargetConnectionErrorCount vs \d+ requests .*\), above the 1\.0% limit/,
    );
    expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 100, green: 0 });
  });

  test('without faults both gates judge and pass; progress carries p99 and its limit', async () => {
    const { s, out } = await run({});
    expect(out.status).toBe('deployed');
    const judged = s.events.ofType('bake.progress').map(
      (e) =>
        e.data as {
          latencyJudged: boolean;
          p99Seconds?: number;
          latencyLimitSeconds?: number;
          baselineP99Seconds?: number;
        },
    );
    expect(judged.some((d) => d.latencyJudged)).toBe(true);
    expect(judged.find((d) => d.latencyJudged)).toMatchObject({
      p99Seconds: 0.12,
      latencyLimitSeconds: 3,
      baselineP99Seconds: 0.12,
    });
    expect(s.events.ofType('bake.progress').some((e) => /p99 0\.12s \(≤ 3\.00s\)/.test(e.message))).toBe(
      true,
    );
  });

  test("a service that is always slow is judged against its live colour's own p99 (baseline × factor)", async () => {
    // both colours answer in 4 s: blue's p99 before the shift is 4 s, so the limit is 8 s and green passes
    const always = (base: MetricsPort): MetricsPort => ({
      ...base,
      targetGroupLatency: async (lb, tg, from, to): Promise<LatencySample> => {
        const x = await base.targetGroupLatency(lb, tg, from, to);
        return x.p99Seconds === undefined ? x : { ...x, p99Seconds: 4 };
      },
    });
    const { s, out } = await run({ metrics: always });
    expect(out.status).toBe('deployed');
    const d = s.events
      .ofType('bake.progress')
      .map((e) => e.data as { latencyLimitSeconds?: number; latencyJudged: boolean });
    expect(d.filter((x) => x.latencyJudged).every((x) => x.latencyLimitSeconds === 8)).toBe(true);
    // the same 4 s without a baseline (unreadable): the absolute 3 s ceiling fails it
    const blind = (base: MetricsPort, t: ReturnType<typeof plainTopology>): MetricsPort => {
      const a = always(base);
      return {
        ...a,
        targetGroupLatency: async (lb, tg, from, to) => {
          if (tg === t.targetGroupArnSuffixes.blue) throw new Error('AccessDenied');
          return a.targetGroupLatency(lb, tg, from, to);
        },
      };
    };
    const r2 = await run({ metrics: blind });
    expect(r2.out).toMatchObject({ status: 'rolled-back', gate: 'latency' });
    expect(r2.s.events.ofType('gate.baseline-unknown')[0]?.message).toMatch(
      /cannot read blue's p99 before the shift \(AccessDenied\); the latency gate judges green against the absolute 3\.00s only/,
    );
  });

  test('gates switched off in the settings let the same faults through (0 s / ratio 1)', async () => {
    const slow = await run({ faults: [{ name: 'slow' }], settings: { maxP99LatencySeconds: 0 } });
    expect(slow.out.status).toBe('deployed');
    const conn = await run({
      faults: [{ name: 'connection-errors' }],
      settings: { maxConnectionErrorRatio: 1 },
    });
    expect(conn.out.status).toBe('deployed');
  });

  test('the baseline is read from the minutes before the first shift, once per bake', async () => {
    const reads: { tg: string; from: number; to: number }[] = [];
    const spy = (base: MetricsPort): MetricsPort => ({
      ...base,
      targetGroupLatency: (lb, tg, from, to) => {
        reads.push({ tg, from, to });
        return base.targetGroupLatency(lb, tg, from, to);
      },
    });
    const { s, out } = await run({ metrics: spy });
    expect(out.status).toBe('deployed');
    const shiftAt = s.events.ofType('weights.set')[0]!.at;
    const w = baselineWindow(shiftAt);
    const blue = reads.filter(
      (r) => r.tg === s.topology.targetGroupArnSuffixes.blue && r.from === w.fromMs && r.to === w.toMs,
    );
    expect(blue).toHaveLength(s.events.ofType('bake.start').length);
    expect(w.toMs).toBeLessThanOrEqual(shiftAt - 2 * MIN);
  });
});
