// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are GitHub Actions expressions, not JS templates
/**
 * The image build workflow: triggers, OIDC push role, SHA tag, digest → scan gate → attestation → deploy
 * to dev, minimal permissions, and the repository-wide rules (pins, least privilege, hygiene) on it. Every
 * rule also fails on a mutated copy, so none passes vacuously.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  apiRepositories,
  BUILD,
  BUILD_RULES,
  buildPermissions,
  buildRole,
  buildTriggers,
  digestScanAttestDeploy,
  shaTag,
} from './lib/build-rules';
import { loadRepo, mutate, type Repo, ROOT } from './lib/repo';
import { environmentBindings, leastPrivilege, pinnedActions, reusableCalls } from './lib/rules';

const MAIN = (
  parse(readFileSync(join(ROOT, 'environments/project.yaml'), 'utf8')) as { github: { mainBranch: string } }
).github.mainBranch;
const real = loadRepo();
const broken = (...edits: Array<string | RegExp>): Repo => loadRepo(mutate(BUILD, ...edits));

describe('build.yml', () => {
  it('follows ci on the main branch', () => {
    expect(buildTriggers(real, MAIN)).toEqual([]);
  });

  it.each(Object.entries(BUILD_RULES))('satisfies %s', (_name, rule) => {
    expect(rule(real)).toEqual([]);
  });

  it('builds the repository every environment deploys for the api service', () => {
    expect(apiRepositories()).toEqual(['switchyard/api']);
  });
});

describe('each build rule fails on a broken copy', () => {
  it('buildTriggers: a pull_request trigger, a failed ci run, another branch, the wrong checkout', () => {
    expect(
      buildTriggers(broken('  workflow_dispatch:\n', '  workflow_dispatch:\n  pull_request:\n'), MAIN),
    ).toEqual([`${BUILD}: only workflow_run and workflow_dispatch may trigger a build (got pull_request)`]);
    expect(buildTriggers(broken("github.event.workflow_run.conclusion == 'success' &&\n", ''), MAIN)).toEqual(
      [`${BUILD}: the build job's if: lacks github.event.workflow_run.conclusion == 'success'`],
    );
    expect(buildTriggers(broken('    branches: [main]', '    branches: [develop]'), MAIN)).toEqual([
      `${BUILD}: workflow_run branches must be [main]`,
    ]);
    expect(buildTriggers(broken('    workflows: [ci]', '    workflows: [tests]'), MAIN)).toEqual([
      `${BUILD}: workflow_run must follow the checks workflow [ci]`,
    ]);
    expect(
      buildTriggers(
        broken('          ref: ${{ github.event.workflow_run.head_sha || github.sha }}\n', ''),
        MAIN,
      ),
    ).toEqual([
      `${BUILD}: checkout must use ref \${{ github.event.workflow_run.head_sha || github.sha }} (the commit ci tested)`,
    ]);
    expect(buildTriggers(broken('if [ "$REF" != "refs/heads/main" ]; then', 'if false; then'), MAIN)).toEqual(
      [`${BUILD}: no refs/heads/main guard before AWS credentials`],
    );
  });

  it('buildRole: another role, an environment binding, a secret', () => {
    expect(
      buildRole(
        broken(
          'role-to-assume: ${{ vars.AWS_BUILD_ROLE_ARN }}',
          'role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}',
        ),
      ),
    ).toEqual([`${BUILD}: job build must assume \${{ vars.AWS_BUILD_ROLE_ARN }}`]);
    expect(
      buildRole(
        broken(
          '    runs-on: ubuntu-latest\n    timeout-minutes: 30',
          '    runs-on: ubuntu-latest\n    environment: dev\n    timeout-minutes: 30',
        ),
      ),
    ).toEqual([`${BUILD}: job build must not be bound to an environment`]);
    expect(
      buildRole(
        broken(
          'REGISTRY: ${{ vars.ECR_REGISTRY }}\n        run: aws ecr',
          'REGISTRY: ${{ secrets.ECR_REGISTRY }}\n        run: aws ecr',
        ),
      ),
    ).toEqual([`${BUILD}: job build uses secrets; the build needs none (OIDC + variables)`]);
  });

  it('shaTag: a mutable tag, a short SHA, a second platform, buildx attestations, no cache', () => {
    expect(
      shaTag(broken(':${{ steps.tag.outputs.tag }}\n          build-args', ':latest\n          build-args')),
    ).toEqual([
      expect.stringContaining(
        'tags must be exactly ${{ vars.ECR_REGISTRY }}/switchyard/api:${{ steps.tag.outputs.tag }}',
      ),
    ]);
    expect(shaTag(broken('^[0-9a-f]{40}$', '^[0-9a-f]{7,40}$'))).toEqual([
      expect.stringContaining('accept only a full 40-hex SHA'),
    ]);
    expect(shaTag(broken('platforms: linux/amd64', 'platforms: linux/amd64,linux/arm64'))).toEqual([
      `${BUILD}: platforms must be linux/amd64 (the task definition's X86_64)`,
    ]);
    expect(shaTag(broken('provenance: false', 'provenance: mode=max'))).toEqual([
      `${BUILD}: provenance and sbom must be false in buildx (a single manifest, which ECR scans)`,
    ]);
    expect(shaTag(broken('          cache-from: type=gha,scope=api\n', ''))).toEqual([
      `${BUILD}: buildx cache must be type=gha (cache-from and cache-to)`,
    ]);
  });

  it('digestScanAttestDeploy: no gate, a gate on HIGH only, no timeout, deploy to prod, the wrong tag', () => {
    expect(digestScanAttestDeploy(broken('ecr-image.ts scan-gate', 'ecr-image.ts scan-gat'))).toEqual([
      `${BUILD}: no scan gate after the digest is recorded`,
    ]);
    expect(digestScanAttestDeploy(broken('--fail-on CRITICAL', '--fail-on HIGH'))).toEqual([
      `${BUILD}: the scan gate must fail on CRITICAL`,
    ]);
    expect(digestScanAttestDeploy(broken('--timeout-seconds 600', '--timeout-seconds 3600'))).toEqual([
      `${BUILD}: the scan gate needs a --timeout-seconds shorter than the job`,
    ]);
    expect(
      digestScanAttestDeploy(
        broken('      environment: dev\n      image-tag', '      environment: prod\n      image-tag'),
      ),
    ).toEqual([
      `${BUILD}: job deploy-dev deploys to prod; the build deploys to dev only (promote.yml does the rest)`,
    ]);
    expect(
      digestScanAttestDeploy(broken('image-tag: ${{ needs.build.outputs.image-tag }}', 'image-tag: latest')),
    ).toEqual([`${BUILD}: job deploy-dev must deploy the tag the build pushed`]);
    expect(digestScanAttestDeploy(broken(/ {10}sbom-path: .*\n/, ''))).toEqual([
      `${BUILD}: no SBOM attestation`,
    ]);
  });

  it('buildPermissions: a write scope too many, workflow-level grants', () => {
    expect(
      buildPermissions(
        broken('      attestations: write #', '      packages: write\n      attestations: write #'),
      ),
    ).toEqual([expect.stringContaining('job build permissions')]);
    expect(buildPermissions(broken('permissions: {}\n', 'permissions:\n  contents: write\n'))).toEqual([
      `${BUILD}: workflow-level permissions must be {}`,
    ]);
  });
});

describe('repository-wide rules on build.yml', () => {
  it('pins every action to a verified SHA and grants only what each job needs', () => {
    expect(pinnedActions(real)).toEqual([]);
    expect(leastPrivilege(real)).toEqual([]);
    expect(reusableCalls(real)).toEqual([]);
    expect(environmentBindings(real)).toEqual([]);
  });

  it('flag an unverified pin, a missing attestations grant and the build role inside an environment', () => {
    expect(pinnedActions(broken('@53b7df96c91f9c12dcc8a07bcb9ccacbed38856a # v7.3.0', '@v7'))).toEqual([
      expect.stringMatching(
        /build\.yml:\d+: docker\/build-push-action@v7 is not pinned to a full 40-character commit SHA/,
      ),
    ]);
    expect(
      leastPrivilege(broken('      attestations: write # store the provenance and SBOM attestations\n', '')),
    ).toEqual(['.github/workflows/build.yml: job build: needs attestations: write for what it does']);
    expect(
      environmentBindings(
        broken(
          '    runs-on: ubuntu-latest\n    timeout-minutes: 30',
          '    runs-on: ubuntu-latest\n    environment: dev\n    timeout-minutes: 30',
        ),
      ),
    ).toEqual([
      '.github/workflows/build.yml: job build: assumes the build role inside environment dev (its trust is pull requests / main only)',
    ]);
  });
});
