/**
 * The IAM policies of the CI roles (pure; IAM JSON; values may be Terraform references such as the
 * ARN of a key created in the same stack). One builder per role kind:
 *
 * - plan:    read the configuration of the environment's services and its own state; NO application
 *            data (object data outside its state prefix, DynamoDB items except the lock, log events,
 *            secret values, parameter values outside the topology, SecureString decryption, ECR layers).
 * - apply:   the plan reads + manage the environment's services; IAM only on `<project>-<env>-*`,
 *            roles it creates carry the workload boundary; passes only the environment's roles.
 * - release: exactly what switchyard sends (services/deployer/src/adapters/permissions.ts).
 * - status:  the read-only part of release (promotion's source capture).
 * - build:   push to the ECR repositories.
 *
 * Every environment CI role carries the CI boundary (`<project>-<env>-ci-boundary`): it allows nothing
 * by itself and fences off what no CI role of the environment may do — role chaining, passing other
 * roles, another environment's resources and state (every version), secrets of other environments, and
 * changes to the bootstrap resources.
 */
import {
  type ReleaseScope,
  readOnlyCommands,
  releasePolicyStatements,
  releaseResources,
} from '../../services/deployer/src/adapters/permissions';
import { topologyParameterName } from '../../services/topology';
import { bootstrapStateKey, ciBoundaryName, ciRoleNames } from '../names';
import { REGISTRY_READ_ACTIONS } from './ecr';
import { environmentServices } from './services';

export interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

const doc = (statements: readonly (Statement | undefined | false)[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements.filter((s): s is Statement => Boolean(s)),
});

/** Tag bootstrap puts on what it creates; the CI boundary refuses changes to resources carrying it. */
export const BOOTSTRAP_MANAGED_BY = 'switchyard-bootstrap';

/** Another environment, as far as the fences of this one need to know it. */
export interface OtherEnvironment {
  readonly name: string;
  readonly accountId: string;
  readonly stateBucket: string;
}

/** Everything the policies of one environment's CI roles are built from. */
export interface EnvironmentAccessScope {
  readonly partition: string;
  readonly project: string;
  readonly environment: string;
  /** The environment's account (its roles live there). */
  readonly accountId: string;
  readonly region: string;
  readonly toolingAccountId: string;
  /** Region of the state bucket, the lock table and ECR. */
  readonly stateRegion: string;
  readonly stateBucket: string;
  /** The environment's own state key (ARN; a Terraform reference at synth time). */
  readonly stateKmsKeyArn: string;
  /** Lock table ARN when the environment locks with DynamoDB. */
  readonly lockTableArn?: string;
  /** True when the environment locks with the S3 lock file. */
  readonly lockfile: boolean;
  readonly others: readonly OtherEnvironment[];
  /** Every state bucket and lock table (the bootstrap resources no CI role may change). */
  readonly stateBuckets: readonly string[];
  readonly lockTableArns: readonly string[];
  /** ARN of the GitHub OIDC provider of the environment's account. */
  readonly oidcProviderArn: string;
  /** The workload boundary (`<project>-<env>-boundary`) every role of the environment stack carries. */
  readonly workloadBoundaryArn: string;
  /** ECR repositories of the environment's services (in the tooling account). */
  readonly repositories: readonly string[];
  /** Every CI role and CI boundary of the account (every environment's, and the build role's). */
  readonly protectedIamArns: readonly string[];
}

const s3 = (p: string, bucket: string, key?: string) => `arn:${p}:s3:::${bucket}${key ? `/${key}` : ''}`;

/** `<project>/<env>/` — every object of an environment's state (state, lock file, versions). */
export function statePrefix(project: string, environment: string): string {
  return `${project}/${environment}/`;
}

/** Actions that read application data (the plan role must never have them; apply neither, except secrets). */
export const DATA_READS = {
  objects: ['s3:GetObject*'],
  items: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:Scan',
    'dynamodb:PartiQLSelect',
    'dynamodb:GetRecords',
    'dynamodb:ExportTableToPointInTime',
  ],
  parameters: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory'],
  logs: [
    'logs:GetLogEvents',
    'logs:FilterLogEvents',
    'logs:StartQuery',
    'logs:GetQueryResults',
    'logs:StartLiveTail',
    'logs:GetLogRecord',
    'logs:Unmask',
    'rds:DownloadDBLogFilePortion',
    'rds:DownloadCompleteDBLogFile',
  ],
  secrets: ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue'],
  images: ['ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'ecr:GetAuthorizationToken'],
  hosts: [
    'ec2:GetConsoleOutput',
    'ec2:GetConsoleScreenshot',
    'ec2:GetPasswordData',
    'ec2:GetLaunchTemplateData',
  ],
} as const;

