import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DataAwsDbInstance } from '@cdktf/provider-aws/lib/data-aws-db-instance';
import { DataAwsDbInstances } from '@cdktf/provider-aws/lib/data-aws-db-instances';
import { DataAwsKmsKey } from '@cdktf/provider-aws/lib/data-aws-kms-key';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Fn, TerraformCount, Token } from 'cdktf';
import { Construct } from 'constructs';
import { DataSecurityGroup } from './data-security-group';
import { RESERVED_DB_USERS, STORAGE_KMS_REPLACEMENT_TAG } from './limits';

export { DataSecurityGroup, type DataSecurityGroupProps } from './data-security-group';
export { RESERVED_DB_USERS, STORAGE_KMS_REPLACEMENT_TAG } from './limits';

export const POSTGRES_PORT = 5432;
/** Default PostgreSQL major version (RDS picks and upgrades the minor). */
export const DEFAULT_POSTGRES_MAJOR = '16';

export interface PostgresDatabaseProps {
  /** @default 'switchyard' */
  readonly project?: string;
  /** Environment name. Required. */
  readonly environment: string;
  /** VPC id. Required. */
  readonly vpcId: string;
  /** Isolated (database) subnets, ≥ 2 in different AZs. Required. */
  readonly isolatedSubnetIds: readonly string[];
  /** Security groups allowed to connect on 5432 (the services' tasks). @default [] (nothing can connect) */
  readonly allowedSecurityGroupIds?: readonly string[];
  /** Add the matching egress rule (→ 5432) on each allowed group. @default true */
  readonly manageClientEgress?: boolean;
  /**
   * PostgreSQL major version, e.g. `'16'`. With autoMinorVersionUpgrade on (the default) RDS applies
   * minor versions itself; the AWS provider treats a major-only `engine_version` as a prefix of the
   * running version (16 matches 16.4, 16.6, …), so the plan stays clean after each automatic upgrade.
   * A pinned `major.minor` (e.g. `'16.4'`) is accepted only with autoMinorVersionUpgrade: false —
   * otherwise every plan after AWS's first minor upgrade would try to downgrade, and apply would fail.
   * @default '16'
   */
  readonly engineVersion?: string;
  /** Let RDS apply minor versions in the maintenance window. @default true */
  readonly autoMinorVersionUpgrade?: boolean;
  /** @default 'db.t4g.micro' */
  readonly instanceClass?: string;
  /** GiB (gp3). @default 20 */
  readonly allocatedStorage?: number;
  /** Storage autoscaling ceiling in GiB (≥ allocatedStorage). @default 2 × allocatedStorage */
  readonly maxAllocatedStorage?: number;
  /** @default 'app' */
  readonly databaseName?: string;
  /** Master user; its password is generated and rotated by RDS in Secrets Manager. @default 'app_admin' */
  readonly masterUsername?: string;
  /** @default false */
  readonly multiAz?: boolean;
  /** @default true */
  readonly deletionProtection?: boolean;
  /** @default false (a final snapshot `<project>-<env>-db-final` is taken) */
  readonly skipFinalSnapshot?: boolean;
  /** Days of automated backups (0–35). @default 7 */
  readonly backupRetentionDays?: number;
  /** @default false */
  readonly performanceInsights?: boolean;
  /**
   * CloudWatch log exports. The module creates each `/aws/rds/instance/<id>/<type>` log group itself
   * (retention, KMS) before the instance, so RDS never creates them without either. @default ['postgresql', 'upgrade']
   */
  readonly logExports?: readonly ('postgresql' | 'upgrade' | 'iam-db-auth-error')[];
  /** Retention of the exported log groups (a CloudWatch retention period). @default 30 */
  readonly logRetentionDays?: number;
  /** KMS key of the exported log groups (its policy must let CloudWatch Logs use it). @default undefined (CloudWatch Logs encryption) */
  readonly logKmsKeyArn?: string;
  /**
   * `aws-managed` (aws/rds key) or `customer-managed` (a key created here with rotation, also used for
   * the master secret and Performance Insights). @default 'aws-managed'
   */
  readonly storageKms?: 'aws-managed' | 'customer-managed';
  /** Use this existing customer key instead of creating one (implies customer-managed). @default undefined */
  readonly kmsKeyArn?: string;
  /**
   * Explicit opt-in to let a storage-key change (`storageKms` / `kmsKeyArn`) replace the database. RDS cannot
   * re-encrypt an instance in place, so such a change deletes it and creates an empty one. Without the
   * opt-in a plan-time precondition refuses any plan whose key differs from the running instance's. With
   * it, the instance is tagged `switchyard:storage-kms-replacement=allowed`; the replacement is only
   * planned once that tag is live, i.e. after an apply that also recorded `skipFinalSnapshot: false` and
   * `deletionProtection: false` (the delete uses the recorded values, so the final snapshot is taken).
   * Requires skipFinalSnapshot false, deletionProtection false and preventDestroy false. @default false
   */
  readonly allowStorageKmsReplacement?: boolean;
  /**
   * Apply modifications (instance class, storage, engine version) during `terraform apply` rather than
   * in the next maintenance window. A major-version upgrade also swaps the parameter group (new family),
   * and the old group can only be deleted once the instance left it, so it needs this. @default true
   */
  readonly applyImmediately?: boolean;
  /** Terraform `lifecycle.prevent_destroy` on the instance (and its key). @default false */
  readonly preventDestroy?: boolean;
  /** SNS topic for the CPU and free-storage alarms. @default undefined (no alarms) */
  readonly alarmTopicArn?: string;
  /** CPU alarm threshold (%), sustained 15 min. @default 80 */
  readonly cpuAlarmPercent?: number;
  /** Free-storage alarm threshold in GiB. @default max(2, 10 % of allocatedStorage) */
  readonly freeStorageAlarmGiB?: number;
}

