import { isTrue } from '../config';
import type { GuardrailRule } from '../types';

export const redisAtRestEncryption: GuardrailRule = {
  id: 'SY-REDIS-1',
  severity: 'error',
  title: 'ElastiCache encrypts data at rest',
  explanation:
    'Cache nodes write snapshots and swap to disk; without at-rest encryption those copies (and backups exported ' +
    'to S3) are plain. It can only be chosen at creation. Use an `aws_elasticache_replication_group` with ' +
    '`atRestEncryptionEnabled: "true"` (a string in provider v6). A stand-alone Redis/Valkey ' +
    '`aws_elasticache_cluster` cannot be encrypted at all and is rejected; attach it to a replication group.',
  appliesTo: ['aws_elasticache_replication_group', 'aws_elasticache_cluster'],
  check: (resource) => {
    if (resource.type === 'aws_elasticache_cluster') {
      const engine = resource.config.engine;
      const standalone = resource.config.replication_group_id === undefined;
      if (standalone && (engine === 'redis' || engine === 'valkey')) {
        return [
          `stand-alone ${engine} cluster cannot encrypt data at rest: use aws_elasticache_replication_group`,
        ];
      }
      return [];
    }
    return isTrue(resource.config.at_rest_encryption_enabled)
      ? []
      : ['at_rest_encryption_enabled is not true: cache data and snapshots are unencrypted at rest'];
  },
};
