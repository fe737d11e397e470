/**
 * Deploy benchmark (issue 4), in the simulation:
 *  1. time from the first failed signal to the restoring write — distribution over many seeded runs,
 *     per fault (5xx spike, alarm, SIGINT) and poll interval, with and without API throttling;
 *  2. API calls per successful deploy, per strategy (median over seeds);
 *  3. CPU time of one simulated deploy (core + simulation; median of several runs);
 *  4. the automatic restore through 30 s of network failure (every AWS call failing with EHOSTUNREACH
 *     from the moment the restore starts): does it still restore, and how long after the network is back.
 *
 *   node -r ts-node/register/transpile-only bench/deploy-bench.ts [--runs N] [--write] [--note "what changed"]
 *
 * `--write` stores the Markdown report in bench/deploy-results.md; the report it replaces is kept under
 * "History" (with `--note` saying what changed since).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DeployOutcome, deploy } from '../services/deployer/src/core/deploy';
import { nullSink } from '../services/deployer/src/core/events';
import { effectiveSettings } from '../services/deployer/src/core/settings';
import { createSimulation, type Fault, seededRandom } from '../services/deployer/src/sim';
import { first5xxOnsetAt, firstFailedSignalAt, firstShiftAt } from '../services/deployer/src/sim/signals';
import type { StorePort } from '../services/deployer/src/ports';
import { parseTopology, type ServiceTopology, type Strategy } from '../services/topology';
import { historyOf } from './history';

const args = process.argv.slice(2);
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : 200;
const WRITE = args.includes('--write');
const noteArg = args.indexOf('--note');
const NOTE = noteArg >= 0 ? args[noteArg + 1] : undefined;

const examplePath = join(__dirname, '../services/deployer/examples/topology.dev.api.json');
/** The example topology without `autoscaling` (its own variant below), so the rows compare with history. */
const { autoscaling: _exampleAutoscaling, ...base } = parseTopology(
  JSON.parse(readFileSync(examplePath, 'utf8')),
  examplePath,
);

const owner = { actor: 'bench', host: 'bench', operation: 'deploy' };
/** The example topology with Application Auto Scaling (the deployer manages the floor). */
const withAutoscaling: ServiceTopology = {
  ...base,
  autoscaling: {
    minCapacity: 2,
    maxCapacity: 6,
    resourceIds: { blue: 'service/switchyard-dev/api-blue', green: 'service/switchyard-dev/api-green' },
  },
};

function withSettings(over: Partial<ServiceTopology['deployment']>): ServiceTopology {
  return { ...base, deployment: { ...base.deployment, ...over } };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

async function run(topology: ServiceTopology, faults: Fault[], seed: number, strategy?: Strategy) {
  const sim = createSimulation({ topologies: [topology], faults, seed });
  // counts the lock-fence reads (store.getLock) the deploy makes: DynamoDB GetItem calls in AWS
  let getLock = 0;
  const store = sim.store;
  const counting: StorePort = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      if (prop !== 'getLock') return v.bind(target);
      return (...a: Parameters<StorePort['getLock']>) => {
        getLock++;
        return store.getLock(...a);
      };
    },
  });
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  const out: DeployOutcome = await deploy(
    { ...sim.deps(nullSink), store: counting },
    {
      topology,
      imageTag: 'v1.1.0',
      owner,
      ...(strategy ? { strategy } : {}),
    },
  );
  const cpu = process.cpuUsage(cpu0);
  const wallMs = Number(process.hrtime.bigint() - wall0) / 1e6;
  return { sim, out, cpuMs: (cpu.user + cpu.system) / 1000, wallMs, getLock: () => getLock };
}

interface LatencyRow {
  scenario: string;
  poll: number;
  n: number;
  excluded: number;
  values: number[];
  sustained: number[];
  /** Fault onset (users start seeing it) → restoring write: includes CloudWatch's delay for 5xx. */
  onset: number[];
  /** Runs whose restoring write came after the shift to 100% (the spike was not seen during the canary). */
  at100: number;
  /** First failed signal → restore confirmed (read back). */
  confirmed: number[];
}

