import { isTrue } from '../config';
import type { GuardrailRule } from '../types';

export const redisTransitEncryption: GuardrailRule = {
  id: 'SY-REDIS-2',
  severity: 'error',
  title: 'ElastiCache requires TLS in transit',
  explanation:
    'Without in-transit encryption the AUTH token and every cached value cross the VPC in clear text, and AUTH ' +
    'tokens / RBAC users are only accepted over TLS anyway. Set `transitEncryptionEnabled: true` and leave ' +
    '`transitEncryptionMode` unset or `required` (`preferred` still accepts plain-text clients and is only meant ' +
    'for a migration window).',
  appliesTo: ['aws_elasticache_replication_group'],
  check: (resource) => {
    const problems: string[] = [];
    if (!isTrue(resource.config.transit_encryption_enabled)) {
      problems.push('transit_encryption_enabled is not true: clients talk to the cache in clear text');
    }
    const mode = resource.config.transit_encryption_mode;
    if (mode !== undefined && mode !== 'required') {
      problems.push(`transit_encryption_mode is ${JSON.stringify(mode)}: must be "required"`);
    }
    return problems;
  },
};
