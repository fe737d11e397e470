import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LbListenerRule, type LbListenerRuleCondition } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import {
  COLOURS,
  type Colour,
  type DeploymentSettings,
  deploymentSettingsSchema,
  type ServiceTopology,
  TOPOLOGY_SCHEMA_VERSION,
  type TopologyAlarms,
  type TopologyNotifications,
  topologyParameterName,
  type SmokeTest,
} from '../../services/topology';
import { partitionOf } from '../vpc/partition';
import {
  ecsTasksTrustPolicy,
  executionRoleStatements,
  policyDocument,
  type TaskRoleStatement,
  taskRoleStatements,
} from './iam';
import { DEPLOYER_OWNED_SCALING_FIELDS, INITIAL_LIVE_COLOUR, TRAFFIC_TAGS } from './limits';
import { boundedName, repositoryUriOf } from './names';
import { maxResolvedBytes, SSM_ADVANCED_MAX_BYTES, ssmTierFor } from './topology-size';

/** ALB target-group health check. Field names match `services[].healthCheck` in the YAML. */
export interface HealthCheckProps {
  /** HTTP path probed on the container port. @default '/health' */
  readonly path?: string;
  /** HTTP codes counted as healthy. @default '200-399' */
  readonly matcher?: string;
  /** Seconds between probes (5–300). @default 15 */
  readonly intervalSeconds?: number;
  /** Consecutive successes to turn healthy (2–10). @default 2 */
  readonly healthyThreshold?: number;
  /** Consecutive failures to turn unhealthy (2–10). @default 3 */
  readonly unhealthyThreshold?: number;
  /** Probe timeout in seconds (2–120, below the interval). @default 5 */
  readonly timeoutSeconds?: number;
}

/** Target tracking on both colours. Field names match `services[].autoscaling` in the YAML. */
export interface AutoscalingProps {
  /**
   * Minimum task count of the *live* colour. Terraform sets it on blue at creation (green starts at 0)
   * and then ignores `min_capacity`, because the deployer moves the floor with the traffic.
   * @default desiredCount
   */
  readonly min?: number;
  /** Maximum task count of each colour. @default max(2, 4 × desiredCount) */
  readonly max?: number;
  /** Target average CPU utilisation in percent (10–90). @default 60 */
  readonly cpuTarget?: number;
  /** Target average memory utilisation in percent (10–90). @default 75 */
  readonly memoryTarget?: number;
}

/** Listener-rule match for a service. Field names match `services[].routing` in the YAML. */
export interface RoutingProps {
  /** Host header values (e.g. `api.example.com`). @default undefined */
  readonly hostHeader?: string | readonly string[];
  /** Path patterns (e.g. `/api/*`). @default `/*` when no hostHeader is given (single service only) */
  readonly pathPattern?: string | readonly string[];
  /** Rule priority on the production and test listeners (1–50000), unique per environment. @default 100 + 10 × index */
  readonly priority?: number;
}

/** An optional container-level health check (needs a shell/binary in the image). */
export interface ContainerHealthCheckProps {
  /** Command in ECS form, e.g. `['CMD', '/app/healthcheck']` or `['CMD-SHELL', 'curl -f http://localhost:8080/health']`. */
  readonly command: readonly string[];
  /** @default 30 */
  readonly intervalSeconds?: number;
  /** @default 5 */
  readonly timeoutSeconds?: number;
  /** @default 3 */
  readonly retries?: number;
  /** @default 10 */
  readonly startPeriodSeconds?: number;
}

