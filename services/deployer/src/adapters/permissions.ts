/**
 * The AWS permissions of `switchyard`: every SDK command the adapters (./*.ts and ../store) send, the
 * IAM actions AWS checks for it, and the resources of ONE environment they are scoped to. This is the
 * only list: the bootstrap stack builds the release role (and the read-only status role) from it, and
 * tests/iam/release-commands.test.ts scans the adapter sources and fails when a command is sent that is
 * not listed here, or is listed but not allowed to the release role by the IAM evaluation.
 *
 * Pure data + ARN builders; no SDK import (the bootstrap stack imports this file at synth time).
 */
import { topologyParameterName } from '../../../topology';
import { SWITCHYARD_METRICS_NAMESPACE } from '../../../topology/metrics';

/** SDK v3 client package → IAM service prefix. */
export const SDK_CLIENT_SERVICES: Readonly<Record<string, string>> = {
  '@aws-sdk/client-ecs': 'ecs',
  '@aws-sdk/client-elastic-load-balancing-v2': 'elasticloadbalancing',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-ecr': 'ecr',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/client-application-auto-scaling': 'application-autoscaling',
  '@aws-sdk/client-sns': 'sns',
};

/** Where an action may act, for one environment. */
export type ReleaseResource =
  /** Actions without resource-level permissions (IAM: "wildcard only"). */
  | 'any'
  | 'ecs-services'
  | 'ecs-tasks'
  /** `*`, limited by the `ecs:cluster` condition key to the environment's cluster. */
  | 'ecs-cluster-tasks'
  | 'task-definitions'
  | 'listener-rules'
  | 'alarms'
  | 'image-repositories'
  | 'topology-parameters'
  | 'deployment-table'
  /** Application Auto Scaling targets of ECS (`service-namespace` condition). */
  | 'ecs-scalable-targets'
  /** The environment's task and execution roles, passed to ECS tasks only. */
  | 'task-roles'
  /** `*`, limited by the `cloudwatch:namespace` condition key to `Switchyard` (PutMetricData has no resources). */
  | 'switchyard-metrics'
  /** The environment's alarm topic `<project>-<env>-alarms` (modules/alarms), where notifications go. */
  | 'notification-topic'
  /** Its customer-managed key (`alias/<project>-<env>-alarms`), used only through SNS in the region. */
  | 'notification-topic-key';

export interface IamGrant {
  readonly action: string;
  readonly resource: ReleaseResource;
}

export interface CommandPermission {
  /** `<iam service>:<CommandName without "Command">`, e.g. `ecs:UpdateService`. */
  readonly command: string;
  /** What IAM checks for it (a command may need several actions). */
  readonly grants: readonly IamGrant[];
  /** True when the command only reads: the status role gets these. */
  readonly readOnly: boolean;
}

const grant = (action: string, resource: ReleaseResource): IamGrant => ({ action, resource });
const cmd = (command: string, readOnly: boolean, ...grants: IamGrant[]): CommandPermission => ({
  command,
  grants: grants.length > 0 ? grants : [grant(command, 'any')],
  readOnly,
});

/**
 * Every command the deployer sends. AWS behaviours relied on:
 * - `TransactWriteItems` has no IAM action of its own: "permissions are checked for each item's
 *   operation" — ConditionCheckItem, PutItem, UpdateItem (DynamoDB docs, "Using IAM with transactions").
 * - RegisterTaskDefinition with tags needs `ecs:TagResource` ("tag on create", ECS docs, "Grant
 *   permission to tag resources on creation"), and `iam:PassRole` for the task and execution roles.
 * - DescribeTaskDefinition, DescribeRules, DescribeTargetHealth, GetMetricData and
 *   DescribeScalableTargets support no resource-level permissions (Service Authorization Reference).
 * - PutMetricData has no resources either; the `cloudwatch:namespace` condition key limits it to one
 *   namespace (CloudWatch docs, "Using condition keys to limit access to CloudWatch namespaces").
 * - Publishing to an encrypted topic needs `kms:GenerateDataKey*` and `kms:Decrypt` on its key besides
 *   `sns:Publish` (SNS docs, "Key management"); the key is created by the environment stack, so it is
 *   named by its alias (`kms:ResourceAliases`) and only usable through SNS (`kms:ViaService`).
 */
