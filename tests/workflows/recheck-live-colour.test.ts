// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are GitHub Actions expressions, not JS templates
/**
 * .github/scripts/recheck-live-colour.sh, run for real under bash with a stub `aws` on PATH that answers
 * DescribeRules from a table (rule ARN → the target groups it forwards to with weight > 0, as the CLI
 * prints them with --output text) and records its arguments.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './lib/repo';

const SCRIPT = join(ROOT, '.github/scripts/recheck-live-colour.sh');
const RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/sy-dev/5/f/9';
const BLUE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/switchyard-dev-api-blue/6d';
const GREEN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/switchyard-dev-api-green/a1';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'recheck-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(recheck: string, serving: string, awsExit = 0) {
  writeFileSync(
    join(dir, 'aws'),
    `#!/usr/bin/env bash\nprintf '%s\\n' "$@" >> "${join(dir, 'args')}"\n` +
      `if [ "${awsExit}" != 0 ]; then echo "An error occurred (AccessDenied)" >&2; exit ${awsExit}; fi\n` +
      `printf '%s\\n' "${serving}"\n`,
  );
  chmodSync(join(dir, 'aws'), 0o755);
  const res = spawnSync('bash', [SCRIPT], {
    env: { PATH: `${dir}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, RECHECK: recheck },
    encoding: 'utf8',
  });
  return { status: res.status, out: res.stdout.trim() };
}

it('passes when the rule still forwards only to the target group the plan saw', () => {
  const { status, out } = run(`${RULE}@${BLUE}`, BLUE);
  expect(out).toBe(`${RULE} still forwards only to ${BLUE}.`);
  expect(status).toBe(0);
  const args = readFileSync(join(dir, 'args'), 'utf8').split('\n');
  expect(args.slice(0, 4)).toEqual(['elbv2', 'describe-rules', '--rule-arns', RULE]);
});

it('refuses the apply when a release moved traffic since the plan', () => {
  const { status, out } = run(`${RULE}@${BLUE}`, GREEN);
  expect(status).toBe(1);
  expect(out).toContain(`::error title=Live colour changed since the plan::${RULE} now forwards to ${GREEN}`);
});

it('refuses split weights, an unreadable rule and a malformed pair', () => {
  expect(run(`${RULE}@${BLUE}`, `${BLUE}\t${GREEN}`).status).toBe(1);
  const denied = run(`${RULE}@${BLUE}`, BLUE, 255);
  expect(denied.status).toBe(1);
  expect(denied.out).toContain(`::error title=Traffic re-check::cannot read ${RULE}`);
  expect(run('no-at-sign', BLUE).out).toContain("malformed pair 'no-at-sign'");
});

it('does nothing when the plan re-creates no production rule', () => {
  expect(run('', BLUE)).toEqual({ status: 0, out: '' });
});

describe('infra-environment.yml wires the guard', () => {
  const wf = parse(readFileSync(join(ROOT, '.github/workflows/infra-environment.yml'), 'utf8')) as {
    jobs: Record<
      string,
      {
        outputs?: Record<string, string>;
        steps: { name?: string; uses?: string; run?: string; with?: Record<string, string> }[];
      }
    >;
  };
  const action = parse(readFileSync(join(ROOT, '.github/actions/terraform-plan/action.yml'), 'utf8')) as {
    runs: { steps: { id?: string; run?: string; env?: Record<string, string> }[] };
  };

  it('the plan job fails on a refused plan (no override input) and hands over the pairs to re-check', () => {
    const plan = wf.jobs['plan']!;
    const step = plan.steps.find((s) => s.uses === './.github/actions/terraform-plan')!;
    expect(step.with?.['fail-on-unsafe-traffic-change']).toBe('true');
    expect(plan.outputs?.['traffic-recheck']).toBe('${{ steps.plan.outputs.traffic-recheck }}');
    const summarise = action.runs.steps.find((s) => s.id === 'summary')!;
    expect(summarise.env?.['FAIL_ON_UNSAFE_TRAFFIC_CHANGE']).toBe(
      '${{ inputs.fail-on-unsafe-traffic-change }}',
    );
    expect(summarise.run).toContain('args+=(--fail-on-unsafe-traffic-change)');
  });

  it('the apply job re-checks the live colour after assuming the role and before terraform apply', () => {
    const steps = wf.jobs['apply']!.steps;
    const at = (pred: (s: (typeof steps)[number]) => boolean) => steps.findIndex(pred);
    const recheck = at((s) => s.run === 'bash .github/scripts/recheck-live-colour.sh');
    const creds = at((s) => (s.uses ?? '').startsWith('aws-actions/configure-aws-credentials'));
    // the apply step runs terraform through run-terraform.sh (signal forwarding, issue 9)
    const apply = at((s) => /run-terraform\.sh"? apply\b/.test(s.run ?? ''));
    expect(apply).toBeGreaterThan(-1);
    expect(recheck).toBeGreaterThan(creds);
    expect(recheck).toBeLessThan(apply);
    expect(steps[0]!.with?.['sparse-checkout']).toContain('.github/scripts');
  });
});
