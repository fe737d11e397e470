/**
 * The release timeline built from a real (simulated) run's events, its Markdown, and the TrafficWeight
 * metric published at every weight write — best effort, one warning when it fails.
 */
import { deploy } from '../../../services/deployer/src/core/deploy';
import { CollectingSink } from '../../../services/deployer/src/core/events';
import { timelineFromEvents, timelineMarkdown } from '../../../services/deployer/src/observers/timeline';
import {
  type TrafficWeightPublisher,
  trafficWeightObserver,
} from '../../../services/deployer/src/observers/traffic-weight';
import { trafficWeightData } from '../../../services/topology/metrics';
import { plainTopology, scenario } from '../core/harness';

async function runDeploy(faults: { name: 'slow' | '5xx-spike' }[] = []) {
  const s = scenario({ topology: plainTopology(), faults });
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'canary' }));
  return { s, out };
}

describe('timeline (from events)', () => {
  test('a deployed canary: before, step 1, step 2, final — weights and the judged 5xx / p99 of each', async () => {
    const { s, out } = await runDeploy();
    expect(out.status).toBe('deployed');
    const t = timelineFromEvents(s.events.events)!;
    expect(t.colour).toBe('green');
    expect(t.points.map((p) => [p.label, p.blue, p.green])).toEqual([
      ['before', 100, 0],
      ['step 1', 90, 10],
      ['step 2', 0, 100],
      ['final', 0, 100],
    ]);
    const final = t.points.at(-1)!;
    expect(final.p99Ms).toBe(120);
    expect(final.fiveXxPercent).toBeLessThan(1);
    expect(t.points.map((p) => p.atSeconds)).toEqual(
      [...t.points.map((p) => p.atSeconds)].sort((a, b) => a - b),
    );
  });

  test('a rolled-back run: the failing step carries the failed gate and the value that failed it, then "restored"', async () => {
    const { s, out } = await runDeploy([{ name: 'slow' }]);
    expect(out).toMatchObject({ status: 'rolled-back', gate: 'latency' });
    const t = timelineFromEvents(s.events.events)!;
    expect(t.points.map((p) => [p.label, p.green, p.failedGate])).toEqual([
      ['before', 0, undefined],
      ['step 1', 10, 'latency'],
      ['restored', 0, undefined],
    ]);
    expect(t.points[1].p99Ms).toBe(4000);
  });

  test('no weight write, no timeline (a refusal or a dry run draws nothing)', async () => {
    const s = scenario({ topology: plainTopology() });
    await deploy(s.sim.deps(s.events), s.request({ dryRun: true }));
    expect(timelineFromEvents(s.events.events)).toBeUndefined();
  });

  test('markdown: Mermaid xychart-beta charts (traffic, 5xx, p99) and the table', async () => {
    const { s } = await runDeploy([{ name: 'slow' }]);
    const md = timelineMarkdown(timelineFromEvents(s.events.events)!);
    expect(md).toContain(
      [
        '```mermaid',
        'xychart-beta',
        '  title "Traffic on green (%)"',
        '  x-axis ["before", "step 1", "restored"]',
        '  y-axis "%" 0 --> 100',
        '  bar [0, 10, 0]',
        '```',
      ].join('\n'),
    );
    expect(md).toMatch(
      /title "p99 response time of green \(ms\)"\n {2}x-axis .*\n {2}y-axis "ms" 0 --> 5000\n {2}line \[0, 4000, 0\]/,
    );
    expect(md).toMatch(/\| step 1 \| \+\d+s \| 90 \/ 10 \| .* \| 4000 ms \| \*\*latency failed\*\* \|/);
    expect(md).toMatch(/\| before \| \+\d+s \| 100 \/ 0 \| not judged \| not judged \| {2}\|/);
  });
});

describe('TrafficWeight at every weight write', () => {
  test('one PutMetricData per write (steps and the restore), with the event time; never awaited by the run', async () => {
    const published: unknown[] = [];
    const publisher: TrafficWeightPublisher = { publish: async (d) => void published.push(d) };
    const warnings: string[] = [];
    const o = trafficWeightObserver({
      environment: 'dev',
      service: 'api',
      publisher,
      warn: (_t, m) => warnings.push(m),
    });
    const s = scenario({ topology: plainTopology(), faults: [{ name: '5xx-spike' }] });
    const events = new CollectingSink({ emit: (e) => o.emit(e) });
    const out = await deploy(s.sim.deps(events), s.request({ strategy: 'canary' }));
    expect(out.status).toBe('rolled-back');
    await o.settle?.(Date.now() + 1_000);
    const writes = events.events.filter((e) => e.type === 'weights.set' || e.type === 'rollback.restored');
    expect(writes.map((e) => e.type)).toEqual(['weights.set', 'rollback.restored']);
    expect(published).toEqual(
      writes.map((e) =>
        trafficWeightData(
          'dev',
          'api',
          { blue: e.data!.blue as number, green: e.data!.green as number },
          new Date(e.at),
        ),
      ),
    );
    expect(warnings).toEqual([]);
  });

  test('a failing publisher: one warning for the run, the events keep flowing', async () => {
    const warnings: string[] = [];
    const o = trafficWeightObserver({
      environment: 'dev',
      service: 'api',
      publisher: {
        publish: async () => {
          throw new Error('AccessDenied: cloudwatch:PutMetricData');
        },
      },
      warn: (_t, m) => warnings.push(m),
    });
    const at = Date.UTC(2026, 0, 1);
    for (const w of [10, 100])
      o.emit({ at, level: 'info', type: 'weights.set', message: '', data: { blue: 100 - w, green: w } });
    await o.settle?.(Date.now() + 1_000);
    expect(warnings).toEqual([
      'the traffic weight (blue 90 / green 10) was not published to CloudWatch (Switchyard/TrafficWeight): AccessDenied: cloudwatch:PutMetricData; the dashboard misses this change — the deploy is not affected',
    ]);
  });
});
