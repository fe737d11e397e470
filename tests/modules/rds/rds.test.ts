import { TerraformOutput, Testing } from 'cdktf';
import { tierDefaults } from '../../../environments/tiers';
import { PostgresDatabase, type PostgresDatabaseProps } from '../../../modules/rds';
import {
  FAKE_ACCOUNT,
  FAKE_REGION,
  FAKE_VPC,
  listOf,
  newStack,
  type Synth,
  synth,
} from '../../helpers/stack';

Testing.setupJest();

const TOPIC = `arn:aws:sns:${FAKE_REGION}:${FAKE_ACCOUNT}:switchyard-x-alarms`;
const TASKS = ['sg-tasks-api', 'sg-tasks-web'];

type Tier = 'dev' | 'staging' | 'prod';

/** The tier defaults of environments/tiers.ts mapped onto the props, as the platform stack does. */
function tierProps(tier: Tier): PostgresDatabaseProps {
  const db = tierDefaults(tier).database as Record<string, never>;
  return {
    environment: tier,
    vpcId: FAKE_VPC.vpcId,
    isolatedSubnetIds: FAKE_VPC.isolatedSubnetIds,
    allowedSecurityGroupIds: TASKS,
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
    storageKms: db.storageKms,
    preventDestroy: (tierDefaults(tier).protection as { preventDestroy: boolean }).preventDestroy,
    alarmTopicArn: TOPIC,
  };
}

/** `probe` output: the masterUserSecretArn as Terraform will see it. */
function build(props: PostgresDatabaseProps): { db: PostgresDatabase; out: Synth } {
  const { stack } = newStack();
  const db = new PostgresDatabase(stack, 'db', props);
  if (db.masterUserSecretArn) new TerraformOutput(stack, 'probe', { value: db.masterUserSecretArn });
  return { db, out: synth(stack) };
}

describe.each<Tier>(['dev', 'staging', 'prod'])('PostgresDatabase with %s tier defaults', (tier) => {
  const props = tierProps(tier);
  const { db, out } = build(props);
  const [instance] = listOf(out, 'aws_db_instance');

  it('is encrypted, private, IAM-authenticated, with an RDS-managed master password', () => {
    expect(instance).toMatchObject({
      engine: 'postgres',
      engine_version: props.engineVersion,
      storage_encrypted: true,
      publicly_accessible: false,
      iam_database_authentication_enabled: true,
      manage_master_user_password: true,
      username: 'app_admin',
    });
    expect(instance).not.toHaveProperty('password');
    expect(instance).not.toHaveProperty('password_wo');
    expect(out.output?.probe?.value).toMatch(
      /^\$\{aws_db_instance\..+\.master_user_secret\[0\]\.secret_arn\}$/,
    );
  });

  it('forces SSL through its own parameter group', () => {
    const [pg] = listOf(out, 'aws_db_parameter_group');
    expect(pg).toMatchObject({
      family: 'postgres16',
      name_prefix: `switchyard-${tier}-postgres16-`,
      lifecycle: { create_before_destroy: true },
    });
    expect(pg).not.toHaveProperty('name');
    expect(pg!.parameter).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'rds.force_ssl', value: '1' })]),
    );
    expect(String(instance!.parameter_group_name)).toContain('aws_db_parameter_group');
  });

  it('lives in the isolated subnets', () => {
    expect(listOf(out, 'aws_db_subnet_group')[0]).toMatchObject({ subnet_ids: FAKE_VPC.isolatedSubnetIds });
  });

  it('applies the tier settings: Multi-AZ, deletion protection, snapshots, backups, Performance Insights', () => {
    expect(instance).toMatchObject({
      multi_az: props.multiAz,
      deletion_protection: props.deletionProtection,
      skip_final_snapshot: props.skipFinalSnapshot,
      backup_retention_period: props.backupRetentionDays,
      performance_insights_enabled: props.performanceInsights,
      enabled_cloudwatch_logs_exports: ['postgresql', 'upgrade'],
      instance_class: props.instanceClass,
      allocated_storage: props.allocatedStorage,
      max_allocated_storage: props.maxAllocatedStorage,
    });
    if (props.skipFinalSnapshot) expect(instance).not.toHaveProperty('final_snapshot_identifier');
    else expect(instance!.final_snapshot_identifier).toBe(`switchyard-${tier}-db-final`);
  });

  it('uses a customer KMS key exactly when the tier asks for one', () => {
    const keys = listOf(out, 'aws_kms_key');
    if (props.storageKms === 'customer-managed') {
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ enable_key_rotation: true });
      expect(String(instance!.kms_key_id)).toMatch(/^\$\{aws_kms_key\..+\.arn\}$/);
      expect(instance!.master_user_secret_kms_key_id).toBe(instance!.kms_key_id);
    } else {
      expect(keys).toHaveLength(0);
      expect(instance).not.toHaveProperty('kms_key_id');
    }
  });

  it('carries prevent_destroy exactly when the tier protects stateful resources', () => {
    const lifecycle = instance!.lifecycle as { prevent_destroy?: boolean } | undefined;
    expect(lifecycle?.prevent_destroy === true).toBe(props.preventDestroy);
  });

  it('alarms on CPU > 80% for 15 min and on low free storage', () => {
    const alarms = listOf(out, 'aws_cloudwatch_metric_alarm');
    expect(alarms.map((a) => a.alarm_name).sort()).toEqual([
      `switchyard-${tier}-db-cpu`,
      `switchyard-${tier}-db-free-storage`,
    ]);
    const cpu = alarms.find((a) => a.metric_name === 'CPUUtilization')!;
    expect(cpu).toMatchObject({ threshold: 80, period: 300, evaluation_periods: 3, alarm_actions: [TOPIC] });
    const storage = alarms.find((a) => a.metric_name === 'FreeStorageSpace')!;
    expect(storage).toMatchObject({ comparison_operator: 'LessThanThreshold' });
    expect(db.alarmNames).toEqual([`switchyard-${tier}-db-cpu`, `switchyard-${tier}-db-free-storage`]);
  });
});

