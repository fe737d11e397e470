import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsSecretsmanagerRandomPassword } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { ElasticacheCluster } from '@cdktf/provider-aws/lib/elasticache-cluster';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener, type LbListenerDefaultAction } from '@cdktf/provider-aws/lib/lb-listener';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { SecurityGroupRule } from '@cdktf/provider-aws/lib/security-group-rule';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Fn, type TerraformStack } from 'cdktf';
import { MODERN_TLS_POLICIES, RULES } from '../../../modules/guardrails';
import { all, evaluate, findingsOf } from './build';

// ---------- fixtures: a compliant version of each resource; tests break one thing at a time ----------

function goodDb(stack: TerraformStack, id = 'db', overrides: Record<string, unknown> = {}): DbInstance {
  const key = new KmsKey(stack, `${id}-key`, { enableKeyRotation: true });
  return new DbInstance(stack, id, {
    engine: 'postgres',
    instanceClass: 'db.t4g.micro',
    allocatedStorage: 20,
    storageEncrypted: true,
    kmsKeyId: key.arn,
    manageMasterUserPassword: true,
    iamDatabaseAuthenticationEnabled: true,
    publiclyAccessible: false,
    multiAz: true,
    deletionProtection: true,
    lifecycle: { preventDestroy: true },
    ...overrides,
  });
}

function goodRedis(
  stack: TerraformStack,
  overrides: Record<string, unknown> = {},
): ElasticacheReplicationGroup {
  return new ElasticacheReplicationGroup(stack, 'cache', {
    replicationGroupId: 'cache',
    description: 'cache',
    engine: 'redis',
    nodeType: 'cache.t4g.micro',
    numCacheClusters: 2,
    atRestEncryptionEnabled: 'true',
    transitEncryptionEnabled: true,
    automaticFailoverEnabled: true,
    multiAzEnabled: true,
    ...overrides,
  });
}

function bucket(
  stack: TerraformStack,
  opts: { sse?: boolean; pab?: Partial<Record<string, boolean>> } = {},
): S3Bucket {
  const b = new S3Bucket(stack, 'logs', { bucket: 'switchyard-dev-logs' });
  if (opts.sse !== false) {
    new S3BucketServerSideEncryptionConfigurationA(stack, 'logs-sse', {
      bucket: b.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
  }
  if (opts.pab !== undefined) {
    new S3BucketPublicAccessBlock(stack, 'logs-pab', {
      bucket: b.bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
      ...opts.pab,
    });
  }
  return b;
}

function alb(stack: TerraformStack, overrides: Record<string, unknown> = {}): { lb: Lb; sg: SecurityGroup } {
  const sg = new SecurityGroup(stack, 'alb-sg', { name: 'alb', vpcId: 'vpc-1' });
  const lb = new Lb(stack, 'alb', {
    loadBalancerType: 'application',
    securityGroups: [sg.id],
    subnets: ['subnet-1', 'subnet-2'],
    dropInvalidHeaderFields: true,
    enableDeletionProtection: true,
    ...overrides,
  });
  return { lb, sg };
}

function taskDefinition(stack: TerraformStack, containers: Record<string, unknown>[]): EcsTaskDefinition {
  return new EcsTaskDefinition(stack, 'task', {
    family: 'api',
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    containerDefinitions: JSON.stringify(containers),
  });
}

const goodContainer = {
  name: 'api',
  image: 'repo@sha256:abc',
  readonlyRootFilesystem: true,
  environment: [],
};

// ---------- the pack itself ----------

describe('rule pack', () => {
  it('has unique SY- ids, a severity, an explanation and resource types for every rule', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^SY-[A-Z0-9]+-\d+$/);
      expect(['error', 'warning']).toContain(rule.severity);
      expect(rule.explanation.length).toBeGreaterThan(120);
      expect(rule.appliesTo.length).toBeGreaterThan(0);
    }
  });

  it('fully compliant resources produce no finding at all, in prod', () => {
    const report = evaluate((s) => {
      goodDb(s);
      goodRedis(s);
      bucket(s, { pab: {} });
      const { lb, sg } = alb(s);
      new VpcSecurityGroupIngressRule(s, 'alb-443', {
        securityGroupId: sg.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
      });
      new LbListener(s, 'https', {
        loadBalancerArn: lb.arn,
        port: 443,
        protocol: 'HTTPS',
        sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
        certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/x',
        defaultAction: [
          { type: 'fixed-response', fixedResponse: { contentType: 'text/plain', statusCode: '404' } },
        ],
      });
      taskDefinition(s, [goodContainer]);
      new CloudwatchLogGroup(s, 'lg', { name: '/x', retentionInDays: 30, kmsKeyId: 'arn:aws:kms:k' });
      new DynamodbTable(s, 'table', {
        name: 't',
        hashKey: 'pk',
        attribute: [{ name: 'pk', type: 'S' }],
        billingMode: 'PAY_PER_REQUEST',
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true },
      });
      new EcrRepository(s, 'repo', { name: 'api', imageTagMutability: 'IMMUTABLE' });
    }, 'prod');
    expect(all(report)).toEqual([]);
  });
});

