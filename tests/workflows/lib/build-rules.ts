/**
 * The rules of the image build workflow (issue 11, item 3), each a pure function from the loaded repository
 * to violations. build.test.ts runs them on the real files and on mutated copies that must fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  actionName,
  asRecord,
  type Job,
  jobsOf,
  type LoadedFile,
  type Repo,
  ROOT,
  stepsOf,
  triggers,
  type Yaml,
} from './repo';

export const BUILD = '.github/workflows/build.yml';
const SHA_EXPR = '${{ github.event.workflow_run.head_sha || github.sha }}';

function build(repo: Repo): LoadedFile | undefined {
  return repo.workflows.get('build.yml');
}

function jobUsing(wf: LoadedFile, action: string): Job | undefined {
  return jobsOf(wf).find((j) =>
    stepsOf(j.def).some((s) => typeof s['uses'] === 'string' && actionName(s['uses']) === action),
  );
}

function stepUsing(job: Job, action: string): Yaml | undefined {
  return stepsOf(job.def).find((s) => typeof s['uses'] === 'string' && actionName(s['uses']) === action);
}

function withOf(step: Yaml | undefined): Yaml {
  return asRecord(step?.['with']) ?? {};
}

/** The repository of the `api` service in every environment (the image the build pushes). */
export function apiRepositories(): string[] {
  const dir = join(ROOT, 'environments');
  const repos = new Set<string>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml') && x !== 'project.yaml')) {
    const doc = asRecord(parse(readFileSync(join(dir, f), 'utf8')) as unknown) ?? {};
    const services = Array.isArray(doc['services']) ? doc['services'] : [];
    for (const s of services) {
      const svc = asRecord(s);
      if (svc?.['name'] === 'api') repos.add(String(svc['imageRepository']));
    }
  }
  return [...repos].sort();
}

/** Runs after ci passed on a push to main (workflow_run), or by hand; never on pull requests. */
export function buildTriggers(repo: Repo, mainBranch: string): string[] {
  const wf = build(repo);
  if (!wf) return [`${BUILD}: missing`];
  const problems: string[] = [];
  const on = triggers(wf);
  const extra = Object.keys(on).filter((k) => k !== 'workflow_run' && k !== 'workflow_dispatch');
  if (extra.length > 0)
    problems.push(
      `${BUILD}: only workflow_run and workflow_dispatch may trigger a build (got ${extra.join(', ')})`,
    );
  const run = asRecord(on['workflow_run']);
  const ciName = repo.workflows.get('ci.yml')?.doc['name'];
  if (JSON.stringify(run?.['workflows']) !== JSON.stringify([ciName])) {
    problems.push(`${BUILD}: workflow_run must follow the checks workflow [${String(ciName)}]`);
  }
  if (JSON.stringify(run?.['types']) !== JSON.stringify(['completed']))
    problems.push(`${BUILD}: workflow_run types must be [completed]`);
  if (JSON.stringify(run?.['branches']) !== JSON.stringify([mainBranch])) {
    problems.push(`${BUILD}: workflow_run branches must be [${mainBranch}]`);
  }
  if (!('workflow_dispatch' in on)) problems.push(`${BUILD}: no workflow_dispatch`);
  const job = jobUsing(wf, 'docker/build-push-action');
  const cond = String(job?.def['if'] ?? '');
  for (const part of [
    "github.event.workflow_run.conclusion == 'success'",
    "github.event.workflow_run.event == 'push'",
    `github.event.workflow_run.head_branch == '${mainBranch}'`,
    'github.event.workflow_run.head_repository.full_name == github.repository',
  ]) {
    if (!cond.includes(part)) problems.push(`${BUILD}: the build job's if: lacks ${part}`);
  }
  const steps = job ? stepsOf(job.def) : [];
  const guard = steps.findIndex((s) => String(s['run'] ?? '').includes(`"refs/heads/${mainBranch}"`));
  const firstAws = steps.findIndex(
    (s) => s['uses'] !== undefined && String(s['uses']).startsWith('aws-actions/'),
  );
  if (guard < 0 || (firstAws >= 0 && guard > firstAws))
    problems.push(`${BUILD}: no refs/heads/${mainBranch} guard before AWS credentials`);
  const checkout = job ? stepUsing(job, 'actions/checkout') : undefined;
  if (withOf(checkout)['ref'] !== SHA_EXPR)
    problems.push(`${BUILD}: checkout must use ref ${SHA_EXPR} (the commit ci tested)`);
  return problems;
}