/** Read verbs a service has no action for (Service Authorization Reference; checked by tests/iam). */
const NO_SUCH_READS: Readonly<Record<string, readonly string[]>> = {
  elasticache: ['Get'],
  elasticloadbalancing: ['List'],
  iam: ['Describe'],
  rds: ['Get'],
  sns: ['Describe'],
};

/** The configuration reads of the environment's services (what `terraform plan` refreshes with). */
export function readConfigurationActions(): string[] {
  return environmentServices().flatMap((s) =>
    ['Describe', 'List', 'Get'].filter((v) => !NO_SUCH_READS[s]?.includes(v)).map((v) => `${s}:${v}*`),
  );
}

/** Services the apply role manages as a whole (S3 and IAM are scoped separately). */
export function managedServices(): string[] {
  return environmentServices().filter((s) => s !== 's3' && s !== 'iam');
}

function stateStatements(s: EnvironmentAccessScope, write: boolean): Statement[] {
  const key = `${statePrefix(s.project, s.environment)}terraform.tfstate`;
  return [
    // Listing shows key names only (every environment's key is in the README anyway), no object data.
    {
      Sid: 'StateBucketList',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: s3(s.partition, s.stateBucket),
    },
    {
      Sid: 'OwnState',
      Effect: 'Allow',
      Action: write ? ['s3:GetObject', 's3:PutObject'] : 's3:GetObject',
      Resource: s3(s.partition, s.stateBucket, key),
    },
    ...(s.lockfile
      ? [
          {
            Sid: 'OwnLockfile',
            Effect: 'Allow' as const,
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
            Resource: s3(s.partition, s.stateBucket, `${key}.tflock`),
          },
        ]
      : []),
    ...(s.lockTableArn
      ? [
          {
            Sid: 'LockTable',
            Effect: 'Allow' as const,
            Action: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
            Resource: s.lockTableArn,
            // Lock items are `<bucket>/<key>` and `<bucket>/<key>-md5`: only this environment's.
            Condition: {
              'ForAllValues:StringLike': {
                'dynamodb:LeadingKeys': [`${s.stateBucket}/${statePrefix(s.project, s.environment)}*`],
              },
            },
          },
        ]
      : []),
    {
      Sid: 'OwnStateKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      Resource: s.stateKmsKeyArn,
    },
  ];
}

function topologyResources(s: EnvironmentAccessScope): string[] {
  const path = topologyParameterName(s.environment, 'x').replace(/\/x$/, '');
  const arn = `arn:${s.partition}:ssm:${s.region}:${s.accountId}:parameter${path}`;
  return [arn, `${arn}/*`];
}

/** Denies of application-data reads (the plan and apply roles). */
function noApplicationData(s: EnvironmentAccessScope, kind: 'plan' | 'apply'): Statement[] {
  const ownState = s3(s.partition, s.stateBucket, `${statePrefix(s.project, s.environment)}*`);
  return [
    { Sid: 'NoObjectData', Effect: 'Deny', Action: [...DATA_READS.objects], NotResource: ownState },
    s.lockTableArn
      ? { Sid: 'NoItems', Effect: 'Deny', Action: [...DATA_READS.items], NotResource: s.lockTableArn }
      : { Sid: 'NoItems', Effect: 'Deny', Action: [...DATA_READS.items], Resource: '*' },
    {
      Sid: 'NoParameterValues',
      Effect: 'Deny',
      Action: [...DATA_READS.parameters],
      NotResource: topologyResources(s),
    },
    {
      Sid: 'NoLogsImagesOrHostData',
      Effect: 'Deny',
      Action: [...DATA_READS.logs, ...DATA_READS.images, ...DATA_READS.hosts],
      Resource: '*',
    },
    ...(kind === 'plan'
      ? [
          { Sid: 'NoSecretValues', Effect: 'Deny' as const, Action: [...DATA_READS.secrets], Resource: '*' },
          // SecureString parameters (and anything else encrypted) stay ciphertext: the only key it may
          // decrypt with is its own state key.
          {
            Sid: 'NoDecryption',
            Effect: 'Deny' as const,
            Action: 'kms:Decrypt',
            NotResource: s.stateKmsKeyArn,
          },
        ]
      : []),
  ];
}