/** One service of an environment. Field names match `services[]` in `environments/<env>.yaml`. */
export interface EcsServiceProps {
  /** Service name: lower-case letters, digits, hyphens (max 24). ECS services are `<name>-blue` / `<name>-green`. */
  readonly name: string;
  /** Port the container listens on; the only port the ALB reaches. @default 8080 */
  readonly containerPort?: number;
  /** Fargate CPU units. @default 256 */
  readonly cpu?: number;
  /** Fargate memory in MiB (must pair with cpu). @default 512 */
  readonly memory?: number;
  /** Task count of the live colour at creation (the idle colour starts at 0). @default 1 */
  readonly desiredCount?: number;
  /** @default see HealthCheckProps */
  readonly healthCheck?: HealthCheckProps;
  /** Target-group deregistration delay. @default 30 */
  readonly deregistrationDelaySeconds?: number;
  /** Seconds ECS ignores failing ALB health checks after a task starts. @default 30 */
  readonly healthCheckGracePeriodSeconds?: number;
  /** @default see AutoscalingProps */
  readonly autoscaling?: AutoscalingProps;
  /** Plain environment variables (never secrets). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** Secrets injected with `valueFrom`: variable name → Secrets Manager or SSM parameter ARN. @default {} */
  readonly secrets?: Readonly<Record<string, string>>;
  /** KMS keys the secrets are encrypted with (customer keys only). @default [] */
  readonly secretsKmsKeyArns?: readonly string[];
  /** @default `/*` for a single service; required (host or path) when the environment has several */
  readonly routing?: RoutingProps;
  /** Deployer defaults for this service. @default DEFAULT_DEPLOYMENT_SETTINGS (terminationWait = deregistration delay + bake) */
  readonly deploy?: Partial<DeploymentSettings>;
  /**
   * Pre-traffic smoke test of every release, published in the topology (services/topology
   * `smokeTestSchema`); its `host` defaults to the routing's host header when that names one host.
   * @default none
   */
  readonly smokeTest?: SmokeTest;
  /** ECR repository name. @default `<project>/<name>` */
  readonly repositoryName?: string;
  /** Account holding the repository. @default the environment's account */
  readonly repositoryAccountId?: string;
  /** Region of the repository (the shared-services region). @default the environment's region */
  readonly repositoryRegion?: string;
  /**
   * Image of the Terraform-managed task definition, in full (`<repository URL>@sha256:…`, usually a
   * Terraform reference such as modules/initial-image's pinned newest digest). Releases never change it
   * (the deployer registers new revisions; the services ignore `task_definition`). Wins over
   * `initialImageTag`. @default `<repository URL>:<initialImageTag>`
   */
  readonly initialImage?: string;
  /** Tag of that image when `initialImage` is not given. @default 'bootstrap' */
  readonly initialImageTag?: string;
  /** Container name in the task definition. @default name */
  readonly containerName?: string;
  /** `user` of the container (`uid[:gid]`). @default undefined (the image's USER; set e.g. '1000:1000' to force non-root) */
  readonly user?: string;
  /** Writable scratch paths (task ephemeral storage; the root filesystem is read-only). @default ['/tmp'] */
  readonly writablePaths?: readonly string[];
  /** @default undefined (the ALB health check is the gate) */
  readonly containerHealthCheck?: ContainerHealthCheckProps;
  /** Fargate CPU architecture. @default 'X86_64' */
  readonly cpuArchitecture?: 'X86_64' | 'ARM64';
  /** Allow statements for the task role (`services[].taskRolePolicyStatements`). @default [] (an empty role) */
  readonly taskRolePolicyStatements?: readonly TaskRoleStatement[];
  /** Retention of this service's log group (a CloudWatch retention period). @default the platform's logRetentionDays */
  readonly logRetentionDays?: number;
  /** Environment this one accepts promotions from (`promotion.from`). @default undefined */
  readonly promoteFrom?: string;
}

/** Deployer defaults used where the YAML sets nothing. */
export const DEFAULT_DEPLOYMENT_SETTINGS: Omit<DeploymentSettings, 'terminationWaitSeconds'> = {
  strategy: 'canary',
  canaryPercent: 10,
  linearStepPercent: 25,
  bakeSeconds: 120,
  finalBakeSeconds: 300,
  pollIntervalSeconds: 10,
  deploymentTimeoutSeconds: 900,
  healthyTimeoutSeconds: 300,
  max5xxRatio: 0.01,
  min5xxSampleRequests: 50,
};

/** Alarm thresholds of a service (issue 3 item 8). */
export interface ServiceAlarmThresholds {
  /** 5xx share of target responses in percent. @default 1 */
  readonly max5xxPercent?: number;
  /** p95 target response time in seconds. @default 3 */
  readonly p95LatencySeconds?: number;
  /** Minutes the condition must hold. @default 5 */
  readonly minutes?: number;
}

/** A data store the services' tasks may reach (its security group gets the ingress, the tasks the egress). */
export interface DataStoreAccess {
  /** Short name for rule descriptions and ids: `postgres`, `cache`. */
  readonly name: string;
  /** Security group of the data store. */
  readonly securityGroupId: string;
  /** The one TCP port opened (5432, 6379). */
  readonly port: number;
}

