/**
 * The bootstrap stack's structure, from the synthesized JSON: the state store, ECR (lifecycle and
 * mutability of the retention marks, cross-account pull), the OIDC provider (created or reused), the CI
 * roles (sessions, boundaries, trusts in both subject formats), the two-step bootstrap state and the
 * outputs. What the policies allow and deny is proven by the IAM evaluation in tests/iam/.
 */
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { loadConfiguration } from '../../environments/loader';
import type { ProjectConfig } from '../../environments/schema';
import {
  BootstrapStack,
  CI_MAX_SESSION_SECONDS,
  ecrOutputName,
  roleOutputName,
} from '../../stacks/bootstrap-stack';
import { lifecyclePolicy } from '../../stacks/bootstrap/ecr';
import { subjects, workflowRefs } from '../../stacks/bootstrap/github';

type Res = Record<string, Record<string, Record<string, unknown>>>;
interface Doc {
  resource: Res;
  data?: Res;
  output: Record<string, { value: unknown }>;
  terraform: { backend: Record<string, Record<string, unknown>>; required_version?: string };
  provider: { aws: Record<string, unknown>[] };
}

function synthBootstrap(dir?: string, patch: (p: ProjectConfig) => ProjectConfig = (p) => p): Doc {
  const config = loadConfiguration(dir ? { dir } : {});
  const stack = new BootstrapStack(Testing.app(), {
    project: patch(config.project),
    environments: config.all,
  });
  return JSON.parse(Testing.synth(stack)) as Doc;
}
const MULTI = path.join(__dirname, '../../environments/examples/multi-account');
const single = synthBootstrap();
const multi = synthBootstrap(MULTI);
const list = (d: Doc, type: string) => Object.values(d.resource[type] ?? {});
const one = (d: Doc, type: string) => {
  const all = list(d, type);
  expect(all).toHaveLength(1);
  return all[0]!;
};
const roleNamed = (d: Doc, name: string) => list(d, 'aws_iam_role').find((r) => r.name === name)!;

describe('state store', () => {
  test('bucket: versioned, SSE-KMS with the rotating shared key, public access blocked, TLS only', () => {
    expect(one(single, 'aws_s3_bucket')).toMatchObject({
      bucket: 'switchyard-tfstate-123456789012',
      force_destroy: false,
      lifecycle: { prevent_destroy: true },
    });
    expect(one(single, 'aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Enabled' });
    expect(one(single, 'aws_s3_bucket_server_side_encryption_configuration').rule).toEqual([
      {
        apply_server_side_encryption_by_default: {
          sse_algorithm: 'aws:kms',
          kms_master_key_id: '${aws_kms_key.state-key.arn}',
        },
        bucket_key_enabled: true,
      },
    ]);
    const policy = JSON.parse(one(single, 'aws_s3_bucket_policy').policy as string);
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ]);
  });

  test('each environment gets its own rotating state key, tagged with it, in its own account', () => {
    for (const [d, accounts] of [
      [single, { dev: undefined, staging: undefined, prod: undefined }],
      [multi, { dev: '111111111111', staging: '222222222222', prod: '333333333333' }],
    ] as const) {
      for (const [env, account] of Object.entries(accounts)) {
        const key = d.resource.aws_kms_key[`${env}-state-key`]!;
        expect(key).toMatchObject({ enable_key_rotation: true, tags: { environment: env } });
        expect(key.provider).toBe(account ? `aws.account_${account}` : undefined);
        expect(d.resource.aws_kms_alias[`${env}-state-key-alias`]).toMatchObject({
          name: `alias/switchyard-${env}-tfstate`,
        });
      }
    }
  });

  test('cross-account: the bucket policy grants each environment its own state object and lock file only', () => {
    const policy = JSON.parse(one(multi, 'aws_s3_bucket_policy').policy as string);
    const prodWrite = policy.Statement.find((s: { Sid: string }) => s.Sid === 'prodWrite');
    expect(prodWrite).toEqual({
      Sid: 'prodWrite',
      Effect: 'Allow',
      Principal: { AWS: ['${aws_iam_role.prod-apply-role.arn}'] },
      Action: 's3:PutObject',
      Resource: 'arn:aws:s3:::switchyard-tfstate-999999999999/switchyard/prod/terraform.tfstate',
    });
    const resources = policy.Statement.flatMap((s: { Resource: string | string[] }) => [s.Resource].flat());
    for (const r of resources.filter((x: string) => x.includes('/switchyard/'))) {
      expect(r).toMatch(/\/switchyard\/(dev|staging|prod)\/terraform\.tfstate(\.tflock)?$/);
    }
  });

  test('a lock table only while some environment locks with DynamoDB', () => {
    expect(one(single, 'aws_dynamodb_table')).toMatchObject({
      name: 'switchyard-tfstate-lock',
      point_in_time_recovery: { enabled: true },
      deletion_protection_enabled: true,
    });
    expect(multi.resource.aws_dynamodb_table).toBeUndefined();
    expect(multi.output.lock_table).toBeUndefined();
  });
});

