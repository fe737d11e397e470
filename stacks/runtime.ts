/**
 * The mapping from a resolved environment (environments/loader.ts) onto the runtime modules' props:
 * alarm topic, deployment table, database, cache, then ECS (built last so the services receive the
 * data endpoints; the ECS module opens the data security groups to its tasks through `dataStores`).
 *
 * stacks/platform-stack.ts calls `buildRuntime(this, config, this.network, …)` after the VPC; the module
 * tests call it with a fake VPC.
 */
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../environments/schema';
import { AlarmTopic, SharedAlarms, sharedAlarmNamesOf } from '../modules/alarms';
import { DeploymentTable } from '../modules/deployment-table';
import { EcsPlatform, type EcsServiceProps } from '../modules/ecs';
import { InitialImage } from '../modules/initial-image';
import { databaseConnectStatement, PostgresDatabase } from '../modules/rds';
import { CacheCluster, cacheAppUserId, cacheConnectStatement } from '../modules/redis';
import { partitionOf } from '../modules/vpc/partition';
import { permissionsBoundaryArn } from './names';
import type { SmokeTest } from '../services/topology';

/** What the runtime needs from the VPC module. */
export interface RuntimeNetwork {
  readonly vpcId: string;
  readonly publicSubnetIds: readonly string[];
  readonly privateSubnetIds: readonly string[];
  readonly isolatedSubnetIds: readonly string[];
  /** Public IPs of the NAT gateways (default sources of the test listener). @default [] */
  readonly natPublicIps?: readonly string[];
}

export interface Runtime {
  readonly alarms: AlarmTopic;
  /** ELB 5xx and no-healthy-hosts alarms: the topology's `alarms.shared` of every service. */
  readonly sharedAlarms: SharedAlarms;
  readonly deploymentTable: DeploymentTable;
  readonly database: PostgresDatabase;
  readonly cache: CacheCluster;
  readonly ecs: EcsPlatform;
}

export interface RuntimeOptions {
  /** KMS key for the services' log groups. @default none (CloudWatch Logs' own encryption) */
  readonly logKmsKeyArn?: string;
}

