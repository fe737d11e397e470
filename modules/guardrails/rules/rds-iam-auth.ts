import { isTrue } from '../config';
import type { GuardrailRule } from '../types';

export const rdsIamAuth: GuardrailRule = {
  id: 'SY-RDS-4',
  severity: 'warning',
  title: 'RDS IAM database authentication is enabled',
  explanation:
    'IAM authentication lets tasks connect with short-lived tokens tied to their task role instead of a shared ' +
    'long-lived password, and access is revoked by changing IAM rather than rotating a secret everywhere. Set ' +
    '`iamDatabaseAuthenticationEnabled: true`. A warning because the master password (managed in Secrets ' +
    'Manager) remains a valid way in.',
  appliesTo: ['aws_db_instance', 'aws_rds_cluster'],
  check: (resource) =>
    isTrue(resource.config.iam_database_authentication_enabled)
      ? []
      : ['iam_database_authentication_enabled is not true'],
};
