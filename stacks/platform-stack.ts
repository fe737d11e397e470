/**
 * One stack per environment, named like the environment (`dev`, `staging`, `prod`): AWS provider with
 * default tags, the environment's S3 backend, and the modules composed from its resolved config.
 *
 * Composition: VPC (modules/vpc), then the runtime (stacks/runtime.ts: alarm topic and its subscribers,
 * deployment table, PostgreSQL, cache, ECS with the blue/green pair per service), then the shared alarms
 * (modules/alarms SharedAlarms: load-balancer ELB 5xx, zero healthy hosts per service) and the
 * environment's CloudWatch dashboard (modules/dashboard), then the guardrail rule pack over the whole
 * stack. Every module receives `this.config` (fully resolved, defaults applied).
 */
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { addS3Backend } from '../backend';
import { partitionOf } from '../environments/loader';
import type { EnvironmentConfig } from '../environments/schema';
import type { SharedAlarms } from '../modules/alarms';
import { EnvironmentDashboard } from '../modules/dashboard';
import { applyGuardrails } from '../modules/guardrails';
import { VpcModule } from '../modules/vpc';
import { permissionsBoundaryArn } from './names';
import { buildRuntime, type Runtime } from './runtime';

/** Tags on every taggable resource of an environment (through the provider's default_tags). */
export function environmentTags(config: Pick<EnvironmentConfig, 'project' | 'name'>): Record<string, string> {
  return { project: config.project, environment: config.name, 'managed-by': 'switchyard' };
}

export interface PlatformStackProps {
  /** The environment, validated and resolved by environments/loader.ts. */
  readonly config: EnvironmentConfig;
}

export class PlatformStack extends TerraformStack {
  /** The resolved environment this stack was built from (modules read their settings here). */
  readonly config: EnvironmentConfig;
  readonly provider: AwsProvider;
  /** Customer-managed key (rotation on) for the environment's CloudWatch log groups (VPC flow logs, tasks). */
  readonly logsKey: KmsKey;
  readonly network: VpcModule;
  /** Alarm topic, deployment table, PostgreSQL, cache and the ECS platform with its blue/green services. */
  readonly runtime: Runtime;
  /**
   * Load-balancer ELB 5xx and per-service zero-healthy-hosts alarms: the topology's `shared` alarms
   * (`sharedAlarms.sharedAlarmNames(service)`), gating every deploy of a service whichever colour is live.
   */
  readonly sharedAlarms: SharedAlarms;
  /** The environment's CloudWatch dashboard (`dashboard.dashboardName`, `dashboard.consoleUrl`). */
  readonly dashboard: EnvironmentDashboard;

