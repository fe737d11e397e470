/** Pure builders of the IAM documents of a service. Tokens (ARNs of resources) may appear in values. */
import { Token } from 'cdktf';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** Trust policy for ECS tasks, limited to this account (confused-deputy protection). */
export function ecsTasksTrustPolicy(accountId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
      },
    ],
  });
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^:]+/;
const PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/.+$/;

export type SecretKind = 'secretsmanager' | 'ssm';

/**
 * Classifies a secret reference given to `valueFrom` and returns the resource the execution role must
 * be allowed to read. An unresolved token is taken as the ARN of a Secrets Manager secret of this
 * stack. A Secrets Manager reference may select a JSON key or version
 * (`<secret-arn>:<json-key>:<version-stage>:<version-id>`); IAM wants the secret ARN alone.
 */
export function secretResource(valueFrom: string): { kind: SecretKind; resource: string } | undefined {
  // A reference to a secret created in the same stack (e.g. the cache auth token): the exact ARN.
  if (Token.isUnresolved(valueFrom)) return { kind: 'secretsmanager', resource: valueFrom };
  const sm = SECRET_ARN.exec(valueFrom);
  if (sm) return { kind: 'secretsmanager', resource: sm[0] };
  if (PARAMETER_ARN.test(valueFrom)) return { kind: 'ssm', resource: valueFrom };
  return undefined;
}

export interface ExecutionPolicyInput {
  readonly repositoryArn: string;
  readonly logGroupArn: string;
  /** valueFrom ARNs (already validated by secretResource). */
  readonly secretArns: readonly string[];
  readonly secretsKmsKeyArns: readonly string[];
}

/** Least-privilege execution role: pull this repository, write this log group, read these secrets only. */
export function executionRoleStatements(input: ExecutionPolicyInput): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    // GetAuthorizationToken has no resource-level permissions.
    { Sid: 'EcrAuth', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    {
      Sid: 'EcrPull',
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      Resource: input.repositoryArn,
    },
    {
      Sid: 'Logs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `${input.logGroupArn}:log-stream:*`,
    },
  ];
  const sm = new Set<string>();
  const ssm = new Set<string>();
  for (const arn of input.secretArns) {
    const r = secretResource(arn);
    if (r?.kind === 'secretsmanager') sm.add(r.resource);
    else if (r?.kind === 'ssm') ssm.add(r.resource);
  }
  if (sm.size > 0) {
    statements.push({
      Sid: 'ReadListedSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: [...sm].sort(),
    });
  }
  if (ssm.size > 0) {
    statements.push({
      Sid: 'ReadListedParameters',
      Effect: 'Allow',
      Action: 'ssm:GetParameters',
      Resource: [...ssm].sort(),
    });
  }
  if (input.secretsKmsKeyArns.length > 0 && sm.size + ssm.size > 0) {
    statements.push({
      Sid: 'DecryptSecrets',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: [...input.secretsKmsKeyArns],
    });
  }
  return statements;
}

/** A task-role statement as written in the YAML (`services[].taskRolePolicyStatements[]`): always Allow. */
export interface TaskRoleStatement {
  /** Statement id (alphanumeric). @default undefined */
  readonly sid?: string;
  /** Specific actions such as `s3:GetObject`. */
  readonly actions: readonly string[];
  /** Resource ARNs. */
  readonly resources: readonly string[];
}

export function taskRoleStatements(input: readonly TaskRoleStatement[]): PolicyStatement[] {
  return input.map((st) => ({
    ...(st.sid ? { Sid: st.sid } : {}),
    Effect: 'Allow' as const,
    Action: [...st.actions],
    Resource: [...st.resources],
  }));
}

/** Undefined when a task-role statement is acceptable, otherwise what is wrong (no `*` or `svc:*` actions). */
export function taskRoleStatementProblem(st: TaskRoleStatement): string | undefined {
  if (st.actions.length === 0) return 'actions must not be empty';
  if (st.resources.length === 0) return 'resources must not be empty';
  const broad = st.actions.find((a) => a === '*' || /^[a-z0-9-]+:\*$/.test(a));
  if (broad) return `action "${broad}" grants a whole service; list the specific actions`;
  if (st.sid !== undefined && !/^[A-Za-z0-9]+$/.test(st.sid)) return `sid "${st.sid}" must be alphanumeric`;
  return undefined;
}