describe('PostgresDatabase security group', () => {
  const { out } = build(tierProps('dev'));

  it('admits 5432 from each task group only, with described rules, and opens the matching task egress', () => {
    const ingress = listOf(out, 'aws_vpc_security_group_ingress_rule');
    expect(ingress.map((r) => r.referenced_security_group_id).sort()).toEqual(TASKS);
    for (const r of ingress) {
      expect(r).toMatchObject({ from_port: 5432, to_port: 5432, ip_protocol: 'tcp' });
      expect(r).not.toHaveProperty('cidr_ipv4');
      expect(String(r.description).length).toBeGreaterThan(10);
    }
    const egress = listOf(out, 'aws_vpc_security_group_egress_rule');
    expect(egress.map((r) => r.security_group_id).sort()).toEqual(TASKS);
    for (const r of egress) expect(r).toMatchObject({ from_port: 5432, to_port: 5432 });
  });
});

describe('PostgresDatabase log exports', () => {
  it('creates each export log group (retention, KMS) before the instance so RDS never creates them', () => {
    const key = `arn:aws:kms:${FAKE_REGION}:${FAKE_ACCOUNT}:key/logs`;
    const { stack } = newStack();
    new PostgresDatabase(stack, 'db', {
      ...tierProps('prod'),
      logExports: ['postgresql', 'upgrade'],
      logRetentionDays: 90,
      logKmsKeyArn: key,
    });
    const out = synth(stack);
    const groups = out.resource?.aws_cloudwatch_log_group ?? {};
    expect(Object.values(groups).map((g) => [g.name, g.retention_in_days, g.kms_key_id])).toEqual([
      ['/aws/rds/instance/switchyard-prod-db/postgresql', 90, key],
      ['/aws/rds/instance/switchyard-prod-db/upgrade', 90, key],
    ]);
    const [instance] = listOf(out, 'aws_db_instance');
    expect(instance!.enabled_cloudwatch_logs_exports).toEqual(['postgresql', 'upgrade']);
    expect([...(instance!.depends_on as string[])].sort()).toEqual(
      Object.keys(groups)
        .map((id) => `aws_cloudwatch_log_group.${id}`)
        .sort(),
    );
  });

  it('refuses a retention CloudWatch does not offer', () => {
    const { stack } = newStack();
    expect(() => new PostgresDatabase(stack, 'db', { ...tierProps('dev'), logRetentionDays: 10 })).toThrow(
      /logRetentionDays: must be one of 1, 3, 5/,
    );
  });
});

describe('PostgresDatabase engine version', () => {
  it('defaults to a major-only version with automatic minor upgrades, parameter family from the major', () => {
    const { out } = build({ ...tierProps('dev'), engineVersion: undefined });
    expect(listOf(out, 'aws_db_instance')[0]).toMatchObject({
      engine_version: '16',
      auto_minor_version_upgrade: true,
    });
    expect(listOf(out, 'aws_db_parameter_group')[0]).toMatchObject({ family: 'postgres16' });
  });

  it('accepts a pinned minor only with automatic minor upgrades off', () => {
    const { out } = build({ ...tierProps('dev'), engineVersion: '15.7', autoMinorVersionUpgrade: false });
    expect(listOf(out, 'aws_db_instance')[0]).toMatchObject({
      engine_version: '15.7',
      auto_minor_version_upgrade: false,
    });
    expect(listOf(out, 'aws_db_parameter_group')[0]).toMatchObject({ family: 'postgres15' });
  });
});

describe('PostgresDatabase validation', () => {
  const attempt = (overrides: Partial<PostgresDatabaseProps>) => () => {
    const { stack } = newStack();
    new PostgresDatabase(stack, 'db', { ...tierProps('dev'), ...overrides });
  };
  it.each<[string, Partial<PostgresDatabaseProps>, RegExp]>([
    ['a bad version', { engineVersion: 'latest' }, /engineVersion: must be a PostgreSQL major version/],
    [
      'a pinned minor with auto minor upgrades on',
      { engineVersion: '16.4' },
      /engineVersion: must be the major version only \("16"\) while autoMinorVersionUpgrade is on/,
    ],
    ['an old version', { engineVersion: '12.9' }, /engineVersion: must be PostgreSQL 13 or newer/],
    [
      'one subnet',
      { isolatedSubnetIds: ['subnet-a'] },
      /isolatedSubnetIds: a DB subnet group needs at least 2 subnets/,
    ],
    [
      'max below allocated',
      { allocatedStorage: 100, maxAllocatedStorage: 50 },
      /maxAllocatedStorage: must be an integer ≥ allocatedStorage \(100\)/,
    ],
    [
      'a reserved user',
      { masterUsername: 'postgres' },
      /masterUsername: must be a PostgreSQL identifier and not a reserved name/,
    ],
    ['too long backups', { backupRetentionDays: 40 }, /backupRetentionDays: must be an integer 0-35/],
    [
      'preventDestroy without deletion protection',
      { preventDestroy: true, deletionProtection: false },
      /deletionProtection: must not be false when preventDestroy/,
    ],
  ])('refuses %s', (_c, overrides, message) => {
    expect(attempt(overrides)).toThrow(message);
  });
});