/** What the platform hands to each service (not user-facing). */
export interface ServiceContext {
  readonly project: string;
  readonly environment: string;
  readonly region: string;
  readonly accountId: string;
  readonly vpcId: string;
  readonly privateSubnetIds: readonly string[];
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly loadBalancerArnSuffix: string;
  readonly albSecurityGroupId: string;
  readonly productionListenerArn: string;
  readonly testListenerArn: string;
  /** `http(s)://<ALB DNS name>:<test port>`, published for smoke tests. */
  readonly testListenerUrl: string;
  readonly logRetentionDays: number;
  readonly logKmsKeyArn?: string;
  readonly deploymentTableName: string;
  /** Permissions boundary of the execution and task roles. */
  readonly permissionsBoundaryArn?: string;
  readonly alarmTopicArn?: string;
  /** Deploy notifications, published as the topology's `notifications`. */
  readonly notifications?: TopologyNotifications;
  readonly alarmThresholds: ServiceAlarmThresholds;
  /**
   * Environment- or service-wide alarm names published as the topology's `alarms.shared` (they gate every
   * release of the service). Created elsewhere (e.g. modules/alarms); only their names are needed here.
   */
  readonly sharedAlarmNames: readonly string[];
  /** Allow tasks HTTPS egress to anywhere (ECR, logs, Secrets Manager through NAT). */
  readonly httpsEgress: boolean;
  readonly dataStores: readonly DataStoreAccess[];
  readonly index: number;
  readonly serviceCount: number;
}

/** Fully defaulted service settings (after validation). */
export interface ResolvedService {
  readonly name: string;
  readonly containerName: string;
  readonly containerPort: number;
  readonly cpu: number;
  readonly memory: number;
  readonly desiredCount: number;
  readonly healthCheck: Required<HealthCheckProps>;
  readonly deregistrationDelaySeconds: number;
  readonly healthCheckGracePeriodSeconds: number;
  readonly autoscaling: Required<AutoscalingProps>;
  readonly environment: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, string>>;
  readonly secretsKmsKeyArns: readonly string[];
  readonly hostHeader: readonly string[];
  readonly pathPattern: readonly string[];
  readonly priority: number;
  readonly deploy: DeploymentSettings;
  readonly smokeTest?: SmokeTest;
  readonly repositoryName: string;
  readonly repositoryAccountId: string;
  readonly repositoryRegion: string;
  /** The task definition's image reference (a tag or a digest reference). */
  readonly initialImage: string;
  readonly user?: string;
  readonly writablePaths: readonly string[];
  readonly containerHealthCheck?: ContainerHealthCheckProps;
  readonly cpuArchitecture: 'X86_64' | 'ARM64';
  readonly taskRolePolicyStatements: readonly TaskRoleStatement[];
  readonly logRetentionDays?: number;
  readonly promoteFrom?: string;
}

/**
 * One service as a blue/green pair: roles, log group, task definition, `<svc>-blue` and `<svc>-green`
 * ECS services, a target group per colour, the weighted production rule, the test rule, autoscaling,
 * alarms, the tasks security group and the published topology document.
 */
export class BlueGreenService extends Construct {
  readonly name: string;
  readonly containerName: string;
  readonly containerPort: number;
  readonly securityGroup: SecurityGroup;
  readonly securityGroupId: string;
  readonly executionRole: IamRole;
  readonly taskRole: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly taskDefinition: EcsTaskDefinition;
  readonly services: Readonly<Record<Colour, EcsService>>;
  readonly targetGroups: Readonly<Record<Colour, LbTargetGroup>>;
  readonly scalableTargets: Readonly<Record<Colour, AppautoscalingTarget>>;
  readonly productionRule: LbListenerRule;
  readonly testRule: LbListenerRule;
  readonly alarms: readonly CloudwatchMetricAlarm[];
  /** Every alarm this construct creates (both colours). */
  readonly alarmNames: readonly string[];
  /** The topology's alarm scoping: each colour's own alarms, and the shared ones it was given. */
  readonly alarmScopes: TopologyAlarms;
  readonly topology: ServiceTopology;
  readonly topologyJson: string;
  /** Upper bound of the topology document's size once Terraform resolves it (bytes). */
  readonly topologyMaxBytes: number;
  readonly topologyParameter: SsmParameter;
  readonly topologyOutput: TerraformOutput;

