/**
 * CLI start-up benchmark (issue 14): how long `switchyard` takes as a new process, against a bare
 * `node -e 0` of the same Node binary in the same run (interleaved, medians).
 *
 *  1. `switchyard --help` and `switchyard status --env dev --service api --simulate` through
 *     bin/switchyard.js (the freshness check included) — goal: --help under 3× a bare node start;
 *  2. a weight-flip rollback as a new process (`switchyard rollback … --simulate` on a prepared state in
 *     which the previous release's colour still runs): process start (just before spawn) → the restoring
 *     write (the simulated ModifyRule, timestamped inside the child by a preloaded probe) — goal < 0.5 s;
 *  3. where the time goes: the compiled CLI required directly (no launcher), the launcher's freshness
 *     check in-process, and the former launcher (ts-node transpiling the sources on every start);
 *  4. what a build costs: full and one-file rebuilds of dist/cli and dist/synth, against
 *     `tsc -p tsconfig.build.json`.
 *
 *   node -r ts-node/register/transpile-only bench/cli-start.ts [--runs N] [--node PATH]... [--write] [--note "…"]
 *
 * `--node PATH` adds another Node binary (e.g. the Node 24 that .ci/run installs); the first row set is the
 * Node running this script. `--write` stores the report in bench/cli-start-results.md, keeping the one
 * it replaces under "History".
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { deploy, type DeployDeps } from '../services/deployer/src/core/deploy';
import { nullSink } from '../services/deployer/src/core/events';
import type { EventSink } from '../services/deployer/src/ports';
import { openSimulation } from '../services/deployer/src/sim/state-file';
import { parseTopology } from '../services/topology';
import { historyOf } from './history';

const args = process.argv.slice(2);
const RUNS = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 15;
const NOTE = args.includes('--note') ? args[args.indexOf('--note') + 1] : undefined;
const WRITE = args.includes('--write');
const EXTRA_NODES = args.flatMap((a, i) => (a === '--node' ? [args[i + 1]] : []));
const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin/switchyard.js');
const ENTRY = join(ROOT, 'dist/cli/services/deployer/src/cli/main.js');
const ENV = { ...process.env, GITHUB_ACTIONS: '', SWITCHYARD_SIM_WALL_CLOCK: 'off', USER: 'bench' };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS build script, no typings
const build = require('../bin/build.js') as {
  staleReason(root: string, target: string): string | undefined;
  ensureFresh(root: string, target: string): string | undefined;
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const now = () => performance.timeOrigin + performance.now();

/** v1.1.0 on green, v1.2.0 on blue stopped in its termination wait: green still runs → rollback flips. */
async function prepareFlipState(path: string): Promise<void> {
  const example = join(ROOT, 'services/deployer/examples/topology.dev.api.json');
  const t = parseTopology(JSON.parse(readFileSync(example, 'utf8')), example);
  const { sim, save } = await openSimulation({ path, followWallClock: false });
  sim.addTopology(t);
  const owner = { actor: 'bench', host: 'bench', operation: 'deploy' };
  const deps = (events: EventSink, signal?: AbortSignal): DeployDeps => ({
    ...sim.portsFor(t),
    store: sim.store,
    clock: sim.clock,
    events,
    ...(signal ? { signal } : {}),
  });
  const first = await deploy(deps(nullSink), {
    topology: t,
    imageTag: 'v1.1.0',
    owner,
    strategy: 'all-at-once',
  });
  if (first.status !== 'deployed') throw new Error(`setup: v1.1.0 ${first.status}`);
  // interrupt v1.2.0 as its termination wait starts (the event the core emits right before it)
  const stop = new AbortController();
  const watch: EventSink = { emit: (e) => e.type === 'drain.wait' && stop.abort(new Error('SIGINT')) };
  const second = await deploy(deps(watch, stop.signal), {
    topology: t,
    imageTag: 'v1.2.0',
    owner,
    strategy: 'all-at-once',
  });
  if (second.status !== 'deployed' || second.oldColourScaledDown) {
    throw new Error('setup: v1.2.0 should be deployed with the old colour still running');
  }
  await save();
}

