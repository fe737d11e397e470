import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from 'constructs';
import {
  type DeploymentSettings,
  deploymentSettingsSchema,
  type SmokeTest,
  smokeTestSchema,
  notificationsSchema,
  type TopologyNotifications,
} from '../../services/topology';
import { formatCidr, parseCidr } from '../vpc/subnet-plan';
import { AccessLogsBucket } from './access-logs';
import { fargateSizeProblem } from './fargate';
import { secretResource, taskRoleStatementProblem } from './iam';
import {
  loadBalancerCapacityProblem,
  MAX_SERVICE_NAME_LENGTH,
  MIN_TEST_LISTENER_PREFIX,
  SCALING_TARGET_MAX,
  SCALING_TARGET_MIN,
} from './limits';
import { resourceAddressAt } from './legacy-ids';
import { boundedName, DNS_LABEL, repositoryUriOf } from './names';
import {
  BlueGreenService,
  type DataStoreAccess,
  DEFAULT_DEPLOYMENT_SETTINGS,
  type EcsServiceProps,
  type ResolvedService,
  type ServiceAlarmThresholds,
} from './service';

export type { PolicyStatement, TaskRoleStatement } from './iam';
export * from './limits';
export { boundedName } from './names';
export type {
  AutoscalingProps,
  ContainerHealthCheckProps,
  DataStoreAccess,
  EcsServiceProps,
  HealthCheckProps,
  RoutingProps,
  ServiceAlarmThresholds,
} from './service';
export { BlueGreenService, DEFAULT_DEPLOYMENT_SETTINGS } from './service';

/** TLS policy of the HTTPS listeners (TLS 1.3 + 1.2 only). */
export const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
const ALLOWED_SSL_POLICIES = /^ELBSecurityPolicy-TLS13-1-[23]-/;

export interface AccessLogsProps {
  /** Existing S3 bucket for ALB access logs (its policy must allow ELB log delivery). @default undefined (the module creates `<project>-<env>-alb-logs-<account>`) */
  readonly bucket?: string;
  /** Key prefix. @default `<project>/<environment>/alb` */
  readonly prefix?: string;
  /** Days the created bucket keeps logs (ignored for an existing bucket). @default 90 */
  readonly expireDays?: number;
}

export interface TestListenerProps {
  /** Port of the test listener. @default 8443 with a certificate, 8080 with plain HTTP */
  readonly port?: number;
  /**
   * CIDRs allowed to reach the test listener, in addition to natPublicIps. Each must be /8 or narrower
   * (never 0.0.0.0/0). @default []
   */
  readonly allowedCidrs?: readonly string[];
  /**
   * Public IPs of the environment's NAT gateways (Terraform references allowed), each allowed as a /32.
   * The ALB is internet-facing: clients inside the VPC (CI runners, operators on a bastion, smoke tests
   * in tasks) reach it through NAT, so their source address is a NAT IP — never the VPC CIDR.
   * @default [] — at least one of allowedCidrs and natPublicIps must be non-empty
   */
  readonly natPublicIps?: readonly string[];
}