export const RELEASE_COMMANDS: readonly CommandPermission[] = [
  // ECS (adapters/ecs.ts)
  cmd('ecs:DescribeServices', true, grant('ecs:DescribeServices', 'ecs-services')),
  cmd('ecs:DescribeTaskDefinition', true),
  cmd(
    'ecs:RegisterTaskDefinition',
    false,
    grant('ecs:RegisterTaskDefinition', 'task-definitions'),
    grant('ecs:TagResource', 'task-definitions'),
    grant('iam:PassRole', 'task-roles'),
  ),
  cmd('ecs:UpdateService', false, grant('ecs:UpdateService', 'ecs-services')),
  cmd('ecs:ListTasks', true, grant('ecs:ListTasks', 'ecs-cluster-tasks')),
  cmd('ecs:DescribeTasks', true, grant('ecs:DescribeTasks', 'ecs-tasks')),
  // Elastic Load Balancing (adapters/elbv2.ts)
  cmd('elasticloadbalancing:DescribeRules', true),
  cmd('elasticloadbalancing:ModifyRule', false, grant('elasticloadbalancing:ModifyRule', 'listener-rules')),
  cmd('elasticloadbalancing:DescribeTargetHealth', true),
  // CloudWatch (adapters/cloudwatch.ts)
  cmd('cloudwatch:GetMetricData', true),
  cmd('cloudwatch:DescribeAlarms', true, grant('cloudwatch:DescribeAlarms', 'alarms')),
  // the deploy's traffic weights on the dashboard (adapters/cloudwatch.ts AwsTrafficWeightPublisher)
  cmd('cloudwatch:PutMetricData', false, grant('cloudwatch:PutMetricData', 'switchyard-metrics')),
  // deploy notifications (adapters/sns.ts)
  cmd(
    'sns:Publish',
    false,
    grant('sns:Publish', 'notification-topic'),
    grant('kms:GenerateDataKey', 'notification-topic-key'),
    grant('kms:Decrypt', 'notification-topic-key'),
  ),
  // ECR (adapters/ecr.ts): the repositories are in the shared-services account (repository policy)
  cmd('ecr:DescribeImages', true, grant('ecr:DescribeImages', 'image-repositories')),
  // Retention marks (ops/retention.ts): the manifest is read to be put again with the `sy-*` tag. Writes
  // only tags: no layer upload, no delete. ECR cannot scope PutImage to a tag (no condition key names
  // it), so the role may move any `sy-*` mark of its repositories (README, ECR retention).
  cmd('ecr:BatchGetImage', false, grant('ecr:BatchGetImage', 'image-repositories')),
  cmd('ecr:PutImage', false, grant('ecr:PutImage', 'image-repositories')),
  // SSM (adapters/topology.ts)
  cmd('ssm:GetParameter', true, grant('ssm:GetParameter', 'topology-parameters')),
  cmd('ssm:GetParametersByPath', true, grant('ssm:GetParametersByPath', 'topology-parameters')),
  // Application Auto Scaling (adapters/autoscaling.ts)
  cmd(
    'application-autoscaling:RegisterScalableTarget',
    false,
    grant('application-autoscaling:RegisterScalableTarget', 'ecs-scalable-targets'),
  ),
  cmd('application-autoscaling:DescribeScalableTargets', true),
  // DynamoDB deployment store (store/dynamodb-store.ts)
  cmd('dynamodb:GetItem', true, grant('dynamodb:GetItem', 'deployment-table')),
  cmd('dynamodb:Query', true, grant('dynamodb:Query', 'deployment-table')),
  cmd('dynamodb:PutItem', false, grant('dynamodb:PutItem', 'deployment-table')),
  cmd('dynamodb:UpdateItem', false, grant('dynamodb:UpdateItem', 'deployment-table')),
  cmd('dynamodb:DeleteItem', false, grant('dynamodb:DeleteItem', 'deployment-table')),
  cmd(
    'dynamodb:TransactWriteItems',
    false,
    grant('dynamodb:ConditionCheckItem', 'deployment-table'),
    grant('dynamodb:PutItem', 'deployment-table'),
    grant('dynamodb:UpdateItem', 'deployment-table'),
  ),
];

/** The environment a release role acts on. */
export interface ReleaseScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly project: string;
  readonly environment: string;
  /** ECR repository names of the environment's services. */
  readonly repositories: readonly string[];
  /** Account and region of the ECR repositories (the shared-services account). */
  readonly registryAccountId: string;
  readonly registryRegion: string;
}

/** An IAM statement (identity policy), in IAM's own JSON names. */
export interface IamStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Record<string, Record<string, readonly string[]>>;
}