  constructor(scope: Construct, props: PlatformStackProps) {
    const { config } = props;
    super(scope, config.name);
    this.config = config;

    this.provider = new AwsProvider(this, 'aws', {
      region: config.region,
      allowedAccountIds: [config.accountId],
      defaultTags: [{ tags: environmentTags(config) }],
    });
    addS3Backend(this, config);

    this.logsKey = logsKmsKey(this, config);

    this.network = new VpcModule(this, 'vpc', {
      name: `${config.project}-${config.name}`,
      region: config.region,
      cidr: config.vpc.cidr,
      availabilityZones: config.vpc.availabilityZones,
      azCount: config.vpc.azCount,
      natGateways: config.vpc.natGateways,
      flowLogRetentionDays: config.vpc.flowLogRetentionDays,
      flowLogKmsKeyArn: this.logsKey.arn,
      interfaceEndpoints: config.vpc.interfaceEndpoints,
      permissionsBoundaryArn: boundaryArnOf(config),
      accountId: config.accountId,
    });

    this.runtime = buildRuntime(this, config, this.network, { logKmsKeyArn: this.logsKey.arn });
    const { ecs, database, cache } = this.runtime;
    const tgSuffixes = (s: (typeof ecs.services)[number]) => ({
      blue: s.targetGroups.blue.arnSuffix,
      green: s.targetGroups.green.arnSuffix,
    });

    this.sharedAlarms = this.runtime.sharedAlarms;

    const partition = partitionOf(config.region);
    const alarmArn = (name: string) =>
      `arn:${partition}:cloudwatch:${config.region}:${config.accountId}:alarm:${name}`;
    this.dashboard = new EnvironmentDashboard(this, 'dashboard', {
      project: config.project,
      environment: config.name,
      region: config.region,
      loadBalancerArnSuffix: ecs.loadBalancer.arnSuffix,
      clusterName: ecs.clusterName,
      services: ecs.services.map((s) => ({
        name: s.name,
        targetGroupArnSuffixes: tgSuffixes(s),
        ecsServiceNames: { blue: s.services.blue.name, green: s.services.green.name },
      })),
      database: { identifier: database.identifier },
      // Member clusters of a replication group without cluster mode are `<group id>-001`, `-002`, … (one
      // per node, primary first at creation), the CacheClusterId dimension of its metrics.
      cache: {
        nodeIds: Array.from(
          { length: 1 + config.cache.replicas },
          (_, i) => `${cache.replicationGroupId}-${String(i + 1).padStart(3, '0')}`,
        ),
        hasReplicas: config.cache.replicas > 0,
      },
      alarmArns: [
        ...this.sharedAlarms.alarmNames,
        ...ecs.services.flatMap((s) => s.alarmNames),
        ...database.alarmNames,
        ...cache.alarmNames,
      ].map(alarmArn),
    });

    new TerraformOutput(this, 'vpc_id', { value: this.network.vpcId });
    new TerraformOutput(this, 'public_subnet_ids', { value: this.network.publicSubnetIds });
    new TerraformOutput(this, 'private_subnet_ids', { value: this.network.privateSubnetIds });
    new TerraformOutput(this, 'isolated_subnet_ids', { value: this.network.isolatedSubnetIds });
    // The zones the subnets are in (read from the region unless listed in the YAML).
    new TerraformOutput(this, 'availability_zones', {
      value: this.network.privateSubnets.map((s) => s.availabilityZone),
    });
    new TerraformOutput(this, 'dashboard_name', { value: this.dashboard.dashboardName });
    new TerraformOutput(this, 'dashboard_url', { value: this.dashboard.consoleUrl });

    // Last: the rule pack checks the finished stack; an error fails synth with every finding listed.
    applyGuardrails(this, { tier: config.tier, suppressions: config.guardrails.suppressions });
  }
}

/** The boundary bootstrap creates for this environment (`<project>-<env>-boundary`); every role carries it. */
export function boundaryArnOf(config: EnvironmentConfig): string {
  return permissionsBoundaryArn(partitionOf(config.region), config.accountId, config.project, config.name);
}

/** KMS key CloudWatch Logs may use for the log groups of this environment's account and region. */
function logsKmsKey(scope: Construct, config: EnvironmentConfig): KmsKey {
  const partition = partitionOf(config.region);
  const policy = new DataAwsIamPolicyDocument(scope, 'logs-key-policy', {
    statement: [
      {
        sid: 'AccountAdministers',
        effect: 'Allow',
        principals: [{ type: 'AWS', identifiers: [`arn:${partition}:iam::${config.accountId}:root`] }],
        actions: ['kms:*'],
        resources: ['*'],
      },
      {
        sid: 'CloudWatchLogsUses',
        effect: 'Allow',
        principals: [{ type: 'Service', identifiers: [`logs.${config.region}.amazonaws.com`] }],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        condition: [
          {
            test: 'ArnLike',
            variable: 'kms:EncryptionContext:aws:logs:arn',
            values: [`arn:${partition}:logs:${config.region}:${config.accountId}:log-group:*`],
          },
        ],
      },
    ],
  });
  const key = new KmsKey(scope, 'logs-key', {
    description: `${config.project}-${config.name}: CloudWatch log groups`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: policy.json,
  });
  new KmsAlias(scope, 'logs-key-alias', {
    name: `alias/${config.project}-${config.name}-logs`,
    targetKeyId: key.keyId,
  });
  return key;
}
