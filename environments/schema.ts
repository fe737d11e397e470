/**
 * Schema of `environments/<name>.yaml` and `environments/project.yaml`.
 *
 * The YAML is first merged over the tier defaults (./tiers.ts), then validated with these strict
 * schemas (unknown keys are errors), then checked by the cross-field rules (./rules.ts), then
 * resolved (./loader.ts) into the fully-populated types exported at the bottom of this file, which
 * the stacks and modules consume. Field documentation below is the user-facing reference: every
 * default given as "tier" lives in ./tiers.ts.
 */
import { z } from 'zod';
import { MAX_SERVICE_NAME_LENGTH, SCALING_TARGET_MAX, SCALING_TARGET_MIN } from '../modules/ecs/limits';
import { emailEndpointProblem, httpsEndpointProblem } from '../modules/alarms/subscriptions';
import { MIN_REASON_LENGTH } from '../modules/guardrails/suppressions';
import {
  deploymentSettingsSchema,
  NOTIFICATION_EVENTS,
  notificationsSchema,
  smokeTestSchema,
} from '../services/topology';
import { TIERS, type Tier } from './tiers';

// ---------------------------------------------------------------------------------------------------
// Reusable field types
// ---------------------------------------------------------------------------------------------------

/** Lower-case name usable in AWS resource names: `api`, `billing-worker`. */
const NAME_RE = /^[a-z][a-z0-9-]{0,27}[a-z0-9]$|^[a-z]$/;
export const nameField = z.string().regex(NAME_RE, {
  error: 'must be lower-case letters, digits and dashes, start with a letter, at most 29 characters',
});

export const accountIdField = z
  .string({ error: 'must be a 12-digit AWS account id in quotes' })
  .regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id in quotes' });

export const regionField = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, { error: 'must be an AWS region such as eu-west-1' });

/** IPv4 CIDR syntax only; host bits, size and ranges are checked by the cross-field rules. */
export const cidrField = z
  .string()
  .regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/, {
    error: 'must be an IPv4 CIDR such as 10.0.0.0/16',
  });

const arnOf = (service: string, what: string) =>
  z.string().regex(new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:${what}`), {
    error: `must be an ${service} ARN (arn:aws:${service}:<region>:<account>:${what}…)`,
  });

/** Environment-variable name: `LOG_LEVEL`. */
const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be a valid environment variable name' });

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
const retentionField = z.literal(LOG_RETENTION_DAYS, {
  error: `must be one of the CloudWatch retention periods ${LOG_RETENTION_DAYS.join(', ')}`,
});

/** VPC interface endpoints the VPC module knows how to create (`com.amazonaws.<region>.<name>`). */
export const INTERFACE_ENDPOINTS = [
  'ecr.api',
  'ecr.dkr',
  'logs',
  'secretsmanager',
  'ssm',
  'kms',
  'sts',
  'monitoring',
  'elasticloadbalancing',
  'ecs',
  'ecs-agent',
  'ecs-telemetry',
] as const;

/** Fargate CPU units and the memory (MiB) each accepts (Linux, platform 1.4). */
export const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};
function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}
export const FARGATE_CPU = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;

const int = (min: number, max: number) =>
  z
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` });

// ---------------------------------------------------------------------------------------------------
// project.yaml
// ---------------------------------------------------------------------------------------------------

/** GitHub `sub` claim formats a role trusts (GitHub: "Immutable subject claims", OIDC reference). */
export const SUBJECT_FORMATS = ['name', 'immutable', 'both'] as const;
export type SubjectFormat = (typeof SUBJECT_FORMATS)[number];

const numericId = z
  .string({ error: 'must be a numeric GitHub id in quotes, e.g. "123456"' })
  .regex(/^[1-9]\d{0,19}$/, { error: 'must be a numeric GitHub id in quotes, e.g. "123456"' });