// ---------- RDS ----------

describe('SY-RDS-1 storage encryption', () => {
  it('fails an unencrypted instance and an unencrypted Aurora cluster', () => {
    const report = evaluate((s) => {
      goodDb(s, 'db', { storageEncrypted: false });
      new RdsCluster(s, 'aurora', { engine: 'aurora-postgresql', deletionProtection: true });
    });
    expect(findingsOf(report, 'SY-RDS-1')).toEqual([
      'dev/db: storage_encrypted is not true: database storage is unencrypted',
      'dev/aurora: storage_encrypted is not true: database storage is unencrypted',
    ]);
    expect(report.errors.map((f) => f.ruleId)).toContain('SY-RDS-1');
  });
  it('passes an encrypted instance', () => {
    expect(
      findingsOf(
        evaluate((s) => goodDb(s)),
        'SY-RDS-1',
      ),
    ).toEqual([]);
  });
});

describe('SY-RDS-2 not publicly accessible', () => {
  it('fails publicly_accessible true, also when set through an override', () => {
    const report = evaluate((s) => {
      goodDb(s, 'a', { publiclyAccessible: true });
      goodDb(s, 'b').addOverride('publicly_accessible', true);
    });
    expect(findingsOf(report, 'SY-RDS-2')).toEqual([
      'dev/a: publicly_accessible is true: must be false',
      'dev/b: publicly_accessible is true: must be false',
    ]);
  });
  it('passes false or absent', () => {
    const report = evaluate((s) => {
      goodDb(s, 'a');
      goodDb(s, 'b', { publiclyAccessible: undefined });
    });
    expect(findingsOf(report, 'SY-RDS-2')).toEqual([]);
  });
});

describe('SY-RDS-3 prod deletion protection and Multi-AZ', () => {
  const weak = (s: TerraformStack) => goodDb(s, 'db', { multiAz: false, deletionProtection: false });
  it('fails a prod database without deletion protection and Multi-AZ', () => {
    expect(findingsOf(evaluate(weak, 'prod'), 'SY-RDS-3')).toEqual([
      'prod/db: prod database without deletion_protection',
      'prod/db: prod database without multi_az',
    ]);
  });
  it('does not apply to dev and staging, and passes a protected prod database', () => {
    expect(findingsOf(evaluate(weak, 'dev'), 'SY-RDS-3')).toEqual([]);
    expect(findingsOf(evaluate(weak, 'staging'), 'SY-RDS-3')).toEqual([]);
    expect(
      findingsOf(
        evaluate((s) => goodDb(s), 'prod'),
        'SY-RDS-3',
      ),
    ).toEqual([]);
  });
});

describe('SY-RDS-4 IAM database authentication (warning)', () => {
  it('warns when IAM auth is off, passes when on', () => {
    const bad = evaluate((s) => goodDb(s, 'db', { iamDatabaseAuthenticationEnabled: false }));
    expect(findingsOf(bad, 'SY-RDS-4')).toEqual(['dev/db: iam_database_authentication_enabled is not true']);
    expect(bad.warnings.map((f) => f.ruleId)).toEqual(['SY-RDS-4']);
    expect(bad.errors).toEqual([]);
    expect(
      findingsOf(
        evaluate((s) => goodDb(s)),
        'SY-RDS-4',
      ),
    ).toEqual([]);
  });
});

