import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { Testing } from 'cdktf';
import type {} from 'cdktf/lib/testing/adapters/jest';
import { loadConfiguration } from '../../environments/loader';
import { BootstrapStack, ecrOutputName, githubSubjects } from '../../stacks/bootstrap-stack';

Testing.setupJest();

const config = loadConfiguration();
const stack = new BootstrapStack(Testing.app(), { project: config.project, environments: config.all });
const json = Testing.synth(stack);
const doc = JSON.parse(json);
const res = doc.resource as Record<string, Record<string, Record<string, unknown>>>;
const data = doc.data.aws_iam_policy_document as Record<string, { statement: Record<string, unknown>[] }>;
const one = (type: string) => {
  const all = Object.values(res[type] ?? {});
  expect(all).toHaveLength(1);
  return all[0];
};
const refTo = (type: string, id: string, attr: string) => `\${${type}.${id}.${attr}}`;
const idOf = (type: string, name: string, field = 'name') =>
  Object.entries(res[type]).find(([, r]) => r[field] === name)![0];

test('named bootstrap, local state outside cdktf.out by default', () => {
  expect(stack.node.id).toBe('bootstrap');
  expect(doc.terraform.backend).toEqual({ local: { path: 'terraform.bootstrap.tfstate' } });
});

describe('state bucket', () => {
  test('versioned, SSE-KMS with a rotating key, public access blocked, owner enforced', () => {
    expect(one('aws_s3_bucket')).toMatchObject({
      bucket: 'switchyard-tfstate-123456789012',
      force_destroy: false,
      lifecycle: { prevent_destroy: true },
    });
    expect(json).toHaveResourceWithProperties(S3BucketVersioningA, {
      versioning_configuration: { status: 'Enabled' },
    });
    expect(json).toHaveResourceWithProperties(KmsKey, {
      enable_key_rotation: true,
      deletion_window_in_days: 30,
    });
    expect(one('aws_kms_alias')).toMatchObject({ name: 'alias/switchyard-tfstate' });
    const keyArn = refTo('aws_kms_key', 'state-key', 'arn');
    expect(one('aws_s3_bucket_server_side_encryption_configuration').rule).toEqual([
      {
        apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: keyArn },
        bucket_key_enabled: true,
      },
    ]);
    expect(json).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one('aws_s3_bucket_ownership_controls').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
  });
  test('bucket policy denies any request without TLS', () => {
    expect(one('aws_s3_bucket_policy').policy).toBe(
      refTo('data.aws_iam_policy_document', 'state-bucket-tls-only', 'json'),
    );
    expect(data['state-bucket-tls-only'].statement).toEqual([
      expect.objectContaining({
        effect: 'Deny',
        actions: ['s3:*'],
        principals: [{ type: '*', identifiers: ['*'] }],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      }),
    ]);
  });
  test('noncurrent versions expire', () => {
    expect(one('aws_s3_bucket_lifecycle_configuration').rule).toEqual([
      expect.objectContaining({
        status: 'Enabled',
        noncurrent_version_expiration: [{ noncurrent_days: 90 }],
      }),
    ]);
  });
});

test('lock table: LockID, on demand, PITR, deletion protection, KMS', () => {
  expect(json).toHaveResourceWithProperties(DynamodbTable, {
    name: 'switchyard-tfstate-lock',
    hash_key: 'LockID',
    billing_mode: 'PAY_PER_REQUEST',
    attribute: [{ name: 'LockID', type: 'S' }],
    point_in_time_recovery: { enabled: true },
    deletion_protection_enabled: true,
    server_side_encryption: { enabled: true, kms_key_arn: refTo('aws_kms_key', 'state-key', 'arn') },
    lifecycle: { prevent_destroy: true },
  });
});

test('ECR: one repository per image repository, immutable tags, scan on push, encrypted, lifecycle', () => {
  expect(json).toHaveResourceWithProperties(EcrRepository, {
    name: 'switchyard/api',
    image_tag_mutability: 'IMMUTABLE',
    image_scanning_configuration: { scan_on_push: true },
    encryption_configuration: [{ encryption_type: 'KMS' }],
  });
  expect(Object.keys(res.aws_ecr_repository)).toHaveLength(1);
  const policy = JSON.parse(one('aws_ecr_lifecycle_policy').policy as string);
  expect(policy.rules[0].selection).toEqual({
    tagStatus: 'any',
    countType: 'imageCountMoreThan',
    countNumber: 30,
  });
  expect(doc.output[ecrOutputName('switchyard/api')]).toBeDefined();
});

test('GitHub OIDC provider', () => {
  expect(json).toHaveResourceWithProperties(IamOpenidConnectProvider, {
    url: 'https://token.actions.githubusercontent.com',
    client_id_list: ['sts.amazonaws.com'],
  });
});