/** The push role comes from vars.AWS_BUILD_ROLE_ARN over OIDC, outside any environment. */
export function buildRole(repo: Repo): string[] {
  const wf = build(repo);
  if (!wf) return [`${BUILD}: missing`];
  const problems: string[] = [];
  const job = jobUsing(wf, 'docker/build-push-action');
  if (!job) return [`${BUILD}: no job uses docker/build-push-action`];
  const creds = stepUsing(job, 'aws-actions/configure-aws-credentials');
  if (withOf(creds)['role-to-assume'] !== '${{ vars.AWS_BUILD_ROLE_ARN }}') {
    problems.push(`${BUILD}: job ${job.id} must assume \${{ vars.AWS_BUILD_ROLE_ARN }}`);
  }
  if (job.def['environment'] !== undefined)
    problems.push(`${BUILD}: job ${job.id} must not be bound to an environment`);
  const perms = asRecord(job.def['permissions']) ?? {};
  if (perms['id-token'] !== 'write') problems.push(`${BUILD}: job ${job.id} needs id-token: write for OIDC`);
  if (/\$\{\{[^}]*\bsecrets\./.test(wf.text))
    problems.push(`${BUILD}: uses secrets; the build needs none (OIDC + variables)`);
  const steps = stepsOf(job.def);
  const at = (pred: (s: Yaml) => boolean) => steps.findIndex(pred);
  const credsAt = at((s) => s === creds);
  const pushAt = at((s) => String(s['uses'] ?? '').startsWith('docker/build-push-action@'));
  if (credsAt < 0 || pushAt < credsAt) problems.push(`${BUILD}: credentials must be set up before the push`);
  return problems;
}

/** The image is `<registry>/<api repository>:<full commit SHA>`, one platform, pushed, cached, single manifest. */
export function shaTag(repo: Repo): string[] {
  const wf = build(repo);
  if (!wf) return [`${BUILD}: missing`];
  const problems: string[] = [];
  const job = jobUsing(wf, 'docker/build-push-action');
  if (!job) return [`${BUILD}: no job uses docker/build-push-action`];
  const w = withOf(stepUsing(job, 'docker/build-push-action'));
  const repos = apiRepositories();
  if (repos.length !== 1)
    problems.push(`environments/*.yaml: the api service uses ${repos.length} image repositories`);
  const tags = String(w['tags'] ?? '').trim();
  if (tags !== `\${{ vars.ECR_REGISTRY }}/${repos[0]}:\${{ steps.tag.outputs.tag }}`) {
    problems.push(
      `${BUILD}: tags must be exactly \${{ vars.ECR_REGISTRY }}/${repos[0]}:\${{ steps.tag.outputs.tag }} (got ${tags})`,
    );
  }
  const tagStep = stepsOf(job.def).find((s) => s['id'] === 'tag');
  const tagEnv = asRecord(tagStep?.['env']) ?? {};
  if (tagEnv['SHA'] !== SHA_EXPR || !String(tagStep?.['run'] ?? '').includes('^[0-9a-f]{40}$')) {
    problems.push(`${BUILD}: the tag step must take ${SHA_EXPR} and accept only a full 40-hex SHA`);
  }
  if (w['push'] !== true) problems.push(`${BUILD}: push must be true`);
  if (w['platforms'] !== 'linux/amd64')
    problems.push(`${BUILD}: platforms must be linux/amd64 (the task definition's X86_64)`);
  if (w['provenance'] !== false || w['sbom'] !== false) {
    problems.push(
      `${BUILD}: provenance and sbom must be false in buildx (a single manifest, which ECR scans)`,
    );
  }
  if (
    !String(w['cache-from'] ?? '').startsWith('type=gha') ||
    !String(w['cache-to'] ?? '').startsWith('type=gha')
  ) {
    problems.push(`${BUILD}: buildx cache must be type=gha (cache-from and cache-to)`);
  }
  if (!String(w['build-args'] ?? '').includes('REVISION=${{ steps.tag.outputs.tag }}')) {
    problems.push(`${BUILD}: build-args must pass REVISION=<the tag>`);
  }
  return problems;
}

/** The digest is recorded, gated by the scan before anything else uses it, attested, then deployed to dev. */
export function digestScanAttestDeploy(repo: Repo): string[] {
  const wf = build(repo);
  if (!wf) return [`${BUILD}: missing`];
  const problems: string[] = [];
  const job = jobUsing(wf, 'docker/build-push-action');
  if (!job) return [`${BUILD}: no job uses docker/build-push-action`];
  const steps = stepsOf(job.def);
  const idx = (pred: (s: Yaml) => boolean) => steps.findIndex(pred);
  const push = idx((s) => String(s['uses'] ?? '').startsWith('docker/build-push-action@'));
  const digest = idx((s) => s['id'] === 'digest');
  const gate = idx((s) => /ecr-image\.ts scan-gate/.test(String(s['run'] ?? '')));
  const attest = idx((s) => String(s['uses'] ?? '').startsWith('actions/attest@'));
  const outputs = asRecord(job.def['outputs']) ?? {};
  if (outputs['digest'] !== '${{ steps.digest.outputs.digest }}')
    problems.push(`${BUILD}: job output digest must come from the digest step`);
  if (outputs['image-tag'] !== '${{ steps.tag.outputs.tag }}')
    problems.push(`${BUILD}: job output image-tag must be the SHA tag`);
  const digestEnv = asRecord(steps[digest]?.['env']) ?? {};
  if (digest < 0 || digest < push || digestEnv['PUSHED'] !== '${{ steps.build.outputs.digest }}') {
    problems.push(`${BUILD}: the digest step must follow the push and read steps.build.outputs.digest`);
  }
  const gateRun = String(steps[gate]?.['run'] ?? '');
  if (gate < 0 || gate < digest) {
    problems.push(`${BUILD}: no scan gate after the digest is recorded`);
  } else {
    if (!/--fail-on CRITICAL\b/.test(gateRun)) problems.push(`${BUILD}: the scan gate must fail on CRITICAL`);
    const timeout = Number(/--timeout-seconds (\d+)/.exec(gateRun)?.[1] ?? Number.NaN);
    if (!(timeout > 0 && timeout < Number(job.def['timeout-minutes']) * 60)) {
      problems.push(`${BUILD}: the scan gate needs a --timeout-seconds shorter than the job`);
    }
    if (attest < gate) problems.push(`${BUILD}: attestations must come after the scan gate`);
  }
  for (const s of steps.filter((x) => String(x['uses'] ?? '').startsWith('actions/attest@'))) {
    if (withOf(s)['subject-digest'] !== '${{ steps.digest.outputs.digest }}')
      problems.push(`${BUILD}: an attestation is not bound to the digest`);
  }
  if (!steps.some((s) => withOf(s)['sbom-path'] !== undefined))
    problems.push(`${BUILD}: no SBOM attestation`);

  const deploys = jobsOf(wf).filter((j) => j.def['uses'] === './.github/workflows/deploy.yml');
  if (deploys.length !== 1)
    problems.push(`${BUILD}: exactly one job must call deploy.yml (got ${deploys.length})`);
  for (const d of deploys) {
    const w = asRecord(d.def['with']) ?? {};
    if (w['environment'] !== 'dev')
      problems.push(
        `${BUILD}: job ${d.id} deploys to ${String(w['environment'])}; the build deploys to dev only (promote.yml does the rest)`,
      );
    if (w['service'] !== 'api') problems.push(`${BUILD}: job ${d.id} must deploy service api`);
    if (w['image-tag'] !== `\${{ needs.${job.id}.outputs.image-tag }}`)
      problems.push(`${BUILD}: job ${d.id} must deploy the tag the build pushed`);
    const needs = d.def['needs'];
    if (!(needs === job.id || (Array.isArray(needs) && needs.includes(job.id))))
      problems.push(`${BUILD}: job ${d.id} must need ${job.id}`);
  }
  return problems;
}

/** Exactly the permissions each job needs, nothing at workflow level. */
export function buildPermissions(repo: Repo): string[] {
  const wf = build(repo);
  if (!wf) return [`${BUILD}: missing`];
  const problems: string[] = [];
  if (JSON.stringify(wf.doc['permissions']) !== '{}')
    problems.push(`${BUILD}: workflow-level permissions must be {}`);
  const expected: Record<string, Record<string, string>> = {
    build: { contents: 'read', 'id-token': 'write', attestations: 'write' },
    // actions: read — deploy.yml reads the run's review history (who approved, .github/scripts/approvers.sh)
    'deploy-dev': { contents: 'read', 'id-token': 'write', actions: 'read' },
  };
  for (const job of jobsOf(wf)) {
    const want = expected[job.id];
    const got = asRecord(job.def['permissions']) ?? {};
    if (!want) problems.push(`${BUILD}: unexpected job ${job.id}`);
    else if (JSON.stringify(Object.entries(got).sort()) !== JSON.stringify(Object.entries(want).sort())) {
      problems.push(
        `${BUILD}: job ${job.id} permissions ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
      );
    }
  }
  return problems;
}

export const BUILD_RULES = { buildRole, shaTag, digestScanAttestDeploy, buildPermissions } as const;