// ---------- ElastiCache ----------

describe('SY-REDIS-1 at-rest encryption', () => {
  it('fails a replication group without at-rest encryption and a stand-alone redis cluster', () => {
    const report = evaluate((s) => {
      goodRedis(s, { atRestEncryptionEnabled: 'false' });
      new ElasticacheCluster(s, 'single', {
        clusterId: 'single',
        engine: 'redis',
        nodeType: 'cache.t4g.micro',
      });
    });
    expect(findingsOf(report, 'SY-REDIS-1')).toEqual([
      'dev/cache: at_rest_encryption_enabled is not true: cache data and snapshots are unencrypted at rest',
      'dev/single: stand-alone redis cluster cannot encrypt data at rest: use aws_elasticache_replication_group',
    ]);
  });
  it('passes an encrypted replication group', () => {
    expect(
      findingsOf(
        evaluate((s) => goodRedis(s)),
        'SY-REDIS-1',
      ),
    ).toEqual([]);
  });
});

describe('SY-REDIS-2 in-transit encryption', () => {
  it('fails without TLS and with the "preferred" migration mode', () => {
    const report = evaluate((s) =>
      goodRedis(s, { transitEncryptionEnabled: false, transitEncryptionMode: 'preferred' }),
    );
    expect(findingsOf(report, 'SY-REDIS-2')).toEqual([
      'dev/cache: transit_encryption_enabled is not true: clients talk to the cache in clear text',
      'dev/cache: transit_encryption_mode is "preferred": must be "required"',
    ]);
  });
  it('passes with TLS required', () => {
    expect(
      findingsOf(
        evaluate((s) => goodRedis(s, { transitEncryptionMode: 'required' })),
        'SY-REDIS-2',
      ),
    ).toEqual([]);
  });
});

describe('SY-REDIS-3 prod failover and Multi-AZ', () => {
  const weak = (s: TerraformStack) =>
    goodRedis(s, { automaticFailoverEnabled: false, multiAzEnabled: false });
  it('fails in prod', () => {
    expect(findingsOf(evaluate(weak, 'prod'), 'SY-REDIS-3')).toEqual([
      'prod/cache: prod cache without automatic_failover_enabled',
      'prod/cache: prod cache without multi_az_enabled',
    ]);
  });
  it('passes in dev, and a resilient cache in prod', () => {
    expect(findingsOf(evaluate(weak, 'dev'), 'SY-REDIS-3')).toEqual([]);
    expect(
      findingsOf(
        evaluate((s) => goodRedis(s), 'prod'),
        'SY-REDIS-3',
      ),
    ).toEqual([]);
  });
});

// ---------- S3 ----------

describe('SY-S3-1 bucket encryption configuration', () => {
  it('fails a bucket without an SSE configuration resource', () => {
    expect(
      findingsOf(
        evaluate((s) => bucket(s, { sse: false, pab: {} })),
        'SY-S3-1',
      ),
    ).toEqual(['dev/logs: bucket has no aws_s3_bucket_server_side_encryption_configuration']);
  });
  it('fails an SSE configuration for another bucket', () => {
    const report = evaluate((s) => {
      bucket(s, { sse: false, pab: {} });
      const other = new S3Bucket(s, 'other', { bucket: 'other' });
      new S3BucketServerSideEncryptionConfigurationA(s, 'other-sse', {
        bucket: other.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' } }],
      });
    });
    expect(findingsOf(report, 'SY-S3-1')).toEqual([
      'dev/logs: bucket has no aws_s3_bucket_server_side_encryption_configuration',
    ]);
  });
  it('passes a bucket whose SSE configuration references it, or names it literally', () => {
    expect(
      findingsOf(
        evaluate((s) => bucket(s, { pab: {} })),
        'SY-S3-1',
      ),
    ).toEqual([]);
    const literal = evaluate((s) => {
      new S3Bucket(s, 'b', { bucket: 'named' });
      new S3BucketServerSideEncryptionConfigurationA(s, 'sse', {
        bucket: 'named',
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
      });
    });
    expect(findingsOf(literal, 'SY-S3-1')).toEqual([]);
  });
});

