/**
 * GitHub OIDC trust of the CI roles (pure). Two claims are checked:
 *
 * - `sub`, in the format(s) configured in project.yaml: `repo:owner/repo:…` (name) and/or
 *   `repo:owner@OWNER_ID/repo@REPO_ID:…` (immutable). GitHub: "repositories that use immutable subject
 *   claims include an immutable numeric ID for both the repository owner and the repository in the
 *   default subject (sub) claim … repo:octocat@123456/my-repo@456789:ref:refs/heads/main" (OIDC
 *   reference, "Immutable subject claims"; default for repositories created or renamed on or after
 *   2026-07-15). The ids are written out, never wildcarded.
 * - `job_workflow_ref` for the roles that change things (apply, release, status, build): only the named
 *   workflow file of the main branch may assume them. AWS STS validates GitHub's `job_workflow_ref`
 *   claim as a trust-policy condition key (AWS What's New, January 2026: "AWS STS supports validation of
 *   identity provider-specific claims" — GitHub: actor, job_workflow_ref, repository, ref, environment,
 *   …). A key STS did not know would be absent and StringEquals would fail: it fails closed.
 */
import type { ProjectConfig } from '../../environments/schema';
import { GITHUB_OIDC_HOST } from '../names';

/** The OIDC audience configure-aws-credentials requests. */
export const GITHUB_AUDIENCE = 'sts.amazonaws.com';

/** Workflow files whose jobs assume each kind of role (relative to .github/workflows/). */
export const ROLE_WORKFLOWS = {
  apply: ['infra-environment.yml'],
  release: ['deploy.yml', 'promote.yml', 'rollback.yml'],
  /** The release role's second statement: the scheduled hold-expiry enforcer (`<env>-hold-expiry`). */
  holdExpiry: ['hold-expiry.yml'],
  status: ['promote.yml'],
  build: ['build.yml'],
} as const;

type GithubSettings = ProjectConfig['github'];

/** `repo:<owner>/<repo>` and/or `repo:<owner>@<id>/<repo>@<id>`, per the configured format. */
export function subjectPrefixes(github: GithubSettings): string[] {
  const [owner, repo] = github.repository.split('/') as [string, string];
  const byName = `repo:${owner}/${repo}`;
  if (github.subjectFormat === 'name') return [byName];
  if (!github.ownerId || !github.repositoryId) {
    throw new Error(
      `github.subjectFormat "${github.subjectFormat}" needs github.ownerId and github.repositoryId (validated by the loader)`,
    );
  }
  const immutable = `repo:${owner}@${github.ownerId}/${repo}@${github.repositoryId}`;
  return github.subjectFormat === 'immutable' ? [immutable] : [byName, immutable];
}

/** The `sub` values of each trust: contexts like `pull_request`, `ref:refs/heads/main`, `environment:prod`. */
export function subjects(github: GithubSettings, contexts: readonly string[]): string[] {
  return subjectPrefixes(github).flatMap((prefix) => contexts.map((c) => `${prefix}:${c}`));
}

/** `owner/repo/.github/workflows/<file>@refs/heads/<main>` for each file. */
export function workflowRefs(github: GithubSettings, files: readonly string[]): string[] {
  return files.map((f) => `${github.repository}/.github/workflows/${f}@refs/heads/${github.mainBranch}`);
}

export interface TrustInput {
  /** ARN of the account's GitHub OIDC provider. */
  readonly providerArn: string;
  readonly subjects: readonly string[];
  /** Pinned `job_workflow_ref` values. @default none (plan: pull-request code may edit any workflow) */
  readonly workflowRefs?: readonly string[];
}

/** The trust policy (IAM JSON). */
export function githubTrustPolicy(input: TrustInput): Record<string, unknown> {
  const equals: Record<string, string | string[]> = {
    [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_AUDIENCE,
    [`${GITHUB_OIDC_HOST}:sub`]: [...input.subjects],
  };
  if (input.workflowRefs && input.workflowRefs.length > 0) {
    equals[`${GITHUB_OIDC_HOST}:job_workflow_ref`] = [...input.workflowRefs];
  }
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'GithubActions',
        Effect: 'Allow',
        Principal: { Federated: input.providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: equals },
      },
    ],
  };
}

/** The trusts of an environment's roles and of the build role. */
export function ciTrusts(
  github: GithubSettings,
  environment: string,
  providerArn: string,
  /** Environments whose `promotion.from` is this one: their promote job captures this one's status. */
  promotedTo: readonly string[] = [],
): Record<'plan' | 'apply' | 'release' | 'status', Record<string, unknown>> {
  const main = `ref:refs/heads/${github.mainBranch}`;
  const env = `environment:${environment}`;
  return {
    // Pull requests (branches of this repository; fork pull requests get no OIDC token) and main.
    plan: githubTrustPolicy({ providerArn, subjects: subjects(github, ['pull_request', main]) }),
    apply: githubTrustPolicy({
      providerArn,
      subjects: subjects(github, [env]),
      workflowRefs: workflowRefs(github, ROLE_WORKFLOWS.apply),
    }),
    release: withStatement(
      githubTrustPolicy({
        providerArn,
        subjects: subjects(github, [env]),
        workflowRefs: workflowRefs(github, ROLE_WORKFLOWS.release),
      }),
      // hold-expiry.yml aborts expired holds on a schedule: no reviewer is there to approve it, so it runs
      // in its own GitHub Environment `<env>-hold-expiry` (no required reviewers; main only). A separate
      // statement, so neither the deploy workflows in that environment nor hold-expiry.yml in `<env>`
      // match it (one statement would accept every sub × workflow pair).
      'HoldExpiry',
      githubTrustPolicy({
        providerArn,
        subjects: subjects(github, [`${env}-hold-expiry`]),
        workflowRefs: workflowRefs(github, ROLE_WORKFLOWS.holdExpiry),
      }),
    ),
    // The promote job is bound to the target's GitHub Environment: its token carries that subject.
    status: githubTrustPolicy({
      providerArn,
      subjects: subjects(github, [main, ...promotedTo.map((t) => `environment:${t}`)]),
      workflowRefs: workflowRefs(github, ROLE_WORKFLOWS.status),
    }),
  };
}

/** `policy` with the statement of `extra` appended under `sid`. */
function withStatement(
  policy: Record<string, unknown>,
  sid: string,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const [statement] = extra['Statement'] as Record<string, unknown>[];
  return {
    ...policy,
    Statement: [...(policy['Statement'] as unknown[]), { ...statement, Sid: sid }],
  };
}

export function buildTrust(github: GithubSettings, providerArn: string): Record<string, unknown> {
  return githubTrustPolicy({
    providerArn,
    subjects: subjects(github, [`ref:refs/heads/${github.mainBranch}`]),
    workflowRefs: workflowRefs(github, ROLE_WORKFLOWS.build),
  });
}