/**
 * The image list of the environment's repositories (shared-services account): the first apply starts
 * each service from the newest pushed image (modules/initial-image; ListImages, DescribeImages,
 * DescribeRepositories). Metadata only — no manifest, no layer (DATA_READS.images stay denied).
 */
function registryReads(s: EnvironmentAccessScope): Statement | undefined {
  const { resources } = releaseResources('image-repositories', releaseScope(s));
  return s.repositories.length > 0
    ? { Sid: 'RegistryReads', Effect: 'Allow', Action: [...REGISTRY_READ_ACTIONS], Resource: resources }
    : undefined;
}

export function planPolicy(s: EnvironmentAccessScope): PolicyDocument {
  return doc([
    { Sid: 'ReadConfiguration', Effect: 'Allow', Action: readConfigurationActions(), Resource: '*' },
    registryReads(s),
    ...stateStatements(s, false),
    ...noApplicationData(s, 'plan'),
  ]);
}

/** Services whose service-linked roles Terraform may need to create on the first apply. */
export const SERVICE_LINKED_ROLE_SERVICES = [
  'ecs.amazonaws.com',
  'elasticloadbalancing.amazonaws.com',
  'rds.amazonaws.com',
  'elasticache.amazonaws.com',
  'ecs.application-autoscaling.amazonaws.com',
] as const;

/** AWS-managed policies the apply role may never attach (escalation to administrator). */
export const BROAD_MANAGED_POLICIES = ['AdministratorAccess', 'IAMFullAccess', 'PowerUserAccess'] as const;

/** Services the environment stack passes its roles to (ECS tasks; VPC flow logs). */
export const PASSED_TO_SERVICES = ['ecs-tasks.amazonaws.com', 'vpc-flow-logs.amazonaws.com'] as const;

export function applyPolicy(s: EnvironmentAccessScope): PolicyDocument {
  const p = s.partition;
  const prefix = `${s.project}-${s.environment}`;
  const iam = (kind: string) => `arn:${p}:iam::${s.accountId}:${kind}/${prefix}-*`;
  return doc([
    { Sid: 'ReadConfiguration', Effect: 'Allow', Action: readConfigurationActions(), Resource: '*' },
    registryReads(s),
    {
      Sid: 'ManageEnvironment',
      Effect: 'Allow',
      Action: managedServices().map((x) => `${x}:*`),
      Resource: '*',
    },
    {
      Sid: 'OwnBuckets',
      Effect: 'Allow',
      Action: 's3:*',
      Resource: [s3(p, `${prefix}-*`), s3(p, `${prefix}-*`, '*')],
    },
    ...stateStatements(s, true),
    {
      Sid: 'EnvironmentRolesAndPolicies',
      Effect: 'Allow',
      Action: 'iam:*',
      Resource: [iam('role'), iam('policy'), iam('instance-profile')],
    },
    {
      Sid: 'ServiceLinkedRoles',
      Effect: 'Allow',
      Action: 'iam:CreateServiceLinkedRole',
      Resource: '*',
      Condition: { StringEquals: { 'iam:AWSServiceName': [...SERVICE_LINKED_ROLE_SERVICES] } },
    },
    {
      // A role without this environment's workload boundary could be given any policy and passed to a
      // service: creating it, changing its policies or its boundary is refused.
      Sid: 'RolesCarryTheBoundary',
      Effect: 'Deny',
      Action: [
        'iam:CreateRole',
        'iam:PutRolePermissionsBoundary',
        'iam:AttachRolePolicy',
        'iam:PutRolePolicy',
      ],
      Resource: '*',
      Condition: { StringNotEquals: { 'iam:PermissionsBoundary': s.workloadBoundaryArn } },
    },
    { Sid: 'BoundaryStays', Effect: 'Deny', Action: 'iam:DeleteRolePermissionsBoundary', Resource: '*' },
    {
      Sid: 'BoundaryUnchanged',
      Effect: 'Deny',
      Action: [
        'iam:CreatePolicyVersion',
        'iam:DeletePolicy',
        'iam:DeletePolicyVersion',
        'iam:SetDefaultPolicyVersion',
        'iam:TagPolicy',
        'iam:UntagPolicy',
      ],
      Resource: s.workloadBoundaryArn,
    },
    {
      Sid: 'NoBroadManagedPolicies',
      Effect: 'Deny',
      Action: ['iam:AttachRolePolicy', 'iam:AttachUserPolicy', 'iam:AttachGroupPolicy'],
      Resource: '*',
      Condition: {
        ArnEquals: { 'iam:PolicyARN': BROAD_MANAGED_POLICIES.map((n) => `arn:${p}:iam::aws:policy/${n}`) },
      },
    },
    {
      Sid: 'PassEnvironmentRoles',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: iam('role'),
      Condition: { StringEquals: { 'iam:PassedToService': [...PASSED_TO_SERVICES] } },
    },
    ...noApplicationData(s, 'apply'),
  ]);
}

