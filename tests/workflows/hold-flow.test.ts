/**
 * deploy.yml's approval between canary and full shift, on the exact step scripts (read from the YAML)
 * against the `--simulate` world: the prod deploy step holds after the canary (exit 4 → a successful step
 * with output held=true), the full-shift job's step continues it to 100 %; rollback.yml's abort-held and
 * hold-expiry.yml's step run `switchyard abort`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lib/repo';
import { baseEnv, resolveEnv, simEnv, stepOf } from './lib/steps';

const BIN = join(ROOT, 'bin/switchyard.js');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hold-flow-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a step script as the runner does (`bash -e`), unpaced; returns its exit code, output and outputs. */
function step(
  file: string,
  marker: string,
  context: Record<string, string>,
  extra: Record<string, string> = {},
) {
  const { run, env } = stepOf(file, marker);
  const script = join(dir, 'step.sh');
  const outputs = join(dir, 'github-output');
  writeFileSync(script, run);
  writeFileSync(outputs, '');
  const r = spawnSync('bash', ['-e', script], {
    cwd: ROOT,
    env: {
      ...baseEnv(dir),
      ...simEnv(dir),
      SWITCHYARD_SIM_PACE: '',
      GITHUB_OUTPUT: outputs,
      ...extra,
      ...resolveEnv(env, { 'secrets.SLACK_WEBHOOK_URL': '', ...context }),
    },
    encoding: 'utf8',
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, outputs: readFileSync(outputs, 'utf8') };
}

function cli(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...baseEnv(dir), ...simEnv(dir), GITHUB_ACTIONS: '', SWITCHYARD_SIM_PACE: '' },
    encoding: 'utf8',
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const PROD = { 'inputs.environment': 'prod', 'inputs.service': 'api', 'inputs.image-tag': 'v1.2.0' };

/** Production weights of prod/api now. */
function weights(): { blue: number; green: number } {
  const r = cli(['status', '--env', 'prod', '--service', 'api', '--output', 'json']);
  const result = r.out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type?: string; data?: unknown })
    .find((o) => o.type === 'result');
  return (result?.data as { services: { live: { weights: { blue: number; green: number } } }[] }).services[0]!
    .live.weights;
}

test('prod: the deploy step holds after the canary (held=true, step ok); the full-shift step finishes it', () => {
  expect(
    cli(['deploy', '--sim-reset', '--env', 'prod', '--service', 'api', '--image-tag', 'v1.1.0']).code,
  ).toBe(0);
  const live = weights(); // v1.1.0 on green
  expect(live).toEqual({ blue: 0, green: 100 });

  const held = step('deploy.yml', 'run-switchyard.sh "${args[@]}"', PROD);
  expect(held.out).toContain('held for approval (exit 4)');
  expect(held.code).toBe(0);
  expect(held.outputs).toBe('held=true\nexit-code=4\n');
  const canary = weights();
  expect(canary.blue).toBeGreaterThan(0);
  expect(canary.blue).toBeLessThan(100);

  const done = step('deploy.yml', 'run-switchyard.sh continue', PROD);
  expect(done.code).toBe(0);
  expect(weights()).toEqual({ blue: 100, green: 0 });
}, 60_000);

test('held, then rollback.yml abort-held: traffic back on the live colour; hold-expiry leaves a fresh hold alone', () => {
  expect(
    cli(['deploy', '--sim-reset', '--env', 'prod', '--service', 'api', '--image-tag', 'v1.1.0']).code,
  ).toBe(0);
  expect(step('deploy.yml', 'run-switchyard.sh "${args[@]}"', PROD).outputs).toContain('held=true');

  // the scheduled enforcer: this hold has not expired, so nothing happens (exit 0)
  const early = step('hold-expiry.yml', 'run-switchyard.sh abort', { 'matrix.environment': 'prod' });
  expect(early.code).toBe(0);
  expect(weights().blue).toBeGreaterThan(0);

  const aborted = step('rollback.yml', 'run-switchyard.sh', {
    'inputs.environment': 'prod',
    'inputs.service': 'api',
    'inputs.reason': 'canary looks wrong',
    'inputs.target-release': '',
    'inputs.force-unlock': 'false',
    'inputs.abort-held': 'true',
    'github.actor': 'octocat',
    'github.triggering_actor': 'octocat',
  });
  expect(aborted.out).toContain('aborted v1.2.0 on prod/api: 100% on green, blue scaled to 0');
  expect(aborted.code).toBe(0);
  expect(weights()).toEqual({ blue: 0, green: 100 });
}, 60_000);

test('promote.yml into prod holds after the canary too; its full-shift step finishes it', () => {
  // prod serves v1.1.0 (a simulated world has traffic history from its first deploy on), staging v1.2.0
  expect(
    cli(['deploy', '--sim-reset', '--env', 'prod', '--service', 'api', '--image-tag', 'v1.1.0']).code,
  ).toBe(0);
  expect(cli(['deploy', '--env', 'staging', '--service', 'api', '--image-tag', 'v1.2.0']).code).toBe(0);
  const capture = cli([
    'status',
    '--env',
    'staging',
    '--service',
    'api',
    '--releases',
    '100',
    '--output',
    'json',
  ]);
  expect(capture.code).toBe(0);
  writeFileSync(join(dir, 'source-status.jsonl'), capture.out);
  const context = {
    'inputs.service': 'api',
    'inputs.from': 'staging',
    'inputs.to': 'prod',
    'inputs.tag': '',
    'inputs.allow-skip-stage': 'false',
  };
  const before = weights();
  const held = step('promote.yml', 'run-switchyard.sh "${args[@]}"', context, { RUNNER_TEMP: dir });
  expect(held.code).toBe(0);
  expect(held.outputs).toBe('held=true\nexit-code=4\n');
  expect(weights()).not.toEqual(before);
  expect(step('promote.yml', 'run-switchyard.sh continue', context).code).toBe(0);
  expect(weights()).toEqual({ blue: before.green, green: before.blue });
}, 60_000);
