import { block, isTrue } from '../config';
import type { GuardrailRule } from '../types';

export const dynamodbEncryption: GuardrailRule = {
  id: 'SY-DDB-1',
  severity: 'warning',
  title: 'DynamoDB tables use a KMS key (AWS managed or customer managed)',
  explanation:
    'DynamoDB encrypts every table at rest, by default with an AWS owned key that is invisible to the account: no ' +
    'CloudTrail record of its use, no way to revoke it. `serverSideEncryption: { enabled: true }` switches to ' +
    'the AWS managed `aws/dynamodb` key (or `kmsKeyArn` for a customer key), which is auditable. A warning ' +
    'because the data is encrypted either way.',
  appliesTo: ['aws_dynamodb_table'],
  check: (resource) =>
    isTrue(block(resource.config.server_side_encryption).enabled)
      ? []
      : ['server_side_encryption is not enabled (AWS owned key, not auditable)'],
};
