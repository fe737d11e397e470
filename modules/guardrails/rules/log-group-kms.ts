import type { GuardrailRule } from '../types';

export const logGroupKms: GuardrailRule = {
  id: 'SY-LOG-1',
  severity: 'warning',
  title: 'CloudWatch log groups are encrypted with a customer KMS key',
  explanation:
    'CloudWatch Logs always encrypts log data at rest with a service key; a customer managed KMS key adds an ' +
    'audit trail of every decrypt and lets access be revoked by key policy, which matters when application logs ' +
    'can carry personal data. Set `kmsKeyId` to a key whose policy allows the `logs.<region>.amazonaws.com` ' +
    'principal. A warning because the data is encrypted either way.',
  appliesTo: ['aws_cloudwatch_log_group'],
  check: (resource) =>
    resource.config.kms_key_id ? [] : ['log group has no kms_key_id (service-key encryption only)'],
};
