/** Limits of the RDS module shared with the environment rules (pure: no provider imports). */

/** User names RDS PostgreSQL reserves (refused for the master and the application user). */
export const RESERVED_DB_USERS: readonly string[] = [
  'postgres',
  'rdsadmin',
  'admin',
  'root',
  'rds_superuser',
];
