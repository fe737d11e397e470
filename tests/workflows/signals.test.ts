/**
 * A Cancel or a timeout of a workflow step reaches the deployer (and terraform), proven on the exact
 * command lines the workflows run.
 *
 * GitHub runs a `run:` step as `bash -e <script file>` and cancels it by sending SIGINT to that process
 * only, SIGTERM 7.5 s later, and killing the tree 2.5 s after that (docs: "Workflow cancellation
 * reference"; actions/runner src/Runner.Sdk/ProcessInvoker.cs: kill(pid, SIGINT), _sigintTimeout 7500 ms,
 * _sigtermTimeout 2500 ms). `cancelLikeGitHub` does exactly that to the step process. The step's script
 * and env are read from the workflow YAML; the deployer runs against the `--simulate` world
 * (SWITCHYARD_SIMULATE=1, paced so the signal lands mid-shift) and the test asserts the restore happened.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lib/repo';
import { baseEnv, resolveEnv, simEnv, stepOf } from './lib/steps';

const BIN = join(ROOT, 'bin/switchyard.js');

interface StepRun {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a `run:` script the way the runner does: `bash -e <file>`, in its own process group. */
function startStep(dir: string, run: string, env: Record<string, string>, cwd = ROOT): StepRun {
  const file = join(dir, `step-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, run);
  const child = spawn('bash', ['-e', file], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  return { child, output: () => out, exited };
}

async function waitFor(what: () => boolean, ms: number, label: string): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGINT to the step process; SIGTERM after 7.5 s; the whole tree killed 2.5 s later (the runner). */
async function cancelLikeGitHub(step: StepRun): Promise<{ code: number | null; signal: string | null }> {
  const pid = step.child.pid!;
  const alive = () => step.child.exitCode === null && step.child.signalCode === null;
  process.kill(pid, 'SIGINT');
  const timers: NodeJS.Timeout[] = [
    setTimeout(() => alive() && process.kill(pid, 'SIGTERM'), 7_500),
    setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 10_000),
  ];
  const res = await step.exited;
  for (const t of timers) clearTimeout(t);
  try {
    process.kill(-pid, 'SIGKILL'); // nothing of the step may outlive it (as the runner's cleanup)
  } catch {
    // already gone
  }
  return res;
}

function cli(dir: string, args: string): void {
  const r = spawnSync(process.execPath, [BIN, ...args.split(' ')], {
    env: { ...baseEnv(dir), ...simEnv(dir), GITHUB_ACTIONS: '', SWITCHYARD_SIM_PACE: '' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`switchyard ${args} → ${r.status}\n${r.stdout}\n${r.stderr}`);
}

/** Weights of the simulated production rule of env/svc now (status --output json). */
function weights(dir: string, env: string): { blue: number; green: number } {
  const r = spawnSync(
    process.execPath,
    [BIN, 'status', '--env', env, '--service', 'api', '--output', 'json'],
    {
      env: { ...baseEnv(dir), ...simEnv(dir), GITHUB_ACTIONS: '', SWITCHYARD_SIM_PACE: '' },
      encoding: 'utf8',
    },
  );
  const result = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type?: string; data?: unknown })
    .find((o) => o.type === 'result');
  const services = (result?.data as { services: { live: { weights: { blue: number; green: number } } }[] })
    .services;
  return services[0]!.live.weights;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'signals-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SHIFTED = /traffic: blue (10|90)% \/ green (90|10)%/;

describe('Cancel of a deployer step (SIGINT to the step process, exact workflow command line)', () => {
  test('deploy.yml: the deployer gets the signal mid-shift and puts traffic back (exit 3)', async () => {
    cli(dir, 'deploy --sim-reset --env dev --service api --image-tag v1.1.0'); // green live
    const { run, env } = stepOf('deploy.yml', 'run-switchyard.sh');
    const step = startStep(dir, run, {
      ...baseEnv(dir),
      ...simEnv(dir),
      ...resolveEnv(env, {
        'inputs.environment': 'dev',
        'inputs.service': 'api',
        'inputs.image-tag': 'v1.2.0',
        'secrets.SLACK_WEBHOOK_URL': '', // an unset secret reads as ""
      }),
    });
    await waitFor(() => SHIFTED.test(step.output()), 20_000, 'the first weight shift');
    const res = await cancelLikeGitHub(step);
    const out = step.output();
    expect(out).toMatch(/switchyard: SIGINT received — stopping/);
    expect(out).toMatch(/traffic restored: 100(%|%25) on green/);
    expect(res).toEqual({ code: 3, signal: null }); // rolled back, reported by run-switchyard.sh
    expect(out).toContain('::error title=switchyard deploy rolled back (exit 3)::');
    expect(weights(dir, 'dev')).toEqual({ blue: 0, green: 100 });
  }, 40_000);

  test('promote.yml: the deployer gets the signal mid-shift and puts traffic back (exit 3)', async () => {
    cli(dir, 'deploy --sim-reset --env dev --service api --image-tag v1.1.0'); // staging serves v1.0.0 on blue
    // The job first captures the source environment's status (the capture step, as the workflow runs it)
    const capture = stepOf('promote.yml', 'switchyard status');
    const captured = startStep(dir, capture.run, {
      ...baseEnv(dir),
      ...simEnv(dir),
      SWITCHYARD_SIM_PACE: '',
      RUNNER_TEMP: dir,
      ...resolveEnv(capture.env, { 'inputs.service': 'api', 'inputs.from': 'dev' }),
    });
    expect(await captured.exited).toEqual({ code: 0, signal: null });
    const { run, env } = stepOf('promote.yml', 'run-switchyard.sh');
    const step = startStep(dir, run, {
      ...baseEnv(dir),
      ...simEnv(dir),
      RUNNER_TEMP: dir,
      ...resolveEnv(env, {
        'inputs.service': 'api',
        'inputs.from': 'dev',
        'inputs.to': 'staging',
        'inputs.tag': '',
        'inputs.allow-skip-stage': 'false',
        'secrets.SLACK_WEBHOOK_URL': '', // an unset secret reads as ""
      }),
    });
    await waitFor(() => SHIFTED.test(step.output()), 20_000, 'the first weight shift');
    const res = await cancelLikeGitHub(step);
    expect(step.output()).toMatch(/switchyard: SIGINT received — stopping/);
    expect(step.output()).toMatch(/traffic restored: 100(%|%25) on blue/);
    expect(res).toEqual({ code: 3, signal: null });
    expect(weights(dir, 'staging')).toEqual({ blue: 100, green: 0 });
  }, 40_000);

  test('rollback.yml: a rollback by redeploy gets the signal once traffic is on its target and keeps it there (never back onto the release it leaves)', async () => {
    cli(dir, 'deploy --sim-reset --env dev --service api --image-tag v1.1.0'); // green live, blue scaled to 0
    const { run, env } = stepOf('rollback.yml', 'run-switchyard.sh');
    const step = startStep(dir, run, {
      ...baseEnv(dir),
      ...simEnv(dir),
      ...resolveEnv(env, {
        'inputs.environment': 'dev',
        'inputs.service': 'api',
        'inputs.reason': 'signal test',
        'inputs.target-release': '',
        'inputs.force-unlock': 'false',
        'inputs.abort-held': 'false',
        'github.actor': 'octocat',
        'secrets.SLACK_WEBHOOK_URL': '', // an unset secret reads as ""
        'github.triggering_actor': 'octocat',
      }),
    });
    // Rollback redeploys shift all at once: the one weight write puts 100 % on the target (blue).
    await waitFor(
      () => /traffic: blue 100% \/ green 0%/.test(step.output()),
      20_000,
      'the shift to the target',
    );
    const res = await cancelLikeGitHub(step);
    expect(step.output()).toMatch(/switchyard: SIGINT received — stopping/);
    expect(res.signal).toBeNull();
    expect(res.code).toBe(3);
    expect(weights(dir, 'dev')).toEqual({ blue: 100, green: 0 });
  }, 40_000);
});

describe('Cancel of the terraform apply step (infra-environment.yml)', () => {
  /** A fake terraform that records every signal and, like terraform, stops gracefully on the first. */
  function fakeTerraform(): string {
    const bin = join(dir, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    const log = join(dir, 'terraform-signals.log');
    writeFileSync(
      join(bin, 'terraform'),
      `#!${process.execPath}
const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(log)}, 'started ' + process.argv.slice(2).join(' ') + '\\n');
let stopping = false;
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => {
  fs.appendFileSync(${JSON.stringify(log)}, s + '\\n');
  if (s === 'SIGTERM' || stopping) process.exit(1); // terraform: a second interrupt = exit at once, lock left
  stopping = true;
  setTimeout(() => { fs.appendFileSync(${JSON.stringify(log)}, 'released lock\\n'); process.exit(0); }, 9000);
});
setInterval(() => {}, 1000);
`,
    );
    chmodSync(join(bin, 'terraform'), 0o755);
    return log;
  }

  test('terraform gets SIGINT, not the SIGTERM that follows, and stops cleanly within the 10 s', async () => {
    const log = fakeTerraform();
    const { run } = stepOf('infra-environment.yml', 'apply -input=false');
    const env = { ...baseEnv(dir), PATH: `${join(dir, 'bin')}:${process.env.PATH}`, GITHUB_WORKSPACE: ROOT };
    const step = startStep(dir, run, env, dir);
    await waitFor(() => readLog(log).includes('started'), 10_000, 'terraform to start');
    const res = await cancelLikeGitHub(step);
    expect(readLog(log)).toBe(
      'started apply -input=false -no-color -lock-timeout=10m tfplan\nSIGINT\nreleased lock\n',
    );
    expect(res).toEqual({ code: 0, signal: null });
  }, 20_000);

  function readLog(file: string): string {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  }
});