export interface EcsPlatformProps {
  /** @default 'switchyard' */
  readonly project?: string;
  /** Environment name (`dev`, `staging`, `prod`, …). Required. */
  readonly environment: string;
  /** AWS region of the environment. Required. */
  readonly region: string;
  /** 12-digit AWS account id of the environment. Required. */
  readonly accountId: string;
  /** VPC id. Required. */
  readonly vpcId: string;
  /** VPC CIDR (validated; kept for callers, no longer a test-listener source: see TestListenerProps). Required. */
  readonly vpcCidr: string;
  /** Public subnets of the ALB (≥ 2, different AZs). Required. */
  readonly publicSubnetIds: readonly string[];
  /** Private subnets of the tasks (≥ 2). Required. */
  readonly privateSubnetIds: readonly string[];
  /** ACM certificate ARN of the HTTPS listeners. @default undefined (then allowPlainHttp must be true) */
  readonly certificateArn?: string;
  /** Explicit opt-in to a plain-HTTP production listener on 80 when there is no certificate. @default false */
  readonly allowPlainHttp?: boolean;
  /** TLS policy of the HTTPS listeners (TLS 1.3/1.2 policies only). @default 'ELBSecurityPolicy-TLS13-1-2-2021-06' */
  readonly sslPolicy?: string;
  /** ALB deletion protection. @default false (the tier defaults turn it on in staging and prod) */
  readonly deletionProtection?: boolean;
  /** ALB access logs. @default undefined (off) */
  readonly accessLogs?: AccessLogsProps;
  /** ALB idle timeout. @default 60 */
  readonly idleTimeoutSeconds?: number;
  /** Test listener port and sources. Required in practice: without sources nothing could reach it. @default port 8443/8080, no sources (refused) */
  readonly testListener?: TestListenerProps;
  /** Container Insights mode of the cluster. @default 'enabled' */
  readonly containerInsights?: 'enabled' | 'enhanced';
  /** Retention of the service log groups (a CloudWatch retention period; services may override). @default 30 */
  readonly logRetentionDays?: number;
  /** KMS key of the service log groups. @default undefined (CloudWatch Logs default encryption) */
  readonly logKmsKeyArn?: string;
  /**
   * Managed policy ARN set as the permissions boundary of every role the module creates (execution and
   * task roles). The deploy role may only create roles carrying its environment's boundary.
   * @default undefined (no boundary)
   */
  readonly permissionsBoundaryArn?: string;
  /** Deployment table name put into every topology document. Required. */
  readonly deploymentTableName: string;
  /** SNS topic of the environment's alarms. @default undefined (no service alarms: empty alarms.blue / .green) */
  readonly alarmTopicArn?: string;
  /**
   * Deploy notifications published in every service's topology (`notifications`): the SNS topic the
   * deployer publishes to and the NAME of the environment variable holding a webhook URL (never the URL).
   * @default undefined (no notifications)
   */
  readonly notifications?: TopologyNotifications;
  /** @default 5xx > 1 %, p95 > 3 s, for 5 min */
  readonly alarmThresholds?: ServiceAlarmThresholds;
  /**
   * Names of environment- or service-wide alarms (created elsewhere, e.g. modules/alarms) every service's
   * releases gate on: published as `alarms.shared` in each topology; `byService` adds ones for a single
   * service. A shared alarm already in ALARM when a rollback starts does not block it (see the README).
   * @default { all: [], byService: {} }
   */
  readonly sharedAlarmNames?: {
    readonly all?: readonly string[];
    readonly byService?: Readonly<Record<string, readonly string[]>>;
  };
  /** Let tasks reach HTTPS (443) anywhere: ECR, logs and Secrets Manager through NAT. @default true */
  readonly tasksHttpsEgress?: boolean;
  /**
   * Data stores every service's tasks may reach: the module adds the ingress rule on the store's group
   * and the egress rule on the tasks' group (one port each). Lets the platform build the database and
   * cache first (so services can get their endpoints) without a construct cycle. Alternatively give
   * the stores `allowedSecurityGroupIds: ecs.taskSecurityGroupIds` and build them after. @default []
   */
  readonly dataStores?: readonly DataStoreAccess[];
  /** The services (unique names and priorities; may be empty: cluster and ALB only). */
  readonly services: readonly EcsServiceProps[];
}

/** Retention periods CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isCidr(value: string): boolean {
  const m = CIDR.exec(value);
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
}

/**
 * The CIDRs without repeats, first occurrence first; `010.0.0.0/8` and `10.0.0.0/8` are the same source
 * (compared in canonical dotted form). Unparseable entries are kept as given (validation reports them).
 */
export function uniqueCidrs(cidrs: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    const key = parsed ? formatCidr(parsed) : cidr;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(parsed ? key : cidr);
  }
  return out;
}

function list(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

function intIn(v: number, min: number, max: number): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}