describe('SY-S3-2 public access block', () => {
  it('fails a bucket without a public access block, and one with a flag off', () => {
    expect(
      findingsOf(
        evaluate((s) => bucket(s)),
        'SY-S3-2',
      ),
    ).toEqual(['dev/logs: bucket has no aws_s3_bucket_public_access_block']);
    expect(
      findingsOf(
        evaluate((s) => bucket(s, { pab: { restrictPublicBuckets: false } })),
        'SY-S3-2',
      ),
    ).toEqual([
      'dev/logs: aws_s3_bucket_public_access_block for the bucket does not set restrict_public_buckets to true',
    ]);
  });
  it('passes with all four flags on', () => {
    expect(
      findingsOf(
        evaluate((s) => bucket(s, { pab: {} })),
        'SY-S3-2',
      ),
    ).toEqual([]);
  });
});

// ---------- CloudWatch Logs ----------

describe('SY-LOG-1 log group KMS key (warning) and SY-LOG-2 retention (warning)', () => {
  it('warns about a log group without KMS key and without retention', () => {
    const report = evaluate((s) => new CloudwatchLogGroup(s, 'lg', { name: '/ecs/api' }));
    expect(findingsOf(report, 'SY-LOG-1')).toEqual([
      'dev/lg: log group has no kms_key_id (service-key encryption only)',
    ]);
    expect(findingsOf(report, 'SY-LOG-2')).toEqual([
      'dev/lg: log group has no retention_in_days (kept forever)',
    ]);
    expect(report.errors).toEqual([]);
  });
  it('retention 0 (never expire) is reported; a key and a retention pass', () => {
    expect(
      findingsOf(
        evaluate((s) => new CloudwatchLogGroup(s, 'lg', { retentionInDays: 0 })),
        'SY-LOG-2',
      ),
    ).toHaveLength(1);
    const good = evaluate((s) => {
      const key = new KmsKey(s, 'k', {});
      new CloudwatchLogGroup(s, 'lg', { retentionInDays: 14, kmsKeyId: key.arn });
    });
    expect(all(good)).toEqual([]);
  });
});

// ---------- DynamoDB ----------

describe('SY-DDB-1 KMS encryption (warning) and SY-DDB-2 PITR', () => {
  const table = (s: TerraformStack, extra: Record<string, unknown> = {}) =>
    new DynamodbTable(s, 'table', {
      name: 'deployments',
      hashKey: 'pk',
      attribute: [{ name: 'pk', type: 'S' }],
      billingMode: 'PAY_PER_REQUEST',
      ...extra,
    });
  it('flags a table with the AWS owned key and without PITR', () => {
    const report = evaluate((s) => table(s, { serverSideEncryption: { enabled: false } }));
    expect(findingsOf(report, 'SY-DDB-1')).toEqual([
      'dev/table: server_side_encryption is not enabled (AWS owned key, not auditable)',
    ]);
    expect(findingsOf(report, 'SY-DDB-2')).toEqual(['dev/table: point_in_time_recovery is not enabled']);
    expect(report.errors.map((f) => f.ruleId)).toEqual(['SY-DDB-2']);
  });
  it('passes a table with SSE and PITR', () => {
    const report = evaluate((s) =>
      table(s, { serverSideEncryption: { enabled: true }, pointInTimeRecovery: { enabled: true } }),
    );
    expect(all(report)).toEqual([]);
  });
});

// ---------- Security groups ----------