  constructor(scope: Construct, id: string, svc: ResolvedService, ctx: ServiceContext) {
    super(scope, id);
    const { project, environment: env } = ctx;
    this.name = svc.name;
    this.containerName = svc.containerName;
    this.containerPort = svc.containerPort;
    const prefix = `${project}-${env}-${svc.name}`;

    // ------------------------------------------------------------------ security group (tasks)
    this.securityGroup = new SecurityGroup(this, 'tasks-sg', {
      name: `${prefix}-tasks`,
      description: `Tasks of ${svc.name} (${env}): ingress from the ALB on the container port only`,
      vpcId: ctx.vpcId,
      tags: { Name: `${prefix}-tasks` },
    });
    this.securityGroupId = this.securityGroup.id;
    new VpcSecurityGroupIngressRule(this, 'tasks-from-alb', {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: ctx.albSecurityGroupId,
      ipProtocol: 'tcp',
      fromPort: svc.containerPort,
      toPort: svc.containerPort,
      description: `ALB to ${svc.name} tasks on container port ${svc.containerPort}`,
    });
    new VpcSecurityGroupEgressRule(this, 'alb-to-tasks', {
      securityGroupId: ctx.albSecurityGroupId,
      referencedSecurityGroupId: this.securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: svc.containerPort,
      toPort: svc.containerPort,
      description: `ALB to ${svc.name} tasks on container port ${svc.containerPort} (traffic and health checks)`,
    });
    if (ctx.httpsEgress) {
      new VpcSecurityGroupEgressRule(this, 'tasks-https-egress', {
        securityGroupId: this.securityGroup.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        description: `${svc.name} tasks to HTTPS endpoints (ECR, CloudWatch Logs, Secrets Manager, AWS APIs)`,
      });
    }

    for (const store of ctx.dataStores) {
      new VpcSecurityGroupIngressRule(this, `${store.name}-from-tasks`, {
        securityGroupId: store.securityGroupId,
        referencedSecurityGroupId: this.securityGroup.id,
        ipProtocol: 'tcp',
        fromPort: store.port,
        toPort: store.port,
        description: `${svc.name} tasks to ${store.name} on ${store.port}`,
      });
      new VpcSecurityGroupEgressRule(this, `tasks-to-${store.name}`, {
        securityGroupId: this.securityGroup.id,
        referencedSecurityGroupId: store.securityGroupId,
        ipProtocol: 'tcp',
        fromPort: store.port,
        toPort: store.port,
        description: `${svc.name} tasks to ${store.name} on ${store.port}`,
      });
    }

    // ------------------------------------------------------------------ logs and roles
    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/${project}/${env}/${svc.name}`,
      retentionInDays: svc.logRetentionDays ?? ctx.logRetentionDays,
      kmsKeyId: ctx.logKmsKeyArn,
    });
    const repositoryArn = `arn:${partitionOf(svc.repositoryRegion)}:ecr:${svc.repositoryRegion}:${svc.repositoryAccountId}:repository/${svc.repositoryName}`;
    const repositoryUri = repositoryUriOf(svc);

    this.executionRole = new IamRole(this, 'execution-role', {
      name: boundedName([prefix, 'exec'], 64),
      permissionsBoundary: ctx.permissionsBoundaryArn,
      description: `ECS execution role of ${svc.name} (${env}): pull its image, write its logs, read its listed secrets`,
      assumeRolePolicy: ecsTasksTrustPolicy(ctx.accountId),
    });
    new IamRolePolicy(this, 'execution-policy', {
      name: 'execution',
      role: this.executionRole.id,
      policy: policyDocument(
        executionRoleStatements({
          repositoryArn,
          logGroupArn: this.logGroup.arn,
          secretArns: Object.values(svc.secrets),
          secretsKmsKeyArns: svc.secretsKmsKeyArns,
        }),
      ),
    });
    this.taskRole = new IamRole(this, 'task-role', {
      name: boundedName([prefix, 'task'], 64),
      permissionsBoundary: ctx.permissionsBoundaryArn,
      description: `Task role of ${svc.name} (${env}): application permissions, empty unless configured`,
      assumeRolePolicy: ecsTasksTrustPolicy(ctx.accountId),
    });
    if (svc.taskRolePolicyStatements.length > 0) {
      new IamRolePolicy(this, 'task-policy', {
        name: 'application',
        role: this.taskRole.id,
        policy: policyDocument(taskRoleStatements(svc.taskRolePolicyStatements)),
      });
    }

    // ------------------------------------------------------------------ task definition
    const volumes = svc.writablePaths.map((path, i) => ({ name: `scratch-${i}`, path }));
    const container: Record<string, unknown> = {
      name: svc.containerName,
      image: svc.initialImage,
      essential: true,
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort: svc.containerPort, protocol: 'tcp' }],
      environment: Object.entries(svc.environment)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({ name, value })),
      secrets: Object.entries(svc.secrets)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, valueFrom]) => ({ name, valueFrom })),
      mountPoints: volumes.map((v) => ({ sourceVolume: v.name, containerPath: v.path, readOnly: false })),
      linuxParameters: { initProcessEnabled: true, capabilities: { drop: ['ALL'] } },
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': this.logGroup.name,
          'awslogs-region': ctx.region,
          'awslogs-stream-prefix': svc.name,
        },
      },
    };
    if (svc.user !== undefined) container.user = svc.user;
    if (svc.containerHealthCheck) {
      const hc = svc.containerHealthCheck;
      container.healthCheck = {
        command: [...hc.command],
        interval: hc.intervalSeconds ?? 30,
        timeout: hc.timeoutSeconds ?? 5,
        retries: hc.retries ?? 3,
        startPeriod: hc.startPeriodSeconds ?? 10,
      };
    }
    this.taskDefinition = new EcsTaskDefinition(this, 'task-definition', {
      family: `${prefix}`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(svc.cpu),
      memory: String(svc.memory),
      executionRoleArn: this.executionRole.arn,
      taskRoleArn: this.taskRole.arn,
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: svc.cpuArchitecture },
      volume: volumes.map((v) => ({ name: v.name })),
      containerDefinitions: JSON.stringify([container]),
      // Keep replaced revisions ACTIVE: the colour still running one must be able to scale with it.
      skipDestroy: true,
    });

    // ------------------------------------------------------------------ target groups and rules
    const hc = svc.healthCheck;
    const tg = (colour: Colour) =>
      new LbTargetGroup(this, `tg-${colour}`, {
        // Project first: two projects (or copies) in one account must not collide; ≤ 32 characters
        // (longer names keep their start and end in a 6-character hash, stable and unique).
        // Replacing a target group (port, i.e. containerPort, vpc_id, name, protocol and target_type
        // force it) cannot work while it serves: the production rule's forward action, which Terraform
        // ignores, keeps naming the old group, so its delete fails with ResourceInUse ("You can delete a target
        // group if it is not referenced by any actions", DeleteTargetGroup) — with or without
        // name_prefix (6 characters at most) and create_before_destroy. The plan guard refuses such plans
        // with the way to do it (.github/scripts/traffic-guard.ts).
        name: boundedName([project, env, svc.name, colour], 32),
        targetType: 'ip',
        protocol: 'HTTP',
        port: svc.containerPort,
        vpcId: ctx.vpcId,
        deregistrationDelay: String(svc.deregistrationDelaySeconds),
        healthCheck: {
          enabled: true,
          protocol: 'HTTP',
          port: 'traffic-port',
          path: hc.path,
          matcher: hc.matcher,
          interval: hc.intervalSeconds,
          timeout: hc.timeoutSeconds,
          healthyThreshold: hc.healthyThreshold,
          unhealthyThreshold: hc.unhealthyThreshold,
        },
        tags: {
          Name: `${prefix}-${colour}`,
          [TRAFFIC_TAGS.colour]: colour,
          [TRAFFIC_TAGS.service]: svc.name,
        },
      });
    this.targetGroups = { blue: tg('blue'), green: tg('green') };
    const idle: Colour = INITIAL_LIVE_COLOUR === 'blue' ? 'green' : 'blue';

    const conditions: LbListenerRuleCondition[] = [];
    if (svc.hostHeader.length > 0) conditions.push({ hostHeader: { values: [...svc.hostHeader] } });
    if (svc.pathPattern.length > 0) conditions.push({ pathPattern: { values: [...svc.pathPattern] } });

    this.productionRule = new LbListenerRule(this, 'production-rule', {
      listenerArn: ctx.productionListenerArn,
      priority: svc.priority,
      condition: conditions,
      action: [
        {
          type: 'forward',
          forward: {
            targetGroup: [
              { arn: this.targetGroups[INITIAL_LIVE_COLOUR].arn, weight: 100 },
              { arn: this.targetGroups[idle].arn, weight: 0 },
            ],
            stickiness: { enabled: false, duration: 1 },
          },
        },
      ],
      // The deployer owns the weights; Terraform writes this action only when it creates the rule. A
      // re-creation would send everything back to blue whatever serves: the rule's only ForceNew
      // argument is listener_arn, the listener keeps its address across protocol changes (index.ts),
      // and the plan guard (.github/scripts/traffic-guard.ts) refuses any plan that re-creates the rule
      // or its listener while another colour is live. The guard reads these tags.
      lifecycle: { ignoreChanges: ['action'] },
      tags: {
        Name: `${prefix}-production`,
        [TRAFFIC_TAGS.service]: svc.name,
        [TRAFFIC_TAGS.rule]: 'production',
        [TRAFFIC_TAGS.initialColour]: INITIAL_LIVE_COLOUR,
      },
    });
    this.testRule = new LbListenerRule(this, 'test-rule', {
      listenerArn: ctx.testListenerArn,
      priority: svc.priority,
      condition: conditions,
      action: [
        {
          type: 'forward',
          forward: { targetGroup: [{ arn: this.targetGroups[idle].arn, weight: 1 }] },
        },
      ],
      // The deployer points the test rule at the idle colour.
      lifecycle: { ignoreChanges: ['action'] },
      tags: { Name: `${prefix}-test`, [TRAFFIC_TAGS.service]: svc.name, [TRAFFIC_TAGS.rule]: 'test' },
    });

    // ------------------------------------------------------------------ services and autoscaling
    const services = {} as Record<Colour, EcsService>;
    const scalable = {} as Record<Colour, AppautoscalingTarget>;
    for (const colour of COLOURS) {
      const serviceName = `${svc.name}-${colour}`;
      const live = colour === INITIAL_LIVE_COLOUR;
      services[colour] = new EcsService(this, `service-${colour}`, {
        name: serviceName,
        cluster: ctx.clusterArn,
        taskDefinition: this.taskDefinition.arn,
        desiredCount: live ? svc.desiredCount : 0,
        launchType: 'FARGATE',
        platformVersion: 'LATEST',
        deploymentController: { type: 'ECS' },
        deploymentCircuitBreaker: { enable: true, rollback: true },
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        healthCheckGracePeriodSeconds: svc.healthCheckGracePeriodSeconds,
        enableEcsManagedTags: true,
        propagateTags: 'SERVICE',
        enableExecuteCommand: false,
        networkConfiguration: {
          subnets: [...ctx.privateSubnetIds],
          securityGroups: [this.securityGroup.id],
          assignPublicIp: false,
        },
        loadBalancer: [
          {
            targetGroupArn: this.targetGroups[colour].arn,
            containerName: svc.containerName,
            containerPort: svc.containerPort,
          },
        ],
        // Each release changes these; Terraform must not fight the deployer.
        lifecycle: { ignoreChanges: ['task_definition', 'desired_count'] },
        // A target group must be attached to the load balancer before a service can use it.
        dependsOn: [this.productionRule, this.testRule],
        tags: { [TRAFFIC_TAGS.colour]: colour, [TRAFFIC_TAGS.service]: svc.name },
      });

      const as = svc.autoscaling;
      scalable[colour] = new AppautoscalingTarget(this, `scaling-${colour}`, {
        serviceNamespace: 'ecs',
        scalableDimension: 'ecs:service:DesiredCount',
        resourceId: `service/${ctx.clusterName}/${services[colour].name}`,
        // The idle colour must be allowed to sit at 0 tasks. Blue is live at creation; afterwards the
        // deployer moves the range with the traffic (RegisterScalableTarget with MinCapacity and
        // MaxCapacity: adapters/autoscaling.ts), so Terraform ignores both — otherwise an apply during a
        // deploy would reset the bake floor or the idle colour's 0 and fight the release.
        minCapacity: live ? as.min : 0,
        maxCapacity: as.max,
        lifecycle: { ignoreChanges: [...DEPLOYER_OWNED_SCALING_FIELDS] },
      });
      const metrics = [
        ['cpu', 'ECSServiceAverageCPUUtilization', as.cpuTarget],
        ['memory', 'ECSServiceAverageMemoryUtilization', as.memoryTarget],
      ] as const;
      for (const [key, metric, target] of metrics) {
        new AppautoscalingPolicy(this, `scaling-${colour}-${key}`, {
          name: `${prefix}-${colour}-${key}`,
          policyType: 'TargetTrackingScaling',
          serviceNamespace: scalable[colour].serviceNamespace,
          scalableDimension: scalable[colour].scalableDimension,
          resourceId: scalable[colour].resourceId,
          targetTrackingScalingPolicyConfiguration: {
            targetValue: target,
            predefinedMetricSpecification: { predefinedMetricType: metric },
            scaleInCooldown: 300,
            scaleOutCooldown: 60,
          },
        });
      }
    }
    this.services = services;
    this.scalableTargets = scalable;

    // ------------------------------------------------------------------ alarms
    // Scoped per colour: a release to one colour is judged on that colour's alarms (+ shared ones), never
    // on the other colour's — during a rollback those watch the bad release being moved away from.
    const alarms: CloudwatchMetricAlarm[] = [];
    const alarmNames: string[] = [];
    const byColour: Record<Colour, string[]> = { blue: [], green: [] };
    const th = ctx.alarmThresholds;
    const minutes = th.minutes ?? 5;
    if (ctx.alarmTopicArn) {
      const actions = [ctx.alarmTopicArn];
      for (const colour of COLOURS) {
        const dims = {
          LoadBalancer: ctx.loadBalancerArnSuffix,
          TargetGroup: this.targetGroups[colour].arnSuffix,
        };
        const base = `${prefix}-${colour}`;
        const own = [`${base}-5xx-share`, `${base}-p95-latency`, `${base}-unhealthy-hosts`];
        alarmNames.push(...own);
        byColour[colour].push(...own);
        const common = {
          alarmActions: actions,
          okActions: actions,
          treatMissingData: 'notBreaching',
          evaluationPeriods: minutes,
          datapointsToAlarm: minutes,
        };
        alarms.push(
          new CloudwatchMetricAlarm(this, `alarm-${colour}-5xx`, {
            ...common,
            alarmName: `${base}-5xx-share`,
            alarmDescription: `${svc.name} ${colour}: target 5xx responses above ${th.max5xxPercent ?? 1}% of requests for ${minutes} min`,
            comparisonOperator: 'GreaterThanThreshold',
            threshold: th.max5xxPercent ?? 1,
            metricQuery: [
              {
                id: 'share',
                expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
                label: '5xx share (%)',
                returnData: true,
              },
              {
                id: 'errors',
                metric: {
                  namespace: 'AWS/ApplicationELB',
                  metricName: 'HTTPCode_Target_5XX_Count',
                  dimensions: dims,
                  period: 60,
                  stat: 'Sum',
                },
              },
              {
                id: 'requests',
                metric: {
                  namespace: 'AWS/ApplicationELB',
                  metricName: 'RequestCount',
                  dimensions: dims,
                  period: 60,
                  stat: 'Sum',
                },
              },
            ],
          }),
          new CloudwatchMetricAlarm(this, `alarm-${colour}-latency`, {
            ...common,
            alarmName: `${base}-p95-latency`,
            alarmDescription: `${svc.name} ${colour}: p95 target response time above ${th.p95LatencySeconds ?? 3} s for ${minutes} min`,
            namespace: 'AWS/ApplicationELB',
            metricName: 'TargetResponseTime',
            dimensions: dims,
            extendedStatistic: 'p95',
            // A handful of requests must not decide a percentile alarm.
            evaluateLowSampleCountPercentiles: 'ignore',
            period: 60,
            comparisonOperator: 'GreaterThanThreshold',
            threshold: th.p95LatencySeconds ?? 3,
          }),
          new CloudwatchMetricAlarm(this, `alarm-${colour}-unhealthy`, {
            ...common,
            alarmName: `${base}-unhealthy-hosts`,
            alarmDescription: `${svc.name} ${colour}: at least one unhealthy target for ${minutes} min`,
            namespace: 'AWS/ApplicationELB',
            metricName: 'UnHealthyHostCount',
            dimensions: dims,
            statistic: 'Maximum',
            period: 60,
            comparisonOperator: 'GreaterThanOrEqualToThreshold',
            threshold: 1,
          }),
        );
      }
    }
    this.alarms = alarms;
    this.alarmNames = alarmNames;
    this.alarmScopes = {
      blue: byColour.blue,
      green: byColour.green,
      shared: [...new Set(ctx.sharedAlarmNames)].filter((n) => !alarmNames.includes(n)),
    };

    // ------------------------------------------------------------------ topology document
    const topology: ServiceTopology = {
      schemaVersion: TOPOLOGY_SCHEMA_VERSION,
      project,
      environment: env,
      service: svc.name,
      region: ctx.region,
      cluster: ctx.clusterName,
      ecsServices: { blue: services.blue.name, green: services.green.name },
      targetGroupArns: { blue: this.targetGroups.blue.arn, green: this.targetGroups.green.arn },
      targetGroupArnSuffixes: {
        blue: this.targetGroups.blue.arnSuffix,
        green: this.targetGroups.green.arnSuffix,
      },
      loadBalancerArnSuffix: ctx.loadBalancerArnSuffix,
      listenerArn: ctx.productionListenerArn,
      productionRuleArn: this.productionRule.arn,
      testListenerArn: ctx.testListenerArn,
      testRuleArn: this.testRule.arn,
      testListenerUrl: ctx.testListenerUrl,
      ...(svc.smokeTest ? { smokeTest: smokeTestOf(svc) } : {}),
      containerName: svc.containerName,
      containerPort: svc.containerPort,
      repositoryName: svc.repositoryName,
      repositoryUri,
      deploymentTable: ctx.deploymentTableName,
      alarms: {
        blue: [...this.alarmScopes.blue],
        green: [...this.alarmScopes.green],
        shared: [...this.alarmScopes.shared],
      },
      deregistrationDelaySeconds: svc.deregistrationDelaySeconds,
      // Terraform's desired revision: a release copies it and swaps only the image.
      baseTaskDefinitionArn: this.taskDefinition.arn,
      autoscaling: {
        minCapacity: svc.autoscaling.min,
        maxCapacity: svc.autoscaling.max,
        resourceIds: {
          blue: `service/${ctx.clusterName}/${svc.name}-blue`,
          green: `service/${ctx.clusterName}/${svc.name}-green`,
        },
      },
      ...(svc.promoteFrom ? { promoteFrom: svc.promoteFrom } : {}),
      ...(ctx.notifications ? { notifications: ctx.notifications } : {}),
      deployment: deploymentSettingsSchema.parse(svc.deploy),
    };
    this.topology = topology;
    // Token references inside JSON strings resolve to `${aws_….arn}` interpolations: Terraform renders
    // a valid JSON document (ARNs and names never contain quotes or backslashes).
    this.topologyJson = JSON.stringify(topology);
    // Standard parameters hold 4 KB, Advanced 8 KB (and cost): the tier follows the upper bound of the
    // resolved size, which depends on the configuration only, so it never flips between applies.
    this.topologyMaxBytes = maxResolvedBytes(topology);
    const tier = ssmTierFor(this.topologyMaxBytes);
    if (tier === undefined) {
      throw new Error(
        `BlueGreenService ${svc.name}: the topology document can reach ${this.topologyMaxBytes} bytes once resolved, above the ${SSM_ADVANCED_MAX_BYTES}-byte limit of an SSM parameter; shorten the service's alarm list or names`,
      );
    }
    this.topologyParameter = new SsmParameter(this, 'topology', {
      name: topologyParameterName(env, svc.name),
      type: 'String',
      tier,
      description: `Switchyard topology of ${svc.name} in ${env} (read by the deployer)`,
      value: this.topologyJson,
    });
    this.topologyOutput = new TerraformOutput(this, 'topology-output', {
      value: this.topologyJson,
      description: `Topology document of ${svc.name} (same as SSM ${topologyParameterName(env, svc.name)})`,
    });
    this.topologyOutput.overrideLogicalId(`topology_${svc.name}`);
  }
}

/** The published smoke test: `host` defaults to the routing's single literal host header. */
function smokeTestOf(svc: ResolvedService): SmokeTest | undefined {
  const t = svc.smokeTest;
  if (!t) return undefined;
  const host = svc.hostHeader.length === 1 && !/[*?]/.test(svc.hostHeader[0]) ? svc.hostHeader[0] : undefined;
  return t.host || !host ? t : { ...t, host };
}
