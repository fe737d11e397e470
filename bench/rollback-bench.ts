/**
 * Rollback benchmark (issue 5), in the simulation:
 *  1. rollback by weight flip (the previous release's colour still runs): tool overhead from command
 *     start to the traffic-restoring write — real wall and CPU time with the virtual clock (no API
 *     latency), plus the virtual time the same run takes with the simulation's 20–150 ms per API call;
 *  2. the same for the recovery of a deployer killed mid-shift (status-free `rollback --force-unlock`);
 *  3. API calls per rollback (ECS/ELB/ECR by API, deployment-store calls by method; writes marked);
 *  + a rollback by redeploy during an incident (the bad live colour's own alarm and a shared alarm in
 *    ALARM): where traffic ends and how long it takes; and a flip through 30 s of network failure;
 *  4. the CLI end to end: `node bin/switchyard.js rollback … --simulate` as a new process (ts-node
 *     start-up included) against a prepared state file, against `switchyard --version` as baseline.
 *
 *   node -r ts-node/register/transpile-only bench/rollback-bench.ts [--runs N] [--cli-runs N] [--write] [--note "what changed"]
 *
 * `--write` stores the Markdown report in bench/rollback-results.md; the report it replaces is kept under
 * "History" (with `--note` saying what changed since).
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DeployDeps, deploy } from '../services/deployer/src/core/deploy';
import { nullSink } from '../services/deployer/src/core/events';
import { type RollbackOutcome, rollback } from '../services/deployer/src/ops/rollback';
import type { StorePort } from '../services/deployer/src/ports';
import { createSimulation, restoreStore, type Simulation } from '../services/deployer/src/sim';
import { openSimulation } from '../services/deployer/src/sim/state-file';
import { parseTopology, type ServiceTopology } from '../services/topology';
import { historyOf } from './history';

const args = process.argv.slice(2);
const num = (flag: string, d: number) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : d);
const RUNS = num('--runs', 50);
const CLI_RUNS = num('--cli-runs', 7);
const NOTE = args.includes('--note') ? args[args.indexOf('--note') + 1] : undefined;
const WRITE = args.includes('--write');
const ROOT = join(__dirname, '..');

const examplePath = join(ROOT, 'services/deployer/examples/topology.dev.api.json');
const t: ServiceTopology = parseTopology(JSON.parse(readFileSync(examplePath, 'utf8')), examplePath);
const owner = { actor: 'bench', host: 'bench', operation: 'deploy' };
const oncall = { actor: 'oncall', host: 'bench', operation: 'rollback' };

const STORE_WRITES = new Set([
  'acquireLock',
  'renewLock',
  'releaseLock',
  'forceUnlock',
  'putRelease',
  'updateRelease',
]);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const p90 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.9 * xs.length) - 1)];

/** Counts store calls by method. */
function countingStore(store: StorePort, counts: Record<string, number>): StorePort {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...a: unknown[]) => {
        counts[String(prop)] = (counts[String(prop)] ?? 0) + 1;
        return v.apply(target, a);
      };
    },
  });
}

/** v1.1.0 on green (scaled down later), v1.2.0 on blue stopped in its termination wait → green still runs. */
async function prepareFlip(sim: Simulation): Promise<void> {
  const deps = (signal?: AbortSignal): DeployDeps => ({
    ...sim.portsFor(t),
    store: sim.store,
    clock: sim.clock,
    events: nullSink,
    ...(signal ? { signal } : {}),
  });
  const a = await deploy(deps(), { topology: t, imageTag: 'v1.1.0', owner, strategy: 'all-at-once' });
  if (a.status !== 'deployed') throw new Error(`setup: ${a.status}`);
  const ac = new AbortController();
  const store = sim.store;
  const watching: StorePort = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'updateRelease') return typeof v === 'function' ? v.bind(target) : v;
      return async (...x: Parameters<StorePort['updateRelease']>) => {
        const res = await store.updateRelease(...x);
        if (x[2].outcome === 'deployed') ac.abort(new Error('SIGINT'));
        return res;
      };
    },
  });
  const b = await deploy(
    { ...deps(ac.signal), store: watching },
    { topology: t, imageTag: 'v1.2.0', owner, strategy: 'all-at-once' },
  );
  if (b.status !== 'deployed' || b.oldColourScaledDown)
    throw new Error('setup: v1.2.0 should leave green running');
}