async function latency(
  fault: '5xx-spike' | 'alarm' | 'interrupt',
  pollSeconds: number,
  throttle: boolean,
  bakeSeconds?: number,
): Promise<LatencyRow> {
  const topology = withSettings({
    pollIntervalSeconds: pollSeconds,
    ...(bakeSeconds ? { bakeSeconds, finalBakeSeconds: bakeSeconds } : {}),
  });
  const settings = effectiveSettings(topology);
  const values: number[] = [];
  const sustained: number[] = [];
  const onset: number[] = [];
  const confirmed: number[] = [];
  let at100 = 0;
  let excluded = 0;
  for (let i = 0; i < RUNS; i++) {
    const seed = 1000 + i;
    const rnd = seededRandom(seed * 7919);
    // fault onset: uniformly within the canary bake (5xx/alarm: after first traffic; interrupt: absolute)
    const faults: Fault[] =
      fault === 'interrupt'
        ? [{ name: 'interrupt', afterSeconds: 90 + rnd() * 200 }]
        : [{ name: fault, afterSeconds: rnd() * 100 }];
    if (throttle) faults.push({ name: 'throttle' });
    const { sim, out } = await run(topology, faults, seed, 'canary');
    if (out.status !== 'rolled-back' || out.restoredAt === undefined) {
      excluded++;
      continue;
    }
    const interrupt = faults.find((f) => f.name === 'interrupt');
    const first = firstFailedSignalAt(sim.world, topology, settings, {
      colour: out.failedColour,
      untilMs: out.restoredAt,
      interruptAt: interrupt ? sim.world.state.startedAt + (interrupt.afterSeconds ?? 0) * 1000 : undefined,
    });
    const firstSustained = firstFailedSignalAt(sim.world, topology, settings, {
      colour: out.failedColour,
      untilMs: out.restoredAt,
      interruptAt: interrupt ? sim.world.state.startedAt + (interrupt.afterSeconds ?? 0) * 1000 : undefined,
      sustained: true,
    });
    if (first === undefined || firstSustained === undefined) {
      excluded++;
      continue;
    }
    values.push(out.restoredAt - first);
    if (out.confirmedAt !== undefined) confirmed.push(out.confirmedAt - first);
    sustained.push(out.restoredAt - firstSustained);
    const since = firstShiftAt(sim.world, topology);
    const o =
      fault === '5xx-spike' && since !== undefined
        ? first5xxOnsetAt(
            sim.world,
            topology.targetGroupArns[out.failedColour],
            settings,
            since,
            out.restoredAt,
          )
        : first;
    onset.push(out.restoredAt - (o ?? first));
    const prod = sim.world.state.weightHistory.filter((h) => h.ruleArn === topology.productionRuleArn);
    const beforeRestore = prod
      .at(-2)
      ?.weights.find((w) => w.targetGroupArn === topology.targetGroupArns[out.failedColour]);
    if (beforeRestore?.weight === 100) at100++;
  }
  const scenario = `${fault}${throttle ? ' + throttling' : ''}${bakeSeconds ? ` (bakes ${bakeSeconds} s)` : ''}`;
  return {
    scenario,
    poll: pollSeconds,
    n: values.length,
    excluded,
    values,
    sustained,
    onset,
    at100,
    confirmed,
  };
}

/** Pads Markdown table columns (the layout a Markdown formatter produces, so the results file stays lint-clean). */
function alignTables(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length;) {
    if (!lines[i].startsWith('|')) {
      out.push(lines[i++]);
      continue;
    }
    const block: string[][] = [];
    while (i < lines.length && lines[i].startsWith('|'))
      block.push(
        lines[i++]
          .slice(1, -1)
          .split('|')
          .map((c) => c.trim()),
      );
    const widths = block[0].map((_, c) =>
      Math.max(...block.map((r) => (/^-+$/.test(r[c]) ? 3 : r[c].length))),
    );
    for (const r of block)
      out.push(
        `| ${r.map((cell, c) => (/^-+$/.test(cell) ? '-'.repeat(widths[c]) : cell.padEnd(widths[c]))).join(' | ')} |`,
      );
  }
  return out;
}