/** Preloaded into the rollback process: writes the time of the first simulated rule-weight write. */
function probeSource(out: string): string {
  return `const Module = require('node:module');
const { performance } = require('node:perf_hooks');
const load = Module._load;
Module._load = function (...a) {
  const m = load.apply(this, a);
  if (m && m.SimWorld && !m.SimWorld.prototype.__benchTimed) {
    const orig = m.SimWorld.prototype.setRuleWeights;
    let done = false;
    m.SimWorld.prototype.setRuleWeights = function (...b) {
      const r = orig.apply(this, b);
      if (!done) {
        done = true;
        const u = process.cpuUsage();
        require('node:fs').writeFileSync(${JSON.stringify(out)}, (performance.timeOrigin + performance.now()) + ' ' + (u.user + u.system) / 1000);
      }
      return r;
    };
    m.SimWorld.prototype.__benchTimed = true;
  }
  return m;
};
`;
}

/** Wall time (spawn to exit, or to the restoring write) and CPU time (user + system) of one process. */
interface Timing {
  wall: number;
  cpu: number;
}
const MEASURES = [
  'baseline',
  'help',
  'status',
  'rollbackToWrite',
  'rollbackTotal',
  'direct',
  'tsNodeHelp',
  'tsNodeStatus',
] as const;
type Sample = Record<(typeof MEASURES)[number], Timing>;

/** Preloaded into every measured process: its CPU time at exit, into $BENCH_CPU_OUT. */
const CPU_PROBE = `process.on('exit', () => {
  const u = process.cpuUsage();
  require('node:fs').writeFileSync(process.env.BENCH_CPU_OUT, String((u.user + u.system) / 1000));
});
`;

function timed(node: string, argv: string[], cwd: string, probes: string): Timing & { out: string } {
  const t0 = now();
  const r = spawnSync(node, ['-r', join(probes, 'cpu.js'), ...argv], {
    cwd,
    env: { ...ENV, BENCH_CPU_OUT: join(probes, 'cpu') },
    encoding: 'utf8',
  });
  const wall = now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  if (r.stderr !== '') throw new Error(`${argv.join(' ')} wrote to stderr: ${r.stderr}`);
  return { wall, cpu: Number(readFileSync(join(probes, 'cpu'), 'utf8')), out: r.stdout };
}

const ioScript = (main: string, argv: string[]) =>
  `const { run } = require(${JSON.stringify(main)});
run(${JSON.stringify(argv)}, process.env, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), isTTY: false })
  .then((c) => { process.exitCode = c; });`;
/** The launcher before issue 14: ts-node (transpile-only) compiling the sources in the process, every start. */
const tsNodeScript = (argv: string[]) => `require(${JSON.stringify(require.resolve('ts-node'))}).register({
  transpileOnly: true, project: ${JSON.stringify(join(ROOT, 'tsconfig.json'))},
  compilerOptions: { module: 'commonjs', incremental: false } });
${ioScript(join(ROOT, 'services/deployer/src/cli/main.ts'), argv)}`;

