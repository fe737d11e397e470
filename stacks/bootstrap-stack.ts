/**
 * Bootstrap stack (`bootstrap`, local state, applied once per account by a human with admin rights):
 * what the environment stacks' backends and the GitHub workflows need before anything else exists.
 *
 * - KMS key (rotation on) encrypting the state bucket and the lock table, alias `alias/<project>-tfstate`.
 * - State bucket(s): versioning, SSE-KMS, public access block, bucket-owner-enforced, TLS-only policy,
 *   noncurrent versions expiring, `prevent_destroy`.
 * - Lock table(s): hash key `LockID`, PAY_PER_REQUEST, PITR, deletion protection, `prevent_destroy`.
 * - ECR repositories (one per `imageRepository` across environments): IMMUTABLE tags, scan on push,
 *   encryption, lifecycle keeping the newest N images.
 * - GitHub OIDC provider and, per environment, `<project>-<env>-plan` (pull requests and the main
 *   branch of this repository; ReadOnlyAccess + its own state) and `<project>-<env>-deploy` (GitHub
 *   Environment `<env>` of this repository only; PowerUserAccess + IAM limited to `<project>-<env>-*`
 *   + its own state). Both are denied the other environments' state and any change to the bootstrap
 *   resources.
 */
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { stateKey } from '../backend';
import { BOOTSTRAP_NAME, partitionOf } from '../environments/loader';
import type { EnvironmentConfig, ProjectConfig } from '../environments/schema';
import { applyGuardrails } from '../modules/guardrails';
import { permissionsBoundaryArn, permissionsBoundaryName } from './names';

export const BOOTSTRAP_STACK_NAME = BOOTSTRAP_NAME;
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/** Role names of an environment's GitHub roles. */
export function githubRoleNames(project: string, env: string): { plan: string; deploy: string } {
  return { plan: `${project}-${env}-plan`, deploy: `${project}-${env}-deploy` };
}

/**
 * The OIDC `sub` claims each role trusts. Plan roles trust pull requests of this repository (only
 * branches pushed to it: fork pull requests get no OIDC token) and pushes to the main branch, so every
 * environment — prod too — gets its plan on the pull request. That makes the plan role's reads (the
 * account's configuration and the environment's state) available to code on an unreviewed branch; so
 * the state must hold no secret: RDS manages the master password in Secrets Manager, and prod refuses
 * the cache's `secrets-manager` auth mode (environments/rules.ts), the one option that would put a token
 * in the state. Deploy roles trust only the GitHub Environment, whose protection rules gate them.
 */
export function githubSubjects(
  repository: string,
  mainBranch: string,
  env: string,
): { plan: string[]; deploy: string[] } {
  return {
    plan: [`repo:${repository}:pull_request`, `repo:${repository}:ref:refs/heads/${mainBranch}`],
    deploy: [`repo:${repository}:environment:${env}`],
  };
}

/** Terraform output name of an ECR repository URL: `ecr_repository_url_switchyard_api`. */
export function ecrOutputName(repository: string): string {
  return `ecr_repository_url_${repository.replace(/[^A-Za-z0-9]/g, '_')}`;
}

export interface BootstrapStackProps {
  readonly project: ProjectConfig;
  /** Every environment (roles per environment, ECR repositories and state locations across them). */
  readonly environments: readonly EnvironmentConfig[];
  /** Local state file, relative to the stack's output directory. @default "terraform.bootstrap.tfstate" there */
  readonly localStatePath?: string;
}

export class BootstrapStack extends TerraformStack {
  readonly stateKey: KmsKey;
  readonly stateBuckets: Readonly<Record<string, S3Bucket>>;
  readonly lockTables: Readonly<Record<string, DynamodbTable>>;
  readonly repositories: Readonly<Record<string, EcrRepository>>;
  readonly oidcProvider: IamOpenidConnectProvider;
  readonly planRoles: Readonly<Record<string, IamRole>>;
  readonly deployRoles: Readonly<Record<string, IamRole>>;
  /** Per environment: the managed policy `<project>-<env>-boundary` every role of its stack carries. */
  readonly permissionsBoundaries: Record<string, IamPolicy> = {};