/** `environments/project.yaml`: settings shared by every environment and the bootstrap stack. */
export const projectSchema = z.strictObject({
  /** Project name: prefix of every resource name and of the state keys (`<project>/<env>/terraform.tfstate`). */
  project: nameField,
  /**
   * The shared-services (tooling) account: state bucket, lock table, ECR, the build role. With one
   * account for everything, every environment names this account too.
   */
  accountId: accountIdField,
  /** Region of the bootstrap resources (state bucket, lock table, ECR, the environments' state keys). */
  region: regionField,
  github: z.strictObject({
    /** `owner/repo` whose workflows may assume the CI roles. */
    repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'must be "owner/repo"' }),
    /** Branch whose pushes may assume the plan and build roles, and whose workflows apply and release. @default "main" */
    mainBranch: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+$/, { error: 'must be a branch name without wildcards' })
      .default('main'),
    /**
     * The OIDC `sub` format the roles trust: `name` (`repo:owner/repo:…`), `immutable`
     * (`repo:owner@OWNER_ID/repo@REPO_ID:…`, the default for repositories created, renamed or
     * transferred on or after 2026-07-15) or `both` while switching. @default "name"
     */
    subjectFormat: z.enum(SUBJECT_FORMATS).default('name'),
    /** Numeric id of the repository owner (required for `immutable` and `both`; never a wildcard). */
    ownerId: numericId.optional(),
    /** Numeric id of the repository (required for `immutable` and `both`; never a wildcard). */
    repositoryId: numericId.optional(),
    /**
     * Accounts that already have the GitHub OIDC provider (`token.actions.githubusercontent.com`):
     * bootstrap reads it there instead of creating it (an account has at most one). @default []
     */
    existingOidcProviderAccounts: z.array(accountIdField).default([]),
  }),
  bootstrap: z
    .strictObject({
      /**
       * Where the bootstrap stack keeps its own state: `local` (first apply: the bucket does not exist
       * yet) then `s3` (`<bucket>/<project>/bootstrap/terraform.tfstate`, after
       * `terraform init -migrate-state`). @default "local"
       */
      state: z.enum(['local', 's3']).default('local'),
      /**
       * Role bootstrap assumes in every environment account other than `accountId` (the one AWS
       * Organizations creates in member accounts). @default "OrganizationAccountAccessRole"
       */
      assumeRoleName: z
        .string()
        .regex(/^[A-Za-z0-9+=,.@_/-]{1,64}$/, { error: 'must be an IAM role name' })
        .default('OrganizationAccountAccessRole'),
    })
    .prefault({}),
  ecr: z
    .strictObject({
      /** Images kept per repository beyond the retention-marked ones; older ones expire. @default 30 */
      keepImages: int(1, 1000).default(30),
      /** `KMS` (AWS-managed ECR key) or `AES256`. @default "KMS" */
      encryption: z.enum(['KMS', 'AES256']).default('KMS'),
    })
    .prefault({}),
  state: z
    .strictObject({
      /** State bucket name. @default "<project>-tfstate-<accountId>" */
      bucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'must be a valid S3 bucket name' })
        .optional(),
      /** DynamoDB lock table name. @default "<project>-tfstate-lock" */
      lockTable: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{3,255}$/, { error: 'must be a valid DynamoDB table name' })
        .optional(),
      /** Days noncurrent state versions are kept before they expire. @default 90 */
      noncurrentVersionDays: int(1, 3650).default(90),
    })
    .prefault({}),
});
export type ProjectInput = z.output<typeof projectSchema>;

/** Fully resolved project settings. */
export interface ProjectConfig {
  readonly project: string;
  /** The shared-services (tooling) account. */
  readonly accountId: string;
  readonly region: string;
  readonly github: {
    readonly repository: string;
    readonly mainBranch: string;
    readonly subjectFormat: SubjectFormat;
    readonly ownerId?: string;
    readonly repositoryId?: string;
    readonly existingOidcProviderAccounts: readonly string[];
  };
  readonly bootstrap: { readonly state: 'local' | 's3'; readonly assumeRoleName: string };
  readonly ecr: { readonly keepImages: number; readonly encryption: 'KMS' | 'AES256' };
  readonly state: {
    readonly bucket: string;
    readonly lockTable: string;
    /** Alias of the KMS key bootstrap creates for the bucket's default encryption and the lock table: `alias/<project>-tfstate`. */
    readonly kmsKeyAlias: string;
    readonly noncurrentVersionDays: number;
  };
}

