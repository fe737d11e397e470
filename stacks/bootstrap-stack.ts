/**
 * Bootstrap stack (`bootstrap`): what the environment stacks' backends and the GitHub workflows need
 * before anything else exists. Applied by a person with admin rights; one apply covers every account.
 *
 * Shared-services (tooling) account — project.yaml `accountId`:
 * - KMS key `alias/<project>-tfstate` (bucket default encryption, lock table, the bootstrap state).
 * - State bucket(s): versioning, SSE-KMS, public access block, owner enforced, TLS-only, old versions
 *   expire, `prevent_destroy`; a bucket policy granting each environment in another account its own
 *   state prefix only. Lock table(s) for environments that lock with DynamoDB.
 * - ECR repositories: immutable tags except the `sy-*` retention marks, scan on push, a lifecycle policy
 *   that never expires a marked image, a repository policy letting the environment accounts pull.
 * - GitHub OIDC provider (created, or reused where it exists) and the build/push role.
 *
 * Every environment's account (the tooling account too when an environment lives there):
 * - GitHub OIDC provider (one per account), the environment's own state key `alias/<project>-<env>-tfstate`.
 * - Roles by job, each carrying the CI boundary `<project>-<env>-ci-boundary`:
 *   `-plan` (pull requests and main; reads configuration and its own state, no application data),
 *   `-apply` (GitHub Environment + infra workflow on main), `-release` (GitHub Environment + the deploy,
 *   promote and rollback workflows on main; exactly what switchyard sends), `-status` (promote on main;
 *   the read-only part of release, for a promotion's source capture).
 * - The workload boundary `<project>-<env>-boundary` of every role the environment stack creates.
 *
 * Accounts other than the tooling account are reached through a provider per account that assumes
 * project.yaml `bootstrap.assumeRoleName` there. State: local on the first apply, then in the bucket
 * (`bootstrap.state: s3` + `terraform init -migrate-state`; README "Bootstrap").
 */
import { DataAwsIamOpenidConnectProvider } from '@cdktf/provider-aws/lib/data-aws-iam-openid-connect-provider';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { EcrRepositoryPolicy } from '@cdktf/provider-aws/lib/ecr-repository-policy';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
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
import { addBootstrapS3Backend, stateKey } from '../backend';
import { BOOTSTRAP_NAME, partitionOf } from '../environments/loader';
import type { EnvironmentConfig, ProjectConfig } from '../environments/schema';
import { applyGuardrails } from '../modules/guardrails';
import { lifecyclePolicy, REPOSITORY_MUTABILITY, repositoryPolicy } from './bootstrap/ecr';
import { buildTrust, ciTrusts } from './bootstrap/github';
import {
  applyPolicy,
  BOOTSTRAP_MANAGED_BY,
  buildBoundaryPolicy,
  buildPolicy,
  ciBoundaryPolicy,
  ciIamArns,
  type EnvironmentAccessScope,
  planPolicy,
  type PolicyDocument,
  releasePolicy,
  statusPolicy,
  workloadBoundaryPolicy,
} from './bootstrap/policies';
import {
  buildRoleName,
  CI_JOBS,
  type CiJob,
  ciBoundaryName,
  ciRoleNames,
  GITHUB_OIDC_HOST,
  permissionsBoundaryArn,
  permissionsBoundaryName,
  stateKeyAlias,
} from './names';

export const BOOTSTRAP_STACK_NAME = BOOTSTRAP_NAME;
export { GITHUB_OIDC_HOST };

/** Maximum session of every CI role: 2 h, so a workflow step may request up to 7200 s. */
export const CI_MAX_SESSION_SECONDS = 7200;