const IDENT = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
/** Retention periods CloudWatch Logs accepts (days). */
const CLOUDWATCH_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
const RESERVED_USERS = new Set(RESERVED_DB_USERS);

/**
 * The task-role statement that lets a service connect as `dbUser` with IAM authentication
 * (`rds-db:connect` on `arn:<partition>:rds-db:<region>:<account>:dbuser:<dbi-resource-id>/<user>`).
 * The user must exist in the database with `GRANT rds_iam TO <user>` (created once by an operator or a
 * migration, with the master credentials from Secrets Manager); Terraform does not create it.
 */
export function databaseConnectStatement(
  partition: string,
  region: string,
  accountId: string,
  resourceId: string,
  dbUser: string,
) {
  return {
    sid: 'DatabaseIamConnect',
    actions: ['rds-db:connect'],
    resources: [`arn:${partition}:rds-db:${region}:${accountId}:dbuser:${resourceId}/${dbUser}`],
  };
}

/**
 * PostgreSQL on RDS in the isolated subnets: encrypted, master password managed by RDS in Secrets
 * Manager, SSL forced by its own parameter group, IAM authentication on, never public.
 */
export class PostgresDatabase extends Construct {
  readonly instance: DbInstance;
  readonly parameterGroup: DbParameterGroup;
  readonly subnetGroup: DbSubnetGroup;
  readonly securityGroup: DataSecurityGroup;
  readonly securityGroupId: string;
  readonly kmsKey?: KmsKey;
  /** KMS key ARN encrypting storage (undefined: aws/rds). */
  readonly kmsKeyArn?: string;
  readonly identifier: string;
  /** `dbi-…` resource id of the instance (IAM authentication ARNs). */
  readonly resourceId: string;
  readonly address: string;
  readonly port: number;
  /** ARN of the Secrets Manager secret RDS keeps the master credentials in. */
  readonly masterUserSecretArn: string;
  readonly alarms: readonly CloudwatchMetricAlarm[];
  readonly alarmNames: readonly string[];
  /** The log groups of the exported logs, by export type. */
  readonly logGroups: Readonly<Record<string, CloudwatchLogGroup>>;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    const project = props.project ?? 'switchyard';
    const env = props.environment;
    const engineVersion = props.engineVersion ?? DEFAULT_POSTGRES_MAJOR;
    const autoMinorVersionUpgrade = props.autoMinorVersionUpgrade ?? true;
    const allocatedStorage = props.allocatedStorage ?? 20;
    const maxAllocatedStorage = props.maxAllocatedStorage ?? 2 * allocatedStorage;
    const backupRetentionDays = props.backupRetentionDays ?? 7;
    const databaseName = props.databaseName ?? 'app';
    const masterUsername = props.masterUsername ?? 'app_admin';
    const storageKms = props.kmsKeyArn ? 'customer-managed' : (props.storageKms ?? 'aws-managed');

