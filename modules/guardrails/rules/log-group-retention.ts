import type { GuardrailRule } from '../types';

export const logGroupRetention: GuardrailRule = {
  id: 'SY-LOG-2',
  severity: 'warning',
  title: 'CloudWatch log groups have a retention period',
  explanation:
    'Without `retentionInDays` logs are kept forever: cost grows without bound and data that should age out ' +
    '(personal data, tokens logged by mistake) never does. Set `retentionInDays` from the tier defaults ' +
    '(0 means never expire and is reported too).',
  appliesTo: ['aws_cloudwatch_log_group'],
  check: (resource) => {
    const days = resource.config.retention_in_days;
    return typeof days === 'number' && days > 0 ? [] : ['log group has no retention_in_days (kept forever)'];
  },
};