/** Terraform output name of an ECR repository URL: `ecr_repository_url_switchyard_api`. */
export function ecrOutputName(repository: string): string {
  return `ecr_repository_url_${repository.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** Terraform output name of an environment's CI role ARN: `github_apply_role_arn_prod`. */
export function roleOutputName(job: CiJob, environment: string): string {
  return `github_${job}_role_arn_${environment.replace(/[^A-Za-z0-9]/g, '_')}`;
}

export interface BootstrapStackProps {
  readonly project: ProjectConfig;
  /** Every environment (roles per environment, ECR repositories and state locations across them). */
  readonly environments: readonly EnvironmentConfig[];
  /** Local state file (with `bootstrap.state: local`), relative to the stack's output directory. @default "terraform.bootstrap.tfstate" */
  readonly localStatePath?: string;
}

const json = (policy: PolicyDocument | Record<string, unknown>) => JSON.stringify(policy);

export class BootstrapStack extends TerraformStack {
  /** Provider per account id (the tooling account's is the default provider). */
  readonly providers: Readonly<Record<string, AwsProvider>>;
  /** The shared-services state key (bucket default, lock table, bootstrap state). */
  readonly stateKey: KmsKey;
  readonly stateBuckets: Readonly<Record<string, S3Bucket>>;
  readonly lockTables: Readonly<Record<string, DynamodbTable>>;
  readonly repositories: Readonly<Record<string, EcrRepository>>;
  /** ARN (reference) of the GitHub OIDC provider per account id. */
  readonly oidcProviderArns: Readonly<Record<string, string>>;
  /** Per environment: its own state key (in its account). */
  readonly environmentStateKeys: Readonly<Record<string, KmsKey>>;
  /** Per environment: its CI roles by job. */
  readonly ciRoles: Readonly<Record<string, Readonly<Record<CiJob, IamRole>>>>;
  /** Per environment: the CI boundary its CI roles carry. */
  readonly ciBoundaries: Readonly<Record<string, IamPolicy>>;
  /** Per environment: the managed policy `<project>-<env>-boundary` every role of its stack carries. */
  readonly permissionsBoundaries: Readonly<Record<string, IamPolicy>>;
  readonly buildRole: IamRole;

  constructor(scope: Construct, props: BootstrapStackProps) {
    super(scope, BOOTSTRAP_STACK_NAME);
    const { project, environments } = props;
    const p = project.project;
    const partition = partitionOf(project.region);
    const tooling = project.accountId;
    const region = project.region;
    const s3Arn = (bucket: string, key = '') => `arn:${partition}:s3:::${bucket}${key ? `/${key}` : ''}`;
    const tableArn = (table: string) => `arn:${partition}:dynamodb:${region}:${tooling}:table/${table}`;
    const tags = { project: p, environment: BOOTSTRAP_STACK_NAME, 'managed-by': BOOTSTRAP_MANAGED_BY };

    // ---- one provider per account ------------------------------------------------------------------
    const accounts = unique([tooling, ...environments.map((e) => e.accountId)]);
    const providers: Record<string, AwsProvider> = {};
    for (const account of accounts) {
      providers[account] =
        account === tooling
          ? new AwsProvider(this, 'aws', { region, allowedAccountIds: [tooling], defaultTags: [{ tags }] })
          : new AwsProvider(this, `aws-${account}`, {
              alias: `account_${account}`,
              region,
              allowedAccountIds: [account],
              assumeRole: [
                {
                  roleArn: `arn:${partition}:iam::${account}:role/${project.bootstrap.assumeRoleName}`,
                  sessionName: `${p}-bootstrap`,
                },
              ],
              defaultTags: [{ tags }],
            });
    }
    this.providers = providers;
    const providerOf = (account: string) => (account === tooling ? undefined : providers[account]);

    if (project.bootstrap.state === 's3') {
      addBootstrapS3Backend(this, {
        project: p,
        bucket: project.state.bucket,
        region,
        kmsKeyId: `arn:${partition}:kms:${region}:${tooling}:${project.state.kmsKeyAlias}`,
      });
    } else {
      new LocalBackend(this, { path: props.localStatePath ?? 'terraform.bootstrap.tfstate' });
    }

    // ---- shared-services state key ---------------------------------------------------------------------
    this.stateKey = new KmsKey(this, 'state-key', {
      description: `${p}: state bucket default encryption, lock table, bootstrap state`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      lifecycle: { preventDestroy: true },
    });
    new KmsAlias(this, 'state-key-alias', {
      name: project.state.kmsKeyAlias,
      targetKeyId: this.stateKey.keyId,
    });

    // ---- environment state keys (in each environment's account, the bucket's region) ------------------
    const envKeys: Record<string, KmsKey> = {};
    for (const env of environments) {
      const key = new KmsKey(this, `${env.name}-state-key`, {
        provider: providerOf(env.accountId),
        description: `${p}-${env.name}: Terraform state of ${env.name}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        lifecycle: { preventDestroy: true },
        tags: { environment: env.name },
      });
      new KmsAlias(this, `${env.name}-state-key-alias`, {
        provider: providerOf(env.accountId),
        name: stateKeyAlias(p, env.name),
        targetKeyId: key.keyId,
      });
      envKeys[env.name] = key;
    }
    this.environmentStateKeys = envKeys;
    // An environment may name its own key in the YAML (state.kmsKeyId, a key ARN): then that is its key.
    const stateKmsOf = (env: EnvironmentConfig) =>
      env.state.kmsKeyId.includes(':alias/') ? envKeys[env.name].arn : env.state.kmsKeyId;

    // ---- GitHub OIDC provider per account ------------------------------------------------------------
    const oidcArns: Record<string, string> = {};
    for (const account of accounts) {
      const id = account === tooling ? 'github-oidc' : `github-oidc-${account}`;
      oidcArns[account] = project.github.existingOidcProviderAccounts.includes(account)
        ? // Reused: an account has at most one provider per URL (CreateOpenIDConnectProvider would fail
          // with EntityAlreadyExists); the data source also fails the plan when it is missing.
          new DataAwsIamOpenidConnectProvider(this, id, {
            provider: providerOf(account),
            url: `https://${GITHUB_OIDC_HOST}`,
          }).arn
        : new IamOpenidConnectProvider(this, id, {
            provider: providerOf(account),
            url: `https://${GITHUB_OIDC_HOST}`,
            clientIdList: ['sts.amazonaws.com'],
            thumbprintList: [
              '6938fd4d98bab03faadb97b34396831e3780aea1',
              '1c58a3a8518e8759bf075b76b750d4f2df264fcd',
            ],
          }).arn;
    }
    this.oidcProviderArns = oidcArns;

    // ---- CI roles per environment ------------------------------------------------------------------
    const bucketNames = unique([project.state.bucket, ...environments.map((e) => e.state.bucket)]);
    const dynamoEnvs = environments.filter((e) => e.state.locking !== 's3-native');
    // A lock table only for environments that lock with DynamoDB (every environment in its own account
    // uses the S3 lock file: environments/rules.ts).
    const tableNames = unique(dynamoEnvs.map((e) => e.state.lockTable));
    const lockTableArns = tableNames.map(tableArn);
    const protectedIamArns = (account: string) => [
      ...environments
        .filter((e) => e.accountId === account)
        .flatMap((e) => ciIamArns(partition, account, p, e.name)),
      ...(account === tooling
        ? [
            `arn:${partition}:iam::${tooling}:role/${buildRoleName(p)}`,
            `arn:${partition}:iam::${tooling}:policy/${buildRoleName(p)}-boundary`,
          ]
        : []),
    ];
    const ciRoles: Record<string, Record<CiJob, IamRole>> = {};
    const ciBoundaries: Record<string, IamPolicy> = {};
    const workloadBoundaries: Record<string, IamPolicy> = {};
    const scopes: Record<string, EnvironmentAccessScope> = {};
    for (const env of environments) {
      const provider = providerOf(env.accountId);
      const scope: EnvironmentAccessScope = {
        partition,
        project: p,
        environment: env.name,
        accountId: env.accountId,
        region: env.region,
        toolingAccountId: tooling,
        stateRegion: region,
        stateBucket: env.state.bucket,
        stateKmsKeyArn: stateKmsOf(env),
        ...(env.state.locking !== 's3-native' ? { lockTableArn: tableArn(env.state.lockTable) } : {}),
        lockfile: env.state.locking !== 'dynamodb',
        others: environments
          .filter((o) => o.name !== env.name)
          .map((o) => ({ name: o.name, accountId: o.accountId, stateBucket: o.state.bucket })),
        stateBuckets: bucketNames,
        lockTableArns: env.accountId === tooling ? lockTableArns : [],
        oidcProviderArn: oidcArns[env.accountId],
        workloadBoundaryArn: permissionsBoundaryArn(partition, env.accountId, p, env.name),
        repositories: unique(env.services.map((s) => s.imageRepository)),
        protectedIamArns: protectedIamArns(env.accountId),
      };
      scopes[env.name] = scope;

      workloadBoundaries[env.name] = new IamPolicy(this, `${env.name}-boundary`, {
        provider,
        name: permissionsBoundaryName(p, env.name),
        description: `Permissions boundary of every IAM role the ${env.name} stack creates`,
        policy: json(workloadBoundaryPolicy(scope)),
        tags: { environment: env.name },
      });
      const boundary = new IamPolicy(this, `${env.name}-ci-boundary`, {
        provider,
        name: ciBoundaryName(p, env.name),
        description: `Permissions boundary of the ${env.name} CI roles: no other environment, no role chaining`,
        policy: json(ciBoundaryPolicy(scope)),
        tags: { environment: env.name },
      });
      ciBoundaries[env.name] = boundary;

      const names = ciRoleNames(p, env.name);
      const trusts = ciTrusts(
        project.github,
        env.name,
        oidcArns[env.accountId],
        environments.filter((t) => t.promotion.from === env.name).map((t) => t.name),
      );
      const policies: Record<CiJob, PolicyDocument> = {
        plan: planPolicy(scope),
        apply: applyPolicy(scope),
        release: releasePolicy(scope),
        status: statusPolicy(scope),
      };
      const descriptions: Record<CiJob, string> = {
        plan: `Terraform plan of ${env.name} (pull requests and ${project.github.mainBranch}): configuration and its own state, no application data`,
        apply: `Terraform apply of ${env.name}: GitHub Environment ${env.name}, infra workflow on ${project.github.mainBranch}`,
        release: `switchyard deploy/promote/rollback in ${env.name}: GitHub Environment ${env.name}`,
        status: `switchyard status of ${env.name} (read-only): the promote workflow's source capture`,
      };
      const roles = {} as Record<CiJob, IamRole>;
      for (const job of CI_JOBS) {
        const role = new IamRole(this, `${env.name}-${job}-role`, {
          provider,
          name: names[job],
          description: descriptions[job],
          assumeRolePolicy: json(trusts[job]),
          maxSessionDuration: CI_MAX_SESSION_SECONDS,
          permissionsBoundary: boundary.arn,
          tags: { environment: env.name },
        });
        new IamRolePolicy(this, `${env.name}-${job}-policy`, {
          provider,
          name: job,
          role: role.id,
          policy: json(policies[job]),
        });
        new TerraformOutput(this, roleOutputName(job, env.name), { value: role.arn });
        roles[job] = role;
      }
      ciRoles[env.name] = roles;
      new TerraformOutput(this, `state_kms_key_arn_${env.name.replace(/[^A-Za-z0-9]/g, '_')}`, {
        value: scope.stateKmsKeyArn,
      });
    }
    this.ciRoles = ciRoles;
    this.ciBoundaries = ciBoundaries;
    this.permissionsBoundaries = workloadBoundaries;

    // ---- state buckets and lock tables (tooling account) ---------------------------------------------
    const crossAccount = environments.filter((e) => e.accountId !== tooling);
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
      const grants = crossAccount
        .filter((e) => e.state.bucket === name)
        .flatMap((e) => stateBucketGrants(partition, name, p, e.name, ciRoles[e.name]));
      new S3BucketPolicy(this, `${id}-policy`, {
        bucket: bucket.id,
        policy: json({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [s3Arn(name), s3Arn(name, '*')],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
            ...grants,
          ],
        }),
      });
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

    // ---- ECR (tooling account) -----------------------------------------------------------------------
    const repositories: Record<string, EcrRepository> = {};
    for (const name of unique(environments.flatMap((e) => e.services.map((s) => s.imageRepository)))) {
      const id = `ecr-${name.replace(/[^A-Za-z0-9]/g, '-')}`;
      const repo = new EcrRepository(this, id, {
        name,
        imageTagMutability: REPOSITORY_MUTABILITY.imageTagMutability,
        imageTagMutabilityExclusionFilter: REPOSITORY_MUTABILITY.exclusionFilters.map((f) => ({ ...f })),
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: [{ encryptionType: project.ecr.encryption }],
        forceDelete: false,
      });
      new EcrLifecyclePolicy(this, `${id}-lifecycle`, {
        repository: repo.name,
        policy: JSON.stringify(lifecyclePolicy(project.ecr.keepImages)),
      });
      const pullers = crossAccount.filter((e) => e.services.some((s) => s.imageRepository === name));
      if (pullers.length > 0) {
        const byAccount = new Map<
          string,
          { rolePatterns: string[]; planRoles: string[]; releaseRoles: string[] }
        >();
        for (const e of pullers) {
          const g = byAccount.get(e.accountId) ?? { rolePatterns: [], planRoles: [], releaseRoles: [] };
          const roles = ciRoleNames(p, e.name);
          g.rolePatterns.push(`${p}-${e.name}-*`);
          g.planRoles.push(roles.plan, roles.apply);
          g.releaseRoles.push(roles.release);
          byAccount.set(e.accountId, g);
        }
        new EcrRepositoryPolicy(this, `${id}-policy`, {
          repository: repo.name,
          policy: json(
            repositoryPolicy(
              partition,
              [...byAccount.entries()].map(([accountId, g]) => ({ accountId, ...g })),
            ),
          ),
        });
      }
      repositories[name] = repo;
      new TerraformOutput(this, ecrOutputName(name), { value: repo.repositoryUrl });
    }
    this.repositories = repositories;

    // ---- build/push role (tooling account) -----------------------------------------------------------
    const buildBoundary = new IamPolicy(this, 'build-boundary', {
      name: `${buildRoleName(p)}-boundary`,
      description: 'Permissions boundary of the build role: ECR only',
      policy: json(buildBoundaryPolicy()),
    });
    this.buildRole = new IamRole(this, 'build-role', {
      name: buildRoleName(p),
      description: `Image build: push to ECR from ${project.github.mainBranch} of ${project.github.repository} (build workflow)`,
      assumeRolePolicy: json(buildTrust(project.github, oidcArns[tooling])),
      maxSessionDuration: CI_MAX_SESSION_SECONDS,
      permissionsBoundary: buildBoundary.arn,
    });
    new IamRolePolicy(this, 'build-policy', {
      name: 'push',
      role: this.buildRole.id,
      policy: json(buildPolicy(Object.values(repositories).map((r) => r.arn))),
    });

    // ---- outputs -----------------------------------------------------------------------------------
    new TerraformOutput(this, 'github_build_role_arn', { value: this.buildRole.arn });
    new TerraformOutput(this, 'ecr_registry', { value: `${tooling}.dkr.ecr.${region}.amazonaws.com` });
    new TerraformOutput(this, 'state_bucket', { value: buckets[project.state.bucket].bucket });
    if (tables[project.state.lockTable]) {
      new TerraformOutput(this, 'lock_table', { value: tables[project.state.lockTable].name });
    }
    new TerraformOutput(this, 'state_kms_key_arn', { value: this.stateKey.arn });
    new TerraformOutput(this, 'github_oidc_provider_arn', { value: oidcArns[tooling] });

    // The account-wide resources hold every environment's state: judged at the strictest tier.
    applyGuardrails(this, { tier: 'prod' });
  }
}

