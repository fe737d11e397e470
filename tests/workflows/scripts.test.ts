/**
 * The shell helpers the release workflows run: input validation before any environment binding, and
 * the wrapper that turns the switchyard exit code into a job result. Both run for real under bash; the
 * CLI is replaced by a stub `node` on PATH that records its arguments (signals: signals.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environmentFiles, ROOT } from './lib/repo';

const VALIDATE = join(ROOT, '.github/scripts/validate-inputs.sh');
const RUN = join(ROOT, '.github/scripts/run-switchyard.sh');

/** The allowed environments as validate-inputs.sh lists them: environments/*.yaml minus project.yaml. */
const ENVS = environmentFiles().join(' ');

function validate(
  mode: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): { status: number | null; lines: string[] } {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...extraEnv };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase().replace(/-/g, '_')}`] = v;
  const res = spawnSync('bash', [VALIDATE, mode], { env, encoding: 'utf8' });
  return { status: res.status, lines: res.stdout.trim().split('\n') };
}

describe('validate-inputs.sh', () => {
  it.each([
    ['deploy', { environment: 'dev', service: 'api', 'image-tag': '3f2c1a9' }],
    ['deploy', { environment: 'prod', service: 'a', 'image-tag': `sha256:${'a'.repeat(64)}` }],
    ['promote', { service: 'web-frontend', from: 'dev', to: 'staging' }],
    ['promote', { service: 'api', from: 'staging', to: 'prod', tag: 'v1.2.3' }],
    ['rollback', { environment: 'prod', service: 'api', reason: '5xx spike after 1.4.0' }],
    [
      'rollback',
      { environment: 'staging', service: 'api', reason: 'bad config', 'target-release': 'rel_01J:2' },
    ],
  ])('accepts %s %j', (mode, inputs) => {
    const { status, lines } = validate(mode, inputs);
    expect(lines).toEqual([`Inputs valid for ${mode}.`]);
    expect(status).toBe(0);
  });

  it.each([
    [
      'deploy',
      { environment: 'qa', service: 'api', 'image-tag': 'abc' },
      [`::error title=Invalid input::input 'environment': must be one of: ${ENVS} (got 'qa')`],
    ],
    [
      'deploy',
      { environment: 'dev', service: 'API;rm -rf /', 'image-tag': 'latest' },
      [
        "::error title=Invalid input::input 'service': must be a lower-case service name like api (got 'API;rm -rf /')",
        "::error title=Invalid input::input 'image-tag': 'latest' is mutable; use an immutable tag such as the commit SHA",
      ],
    ],
    [
      'deploy',
      {},
      [
        `::error title=Invalid input::input 'environment': required (one of: ${ENVS})`,
        "::error title=Invalid input::input 'service': required (a service name from environments/<env>.yaml)",
        "::error title=Invalid input::input 'image-tag': required (an immutable image tag such as a commit SHA)",
      ],
    ],
    [
      'promote',
      { service: 'api', from: 'prod', to: 'prod', tag: 'has space' },
      [
        "::error title=Invalid input::input 'to': must differ from 'from' (both are 'prod')",
        "::error title=Invalid input::input 'tag': must be an image tag ([A-Za-z0-9_.-], at most 128 characters) or sha256:<digest> (got 'has space')",
      ],
    ],
    [
      'rollback',
      { environment: 'prod', service: 'api', reason: '   ', 'target-release': '$(id)' },
      [
        "::error title=Invalid input::input 'reason': required: say why you are rolling back (it is recorded with your name)",
        "::error title=Invalid input::input 'target-release': must be a release id or image tag ([A-Za-z0-9_.:-]) (got '$(id)')",
      ],
    ],
    [
      'rollback',
      { environment: 'dev', service: 'api', reason: 'line one\nline two' },
      ["::error title=Invalid input::input 'reason': must be a single line without control characters"],
    ],
  ])('refuses %s %j with one annotation per problem and exit 2', (mode, inputs, errors) => {
    const { status, lines } = validate(mode, inputs as Record<string, string>);
    expect(lines).toEqual([...errors, `${errors.length} input problem(s); nothing was changed.`]);
    expect(status).toBe(2);
  });

  it('takes the allowed environments from environments/*.yaml (project.yaml is not one)', () => {
    expect(ENVS.split(' ')).not.toContain('project');
    for (const e of ENVS.split(' ')) {
      expect(validate('deploy', { environment: e, service: 'api', 'image-tag': 'v1' }).status).toBe(0);
    }
    const dir = mkdtempSync(join(tmpdir(), 'validate-envs-'));
    try {
      for (const f of ['qa.yaml', 'project.yaml', 'notes.yml']) writeFileSync(join(dir, f), 'name: x\n');
      const env = { SWITCHYARD_ENVIRONMENTS_DIR: dir };
      expect(validate('deploy', { environment: 'qa', service: 'api', 'image-tag': 'v1' }, env).status).toBe(
        0,
      );
      expect(validate('deploy', { environment: 'dev', service: 'api', 'image-tag': 'v1' }, env)).toEqual({
        status: 2,
        lines: [
          "::error title=Invalid input::input 'environment': must be one of: qa (got 'dev')",
          '1 input problem(s); nothing was changed.',
        ],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops (exit 1) when the environment files are not checked out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'validate-envs-'));
    try {
      writeFileSync(join(dir, 'project.yaml'), 'project: x\n');
      const r = validate(
        'deploy',
        { environment: 'dev', service: 'api', 'image-tag': 'v1' },
        {
          SWITCHYARD_ENVIRONMENTS_DIR: dir,
        },
      );
      expect(r.status).toBe(1);
      expect(r.lines).toEqual([
        `::error title=validate-inputs::no environment files in ${dir} (environments/<name>.yaml); check it out with the scripts (sparse-checkout: environments)`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown mode', () => {
    const { status, lines } = validate('destroy', {});
    expect(status).toBe(1);
    expect(lines[0]).toContain("usage: validate-inputs.sh deploy|promote|rollback (got 'destroy')");
  });
});

describe('run-switchyard.sh', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'run-switchyard-'));
    // A stub node: records its arguments (one per line) and exits with $STUB_EXIT.
    writeFileSync(
      join(dir, 'node'),
      '#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$STUB_ARGS"\necho "switchyard output"\nexit "$STUB_EXIT"\n',
    );
    chmodSync(join(dir, 'node'), 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function run(code: number, args: string[], extraEnv: Record<string, string> = {}) {
    const summary = join(dir, 'summary.md');
    const output = join(dir, 'output');
    writeFileSync(summary, '');
    writeFileSync(output, '');
    const res = spawnSync('bash', [RUN, ...args], {
      env: {
        PATH: `${dir}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
        STUB_EXIT: String(code),
        STUB_ARGS: join(dir, 'args'),
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_OUTPUT: output,
        ...extraEnv,
      },
      encoding: 'utf8',
    });
    return {
      status: res.status,
      stdout: res.stdout,
      args: readFileSync(join(dir, 'args'), 'utf8').trimEnd().split('\n'),
      summary: readFileSync(summary, 'utf8'),
      output: readFileSync(output, 'utf8'),
    };
  }

  it('runs node on the bin of this checkout directly (no npx/npm layer), passing arguments intact', () => {
    const r = run(0, [
      'rollback',
      '--env',
      'prod',
      '--service',
      'api',
      '--reason',
      'it is "broken"; $(x) & more',
    ]);
    expect(r.args).toEqual([
      join(ROOT, 'bin/switchyard.js'),
      'rollback',
      '--env',
      'prod',
      '--service',
      'api',
      '--reason',
      'it is "broken"; $(x) & more',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('::error');
    expect(r.summary).toContain('**switchyard rollback** exited with code 0 — succeeded.');
  });

  it.each([
    [1, 'switchyard deploy: traffic state unknown (exit 1)'],
    [2, 'switchyard deploy refused (exit 2)'],
    [3, 'switchyard deploy rolled back (exit 3)'],
    [7, 'switchyard deploy: unexpected exit code 7'],
  ])('exit %i fails the job with an annotation explaining it', (code, title) => {
    const r = run(code, ['deploy', '--env', 'dev', '--service', 'api', '--image-tag', 'abc']);
    expect(r.status).toBe(code);
    expect(r.stdout).toContain(`::error title=${title}::`);
    expect(r.summary).toContain(`exited with code ${code}`);
  });

  it('exit 4 (held): held=true for the next job; the step succeeds only with SWITCHYARD_HOLD_OK=true', () => {
    const args = [
      'deploy',
      '--env',
      'prod',
      '--service',
      'api',
      '--image-tag',
      'abc',
      '--hold-after',
      'canary',
    ];
    const ok = run(4, args, { SWITCHYARD_HOLD_OK: 'true' });
    expect(ok.status).toBe(0);
    expect(ok.output).toBe('held=true\nexit-code=4\n');
    expect(ok.stdout).toContain('::notice title=switchyard deploy held for approval (exit 4)::');
    expect(ok.summary).toContain('exited with code 4 — held for approval');
    const strict = run(4, args);
    expect(strict.status).toBe(4);
    expect(strict.stdout).toContain('::error title=switchyard deploy held for approval (exit 4)::');
    const done = run(0, args, { SWITCHYARD_HOLD_OK: 'true' });
    expect(done.output).toBe('held=false\nexit-code=0\n');
    expect(run(3, args, { SWITCHYARD_HOLD_OK: 'true' }).status).toBe(3); // only 4 is excused
  });
});
