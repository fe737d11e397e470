import { bucketHasCompanion, isTrue } from '../config';
import type { GuardrailRule } from '../types';

const PAB = 'aws_s3_bucket_public_access_block';
const FLAGS = [
  'block_public_acls',
  'block_public_policy',
  'ignore_public_acls',
  'restrict_public_buckets',
] as const;

export const s3PublicAccessBlock: GuardrailRule = {
  id: 'SY-S3-2',
  severity: 'error',
  title: 'S3 buckets block public access',
  explanation:
    'A single permissive bucket policy or ACL is enough to publish a bucket (access logs, state, artefacts) to the ' +
    'internet. A public access block with all four flags on makes S3 reject such policies and ignore public ACLs ' +
    'whatever else is configured. Add an `S3BucketPublicAccessBlock` for the bucket with `blockPublicAcls`, ' +
    '`blockPublicPolicy`, `ignorePublicAcls` and `restrictPublicBuckets` all `true`.',
  appliesTo: ['aws_s3_bucket'],
  contextTypes: [PAB],
  check: (resource, context) => {
    const blocks = bucketHasCompanion(resource, context, PAB);
    if (blocks.length === 0) return [`bucket has no ${PAB}`];
    const complete = blocks.some((b) => FLAGS.every((flag) => isTrue(b.config[flag])));
    if (complete) return [];
    const missing = FLAGS.filter((flag) => !blocks.some((b) => isTrue(b.config[flag])));
    return [`${PAB} for the bucket does not set ${missing.join(', ')} to true`];
  },
};