/** A deploy killed right after its first traffic shift; returns a fresh "process" on what it left. */
async function prepareKilled(seed: number): Promise<Simulation> {
  const sim = createSimulation({ topologies: [t], faults: [{ name: 'kill' }], seed });
  void deploy(
    { ...sim.portsFor(t), store: sim.store, clock: sim.clock, events: nullSink },
    { topology: t, imageTag: 'v1.1.0', owner, strategy: 'canary' },
  );
  await sim.killed;
  await new Promise((r) => setTimeout(r, 5));
  const snap = await sim.snapshot();
  const next = createSimulation({ topologies: [t], snapshot: snap, seed });
  await restoreStore(next, snap);
  return next;
}

interface Measure {
  wallToRestoreMs: number;
  wallTotalMs: number;
  cpuMs: number;
  virtualToRestoreMs: number;
  virtualTotalMs: number;
  awsCalls: Record<string, number>;
  awsWrites: string[];
  storeCalls: Record<string, number>;
  mode: string;
}

async function measure(sim: Simulation, forceUnlock: boolean): Promise<Measure> {
  const callsBefore = { ...sim.calls() };
  const writesBefore = sim.writes().length;
  const storeCalls: Record<string, number> = {};
  let wallRestore = 0;
  let virtualRestore = 0;
  const lb = sim.portsFor(t).lb;
  const wall0 = process.hrtime.bigint();
  const lbTimed = {
    ...lb,
    setRuleWeights: async (...a: Parameters<typeof lb.setRuleWeights>) => {
      await lb.setRuleWeights(...a);
      wallRestore = Number(process.hrtime.bigint() - wall0) / 1e6;
      virtualRestore = sim.clock.now();
    },
  };
  const deps: DeployDeps = {
    ...sim.portsFor(t),
    lb: lbTimed,
    store: countingStore(sim.store, storeCalls),
    clock: sim.clock,
    events: nullSink,
  };
  const v0 = sim.clock.now();
  const cpu0 = process.cpuUsage();
  const out: RollbackOutcome = await rollback(deps, {
    topology: t,
    reason: 'bench',
    owner: oncall,
    ...(forceUnlock ? { forceUnlock } : {}),
  });
  const cpu = process.cpuUsage(cpu0);
  const wallTotal = Number(process.hrtime.bigint() - wall0) / 1e6;
  if (out.status !== 'rolled-back')
    throw new Error(`rollback ${out.status}: ${JSON.stringify(out).slice(0, 300)}`);
  const awsCalls: Record<string, number> = {};
  for (const [k, v] of Object.entries(sim.calls()))
    if (v - (callsBefore[k] ?? 0) > 0) awsCalls[k] = v - (callsBefore[k] ?? 0);
  return {
    wallToRestoreMs: wallRestore,
    wallTotalMs: wallTotal,
    cpuMs: (cpu.user + cpu.system) / 1000,
    virtualToRestoreMs: virtualRestore - v0,
    virtualTotalMs: sim.clock.now() - v0,
    awsCalls,
    awsWrites: sim
      .writes()
      .slice(writesBefore)
      .map((w) => w.api),
    storeCalls,
    mode: out.plan.mode,
  };
}

function summarize(name: string, ms: Measure[]): string[] {
  const f = (xs: number[], d = 2) =>
    `${median(xs).toFixed(d)} / ${p90(xs).toFixed(d)} / ${Math.max(...xs).toFixed(d)}`;
  const calls = ms[0].awsCalls;
  const same = ms.every((m) => JSON.stringify(m.awsCalls) === JSON.stringify(calls));
  const store = ms[0].storeCalls;
  const storeSame = ms.every((m) => JSON.stringify(m.storeCalls) === JSON.stringify(store));
  const awsTotal = Object.values(calls).reduce((a, b) => a + b, 0);
  const storeTotal = Object.values(store).reduce((a, b) => a + b, 0);
  const storeWrites = Object.entries(store)
    .filter(([k]) => STORE_WRITES.has(k))
    .reduce((a, [, v]) => a + v, 0);
  return [
    `### ${name} (mode: ${[...new Set(ms.map((m) => m.mode))].join(', ')}; ${ms.length} runs, seeds 1–${ms.length})`,
    '',
    '| measure (median / p90 / max) | value |',
    '| --- | --- |',
    `| tool wall time, command start → restoring write done | ${f(ms.map((m) => m.wallToRestoreMs))} ms |`,
    `| tool wall time, whole command | ${f(ms.map((m) => m.wallTotalMs))} ms |`,
    `| tool CPU time (user+sys), whole command | ${f(ms.map((m) => m.cpuMs))} ms |`,
    `| virtual time → restoring write (simulated API latency 20–150 ms/call) | ${f(ms.map((m) => m.virtualToRestoreMs / 1000))} s |`,
    `| virtual time, whole command | ${f(ms.map((m) => m.virtualTotalMs / 1000))} s |`,
    `| ECS/ELB writes | ${[...new Set(ms.map((m) => m.awsWrites.join(' + ') || '(none)'))].join(' or ')} |`,
    '',
    `AWS API calls (${awsTotal}${same ? ', identical in every run' : ', first run'}): ${Object.entries(calls)
      .map(([k, v]) => `${k} ×${v}`)
      .join(', ')}.`,
    `Deployment-store calls (${storeTotal}, of which ${storeWrites} writes${storeSame ? ', identical in every run' : ', first run'}): ${Object.entries(
      store,
    )
      .map(([k, v]) => `${k} ×${v}`)
      .join(', ')}.`,
    '',
  ];
}