  constructor(scope: Construct, props: BootstrapStackProps) {
    super(scope, BOOTSTRAP_STACK_NAME);
    const { project, environments } = props;
    const p = project.project;
    const partition = partitionOf(project.region);
    const account = project.accountId;
    const s3Arn = (bucket: string, key = '') => `arn:${partition}:s3:::${bucket}${key ? `/${key}` : ''}`;
    const tableArn = (table: string) =>
      `arn:${partition}:dynamodb:${project.region}:${account}:table/${table}`;

    new AwsProvider(this, 'aws', {
      region: project.region,
      allowedAccountIds: [account],
      defaultTags: [{ tags: { project: p, environment: BOOTSTRAP_STACK_NAME, 'managed-by': 'switchyard' } }],
    });
    new LocalBackend(this, { path: props.localStatePath ?? 'terraform.bootstrap.tfstate' });

    // ---- state encryption key ---------------------------------------------------------------------
    this.stateKey = new KmsKey(this, 'state-key', {
      description: `${p}: Terraform state bucket and lock table`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      lifecycle: { preventDestroy: true },
    });
    new KmsAlias(this, 'state-key-alias', {
      name: project.state.kmsKeyAlias,
      targetKeyId: this.stateKey.keyId,
    });

    // ---- state buckets and lock tables ------------------------------------------------------------
    const bucketNames = unique([project.state.bucket, ...environments.map((e) => e.state.bucket)]);
    const tableNames = unique([
      project.state.lockTable,
      ...environments.filter((e) => e.state.locking !== 's3-native').map((e) => e.state.lockTable),
    ]);
    const buckets: Record<string, S3Bucket> = {};
    bucketNames.forEach((name, i) => {
      const id = i === 0 ? 'state-bucket' : `state-bucket-${i}`;
      const bucket = new S3Bucket(this, id, {
        bucket: name,
        forceDestroy: false,
        lifecycle: { preventDestroy: true },
      });
      new S3BucketVersioningA(this, `${id}-versioning`, {
        bucket: bucket.id,
        versioningConfiguration: { status: 'Enabled' },
      });
      new S3BucketServerSideEncryptionConfigurationA(this, `${id}-encryption`, {
        bucket: bucket.id,
        rule: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: 'aws:kms',
              kmsMasterKeyId: this.stateKey.arn,
            },
            bucketKeyEnabled: true,
          },
        ],
      });
      new S3BucketPublicAccessBlock(this, `${id}-public-access-block`, {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      new S3BucketOwnershipControls(this, `${id}-ownership`, {
        bucket: bucket.id,
        rule: { objectOwnership: 'BucketOwnerEnforced' },
      });
      const tlsOnly = new DataAwsIamPolicyDocument(this, `${id}-tls-only`, {
        statement: [
          {
            sid: 'DenyInsecureTransport',
            effect: 'Deny',
            actions: ['s3:*'],
            principals: [{ type: '*', identifiers: ['*'] }],
            resources: [bucket.arn, `${bucket.arn}/*`],
            condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
          },
        ],
      });
      new S3BucketPolicy(this, `${id}-policy`, { bucket: bucket.id, policy: tlsOnly.json });
      new S3BucketLifecycleConfiguration(this, `${id}-lifecycle`, {
        bucket: bucket.id,
        rule: [
          {
            id: 'expire-noncurrent-state-versions',
            status: 'Enabled',
            filter: [{ prefix: '' }],
            noncurrentVersionExpiration: [{ noncurrentDays: project.state.noncurrentVersionDays }],
            abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
          },
        ],
      });
      buckets[name] = bucket;
    });
    this.stateBuckets = buckets;

    const tables: Record<string, DynamodbTable> = {};
    tableNames.forEach((name, i) => {
      tables[name] = new DynamodbTable(this, i === 0 ? 'lock-table' : `lock-table-${i}`, {
        name,
        billingMode: 'PAY_PER_REQUEST',
        hashKey: 'LockID',
        attribute: [{ name: 'LockID', type: 'S' }],
        pointInTimeRecovery: { enabled: true },
        deletionProtectionEnabled: true,
        serverSideEncryption: { enabled: true, kmsKeyArn: this.stateKey.arn },
        lifecycle: { preventDestroy: true },
      });
    });
    this.lockTables = tables;