// ---------------------------------------------------------------------------------------------------
// <env>.yaml sections
// ---------------------------------------------------------------------------------------------------

export const vpcSchema = z.strictObject({
  /** VPC CIDR, /16 to /23, in an RFC 1918 range. Subnets are carved from it (modules/vpc/subnet-plan.ts). */
  cidr: cidrField,
  /** Number of availability zones: 2 or 3. @default tier: dev 2, staging 2, prod 3 */
  azCount: z.literal([2, 3], { error: 'must be 2 or 3' }),
  /**
   * AZ names (`<region><letter>`); their count must equal azCount, and each must be available to the
   * account without opt-in (checked at plan time). @default the first azCount zones the region offers
   * the account (`aws_availability_zones`, state available, opt-in not required) — not `<region>a/b/c`,
   * which do not exist everywhere (ca-central-1, ap-northeast-1, us-west-1)
   */
  availabilityZones: z.array(z.string().min(1)).optional(),
  /** `single` NAT gateway, one `per-az`, or `none` (then ECR/logs interface endpoints are required). @default tier: single, single, per-az */
  natGateways: z.enum(['single', 'per-az', 'none']),
  /** VPC flow-log retention in CloudWatch (days). @default tier: 14, 30, 365 */
  flowLogRetentionDays: retentionField,
  /** Interface endpoints to create in the private subnets. The S3 gateway endpoint is always created. @default tier: none, none, ecr.api ecr.dkr logs secretsmanager */
  interfaceEndpoints: z.array(z.enum(INTERFACE_ENDPOINTS)),
});

export const stateSchema = z.strictObject({
  /** State bucket. @default project.yaml state.bucket */
  bucket: z.string().min(3).optional(),
  /** DynamoDB lock table. @default project.yaml state.lockTable */
  lockTable: z.string().min(3).optional(),
  /** KMS key (key ARN or alias ARN) that encrypts the state object. @default the environment's own state key, `alias/<project>-<env>-tfstate` in its account */
  kmsKeyId: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:/, { error: 'must be a KMS key or alias ARN' })
    .optional(),
  /** `dynamodb` lock table, `s3-native` (use_lockfile, Terraform >= 1.10) or `both` while migrating. @default dynamodb */
  locking: z.enum(['dynamodb', 's3-native', 'both']),
});

export const healthCheckSchema = z.strictObject({
  /** HTTP path the target group probes. @default "/health" */
  path: z.string().regex(/^\/[\x21-\x7e]*$/, { error: 'must start with "/" and contain no spaces' }),
  /** Status codes counted healthy, e.g. "200" or "200-299". @default "200" */
  matcher: z
    .string()
    .regex(/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/, { error: 'must be HTTP codes like "200" or "200-299"' }),
  /** @default tier: 15, 15, 10 */
  intervalSeconds: int(5, 300),
  /** @default 2 */
  healthyThreshold: int(2, 10),
  /** @default 3 */
  unhealthyThreshold: int(2, 10),
  /** Must be less than intervalSeconds. @default 5 */
  timeoutSeconds: int(2, 120),
});

export const autoscalingSchema = z.strictObject({
  /** @default tier: 1, 2, 3 */
  min: int(0, 1000),
  /** @default tier: 2, 4, 12 */
  max: int(1, 1000),
  /** Target average CPU (%), 10–90. @default 60 */
  cpuTarget: int(SCALING_TARGET_MIN, SCALING_TARGET_MAX),
  /** Target average memory (%), 10–90. @default 75 */
  memoryTarget: int(SCALING_TARGET_MIN, SCALING_TARGET_MAX),
});

export const policyStatementSchema = z.strictObject({
  /** Optional statement id. */
  sid: z
    .string()
    .regex(/^[A-Za-z0-9]+$/, { error: 'must be alphanumeric' })
    .optional(),
  /** Specific actions such as "s3:GetObject"; wildcards for a whole service or "*" are refused. */
  actions: z
    .array(z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/, { error: 'must be "service:Action"' }))
    .min(1),
  /** Resource ARNs. */
  resources: z.array(z.string().min(1)).min(1),
});