/** v1.1.0 on green, then the bad v1.2.0 on blue (green scaled to 0): a rollback must redeploy. */
async function prepareRedeploy(seed: number): Promise<Simulation> {
  const first = createSimulation({ topologies: [t], seed });
  for (const tag of ['v1.1.0', 'v1.2.0']) {
    const out = await deploy(
      { ...first.portsFor(t), store: first.store, clock: first.clock, events: nullSink },
      { topology: t, imageTag: tag, owner, strategy: 'all-at-once' },
    );
    if (out.status !== 'deployed') throw new Error(`setup ${tag}: ${out.status}`);
  }
  const snap = await first.snapshot();
  // the incident: blue's own alarm and the shared one are in ALARM when the rollback starts
  const sim = createSimulation({ topologies: [t], snapshot: snap, seed, faults: [{ name: 'incident' }] });
  await restoreStore(sim, snap);
  return sim;
}

interface IncidentRun {
  status: string;
  onTarget: boolean;
  toTrafficMs: number;
  totalMs: number;
}

async function incidentRollback(seed: number): Promise<IncidentRun> {
  const sim = await prepareRedeploy(seed);
  const v0 = sim.clock.now();
  let moved: number | undefined;
  const lb = sim.portsFor(t).lb;
  const out = await rollback(
    {
      ...sim.portsFor(t),
      lb: {
        ...lb,
        setRuleWeights: async (...a: Parameters<typeof lb.setRuleWeights>) => {
          await lb.setRuleWeights(...a);
          if (a[0] === t.productionRuleArn) moved ??= sim.clock.now();
        },
      },
      store: sim.store,
      clock: sim.clock,
      events: nullSink,
    },
    { topology: t, reason: 'bench: incident', owner: oncall },
  );
  const w = sim.world.trafficWeights(t);
  return {
    status: out.status,
    onTarget: w.green === 100,
    toTrafficMs: (moved ?? sim.clock.now()) - v0,
    totalMs: sim.clock.now() - v0,
  };
}

/** A flip whose restoring write meets 30 s of network failure (every call), from the rollback record on. */
async function flipThroughOutage(seed: number): Promise<{ restored: boolean; afterBackMs: number }> {
  const sim = createSimulation({ topologies: [t], seed });
  await prepareFlip(sim);
  let from: number | undefined;
  const store = sim.store;
  const watching: StorePort = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'putRelease') return typeof v === 'function' ? v.bind(target) : v;
      return async (...a: Parameters<StorePort['putRelease']>) => {
        await store.putRelease(...a);
        if (a[0].kind === 'rollback' && from === undefined) {
          from = sim.clock.now();
          sim.networkOutage(from, 30_000);
        }
      };
    },
  });
  const out = await rollback(
    { ...sim.portsFor(t), store: watching, clock: sim.clock, events: nullSink },
    { topology: t, reason: 'bench: outage', owner: oncall },
  );
  const restored = out.status === 'rolled-back' && sim.world.trafficWeights(t).green === 100;
  const at = out.status === 'rolled-back' ? (out.restoredAt ?? sim.clock.now()) : sim.clock.now();
  return { restored, afterBackMs: at - ((from ?? 0) + 30_000) };
}

