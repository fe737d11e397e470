import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { Construct } from 'constructs';
import { partitionOf } from '../vpc/partition';
import { boundedName } from './names';

/**
 * Elastic Load Balancing account per region (regions opened before August 2022). Newer regions use the
 * `logdelivery.elasticloadbalancing.amazonaws.com` service principal, which the policy always grants too.
 */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-east-1': '127311923021',
  'us-east-2': '033677994240',
  'us-west-1': '027434742980',
  'us-west-2': '797873946194',
  'af-south-1': '098369216593',
  'ap-east-1': '754344448648',
  'ap-south-1': '718504428378',
  'ap-northeast-1': '582318560864',
  'ap-northeast-2': '600734575887',
  'ap-northeast-3': '383597477331',
  'ap-southeast-1': '114774131450',
  'ap-southeast-2': '783225319266',
  'ap-southeast-3': '589379963580',
  'ca-central-1': '985666609251',
  'eu-central-1': '054676820928',
  'eu-west-1': '156460612806',
  'eu-west-2': '652711504416',
  'eu-west-3': '009996457667',
  'eu-south-1': '635631232127',
  'eu-north-1': '897822967062',
  'me-south-1': '076674570225',
  'sa-east-1': '507241528517',
};

export interface AccessLogsBucketProps {
  readonly bucketName: string;
  readonly region: string;
  readonly accountId: string;
  /** Days objects are kept. */
  readonly expireDays: number;
}

/**
 * S3 bucket for ALB access logs: SSE-S3 (the only encryption ALB log delivery supports), public access
 * blocked, bucket-owner-enforced ownership, TLS-only policy, writes only by ELB log delivery into this
 * account's prefix, expiry.
 */
export class AccessLogsBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly bucketName: string;
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: AccessLogsBucketProps) {
    super(scope, id);
    this.bucketName = boundedName([props.bucketName], 63);
    this.bucket = new S3Bucket(this, 'bucket', { bucket: this.bucketName });
    new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: this.bucket.id,
      rule: [
        {
          id: 'expire-access-logs',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          expiration: [{ days: props.expireDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    const objects = `${this.bucket.arn}/*/AWSLogs/${props.accountId}/*`;
    const elbAccount = ELB_LOG_ACCOUNTS[props.region];
    const statements: Record<string, unknown>[] = [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'ElbLogDeliveryService',
        Effect: 'Allow',
        Principal: { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: objects,
      },
    ];
    if (elbAccount) {
      statements.push({
        Sid: 'ElbLogDeliveryAccount',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partitionOf(props.region)}:iam::${elbAccount}:root` },
        Action: 's3:PutObject',
        Resource: objects,
      });
    }
    this.policy = new S3BucketPolicy(this, 'policy', {
      bucket: this.bucket.id,
      policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    });
  }
}