/** Resource ARNs (and condition) of a resource kind, for one environment. */
export function releaseResources(
  kind: ReleaseResource,
  s: ReleaseScope,
): { resources: string[]; condition?: IamStatement['Condition'] } {
  const arn = (service: string, resource: string, region = s.region, account = s.accountId) =>
    `arn:${s.partition}:${service}:${region}:${account}:${resource}`;
  const cluster = `${s.project}-${s.environment}`;
  switch (kind) {
    case 'any':
      return { resources: ['*'] };
    case 'ecs-services':
      return { resources: [arn('ecs', `service/${cluster}/*`)] };
    case 'ecs-tasks':
      return { resources: [arn('ecs', `task/${cluster}/*`)] };
    case 'ecs-cluster-tasks':
      return {
        resources: ['*'],
        condition: { ArnEquals: { 'ecs:cluster': [arn('ecs', `cluster/${cluster}`)] } },
      };
    case 'task-definitions':
      // Families are `<project>-<env>-<service>` (modules/ecs/service.ts).
      return { resources: [arn('ecs', `task-definition/${cluster}-*:*`)] };
    case 'listener-rules':
      // The environment's ALB is named `<project>-<env>` (modules/ecs).
      return { resources: [arn('elasticloadbalancing', `listener-rule/app/${cluster}/*`)] };
    case 'alarms':
      return { resources: [arn('cloudwatch', `alarm:${cluster}-*`)] };
    case 'image-repositories':
      return {
        resources: [...new Set(s.repositories)]
          .sort()
          .map((r) => arn('ecr', `repository/${r}`, s.registryRegion, s.registryAccountId)),
      };
    case 'topology-parameters': {
      // `/switchyard/<env>/services/<svc>` (services/topology): the path itself and everything below it.
      const path = topologyParameterName(s.environment, 'x').replace(/\/x$/, '');
      return { resources: [arn('ssm', `parameter${path}`), arn('ssm', `parameter${path}/*`)] };
    }
    case 'deployment-table': {
      const table = arn('dynamodb', `table/${cluster}-deployments`);
      return { resources: [table, `${table}/index/*`] };
    }
    case 'ecs-scalable-targets':
      return {
        resources: [arn('application-autoscaling', 'scalable-target/*')],
        condition: { StringEquals: { 'application-autoscaling:service-namespace': ['ecs'] } },
      };
    case 'switchyard-metrics':
      return {
        resources: ['*'],
        condition: { StringEquals: { 'cloudwatch:namespace': [SWITCHYARD_METRICS_NAMESPACE] } },
      };
    case 'notification-topic':
      return { resources: [arn('sns', alarmTopicName(s.project, s.environment))] };
    case 'notification-topic-key':
      return {
        resources: [arn('kms', 'key/*')],
        condition: {
          StringEquals: { 'kms:ViaService': [`sns.${s.region}.amazonaws.com`] },
          'ForAnyValue:StringEquals': {
            'kms:ResourceAliases': [`alias/${alarmTopicName(s.project, s.environment)}`],
          },
        },
      };
    case 'task-roles':
      return {
        resources: [`arn:${s.partition}:iam::${s.accountId}:role/${cluster}-*`],
        condition: { StringEquals: { 'iam:PassedToService': ['ecs-tasks.amazonaws.com'] } },
      };
  }
}

/**
 * The environment's alarm topic (and its key's alias): `<project>-<env>-alarms`, as modules/alarms
 * `AlarmTopic` names it (tests/iam checks that they agree).
 */
export function alarmTopicName(project: string, environment: string): string {
  return `${project}-${environment}-alarms`;
}

/**
 * The identity-policy statements for the commands selected (all for the release role, the read-only
 * ones for the status role): one statement per resource kind, actions sorted and de-duplicated.
 */
export function releasePolicyStatements(
  scope: ReleaseScope,
  commands: readonly CommandPermission[] = RELEASE_COMMANDS,
): IamStatement[] {
  const byKind = new Map<ReleaseResource, Set<string>>();
  for (const c of commands) {
    for (const g of c.grants) {
      if (g.resource === 'image-repositories' && scope.repositories.length === 0) continue;
      const set = byKind.get(g.resource) ?? new Set<string>();
      set.add(g.action);
      byKind.set(g.resource, set);
    }
  }
  return [...byKind.entries()].map(([kind, actions]) => {
    const { resources, condition } = releaseResources(kind, scope);
    return {
      Sid: sidOf(kind),
      Effect: 'Allow' as const,
      Action: [...actions].sort(),
      Resource: resources,
      ...(condition ? { Condition: condition } : {}),
    };
  });
}

/** The read-only commands (what `switchyard status` and a promotion's source capture need). */
export function readOnlyCommands(): CommandPermission[] {
  return RELEASE_COMMANDS.filter((c) => c.readOnly);
}

function sidOf(kind: ReleaseResource): string {
  return kind
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