function measureRuntime(node: string, work: string, prepared: string): Sample[] {
  const stamp = join(work, 'write-at');
  writeFileSync(join(work, 'write.js'), probeSource(stamp));
  writeFileSync(join(work, 'cpu.js'), CPU_PROBE);
  const samples: Sample[] = [];
  const state = join(work, 'state.json');
  for (let i = 0; i < RUNS; i++) {
    const baseline = timed(node, ['-e', '0'], work, work);
    const help = timed(node, [BIN, '--help'], work, work);
    if (!help.out.startsWith('Usage: switchyard')) throw new Error(`--help printed ${help.out.slice(0, 80)}`);
    const direct = timed(node, ['-e', ioScript(ENTRY, ['--help'])], work, work);
    copyFileSync(prepared, state);
    const status = timed(
      node,
      [BIN, 'status', '--env', 'dev', '--service', 'api', '--simulate', '--sim-state', state],
      work,
      work,
    );
    if (!/dev\/api {2}live: blue/.test(status.out))
      throw new Error(`status printed ${status.out.slice(0, 200)}`);
    copyFileSync(prepared, state);
    rmSync(stamp, { force: true });
    const t0 = now();
    const rollback = ['rollback', '--env', 'dev', '--service', 'api', '--reason', 'bench', '--simulate'];
    const rb = timed(
      node,
      ['-r', join(work, 'write.js'), BIN, ...rollback, '--sim-state', state, '--output', 'json'],
      work,
      work,
    );
    const last = rb.out.trim().split('\n').at(-1) ?? '{}';
    const result = JSON.parse(last) as { data?: { status?: string; plan?: { mode?: string } } };
    if (result.data?.status !== 'rolled-back' || result.data.plan?.mode !== 'flip') {
      throw new Error(`rollback was not a weight flip: ${last}`);
    }
    const [writeAt, cpuAtWrite] = readFileSync(stamp, 'utf8').split(' ').map(Number);
    samples.push({
      baseline,
      help,
      direct,
      status,
      rollbackToWrite: { wall: writeAt - t0, cpu: cpuAtWrite },
      rollbackTotal: rb,
      tsNodeHelp: timed(node, ['-e', tsNodeScript(['--help'])], work, work),
      tsNodeStatus: (() => {
        copyFileSync(prepared, state);
        const args = ['status', '--env', 'dev', '--service', 'api', '--simulate', '--sim-state', state];
        return timed(node, ['-e', tsNodeScript(args)], work, work);
      })(),
    });
  }
  return samples;
}

