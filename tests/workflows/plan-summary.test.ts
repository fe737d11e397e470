/**
 * .github/scripts/plan-summary.ts: the Markdown the PR comment and the infra job summary show, from a
 * fixture `terraform show -json` plan that replaces a database and deletes a bucket.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classifyActions,
  PlanInputError,
  planMarker,
  renderFailure,
  renderSummary,
  runCli,
  summarisePlan,
} from '../../.github/scripts/plan-summary';
import { ROOT } from './lib/repo';

const FIXTURE = join(__dirname, 'fixtures', 'plan-stateful-destroy.json');
const plan = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plan-summary-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('summarisePlan', () => {
  const summary = summarisePlan(plan);

  it('counts like Terraform: a replace is one add and one destroy', () => {
    expect(summary.counts).toEqual({ add: 4, change: 2, destroy: 4, replace: 2, import: 1, forget: 1 });
    expect(summary.hasChanges).toBe(true);
    expect(summary.terraformVersion).toBe('1.14.8');
  });

  it('lists managed changes in plan order, without no-ops and data reads', () => {
    expect(summary.changes.map((c) => [c.action, c.address])).toEqual([
      ['replace', 'aws_db_instance.database_DB_1A2B3C'],
      ['delete', 'aws_s3_bucket.alb_logs'],
      ['update', 'aws_ecs_service.api_blue'],
      ['update', 'module.vpc.aws_vpc.this'],
      ['create', 'aws_lb_target_group.api_green'],
      ['create', 'aws_ssm_parameter.topology["api|v2"]'],
      ['replace', 'aws_iam_role.task'],
      ['delete', 'aws_cloudwatch_log_group.old'],
      ['import', 'aws_dynamodb_table.deployments'],
      ['forget', 'aws_sqs_queue.legacy'],
    ]);
  });

  it('singles out destroys and replaces of stateful types only', () => {
    expect(summary.statefulDestroys.map((c) => `${c.action} ${c.address} ${c.reason ?? ''}`)).toEqual([
      'replace aws_db_instance.database_DB_1A2B3C replace_because_cannot_update',
      'delete aws_s3_bucket.alb_logs delete_because_no_resource_config',
    ]);
  });

  it('classifies every action list Terraform emits', () => {
    expect(classifyActions(['delete', 'create'], 'x')).toBe('replace');
    expect(classifyActions(['create', 'delete'], 'x')).toBe('replace');
    expect(classifyActions(['delete'], 'x')).toBe('delete');
    expect(classifyActions(['forget'], 'x')).toBe('forget');
    expect(classifyActions(['create'], 'x')).toBe('create');
    expect(classifyActions(['update'], 'x')).toBe('update');
    expect(classifyActions(['read'], 'x')).toBe('read');
    expect(classifyActions(['no-op'], 'x')).toBe('no-op');
  });

  it.each([
    [[], 'plan: expected a JSON object'],
    [{ resource_changes: [] }, 'plan.format_version: missing'],
    [{ format_version: '1.2', errored: true }, 'plan.errored: Terraform reports the plan errored'],
    [{ format_version: '1.2', resource_changes: {} }, 'plan.resource_changes: expected an array'],
    [
      {
        format_version: '1.2',
        resource_changes: [{ type: 'aws_vpc', mode: 'managed', change: { actions: ['create'] } }],
      },
      'plan.resource_changes[0].address: missing',
    ],
    [
      {
        format_version: '1.2',
        resource_changes: [{ address: 'a.b', type: 'a', mode: 'weird', change: { actions: [] } }],
      },
      'plan.resource_changes[0].mode: expected "managed" or "data" (got "weird")',
    ],
    [
      {
        format_version: '1.2',
        resource_changes: [{ address: 'a.b', type: 'a', mode: 'managed', change: { actions: ['explode'] } }],
      },
      'plan.resource_changes[0] (a.b): unknown action(s) explode',
    ],
  ])('rejects bad input %# with one message naming the field', (input, message) => {
    expect(() => summarisePlan(input)).toThrow(PlanInputError);
    expect(() => summarisePlan(input)).toThrow(message);
  });
});

describe('renderSummary', () => {
  const summary = summarisePlan(plan);
  const md = renderSummary(summary, {
    environment: 'prod',
    runUrl: 'https://github.com/acme/switchyard/actions/runs/42',
    commit: '0123456789abcdef0123',
  });

  it('starts with the sticky-comment marker for its environment', () => {
    expect(md.split('\n')[0]).toBe('<!-- switchyard-plan:prod -->');
    expect(planMarker('dev')).toBe('<!-- switchyard-plan:dev -->');
  });

  it('calls out the stateful destroys loudly, before the counts', () => {
    const caution = md.indexOf('> [!CAUTION]');
    expect(caution).toBeGreaterThan(0);
    expect(caution).toBeLessThan(md.indexOf('**Plan:'));
    expect(md).toContain('**This plan destroys or replaces 2 stateful resources.');
    expect(md).toContain(
      '> - **REPLACE** `aws_db_instance.database_DB_1A2B3C` (replace_because_cannot_update)',
    );
    expect(md).toContain('> - **DELETE** `aws_s3_bucket.alb_logs`');
  });

  it("shows Terraform's totals and every change, with table-safe addresses", () => {
    expect(md).toContain(
      '**Plan: 4 to add, 2 to change, 4 to destroy.** (2 of them replaced, 1 to import, 1 to forget)',
    );
    expect(md).toContain('| 🔴 replace | `aws_iam_role.task` |');
    expect(md).toContain('| 🟢 create | `aws_ssm_parameter.topology["api\\|v2"]` |');
    expect(md).toContain('| 🔵 import | `aws_dynamodb_table.deployments` |');
    expect(md).not.toContain('aws_security_group.alb');
    expect(md).not.toContain('aws_caller_identity');
    expect(md).toContain(
      'commit `0123456789ab` · Terraform 1.14.8 · [workflow run](https://github.com/acme/switchyard/actions/runs/42)',
    );
  });

  it('never prints attribute values (the plan holds secrets)', () => {
    expect(md).not.toContain('hunter2');
    expect(md).not.toContain('switchyard-dev-alb-logs');
  });

  it('says so when nothing changes', () => {
    const none = renderSummary(summarisePlan({ format_version: '1.2', resource_changes: [] }), {
      environment: 'dev',
    });
    expect(none).toContain('✅ **No changes.**');
    expect(none).not.toContain('CAUTION');
  });

  it('stays under the comment size limit and says how many rows it left out', () => {
    const many = {
      format_version: '1.2',
      resource_changes: Array.from({ length: 500 }, (_, i) => ({
        address: `aws_route.r${i}`,
        type: 'aws_route',
        mode: 'managed',
        change: { actions: ['create'] },
      })),
    };
    const out = renderSummary(summarisePlan(many), { environment: 'dev', maxChars: 4000 });
    expect(out.length).toBeLessThanOrEqual(4000);
    expect(out).toMatch(/… \d+ more change\(s\) not shown/);
    expect(out.trimEnd().endsWith('</details>')).toBe(true);
  });

  it('refuses an environment name that could break the marker', () => {
    expect(() => renderSummary(summary, { environment: 'prod -->' })).toThrow(
      '--environment: must be a lower-case',
    );
    expect(() => renderFailure({ environment: 'Prod' })).toThrow(PlanInputError);
  });

  it('renders a failed plan with the marker so the comment is replaced, not left stale', () => {
    const failed = renderFailure({ environment: 'staging', runUrl: 'https://x/runs/1' });
    expect(failed.split('\n')[0]).toBe('<!-- switchyard-plan:staging -->');
    expect(failed).toContain('**`terraform plan` failed.**');
  });
});

describe('runCli', () => {
  const logs: string[] = [];
  const log = (l: string): void => {
    logs.push(l);
  };
  beforeEach(() => {
    logs.length = 0;
  });

  it('writes the summary and the step outputs; warns about stateful destroys', () => {
    const out = join(dir, 'summary.md');
    const ghOut = join(dir, 'github-output');
    const res = runCli(
      ['--environment', 'dev', '--plan-json', FIXTURE, '--out', out, '--github-output', ghOut],
      log,
    );
    expect(res.exitCode).toBe(0);
    expect(readFileSync(out, 'utf8').startsWith('<!-- switchyard-plan:dev -->')).toBe(true);
    expect(readFileSync(ghOut, 'utf8')).toBe(
      'has-changes=true\nstateful-destroys=2\nadd=4\nchange=2\ndestroy=4\ntraffic-refusals=0\ntraffic-recheck=\n',
    );
    expect(logs).toEqual([
      '::warning title=Stateful resources would be destroyed (dev)::replace aws_db_instance.database_DB_1A2B3C, delete aws_s3_bucket.alb_logs',
    ]);
  });

  it('exits 3 with an error annotation under --fail-on-stateful-destroy, still writing the summary', () => {
    const out = join(dir, 'summary.md');
    const res = runCli(
      ['--environment', 'prod', '--plan-json', FIXTURE, '--out', out, '--fail-on-stateful-destroy'],
      log,
    );
    expect(res.exitCode).toBe(3);
    expect(readFileSync(out, 'utf8')).toContain('[!CAUTION]');
    expect(logs[0]).toMatch(
      /^::error title=Stateful resources would be destroyed \(prod\)::.*allow-stateful-destroy=true/,
    );
  });

  it('passes --fail-on-stateful-destroy when nothing stateful is destroyed', () => {
    const planFile = join(dir, 'plan.json');
    writeFileSync(
      planFile,
      JSON.stringify({
        format_version: '1.2',
        resource_changes: [
          { address: 'aws_vpc.a', type: 'aws_vpc', mode: 'managed', change: { actions: ['delete'] } },
        ],
      }),
    );
    const res = runCli(
      [
        '--environment',
        'prod',
        '--plan-json',
        planFile,
        '--out',
        join(dir, 's.md'),
        '--fail-on-stateful-destroy',
      ],
      log,
    );
    expect(res.exitCode).toBe(0);
    expect(logs).toEqual([]);
  });

  it.each([
    [['--plan-json', FIXTURE, '--out', 'x'], '--environment: required'],
    [['--environment', 'dev', '--plan-json', FIXTURE], '--out: required'],
    [['--environment', 'dev', '--out', 'OUT'], '--plan-json: required'],
    [
      ['--environment', 'dev', '--out', 'OUT', '--plan-json', '/nonexistent/plan.json'],
      'cannot read /nonexistent/plan.json: ENOENT',
    ],
    [['--environment', 'dev', '--out', 'OUT', '--status', 'maybe'], '--status: must be planned or failed'],
    [['--environment', 'dev', '--out', 'OUT', '--bogus'], "Unknown option '--bogus'"],
  ])('bad arguments %# exit 1 with one message', (args, message) => {
    const res = runCli(
      args.map((a) => (a === 'OUT' ? join(dir, 'o.md') : a)),
      log,
    );
    expect(res.exitCode).toBe(1);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(message);
  });

  it('rejects a file that is not JSON', () => {
    const bad = join(dir, 'plan.json');
    writeFileSync(bad, 'Terraform used the selected providers…');
    const res = runCli(['--environment', 'dev', '--plan-json', bad, '--out', join(dir, 'o.md')], log);
    expect(res.exitCode).toBe(1);
    expect(logs[0]).toContain('is not JSON (run terraform show -json tfplan > file)');
  });

  it('runs as the workflow runs it (node -r ts-node/register/transpile-only)', () => {
    const out = join(dir, 'summary.md');
    const res = spawnSync(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '.github/scripts/plan-summary.ts',
        '--environment',
        'staging',
        '--plan-json',
        FIXTURE,
        '--out',
        out,
        '--fail-on-stateful-destroy',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(res.status).toBe(3);
    expect(res.stderr).toContain('::error title=Stateful resources would be destroyed (staging)::');
    expect(readFileSync(out, 'utf8')).toContain('### Terraform plan — `staging`');
  });
});