export function releaseScope(s: EnvironmentAccessScope): ReleaseScope {
  return {
    partition: s.partition,
    region: s.region,
    accountId: s.accountId,
    project: s.project,
    environment: s.environment,
    repositories: s.repositories,
    registryAccountId: s.toolingAccountId,
    registryRegion: s.stateRegion,
  };
}

export function releasePolicy(s: EnvironmentAccessScope): PolicyDocument {
  return doc(releasePolicyStatements(releaseScope(s)).map((st) => ({ ...st }) as unknown as Statement));
}

export function statusPolicy(s: EnvironmentAccessScope): PolicyDocument {
  return doc(
    releasePolicyStatements(releaseScope(s), readOnlyCommands()).map(
      (st) => ({ ...st }) as unknown as Statement,
    ),
  );
}

/**
 * ARN patterns of another environment's resources in the same account: for each service of the
 * environment stacks, every resource whose name contains `<project>-<other>` (services, target groups,
 * rules, alarms, tables, roles, KMS aliases, clusters …), plus its log groups (`/<project>/<other>/`),
 * secrets (`<project>/<other>/`), topology parameters and buckets. One pattern per service: IAM allows
 * no wildcard in an ARN's service segment (IAM User Guide, "Identify AWS resources with ARNs",
 * incorrect wildcard usage). No environment's name may start with another's in one account (loader).
 */
export function otherEnvironmentArns(s: EnvironmentAccessScope, other: string): string[] {
  const p = s.partition;
  const acct = s.accountId;
  const name = `${s.project}-${other}`;
  const topology = topologyParameterName(other, 'x').replace(/\/x$/, '');
  const arn = (service: string, resource: string) =>
    `arn:${p}:${service}:${service === 'iam' ? '' : '*'}:${acct}:${resource}`;
  return [
    ...environmentServices()
      .filter((svc) => svc !== 's3')
      .map((svc) => arn(svc, `*${name}*`)),
    arn('logs', `log-group:/${s.project}/${other}/*`),
    arn('secretsmanager', `secret:${s.project}/${other}/*`),
    arn('ssm', `parameter${topology}/*`),
    s3(p, `${name}*`),
  ];
}

