/**
 * Key design of the deployment table (one table per environment: lock + release history).
 *
 * The DynamoDB store adapter of the deployer imports these names; the table in `./index.ts` is built
 * from them, so both sides cannot drift. Keep this file free of cdktf and AWS SDK imports.
 *
 * Items (all share the partition `<env>#<svc>`):
 *
 * | item                | pk            | sk                                     | rid (GSI `by-release-id`) |
 * |---------------------|---------------|----------------------------------------|---------------------------|
 * | lock                | `<env>#<svc>` | `LOCK`                                 | —                         |
 * | release             | `<env>#<svc>` | `RELEASE#<startedAt ms, 13 digits>#<id>` | `<env>#<svc>#<id>`      |
 * | forced-unlock audit | `<env>#<svc>` | `UNLOCK#<at ms, 13 digits>#<token>`    | —                         |
 *
 * - Lock: conditional `PutItem` with `attribute_not_exists(pk) OR expiresAt < :now`; renew/release with
 *   `token = :token`. Every lock attribute lives on that one item.
 * - Releases newest first: `Query pk = :pk AND begins_with(sk, 'RELEASE#')`, `ScanIndexForward=false`,
 *   `Limit=n`. The zero-padded start time makes lexical order = chronological order.
 * - One release by id: `Query` the GSI `by-release-id` on `rid = <env>#<svc>#<id>` (projection ALL),
 *   or `GetItem` directly when the start time is known.
 */

/** Partition key attribute name (string). */
export const PARTITION_KEY = 'pk';
/** Sort key attribute name (string). */
export const SORT_KEY = 'sk';
/** Global secondary index to fetch a release by its id alone. */
export const RELEASE_ID_INDEX = 'by-release-id';
/** Hash key attribute of {@link RELEASE_ID_INDEX} (string), present only on release items. */
export const RELEASE_ID_ATTRIBUTE = 'rid';

/** Sort key of the lock item. */
export const LOCK_SORT_KEY = 'LOCK';
/** Prefix of release sort keys (for `begins_with`). */
export const RELEASE_SORT_PREFIX = 'RELEASE#';
/** Prefix of forced-unlock audit sort keys (for `begins_with`). */
export const UNLOCK_SORT_PREFIX = 'UNLOCK#';

const SEPARATOR = '#';

function checkPart(kind: string, value: string): void {
  if (value.length === 0 || value.includes(SEPARATOR)) {
    throw new Error(
      `deployment table key: ${kind} must be non-empty and must not contain "#" (got "${value}")`,
    );
  }
}

function paddedMillis(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > 9_999_999_999_999) {
    throw new Error(`deployment table key: timestamp must be epoch milliseconds (got ${ms})`);
  }
  return String(ms).padStart(13, '0');
}

/** `<env>#<svc>` */
export function partitionKey(environment: string, service: string): string {
  checkPart('environment', environment);
  checkPart('service', service);
  return `${environment}${SEPARATOR}${service}`;
}

/** `RELEASE#<startedAt, 13 digits>#<id>` */
export function releaseSortKey(startedAtMs: number, releaseId: string): string {
  checkPart('release id', releaseId);
  return `${RELEASE_SORT_PREFIX}${paddedMillis(startedAtMs)}${SEPARATOR}${releaseId}`;
}

/** `<env>#<svc>#<id>`, the {@link RELEASE_ID_ATTRIBUTE} value of a release item. */
export function releaseIdKey(environment: string, service: string, releaseId: string): string {
  checkPart('release id', releaseId);
  return `${partitionKey(environment, service)}${SEPARATOR}${releaseId}`;
}

/** `UNLOCK#<at, 13 digits>#<token of the removed lock>` */
export function unlockAuditSortKey(atMs: number, removedToken: string): string {
  checkPart('lock token', removedToken);
  return `${UNLOCK_SORT_PREFIX}${paddedMillis(atMs)}${SEPARATOR}${removedToken}`;
}

/** Table name for an environment: `<project>-<env>-deployments`. */
export function deploymentTableName(project: string, environment: string): string {
  return `${project}-${environment}-deployments`;
}