    // ---- ECR --------------------------------------------------------------------------------------
    const repositories: Record<string, EcrRepository> = {};
    for (const name of unique(environments.flatMap((e) => e.services.map((s) => s.imageRepository)))) {
      const id = `ecr-${name.replace(/[^A-Za-z0-9]/g, '-')}`;
      const repo = new EcrRepository(this, id, {
        name,
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: [{ encryptionType: project.ecr.encryption }],
        forceDelete: false,
      });
      new EcrLifecyclePolicy(this, `${id}-lifecycle`, {
        repository: repo.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: `keep the newest ${project.ecr.keepImages} images`,
              selection: {
                tagStatus: 'any',
                countType: 'imageCountMoreThan',
                countNumber: project.ecr.keepImages,
              },
              action: { type: 'expire' },
            },
          ],
        }),
      });
      repositories[name] = repo;
      new TerraformOutput(this, ecrOutputName(name), { value: repo.repositoryUrl });
    }
    this.repositories = repositories;

    // ---- GitHub OIDC ------------------------------------------------------------------------------
    this.oidcProvider = new IamOpenidConnectProvider(this, 'github-oidc', {
      url: `https://${GITHUB_OIDC_HOST}`,
      clientIdList: ['sts.amazonaws.com'],
      thumbprintList: [
        '6938fd4d98bab03faadb97b34396831e3780aea1',
        '1c58a3a8518e8759bf075b76b750d4f2df264fcd',
      ],
    });

    const allGithubRoles = environments.flatMap((e) => Object.values(githubRoleNames(p, e.name)));
    const planRoles: Record<string, IamRole> = {};
    const deployRoles: Record<string, IamRole> = {};
    for (const env of environments) {
      const names = githubRoleNames(p, env.name);
      const subjects = githubSubjects(project.github.repository, project.github.mainBranch, env.name);
      const key = stateKey(p, env.name);
      const stateKms = env.state.kmsKeyId.includes(':alias/') ? this.stateKey.arn : env.state.kmsKeyId;
      const lockfile = env.state.locking !== 'dynamodb';
      const dynamodb = env.state.locking !== 's3-native';
      const otherStates = environments
        .filter((o) => o.name !== env.name)
        .map((o) => s3Arn(o.state.bucket, `${stateKey(p, o.name)}*`));

      const trust = (kind: 'plan' | 'deploy') =>
        new DataAwsIamPolicyDocument(this, `${env.name}-${kind}-trust`, {
          statement: [
            {
              effect: 'Allow',
              actions: ['sts:AssumeRoleWithWebIdentity'],
              principals: [{ type: 'Federated', identifiers: [this.oidcProvider.arn] }],
              condition: [
                { test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:aud`, values: ['sts.amazonaws.com'] },
                { test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:sub`, values: subjects[kind] },
              ],
            },
          ],
        });

      const statePolicy = (kind: 'plan' | 'deploy') => {
        const write = kind === 'deploy';
        const statements = [
          {
            sid: 'ListStateBucket',
            effect: 'Allow',
            actions: ['s3:ListBucket'],
            resources: [s3Arn(env.state.bucket)],
          },
          {
            sid: 'OwnState',
            effect: 'Allow',
            actions: write ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'],
            resources: [s3Arn(env.state.bucket, key)],
          },
          ...(lockfile
            ? [
                {
                  sid: 'OwnLockfile',
                  effect: 'Allow',
                  actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
                  resources: [s3Arn(env.state.bucket, `${key}.tflock`)],
                },
              ]
            : []),
          ...(dynamodb
            ? [
                {
                  sid: 'LockTable',
                  effect: 'Allow',
                  actions: [
                    'dynamodb:DescribeTable',
                    'dynamodb:GetItem',
                    'dynamodb:PutItem',
                    'dynamodb:DeleteItem',
                  ],
                  resources: [tableArn(env.state.lockTable)],
                },
              ]
            : []),
          {
            sid: 'StateKey',
            effect: 'Allow',
            actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
            resources: [stateKms],
          },
          ...(otherStates.length > 0
            ? [
                {
                  sid: 'DenyOtherEnvironmentsState',
                  effect: 'Deny',
                  actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
                  resources: otherStates,
                },
              ]
            : []),
          {
            sid: 'DenyBootstrapChanges',
            effect: 'Deny',
            actions: [
              's3:DeleteBucket',
              's3:PutBucketPolicy',
              's3:DeleteBucketPolicy',
              's3:PutBucketVersioning',
              's3:PutLifecycleConfiguration',
              's3:PutEncryptionConfiguration',
              's3:PutBucketPublicAccessBlock',
              'dynamodb:DeleteTable',
              'dynamodb:UpdateTable',
              'kms:ScheduleKeyDeletion',
              'kms:DisableKey',
              'kms:PutKeyPolicy',
            ],
            resources: [
              ...bucketNames.map((b) => s3Arn(b)),
              ...tableNames.map((t) => tableArn(t)),
              this.stateKey.arn,
            ],
          },
          {
            sid: 'DenyGithubRoleChanges',
            effect: 'Deny',
            actions: ['iam:*'],
            resources: [
              ...allGithubRoles.map((r) => `arn:${partition}:iam::${account}:role/${r}`),
              this.oidcProvider.arn,
            ],
          },
        ];
        return new DataAwsIamPolicyDocument(this, `${env.name}-${kind}-state`, { statement: statements });
      };

      // ---- permissions boundary of every role the environment stack creates ---------------------
      // The deploy role may create roles named <project>-<env>-*, but only with this boundary, so a
      // role it creates can never hold more than this: no IAM, Organizations or account changes, and
      // no access to the Terraform state (bucket, lock table, key) of any environment.
      const boundaryArn = permissionsBoundaryArn(partition, account, p, env.name);
      const boundaryDoc = new DataAwsIamPolicyDocument(this, `${env.name}-boundary-document`, {
        statement: [
          {
            sid: 'WorkloadsOnly',
            effect: 'Allow',
            notActions: ['iam:*', 'organizations:*', 'account:*', 'sso:*', 'identitystore:*'],
            resources: ['*'],
          },
          {
            // Workloads never need the Terraform state, its lock or its key (any environment's).
            sid: 'DenyTerraformState',
            effect: 'Deny',
            actions: ['s3:*', 'dynamodb:*', 'kms:*'],
            resources: [
              ...bucketNames.flatMap((b) => [s3Arn(b), `${s3Arn(b)}/*`]),
              ...tableNames.map((t) => tableArn(t)),
              this.stateKey.arn,
            ],
          },
        ],
      });
      const boundary = new IamPolicy(this, `${env.name}-boundary`, {
        name: permissionsBoundaryName(p, env.name),
        description: `Permissions boundary of every IAM role the ${env.name} stack creates`,
        policy: boundaryDoc.json,
      });
      this.permissionsBoundaries[env.name] = boundary;

      const plan = new IamRole(this, `${env.name}-plan-role`, {
        name: names.plan,
        description:
          env.tier === 'prod'
            ? `GitHub Actions plan for ${env.name}: ${project.github.mainBranch} of ${project.github.repository} only (no pull requests in prod)`
            : `GitHub Actions plan for ${env.name}: pull requests and ${project.github.mainBranch} of ${project.github.repository}`,
        assumeRolePolicy: trust('plan').json,
        maxSessionDuration: 3600,
      });
      new IamRolePolicyAttachment(this, `${env.name}-plan-readonly`, {
        role: plan.name,
        policyArn: `arn:${partition}:iam::aws:policy/ReadOnlyAccess`,
      });
      new IamRolePolicy(this, `${env.name}-plan-state-policy`, {
        name: 'terraform-state',
        role: plan.id,
        policy: statePolicy('plan').json,
      });

      const deploy = new IamRole(this, `${env.name}-deploy-role`, {
        name: names.deploy,
        description: `GitHub Actions apply/deploy for ${env.name}: GitHub Environment ${env.name} of ${project.github.repository} only`,
        assumeRolePolicy: trust('deploy').json,
        maxSessionDuration: 3600,
      });
      new IamRolePolicyAttachment(this, `${env.name}-deploy-poweruser`, {
        role: deploy.name,
        policyArn: `arn:${partition}:iam::aws:policy/PowerUserAccess`,
      });
      new IamRolePolicy(this, `${env.name}-deploy-state-policy`, {
        name: 'terraform-state',
        role: deploy.id,
        policy: statePolicy('deploy').json,
      });
      const iamScope = new DataAwsIamPolicyDocument(this, `${env.name}-deploy-iam`, {
        statement: [
          {
            sid: 'EnvironmentRolesAndPolicies',
            effect: 'Allow',
            actions: ['iam:*'],
            resources: [
              `arn:${partition}:iam::${account}:role/${p}-${env.name}-*`,
              `arn:${partition}:iam::${account}:policy/${p}-${env.name}-*`,
              `arn:${partition}:iam::${account}:instance-profile/${p}-${env.name}-*`,
            ],
          },
          {
            sid: 'ServiceLinkedRolesAndReads',
            effect: 'Allow',
            actions: ['iam:CreateServiceLinkedRole', 'iam:Get*', 'iam:List*'],
            resources: ['*'],
          },
          {
            // A role without this environment's boundary could be given any policy and passed to a
            // service: creating it, changing its policies or its boundary is refused.
            sid: 'RolesCarryTheBoundary',
            effect: 'Deny',
            actions: [
              'iam:CreateRole',
              'iam:PutRolePermissionsBoundary',
              'iam:AttachRolePolicy',
              'iam:PutRolePolicy',
            ],
            resources: ['*'],
            condition: [
              { test: 'StringNotEquals', variable: 'iam:PermissionsBoundary', values: [boundaryArn] },
            ],
          },
          {
            sid: 'BoundaryStays',
            effect: 'Deny',
            actions: ['iam:DeleteRolePermissionsBoundary'],
            resources: ['*'],
          },
          {
            sid: 'BoundaryUnchanged',
            effect: 'Deny',
            actions: [
              'iam:CreatePolicyVersion',
              'iam:DeletePolicy',
              'iam:DeletePolicyVersion',
              'iam:SetDefaultPolicyVersion',
              'iam:TagPolicy',
              'iam:UntagPolicy',
            ],
            resources: [boundaryArn],
          },
          {
            sid: 'NoBroadManagedPolicies',
            effect: 'Deny',
            actions: ['iam:AttachRolePolicy', 'iam:AttachUserPolicy', 'iam:AttachGroupPolicy'],
            resources: ['*'],
            condition: [
              {
                test: 'ArnEquals',
                variable: 'iam:PolicyARN',
                values: BROAD_MANAGED_POLICIES.map((n) => `arn:${partition}:iam::aws:policy/${n}`),
              },
            ],
          },
        ],
      });
      // Mutations of the runtime resources of another environment are refused (by their
      // `environment` tag, set on everything through the provider's default tags).
      const otherEnvironments = new DataAwsIamPolicyDocument(this, `${env.name}-deploy-own-environment`, {
        statement: [
          {
            sid: 'DenyOtherEnvironmentsRuntime',
            effect: 'Deny',
            actions: OTHER_ENVIRONMENT_MUTATIONS,
            resources: ['*'],
            condition: [
              { test: 'Null', variable: 'aws:ResourceTag/environment', values: ['false'] },
              { test: 'StringNotEquals', variable: 'aws:ResourceTag/environment', values: [env.name] },
            ],
          },
        ],
      });
      new IamRolePolicy(this, `${env.name}-deploy-own-environment-policy`, {
        name: 'own-environment-only',
        role: deploy.id,
        policy: otherEnvironments.json,
      });
      new IamRolePolicy(this, `${env.name}-deploy-iam-policy`, {
        name: 'environment-iam',
        role: deploy.id,
        policy: iamScope.json,
      });

      planRoles[env.name] = plan;
      deployRoles[env.name] = deploy;
      new TerraformOutput(this, `github_plan_role_arn_${env.name}`, { value: plan.arn });
      new TerraformOutput(this, `github_deploy_role_arn_${env.name}`, { value: deploy.arn });
    }
    this.planRoles = planRoles;
    this.deployRoles = deployRoles;

    new TerraformOutput(this, 'state_bucket', { value: buckets[project.state.bucket].bucket });
    new TerraformOutput(this, 'lock_table', { value: tables[project.state.lockTable].name });
    new TerraformOutput(this, 'state_kms_key_arn', { value: this.stateKey.arn });
    new TerraformOutput(this, 'github_oidc_provider_arn', { value: this.oidcProvider.arn });

    // The account-wide resources hold every environment's state: judged at the strictest tier.
    applyGuardrails(this, { tier: 'prod' });
  }
}