export function ciBoundaryPolicy(s: EnvironmentAccessScope): PolicyDocument {
  const p = s.partition;
  const sameAccount = s.others.filter((o) => o.accountId === s.accountId).map((o) => o.name);
  const otherStates = s.others.map((o) => s3(p, o.stateBucket, `${statePrefix(s.project, o.name)}*`));
  const bootstrapStates = [...new Set(s.stateBuckets)].map((b) => s3(p, b, bootstrapStateKey(s.project)));
  return doc([
    { Sid: 'WithinRolePolicies', Effect: 'Allow', Action: '*', Resource: '*' },
    // No role chaining: a CI role never becomes another role (sts:GetCallerIdentity needs no permission).
    { Sid: 'NoRoleChaining', Effect: 'Deny', Action: 'sts:*', Resource: '*' },
    {
      Sid: 'PassOwnRolesOnly',
      Effect: 'Deny',
      Action: 'iam:PassRole',
      NotResource: `arn:${p}:iam::${s.accountId}:role/${s.project}-${s.environment}-*`,
    },
    {
      // Every version of another environment's state and of the bootstrap state.
      Sid: 'OtherStates',
      Effect: 'Deny',
      Action: 's3:*',
      Resource: [...otherStates, ...bootstrapStates],
    },
    sameAccount.length > 0 && {
      Sid: 'OtherEnvironmentsByName',
      Effect: 'Deny',
      Action: '*',
      Resource: sameAccount.flatMap((o) => otherEnvironmentArns(s, o)),
    },
    sameAccount.length > 0 && {
      // Everything the environment stacks create carries `environment=<name>` (provider default tags).
      Sid: 'OtherEnvironmentsByTag',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceTag/environment': sameAccount } },
    },
    {
      // Secrets of other environments, and untagged ones (the RDS-managed master password): no CI role
      // reads them. A missing key makes a negated condition operator true (IAM: "Condition operators").
      Sid: 'OwnSecretsOnly',
      Effect: 'Deny',
      Action: [...DATA_READS.secrets],
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:ResourceTag/environment': s.environment } },
    },
    {
      Sid: 'ProtectCiRolesAndProvider',
      Effect: 'Deny',
      Action: 'iam:*',
      Resource: [...s.protectedIamArns, s.oidcProviderArn],
    },
    {
      Sid: 'ProtectBootstrapKeys',
      Effect: 'Deny',
      Action: [
        'kms:ScheduleKeyDeletion',
        'kms:DisableKey',
        'kms:DisableKeyRotation',
        'kms:PutKeyPolicy',
        'kms:CreateGrant',
        'kms:RevokeGrant',
        'kms:TagResource',
        'kms:UntagResource',
        'kms:UpdateAlias',
        'kms:DeleteAlias',
      ],
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceTag/managed-by': BOOTSTRAP_MANAGED_BY } },
    },
    {
      Sid: 'ProtectStateStore',
      Effect: 'Deny',
      Action: [
        's3:DeleteBucket',
        's3:PutBucketPolicy',
        's3:DeleteBucketPolicy',
        's3:PutBucketVersioning',
        's3:PutLifecycleConfiguration',
        's3:PutEncryptionConfiguration',
        's3:PutBucketPublicAccessBlock',
        's3:PutBucketOwnershipControls',
        'dynamodb:DeleteTable',
        'dynamodb:UpdateTable',
        'dynamodb:DeleteResourcePolicy',
        'dynamodb:PutResourcePolicy',
      ],
      Resource: [...new Set(s.stateBuckets)].map((b) => s3(p, b)).concat(s.lockTableArns),
    },
  ]);
}

/** The workload boundary of every role the environment stack creates (`<project>-<env>-boundary`). */
export function workloadBoundaryPolicy(s: EnvironmentAccessScope): PolicyDocument {
  return doc([
    {
      Sid: 'WorkloadsOnly',
      Effect: 'Allow',
      NotAction: ['iam:*', 'organizations:*', 'account:*', 'sso:*', 'identitystore:*'],
      Resource: '*',
    },
    {
      // Workloads never need the Terraform state, its lock or its keys (any environment's).
      Sid: 'DenyTerraformState',
      Effect: 'Deny',
      Action: ['s3:*', 'dynamodb:*', 'kms:*'],
      Resource: [
        ...[...new Set(s.stateBuckets)].flatMap((b) => [s3(s.partition, b), s3(s.partition, b, '*')]),
        ...s.lockTableArns,
        s.stateKmsKeyArn,
      ],
    },
  ]);
}

/** Push to the service repositories (and read back the digest and the scan findings). */
export const BUILD_PUSH_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:CompleteLayerUpload',
  'ecr:DescribeImageScanFindings',
  'ecr:DescribeImages',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
] as const;

export function buildPolicy(repositoryArns: readonly string[]): PolicyDocument {
  return doc([
    // GetAuthorizationToken has no resource-level permissions.
    { Sid: 'RegistryLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    { Sid: 'PushImages', Effect: 'Allow', Action: [...BUILD_PUSH_ACTIONS], Resource: [...repositoryArns] },
  ]);
}

/** The build role's boundary: ECR and nothing else, whatever its policies say. */
export function buildBoundaryPolicy(): PolicyDocument {
  return doc([{ Sid: 'EcrOnly', Effect: 'Allow', Action: 'ecr:*', Resource: '*' }]);
}

/** The CI role and CI boundary ARNs of one environment (protected from every CI role of the account). */
export function ciIamArns(
  partition: string,
  accountId: string,
  project: string,
  environment: string,
): string[] {
  return [
    ...Object.values(ciRoleNames(project, environment)).map(
      (r) => `arn:${partition}:iam::${accountId}:role/${r}`,
    ),
    `arn:${partition}:iam::${accountId}:policy/${ciBoundaryName(project, environment)}`,
  ];
}