async function main() {
  const lines: string[] = [];
  const log = (s = '') => {
    lines.push(s);
    console.log(s);
  };
  log('# Deploy benchmark (simulation)');
  log();
  log(
    `Command: \`node -r ts-node/register/transpile-only bench/deploy-bench.ts --runs ${RUNS}${WRITE ? ' --write' : ''}\``,
  );
  log(
    `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Topology: services/deployer/examples/topology.dev.api.json`,
  );
  log(
    `(canary 10%, bakes ${base.deployment.bakeSeconds} s unless stated, 5xx limit 5% of ≥ 50 requests over the last 3 whole minutes in CloudWatch, ${base.alarms.blue.length} alarms per colour + ${base.alarms.shared.length} shared — a release gates on its colour's and the shared ones, 20 req/s, API latency 20–150 ms).`,
  );
  log(
    "CloudWatch model: whole-minute ALB datapoints, each published 60–120 s after its minute ends (varies per minute), like the ALB's.",
  );
  log();
  log('## 1. First failed signal → restoring write (virtual time)');
  log();
  log('First failed signal = the earliest instant at which a gate reading the APIs could see the fault: the');
  log('5xx gate over CloudWatch as published at that instant would fail, the alarm entered ALARM, or SIGINT');
  log(
    'arrived. Restoring write = the ModifyRule putting 100% back on the last known good colour (completion).',
  );
  log('Onset → restore is what users see: from the first second the per-second 5xx share (last 60 s) was');
  log("above the limit to the restoring write — it includes CloudWatch's aggregation and publication delay");
  log('(for alarms and SIGINT onset = the signal). "At 100%": runs whose restoring write came after the');
  log('shift to 100% — for 5xx spikes (all starting during the 10% canary bake) the ones CloudWatch showed');
  log(
    'only after the shift, because a 120 s bake is shorter than the ~240 s the data needs (the plan warns);',
  );
  log('for SIGINT simply where the signal landed.');
  log();
  log('→ confirmed: first failed signal → the read back (DescribeRules) confirming 100% on the last known');
  log(
    'good colour — the restore is only reported once confirmed; the failed colour is scaled down 15 s later.',
  );
  log();
  log('"Sustained" measures from the first instant after which the signal stays failing: with integer');
  log('counts a 5xx ratio right at the limit can fail for one second and pass the next, which no poller can');
  log('promise to catch. Gate checks run every poll interval minus min(1 s, interval/4), leaving room for');
  log("the check's reads (in parallel) and the restoring write.");
  log();
  log(
    '| fault | poll interval | runs | p50 | p90 | p99 | max | ≤ 1 poll interval | → confirmed: p50 / max | sustained: p50 / max / ≤ 1 interval | onset → restore: p50 / p90 / max | at 100% |',
  );
  log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const rows: LatencyRow[] = [];
  for (const poll of [10, 5]) {
    for (const fault of ['5xx-spike', 'alarm', 'interrupt'] as const)
      rows.push(await latency(fault, poll, false));
  }
  rows.push(await latency('5xx-spike', 10, false, 300));
  rows.push(await latency('5xx-spike', 10, true));
  rows.push(await latency('alarm', 10, true));
  for (const r of rows) {
    const s = [...r.values].sort((a, b) => a - b);
    const within = s.filter((v) => v <= r.poll * 1000).length;
    const ss = [...r.sustained].sort((a, b) => a - b);
    const withinS = ss.filter((v) => v <= r.poll * 1000).length;
    const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const runs = `${r.n}${r.excluded ? ` (+${r.excluded} not rolled back after traffic)` : ''}`;
    const dist = `${f(quantile(s, 0.5))} | ${f(quantile(s, 0.9))} | ${f(quantile(s, 0.99))} | ${f(s[s.length - 1])}`;
    const sus = `${f(quantile(ss, 0.5))} / ${f(ss[ss.length - 1])} / ${withinS}/${r.n}`;
    const os = [...r.onset].sort((a, b) => a - b);
    const ons = `${f(quantile(os, 0.5))} / ${f(quantile(os, 0.9))} / ${f(os[os.length - 1])}`;
    const cs = [...r.confirmed].sort((a, b) => a - b);
    const conf = `${f(quantile(cs, 0.5))} / ${f(cs[cs.length - 1])}${cs.length < r.n ? ` (${cs.length} confirmed)` : ''}`;
    log(
      `| ${r.scenario} | ${r.poll} s | ${runs} | ${dist} | ${within}/${r.n} | ${conf} | ${sus} | ${ons} | ${r.at100}/${r.n} |`,
    );
  }
  log();
  log('## 2. API calls per successful deploy');
  log();
  log('Median over 15 seeds; reads include the preflight, polling during ECS start-up and every bake.');
  log(
    'Writes: RegisterTaskDefinition, UpdateService ×2 (idle up, old colour down), ModifyRule for the test rule',
  );
  log('and one ModifyRule per weight step (the ModifyRule column counts both); with `autoscaling` in the');
  log(
    'topology also RegisterScalableTarget ×3 (idle floor before scale-up, new live range, old colour to 0).',
  );
  log('The preflight (read-only, before the lock) and the run under the lock each read the live state, the');
  log('image, the alarms (DescribeAlarms: exist? already firing?) and, with autoscaling, both scalable');
  log("targets (DescribeScalableTargets). Since the review fixes: one GetMetricData for the live colour's");
  log("request rate before the first shift, one DescribeRules re-read right before the old colour's");
  log(
    'scale-down, and a lock-fence read (store getLock = DynamoDB GetItem, not in "total calls") before every',
  );
  log(
    'UpdateService / ModifyRule / floor write and before recording `deployed`. GetMetricData runs only once a',
  );
  log(
    'whole minute with traffic has ended — twice per gate check since issue 13 (5xx counts; p99 latency and',
  );
  log(
    "connection errors read as one period), plus one per bake for the live colour's pre-shift p99 and one per",
  );
  log(
    "preflight for the plan's traffic reading. Peak rate is a few calls per poll interval (~0.4 calls/s on",
  );
  log('average), far below the ELBv2/ECS/Application Auto Scaling/DynamoDB throttling limits.');
  log();
  log(
    '| strategy | total calls | writes (ECS+ELB+AAS) | ModifyRule | DescribeRules | DescribeTargetHealth | GetMetricData | DescribeAlarms | DescribeServices | RegisterScalableTarget | DescribeScalableTargets | store getLock (fence) | virtual duration |',
  );
  log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const cpuSamples: Record<string, number[]> = {};
  const wallSamples: Record<string, number[]> = {};
  const current: Record<string, Record<string, string>> = {};
  const variants = [
    ...(['all-at-once', 'canary', 'linear'] as const).map((strategy) => ({
      label: strategy,
      strategy,
      topology: base,
    })),
    { label: 'canary + autoscaling', strategy: 'canary' as const, topology: withAutoscaling },
  ];
  for (const { label, strategy, topology } of variants) {
    const totals: number[] = [];
    const writes: number[] = [];
    const per: Record<string, number[]> = {};
    const durations: number[] = [];
    const fences: number[] = [];
    for (let i = 0; i < 45; i++) {
      const seed = (i % 15) + 1; // 3 rounds over 15 seeds: call counts repeat, CPU samples triple
      const { sim, out, cpuMs, wallMs, getLock } = await run(topology, [], seed, strategy);
      fences.push(getLock());
      if (out.status !== 'deployed') throw new Error(`seed ${seed} ${strategy}: ${out.status}`);
      const calls = sim.calls();
      totals.push(Object.values(calls).reduce((a, b) => a + b, 0));
      writes.push(sim.writes().length);
      for (const [k, v] of Object.entries(calls)) per[k] = [...(per[k] ?? []), v];
      durations.push(sim.clock.now() - sim.world.state.startedAt);
      cpuSamples[label] = [...(cpuSamples[label] ?? []), cpuMs];
      wallSamples[label] = [...(wallSamples[label] ?? []), wallMs];
    }
    const m = (k: string) => median(per[k] ?? [0]);
    current[label] = {
      'total calls': String(median(totals)),
      writes: String(median(writes)),
      DescribeAlarms: String(m('cloudwatch:DescribeAlarms')),
    };
    log(
      `| ${label} | ${median(totals)} | ${median(writes)} | ${m('elbv2:ModifyRule')} | ${m('elbv2:DescribeRules')} | ${m('elbv2:DescribeTargetHealth')} | ${m('cloudwatch:GetMetricData')} | ${m('cloudwatch:DescribeAlarms')} | ${m('ecs:DescribeServices')} | ${m('application-autoscaling:RegisterScalableTarget')} | ${m('application-autoscaling:DescribeScalableTargets')} | ${median(fences)} | ${(median(durations) / 60000).toFixed(1)} min |`,
    );
  }
  const previous = previousCalls();
  const deltas = Object.entries(current)
    .filter(([label]) => previous[label])
    .map(([label, now]) => {
      const was = previous[label];
      const parts = ['total calls', 'writes', 'DescribeAlarms']
        .filter((k) => was[k] !== undefined && was[k] !== now[k])
        .map((k) => `${k} ${was[k]} → ${now[k]}`);
      return `${label}: ${parts.length ? parts.join(', ') : 'unchanged'}`;
    });
  if (deltas.length > 0) {
    log();
    log(`Compared with the previous recorded run (History below): ${deltas.join('; ')}.`);
  }
  log();
  log('## 3. CPU time per simulated deploy');
  log();
  log('process.cpuUsage() around one deploy (core + simulation + in-memory store, events discarded);');
  log(
    'median of 45 runs (3 rounds × 15 seeds) after the latency runs above warmed the JIT; per-round medians shown.',
  );
  log();
  log('| strategy | CPU (median) | round medians | CPU (max) | wall (median) |');
  log('|---|---|---|---|---|');
  for (const [strategy, xs] of Object.entries(cpuSamples)) {
    const rounds = [0, 1, 2].map((r) => median(xs.slice(r * 15, r * 15 + 15)).toFixed(1)).join(' / ');
    const wall = median(wallSamples[strategy]).toFixed(1);
    log(
      `| ${strategy} | ${median(xs).toFixed(1)} ms | ${rounds} ms | ${Math.max(...xs).toFixed(1)} ms | ${wall} ms |`,
    );
  }
  await outageSection(log);
  if (WRITE) {
    const file = join(__dirname, 'deploy-results.md');
    const history = existsSync(file) ? historyOf(readFileSync(file, 'utf8'), NOTE) : [];
    writeFileSync(file, `${[...alignTables(lines), ...history].join('\n')}\n`);
  }
}

