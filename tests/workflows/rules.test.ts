// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are GitHub Actions expressions, not JS templates
/**
 * The workflow rules of issue 6 hold for the real files, and each rule fails on a mutated copy (so no
 * rule passes vacuously). Mutations are text edits of the real files; `mutate` throws if the text to
 * replace is not there, so a stale mutation cannot silently turn into a no-op.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { definedEnvironments, environmentFiles, loadRepo, mutate, type Repo, ROOT } from './lib/repo';
import {
  concurrencyGroups,
  environmentBindings,
  environmentCoverage,
  holdExpiryTriggers,
  idTokenOnlyWithOidc,
  leastPrivilege,
  mainBranch,
  nodeSetup,
  pinnedActions,
  RELEASE_WORKFLOWS,
  releaseConcurrencyGroup,
  requiredInputs,
  reusableCalls,
  roleSessions,
  scriptHygiene,
  signalsReachCommands,
  timeouts,
  VERIFIED_PINS,
} from './lib/rules';

const CI = '.github/workflows/ci.yml';
const INFRA = '.github/workflows/infra.yml';
const INFRA_ENV = '.github/workflows/infra-environment.yml';
const DEPLOY = '.github/workflows/deploy.yml';
const PROMOTE = '.github/workflows/promote.yml';
const ROLLBACK = '.github/workflows/rollback.yml';
const NODE_ACTION = '.github/actions/setup-node-deps/action.yml';

type Rule = (repo: Repo) => string[];

function violations(rule: Rule, ...overrides: Array<Record<string, string>>): string[] {
  return rule(loadRepo(Object.assign({}, ...overrides)));
}

const real = loadRepo();

describe('the real workflows', () => {
  it('are the expected set, plus composite actions', () => {
    expect([...real.workflows.keys()]).toEqual([
      'build.yml',
      'ci.yml',
      'deploy.yml',
      'hold-expiry.yml',
      'infra-environment.yml',
      'infra.yml',
      'promote.yml',
      'rollback.yml',
    ]);
    expect([...real.actions.keys()]).toEqual([
      './.github/actions/setup-node-deps',
      './.github/actions/setup-terraform',
      './.github/actions/terraform-plan',
    ]);
  });

  it.each([
    ['pinnedActions', pinnedActions],
    ['leastPrivilege', leastPrivilege],
    ['idTokenOnlyWithOidc', idTokenOnlyWithOidc],
    ['concurrencyGroups', concurrencyGroups],
    ['requiredInputs', requiredInputs],
    ['reusableCalls', reusableCalls],
    ['environmentBindings', environmentBindings],
    ['timeouts', timeouts],
    ['nodeSetup', nodeSetup],
    ['scriptHygiene', scriptHygiene],
    ['signalsReachCommands', signalsReachCommands],
    ['roleSessions', roleSessions],
    ['holdExpiryTriggers', holdExpiryTriggers],
  ] as Array<[string, Rule]>)('satisfy %s', (_name, rule) => {
    expect(rule(real)).toEqual([]);
  });

  it('know exactly the environments defined in environments/*.yaml', () => {
    // the list is derived from the files (project.yaml excluded), never hard-coded here
    const files = environmentFiles();
    expect(files.length).toBeGreaterThan(0);
    expect(files).not.toContain('project');
    // every environment file names itself (`name:` = file name), so the two lists agree
    expect(definedEnvironments()).toEqual(files);
    expect(environmentCoverage(real, files)).toEqual([]);
  });

  it('let the input validation read the environment list (sparse checkout of .github/scripts and environments)', () => {
    for (const file of ['deploy.yml', 'promote.yml', 'rollback.yml']) {
      const jobs = real.workflows.get(file)!.doc['jobs'] as Record<
        string,
        { steps: Array<Record<string, unknown>> }
      >;
      const steps = jobs['validate']!.steps;
      expect(steps.some((s) => String(s['run'] ?? '').includes('.github/scripts/validate-inputs.sh'))).toBe(
        true,
      );
      const checkout = steps.find((s) => String(s['uses']).startsWith('actions/checkout@'))!;
      const sparse = String((checkout['with'] as Record<string, unknown>)['sparse-checkout'] ?? '')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      expect({ file, sparse }).toEqual({ file, sparse: ['.github/scripts', 'environments'] });
    }
  });

  it('hand the saved plan, its lock file and config (not the providers) from plan to apply', () => {
    const action = real.actions.get('./.github/actions/terraform-plan')!.text;
    expect(action).toMatch(/terraform plan [^\n]*-detailed-exitcode -out=tfplan/);
    expect(action).toContain('terraform -chdir="$DIR" show -json tfplan > "$json"');
    expect(action).toContain(`trap 'rm -f "$json"' EXIT`);
    const infraEnv = real.workflows.get('infra-environment.yml')!;
    const plan = infraEnv.doc['jobs'] as Record<string, { steps: Array<Record<string, unknown>> }>;
    const upload = plan['plan']!.steps.find((s) => String(s['uses']).startsWith('actions/upload-artifact@'))!;
    const w = upload['with'] as Record<string, unknown>;
    expect(w['include-hidden-files']).toBe(true); // .terraform.lock.hcl pins the providers for apply
    expect(String(w['path']).split('\n').filter(Boolean)).toEqual([
      '${{ steps.plan.outputs.stack-dir }}',
      '!${{ steps.plan.outputs.stack-dir }}/.terraform',
    ]);
    const apply = plan['apply']!.steps.map((s) => String(s['run'] ?? '')).join('\n');
    expect(apply).toContain('terraform init -input=false -no-color -lockfile=readonly');
    // ci uploads only the Markdown summary of its speculative plans.
    const ci = real.workflows.get('ci.yml')!.doc['jobs'] as Record<
      string,
      { steps: Array<Record<string, unknown>> }
    >;
    const ciUpload = ci['plan']!.steps.find((s) => String(s['uses']).startsWith('actions/upload-artifact@'))!;
    expect((ciUpload['with'] as Record<string, unknown>)['path']).toBe(
      '${{ runner.temp }}/plan-summary/${{ matrix.environment }}.md',
    );
  });

  it('treat the main branch of environments/project.yaml as main', () => {
    const project = parse(readFileSync(join(ROOT, 'environments/project.yaml'), 'utf8')) as {
      github: { mainBranch: string };
    };
    expect(project.github.mainBranch).toBe('main');
    expect(mainBranch(real, project.github.mainBranch)).toEqual([]);
  });

  it('use every verified pin and nothing else', () => {
    const text = [...real.workflows.values(), ...real.actions.values()].map((f) => f.text).join('\n');
    for (const [name, { sha, version }] of Object.entries(VERIFIED_PINS)) {
      expect(text).toContain(`${name}@${sha} # ${version}`);
    }
  });

  it('queue deploy and promote together and give rollback its own group', () => {
    const groups = RELEASE_WORKFLOWS.map(({ envInput, group }) => releaseConcurrencyGroup(envInput, group));
    expect(groups).toEqual([
      'switchyard-deploy-${{ inputs.environment }}-${{ inputs.service }}',
      'switchyard-deploy-${{ inputs.to }}-${{ inputs.service }}',
      'switchyard-rollback-${{ inputs.environment }}-${{ inputs.service }}',
    ]);
  });
});

describe('each rule fails on a broken copy', () => {
  describe('pinnedActions', () => {
    it('flags a tag instead of a SHA', () => {
      const v = violations(
        pinnedActions,
        mutate(DEPLOY, /actions\/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd/, 'actions/checkout@v6'),
      );
      expect(v).toEqual([
        expect.stringMatching(/deploy\.yml:\d+: actions\/checkout@v6 is not pinned to a full 40-character/),
      ]);
    });
    it('flags a missing version comment (in a composite action too)', () => {
      const v = violations(pinnedActions, mutate(NODE_ACTION, ' # v6.2.0', ''));
      expect(v).toEqual([expect.stringContaining('setup-node-deps/action.yml:9: actions/setup-node@')]);
      expect(v[0]).toContain('no version comment');
    });
    it('flags a SHA that is not the verified one', () => {
      const v = violations(
        pinnedActions,
        mutate(CI, 'ed597411d8f924073f98dfc5c65a23a2325f34cd', 'ed597411d8f924073f98dfc5c65a23a2325f34ce'),
      );
      expect(v).toEqual([
        expect.stringContaining('is not the verified pin ed597411d8f924073f98dfc5c65a23a2325f34cd'),
      ]);
    });
    it('flags a version comment that does not match the pin', () => {
      const v = violations(pinnedActions, mutate(INFRA_ENV, /# v6\.1\.0/, '# v6.2.0'));
      expect(v).toEqual([expect.stringContaining('version comment v6.2.0 does not match the pinned v6.1.0')]);
    });
    it('flags an unknown action and a uses: the line scan cannot see', () => {
      const v = violations(
        pinnedActions,
        mutate(
          ROLLBACK,
          '    steps:\n      - name: Check out the scripts',
          '    steps:\n      - { uses: actions/cache@v4 }\n      - name: Check out the scripts',
        ),
      );
      expect(v).toEqual([
        expect.stringMatching(/YAML has \d+ third-party uses but \d+ .* lines were checked/),
      ]);
      const unknown = violations(
        pinnedActions,
        mutate(
          PROMOTE,
          'uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2',
          'uses: someone/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2',
        ),
      );
      expect(unknown).toEqual(
        expect.arrayContaining([expect.stringContaining('someone/checkout is not in VERIFIED_PINS')]),
      );
    });
  });

  describe('leastPrivilege', () => {
    it('flags broad workflow-level permissions', () => {
      const v = violations(leastPrivilege, mutate(DEPLOY, /^permissions: \{\}$/m, 'permissions: write-all'));
      expect(v).toEqual([
        '.github/workflows/deploy.yml: workflow-level permissions must be {} (or contents: read)',
      ]);
    });
    it('flags a job without a permissions block', () => {
      const v = violations(
        leastPrivilege,
        mutate(
          CI,
          '    permissions: {}\n    steps:\n      - name: Explain',
          '    steps:\n      - name: Explain',
        ),
      );
      expect(v).toEqual([expect.stringContaining('ci.yml: job plan-skipped: no permissions: block')]);
    });
    it('flags a write scope nothing needs', () => {
      const v = violations(
        leastPrivilege,
        mutate(
          CI,
          '    timeout-minutes: 20\n    permissions:\n      contents: read',
          '    timeout-minutes: 20\n    permissions:\n      contents: write',
        ),
      );
      expect(v).toEqual([
        '.github/workflows/ci.yml: job checks: contents: write is not needed by anything this job does',
      ]);
    });
    it('flags pull-requests: write on the plan job (which runs PR code)', () => {
      const v = violations(
        leastPrivilege,
        mutate(
          CI,
          '      id-token: write\n    strategy:',
          '      id-token: write\n      pull-requests: write\n    strategy:',
        ),
      );
      expect(v).toEqual([
        '.github/workflows/ci.yml: job plan: pull-requests: write is not needed by anything this job does',
      ]);
    });
    it('flags a reusable-workflow caller that grants less than the called jobs need', () => {
      const v = violations(
        leastPrivilege,
        mutate(
          INFRA,
          /( {2}prod:\n(?:.*\n)*? {4}permissions:\n {6}contents: read\n) {6}id-token: write\n/,
          '$1',
        ),
      );
      expect(v).toEqual(
        expect.arrayContaining([
          '.github/workflows/infra.yml: job prod: needs id-token: write for what it does',
          expect.stringContaining(
            'infra.yml: job prod: grants id-token: none but .github/workflows/infra-environment.yml job plan needs write',
          ),
        ]),
      );
    });
  });

  describe('idTokenOnlyWithOidc', () => {
    it('flags id-token: write on a job without configure-aws-credentials', () => {
      const v = violations(
        idTokenOnlyWithOidc,
        mutate(
          DEPLOY,
          '      contents: read\n    steps:\n      - name: Check out the scripts',
          '      contents: read\n      id-token: write\n    steps:\n      - name: Check out the scripts',
        ),
      );
      expect(v).toEqual([
        '.github/workflows/deploy.yml: job validate: id-token: write without aws-actions/configure-aws-credentials',
      ]);
    });
    it('flags configure-aws-credentials without id-token: write', () => {
      const v = violations(
        idTokenOnlyWithOidc,
        mutate(
          ROLLBACK,
          '      contents: read\n      id-token: write\n      actions: read',
          '      contents: read\n      actions: read',
        ),
      );
      expect(v).toEqual([
        '.github/workflows/rollback.yml: job rollback: uses aws-actions/configure-aws-credentials without id-token: write',
      ]);
    });
  });

  describe('concurrencyGroups', () => {
    it('flags promote keyed on the source instead of the target environment', () => {
      const v = violations(
        concurrencyGroups,
        mutate(
          PROMOTE,
          'group: switchyard-deploy-${{ inputs.to }}-',
          'group: switchyard-deploy-${{ inputs.from }}-',
        ),
      );
      expect(v).toEqual([
        expect.stringContaining(
          'promote.yml: job promote: concurrency group switchyard-deploy-${{ inputs.from }}',
        ),
      ]);
    });
    it('flags a deploy that could be cancelled', () => {
      const v = violations(
        concurrencyGroups,
        mutate(DEPLOY, 'cancel-in-progress: false', 'cancel-in-progress: true'),
      );
      expect(v).toEqual(
        expect.arrayContaining([
          '.github/workflows/deploy.yml: job deploy: cancel-in-progress must be false',
        ]),
      );
    });
    it('flags a rollback without its own group', () => {
      const v = violations(
        concurrencyGroups,
        mutate(
          ROLLBACK,
          / {4}concurrency:\n {6}group: switchyard-rollback-.*\n {6}cancel-in-progress: false\n/,
          '',
        ),
      );
      expect(v).toEqual([expect.stringContaining('rollback.yml: job rollback: no job-level concurrency')]);
    });
    it('flags a rollback that shares the deploy group (it would wait behind a pending promote, or be cancelled by a later dispatch)', () => {
      const v = violations(
        concurrencyGroups,
        mutate(ROLLBACK, 'group: switchyard-rollback-', 'group: switchyard-deploy-'),
      );
      expect(v).toEqual([
        expect.stringContaining('rollback.yml: job rollback: concurrency group switchyard-deploy-'),
        'rollback shares concurrency group switchyard-deploy-<env>-${{ inputs.service }} with deploy/promote: it would wait behind them',
      ]);
    });
    it('flags an infra environment whose apply could be cancelled', () => {
      const v = violations(
        concurrencyGroups,
        mutate(
          INFRA,
          'group: switchyard-infra-staging\n      cancel-in-progress: false',
          'group: switchyard-infra-staging\n      cancel-in-progress: true',
        ),
      );
      expect(v).toEqual(
        expect.arrayContaining([
          expect.stringContaining(
            'infra.yml: job staging: needs concurrency { group: switchyard-infra-staging',
          ),
        ]),
      );
    });
    it('flags a full-shift job in a shared group (a stale approval would hold it for every later run)', () => {
      const v = violations(
        concurrencyGroups,
        mutate(
          DEPLOY,
          '    # No concurrency group: a job waiting',
          '    concurrency:\n      group: switchyard-continue-${{ inputs.environment }}-${{ inputs.service }}\n      cancel-in-progress: false\n    # No concurrency group: a job waiting',
        ),
      );
      expect(v).toEqual([
        expect.stringContaining('deploy.yml: job full-shift: concurrency group switchyard-continue-'),
      ]);
    });
    it('flags a cancellable ci whose plans would hold the state lock', () => {
      const v = violations(concurrencyGroups, mutate(CI, 'lock: "false"', 'lock: "true"'));
      expect(v).toEqual([
        '.github/workflows/ci.yml: job plan: a cancellable workflow must plan with lock: "false"',
      ]);
    });
  });

  describe('requiredInputs', () => {
    it('flags an optional rollback reason', () => {
      const v = violations(
        requiredInputs,
        mutate(
          ROLLBACK,
          'recorded with the release and your GitHub user).\n        type: string\n        required: true',
          'recorded with the release and your GitHub user).\n        type: string\n        required: false',
        ),
      );
      expect(v).toEqual([
        '.github/workflows/rollback.yml: workflow_dispatch input reason must have required: true',
      ]);
    });
    it('flags a missing deploy input on both triggers', () => {
      const v = violations(requiredInputs, mutate(DEPLOY, / {6}image-tag:\n/g, '      image-tagg:\n'));
      expect(v).toEqual([
        '.github/workflows/deploy.yml: workflow_call input image-tag missing',
        '.github/workflows/deploy.yml: workflow_dispatch input image-tag missing',
      ]);
    });
    it('flags a required optional input (promote tag)', () => {
      const v = violations(
        requiredInputs,
        mutate(
          PROMOTE,
          'live in the source environment).\n        type: string\n        required: false',
          'live in the source environment).\n        type: string\n        required: true',
        ),
      );
      expect(v).toEqual([
        '.github/workflows/promote.yml: workflow_dispatch input tag must have required: false',
      ]);
    });
  });

  describe('reusableCalls', () => {
    it('flags an input the called workflow does not declare, and a missing required one', () => {
      const v = violations(
        reusableCalls,
        mutate(
          INFRA,
          '      environment: dev\n      plan-role-arn: ${{ vars.AWS_PLAN_ROLE_ARN_DEV }}\n',
          '      environment: dev\n      bogus: 1\n',
        ),
      );
      expect(v).toEqual([
        '.github/workflows/infra.yml: job dev: passes bogus, which .github/workflows/infra-environment.yml does not declare',
        '.github/workflows/infra.yml: job dev: does not pass required input plan-role-arn of .github/workflows/infra-environment.yml',
      ]);
    });

    it('flags a declared secret the caller does not pass (it would read as "") and one the callee does not declare', () => {
      const BUILD_WF = '.github/workflows/build.yml';
      const passes = '    secrets:\n      SLACK_WEBHOOK_URL: ${{ secrets.SLACK_WEBHOOK_URL }}\n';
      expect(violations(reusableCalls, mutate(BUILD_WF, passes, ''))).toEqual([
        '.github/workflows/build.yml: job deploy-dev: does not pass secret SLACK_WEBHOOK_URL of .github/workflows/deploy.yml (it would read as ""): add secrets: { SLACK_WEBHOOK_URL: ${{ secrets.SLACK_WEBHOOK_URL }} }',
      ]);
      expect(
        violations(reusableCalls, mutate(BUILD_WF, passes, `${passes}      OTHER: \${{ secrets.OTHER }}\n`)),
      ).toEqual([
        '.github/workflows/build.yml: job deploy-dev: passes secret OTHER, which .github/workflows/deploy.yml does not declare',
      ]);
      expect(violations(reusableCalls, mutate(BUILD_WF, passes, '    secrets: inherit\n'))).toEqual([]);
    });
  });

  describe('environmentBindings', () => {
    it('flags a prod apply that is not bound to prod', () => {
      const v = violations(
        environmentBindings,
        mutate(
          INFRA_ENV,
          '    environment:\n      name: ${{ inputs.environment }}',
          '    environment:\n      name: dev',
        ),
      );
      expect(v).toEqual([
        '.github/workflows/infra-environment.yml: job apply: apply of staging is bound to dev, expected staging',
        '.github/workflows/infra-environment.yml: job apply: apply of prod is bound to dev, expected prod',
      ]);
    });
    it('flags an apply job that re-plans or skips the checksum', () => {
      const v = violations(
        environmentBindings,
        mutate(
          INFRA_ENV,
          'run: exec bash "$GITHUB_WORKSPACE/.github/scripts/run-terraform.sh" apply -input=false -no-color -lock-timeout=10m tfplan',
          'run: terraform plan -out=fresh && terraform apply fresh',
        ),
      );
      expect(v).toEqual(
        expect.arrayContaining([
          '.github/workflows/infra-environment.yml: job apply: re-plans instead of applying the saved plan',
          '.github/workflows/infra-environment.yml: job apply: does not apply the saved tfplan',
        ]),
      );
      const noCheck = violations(
        environmentBindings,
        mutate(INFRA_ENV, 'sha256sum --check --strict', 'true'),
      );
      expect(noCheck).toContain(
        '.github/workflows/infra-environment.yml: job apply: does not verify the plan checksum',
      );
    });
    it('flags a plan job bound to an environment', () => {
      const v = violations(
        environmentBindings,
        mutate(
          INFRA_ENV,
          '    name: plan ${{ inputs.environment }}\n',
          '    name: plan ${{ inputs.environment }}\n    environment: ${{ inputs.environment }}\n',
        ),
      );
      expect(v).toEqual(
        expect.arrayContaining([
          expect.stringContaining('job plan: the plan job must not be bound to an environment'),
          expect.stringContaining('job plan: assumes the plan role inside environment'),
        ]),
      );
    });
    it('flags promote bound to the source environment', () => {
      const v = violations(
        environmentBindings,
        mutate(PROMOTE, 'name: ${{ inputs.to }}', 'name: ${{ inputs.from }}'),
      );
      expect(v).toEqual([
        '.github/workflows/promote.yml: job promote: bound to ${{ inputs.from }}, expected ${{ inputs.to }}',
        '.github/workflows/promote.yml: job full-shift: bound to ${{ inputs.from }}, expected ${{ inputs.to }}',
      ]);
    });
    it('flags applying staging without waiting for dev', () => {
      const v = violations(
        environmentBindings,
        mutate(INFRA, '  staging:\n    needs: dev\n', '  staging:\n'),
      );
      expect(v).toEqual([
        '.github/workflows/infra.yml: job staging: staging must need the dev job (apply in order)',
      ]);
    });
    it('flags a deploy role assumed outside an environment', () => {
      const v = violations(
        environmentBindings,
        mutate(DEPLOY, '    environment:\n      name: ${{ inputs.environment }}\n', ''),
      );
      expect(v).toEqual([
        '.github/workflows/deploy.yml: job deploy: bound to no environment, expected ${{ inputs.environment }}',
        '.github/workflows/deploy.yml: job full-shift: bound to no environment, expected ${{ inputs.environment }}',
        '.github/workflows/deploy.yml: job deploy: assumes the release role without an environment binding',
        '.github/workflows/deploy.yml: job full-shift: assumes the release role without an environment binding',
      ]);
    });
    it('flags a role assumed from a workflow its trust does not pin (job_workflow_ref)', () => {
      const v = violations(
        environmentBindings,
        mutate(
          DEPLOY,
          'role-to-assume: ${{ vars.AWS_RELEASE_ROLE_ARN }}',
          'role-to-assume: ${{ vars.AWS_APPLY_ROLE_ARN }}',
        ),
      );
      expect(v).toEqual([
        '.github/workflows/deploy.yml: job deploy: assumes the apply role, whose trust pins infra-environment.yml (job_workflow_ref)',
        '.github/workflows/deploy.yml: job full-shift: assumes the apply role, whose trust pins infra-environment.yml (job_workflow_ref)',
      ]);
    });
  });

  describe('timeouts', () => {
    it('flags a job without timeout-minutes and one with an absurd timeout', () => {
      const v = violations(
        timeouts,
        mutate(
          CI,
          '    timeout-minutes: 5\n    permissions:\n      pull-requests: write',
          '    permissions:\n      pull-requests: write',
        ),
        mutate(INFRA_ENV, 'timeout-minutes: 60', 'timeout-minutes: 600'),
      );
      expect(v).toEqual([
        '.github/workflows/ci.yml: job plan-comment: timeout-minutes must be a number between 1 and 120 (got undefined)',
        '.github/workflows/infra-environment.yml: job apply: timeout-minutes must be a number between 1 and 120 (got 600)',
      ]);
    });
  });

  describe('nodeSetup', () => {
    it('flags a hard-coded Node version and a missing npm cache', () => {
      const v = violations(
        nodeSetup,
        mutate(
          NODE_ACTION,
          '        node-version-file: .nvmrc\n        cache: npm\n',
          '        node-version: 20\n',
        ),
      );
      expect(v).toEqual([
        '.github/actions/setup-node-deps/action.yml: setup-node must use node-version-file: .nvmrc',
        '.github/actions/setup-node-deps/action.yml: setup-node must not hard-code node-version',
        '.github/actions/setup-node-deps/action.yml: setup-node must use cache: npm',
      ]);
    });
    it('flags a job that runs npm without the Node setup', () => {
      const v = violations(
        nodeSetup,
        mutate(
          CI,
          '      - name: Set up Node and install dependencies\n        uses: ./.github/actions/setup-node-deps\n      - name: Lint',
          '      - name: Lint',
        ),
      );
      expect(v).toEqual([
        '.github/workflows/ci.yml: job checks: runs npm/npx without setting up Node from .nvmrc',
      ]);
    });
  });

  describe('scriptHygiene', () => {
    it('flags an input interpolated into a shell script', () => {
      const v = violations(
        scriptHygiene,
        mutate(DEPLOY, '--env "$ENVIRONMENT"', '--env "${{ inputs.environment }}"'),
      );
      expect(v).toEqual([
        '.github/workflows/deploy.yml: job deploy: step switchyard deploy interpolates an expression into run:; pass it via env:',
        '.github/workflows/deploy.yml: job full-shift: step switchyard continue interpolates an expression into run:; pass it via env:',
      ]);
    });
    it('flags a checkout that keeps the token', () => {
      const v = violations(
        scriptHygiene,
        mutate(PROMOTE, /persist-credentials: false/, 'persist-credentials: true'),
      );
      expect(v).toEqual([
        '.github/workflows/promote.yml: job validate: checkout must set persist-credentials: false',
      ]);
    });
  });

  describe('mainBranch', () => {
    it('flags a push trigger on another branch and a different trunk', () => {
      expect(
        violations((r) => mainBranch(r, 'main'), mutate(CI, 'branches: [main]', 'branches: [master]')),
      ).toEqual(['.github/workflows/ci.yml: push must trigger on [main] only (got ["master"])']);
      expect(mainBranch(real, 'trunk')).toHaveLength(3);
    });
  });

  describe('holdExpiryTriggers', () => {
    it.each(['workflow_call:', 'push:', 'workflow_run:\n    workflows: [deploy]'])('flags %s', (trigger) => {
      const v = violations(
        holdExpiryTriggers,
        mutate(
          '.github/workflows/hold-expiry.yml',
          '  workflow_dispatch:\n',
          `  workflow_dispatch:\n  ${trigger}\n`,
        ),
      );
      expect(v).toEqual([expect.stringContaining('hold-expiry.yml: triggers ')]);
    });
  });

  describe('environmentCoverage', () => {
    const files = environmentFiles();
    it('flags a new environment the workflows do not know', () => {
      const more = [...files, 'zz-new'].sort();
      const v = environmentCoverage(real, more);
      expect(v).toHaveLength(6);
      expect(v).toContain(
        `.github/workflows/hold-expiry.yml matrix: environments [${files.join(',')}] differ from environments/*.yaml [${more.join(',')}]`,
      );
      expect(v[0]).toBe(
        `.github/workflows/ci.yml plan matrix: environments [${files.join(',')}] differ from environments/*.yaml [${more.join(',')}]`,
      );
    });
    it('flags a workflow that lost an environment', () => {
      const options = (
        (
          real.workflows.get('rollback.yml')!.doc['on'] as Record<
            string,
            Record<string, Record<string, Record<string, unknown>>>
          >
        )['workflow_dispatch']!['inputs']!['environment']!['options'] as string[]
      ).map(String);
      const fewer = options.slice(0, -1);
      const repo = loadRepo(
        mutate(ROLLBACK, `options: [${options.join(', ')}]`, `options: [${fewer.join(', ')}]`),
      );
      expect(environmentCoverage(repo, files)).toEqual([
        `.github/workflows/rollback.yml environment choices: environments [${[...fewer].sort().join(',')}] differ from environments/*.yaml [${files.join(',')}]`,
      ]);
    });
  });
});

describe('signalsReachCommands and roleSessions fail on broken copies', () => {
  it.each([
    [
      DEPLOY,
      'exec bash .github/scripts/run-switchyard.sh "${args[@]}"',
      'bash .github/scripts/run-switchyard.sh "${args[@]}"',
      'deploy.yml: job deploy: step "switchyard deploy" must end with `exec bash …/run-switchyard.sh …`',
    ],
    [
      DEPLOY,
      'exec bash .github/scripts/run-switchyard.sh continue',
      'bash .github/scripts/run-switchyard.sh continue',
      'deploy.yml: job full-shift: step "switchyard continue" must end with',
    ],
    [
      PROMOTE,
      'exec bash .github/scripts/run-switchyard.sh "${args[@]}"',
      'bash .github/scripts/run-switchyard.sh "${args[@]}"',
      'promote.yml: job promote: step "switchyard promote" must end with',
    ],
    [
      ROLLBACK,
      'exec bash .github/scripts/run-switchyard.sh "${args[@]}"',
      'bash .github/scripts/run-switchyard.sh "${args[@]}"',
      'rollback.yml: job rollback: step "switchyard rollback" must end with',
    ],
    [
      INFRA_ENV,
      'run: exec bash "$GITHUB_WORKSPACE/.github/scripts/run-terraform.sh" apply',
      'run: terraform apply',
      'infra-environment.yml: job apply: step "terraform apply (the saved plan)" runs terraform apply directly',
    ],
  ])('%s without exec (or with a direct terraform apply) is flagged', (file, from, to, message) => {
    expect(violations(signalsReachCommands, mutate(file, from, to))).toEqual([
      expect.stringContaining(message),
    ]);
  });

  it('flags a session shorter than the job, and one longer than the roles allow', () => {
    expect(
      violations(roleSessions, mutate(DEPLOY, 'role-duration-seconds: 5400', 'role-duration-seconds: 3600')),
    ).toEqual([
      ".github/workflows/deploy.yml: job deploy: role session 3600s is shorter than the job's timeout 5400s",
      ".github/workflows/deploy.yml: job full-shift: role session 3600s is shorter than the job's timeout 5400s",
    ]);
    expect(
      violations(
        roleSessions,
        mutate(PROMOTE, /\n {10}# the whole job.*\n {10}role-duration-seconds: 5400/, ''),
      ),
    ).toEqual([
      ".github/workflows/promote.yml: job promote: role session 3600s is shorter than the job's timeout 5400s",
    ]);
    // promote's first session (source status role) only has to outlast the capture steps before the
    // target's credentials — unless one of them has no timeout of its own
    expect(
      violations(roleSessions, mutate(PROMOTE, 'role-duration-seconds: 900', 'role-duration-seconds: 600')),
    ).toEqual([
      ".github/workflows/promote.yml: job promote: role session 600s is shorter than its steps' timeouts (840s, until the next credentials step)",
    ]);
    expect(violations(roleSessions, mutate(PROMOTE, /\n {8}timeout-minutes: 3\n/, '\n'))).toEqual([
      ".github/workflows/promote.yml: job promote: role session 900s is shorter than the job's timeout 5400s",
    ]);
    expect(
      violations(
        roleSessions,
        mutate(ROLLBACK, 'role-duration-seconds: 3600', 'role-duration-seconds: 43200'),
      ),
    ).toEqual([
      ".github/workflows/rollback.yml: job rollback: role session 43200s exceeds the roles' maximum 7200s",
    ]);
  });
});
