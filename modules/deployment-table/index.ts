import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { Construct } from 'constructs';
import { deploymentTableName, PARTITION_KEY, RELEASE_ID_ATTRIBUTE, RELEASE_ID_INDEX, SORT_KEY } from './keys';

export * from './keys';

export interface DeploymentTableProps {
  /** Project name, first part of the table name. @default 'switchyard' */
  readonly project?: string;
  /** Environment name (`dev`, `staging`, `prod`, …). Required. */
  readonly environment: string;
  /** Table name. @default `<project>-<environment>-deployments` */
  readonly tableName?: string;
  /** Customer KMS key ARN for server-side encryption. @default undefined (the AWS-managed key `aws/dynamodb`: `server_side_encryption.enabled = true` without a key ARN; SSE is always on) */
  readonly kmsKeyArn?: string;
  /** DynamoDB deletion protection. @default true */
  readonly deletionProtection?: boolean;
  /** Terraform `lifecycle.prevent_destroy`. @default false (the platform stack sets it in prod) */
  readonly preventDestroy?: boolean;
}

const NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

/**
 * The deployment table of one environment: the deployer's lock and release history.
 * PAY_PER_REQUEST, point-in-time recovery, server-side encryption. Key design: `./keys.ts`.
 */
export class DeploymentTable extends Construct {
  readonly table: DynamodbTable;
  readonly tableName: string;

  constructor(scope: Construct, id: string, props: DeploymentTableProps) {
    super(scope, id);
    const tableName =
      props.tableName ?? deploymentTableName(props.project ?? 'switchyard', props.environment);
    if (!NAME.test(tableName)) {
      throw new Error(
        `DeploymentTable ${id}: table name "${tableName}" is invalid: use 3-255 characters of a-z A-Z 0-9 _ . -`,
      );
    }
    this.tableName = tableName;
    this.table = new DynamodbTable(this, 'table', {
      name: tableName,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: PARTITION_KEY,
      rangeKey: SORT_KEY,
      attribute: [
        { name: PARTITION_KEY, type: 'S' },
        { name: SORT_KEY, type: 'S' },
        { name: RELEASE_ID_ATTRIBUTE, type: 'S' },
      ],
      globalSecondaryIndex: [
        { name: RELEASE_ID_INDEX, hashKey: RELEASE_ID_ATTRIBUTE, projectionType: 'ALL' },
      ],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: props.kmsKeyArn
        ? { enabled: true, kmsKeyArn: props.kmsKeyArn }
        : { enabled: true },
      deletionProtectionEnabled: props.deletionProtection ?? true,
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
    });
  }
}