/** AWS-managed policies the deploy role may never attach (escalation to administrator). */
export const BROAD_MANAGED_POLICIES = ['AdministratorAccess', 'IAMFullAccess', 'PowerUserAccess'] as const;

/**
 * Mutating actions on the runtime services the deploy role of one environment may not call on a
 * resource tagged with another environment (creation of untagged resources is not affected).
 */
export const OTHER_ENVIRONMENT_MUTATIONS = [
  'ecs:Update*',
  'ecs:Delete*',
  'ecs:Stop*',
  'ecs:RunTask',
  'ecs:StartTask',
  'ecs:DeregisterTaskDefinition',
  'ecs:TagResource',
  'ecs:UntagResource',
  'rds:Modify*',
  'rds:Delete*',
  'rds:Reboot*',
  'rds:Stop*',
  'rds:Start*',
  'rds:Failover*',
  'rds:AddTagsToResource',
  'rds:RemoveTagsFromResource',
  'elasticache:Modify*',
  'elasticache:Delete*',
  'elasticache:Reboot*',
  'elasticache:Increase*',
  'elasticache:Decrease*',
  'elasticache:TestFailover',
  'elasticache:AddTagsToResource',
  'elasticache:RemoveTagsFromResource',
  'elasticloadbalancing:Modify*',
  'elasticloadbalancing:Delete*',
  'elasticloadbalancing:Set*',
  'elasticloadbalancing:Register*',
  'elasticloadbalancing:Deregister*',
  'elasticloadbalancing:AddTags',
  'elasticloadbalancing:RemoveTags',
];

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