describe('SY-SG-1 world-open ingress', () => {
  it('fails inline ingress from 0.0.0.0/0 on a non-ALB group (SSH)', () => {
    const report = evaluate((s) => {
      new SecurityGroup(s, 'bastion', {
        ingress: [{ fromPort: 22, toPort: 22, protocol: 'tcp', cidrBlocks: ['0.0.0.0/0'] }],
      });
    });
    expect(findingsOf(report, 'SY-SG-1')).toEqual([
      'dev/bastion: inline ingress #0 opens tcp port 22 on a non-ALB group to 0.0.0.0/0; only the ALB on TCP 80/443 may be world-open',
    ]);
  });
  it('fails 443 from ::/0 on a group that is not attached to the ALB, even when it is called alb', () => {
    const report = evaluate((s) => {
      const sg = new SecurityGroup(s, 'alb-lookalike', { tags: { 'switchyard:role': 'alb' } });
      new SecurityGroupRule(s, 'https', {
        type: 'ingress',
        securityGroupId: sg.id,
        fromPort: 443,
        toPort: 443,
        protocol: 'tcp',
        ipv6CidrBlocks: ['::/0'],
      });
    });
    expect(findingsOf(report, 'SY-SG-1')).toEqual([
      'dev/https: ingress rule opens tcp port 443 on a non-ALB group to ::/0; only the ALB on TCP 80/443 may be world-open',
    ]);
  });
  it('fails the ALB group on other ports, port ranges and all protocols', () => {
    const report = evaluate((s) => {
      const { sg } = alb(s);
      new VpcSecurityGroupIngressRule(s, 'test-port', {
        securityGroupId: sg.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: 8443,
        toPort: 8443,
      });
      new VpcSecurityGroupIngressRule(s, 'range', {
        securityGroupId: sg.id,
        cidrIpv6: '::/0',
        ipProtocol: 'tcp',
        fromPort: 80,
        toPort: 443,
      });
      new VpcSecurityGroupIngressRule(s, 'all', {
        securityGroupId: sg.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: '-1',
      });
    });
    expect(findingsOf(report, 'SY-SG-1')).toEqual([
      'dev/test-port: ingress rule opens tcp port 8443 on the ALB to 0.0.0.0/0; only the ALB on TCP 80/443 may be world-open',
      'dev/range: ingress rule opens tcp port 80-443 on the ALB to ::/0; only the ALB on TCP 80/443 may be world-open',
      'dev/all: ingress rule opens all traffic on the ALB to 0.0.0.0/0; only the ALB on TCP 80/443 may be world-open',
    ]);
  });
  it('fails world-open ingress on the default security group', () => {
    const report = evaluate((s) => {
      new DefaultSecurityGroup(s, 'default', {
        vpcId: 'vpc-1',
        ingress: [{ fromPort: 0, toPort: 0, protocol: '-1', cidrBlocks: ['0.0.0.0/0'] }],
      });
    });
    expect(findingsOf(report, 'SY-SG-1')).toHaveLength(1);
  });
  it('passes the ALB on 80/443 (all three styles), chained groups and private CIDRs', () => {
    const report = evaluate((s) => {
      const sg = new SecurityGroup(s, 'alb-sg', {
        ingress: [
          {
            fromPort: 443,
            toPort: 443,
            protocol: 'tcp',
            cidrBlocks: ['0.0.0.0/0'],
            ipv6CidrBlocks: ['::/0'],
          },
        ],
      });
      new Lb(s, 'alb', { securityGroups: [sg.id], dropInvalidHeaderFields: true });
      new SecurityGroupRule(s, 'http', {
        type: 'ingress',
        securityGroupId: sg.id,
        fromPort: 80,
        toPort: 80,
        protocol: 'tcp',
        cidrBlocks: ['0.0.0.0/0'],
      });
      new VpcSecurityGroupIngressRule(s, 'https6', {
        securityGroupId: sg.id,
        cidrIpv6: '::/0',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
      });
      const tasks = new SecurityGroup(s, 'tasks', {});
      new VpcSecurityGroupIngressRule(s, 'from-alb', {
        securityGroupId: tasks.id,
        referencedSecurityGroupId: sg.id,
        ipProtocol: 'tcp',
        fromPort: 8080,
        toPort: 8080,
      });
      new VpcSecurityGroupIngressRule(s, 'office', {
        securityGroupId: tasks.id,
        cidrIpv4: '10.0.0.0/8',
        ipProtocol: 'tcp',
        fromPort: 9000,
        toPort: 9000,
      });
      new SecurityGroupRule(s, 'egress', {
        type: 'egress',
        securityGroupId: tasks.id,
        fromPort: 0,
        toPort: 0,
        protocol: '-1',
        cidrBlocks: ['0.0.0.0/0'],
      });
    });
    expect(findingsOf(report, 'SY-SG-1')).toEqual([]);
  });
  it('does not treat a network load balancer group as the ALB', () => {
    const report = evaluate((s) => {
      const sg = new SecurityGroup(s, 'nlb-sg', {
        ingress: [{ fromPort: 443, toPort: 443, protocol: 'tcp', cidrBlocks: ['0.0.0.0/0'] }],
      });
      new Lb(s, 'nlb', { loadBalancerType: 'network', securityGroups: [sg.id] });
    });
    expect(findingsOf(report, 'SY-SG-1')).toHaveLength(1);
  });
});