describe.each(['dev', 'staging', 'prod'])('%s GitHub roles', (env) => {
  const trustOf = (kind: string) => data[`${env}-${kind}-trust`].statement;
  const oidc = refTo('aws_iam_openid_connect_provider', 'github-oidc', 'arn');

  test('plan role: trusted for main of this repository and for its pull requests', () => {
    const id = idOf('aws_iam_role', `switchyard-${env}-plan`);
    expect(res.aws_iam_role[id].assume_role_policy).toBe(
      refTo('data.aws_iam_policy_document', `${env}-plan-trust`, 'json'),
    );
    expect(trustOf('plan')).toEqual([
      {
        effect: 'Allow',
        actions: ['sts:AssumeRoleWithWebIdentity'],
        principals: [{ type: 'Federated', identifiers: [oidc] }],
        condition: [
          {
            test: 'StringEquals',
            variable: 'token.actions.githubusercontent.com:aud',
            values: ['sts.amazonaws.com'],
          },
          {
            test: 'StringEquals',
            variable: 'token.actions.githubusercontent.com:sub',
            values: [
              'repo:example-org/switchyard:pull_request',
              'repo:example-org/switchyard:ref:refs/heads/main',
            ],
          },
        ],
      },
    ]);
  });

  test('deploy role: trusted for GitHub Environment of the same name only', () => {
    expect(trustOf('deploy')[0].condition).toEqual([
      {
        test: 'StringEquals',
        variable: 'token.actions.githubusercontent.com:aud',
        values: ['sts.amazonaws.com'],
      },
      {
        test: 'StringEquals',
        variable: 'token.actions.githubusercontent.com:sub',
        values: [`repo:example-org/switchyard:environment:${env}`],
      },
    ]);
  });

  test('plan: ReadOnlyAccess + read own state + lock table; denied other states and IAM on GitHub roles', () => {
    const planId = idOf('aws_iam_role', `switchyard-${env}-plan`);
    const attachments = Object.values(res.aws_iam_role_policy_attachment).filter(
      (a) => a.role === refTo('aws_iam_role', planId, 'name'),
    );
    expect(attachments.map((a) => a.policy_arn)).toEqual(['arn:aws:iam::aws:policy/ReadOnlyAccess']);
    const st = data[`${env}-plan-state`].statement;
    const sid = (s: string) => st.find((x) => x.sid === s)!;
    expect(sid('OwnState')).toMatchObject({
      actions: ['s3:GetObject'],
      resources: [`arn:aws:s3:::switchyard-tfstate-123456789012/switchyard/${env}/terraform.tfstate`],
    });
    expect(sid('LockTable')).toMatchObject({
      actions: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/switchyard-tfstate-lock'],
    });
    const others = ['dev', 'staging', 'prod'].filter((e) => e !== env);
    expect(sid('DenyOtherEnvironmentsState')).toMatchObject({
      effect: 'Deny',
      resources: others.map(
        (o) => `arn:aws:s3:::switchyard-tfstate-123456789012/switchyard/${o}/terraform.tfstate*`,
      ),
    });
    expect(sid('DenyGithubRoleChanges')).toMatchObject({ effect: 'Deny', actions: ['iam:*'] });
  });

  test('deploy: writes its own state; IAM only on <project>-<env>-* names', () => {
    const st = data[`${env}-deploy-state`].statement;
    expect(st.find((x) => x.sid === 'OwnState')).toMatchObject({ actions: ['s3:GetObject', 's3:PutObject'] });
    const iam = data[`${env}-deploy-iam`].statement.find((x) => x.sid === 'EnvironmentRolesAndPolicies')!;
    expect(iam.resources).toEqual([
      `arn:aws:iam::123456789012:role/switchyard-${env}-*`,
      `arn:aws:iam::123456789012:policy/switchyard-${env}-*`,
      `arn:aws:iam::123456789012:instance-profile/switchyard-${env}-*`,
    ]);
  });

  test('deploy: roles it creates must carry the environment boundary; no broad managed policies', () => {
    const boundaryArn = `arn:aws:iam::123456789012:policy/switchyard-${env}-boundary`;
    const boundaryId = idOf('aws_iam_policy', `switchyard-${env}-boundary`);
    expect(res.aws_iam_policy[boundaryId]!.policy).toBe(
      refTo('data.aws_iam_policy_document', `${env}-boundary-document`, 'json'),
    );
    const st = data[`${env}-deploy-iam`].statement;
    const sid = (s: string) => st.find((x) => x.sid === s)!;
    expect(sid('RolesCarryTheBoundary')).toEqual({
      sid: 'RolesCarryTheBoundary',
      effect: 'Deny',
      actions: [
        'iam:CreateRole',
        'iam:PutRolePermissionsBoundary',
        'iam:AttachRolePolicy',
        'iam:PutRolePolicy',
      ],
      resources: ['*'],
      condition: [{ test: 'StringNotEquals', variable: 'iam:PermissionsBoundary', values: [boundaryArn] }],
    });
    expect(sid('BoundaryStays')).toMatchObject({
      effect: 'Deny',
      actions: ['iam:DeleteRolePermissionsBoundary'],
    });
    expect(sid('BoundaryUnchanged')).toMatchObject({ effect: 'Deny', resources: [boundaryArn] });
    expect(sid('BoundaryUnchanged').actions).toEqual(
      expect.arrayContaining(['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy']),
    );
    expect(sid('NoBroadManagedPolicies')).toMatchObject({
      effect: 'Deny',
      condition: [
        {
          test: 'ArnEquals',
          variable: 'iam:PolicyARN',
          values: [
            'arn:aws:iam::aws:policy/AdministratorAccess',
            'arn:aws:iam::aws:policy/IAMFullAccess',
            'arn:aws:iam::aws:policy/PowerUserAccess',
          ],
        },
      ],
    });
    // The boundary itself grants no IAM and no other environment's state.
    const boundary = data[`${env}-boundary-document`].statement;
    expect(boundary.find((x) => x.sid === 'WorkloadsOnly')).toMatchObject({
      effect: 'Allow',
      not_actions: expect.arrayContaining(['iam:*', 'organizations:*']),
    });
    expect(boundary.find((x) => x.sid === 'DenyTerraformState')).toMatchObject({
      effect: 'Deny',
      actions: ['s3:*', 'dynamodb:*', 'kms:*'],
      resources: [
        'arn:aws:s3:::switchyard-tfstate-123456789012',
        'arn:aws:s3:::switchyard-tfstate-123456789012/*',
        'arn:aws:dynamodb:eu-west-1:123456789012:table/switchyard-tfstate-lock',
        refTo('aws_kms_key', 'state-key', 'arn'),
      ],
    });
  });

  test('deploy: may not mutate runtime resources tagged with another environment', () => {
    const [st] = data[`${env}-deploy-own-environment`].statement;
    expect(st).toMatchObject({
      effect: 'Deny',
      resources: ['*'],
      condition: [
        { test: 'Null', variable: 'aws:ResourceTag/environment', values: ['false'] },
        { test: 'StringNotEquals', variable: 'aws:ResourceTag/environment', values: [env] },
      ],
    });
    expect(st!.actions).toEqual(
      expect.arrayContaining([
        'ecs:Update*',
        'rds:Delete*',
        'elasticache:Modify*',
        'elasticloadbalancing:Modify*',
      ]),
    );
    const deployId = idOf('aws_iam_role', `switchyard-${env}-deploy`);
    expect(Object.values(res.aws_iam_role_policy).map((p) => [p.role, p.name])).toContainEqual([
      refTo('aws_iam_role', deployId, 'id'),
      'own-environment-only',
    ]);
  });

  test('outputs', () => {
    expect(doc.output[`github_plan_role_arn_${env}`].value).toBe(
      refTo('aws_iam_role', idOf('aws_iam_role', `switchyard-${env}-plan`), 'arn'),
    );
    expect(doc.output[`github_deploy_role_arn_${env}`].value).toBe(
      refTo('aws_iam_role', idOf('aws_iam_role', `switchyard-${env}-deploy`), 'arn'),
    );
  });
});

test('s3-native locking grants the lockfile object instead of the table', () => {
  const envs = config.all.map((e) => ({ ...e, state: { ...e.state, locking: 's3-native' as const } }));
  const s = new BootstrapStack(Testing.app(), { project: config.project, environments: envs });
  const d = JSON.parse(Testing.synth(s)).data.aws_iam_policy_document;
  const st = d['dev-plan-state'].statement as Record<string, unknown>[];
  expect(st.find((x) => x.sid === 'OwnLockfile')).toMatchObject({
    resources: ['arn:aws:s3:::switchyard-tfstate-123456789012/switchyard/dev/terraform.tfstate.tflock'],
  });
  expect(st.find((x) => x.sid === 'LockTable')).toBeUndefined();
});

test('githubSubjects: plan roles trust pull requests and main, deploy roles only their Environment', () => {
  expect(githubSubjects('o/r', 'trunk', 'qa')).toEqual({
    plan: ['repo:o/r:pull_request', 'repo:o/r:ref:refs/heads/trunk'],
    deploy: ['repo:o/r:environment:qa'],
  });
});
