import { asArray, block, bucketHasCompanion } from '../config';
import type { GuardrailRule } from '../types';

const SSE = 'aws_s3_bucket_server_side_encryption_configuration';

export const s3Encryption: GuardrailRule = {
  id: 'SY-S3-1',
  severity: 'error',
  title: 'S3 buckets declare server-side encryption',
  explanation:
    'S3 applies SSE-S3 to new objects by default, but only a declared ' +
    '`aws_s3_bucket_server_side_encryption_configuration` puts the setting under Terraform (so a console change ' +
    'shows up as drift), makes the choice reviewable and is where a KMS key and bucket keys are configured. Add ' +
    'an `S3BucketServerSideEncryptionConfigurationA` for the bucket with an `applyServerSideEncryptionByDefault` ' +
    'rule (`AES256` or `aws:kms`).',
  appliesTo: ['aws_s3_bucket'],
  contextTypes: [SSE],
  check: (resource, context) => {
    const configs = bucketHasCompanion(resource, context, SSE);
    if (configs.length === 0) return [`bucket has no ${SSE}`];
    const algorithms = configs.flatMap((c) =>
      asArray(c.config.rule).map(
        (r) => block(block(r).apply_server_side_encryption_by_default).sse_algorithm,
      ),
    );
    return algorithms.some((a) => typeof a === 'string' && a.length > 0)
      ? []
      : [`${SSE} for the bucket has no apply_server_side_encryption_by_default.sse_algorithm`];
  },
};
