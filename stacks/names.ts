/**
 * Names shared by the bootstrap stack (which creates them), the environment stacks and the workflows
 * (which reference them by name or ARN without a data source, so everything synthesizes offline).
 * Pure: no cdktf import.
 */

/** GitHub's OIDC issuer host (the provider URL is `https://<host>`, the condition-key prefix `<host>:`). */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/** Name of the managed policy every IAM role of an environment stack carries as its permissions boundary. */
export function permissionsBoundaryName(project: string, environment: string): string {
  return `${project}-${environment}-boundary`;
}

/** ARN of that policy (deterministic: bootstrap creates it in the environment's account). */
export function permissionsBoundaryArn(
  partition: string,
  accountId: string,
  project: string,
  environment: string,
): string {
  return `arn:${partition}:iam::${accountId}:policy/${permissionsBoundaryName(project, environment)}`;
}

/** The CI jobs that assume a role in an environment's account. */
export const CI_JOBS = ['plan', 'apply', 'release', 'status'] as const;
export type CiJob = (typeof CI_JOBS)[number];

/** Role names of an environment's CI roles: `<project>-<env>-plan|apply|release|status`. */
export function ciRoleNames(project: string, environment: string): Record<CiJob, string> {
  return {
    plan: `${project}-${environment}-plan`,
    apply: `${project}-${environment}-apply`,
    release: `${project}-${environment}-release`,
    status: `${project}-${environment}-status`,
  };
}

/** The build/push role of the shared-services account. */
export function buildRoleName(project: string): string {
  return `${project}-build`;
}

/** The permissions boundary every CI role of an environment carries: `<project>-<env>-ci-boundary`. */
export function ciBoundaryName(project: string, environment: string): string {
  return `${project}-${environment}-ci-boundary`;
}

/** Alias of an environment's own state key (in its account, in the state bucket's region). */
export function stateKeyAlias(project: string, environment: string): string {
  return `alias/${project}-${environment}-tfstate`;
}

/** Key of the bootstrap stack's own state in the state bucket (after the two-step migration). */
export function bootstrapStateKey(project: string): string {
  return `${project}/bootstrap/terraform.tfstate`;
}

/** ARN of the GitHub OIDC provider of an account (IAM names it after the issuer host). */
export function githubOidcProviderArn(partition: string, accountId: string): string {
  return `arn:${partition}:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}`;
}
