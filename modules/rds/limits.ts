/** Limits of the RDS module shared with the environment rules (pure: no provider imports). */

/** User names RDS PostgreSQL reserves (refused for the master and the application user). */
export const RESERVED_DB_USERS: readonly string[] = [
  'postgres',
  'rdsadmin',
  'admin',
  'root',
  'rds_superuser',
];

/**
 * Tag on the DB instance recording the explicit opt-in `allowStorageKmsReplacement`: the storage-key guard
 * (a plan-time precondition) lets a replacement through only when the *running* instance carries it.
 */
export const STORAGE_KMS_REPLACEMENT_TAG = 'switchyard:storage-kms-replacement';
