import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, Aspects, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import {
  applyGuardrails,
  assertNoGuardrailErrors,
  evaluateGuardrails,
  GuardrailError,
  GuardrailsAspect,
  suppress,
} from '../../../modules/guardrails';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** A stack with one error (SY-ECR-1 on `repos/api`) and two warnings (SY-LOG-1/2 on `logs`). */
function stackWithFindings(app: App, name = 'dev'): TerraformStack {
  const stack = new TerraformStack(app, name);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const repos = new Construct(stack, 'repos');
  new EcrRepository(repos, 'api', { name: 'api', imageTagMutability: 'MUTABLE' });
  new CloudwatchLogGroup(stack, 'logs', { name: '/ecs/api' });
  return stack;
}

function appIn(): App {
  return Testing.app();
}

describe('GuardrailsAspect in synth', () => {
  it('makes app.synth() throw, listing every error as <stack>/<path>: <rule>: <message>', () => {
    const app = appIn();
    const stack = stackWithFindings(app);
    new DbInstance(stack, 'db', {
      instanceClass: 'db.t4g.micro',
      publiclyAccessible: true,
      storageEncrypted: false,
      lifecycle: { preventDestroy: true },
    });
    const lines: string[] = [];
    applyGuardrails(stack, { tier: 'dev', report: (l) => lines.push(l) });
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GuardrailError);
    expect((error as GuardrailError).lines).toEqual([
      'dev/repos/api: SY-ECR-1: image_tag_mutability is "MUTABLE": must be "IMMUTABLE"',
      'dev/db: SY-RDS-1: storage_encrypted is not true: database storage is unencrypted',
      'dev/db: SY-RDS-2: publicly_accessible is true: must be false',
    ]);
    const message = (error as Error).message;
    expect(message.split('\n')[0]).toBe('Guardrails refused stack dev: 3 error(s)');
    expect(message).toContain(
      'dev/repos/api: SY-ECR-1: image_tag_mutability is "MUTABLE": must be "IMMUTABLE"',
    );
    expect(message).toContain(
      'dev/db: SY-RDS-1: storage_encrypted is not true: database storage is unencrypted',
    );
    expect(message).toContain('dev/db: SY-RDS-2: publicly_accessible is true: must be false');
    expect(message).not.toContain('SY-LOG-1'); // warnings never fail
    expect(lines[0]).toBe('guardrails dev (tier dev): 3 error(s), 3 warning(s), 0 suppressed');
    expect(lines).toContain(
      '  WARNING    dev/logs: SY-LOG-2: log group has no retention_in_days (kept forever)',
    );
    // nothing was written for the failed stack
    expect(fs.existsSync(path.join(app.outdir, 'stacks/dev/cdk.tf.json'))).toBe(false);
  });

  it('still fails with CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS set (stack validation) and with skipValidation (annotations)', () => {
    const previous = process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
    process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = '1';
    try {
      const app = appIn();
      applyGuardrails(stackWithFindings(app), { tier: 'dev', report: false });
      expect(() => app.synth()).toThrow(/dev\/repos\/api: SY-ECR-1/);
    } finally {
      if (previous === undefined) delete process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
      else process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = previous;
    }
    const app = new App({
      outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'guardrails-')),
      skipValidation: true,
    });
    applyGuardrails(stackWithFindings(app), { tier: 'dev', report: false });
    expect(() => app.synth()).toThrow(/\[dev\/repos\/api\] SY-ECR-1/);
  });

  it('lets synth succeed when only warnings remain, and prints them', () => {
    const app = appIn();
    const stack = stackWithFindings(app);
    const lines: string[] = [];
    applyGuardrails(stack, {
      tier: 'dev',
      report: (l) => lines.push(l),
      suppressions: [
        { ruleId: 'SY-ECR-1', resource: 'repos/api', reason: 'third-party mirror, tags are pinned upstream' },
      ],
    });
    app.synth();
    expect(fs.existsSync(path.join(app.outdir, 'stacks/dev/cdk.tf.json'))).toBe(true);
    expect(lines).toEqual([
      'guardrails dev (tier dev): 0 error(s), 2 warning(s), 1 suppressed',
      '  WARNING    dev/logs: SY-LOG-1: log group has no kms_key_id (service-key encryption only)',
      '  WARNING    dev/logs: SY-LOG-2: log group has no retention_in_days (kept forever)',
      '  SUPPRESSED dev/repos/api: SY-ECR-1: image_tag_mutability is "MUTABLE": must be "IMMUTABLE" (options suppression, reason: third-party mirror, tags are pinned upstream)',
    ]);
  });

  it("checks each stack it is added to, with that stack's tier", () => {
    const app = appIn();
    const dev = stackWithFindings(app, 'dev');
    const prod = stackWithFindings(app, 'prod');
    new DbInstance(dev, 'db', {
      instanceClass: 'db.t4g.micro',
      storageEncrypted: true,
      iamDatabaseAuthenticationEnabled: true,
      lifecycle: { preventDestroy: true },
    });
    new DbInstance(prod, 'db', {
      instanceClass: 'db.t4g.micro',
      storageEncrypted: true,
      iamDatabaseAuthenticationEnabled: true,
      lifecycle: { preventDestroy: true },
    });
    const devAspect = new GuardrailsAspect({
      tier: 'dev',
      report: false,
      suppressions: [{ ruleId: 'SY-ECR-1', reason: 'dev pushes ad-hoc tags for previews' }],
    });
    Aspects.of(dev).add(devAspect);
    const prodAspect = applyGuardrails(prod, { tier: 'prod', report: false });
    expect(() => app.synth()).toThrow(/prod\/db: SY-RDS-3: prod database without deletion_protection/);
    expect(devAspect.reportFor('dev')?.errors).toEqual([]);
    expect(prodAspect.reportFor('prod')?.errors.map((f) => `${f.path} ${f.ruleId}`)).toEqual([
      'prod/repos/api SY-ECR-1',
      'prod/db SY-RDS-3',
      'prod/db SY-RDS-3',
    ]);
  });

  it('is not invoked when added to the App: cdktf 0.21 runs aspects per stack only (add it to each stack)', () => {
    const app = appIn();
    stackWithFindings(app, 'dev');
    const aspect = new GuardrailsAspect({ tier: 'dev', report: false });
    Aspects.of(app).add(aspect);
    app.synth();
    expect(aspect.reportFor('dev')).toBeUndefined();
  });
});

