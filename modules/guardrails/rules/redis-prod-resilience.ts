import { isTrue } from '../config';
import type { GuardrailRule } from '../types';

export const redisProdResilience: GuardrailRule = {
  id: 'SY-REDIS-3',
  severity: 'error',
  title: 'prod caches fail over automatically across AZs',
  explanation:
    'In prod the loss of the primary node or of one Availability Zone must promote a replica by itself instead of ' +
    'waiting for someone to rebuild the cache. Set `automaticFailoverEnabled: true` and `multiAzEnabled: true` ' +
    'with at least one replica (`numCacheClusters >= 2` or replicas per shard). Only checked when the tier is prod.',
  appliesTo: ['aws_elasticache_replication_group'],
  check: (resource, context) => {
    if (context.tier !== 'prod') return [];
    const problems: string[] = [];
    if (!isTrue(resource.config.automatic_failover_enabled))
      problems.push('prod cache without automatic_failover_enabled');
    if (!isTrue(resource.config.multi_az_enabled)) problems.push('prod cache without multi_az_enabled');
    return problems;
  },
};