/**
 * Section 4: a 5xx spike fails the canary; from the instant the deployer records that it starts restoring
 * (step rolling-back), every simulated AWS call — ECS, ELB, CloudWatch, Application Auto Scaling and the
 * DynamoDB store — fails with a retryable network error for 30 s (fault `outage`).
 */
async function outageSection(log: (s?: string) => void) {
  const topology = base;
  const settings = effectiveSettings(topology);
  const n = Math.min(RUNS, 200);
  let restored = 0;
  const afterBack: number[] = [];
  const confirmedFromSignal: number[] = [];
  const failures: number[] = [];
  for (let i = 0; i < n; i++) {
    const seed = 5000 + i;
    const rnd = seededRandom(seed * 7919);
    const faults: Fault[] = [{ name: '5xx-spike', afterSeconds: rnd() * 100 }, { name: 'outage' }];
    const sim = createSimulation({ topologies: [topology], faults, seed });
    let outageFrom: number | undefined;
    const store = sim.store;
    const watching: StorePort = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop !== 'updateRelease') return typeof v === 'function' ? v.bind(target) : v;
        return async (...a: Parameters<StorePort['updateRelease']>) => {
          const res = await store.updateRelease(...a);
          if (a[2].step === 'rolling-back') outageFrom ??= sim.clock.now();
          return res;
        };
      },
    });
    const out = await deploy(
      { ...sim.deps(nullSink), store: watching },
      { topology, imageTag: 'v1.1.0', owner, strategy: 'canary' },
    ).catch((e: unknown) => e as Error);
    if (out instanceof Error || out.status !== 'rolled-back' || out.confirmedAt === undefined) continue;
    const w = sim.world.trafficWeights(topology);
    if (w[out.restoredColour] !== 100) continue;
    restored++;
    const first = firstFailedSignalAt(sim.world, topology, settings, {
      colour: out.failedColour,
      untilMs: out.restoredAt!,
    });
    if (outageFrom !== undefined) afterBack.push(out.confirmedAt - (outageFrom + 30_000));
    if (first !== undefined) confirmedFromSignal.push(out.confirmedAt - first);
    const calls = sim.calls();
    failures.push(
      Object.entries(calls)
        .filter(([k]) => k.startsWith('network-failure:'))
        .reduce((a, [, v]) => a + v, 0),
    );
  }
  const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const q = (xs: number[], p: number) =>
    quantile(
      [...xs].sort((a, b) => a - b),
      p,
    );
  log();
  log('## 4. Restore through 30 s of network failure');
  log();
  log('A 5xx spike during the 10% canary; from the instant the deployer records `rolling-back`, every');
  log('simulated AWS call (ECS, ELB, CloudWatch, Application Auto Scaling, DynamoDB) fails with a retryable');
  log('network error (EHOSTUNREACH) for 30 s (`--fault outage`). The restore (capacity read, write, read');
  log(
    `back) retries with backoff (0.05 s doubling to 5 s, one line per attempt) until its deadline (${(settings.restoreDeadlineSeconds ?? 300) / 60} min);`,
  );
  log('before each retry the lock fence reads the store (itself retried during the outage).');
  log();
  log('| measure | value |');
  log('|---|---|');
  log(`| runs restored to 100% on the known-good colour, confirmed | ${restored}/${n} |`);
  log(
    `| network back → restore confirmed (p50 / p90 / max) | ${f(q(afterBack, 0.5))} / ${f(q(afterBack, 0.9))} / ${f(Math.max(...afterBack))} |`,
  );
  log(
    `| first failed signal → restore confirmed (p50 / p90 / max) | ${f(q(confirmedFromSignal, 0.5))} / ${f(q(confirmedFromSignal, 0.9))} / ${f(Math.max(...confirmedFromSignal))} |`,
  );
  log(`| failed calls during the outage (median) | ${median(failures)} |`);
}

/** Section 2 of the recorded report (before this run): per strategy, total calls / writes / DescribeAlarms. */
function previousCalls(): Record<string, Record<string, string>> {
  const file = join(__dirname, 'deploy-results.md');
  if (!existsSync(file)) return {};
  const current = readFileSync(file, 'utf8').split(/\n## History\n/)[0];
  const section = current.split('## 2.')[1]?.split('\n## ')[0] ?? '';
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  if (rows.length < 2) return {};
  const [header, ...body] = rows;
  const col = (name: RegExp) => header.findIndex((h) => name.test(h));
  const cols = {
    'total calls': col(/^total calls$/),
    writes: col(/^writes/),
    DescribeAlarms: col(/^DescribeAlarms$/),
  };
  const out: Record<string, Record<string, string>> = {};
  for (const r of body) {
    out[r[0]] = Object.fromEntries(
      Object.entries(cols)
        .filter(([, i]) => i >= 0)
        .map(([k, i]) => [k, r[i]]),
    );
  }
  return out;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