    const problems: string[] = [];
    const bad = (field: string, what: string, got: unknown) =>
      problems.push(`${field}: ${what} (got ${JSON.stringify(got)})`);
    const version = /^(\d+)(\.\d+)?$/.exec(engineVersion);
    const major = version?.[1];
    if (!major) bad('engineVersion', 'must be a PostgreSQL major version such as "16"', engineVersion);
    else if (Number(major) < 13) bad('engineVersion', 'must be PostgreSQL 13 or newer', engineVersion);
    else if (version?.[2] && autoMinorVersionUpgrade) {
      bad(
        'engineVersion',
        `must be the major version only ("${major}") while autoMinorVersionUpgrade is on: RDS upgrades minor versions itself and a pinned minor would make every later plan try to downgrade`,
        engineVersion,
      );
    }
    if (!/^[a-z][a-z0-9-]*$/.test(env))
      bad('environment', 'must be lower-case letters, digits, hyphens', env);
    if (props.isolatedSubnetIds.length < 2) {
      bad(
        'isolatedSubnetIds',
        'a DB subnet group needs at least 2 subnets in different AZs',
        props.isolatedSubnetIds,
      );
    }
    if (!/^db\.[a-z0-9-]+\.[a-z0-9]+$/.test(props.instanceClass ?? 'db.t4g.micro')) {
      bad('instanceClass', 'must be an RDS instance class such as db.t4g.micro', props.instanceClass);
    }
    if (!Number.isInteger(allocatedStorage) || allocatedStorage < 20 || allocatedStorage > 65536) {
      bad('allocatedStorage', 'must be an integer 20-65536 (GiB)', allocatedStorage);
    }
    if (!Number.isInteger(maxAllocatedStorage) || maxAllocatedStorage < allocatedStorage) {
      bad(
        'maxAllocatedStorage',
        `must be an integer ≥ allocatedStorage (${allocatedStorage})`,
        maxAllocatedStorage,
      );
    }
    if (!Number.isInteger(backupRetentionDays) || backupRetentionDays < 0 || backupRetentionDays > 35) {
      bad('backupRetentionDays', 'must be an integer 0-35', backupRetentionDays);
    }
    if (!IDENT.test(databaseName)) bad('databaseName', 'must be a PostgreSQL identifier', databaseName);
    if (!IDENT.test(masterUsername) || RESERVED_USERS.has(masterUsername.toLowerCase())) {
      bad('masterUsername', 'must be a PostgreSQL identifier and not a reserved name', masterUsername);
    }
    if (props.logRetentionDays !== undefined && !CLOUDWATCH_RETENTION_DAYS.includes(props.logRetentionDays)) {
      bad(
        'logRetentionDays',
        `must be one of ${CLOUDWATCH_RETENTION_DAYS.join(', ')}`,
        props.logRetentionDays,
      );
    }
    if (props.kmsKeyArn && !/^arn:aws[a-z-]*:kms:/.test(props.kmsKeyArn)) {
      bad('kmsKeyArn', 'must be a KMS key ARN', props.kmsKeyArn);
    }
    if (props.preventDestroy && props.deletionProtection === false) {
      bad('deletionProtection', 'must not be false when preventDestroy is set', false);
    }
    if (props.allowStorageKmsReplacement) {
      const blockers = [
        props.skipFinalSnapshot === true
          ? 'skipFinalSnapshot (must be false: a final snapshot is taken)'
          : '',
        props.deletionProtection !== false ? 'deletionProtection (must be false, or the delete fails)' : '',
        props.preventDestroy ? 'preventDestroy (must be false, or the plan fails)' : '',
      ].filter((b) => b !== '');
      if (blockers.length > 0) {
        bad('allowStorageKmsReplacement', `needs ${blockers.join(', ')}`, true);
      }
    }
    if (problems.length > 0) {
      throw new Error(`PostgresDatabase ${id}: invalid configuration:\n  ${problems.join('\n  ')}`);
    }

    const prefix = `${project}-${env}`;
    this.identifier = `${prefix}-db`;
    const lifecycle = props.preventDestroy ? { preventDestroy: true } : undefined;

    if (props.kmsKeyArn) {
      this.kmsKeyArn = props.kmsKeyArn;
    } else if (storageKms === 'customer-managed') {
      this.kmsKey = new KmsKey(this, 'key', {
        description: `${prefix}: RDS storage, master secret and Performance Insights`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        lifecycle,
      });
      new KmsAlias(this, 'key-alias', { name: `alias/${prefix}-db`, targetKeyId: this.kmsKey.keyId });
      this.kmsKeyArn = this.kmsKey.arn;
    }