export function buildRuntime(
  scope: Construct,
  config: EnvironmentConfig,
  network: RuntimeNetwork,
  options: RuntimeOptions = {},
): Runtime {
  const project = config.project;
  const environment = config.name;
  const preventDestroy = config.protection.preventDestroy;

  const alarms = new AlarmTopic(scope, 'alarms', {
    project,
    environment,
    accountId: config.accountId,
    region: config.region,
    subscriptions: config.alarms.subscriptions,
  });
  const deploymentTable = new DeploymentTable(scope, 'deployment-table', {
    project,
    environment,
    preventDestroy,
  });

  const db = config.database;
  const database = new PostgresDatabase(scope, 'database', {
    project,
    environment,
    vpcId: network.vpcId,
    isolatedSubnetIds: network.isolatedSubnetIds,
    engineVersion: db.engineVersion,
    instanceClass: db.instanceClass,
    allocatedStorage: db.allocatedStorage,
    maxAllocatedStorage: db.maxAllocatedStorage,
    databaseName: db.databaseName,
    masterUsername: db.masterUsername,
    multiAz: db.multiAz,
    deletionProtection: db.deletionProtection,
    skipFinalSnapshot: db.skipFinalSnapshot,
    backupRetentionDays: db.backupRetentionDays,
    performanceInsights: db.performanceInsights,
    logExports: db.logExports,
    logRetentionDays: db.logRetentionDays,
    logKmsKeyArn: options.logKmsKeyArn,
    storageKms: db.storageKms,
    allowStorageKmsReplacement: db.allowStorageKmsReplacement,
    preventDestroy,
    alarmTopicArn: alarms.topicArn,
  });

  const c = config.cache;
  const cache = new CacheCluster(scope, 'cache', {
    project,
    environment,
    vpcId: network.vpcId,
    isolatedSubnetIds: network.isolatedSubnetIds,
    engine: c.engine,
    engineVersion: c.engineVersion,
    nodeType: c.nodeType,
    replicas: c.replicas,
    automaticFailover: c.automaticFailover,
    multiAz: c.multiAz,
    snapshotRetentionDays: c.snapshotRetentionDays,
    authMode: c.authMode,
    preventDestroy,
    alarmTopicArn: alarms.topicArn,
  });

  const alb = config.alb;
  // Without `initialImageTag`, each service starts from the newest image pushed to its repository,
  // pinned at the environment's first apply (modules/initial-image: no deadlock between the first build
  // and the first apply, no task-definition churn on later pushes).
  const initialImages = new Map(
    config.services
      .filter((s) => s.initialImageTag === undefined)
      .map((s) => [
        s.name,
        new InitialImage(scope, `initial-image-${s.name}`, {
          service: s.name,
          environment,
          repositoryName: s.imageRepository,
          registryId: config.toolingAccountId,
          region: config.state.region,
        }).image,
      ]),
  );
  const services: EcsServiceProps[] = config.services.map((s) => ({
    name: s.name,
    repositoryName: s.imageRepository,
    // The repositories live in the shared-services account and region (bootstrap); its policy lets this
    // account pull.
    repositoryAccountId: config.toolingAccountId,
    repositoryRegion: config.state.region,
    containerPort: s.containerPort,
    cpu: s.cpu,
    memory: s.memory,
    desiredCount: s.desiredCount,
    logRetentionDays: s.logRetentionDays,
    healthCheck: s.healthCheck,
    deregistrationDelaySeconds: s.deregistrationDelaySeconds,
    autoscaling: s.autoscaling,
    // Endpoints of the data stores; the application authenticates with its own secrets / IAM.
    environment: {
      DATABASE_HOST: database.address,
      DATABASE_PORT: String(database.port),
      DATABASE_NAME: db.databaseName,
      // IAM authentication: the application signs a token for this user (rds-db:connect below).
      DATABASE_USER: db.appUsername,
      CACHE_HOST: cache.address,
      CACHE_PORT: String(cache.port),
      CACHE_TLS: 'true',
      // rbac: the IAM-authenticated user and the replication group the application signs its
      // connection token for (the token is a SigV4 presign of `http://<replication group id>/?Action=connect&User=<user>`).
      ...(c.authMode === 'rbac'
        ? { CACHE_USER: cacheAppUserId(project, environment), CACHE_NAME: cache.replicationGroupId }
        : {}),
      ...s.environment,
    },
    secrets: {
      ...(cache.authTokenSecretArn ? { CACHE_AUTH_TOKEN: cache.authTokenSecretArn } : {}),
      ...s.secrets,
    },
    routing: s.routing,
    deploy: s.deploy,
    ...(s.smokeTest ? { smokeTest: s.smokeTest as SmokeTest } : {}),
    user: s.user,
    containerHealthCheck: s.containerHealthCheck,
    secretsKmsKeyArns: s.secretsKmsKeyArns,
    writablePaths: s.writablePaths,
    ...(s.initialImageTag !== undefined
      ? { initialImageTag: s.initialImageTag }
      : { initialImage: initialImages.get(s.name)! }),
    taskRolePolicyStatements: [
      ...s.taskRolePolicyStatements,
      databaseConnectStatement(
        partitionOf(config.region),
        config.region,
        config.accountId,
        database.resourceId,
        db.appUsername,
      ),
      ...(c.authMode === 'rbac'
        ? [cacheConnectStatement(project, environment, config.region, config.accountId)]
        : []),
    ],
    promoteFrom: config.promotion.from,
  }));

  const ecs = new EcsPlatform(scope, 'ecs', {
    project,
    environment,
    region: config.region,
    accountId: config.accountId,
    vpcId: network.vpcId,
    vpcCidr: config.vpc.cidr,
    publicSubnetIds: network.publicSubnetIds,
    privateSubnetIds: network.privateSubnetIds,
    certificateArn: alb.certificateArn,
    allowPlainHttp: alb.allowPlainHttp,
    deletionProtection: alb.deletionProtection,
    idleTimeoutSeconds: alb.idleTimeoutSeconds,
    accessLogs: alb.accessLogs.enabled
      ? { bucket: alb.accessLogs.bucket, prefix: alb.accessLogs.prefix || undefined }
      : undefined,
    testListener: {
      port: alb.testListener.port,
      allowedCidrs: alb.testListener.allowedCidrs,
      natPublicIps: network.natPublicIps ?? [],
    },
    deploymentTableName: deploymentTable.tableName,
    permissionsBoundaryArn: permissionsBoundaryArn(
      partitionOf(config.region),
      config.accountId,
      project,
      environment,
    ),
    alarmTopicArn: alarms.topicArn,
    // Deploy notifications: the alarm topic (its subscribers hear of deploys) and/or a webhook whose URL the
    // deploy job holds in the named environment variable (never the URL itself).
    ...(config.notifications.sns || config.notifications.webhookUrlEnv
      ? {
          notifications: {
            // built from names known at synth (not the token): the topology's size stays exact (SSM tier)
            ...(config.notifications.sns
              ? {
                  snsTopicArn: `arn:${partitionOf(config.region)}:sns:${config.region}:${config.accountId}:${alarms.topicName}`,
                }
              : {}),
            ...(config.notifications.webhookUrlEnv
              ? { webhookUrlEnv: config.notifications.webhookUrlEnv }
              : {}),
            events: [...config.notifications.events],
          },
        }
      : {}),
    // The environment- and service-wide alarms the platform stack creates (modules/alarms SharedAlarms) gate
    // every release of a service: the topology publishes them as `alarms.shared`.
    sharedAlarmNames: {
      byService: Object.fromEntries(
        config.services.map((s) => [
          s.name,
          sharedAlarmNamesOf(project, environment, s.name, s.desiredCount > 0),
        ]),
      ),
    },
    logKmsKeyArn: options.logKmsKeyArn,
    dataStores: [
      { name: 'postgres', securityGroupId: database.securityGroupId, port: database.port },
      { name: 'cache', securityGroupId: cache.securityGroupId, port: cache.port },
    ],
    services,
  });

  // Environment- and service-wide alarms (ELB 5xx of the load balancer, no healthy hosts per service): the
  // topology above publishes their names as `alarms.shared`, so they are created with the runtime.
  const sharedAlarms = new SharedAlarms(scope, 'shared-alarms', {
    project,
    environment,
    topicArn: alarms.topicArn,
    loadBalancerArnSuffix: ecs.loadBalancer.arnSuffix,
    services: ecs.services.map((s) => ({
      name: s.name,
      targetGroupArnSuffixes: { blue: s.targetGroups.blue.arnSuffix, green: s.targetGroups.green.arnSuffix },
      // A service configured with 0 tasks would be in ALARM all the time.
      expectsTasks: (config.services.find((c) => c.name === s.name)?.desiredCount ?? 1) > 0,
    })),
  });

  return { alarms, sharedAlarms, deploymentTable, database, cache, ecs };
}
