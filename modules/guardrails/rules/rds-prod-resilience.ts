import { isTrue } from '../config';
import type { GuardrailRule } from '../types';

export const rdsProdResilience: GuardrailRule = {
  id: 'SY-RDS-3',
  severity: 'error',
  title: 'prod databases have deletion protection and Multi-AZ',
  explanation:
    'In prod a single `terraform destroy`, a replaced resource or one failed Availability Zone must not take the ' +
    'database with it. Deletion protection makes AWS refuse the delete until it is switched off deliberately; ' +
    'Multi-AZ keeps a synchronous standby that takes over automatically. Set `deletionProtection: true` and ' +
    '`multiAz: true` (Aurora clusters: `deletionProtection: true` and instances in several AZs). Only checked ' +
    'when the tier is prod.',
  appliesTo: ['aws_db_instance', 'aws_rds_cluster'],
  check: (resource, context) => {
    if (context.tier !== 'prod') return [];
    const problems: string[] = [];
    if (!isTrue(resource.config.deletion_protection))
      problems.push('prod database without deletion_protection');
    if (resource.type === 'aws_db_instance' && !isTrue(resource.config.multi_az)) {
      problems.push('prod database without multi_az');
    }
    return problems;
  },
};