    this.securityGroup = new DataSecurityGroup(this, 'security-group', {
      name: `${prefix}-db`,
      what: 'PostgreSQL',
      vpcId: props.vpcId,
      port: POSTGRES_PORT,
      clientSecurityGroupIds: props.allowedSecurityGroupIds ?? [],
      manageClientEgress: props.manageClientEgress ?? true,
    });
    this.securityGroupId = this.securityGroup.securityGroupId;

    this.subnetGroup = new DbSubnetGroup(this, 'subnet-group', {
      name: `${prefix}-db`,
      description: `${prefix}: isolated subnets of the database`,
      subnetIds: [...props.isolatedSubnetIds],
    });
    this.parameterGroup = new DbParameterGroup(this, 'parameter-group', {
      // A prefix, not a name: create_before_destroy needs the replacement to exist beside the old one.
      namePrefix: `${prefix}-postgres${major}-`,
      family: `postgres${major}`,
      description: `${prefix}: SSL forced, connections logged`,
      parameter: [
        { name: 'rds.force_ssl', value: '1', applyMethod: 'pending-reboot' },
        { name: 'log_connections', value: '1', applyMethod: 'pending-reboot' },
        { name: 'log_disconnections', value: '1', applyMethod: 'pending-reboot' },
      ],
      lifecycle: { createBeforeDestroy: true },
    });

    // RDS would create the export log groups itself on first write (never expiring, no KMS key).
    const logExports = [...(props.logExports ?? ['postgresql', 'upgrade'])];
    const logGroups: Record<string, CloudwatchLogGroup> = {};
    for (const type of logExports) {
      logGroups[type] = new CloudwatchLogGroup(this, `log-${type}`, {
        name: `/aws/rds/instance/${this.identifier}/${type}`,
        retentionInDays: props.logRetentionDays ?? 30,
        kmsKeyId: props.logKmsKeyArn,
      });
    }
    this.logGroups = logGroups;

