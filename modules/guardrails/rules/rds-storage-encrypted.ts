import { isTrue } from '../config';
import type { GuardrailRule } from '../types';

export const rdsStorageEncrypted: GuardrailRule = {
  id: 'SY-RDS-1',
  severity: 'error',
  title: 'RDS storage is encrypted at rest',
  explanation:
    'An unencrypted database leaves data, automated backups, snapshots and read replicas readable to anyone who ' +
    'obtains the underlying storage or a shared snapshot, and encryption cannot be switched on in place later ' +
    '(it needs a snapshot-copy-restore migration). Set `storageEncrypted: true` (and `kmsKeyId` to a customer ' +
    'managed key where the tier requires it).',
  appliesTo: ['aws_db_instance', 'aws_rds_cluster'],
  check: (resource) =>
    isTrue(resource.config.storage_encrypted)
      ? []
      : ['storage_encrypted is not true: database storage is unencrypted'],
};