export const routingSchema = z.strictObject({
  /** Host header the production rule matches, e.g. "api.example.com". */
  hostHeader: z.string().min(1).optional(),
  /** Path pattern the production rule matches, e.g. "/api/*". @default "/*" when hostHeader is not set either */
  pathPattern: z
    .string()
    .regex(/^\/\S*$/, { error: 'must start with "/"' })
    .optional(),
  /** Listener rule priority, unique per environment. @default 100 + 10 × service index */
  priority: int(1, 50000).optional(),
});

/** Service name: like nameField, at most MAX_SERVICE_NAME_LENGTH (the ECS module's limit). */
export const serviceNameField = nameField.max(MAX_SERVICE_NAME_LENGTH, {
  error: `must be at most ${MAX_SERVICE_NAME_LENGTH} characters (it is part of target group and role names)`,
});

/** `services[].containerHealthCheck` (ECS container health check; ECS's own limits). */
export const containerHealthCheckSchema = z.strictObject({
  /** `["CMD", "/bin/healthcheck"]` or `["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"]`. */
  command: z
    .array(z.string().min(1))
    .min(2, { error: 'must be ["CMD", "<binary>", …] or ["CMD-SHELL", "<command>"]' })
    .refine((c) => c[0] === 'CMD' || c[0] === 'CMD-SHELL', {
      error: 'must start with "CMD" or "CMD-SHELL"',
    }),
  /** @default 30 */
  intervalSeconds: int(5, 300).optional(),
  /** @default 5 */
  timeoutSeconds: int(2, 60).optional(),
  /** @default 3 */
  retries: int(1, 10).optional(),
  /** @default 10 */
  startPeriodSeconds: int(0, 300).optional(),
});

export const serviceSchema = z.strictObject({
  /** Service name, unique in the environment, at most 24 characters: ECS services are `<name>-blue` and `<name>-green`. */
  name: serviceNameField,
  /** ECR repository name (created by bootstrap), e.g. "switchyard/api". */
  imageRepository: z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/, {
    error: 'must be an ECR repository name such as "switchyard/api"',
  }),
  /** Port the container listens on. */
  containerPort: int(1, 65535),
  /** Fargate CPU units. @default tier: 256, 512, 512 */
  cpu: z.literal(FARGATE_CPU, { error: `must be one of ${FARGATE_CPU.join(', ')}` }),
  /** Fargate memory (MiB); must be valid for the cpu. @default tier: 512, 1024, 1024 */
  memory: int(512, 122880),
  /** Tasks of the live colour. @default tier: 1, 2, 3 */
  desiredCount: int(0, 1000),
  /** Task log-group retention (days). @default tier: 14, 30, 90 */
  logRetentionDays: retentionField,
  healthCheck: healthCheckSchema,
  /** Target-group deregistration delay (seconds). @default 30 */
  deregistrationDelaySeconds: int(0, 3600),
  autoscaling: autoscalingSchema,
  /** Plain environment variables. Names that look like secrets (PASSWORD, SECRET, TOKEN, KEY…) are refused. @default {} */
  environment: z.record(envVarName, z.string({ error: 'must be a string (quote numbers and booleans)' })),
  /** Secrets injected with `valueFrom`: variable name → Secrets Manager secret or SSM parameter ARN. @default {} */
  secrets: z.record(
    envVarName,
    z
      .string()
      .regex(
        /^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:|ssm:[a-z0-9-]+:\d{12}:parameter\/)\S+$/,
        {
          error: 'must be a Secrets Manager secret ARN or an SSM parameter ARN',
        },
      ),
  ),
  routing: routingSchema,
  /** Deploy defaults read by the switchyard CLI (flags override per run). @default tier, see README */
  deploy: deploymentSettingsSchema.extend({
    /** @default deregistrationDelaySeconds + bakeSeconds */
    terminationWaitSeconds: deploymentSettingsSchema.shape.terminationWaitSeconds.optional(),
  }),
  /**
   * Pre-traffic smoke test of every release, sent through the test listener to the new colour before any
   * production traffic moves (`http` checks and/or a `command`); see the README. @default none
   */
  smokeTest: smokeTestSchema.optional(),
  /** Extra IAM statements for the task role (least privilege: empty by default). @default [] */
  taskRolePolicyStatements: z.array(policyStatementSchema),
  /**
   * Container `user` (`uid`, `uid:gid`, `user` or `user:group`). Set e.g. "1000:1000" to force a
   * non-root user when the image does not declare one. @default none (the image's USER)
   */
  user: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/, {
      error: 'must be "uid", "uid:gid", "user" or "user:group"',
    })
    .optional(),
  /**
   * Container-level health check, run inside the container by ECS: it needs the binary (and for
   * CMD-SHELL a shell) in the image, so it is off unless set. The ALB target-group health check is
   * always on and is the deploy gate. @default none
   */
  containerHealthCheck: containerHealthCheckSchema.optional(),
  /** Customer-managed KMS keys the listed secrets are encrypted with (the execution role may decrypt with them). @default [] */
  secretsKmsKeyArns: z.array(
    z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, {
      error: 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)',
    }),
  ),
  /** Writable scratch directories (the root filesystem is read-only). Absolute, not "/", unique. @default ["/tmp"] */
  writablePaths: z
    .array(z.string().regex(/^\/[^\s]+$/, { error: 'must be an absolute path below "/" without spaces' }))
    .refine((paths) => new Set(paths).size === paths.length, { error: 'must not list a path twice' }),
  /**
   * Image tag of the Terraform-managed task definition (the one the services start with before the
   * first `switchyard deploy`; releases register their own revisions), when it must be a given tag; it
   * must exist in the repository at the first apply. @default none: the newest image pushed to the
   * repository, pinned by digest at the environment's first apply (modules/initial-image)
   */
  initialImageTag: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { error: 'must be a valid image tag' })
    .optional(),
});