    const skipFinalSnapshot = props.skipFinalSnapshot ?? false;
    const performanceInsights = props.performanceInsights ?? false;
    const storageKeyGuard = props.allowStorageKmsReplacement
      ? undefined
      : this.storageKeyPrecondition(storageKms, props.kmsKeyArn);
    this.instance = new DbInstance(this, 'instance', {
      identifier: this.identifier,
      engine: 'postgres',
      engineVersion,
      instanceClass: props.instanceClass ?? 'db.t4g.micro',
      allocatedStorage,
      maxAllocatedStorage,
      storageType: 'gp3',
      storageEncrypted: true,
      kmsKeyId: this.kmsKeyArn,
      dbName: databaseName,
      username: masterUsername,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: this.kmsKeyArn,
      iamDatabaseAuthenticationEnabled: true,
      publiclyAccessible: false,
      dbSubnetGroupName: this.subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.securityGroupId],
      parameterGroupName: this.parameterGroup.name,
      multiAz: props.multiAz ?? false,
      deletionProtection: props.deletionProtection ?? true,
      skipFinalSnapshot,
      finalSnapshotIdentifier: skipFinalSnapshot ? undefined : `${this.identifier}-final`,
      backupRetentionPeriod: backupRetentionDays,
      copyTagsToSnapshot: true,
      deleteAutomatedBackups: false,
      autoMinorVersionUpgrade,
      // Raising engineVersion to a later major upgrades in place. AWS (ModifyDBInstance,
      // AllowMajorVersionUpgrade): "Major version upgrades must be allowed when specifying a value for the
      // EngineVersion parameter that's a different major version than the DB instance's current version."
      // The parameter group of the new family (name prefix, create-before-destroy) is swapped in the same
      // modification; RDS refuses downgrades by itself.
      allowMajorVersionUpgrade: true,
      applyImmediately: props.applyImmediately ?? true,
      caCertIdentifier: 'rds-ca-rsa2048-g1',
      performanceInsightsEnabled: performanceInsights,
      performanceInsightsKmsKeyId: performanceInsights ? this.kmsKeyArn : undefined,
      performanceInsightsRetentionPeriod: performanceInsights ? 7 : undefined,
      enabledCloudwatchLogsExports: logExports,
      lifecycle: {
        ...lifecycle,
        ...(storageKeyGuard ? { precondition: [storageKeyGuard] } : {}),
      },
      tags: props.allowStorageKmsReplacement ? { [STORAGE_KMS_REPLACEMENT_TAG]: 'allowed' } : undefined,
      dependsOn: Object.values(logGroups),
    });
    this.address = this.instance.address;
    this.resourceId = this.instance.resourceId;
    this.port = POSTGRES_PORT;
    this.masterUserSecretArn = this.instance.masterUserSecret.get(0).secretArn;

    const alarms: CloudwatchMetricAlarm[] = [];
    const names: string[] = [];
    if (props.alarmTopicArn) {
      const actions = [props.alarmTopicArn];
      const cpu = props.cpuAlarmPercent ?? 80;
      const freeGiB = props.freeStorageAlarmGiB ?? Math.max(2, Math.round(allocatedStorage * 0.1));
      const dims = { DBInstanceIdentifier: this.identifier };
      names.push(`${prefix}-db-cpu`, `${prefix}-db-free-storage`);
      alarms.push(
        new CloudwatchMetricAlarm(this, 'alarm-cpu', {
          alarmName: `${prefix}-db-cpu`,
          alarmDescription: `${this.identifier}: CPU above ${cpu}% for 15 min`,
          namespace: 'AWS/RDS',
          metricName: 'CPUUtilization',
          dimensions: dims,
          statistic: 'Average',
          period: 300,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          comparisonOperator: 'GreaterThanThreshold',
          threshold: cpu,
          treatMissingData: 'missing',
          alarmActions: actions,
          okActions: actions,
          dependsOn: [this.instance],
        }),
        new CloudwatchMetricAlarm(this, 'alarm-free-storage', {
          alarmName: `${prefix}-db-free-storage`,
          alarmDescription: `${this.identifier}: free storage below ${freeGiB} GiB`,
          namespace: 'AWS/RDS',
          metricName: 'FreeStorageSpace',
          dimensions: dims,
          statistic: 'Minimum',
          period: 300,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          comparisonOperator: 'LessThanThreshold',
          threshold: freeGiB * 1024 ** 3,
          treatMissingData: 'missing',
          alarmActions: actions,
          okActions: actions,
          dependsOn: [this.instance],
        }),
      );
    }
    this.alarms = alarms;
    this.alarmNames = names;
  }

  /**
   * A plan-time guard against replacing the database through its storage key. `kms_key_id` and
   * `storage_encrypted` force replacement (RDS: "You can't change the KMS key used by a DB instance after
   * you create it" — AWS KMS key management, RDS User Guide). The running instance (if any) and its key are
   * read with data sources during the plan, so the condition is known before anything is destroyed (a
   * precondition left unknown until apply would run after the delete of a replacement). The tag
   * {@link STORAGE_KMS_REPLACEMENT_TAG} on the live instance is the recorded opt-in.
   */
  private storageKeyPrecondition(
    storageKms: 'aws-managed' | 'customer-managed',
    kmsKeyArn: string | undefined,
  ): { condition: string; errorMessage: string } {
    const existing = new DataAwsDbInstances(this, 'existing', {
      filter: [{ name: 'db-instance-id', values: [this.identifier] }],
    });
    const count = () => TerraformCount.of(Token.asNumber(Fn.lengthOf(existing.instanceIdentifiers)));
    const live = new DataAwsDbInstance(this, 'live', {
      count: count(),
      dbInstanceIdentifier: this.identifier,
    });
    const liveKey = new DataAwsKmsKey(this, 'live-key', {
      count: count(),
      keyId: `\${${live.fqn}[count.index].kms_key_id}`,
    });
    const sameKey = kmsKeyArn
      ? `i.kms_key_id == ${JSON.stringify(kmsKeyArn)}`
      : `${liveKey.fqn}[n].key_manager == "${storageKms === 'customer-managed' ? 'CUSTOMER' : 'AWS'}"`;
    const wanted = kmsKeyArn
      ? `the key ${kmsKeyArn}`
      : storageKms === 'customer-managed'
        ? 'a customer managed key'
        : 'the AWS managed key aws/rds';
    return {
      condition:
        `\${alltrue([for n, i in ${live.fqn} : ` +
        `lookup(i.tags, "${STORAGE_KMS_REPLACEMENT_TAG}", "") == "allowed" || (i.storage_encrypted && ${sameKey})])}`,
      errorMessage:
        `database ${this.identifier}: database.storageKms asks for ${wanted}, but the running database is encrypted ` +
        `with another key. RDS cannot change the key of an instance, so this plan would delete the database and ` +
        `create an empty one. Put database.storageKms back, or move the data yourself (snapshot, copy the snapshot ` +
        `with the new key, restore: "Encrypting Amazon RDS resources", RDS User Guide), or — outside prod — set ` +
        `database.allowStorageKmsReplacement: true with skipFinalSnapshot: false and deletionProtection: false, ` +
        `apply that first (it records the final snapshot setting), then change storageKms.`,
    };
  }
}
