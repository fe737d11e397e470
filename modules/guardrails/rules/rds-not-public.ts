import { isFalseOrAbsent } from '../config';
import type { GuardrailRule } from '../types';

export const rdsNotPublic: GuardrailRule = {
  id: 'SY-RDS-2',
  severity: 'error',
  title: 'RDS instance is not publicly accessible',
  explanation:
    'A publicly accessible instance gets a public DNS name and address, so the only thing between the internet ' +
    'and the database is its security group and password. Databases live in the isolated subnets and are reached ' +
    'from the tasks only. Remove `publiclyAccessible` or set it to `false` (a Terraform expression is rejected ' +
    'too, because it cannot be verified at synth time).',
  appliesTo: ['aws_db_instance', 'aws_rds_cluster_instance'],
  check: (resource) =>
    isFalseOrAbsent(resource.config.publicly_accessible)
      ? []
      : [`publicly_accessible is ${JSON.stringify(resource.config.publicly_accessible)}: must be false`],
};
