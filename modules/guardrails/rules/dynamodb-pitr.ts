import { block, isTrue } from '../config';
import type { GuardrailRule } from '../types';

export const dynamodbPitr: GuardrailRule = {
  id: 'SY-DDB-2',
  severity: 'error',
  title: 'DynamoDB tables have point-in-time recovery',
  explanation:
    'The deployment table holds the deploy lock and the release history that rollback and promote depend on; a ' +
    'bad write or an accidental delete must be recoverable to any second of the last 35 days. Set ' +
    '`pointInTimeRecovery: { enabled: true }`. PITR costs little for small tables, so it applies in every tier.',
  appliesTo: ['aws_dynamodb_table'],
  check: (resource) =>
    isTrue(block(resource.config.point_in_time_recovery).enabled)
      ? []
      : ['point_in_time_recovery is not enabled'],
};
