/**
 * Names shared by the bootstrap stack (which creates them) and the environment stacks (which reference
 * them by ARN without a data source, so an environment synthesizes offline).
 */

/** Name of the managed policy every IAM role of an environment carries as its permissions boundary. */
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