describe('ECR', () => {
  test('immutable except the sy-* retention marks; scan on push', () => {
    expect(one(single, 'aws_ecr_repository')).toMatchObject({
      name: 'switchyard/api',
      image_tag_mutability: 'IMMUTABLE_WITH_EXCLUSION',
      image_tag_mutability_exclusion_filter: [{ filter_type: 'WILDCARD', filter: 'sy-*' }],
      image_scanning_configuration: { scan_on_push: true },
    });
  });

  test('lifecycle: rule 1 shields every sy-* image, rule 2 (any, last) keeps the newest 30 others', () => {
    const policy = JSON.parse(one(single, 'aws_ecr_lifecycle_policy').policy as string);
    expect(policy).toEqual(lifecyclePolicy(30));
    const [marks, rest] = policy.rules;
    expect(marks).toMatchObject({
      rulePriority: 1,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['sy-*'],
        countType: 'imageCountMoreThan',
        countNumber: 9999,
      },
    });
    // One pattern: a tagPatternList with several patterns selects only images carrying all of them.
    expect(marks.selection.tagPatternList).toHaveLength(1);
    expect(rest).toMatchObject({
      rulePriority: 2,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 },
    });
    // "A rule with a tagStatus value of any must have the highest value for rulePriority".
    const anyRule = policy.rules.find(
      (r: { selection: { tagStatus: string } }) => r.selection.tagStatus === 'any',
    );
    expect(anyRule.rulePriority).toBe(
      Math.max(...policy.rules.map((r: { rulePriority: number }) => r.rulePriority)),
    );
  });

  test('single account: no repository policy; multi-account: each environment account may pull, its plan/apply list, its release mark', () => {
    expect(single.resource.aws_ecr_repository_policy).toBeUndefined();
    const policy = JSON.parse(one(multi, 'aws_ecr_repository_policy').policy as string);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(
      ['111111111111', '222222222222', '333333333333'].flatMap((a) => [
        `PullFrom${a}`,
        `ListImagesFrom${a}`,
        `RetentionMarksFrom${a}`,
      ]),
    );
    const prod = policy.Statement.slice(6);
    for (const st of prod) expect(st.Principal).toEqual({ AWS: 'arn:aws:iam::333333333333:root' });
    expect(prod[0]).toMatchObject({
      Action: [
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:DescribeImages',
        'ecr:GetDownloadUrlForLayer',
      ],
      Condition: { ArnLike: { 'aws:PrincipalArn': ['arn:aws:iam::333333333333:role/switchyard-prod-*'] } },
    });
    expect(prod[1]).toMatchObject({
      Action: ['ecr:DescribeImages', 'ecr:DescribeRepositories', 'ecr:ListImages'],
      Condition: {
        ArnLike: {
          'aws:PrincipalArn': [
            'arn:aws:iam::333333333333:role/switchyard-prod-plan',
            'arn:aws:iam::333333333333:role/switchyard-prod-apply',
          ],
        },
      },
    });
    expect(prod[2]).toMatchObject({
      Action: ['ecr:BatchGetImage', 'ecr:PutImage'],
      Condition: {
        ArnLike: { 'aws:PrincipalArn': ['arn:aws:iam::333333333333:role/switchyard-prod-release'] },
      },
    });
  });
});

describe('GitHub OIDC', () => {
  test('created in every account unless configured as existing (then read, not created)', () => {
    expect(Object.keys(single.resource.aws_iam_openid_connect_provider)).toEqual(['github-oidc']);
    expect(Object.keys(multi.resource.aws_iam_openid_connect_provider).sort()).toEqual([
      'github-oidc',
      'github-oidc-111111111111',
      'github-oidc-222222222222',
    ]);
    expect(multi.data?.aws_iam_openid_connect_provider?.['github-oidc-333333333333']).toMatchObject({
      url: 'https://token.actions.githubusercontent.com',
      provider: 'aws.account_333333333333',
    });
    const prodTrust = JSON.parse(roleNamed(multi, 'switchyard-prod-apply').assume_role_policy as string);
    expect(prodTrust.Statement[0].Principal).toEqual({
      Federated: '${data.aws_iam_openid_connect_provider.github-oidc-333333333333.arn}',
    });
  });

  test('both subject formats by configuration, ids written out, never wildcarded', () => {
    const trust = JSON.parse(roleNamed(multi, 'switchyard-prod-release').assume_role_policy as string);
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': [
          'repo:example-org/switchyard:environment:prod',
          'repo:example-org@1234567/switchyard@765432109:environment:prod',
        ],
        'token.actions.githubusercontent.com:job_workflow_ref': [
          'example-org/switchyard/.github/workflows/deploy.yml@refs/heads/main',
          'example-org/switchyard/.github/workflows/promote.yml@refs/heads/main',
          'example-org/switchyard/.github/workflows/rollback.yml@refs/heads/main',
        ],
      },
    });
    // the scheduled hold-expiry enforcer: its own statement, its own environment, its own workflow file
    expect(trust.Statement[1]).toMatchObject({
      Sid: 'HoldExpiry',
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
          'token.actions.githubusercontent.com:sub': [
            'repo:example-org/switchyard:environment:prod-hold-expiry',
            'repo:example-org@1234567/switchyard@765432109:environment:prod-hold-expiry',
          ],
          'token.actions.githubusercontent.com:job_workflow_ref': [
            'example-org/switchyard/.github/workflows/hold-expiry.yml@refs/heads/main',
          ],
        },
      },
    });
    expect(trust.Statement).toHaveLength(2);
    const gh = { repository: 'o/r', mainBranch: 'trunk', existingOidcProviderAccounts: [] } as const;
    expect(subjects({ ...gh, subjectFormat: 'name' }, ['pull_request'])).toEqual(['repo:o/r:pull_request']);
    expect(
      subjects({ ...gh, subjectFormat: 'immutable', ownerId: '1', repositoryId: '2' }, ['pull_request']),
    ).toEqual(['repo:o@1/r@2:pull_request']);
    expect(() => subjects({ ...gh, subjectFormat: 'immutable' }, ['x'])).toThrow(/ownerId/);
    expect(workflowRefs({ ...gh, subjectFormat: 'name' }, ['build.yml'])).toEqual([
      'o/r/.github/workflows/build.yml@refs/heads/trunk',
    ]);
  });
});