export const albSchema = z.strictObject({
  /** ACM certificate for the HTTPS listener. Required unless allowPlainHttp is true. */
  certificateArn: arnOf('acm', 'certificate/').optional(),
  /** Explicit opt-in to serve plain HTTP on 80 because the environment has no certificate yet. Refused in prod. @default false */
  allowPlainHttp: z.boolean(),
  testListener: z.strictObject({
    /** Port of the test listener that reaches the idle colour. @default 8443 */
    port: int(1, 65535),
    /**
     * CIDRs allowed to reach the test listener (testers' offices, VPN, external CI runners), each /8 or
     * narrower. The NAT gateways' public IPs are always allowed too (as /32): the ALB is internet-facing,
     * so clients inside the VPC reach it through NAT. Required (non-empty) when vpc.natGateways is
     * "none". @default [] (NAT gateway IPs only)
     */
    allowedCidrs: z.array(cidrField).optional(),
  }),
  accessLogs: z.strictObject({
    /** @default tier: false, true, true */
    enabled: z.boolean(),
    /** Existing bucket for the logs; omitted → the ECS module creates one. */
    bucket: z.string().min(3).optional(),
    /** Key prefix. @default "" */
    prefix: z.string(),
  }),
  /** @default tier: false, false, true */
  deletionProtection: z.boolean(),
  /** @default 60 */
  idleTimeoutSeconds: int(1, 4000),
});