/**
 * Validates and fills in defaults for every service. Throws one Error listing every problem, each as
 * `EcsPlatform <id>: services[<i>] (<name>).<field>: <what is wrong> (got <value>)`.
 */
export function resolveServices(id: string, props: EcsPlatformProps): ResolvedService[] {
  const problems: string[] = [];
  const project = props.project ?? 'switchyard';
  const n = props.services.length;
  const seenNames = new Set<string>();
  const seenPriorities = new Map<number, string>();
  const resolved: ResolvedService[] = [];

  props.services.forEach((s, i) => {
    const at = `services[${i}] (${s.name})`;
    const bad = (field: string, what: string, got: unknown) =>
      problems.push(`${at}.${field}: ${what} (got ${JSON.stringify(got)})`);

    if (!DNS_LABEL.test(s.name) || s.name.length > MAX_SERVICE_NAME_LENGTH) {
      bad(
        'name',
        `must be 1-${MAX_SERVICE_NAME_LENGTH} lower-case letters, digits or hyphens, starting with a letter`,
        s.name,
      );
    }
    if (seenNames.has(s.name)) bad('name', 'duplicate service name', s.name);
    seenNames.add(s.name);

    const containerPort = s.containerPort ?? 8080;
    if (!intIn(containerPort, 1, 65535)) bad('containerPort', 'must be an integer 1-65535', containerPort);
    const cpu = s.cpu ?? 256;
    const memory = s.memory ?? 512;
    const size = fargateSizeProblem(cpu, memory);
    if (size) bad('cpu/memory', size, { cpu, memory });
    const desiredCount = s.desiredCount ?? 1;
    if (!intIn(desiredCount, 0, 1000)) bad('desiredCount', 'must be an integer 0-1000', desiredCount);

    const healthCheck = {
      path: s.healthCheck?.path ?? '/health',
      matcher: s.healthCheck?.matcher ?? '200-399',
      intervalSeconds: s.healthCheck?.intervalSeconds ?? 15,
      healthyThreshold: s.healthCheck?.healthyThreshold ?? 2,
      unhealthyThreshold: s.healthCheck?.unhealthyThreshold ?? 3,
      timeoutSeconds: s.healthCheck?.timeoutSeconds ?? 5,
    };
    if (!healthCheck.path.startsWith('/')) bad('healthCheck.path', 'must start with "/"', healthCheck.path);
    if (!/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/.test(healthCheck.matcher)) {
      bad('healthCheck.matcher', 'must be HTTP codes like "200" or "200-399"', healthCheck.matcher);
    }
    if (!intIn(healthCheck.intervalSeconds, 5, 300)) {
      bad('healthCheck.intervalSeconds', 'must be an integer 5-300', healthCheck.intervalSeconds);
    }
    if (
      !intIn(healthCheck.timeoutSeconds, 2, 120) ||
      healthCheck.timeoutSeconds >= healthCheck.intervalSeconds
    ) {
      bad(
        'healthCheck.timeoutSeconds',
        'must be an integer 2-120 and below intervalSeconds',
        healthCheck.timeoutSeconds,
      );
    }
    if (!intIn(healthCheck.healthyThreshold, 2, 10)) {
      bad('healthCheck.healthyThreshold', 'must be an integer 2-10', healthCheck.healthyThreshold);
    }
    if (!intIn(healthCheck.unhealthyThreshold, 2, 10)) {
      bad('healthCheck.unhealthyThreshold', 'must be an integer 2-10', healthCheck.unhealthyThreshold);
    }

    const deregistrationDelaySeconds = s.deregistrationDelaySeconds ?? 30;
    if (!intIn(deregistrationDelaySeconds, 0, 3600)) {
      bad('deregistrationDelaySeconds', 'must be an integer 0-3600', deregistrationDelaySeconds);
    }
    const healthCheckGracePeriodSeconds = s.healthCheckGracePeriodSeconds ?? 30;
    if (!intIn(healthCheckGracePeriodSeconds, 0, 2_147_483_647)) {
      bad('healthCheckGracePeriodSeconds', 'must be a non-negative integer', healthCheckGracePeriodSeconds);
    }

    const autoscaling = {
      min: s.autoscaling?.min ?? desiredCount,
      max: s.autoscaling?.max ?? Math.max(2, 4 * desiredCount),
      cpuTarget: s.autoscaling?.cpuTarget ?? 60,
      memoryTarget: s.autoscaling?.memoryTarget ?? 75,
    };
    if (!intIn(autoscaling.min, 0, 1000))
      bad('autoscaling.min', 'must be an integer 0-1000', autoscaling.min);
    if (!intIn(autoscaling.max, 1, 1000) || autoscaling.max < autoscaling.min) {
      bad(
        'autoscaling.max',
        `must be an integer 1-1000 and at least min (${autoscaling.min})`,
        autoscaling.max,
      );
    }
    if (desiredCount > autoscaling.max)
      bad('desiredCount', `must not exceed autoscaling.max (${autoscaling.max})`, desiredCount);
    for (const key of ['cpuTarget', 'memoryTarget'] as const) {
      const v = autoscaling[key];
      if (!(v >= SCALING_TARGET_MIN && v <= SCALING_TARGET_MAX)) {
        bad(`autoscaling.${key}`, `must be a percentage ${SCALING_TARGET_MIN}-${SCALING_TARGET_MAX}`, v);
      }
    }

    const environment = s.environment ?? {};
    const secrets = s.secrets ?? {};
    for (const name of Object.keys(environment)) {
      if (!ENV_NAME.test(name)) bad(`environment.${name}`, 'is not a valid variable name', name);
      if (name in secrets)
        bad(`environment.${name}`, 'is also listed in secrets; keep it in secrets only', name);
    }
    for (const [name, arn] of Object.entries(secrets)) {
      if (!ENV_NAME.test(name)) bad(`secrets.${name}`, 'is not a valid variable name', name);
      if (!secretResource(arn)) {
        bad(`secrets.${name}`, 'must be a Secrets Manager secret ARN or an SSM parameter ARN', arn);
      }
    }

    const hostHeader = list(s.routing?.hostHeader);
    let pathPattern = list(s.routing?.pathPattern);
    if (hostHeader.length === 0 && pathPattern.length === 0) {
      if (n > 1) {
        bad(
          'routing',
          'with several services each needs routing.hostHeader or routing.pathPattern',
          s.routing ?? null,
        );
      }
      pathPattern = ['/*'];
    }
    for (const p of pathPattern) if (!p.startsWith('/')) bad('routing.pathPattern', 'must start with "/"', p);
    const priority = s.routing?.priority ?? 100 + 10 * i;
    if (!intIn(priority, 1, 50000)) bad('routing.priority', 'must be an integer 1-50000', priority);
    const other = seenPriorities.get(priority);
    if (other !== undefined) bad('routing.priority', `already used by service ${other}`, priority);
    seenPriorities.set(priority, s.name);

    const deployInput = {
      ...DEFAULT_DEPLOYMENT_SETTINGS,
      terminationWaitSeconds:
        deregistrationDelaySeconds + (s.deploy?.bakeSeconds ?? DEFAULT_DEPLOYMENT_SETTINGS.bakeSeconds),
      ...s.deploy,
    };
    const parsed = deploymentSettingsSchema.safeParse(deployInput);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        bad(
          `deploy.${issue.path.join('.')}`,
          issue.message,
          (deployInput as Record<string, unknown>)[String(issue.path[0])],
        );
      }
    }

    let smokeTest: SmokeTest | undefined;
    if (s.smokeTest) {
      const st = smokeTestSchema.safeParse(s.smokeTest);
      if (st.success) smokeTest = st.data;
      else
        for (const issue of st.error.issues)
          bad(`smokeTest.${issue.path.join('.')}`, issue.message, s.smokeTest);
    }

    const repositoryAccountId = s.repositoryAccountId ?? props.accountId;
    if (!ACCOUNT.test(repositoryAccountId))
      bad('repositoryAccountId', 'must be a 12-digit account id', repositoryAccountId);
    const repositoryName = s.repositoryName ?? `${project}/${s.name}`;
    if (!/^[a-z0-9]+([._/-][a-z0-9]+)*$/.test(repositoryName)) {
      bad('repositoryName', 'is not a valid ECR repository name', repositoryName);
    }
    const repositoryRegion = s.repositoryRegion ?? props.region;
    if (!REGION.test(repositoryRegion)) bad('repositoryRegion', 'must be an AWS region', repositoryRegion);
    const initialImageTag = s.initialImageTag ?? 'bootstrap';
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(initialImageTag)) {
      bad('initialImageTag', 'is not a valid image tag', initialImageTag);
    }
    if (s.initialImage !== undefined && s.initialImage.trim() === '') {
      bad('initialImage', 'must be an image reference', s.initialImage);
    }
    const initialImage =
      s.initialImage ??
      `${repositoryUriOf({ repositoryAccountId, repositoryRegion, repositoryName })}:${initialImageTag}`;
    const containerName = s.containerName ?? s.name;
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(containerName))
      bad('containerName', 'is not a valid container name', containerName);
    const writablePaths = s.writablePaths ?? ['/tmp'];
    for (const p of writablePaths)
      if (!p.startsWith('/') || p === '/') bad('writablePaths', 'must be absolute paths below /', p);
    if (s.user !== undefined && !/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/.test(s.user)) {
      bad('user', 'must be "uid", "uid:gid", "user" or "user:group"', s.user);
    }
    (s.taskRolePolicyStatements ?? []).forEach((st, k) => {
      const problem = taskRoleStatementProblem(st);
      if (problem) bad(`taskRolePolicyStatements[${k}]`, problem, st);
    });
    if (s.logRetentionDays !== undefined && !LOG_RETENTION_DAYS.includes(s.logRetentionDays)) {
      bad('logRetentionDays', `must be one of ${LOG_RETENTION_DAYS.join(', ')}`, s.logRetentionDays);
    }
    if (s.containerHealthCheck && s.containerHealthCheck.command.length < 2) {
      bad(
        'containerHealthCheck.command',
        'must be ["CMD", …] or ["CMD-SHELL", "…"]',
        s.containerHealthCheck.command,
      );
    }

    resolved.push({
      name: s.name,
      containerName,
      containerPort,
      cpu,
      memory,
      desiredCount,
      healthCheck,
      deregistrationDelaySeconds,
      healthCheckGracePeriodSeconds,
      autoscaling,
      environment,
      secrets,
      secretsKmsKeyArns: s.secretsKmsKeyArns ?? [],
      hostHeader,
      pathPattern,
      priority,
      deploy: (parsed.success ? parsed.data : deployInput) as DeploymentSettings,
      ...(smokeTest ? { smokeTest } : {}),
      repositoryName,
      repositoryAccountId,
      repositoryRegion,
      initialImage,
      user: s.user,
      writablePaths,
      containerHealthCheck: s.containerHealthCheck,
      cpuArchitecture: s.cpuArchitecture ?? 'X86_64',
      taskRolePolicyStatements: s.taskRolePolicyStatements ?? [],
      logRetentionDays: s.logRetentionDays,
      promoteFrom: s.promoteFrom,
    });
  });

  const platform = (field: string, what: string, got: unknown) =>
    problems.unshift(`${field}: ${what} (got ${JSON.stringify(got)})`);
  if (!DNS_LABEL.test(props.environment))
    platform('environment', 'must be lower-case letters, digits, hyphens', props.environment);
  if (!DNS_LABEL.test(project)) platform('project', 'must be lower-case letters, digits, hyphens', project);
  if (!ACCOUNT.test(props.accountId)) platform('accountId', 'must be a 12-digit account id', props.accountId);
  if (!REGION.test(props.region)) platform('region', 'must be an AWS region like eu-west-1', props.region);
  if (!isCidr(props.vpcCidr)) platform('vpcCidr', 'must be an IPv4 CIDR', props.vpcCidr);
  const capacity = loadBalancerCapacityProblem(props.services.length);
  if (capacity) platform('services', capacity, props.services.length);
  if (props.publicSubnetIds.length < 2)
    platform('publicSubnetIds', 'an ALB needs at least 2 subnets', props.publicSubnetIds);
  if (props.privateSubnetIds.length < 1)
    platform('privateSubnetIds', 'at least 1 subnet is required', props.privateSubnetIds);
  if (!props.certificateArn && !props.allowPlainHttp) {
    platform(
      'certificateArn',
      'is required; set allowPlainHttp: true to opt into a plain-HTTP listener explicitly',
      null,
    );
  }
  if (props.certificateArn && props.allowPlainHttp) {
    platform('allowPlainHttp', 'must not be set when a certificateArn is given (HTTPS is used)', true);
  }
  if (props.certificateArn && !/^arn:aws[a-z-]*:acm:/.test(props.certificateArn)) {
    platform('certificateArn', 'must be an ACM certificate ARN', props.certificateArn);
  }
  const sslPolicy = props.sslPolicy ?? DEFAULT_SSL_POLICY;
  if (!ALLOWED_SSL_POLICIES.test(sslPolicy)) {
    platform(
      'sslPolicy',
      'must be a TLS 1.3/1.2 policy such as ELBSecurityPolicy-TLS13-1-2-2021-06',
      sslPolicy,
    );
  }
  for (const cidr of props.testListener?.allowedCidrs ?? []) {
    if (!isCidr(cidr)) platform('testListener.allowedCidrs', 'must be IPv4 CIDRs', cidr);
    else if (Number(cidr.split('/')[1]) < MIN_TEST_LISTENER_PREFIX)
      platform(
        'testListener.allowedCidrs',
        `must not open the test listener to the internet (a prefix of /${MIN_TEST_LISTENER_PREFIX} or narrower)`,
        cidr,
      );
  }
  if (
    (props.testListener?.allowedCidrs ?? []).length + (props.testListener?.natPublicIps ?? []).length ===
    0
  ) {
    platform(
      'testListener',
      "nothing could reach the test listener: give allowedCidrs (testers' addresses) or natPublicIps (clients inside the VPC reach the internet-facing ALB through NAT, not from the VPC CIDR)",
      props.testListener ?? null,
    );
  }
  const retention = props.logRetentionDays ?? 30;
  if (!LOG_RETENTION_DAYS.includes(retention)) {
    platform('logRetentionDays', `must be one of ${LOG_RETENTION_DAYS.join(', ')}`, retention);
  }
  const storeNames = new Set<string>();
  for (const store of props.dataStores ?? []) {
    if (!/^[a-z][a-z0-9-]*$/.test(store.name) || storeNames.has(store.name)) {
      platform('dataStores.name', 'must be unique lower-case names', store.name);
    }
    storeNames.add(store.name);
    if (!intIn(store.port, 1, 65535))
      platform(`dataStores.${store.name}.port`, 'must be an integer 1-65535', store.port);
  }
  const testPort = props.testListener?.port;
  if (testPort !== undefined && (!intIn(testPort, 1, 65535) || testPort === 80 || testPort === 443)) {
    platform('testListener.port', 'must be an integer 1-65535 other than 80 and 443', testPort);
  }
  if (problems.length > 0) {
    throw new Error(`EcsPlatform ${id}: invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return resolved;
}

/**
 * ECS Fargate platform of one environment: cluster, internet-facing ALB with production and test
 * listeners, the ALB security group, and one {@link BlueGreenService} per service.
 */
export class EcsPlatform extends Construct {
  readonly cluster: EcsCluster;
  readonly clusterName: string;
  readonly loadBalancer: Lb;
  readonly albSecurityGroup: SecurityGroup;
  /** HTTPS 443, or HTTP 80 when the environment opted into plain HTTP. */
  readonly productionListener: LbListener;
  /** HTTP 80 → HTTPS 443 redirect (absent with plain HTTP). */
  readonly redirectListener?: LbListener;
  readonly testListener: LbListener;
  readonly testListenerPort: number;
  /** The access-log bucket the module created (absent when logs are off or an existing bucket is used). */
  readonly accessLogsBucket?: AccessLogsBucket;
  readonly services: readonly BlueGreenService[];
  /** Security group ids of every service's tasks (give them to the data modules). */
  readonly taskSecurityGroupIds: readonly string[];

  constructor(scope: Construct, id: string, props: EcsPlatformProps) {
    super(scope, id);
    const resolved = resolveServices(id, props);
    const project = props.project ?? 'switchyard';
    const env = props.environment;
    const https = !!props.certificateArn;
    const sslPolicy = props.sslPolicy ?? DEFAULT_SSL_POLICY;

    this.clusterName = `${project}-${env}`;
    this.cluster = new EcsCluster(this, 'cluster', {
      name: this.clusterName,
      setting: [{ name: 'containerInsights', value: props.containerInsights ?? 'enabled' }],
    });

    // ------------------------------------------------------------------ ALB security group
    this.albSecurityGroup = new SecurityGroup(this, 'alb-sg', {
      name: `${project}-${env}-alb`,
      description: `ALB of ${env}: HTTP(S) from the internet, test listener from allowed CIDRs only`,
      vpcId: props.vpcId,
      tags: { Name: `${project}-${env}-alb` },
    });
    const publicPorts = https ? [443, 80] : [80];
    for (const port of publicPorts) {
      new VpcSecurityGroupIngressRule(this, `alb-ingress-${port}`, {
        securityGroupId: this.albSecurityGroup.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description:
          port === 443
            ? 'Internet to ALB HTTPS'
            : https
              ? 'Internet to ALB HTTP (redirected to HTTPS)'
              : 'Internet to ALB plain HTTP (explicit allowPlainHttp opt-in)',
      });
    }
    this.testListenerPort = props.testListener?.port ?? (https ? 8443 : 8080);
    (props.testListener?.natPublicIps ?? []).forEach((ip, i) => {
      new VpcSecurityGroupIngressRule(this, `alb-ingress-test-nat-${i}`, {
        securityGroupId: this.albSecurityGroup.id,
        cidrIpv4: `${ip}/32`,
        ipProtocol: 'tcp',
        fromPort: this.testListenerPort,
        toPort: this.testListenerPort,
        description: `Test listener (idle colour) from NAT gateway ${i} (clients inside the VPC)`,
      });
    });
    // One rule per distinct source: EC2 rejects a second identical rule on a group
    // (`InvalidPermission.Duplicate`, EC2 API error codes), which would fail the apply.
    uniqueCidrs(props.testListener?.allowedCidrs ?? []).forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `alb-ingress-test-${i}`, {
        securityGroupId: this.albSecurityGroup.id,
        cidrIpv4: cidr,
        ipProtocol: 'tcp',
        fromPort: this.testListenerPort,
        toPort: this.testListenerPort,
        description: `Test listener (idle colour) from ${cidr}`,
      });
    });

    // ------------------------------------------------------------------ ALB and listeners
    let logBucket = props.accessLogs?.bucket;
    if (props.accessLogs && !logBucket) {
      this.accessLogsBucket = new AccessLogsBucket(this, 'access-logs', {
        bucketName: `${project}-${env}-alb-logs-${props.accountId}`,
        region: props.region,
        accountId: props.accountId,
        expireDays: props.accessLogs.expireDays ?? 90,
      });
      logBucket = this.accessLogsBucket.bucketName;
    }
    this.loadBalancer = new Lb(this, 'alb', {
      name: boundedName([project, env], 32),
      loadBalancerType: 'application',
      internal: false,
      subnets: [...props.publicSubnetIds],
      securityGroups: [this.albSecurityGroup.id],
      dropInvalidHeaderFields: true,
      enableDeletionProtection: props.deletionProtection ?? false,
      idleTimeout: props.idleTimeoutSeconds ?? 60,
      enableHttp2: true,
      accessLogs:
        props.accessLogs && logBucket
          ? {
              bucket: logBucket,
              prefix: props.accessLogs.prefix ?? `${project}/${env}/alb`,
              enabled: true,
            }
          : undefined,
      // The bucket policy must exist before ELB validates delivery.
      dependsOn: this.accessLogsBucket ? [this.accessLogsBucket.policy] : undefined,
    });
    const notFound = [
      {
        type: 'fixed-response',
        fixedResponse: { contentType: 'text/plain', statusCode: '404', messageBody: 'not found' },
      },
    ];
    // One production listener whatever its protocol: adding a certificate (HTTP 80 → HTTPS 443) changes
    // it in place (port, protocol and certificate are not ForceNew; only load_balancer_arn is), so the
    // production rules on it — whose only ForceNew argument is listener_arn — are never re-created, and
    // their weights never reset to blue 100 / green 0 (issue 12). Listeners created before this had the
    // id "https" or "http": the moved block takes over the one matching today's protocol.
    this.productionListener = new LbListener(this, 'production', {
      loadBalancerArn: this.loadBalancer.arn,
      port: https ? 443 : 80,
      protocol: https ? 'HTTPS' : 'HTTP',
      sslPolicy: https ? sslPolicy : undefined,
      certificateArn: props.certificateArn,
      defaultAction: notFound,
      tags: { 'switchyard:listener': 'production' },
    });
    this.productionListener.moveFromId(resourceAddressAt(this, 'aws_lb_listener', https ? 'https' : 'http'));
    if (https) {
      this.redirectListener = new LbListener(this, 'http-redirect', {
        loadBalancerArn: this.loadBalancer.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [
          { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
        ],
        // Port 80 is free only once the production listener moved to 443 (same apply).
        dependsOn: [this.productionListener],
      });
    }
    this.testListener = new LbListener(this, 'test', {
      loadBalancerArn: this.loadBalancer.arn,
      port: this.testListenerPort,
      protocol: https ? 'HTTPS' : 'HTTP',
      sslPolicy: https ? sslPolicy : undefined,
      certificateArn: props.certificateArn,
      defaultAction: notFound,
    });

    // ------------------------------------------------------------------ services
    this.services = resolved.map(
      (svc, index) =>
        new BlueGreenService(this, `service-${svc.name}`, svc, {
          project,
          environment: env,
          region: props.region,
          accountId: props.accountId,
          vpcId: props.vpcId,
          privateSubnetIds: props.privateSubnetIds,
          clusterName: this.clusterName,
          clusterArn: this.cluster.arn,
          loadBalancerArnSuffix: this.loadBalancer.arnSuffix,
          albSecurityGroupId: this.albSecurityGroup.id,
          productionListenerArn: this.productionListener.arn,
          testListenerArn: this.testListener.arn,
          // AWS: an ALB's DNS name is its `dns_name` attribute; the test listener answers on its own port
          testListenerUrl: `${https ? 'https' : 'http'}://${this.loadBalancer.dnsName}:${this.testListenerPort}`,
          logRetentionDays: props.logRetentionDays ?? 30,
          logKmsKeyArn: props.logKmsKeyArn,
          deploymentTableName: props.deploymentTableName,
          permissionsBoundaryArn: props.permissionsBoundaryArn,
          alarmTopicArn: props.alarmTopicArn,
          ...(props.notifications ? { notifications: notificationsSchema.parse(props.notifications) } : {}),
          alarmThresholds: props.alarmThresholds ?? {},
          sharedAlarmNames: [
            ...(props.sharedAlarmNames?.all ?? []),
            ...(props.sharedAlarmNames?.byService?.[svc.name] ?? []),
          ],
          httpsEgress: props.tasksHttpsEgress ?? true,
          dataStores: props.dataStores ?? [],
          index,
          serviceCount: resolved.length,
        }),
    );
    this.taskSecurityGroupIds = this.services.map((s) => s.securityGroupId);
  }
}