// ---------- ECS ----------

describe('SY-ECS-1 secrets in plain environment variables', () => {
  it('flags secret-looking names and key-looking values without echoing the value', () => {
    const awsKeyId = ['AKIA', 'IOSFODNN7EXAMPLE'].join('');
    const report = evaluate((s) =>
      taskDefinition(s, [
        {
          ...goodContainer,
          environment: [
            { name: 'DB_PASSWORD', value: 'hunter2hunter2' },
            { name: 'STRIPE_API_KEY', value: 'x' },
            { name: 'UPSTREAM', value: awsKeyId },
            { name: 'DATABASE_URL', value: 'postgres://app:s3cr3tpw@db:5432/app' },
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'DB_SECRET_ARN', value: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:db' },
            { name: 'OAUTH_TOKEN_URL', value: 'https://id.example.com/oauth2/token' },
            { name: 'DB_PASSWORD_FILE', value: '/run/secrets/db' },
          ],
        },
      ]),
    );
    const messages = findingsOf(report, 'SY-ECS-1');
    expect(messages).toEqual([
      'dev/task: container api: environment variable DB_PASSWORD looks like a secret passed as plain text; inject it through "secrets" with valueFrom',
      'dev/task: container api: environment variable STRIPE_API_KEY looks like a secret passed as plain text; inject it through "secrets" with valueFrom',
      'dev/task: container api: environment variable UPSTREAM holds what looks like an AWS access key id; inject it through "secrets" with valueFrom',
      'dev/task: container api: environment variable DATABASE_URL holds what looks like a URL with an embedded password; inject it through "secrets" with valueFrom',
    ]);
    const text = messages.join('\n');
    for (const secret of ['hunter2', awsKeyId, 's3cr3tpw']) expect(text).not.toContain(secret);
  });
  it('passes secrets injected with valueFrom and harmless variables', () => {
    const report = evaluate((s) => {
      const secret = new SecretsmanagerSecret(s, 'secret', { name: 'db' });
      taskDefinition(s, [
        {
          ...goodContainer,
          environment: [{ name: 'LOG_LEVEL', value: 'info' }],
          secrets: [{ name: 'DB_PASSWORD', valueFrom: secret.arn }],
        },
      ]);
    });
    expect(findingsOf(report, 'SY-ECS-1')).toEqual([]);
  });
  it('reports container definitions it cannot parse instead of passing them silently', () => {
    const report = evaluate((s) => {
      new EcsTaskDefinition(s, 'task', { family: 'x', containerDefinitions: Fn.jsonencode([goodContainer]) });
    });
    expect(findingsOf(report, 'SY-ECS-1')[0]).toMatch(/not literal JSON/);
  });
});

describe('SY-ECS-2 read-only root filesystem', () => {
  it('fails every container that does not set readonlyRootFilesystem: true', () => {
    const report = evaluate((s) =>
      taskDefinition(s, [
        goodContainer,
        { name: 'sidecar', image: 'x' },
        { name: 'rw', readonlyRootFilesystem: false },
      ]),
    );
    expect(findingsOf(report, 'SY-ECS-2')).toEqual([
      'dev/task: container sidecar does not set readonlyRootFilesystem: true',
      'dev/task: container rw does not set readonlyRootFilesystem: true',
    ]);
  });
  it('passes read-only containers', () => {
    expect(
      findingsOf(
        evaluate((s) => taskDefinition(s, [goodContainer])),
        'SY-ECS-2',
      ),
    ).toEqual([]);
  });
});