describe('CI roles', () => {
  test.each(['dev', 'staging', 'prod'])(
    '%s: plan, apply, release, status; 2 h sessions; the CI boundary',
    (env) => {
      for (const job of ['plan', 'apply', 'release', 'status'] as const) {
        const role = roleNamed(single, `switchyard-${env}-${job}`);
        expect(role).toMatchObject({
          max_session_duration: CI_MAX_SESSION_SECONDS,
          permissions_boundary: `\${aws_iam_policy.${env}-ci-boundary.arn}`,
        });
        expect(single.output[roleOutputName(job, env)]!.value).toBe(
          `\${aws_iam_role.${env}-${job}-role.arn}`,
        );
      }
      expect(CI_MAX_SESSION_SECONDS).toBe(7200);
      // No AWS-managed policy is attached to any role (least privilege is written out).
      expect(single.resource.aws_iam_role_policy_attachment).toBeUndefined();
    },
  );

  test('the build role: main of the build workflow only, ECR push only, ARN output', () => {
    const role = roleNamed(single, 'switchyard-build');
    expect(role.max_session_duration).toBe(7200);
    const trust = JSON.parse(role.assume_role_policy as string);
    expect(trust.Statement[0].Condition.StringEquals).toMatchObject({
      'token.actions.githubusercontent.com:sub': ['repo:example-org/switchyard:ref:refs/heads/main'],
      'token.actions.githubusercontent.com:job_workflow_ref': [
        'example-org/switchyard/.github/workflows/build.yml@refs/heads/main',
      ],
    });
    expect(single.output.github_build_role_arn!.value).toBe('${aws_iam_role.build-role.arn}');
    expect(single.output.ecr_registry!.value).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
  });
});

describe('bootstrap state: two steps', () => {
  test('step 1 (bootstrap.state: local): a local file outside cdktf.out', () => {
    expect(single.terraform.backend).toEqual({ local: { path: 'terraform.bootstrap.tfstate' } });
  });
  test('step 2 (bootstrap.state: s3): in the bucket it created, shared key, S3 lock file', () => {
    const migrated = synthBootstrap(undefined, (p) => ({ ...p, bootstrap: { ...p.bootstrap, state: 's3' } }));
    expect(migrated.terraform.backend).toEqual({
      s3: {
        bucket: 'switchyard-tfstate-123456789012',
        key: 'switchyard/bootstrap/terraform.tfstate',
        region: 'eu-west-1',
        encrypt: true,
        kms_key_id: 'arn:aws:kms:eu-west-1:123456789012:alias/switchyard-tfstate',
        use_lockfile: true,
      },
    });
    expect(migrated.terraform.required_version).toBe('>= 1.10');
  });
});

test('outputs', () => {
  expect(single.output[ecrOutputName('switchyard/api')]).toBeDefined();
  expect(Object.keys(single.output).sort()).toEqual(
    expect.arrayContaining([
      'state_bucket',
      'lock_table',
      'state_kms_key_arn',
      'github_oidc_provider_arn',
      'state_kms_key_arn_prod',
    ]),
  );
});

test('environment accounts are reached through a provider assuming the configured role', () => {
  expect(multi.provider.aws.find((p) => p.alias === 'account_222222222222')).toMatchObject({
    allowed_account_ids: ['222222222222'],
    assume_role: [{ role_arn: 'arn:aws:iam::222222222222:role/OrganizationAccountAccessRole' }],
    region: 'eu-west-1',
  });
});
