/**
 * Secure defaults per tier. An environment file names its tier (or is named after one) and only
 * overrides what differs: `defaults(tier)` is deep-merged under the YAML (objects merge key by key,
 * arrays and scalars from the YAML replace the default).
 *
 * Values that depend on other fields (state bucket name, test-listener CIDRs, cache engine version,
 * termination wait, routing priority) are computed in `resolve()` in ./loader.ts and documented on the
 * schema fields.
 */
export const TIERS = ['dev', 'staging', 'prod'] as const;
export type Tier = (typeof TIERS)[number];

/** Shape of the defaults: the YAML shape with every field optional. */
export type TierDefaults = {
  vpc: Record<string, unknown>;
  state: Record<string, unknown>;
  alb: Record<string, unknown>;
  database: Record<string, unknown>;
  cache: Record<string, unknown>;
  protection: Record<string, unknown>;
  guardrails: Record<string, unknown>;
  alarms: Record<string, unknown>;
  notifications: Record<string, unknown>;
  promotion: Record<string, unknown>;
  services: Record<string, unknown>[];
};

/** Defaults for every item of `services[]`, per tier. */
export function serviceDefaults(tier: Tier): Record<string, unknown> {
  const prod = tier === 'prod';
  const staging = tier === 'staging';
  return {
    cpu: tier === 'dev' ? 256 : 512,
    memory: tier === 'dev' ? 512 : 1024,
    desiredCount: prod ? 3 : staging ? 2 : 1,
    deregistrationDelaySeconds: 30,
    logRetentionDays: prod ? 90 : staging ? 30 : 14,
    healthCheck: {
      path: '/health',
      matcher: '200',
      intervalSeconds: prod ? 10 : 15,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      timeoutSeconds: 5,
    },
    autoscaling: {
      min: prod ? 3 : staging ? 2 : 1,
      max: prod ? 12 : staging ? 4 : 2,
      cpuTarget: 60,
      memoryTarget: 75,
    },
    environment: {},
    secrets: {},
    routing: {},
    taskRolePolicyStatements: [],
    secretsKmsKeyArns: [],
    writablePaths: ['/tmp'],
    deploy: {
      strategy: tier === 'dev' ? 'all-at-once' : 'canary',
      canaryPercent: 10,
      linearStepPercent: 20,
      // A canary bake must outlast CloudWatch's ALB metric delay (1–2 min) plus two 1-minute periods, or
      // the 5xx gate judges the canary only after the shift to 100% (the deployer's plan warns below 240 s).
      bakeSeconds: prod ? 300 : staging ? 240 : 30,
      finalBakeSeconds: prod ? 600 : staging ? 240 : 0,
      pollIntervalSeconds: 10,
      deploymentTimeoutSeconds: 900,
      healthyTimeoutSeconds: 300,
      max5xxRatio: 0.01,
      min5xxSampleRequests: 50,
      // Response gates (services/deployer core/metric-gates.ts): p99 above max(ceiling, the live colour's own
      // p99 before the shift × factor) fails a bake; so does > 1 % of connections to the targets failing.
      maxP99LatencySeconds: prod ? 2 : staging ? 3 : 5,
      p99BaselineFactor: prod ? 1.5 : staging ? 2 : 3,
      minLatencySampleRequests: 200,
      maxConnectionErrorRatio: 0.01,
      // prod: a service too quiet for the 5xx gate deploys only with a smoke test (or `quietTraffic: allow`)
      quietTraffic: prod ? 'require-smoke-test' : 'allow',
      // prod tier: the full shift needs a second approval — every deploy/promote holds after its canary
      // (CI's full-shift job continues it once the Environment's reviewers approve); `holdAfter: none`
      // or `--hold-after none` opts out. Decided by tier, so a new prod-tier environment gets it too.
      ...(prod ? { holdAfter: 'canary' } : {}),
    },
  };
}

/** Defaults for the sections of an environment file, per tier. */
export function tierDefaults(tier: Tier): TierDefaults {
  const prod = tier === 'prod';
  const staging = tier === 'staging';
  return {
    vpc: {
      azCount: prod ? 3 : 2,
      natGateways: prod ? 'per-az' : 'single',
      flowLogRetentionDays: prod ? 365 : staging ? 30 : 14,
      interfaceEndpoints: prod ? ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager'] : [],
    },
    state: { locking: 'dynamodb' },
    alb: {
      allowPlainHttp: false,
      testListener: { port: 8443 },
      accessLogs: { enabled: tier !== 'dev', prefix: '' },
      deletionProtection: prod,
      idleTimeoutSeconds: 60,
    },
    database: {
      engineVersion: '16',
      instanceClass: prod ? 'db.r6g.large' : staging ? 'db.t4g.small' : 'db.t4g.micro',
      allocatedStorage: prod ? 100 : staging ? 50 : 20,
      maxAllocatedStorage: prod ? 500 : staging ? 100 : 50,
      databaseName: 'app',
      masterUsername: 'app_admin',
      appUsername: 'app',
      multiAz: prod,
      deletionProtection: tier !== 'dev',
      skipFinalSnapshot: tier === 'dev',
      backupRetentionDays: prod ? 30 : staging ? 7 : 1,
      performanceInsights: tier !== 'dev',
      logExports: ['postgresql', 'upgrade'],
      logRetentionDays: prod ? 90 : staging ? 30 : 14,
      storageKms: prod ? 'customer-managed' : 'aws-managed',
      allowStorageKmsReplacement: false,
    },
    cache: {
      engine: 'valkey',
      nodeType: prod ? 'cache.r7g.large' : staging ? 'cache.t4g.small' : 'cache.t4g.micro',
      replicas: prod ? 2 : staging ? 1 : 0,
      automaticFailover: tier !== 'dev',
      multiAz: tier !== 'dev',
      snapshotRetentionDays: prod ? 7 : staging ? 1 : 0,
      authMode: 'rbac',
    },
    protection: { preventDestroy: prod },
    guardrails: { suppressions: [] },
    alarms: { subscriptions: [] },
    notifications: { sns: false, events: ['start', 'hold', 'success', 'rollback', 'failure'] },
    promotion: {},
    services: [],
  };
}