// ---------- ALB ----------

describe('SY-ALB-1 drop invalid header fields', () => {
  it('fails an ALB that forwards invalid headers; ignores network load balancers', () => {
    const report = evaluate((s) => {
      alb(s, { dropInvalidHeaderFields: false });
      new Lb(s, 'nlb', { loadBalancerType: 'network' });
    });
    expect(findingsOf(report, 'SY-ALB-1')).toEqual(['dev/alb: drop_invalid_header_fields is not true']);
  });
  it('passes when set', () => {
    expect(
      findingsOf(
        evaluate((s) => alb(s)),
        'SY-ALB-1',
      ),
    ).toEqual([]);
  });
});

describe('SY-ALB-2 prod load balancer deletion protection', () => {
  it('fails in prod without deletion protection, passes in dev', () => {
    const weak = (s: TerraformStack) => alb(s, { enableDeletionProtection: false });
    expect(findingsOf(evaluate(weak, 'prod'), 'SY-ALB-2')).toEqual([
      'prod/alb: prod load balancer without enable_deletion_protection',
    ]);
    expect(findingsOf(evaluate(weak, 'dev'), 'SY-ALB-2')).toEqual([]);
    expect(
      findingsOf(
        evaluate((s) => alb(s), 'prod'),
        'SY-ALB-2',
      ),
    ).toEqual([]);
  });
});

describe('SY-ALB-3 TLS policy', () => {
  const listener = (s: TerraformStack, protocol: string, sslPolicy?: string) => {
    const { lb } = alb(s);
    new LbListener(s, 'listener', {
      loadBalancerArn: lb.arn,
      port: 443,
      protocol,
      sslPolicy,
      certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/x',
      defaultAction: [
        { type: 'fixed-response', fixedResponse: { contentType: 'text/plain', statusCode: '404' } },
      ],
    });
  };
  it('fails an HTTPS listener without a policy and with a TLS 1.0/1.1 policy', () => {
    expect(
      findingsOf(
        evaluate((s) => listener(s, 'HTTPS')),
        'SY-ALB-3',
      ),
    ).toEqual([
      'dev/listener: HTTPS listener has no ssl_policy (AWS would apply ELBSecurityPolicy-2016-08, TLS 1.0+)',
    ]);
    for (const old of [
      'ELBSecurityPolicy-2016-08',
      'ELBSecurityPolicy-TLS-1-1-2017-01',
      'ELBSecurityPolicy-TLS13-1-1-2021-06',
      'ELBSecurityPolicy-TLS13-1-0-2021-06',
      'ELBSecurityPolicy-FS-1-1-2019-08',
      'ELBSecurityPolicy-TLS13-1-0-FIPS-PQ-2025-09',
    ]) {
      expect(
        findingsOf(
          evaluate((s) => listener(s, 'HTTPS', old)),
          'SY-ALB-3',
        ),
      ).toEqual([
        `dev/listener: HTTPS listener uses ssl_policy "${old}", which is not an allow-listed TLS 1.2+ policy`,
      ]);
    }
    expect(
      findingsOf(
        evaluate((s) => listener(s, 'TLS', 'ELBSecurityPolicy-2016-08')),
        'SY-ALB-3',
      ),
    ).toHaveLength(1);
  });
  it('passes every allow-listed policy, and does not apply to HTTP listeners', () => {
    for (const policy of MODERN_TLS_POLICIES) {
      expect(
        findingsOf(
          evaluate((s) => listener(s, 'HTTPS', policy)),
          'SY-ALB-3',
        ),
      ).toEqual([]);
    }
    expect(MODERN_TLS_POLICIES.has('ELBSecurityPolicy-TLS13-1-2-2021-06')).toBe(true);
    expect(
      findingsOf(
        evaluate((s) => listener(s, 'HTTP')),
        'SY-ALB-3',
      ),
    ).toEqual([]);
  });
});

