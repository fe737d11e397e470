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
import { asRecord, jobsOf, loadRepo, ROOT, stepsOf } from './lib/repo';
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

/** Setting up the live release: the prod tier would hold it too (its holdAfter defaults to canary). */
const NO_HOLD = ['--hold-after', 'none'];

/** The step outputs a run wrote, as a map. */
const parseOutputs = (text: string) =>
  Object.fromEntries(
    text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

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
    cli(['deploy', '--sim-reset', '--env', 'prod', '--service', 'api', '--image-tag', 'v1.1.0', ...NO_HOLD])
      .code,
  ).toBe(0);
  const live = weights(); // v1.1.0 on green
  expect(live).toEqual({ blue: 0, green: 100 });

  const held = step('deploy.yml', 'run-switchyard.sh "${args[@]}"', PROD);
  expect(held.out).toContain('held for approval (exit 4)');
  expect(held.code).toBe(0);
  const out = parseOutputs(held.outputs);
  expect(out).toMatchObject({ held: 'true', 'exit-code': '4' });
  expect(out['release-id']).toMatch(/^\d{8}T\d{6}Z-deploy-/);
  const canary = weights();
  expect(canary.blue).toBeGreaterThan(0);
  expect(canary.blue).toBeLessThan(100);

  const done = step('deploy.yml', 'run-switchyard.sh continue', {
    ...PROD,
    'needs.deploy.outputs.release-id': out['release-id']!,
  });
  expect(done.code).toBe(0);
  expect(weights()).toEqual({ blue: 100, green: 0 });
}, 60_000);

test('held, then rollback.yml abort-held: traffic back on the live colour; hold-expiry leaves a fresh hold alone', () => {
  expect(
    cli(['deploy', '--sim-reset', '--env', 'prod', '--service', 'api', '--image-tag', 'v1.1.0', ...NO_HOLD])
      .code,
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
    cli(['deploy', '--sim-reset', '--env', 'prod', '--service', 'api', '--image-tag', 'v1.1.0', ...NO_HOLD])
      .code,
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
  const out = parseOutputs(held.outputs);
  expect(out).toMatchObject({ held: 'true', 'exit-code': '4' });
  expect(weights()).not.toEqual(before);
  expect(
    step('promote.yml', 'run-switchyard.sh continue', {
      ...context,
      'needs.promote.outputs.release-id': out['release-id']!,
    }).code,
  ).toBe(0);
  expect(weights()).toEqual({ blue: before.green, green: before.blue });
}, 60_000);

test('a stale full-shift (its hold aborted, a newer run holds now) is refused (exit 2) and moves nothing', () => {
  expect(
    cli(['deploy', '--sim-reset', '--env', 'prod', '--service', 'api', '--image-tag', 'v1.1.0', ...NO_HOLD])
      .code,
  ).toBe(0);
  const first = parseOutputs(step('deploy.yml', 'run-switchyard.sh "${args[@]}"', PROD).outputs);
  const abort = cli(['abort', '--env', 'prod', '--service', 'api', '--reason', 'rejected']);
  expect(abort.code).toBe(0);
  const second = parseOutputs(step('deploy.yml', 'run-switchyard.sh "${args[@]}"', PROD).outputs);
  expect(second['release-id']).not.toBe(first['release-id']);
  const canary = weights();

  // the first run's full-shift, approved late
  const stale = step('deploy.yml', 'run-switchyard.sh continue', {
    ...PROD,
    'needs.deploy.outputs.release-id': first['release-id']!,
  });
  expect(stale.code).toBe(2);
  expect(stale.out).toContain(`release ${first['release-id']} is not the newest release of prod/api`);
  expect(weights()).toEqual(canary);
  // a full-shift without the id continues nothing either
  const none = step('deploy.yml', 'run-switchyard.sh continue', {
    ...PROD,
    'needs.deploy.outputs.release-id': '',
  });
  expect(none.code).toBe(2);
  expect(weights()).toEqual(canary);
  // the second run's full-shift finishes its own release
  const done = step('deploy.yml', 'run-switchyard.sh continue', {
    ...PROD,
    'needs.deploy.outputs.release-id': second['release-id']!,
  });
  expect(done.code).toBe(0);
}, 60_000);

describe.each([
  ['deploy.yml', 'deploy', 'steps.deploy.outputs.release-id'],
  ['promote.yml', 'promote', 'steps.promote.outputs.release-id'],
])('%s full-shift', (file, holder, output) => {
  const wf = loadRepo().workflows.get(file)!;
  const jobs = Object.fromEntries(jobsOf(wf).map((j) => [j.id, j.def]));
  const fullShift = jobs['full-shift']!;

  test(`${holder} exposes the held release id; full-shift continues exactly it`, () => {
    expect(String(asRecord(jobs[holder]!['outputs'])?.['release-id'])).toContain(output);
    const cont = stepsOf(fullShift).find((s) => String(s['run']).includes('run-switchyard.sh continue'))!;
    expect(String(cont['run'])).toMatch(/--release "\$RELEASE_ID"/);
    expect(String(asRecord(cont['env'])?.['RELEASE_ID'])).toContain(`needs.${holder}.outputs.release-id`);
  });

  test("the hold is decided by tier (the topology's holdAfter), never by the environment's name", () => {
    const script = String(
      stepsOf(jobs[holder]!).find((x) => String(x['run']).includes('run-switchyard.sh'))!['run'],
    );
    expect(script).not.toMatch(/= *"?prod"?|--hold-after/);
  });

  test('records who approved it (approvers.sh, actions: read)', () => {
    expect(asRecord(fullShift['permissions'])?.['actions']).toBe('read');
    const steps = stepsOf(fullShift).map((s) => String(s['run'] ?? ''));
    const approvers = steps.findIndex((r) => r.includes('.github/scripts/approvers.sh'));
    const cont = steps.findIndex((r) => r.includes('run-switchyard.sh continue'));
    expect(approvers).toBeGreaterThanOrEqual(0);
    expect(approvers).toBeLessThan(cont);
  });
});