export const databaseSchema = z.strictObject({
  /**
   * PostgreSQL major version. Minor versions are applied by RDS (auto minor version upgrade is on), so a
   * pinned minor such as "16.4" is refused: it would make every plan after the first upgrade try to
   * downgrade. @default "16"
   */
  engineVersion: z.string().regex(/^\d+$/, {
    error: 'must be a PostgreSQL major version such as "16" (RDS applies minor versions itself)',
  }),
  /** @default tier: db.t4g.micro, db.t4g.small, db.r6g.large */
  instanceClass: z
    .string()
    .regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, { error: 'must be an RDS instance class such as db.t4g.micro' }),
  /** GiB. @default tier: 20, 50, 100 */
  allocatedStorage: int(20, 65536),
  /** Storage autoscaling ceiling (GiB), >= allocatedStorage. @default tier: 50, 100, 500 */
  maxAllocatedStorage: int(20, 65536),
  /** @default "app" */
  databaseName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, { error: 'must be a PostgreSQL identifier' }),
  /** Master user name (its password is generated and kept in Secrets Manager by RDS). @default "app_admin" */
  masterUsername: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, { error: 'must be a PostgreSQL identifier' }),
  /**
   * Database user the services connect as with IAM authentication: each task role gets `rds-db:connect`
   * for it and the services receive DATABASE_USER. Create it once in the database (with the master
   * credentials): `CREATE USER app; GRANT rds_iam TO app;` plus the grants the application needs.
   * @default "app"
   */
  appUsername: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, { error: 'must be a PostgreSQL identifier' }),
  /** Must be true in prod. @default tier: false, false, true */
  multiAz: z.boolean(),
  /** Must be true in prod. @default tier: false, true, true */
  deletionProtection: z.boolean(),
  /** @default tier: true, false, false */
  skipFinalSnapshot: z.boolean(),
  /** @default tier: 1, 7, 30 */
  backupRetentionDays: int(0, 35),
  /** @default tier: false, true, true */
  performanceInsights: z.boolean(),
  /** CloudWatch log exports (their log groups are created by Terraform, encrypted with the environment's logs key). @default ["postgresql", "upgrade"] */
  logExports: z.array(z.enum(['postgresql', 'upgrade', 'iam-db-auth-error'])),
  /** Retention of the exported database logs (days). @default tier: 14, 30, 90 */
  logRetentionDays: retentionField,
  /**
   * Storage encryption key: RDS-managed or a customer-managed KMS key. Fixed once the database exists: RDS
   * cannot re-encrypt an instance, so a change would replace (empty) it — every plan refuses that unless
   * allowStorageKmsReplacement is set. @default tier: aws-managed, aws-managed, customer-managed
   */
  storageKms: z.enum(['aws-managed', 'customer-managed']),
  /**
   * Explicit opt-in to let a storageKms change replace the database after a final snapshot (its data is
   * NOT copied: restore it from the snapshot yourself). Needs skipFinalSnapshot: false,
   * deletionProtection: false and protection.preventDestroy: false; refused in prod. Apply it once on its
   * own, then change storageKms. @default false
   */
  allowStorageKmsReplacement: z.boolean(),
});

export const cacheSchema = z.strictObject({
  /** @default "valkey" */
  engine: z.enum(['redis', 'valkey']),
  /** @default redis "7.1", valkey "8.0" */
  engineVersion: z
    .string()
    .regex(/^\d+\.\d+$/, { error: 'must be a version such as "7.1"' })
    .optional(),
  /** @default tier: cache.t4g.micro, cache.t4g.small, cache.r7g.large */
  nodeType: z
    .string()
    .regex(/^cache\.[a-z0-9-]+\.[a-z0-9]+$/, { error: 'must be a node type such as cache.t4g.micro' }),
  /** Read replicas. @default tier: 0, 1, 2 */
  replicas: int(0, 5),
  /** Needs replicas >= 1; must be true in prod. @default tier: false, true, true */
  automaticFailover: z.boolean(),
  /** Needs automaticFailover; must be true in prod. @default tier: false, true, true */
  multiAz: z.boolean(),
  /** @default tier: 0, 1, 7 */
  snapshotRetentionDays: int(0, 35),
  /**
   * `rbac`: an RBAC user group whose application user authenticates with IAM (the task role gets
   * `elasticache:Connect`; services receive CACHE_USER) — no password exists anywhere.
   * `secrets-manager` (opt-in): a generated AUTH token kept in Secrets Manager and injected as the
   * CACHE_AUTH_TOKEN secret — the token is in the Terraform state. @default "rbac" (every tier)
   */
  authMode: z.enum(['secrets-manager', 'rbac']),
});

export const suppressionSchema = z.strictObject({
  /** Guardrail rule id, e.g. "SY-ALB-3". */
  ruleId: z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, { error: 'must be a rule id' }),
  /** Construct path (or its tail) the suppression applies to; omitted → the whole environment. */
  resource: z.string().min(1).optional(),
  /** Why the rule does not apply here (the guardrails' minimum length, MIN_REASON_LENGTH). */
  reason: z
    .string({ error: `must explain why the rule does not apply (at least ${MIN_REASON_LENGTH} characters)` })
    .trim()
    .min(MIN_REASON_LENGTH, {
      error: `must explain why the rule does not apply (at least ${MIN_REASON_LENGTH} characters)`,
    }),
});