/**
 * Bucket-policy grants of an environment in another account: its plan and apply roles reach its own
 * state object and lock file, nothing else (cross-account access needs the bucket policy AND the
 * role's own policy).
 */
function stateBucketGrants(
  partition: string,
  bucket: string,
  project: string,
  environment: string,
  roles: Readonly<Record<CiJob, IamRole>>,
): Record<string, unknown>[] {
  const key = stateKey(project, environment);
  const obj = (k: string) => `arn:${partition}:s3:::${bucket}/${k}`;
  const sid = environment.replace(/[^A-Za-z0-9]/g, '');
  const both = [roles.plan.arn, roles.apply.arn];
  return [
    {
      Sid: `${sid}List`,
      Effect: 'Allow',
      Principal: { AWS: both },
      Action: 's3:ListBucket',
      // Unconditional: `terraform init` lists the workspace prefix (`env:/`) too; key names are no data.
      Resource: `arn:${partition}:s3:::${bucket}`,
    },
    {
      Sid: `${sid}Read`,
      Effect: 'Allow',
      Principal: { AWS: both },
      Action: 's3:GetObject',
      Resource: obj(key),
    },
    {
      Sid: `${sid}Write`,
      Effect: 'Allow',
      Principal: { AWS: [roles.apply.arn] },
      Action: 's3:PutObject',
      Resource: obj(key),
    },
    {
      Sid: `${sid}Lock`,
      Effect: 'Allow',
      Principal: { AWS: both },
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: obj(`${key}.tflock`),
    },
  ];
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