describe('suppressions', () => {
  it('an options suppression needs a reason of at least 10 characters', () => {
    expect(
      () => new GuardrailsAspect({ tier: 'dev', suppressions: [{ ruleId: 'SY-ECR-1', reason: 'ok' }] }),
    ).toThrow(
      'guardrails.suppressions[0]: suppression of SY-ECR-1 needs a written reason of at least 10 characters (got "ok")',
    );
    expect(
      () => new GuardrailsAspect({ tier: 'dev', suppressions: [{ ruleId: 'SY-ECR-1' } as never] }),
    ).toThrow(/needs a written reason .* \(got null\)/);
    expect(
      () =>
        new GuardrailsAspect({ tier: 'dev', suppressions: [{ ruleId: 'SY-ECR-1', reason: '          ' }] }),
    ).toThrow(GuardrailError);
  });

  it('unknown rule ids (typos) and bad tiers are errors, all listed at once', () => {
    let error: GuardrailError | undefined;
    try {
      new GuardrailsAspect({
        tier: 'production' as never,
        suppressions: [
          { ruleId: 'SY-ECR-01', reason: 'a perfectly fine reason' },
          { ruleId: 'SY-RDS-1', reason: 'short' },
        ],
      });
    } catch (e) {
      error = e as GuardrailError;
    }
    expect(error?.lines).toEqual([
      'guardrails.tier: must be one of dev, staging, prod (got "production")',
      expect.stringMatching(
        /^guardrails\.suppressions\[0\]: unknown guardrail rule id "SY-ECR-01" \(known: SY-RDS-1, /,
      ),
      'guardrails.suppressions[1]: suppression of SY-RDS-1 needs a written reason of at least 10 characters (got "short")',
    ]);
  });

  it('matches the resource path (full, without stack prefix, tail or ancestor) on whole segments only', () => {
    const build = () => {
      const app = appIn();
      const stack = stackWithFindings(app);
      new EcrRepository(stack, 'other', { name: 'other' });
      return stack;
    };
    for (const resource of ['repos', 'repos/api', 'dev/repos/api', 'api', '/dev/repos/api/']) {
      const report = evaluateGuardrails(build(), {
        tier: 'dev',
        suppressions: [{ ruleId: 'SY-ECR-1', resource, reason: 'mirror of an upstream image' }],
      });
      expect(report.errors.map((f) => f.path)).toEqual(['dev/other']);
      expect(report.suppressed.map((f) => [f.path, f.reason])).toEqual([
        ['dev/repos/api', 'mirror of an upstream image'],
      ]);
    }
    const misses = [
      { ruleId: 'SY-ECR-1', resource: 'repos/ap', reason: 'prefix is not a path segment' },
      { ruleId: 'SY-ECR-1', resource: 'prod/repos/api', reason: 'another stack is not this one' },
    ];
    const noMatch = evaluateGuardrails(build(), { tier: 'dev', suppressions: misses });
    expect(noMatch.errors).toHaveLength(2);
    expect(noMatch.unusedSuppressions).toEqual(misses);
  });

  it('a suppression only covers its own rule', () => {
    const app = appIn();
    const report = evaluateGuardrails(stackWithFindings(app), {
      tier: 'dev',
      suppressions: [{ ruleId: 'SY-LOG-1', reason: 'logs carry no personal data' }],
    });
    expect(report.errors.map((f) => f.ruleId)).toEqual(['SY-ECR-1']);
    expect(report.warnings.map((f) => f.ruleId)).toEqual(['SY-LOG-2']);
    expect(report.suppressed.map((f) => f.ruleId)).toEqual(['SY-LOG-1']);
  });

  it('suppress() in code records a reason on the node and covers descendants', () => {
    const app = appIn();
    const stack = stackWithFindings(app);
    suppress(stack.node.findChild('repos'), 'SY-ECR-1', 'mirror of an upstream image, pinned by digest');
    const report = evaluateGuardrails(stack, { tier: 'dev' });
    expect(report.errors).toEqual([]);
    expect(report.suppressed).toEqual([
      expect.objectContaining({
        path: 'dev/repos/api',
        ruleId: 'SY-ECR-1',
        source: 'code',
        reason: 'mirror of an upstream image, pinned by digest',
      }),
    ]);
  });

  it('suppress() without a reason, with a short one, or with an unknown rule throws at once', () => {
    const app = appIn();
    const stack = stackWithFindings(app);
    expect(() => suppress(stack, 'SY-ECR-1', '')).toThrow(
      /suppress\(dev\): suppression of SY-ECR-1 needs a written reason/,
    );
    expect(() => suppress(stack, 'SY-ECR-1', 'because')).toThrow(/at least 10 characters/);
    expect(() => suppress(stack, 'SY-NOPE-1', 'a good long reason')).toThrow(
      /unknown guardrail rule id "SY-NOPE-1"/,
    );
    expect(evaluateGuardrails(stack, { tier: 'dev' }).errors).toHaveLength(1);
  });
});

describe('assertNoGuardrailErrors', () => {
  it('throws with every error line, returns the report when clean', () => {
    const app = appIn();
    const stack = stackWithFindings(app);
    expect(() => assertNoGuardrailErrors(stack, { tier: 'dev' })).toThrow(
      'Guardrails failed for stack dev: 1 error(s)\n  dev/repos/api: SY-ECR-1: image_tag_mutability is "MUTABLE": must be "IMMUTABLE"',
    );
    const clean = new TerraformStack(app, 'clean');
    new AwsProvider(clean, 'aws', { region: 'eu-west-1' });
    new EcrRepository(clean, 'api', { name: 'api', imageTagMutability: 'IMMUTABLE' });
    expect(assertNoGuardrailErrors(clean, { tier: 'prod' }).errors).toEqual([]);
  });
});

describe('end to end: a main.ts run with node', () => {
  it('exits non-zero and prints every finding when a rule fails; exits 0 when suppressed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guardrails-main-'));
    const main = (suppressions: string) => `
      import { App, TerraformStack } from 'cdktf';
      import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
      import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
      import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
      import { applyGuardrails } from ${JSON.stringify(path.join(REPO_ROOT, 'modules/guardrails'))};
      const app = new App({ outdir: ${JSON.stringify(path.join(dir, 'out'))} });
      const stack = new TerraformStack(app, 'staging');
      new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
      new EcrRepository(stack, 'repo', { name: 'api' });
      new DbInstance(stack, 'db', { instanceClass: 'db.t4g.micro', storageEncrypted: true, iamDatabaseAuthenticationEnabled: true, lifecycle: { preventDestroy: true } });
      applyGuardrails(stack, { tier: 'staging', suppressions: ${suppressions} });
      app.synth();
    `;
    const run = (source: string) => {
      const file = path.join(dir, `main-${Math.random().toString(36).slice(2)}.ts`);
      fs.writeFileSync(file, source);
      return spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', file], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
      });
    };
    const failed = run(main('[]'));
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain(
      'staging/repo: SY-ECR-1: image_tag_mutability is "MUTABLE (default)": must be "IMMUTABLE"',
    );
    expect(failed.stderr).toContain(
      'guardrails staging (tier staging): 1 error(s), 0 warning(s), 0 suppressed',
    );

    const passed = run(
      main(`[{ ruleId: 'SY-ECR-1', resource: 'repo', reason: 'scratch repository for load tests' }]`),
    );
    expect(passed.stderr).toContain(
      'SUPPRESSED staging/repo: SY-ECR-1: image_tag_mutability is "MUTABLE (default)": must be "IMMUTABLE" (options suppression, reason: scratch repository for load tests)',
    );
    expect(passed.status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'out/stacks/staging/cdk.tf.json'))).toBe(true);
  }, 30000);
});