/** One subscriber of the environment's alarm topic (`alarms.subscriptions[]`). */
export const alarmSubscriptionSchema = z.discriminatedUnion(
  'protocol',
  [
    z.strictObject({
      /** E-mail (AWS sends a confirmation mail; nothing arrives until its link is clicked). */
      protocol: z.literal('email'),
      endpoint: z.string().refine((e) => emailEndpointProblem(e) === undefined, {
        error: 'must be an e-mail address',
      }),
      autoConfirms: z.never({ error: 'only applies to https endpoints' }).optional(),
    }),
    z.strictObject({
      /** HTTPS POST of a JSON message; the endpoint must confirm the subscription (SubscriptionConfirmation). */
      protocol: z.literal('https'),
      /** https:// URL without credentials (it is stored in the Terraform state and shown in plans). */
      endpoint: z.string().superRefine((e, ctx) => {
        const problem = httpsEndpointProblem(e);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
      /** The endpoint confirms the subscription by itself (Terraform waits for the confirmation). @default false */
      autoConfirms: z.boolean().optional(),
    }),
  ],
  { error: 'must be "email" or "https" (plain http is refused: alarm contents would travel unencrypted)' },
);

/** Suffix of the hold-expiry workflow's GitHub Environments (`prod-hold-expiry`); reserved in names. */
export const HOLD_EXPIRY_SUFFIX = '-hold-expiry';

/** The whole `environments/<name>.yaml` after tier defaults are merged in. */
export const environmentSchema = z.strictObject({
  /**
   * Environment name; must equal the file name (`prod` for prod.yaml). Names ending in `-hold-expiry` are
   * reserved: `<env>-hold-expiry` is the GitHub Environment of the scheduled hold-expiry enforcer, which the
   * release role of `<env>` trusts (stacks/bootstrap/github.ts HoldExpiry) — an environment of that name
   * would bind its deploy jobs to the same GitHub Environment.
   */
  name: nameField.refine((n) => !n.endsWith(HOLD_EXPIRY_SUFFIX), {
    error: `must not end in "${HOLD_EXPIRY_SUFFIX}": <env>-hold-expiry is reserved for the GitHub Environment of the scheduled hold-expiry workflow of <env>; choose another name`,
  }),
  /** Tier whose defaults and rules apply. @default the name, when it is dev, staging or prod */
  tier: z.enum(TIERS, { error: `must be one of ${TIERS.join(', ')} (required when the name is not a tier)` }),
  /** AWS account of this environment: its own account (recommended) or the project.yaml account. */
  accountId: accountIdField,
  /** Region of this environment. */
  region: regionField,
  vpc: vpcSchema,
  state: stateSchema,
  /** The services of this environment; may be empty. @default [] */
  services: z.array(serviceSchema),
  alb: albSchema,
  database: databaseSchema,
  cache: cacheSchema,
  protection: z.strictObject({
    /** `lifecycle.prevent_destroy` on stateful resources (database, cache, deployment table). @default tier: false, false, true */
    preventDestroy: z.boolean(),
  }),
  promotion: z.strictObject({
    /** Environment whose live, healthy image may be promoted here. @default none */
    from: nameField.optional(),
  }),
  guardrails: z.strictObject({
    /** Guardrail suppressions, each with a written reason. @default [] */
    suppressions: z.array(suppressionSchema),
  }),
  alarms: z.strictObject({
    /**
     * Who the environment's alarm topic notifies: e-mail addresses and HTTPS endpoints, each confirmed by
     * its owner once. Prod must list at least one. @default []
     */
    subscriptions: z.array(alarmSubscriptionSchema),
    /** Replaced by `subscriptions`; kept only to say so. */
    snsEmail: z
      .never({ error: 'was replaced by alarms.subscriptions: [{ protocol: email, endpoint: "<address>" }]' })
      .optional(),
  }),
  /**
   * Deploy notifications (start, hold, success, rollback, failure), sent by switchyard — never blocking or
   * failing a deploy. Published in every service's topology.
   */
  notifications: z.strictObject({
    /** Publish them to the environment's alarm topic (its subscribers: alarms.subscriptions). @default false */
    sns: z.boolean(),
    /**
     * NAME of the environment variable holding a Slack-compatible incoming-webhook URL in the deployer's
     * process — in GitHub Actions a GitHub Environment secret mapped into the deploy job's `env:`. The URL
     * is a secret: it never goes into this file, the topology, the state or any log. @default none
     */
    webhookUrlEnv: notificationsSchema.shape.webhookUrlEnv,
    /** Which events are sent. @default all: start, hold, success, rollback, failure */
    events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1),
    /** Refused: a webhook URL is a secret. */
    webhookUrl: z
      .never({
        error:
          'a webhook URL is a secret and must not be in the YAML: store it as a GitHub Environment secret, map it into the deploy job (env: SLACK_WEBHOOK_URL: ${{ secrets.SLACK_WEBHOOK_URL }}) and name the variable in notifications.webhookUrlEnv',
      })
      .optional(),
  }),
});
export type EnvironmentInput = z.output<typeof environmentSchema>;

// ---------------------------------------------------------------------------------------------------
// Resolved (defaults applied, computed fields filled) types consumed by stacks and modules
// ---------------------------------------------------------------------------------------------------

type Input = EnvironmentInput;
type ServiceInput = Input['services'][number];
type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** `availabilityZones` stays undefined unless listed: the VPC module then reads the region's zones. */
export type VpcConfig = DeepReadonly<Input['vpc']>;
export type StateConfig = DeepReadonly<{
  bucket: string;
  lockTable: string;
  /** Region of the state bucket and lock table (the bootstrap region). */
  region: string;
  kmsKeyId: string;
  locking: Input['state']['locking'];
}>;
export type ServiceConfig = DeepReadonly<
  Omit<ServiceInput, 'deploy' | 'routing'> & {
    deploy: z.output<typeof deploymentSettingsSchema>;
    routing: { hostHeader?: string; pathPattern?: string; priority: number };
  }
>;
export type AlbConfig = DeepReadonly<
  Omit<Input['alb'], 'testListener'> & { testListener: { port: number; allowedCidrs: string[] } }
>;
export type DatabaseConfig = DeepReadonly<Input['database']>;
export type CacheConfig = DeepReadonly<Omit<Input['cache'], 'engineVersion'> & { engineVersion: string }>;
export type SuppressionConfig = DeepReadonly<Input['guardrails']['suppressions'][number]>;
export type AlarmSubscriptionConfig = DeepReadonly<Input['alarms']['subscriptions'][number]>;

/** One environment, fully resolved: what the platform stack and the modules receive. */
export interface EnvironmentConfig {
  readonly name: string;
  readonly tier: Tier;
  readonly project: string;
  readonly accountId: string;
  readonly region: string;
  /** The YAML file it came from (relative to the repository root), for messages. */
  readonly file: string;
  readonly vpc: VpcConfig;
  readonly state: StateConfig;
  readonly services: readonly ServiceConfig[];
  readonly alb: AlbConfig;
  readonly database: DatabaseConfig;
  readonly cache: CacheConfig;
  readonly protection: { readonly preventDestroy: boolean };
  readonly promotion: { readonly from?: string };
  readonly guardrails: { readonly suppressions: readonly SuppressionConfig[] };
  readonly alarms: { readonly subscriptions: readonly AlarmSubscriptionConfig[] };
  /** Deploy notifications (published in every service's topology by stacks/runtime.ts). */
  readonly notifications: {
    readonly sns: boolean;
    readonly webhookUrlEnv?: string;
    readonly events: readonly (typeof NOTIFICATION_EVENTS)[number][];
  };
  /** GitHub repository (`owner/repo`) from project.yaml. */
  readonly githubRepository: string;
  /** The shared-services account (project.yaml `accountId`): ECR repositories and the state bucket live there. */
  readonly toolingAccountId: string;
}