function buildCosts(work: string): string[] {
  const node = process.execPath;
  const run = (argv: string[]) => {
    const t0 = now();
    const r = spawnSync(node, argv, { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
    return now() - t0;
  };
  const touched = join(ROOT, 'services/deployer/src/core/deploy.ts');
  const touchedSynth = join(ROOT, 'modules/ecs/index.ts');
  const rows: [string, number[]][] = [
    ['`node bin/build.js cli --force` (full build of dist/cli)', []],
    ['`node bin/build.js cli` after touching core/deploy.ts (one file re-emitted)', []],
    ['`node bin/build.js cli` when fresh (the check alone, as a process)', []],
    ['`tsc -p tsconfig.build.json` (type check + emit, for comparison)', []],
    ['`node bin/build.js synth --force` (full build of dist/synth)', []],
    ['`node bin/build.js synth` after touching modules/ecs/index.ts', []],
  ];
  for (let i = 0; i < 3; i++) {
    rows[0][1].push(run([join(ROOT, 'bin/build.js'), 'cli', '--force']));
    const t = new Date();
    utimesSync(touched, t, t);
    rows[1][1].push(run([join(ROOT, 'bin/build.js'), 'cli']));
    rows[2][1].push(run([join(ROOT, 'bin/build.js'), 'cli']));
    rows[3][1].push(
      run([
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        join(work, 'tsc'),
      ]),
    );
    rows[4][1].push(run([join(ROOT, 'bin/build.js'), 'synth', '--force']));
    utimesSync(touchedSynth, t, t);
    rows[5][1].push(run([join(ROOT, 'bin/build.js'), 'synth']));
  }
  return [
    '| build (3 runs each, as a new process) | median | runs |',
    '| --- | --- | --- |',
    ...rows.map(
      ([k, v]) =>
        `| ${k} | ${(median(v) / 1000).toFixed(2)} s | ${v.map((x) => (x / 1000).toFixed(2)).join(' ')} |`,
    ),
  ];
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'switchyard-cli-start-'));
  try {
    build.ensureFresh(ROOT, 'cli');
    const prepared = join(work, 'prepared.json');
    await prepareFlipState(prepared);
    const load0 = loadavg()[0];
    const runtimes = [process.execPath, ...EXTRA_NODES];
    const versions = runtimes.map((n) => spawnSync(n, ['--version'], { encoding: 'utf8' }).stdout.trim());
    const results = runtimes.map((n) => measureRuntime(n, work, prepared));

    // the launcher's freshness check, in-process (what every start inside the repository pays)
    const manifest = JSON.parse(readFileSync(join(ROOT, 'dist/cli/build-manifest.json'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    const paths = ['inputs', 'dirs', 'outputs'].reduce(
      (n, k) => n + Object.keys(manifest[k] ?? {}).length,
      0,
    );
    const checks: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      if (build.staleReason(ROOT, 'cli') !== undefined) throw new Error('dist/cli went stale during the run');
      checks.push((performance.now() - t0) * 1000);
    }
    const builds = buildCosts(work);
    const load1 = loadavg()[0];

    const f = (ms: number) => `${ms.toFixed(0)} ms`;
    const lines = [
      '# CLI start-up benchmark',
      '',
      `Command: \`node -r ts-node/register/transpile-only bench/cli-start.ts --runs ${RUNS}${EXTRA_NODES.map((n) => ` --node ${n.replace(homedir(), '~')}`).join('')}${WRITE ? ' --write' : ''}\``,
      `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, 2 cores shared with other jobs (load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end).`,
      '',
      'Every measure is a new process, spawned and awaited by this script, interleaved run by run with a bare',
      '`node -e 0` of the same binary; medians of the runs, ratios to the bare start. Wall: spawn to exit (or to',
      'the restoring write), as a user waits for it. CPU: user + system time of the process itself (a preloaded',
      'probe reads `process.cpuUsage()` at exit, or at the restoring write), which other jobs on the machine',
      'disturb far less than wall time.',
      '`status` and `rollback` run on a copy of a prepared simulation state (v1.1.0 on green, v1.2.0 on blue',
      'stopped in its termination wait, so the rollback is a weight flip).',
      '',
    ];
    const labels: Record<(typeof MEASURES)[number], string> = {
      baseline: '`node -e 0` (bare start)',
      help: '`switchyard --help` (bin/switchyard.js, freshness check included)',
      status: '`switchyard status --env dev --service api --simulate`',
      rollbackToWrite: 'weight-flip rollback: process start → restoring write',
      rollbackTotal: 'weight-flip rollback: whole process',
      direct: 'compiled CLI `--help` without the launcher (require dist/cli directly)',
      tsNodeHelp: 'former launcher (ts-node compiling the sources at every start), `--help`',
      tsNodeStatus: 'former launcher, `status --env dev --service api --simulate`',
    };
    runtimes.forEach((_, i) => {
      const s = results[i];
      const med = (m: (typeof MEASURES)[number], k: keyof Timing) => median(s.map((x) => x[m][k]));
      lines.push(
        `## ${versions[i]} (${RUNS} runs)`,
        '',
        '| measure | wall, median | × `node -e 0` | wall, min – max | CPU, median | × `node -e 0` |',
        '| --- | --- | --- | --- | --- | --- |',
        ...MEASURES.map((m) => {
          const walls = s.map((x) => x[m].wall);
          return `| ${labels[m]} | ${f(med(m, 'wall'))} | ${(med(m, 'wall') / med('baseline', 'wall')).toFixed(2)}× | ${f(Math.min(...walls))} – ${f(Math.max(...walls))} | ${f(med(m, 'cpu'))} | ${(med(m, 'cpu') / med('baseline', 'cpu')).toFixed(2)}× |`;
        }),
        '',
      );
    });
    lines.push(
      '## Freshness check and builds',
      '',
      `The launcher's check inside the repository (\`staleReason\`, in-process, ${paths} paths stat'ed from`,
      `dist/cli/build-manifest.json): median ${median(checks).toFixed(0)} µs, max ${Math.max(...checks).toFixed(0)} µs over 500 calls.`,
      '',
      ...builds,
      '',
    );
    const report = lines.join('\n');
    console.log(report);
    if (WRITE) {
      const file = join(ROOT, 'bench/cli-start-results.md');
      const history = existsSync(file) ? historyOf(readFileSync(file, 'utf8'), NOTE) : [];
      writeFileSync(file, `${[report.trimEnd(), ...history].join('\n')}\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