describe('SY-ALB-4 HTTP only redirects (warning)', () => {
  const http = (s: TerraformStack, defaultAction: LbListenerDefaultAction[]) => {
    const { lb } = alb(s);
    new LbListener(s, 'http', { loadBalancerArn: lb.arn, port: 80, protocol: 'HTTP', defaultAction });
  };
  it('warns about an HTTP listener that forwards', () => {
    const report = evaluate((s) => http(s, [{ type: 'forward', targetGroupArn: 'arn:tg' }]));
    expect(findingsOf(report, 'SY-ALB-4')).toEqual([
      'dev/http: HTTP listener does not redirect to HTTPS (serves plain HTTP)',
    ]);
    expect(report.errors).toEqual([]);
  });
  it('passes a redirect to HTTPS', () => {
    const report = evaluate((s) =>
      http(s, [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }]),
    );
    expect(findingsOf(report, 'SY-ALB-4')).toEqual([]);
  });
});

// ---------- ECR ----------

describe('SY-ECR-1 immutable tags', () => {
  it('fails mutable (explicit or default) tags, passes IMMUTABLE', () => {
    const report = evaluate((s) => {
      new EcrRepository(s, 'default', { name: 'a' });
      new EcrRepository(s, 'mutable', { name: 'b', imageTagMutability: 'MUTABLE' });
      new EcrRepository(s, 'good', { name: 'c', imageTagMutability: 'IMMUTABLE' });
    });
    expect(findingsOf(report, 'SY-ECR-1')).toEqual([
      'dev/default: image_tag_mutability is "MUTABLE (default)": must be "IMMUTABLE"',
      'dev/mutable: image_tag_mutability is "MUTABLE": must be "IMMUTABLE"',
    ]);
  });
});

// ---------- literal credentials ----------

describe('SY-SECRET-1 literal credentials', () => {
  it('fails literal passwords, AUTH tokens, secret strings and SecureString values, without echoing them', () => {
    const report = evaluate((s) => {
      new DbInstance(s, 'db', {
        instanceClass: 'db.t4g.micro',
        storageEncrypted: true,
        password: 'Sup3rS3cret!',
      });
      goodRedis(s, { authToken: 'a-literal-auth-token-value' });
      const secret = new SecretsmanagerSecret(s, 'secret', { name: 'x' });
      new SecretsmanagerSecretVersion(s, 'version', {
        secretId: secret.id,
        secretString: '{"password":"pw123456"}',
      });
      new SsmParameter(s, 'param', { name: '/x', type: 'SecureString', value: 'plain-value-1' });
    });
    const messages = findingsOf(report, 'SY-SECRET-1');
    expect(messages).toEqual([
      'dev/db: password is a literal credential in code; pass a generated or managed secret instead',
      'dev/cache: auth_token is a literal credential in code; pass a generated or managed secret instead',
      'dev/version: secret_string is a literal credential in code; pass a generated or managed secret instead',
      'dev/param: value is a literal credential in code; pass a generated or managed secret instead',
    ]);
    for (const secret of ['Sup3rS3cret', 'a-literal-auth', 'pw123456', 'plain-value-1']) {
      expect(messages.join('\n')).not.toContain(secret);
    }
  });
  it('passes managed passwords, generated tokens passed by reference, and plain String parameters', () => {
    const report = evaluate((s) => {
      goodDb(s);
      const generated = new DataAwsSecretsmanagerRandomPassword(s, 'token', { passwordLength: 64 });
      goodRedis(s, { authToken: generated.randomPassword });
      const secret = new SecretsmanagerSecret(s, 'secret', { name: 'x' });
      new SecretsmanagerSecretVersion(s, 'version', {
        secretId: secret.id,
        secretString: generated.randomPassword,
      });
      new SsmParameter(s, 'param', {
        name: '/switchyard/dev/services/api',
        type: 'String',
        value: '{"a":1}',
      });
    });
    expect(findingsOf(report, 'SY-SECRET-1')).toEqual([]);
  });
});