async function main() {
  const incidents: IncidentRun[] = [];
  const outages: { restored: boolean; afterBackMs: number }[] = [];
  for (let seed = 1; seed <= RUNS; seed++) {
    incidents.push(await incidentRollback(seed));
    outages.push(await flipThroughOutage(seed));
  }
  const flips: Measure[] = [];
  const recoveries: Measure[] = [];
  for (let seed = 1; seed <= RUNS; seed++) {
    const sim = createSimulation({ topologies: [t], seed });
    await prepareFlip(sim);
    flips.push(await measure(sim, false));
    recoveries.push(await measure(await prepareKilled(seed), true));
  }
  // prepared state file for the CLI runs
  const work = mkdtempSync(join(tmpdir(), 'switchyard-rollback-prep-'));
  const prepared = join(work, 'state.json');
  const { sim, save } = await openSimulation({ path: prepared, followWallClock: false });
  sim.addTopology(t);
  await prepareFlip(sim);
  await save();
  const lines = [
    '# Rollback benchmark (simulation)',
    '',
    `Command: \`node -r ts-node/register/transpile-only bench/rollback-bench.ts --runs ${RUNS} --cli-runs ${CLI_RUNS}${WRITE ? ' --write' : ''}\``,
    `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, machine shared with other jobs (2 cores). Topology: services/deployer/examples/topology.dev.api.json.`,
    '',
    'Tool overhead is measured with the virtual clock: API calls cost no real time, so the wall and CPU',
    "times are what the tool itself spends (the simulation's own bookkeeping included — an upper bound).",
    "The virtual times add the simulation's API latency (20–150 ms per call, sequential where the tool",
    'is sequential) — an estimate of the real-AWS time to traffic restored.',
    '',
    '## 1. Rollback by weight flip',
    '',
    'Setup per run (not measured): v1.1.0 deployed on green; v1.2.0 deployed on blue and stopped in its',
    'termination wait, so green still runs v1.1.0 with 2/2 healthy targets. Measured: `rollback()` with',
    'no --to (→ the previous known-good release, v1.1.0 on green).',
    '',
    ...summarize('Weight flip', flips),
    '## 2. Recovery of a killed deployer',
    '',
    'Setup per run: a canary deploy killed (no cleanup) right after its first shift (blue 90 / green 10),',
    'a new process on the state it left; measured: `rollback --force-unlock` (the lease is still live).',
    '',
    ...summarize('Recovery (restore)', recoveries),
    '## 2b. Rollback by redeploy during an incident',
    '',
    'Setup per run: v1.1.0 on green, then the bad v1.2.0 on blue with green scaled to 0; the incident is in',
    "progress (`--fault incident`: blue's own 5xx alarm and the shared ALB alarm in ALARM). Measured:",
    '`rollback()` with no --to → a blue/green redeploy of v1.1.0 onto green (all at once). Before the alarm',
    "scoping, blue's alarm failed the first bake and traffic went back onto v1.2.0 (exit 3) — the review's",
    'reproduction, now tests/deployer/ops/rollback-incident.test.ts.',
    '',
    '| measure | value |',
    '| --- | --- |',
    `| runs ending rolled back, 100% on green (v1.1.0) | ${incidents.filter((r) => r.status === 'rolled-back' && r.onTarget).length}/${incidents.length} |`,
    `| runs ending with traffic back on blue (the release rolled back from) | ${incidents.filter((r) => !r.onTarget).length}/${incidents.length} |`,
    `| virtual time, command start → traffic on green (median / max) | ${(median(incidents.map((r) => r.toTrafficMs)) / 1000).toFixed(1)} / ${(Math.max(...incidents.map((r) => r.toTrafficMs)) / 1000).toFixed(1)} s |`,
    `| virtual time, whole command incl. final bake and termination wait (median) | ${(median(incidents.map((r) => r.totalMs)) / 60_000).toFixed(1)} min |`,
    '',
    '## 2c. Weight flip through 30 s of network failure',
    '',
    'As in 1, but from the moment the rollback record is written every simulated AWS call (and the store)',
    'fails with a retryable network error (EHOSTUNREACH) for 30 s. The restoring write retries with',
    'backoff until its deadline (`restoreDeadlineSeconds`, default 5 min), fencing the lock before each retry.',
    '',
    '| measure | value |',
    '| --- | --- |',
    `| runs restored (100% on green, read back) | ${outages.filter((r) => r.restored).length}/${outages.length} |`,
    `| network back → restoring write done (median / p90 / max) | ${(median(outages.map((r) => r.afterBackMs)) / 1000).toFixed(2)} / ${(p90(outages.map((r) => r.afterBackMs)) / 1000).toFixed(2)} / ${(Math.max(...outages.map((r) => r.afterBackMs)) / 1000).toFixed(2)} s |`,
    '',
    '## 3. CLI',
    '',
  ];
  // cliRuns copies the prepared state into each run directory
  const cli = (() => {
    const w = mkdtempSync(join(tmpdir(), 'switchyard-rollback-cli-'));
    copyFileSync(prepared, join(w, 'prepared.json'));
    return w;
  })();
  lines.push(...cliRunsIn(cli));
  rmSync(cli, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  lines.push(
    '## Reading',
    '',
    '- Target "one write": the flip makes exactly one ECS/ELB write (the production rule\'s ModifyRule),',
    '  read back once; the recovery makes one ModifyRule plus the UpdateService scaling the dead colour to 0',
    '  *after* traffic is restored.',
    '- Target "< 2 s tool overhead": see the tool wall/CPU rows (milliseconds) and the CLI row, whose',
    '  start-up (ts-node transpiling the sources) dominates.',
    '- Store writes: putRelease (rollback record, before the write), updateRelease ×2–3 (outcome, the',
    '  release rolled back from / the dead release), lock acquire + release. The reads before the write',
    '  are done twice on purpose: once without the lock (bad input refused with zero writes) and again',
    '  under the lock (the state may have changed meanwhile).',
    '- Since the SRE review fixes: one lock-fence read (store getLock) right before the restoring write',
    '  (and before a scale-down), and one DescribeRules of the test listener rule after it (re-pointed at',
    '  the idle colour only when it does not reach it). Against AWS the ELBv2 adapter also re-reads the',
    '  production rule (DescribeRules) right before each ModifyRule — not counted here (simulated port).',
    '',
  );
  const report = lines.join('\n');
  console.log(report);
  if (WRITE) {
    const file = join(ROOT, 'bench/rollback-results.md');
    const history = existsSync(file) ? historyOf(readFileSync(file, 'utf8'), NOTE) : [];
    writeFileSync(file, `${[report.trimEnd(), ...history].join('\n')}\n`);
  }
}

/** CLI runs in `work` (holding prepared.json). */
function cliRunsIn(work: string): string[] {
  const statePath = join(work, 'prepared.json');
  const env = { ...process.env, SWITCHYARD_SIM_WALL_CLOCK: 'off', USER: 'bench' };
  const bin = join(ROOT, 'bin/switchyard.js');
  const walls: number[] = [];
  const base: number[] = [];
  const codes: number[] = [];
  let lastOut = '';
  for (let i = 0; i < CLI_RUNS; i++) {
    const dir = join(work, `run${i}`);
    mkdirSync(join(dir, '.switchyard-sim'), { recursive: true });
    copyFileSync(statePath, join(dir, '.switchyard-sim/state.json'));
    let t0 = process.hrtime.bigint();
    spawnSync(process.execPath, [bin, '--version'], { cwd: dir, env });
    base.push(Number(process.hrtime.bigint() - t0) / 1e6);
    t0 = process.hrtime.bigint();
    const r = spawnSync(
      process.execPath,
      [bin, 'rollback', '--env', 'dev', '--service', 'api', '--reason', 'bench', '--simulate'],
      { cwd: dir, env, encoding: 'utf8' },
    );
    walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
    codes.push(r.status ?? -1);
    lastOut = r.stdout.trim().split('\n').at(-1) ?? '';
  }
  return [
    `\`node bin/switchyard.js rollback --env dev --service api --reason bench --simulate\`, a new process per run`,
    `(${CLI_RUNS} runs), each on a copy of a prepared state file (green still runs v1.1.0):`,
    '',
    '| measure (median / max) | value |',
    '| --- | --- |',
    `| rollback process wall time (node + ts-node start-up, state file load/save, rollback) | ${median(walls).toFixed(0)} / ${Math.max(...walls).toFixed(0)} ms |`,
    `| baseline \`switchyard --version\` (start-up only) | ${median(base).toFixed(0)} / ${Math.max(...base).toFixed(0)} ms |`,
    `| rollback minus start-up baseline (medians) | ${(median(walls) - median(base)).toFixed(0)} ms |`,
    `| exit codes | ${[...new Set(codes)].join(', ')} |`,
    '',
    `Last result line: \`${lastOut}\``,
    '',
  ];
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
