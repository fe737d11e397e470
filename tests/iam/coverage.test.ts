/**
 * No role grows silently:
 * - every action a CI role's policy allows (wildcards expanded with iam-data) must be covered by the
 *   list below, written out here on purpose (not imported): a new action fails this test until it is
 *   listed and tested;
 * - every action named in any policy exists (a typo would grant or deny nothing);
 * - every Terraform resource type of the environment stacks belongs to a service the plan and apply
 *   roles are built for (a new module cannot land without its roles being able to plan and apply it).
 */
import { Testing } from 'cdktf';
import { loadConfiguration } from '../../environments/loader';
import { SEPARATELY_GRANTED_TYPES, serviceOfTerraformType } from '../../stacks/bootstrap/services';
import { PlatformStack } from '../../stacks/platform-stack';
import { allowedActionSet, expandAll, loadLayout, MULTI_ACCOUNT_DIR, unknownActions } from './harness';

const SERVICES = [
  'application-autoscaling',
  'cloudwatch',
  'dynamodb',
  'ec2',
  'ecs',
  'elasticache',
  'elasticloadbalancing',
  'iam',
  'kms',
  'logs',
  'rds',
  's3',
  'secretsmanager',
  'sns',
  'ssm',
];
// Patterns that name no action (elasticache:Get*, iam:Describe*, …) are not written: see expand().
const READ = SERVICES.flatMap((s) => [`${s}:Describe*`, `${s}:List*`, `${s}:Get*`]).filter(
  (p) =>
    ![
      'elasticache:Get*',
      'elasticloadbalancing:List*',
      'iam:Describe*',
      'rds:Get*',
      'sns:Describe*',
    ].includes(p),
);
// The image list of the environment's own repositories (modules/initial-image), nothing else of ECR.
const REGISTRY_READS = ['ecr:DescribeImages', 'ecr:DescribeRepositories', 'ecr:ListImages'];
const STATE = [
  's3:ListBucket',
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:DescribeKey',
];
const RELEASE = [
  'ecs:DescribeServices',
  'ecs:DescribeTaskDefinition',
  'ecs:RegisterTaskDefinition',
  'ecs:TagResource',
  'ecs:UpdateService',
  'ecs:ListTasks',
  'ecs:DescribeTasks',
  'iam:PassRole',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:ModifyRule',
  'elasticloadbalancing:DescribeTargetHealth',
  'cloudwatch:GetMetricData',
  'cloudwatch:DescribeAlarms',
  'ecr:DescribeImages',
  'ecr:BatchGetImage',
  'ecr:PutImage',
  'ssm:GetParameter',
  'ssm:GetParametersByPath',
  'application-autoscaling:RegisterScalableTarget',
  'application-autoscaling:DescribeScalableTargets',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
  // the dashboard's traffic weight and deploy notifications (issue 12 item 4, issue 13 item 5)
  'cloudwatch:PutMetricData',
  'sns:Publish',
  'kms:GenerateDataKey',
  'kms:Decrypt',
];
const RELEASE_WRITES = [
  // BatchGetImage only serves the re-tagging (the retention marks): status does not get it
  'ecr:BatchGetImage',
  'ecr:PutImage',
  'cloudwatch:PutMetricData',
  'sns:Publish',
  'kms:GenerateDataKey',
  'kms:Decrypt',
  'ecs:RegisterTaskDefinition',
  'ecs:TagResource',
  'ecs:UpdateService',
  'iam:PassRole',
  'elasticloadbalancing:ModifyRule',
  'application-autoscaling:RegisterScalableTarget',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];

/** What each role kind is known (and tested in roles.test.ts / release-commands.test.ts) to allow. */
const COVERED: Record<string, string[]> = {
  plan: [...READ, ...REGISTRY_READS, ...STATE],
  apply: [
    ...READ,
    ...REGISTRY_READS,
    ...STATE,
    ...SERVICES.filter((s) => s !== 's3' && s !== 'iam').map((s) => `${s}:*`),
    's3:*',
    'iam:*',
  ],
  release: RELEASE,
  status: RELEASE.filter((a) => !RELEASE_WRITES.includes(a)),
};
const BUILD = [
  'ecr:GetAuthorizationToken',
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:CompleteLayerUpload',
  'ecr:DescribeImageScanFindings',
  'ecr:DescribeImages',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
];

describe.each([
  ['single', undefined],
  ['multi', MULTI_ACCOUNT_DIR],
] as const)('%s account layout', (_kind, dir) => {
  const l = loadLayout(dir);
  test.each(['dev', 'staging', 'prod'].flatMap((env) => Object.keys(COVERED).map((job) => [env, job])))(
    '%s %s allows nothing beyond the covered actions',
    async (env, job) => {
      const role = l.role(`switchyard-${env}-${job}`);
      const allowed = await allowedActionSet(role);
      const covered = await expandAll(COVERED[job]!);
      expect({ role: role.name, uncovered: [...allowed].filter((a) => !covered.has(a)).sort() }).toEqual({
        role: role.name,
        uncovered: [],
      });
      // …and the list is not stale: the role does use what is listed (exact for release and status).
      if (job === 'release' || job === 'status') {
        expect([...covered].filter((a) => !allowed.has(a)).sort()).toEqual([]);
      }
    },
  );
  test('build allows exactly the push actions', async () => {
    const role = l.role('switchyard-build');
    expect([...(await allowedActionSet(role))].sort()).toEqual([...(await expandAll(BUILD))].sort());
  });
  test('every action named in every policy exists', async () => {
    const roles = ['dev', 'staging', 'prod']
      .flatMap((env) => Object.keys(COVERED).map((job) => l.role(`switchyard-${env}-${job}`)))
      .concat(l.role('switchyard-build'));
    for (const role of roles) {
      for (const policy of [...role.identity.map((p) => p.policy), role.boundary!]) {
        expect({ role: role.name, unknown: await unknownActions(policy) }).toEqual({
          role: role.name,
          unknown: [],
        });
      }
    }
  });
});

test('the mutation: a grown policy is caught', async () => {
  const l = loadLayout();
  const role = l.role('switchyard-dev-release');
  const grown = {
    ...role,
    identity: [
      ...role.identity,
      {
        name: 'grown',
        policy: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ecr:BatchDeleteImage', Resource: '*' }],
        },
      },
    ],
  };
  const covered = await expandAll(COVERED.release!);
  expect([...(await allowedActionSet(grown))].filter((a) => !covered.has(a))).toEqual([
    'ecr:batchdeleteimage',
  ]);
});

test('every resource type of the environment stacks is a service the CI roles are built for', () => {
  const config = loadConfiguration();
  const types = new Set<string>();
  for (const env of config.all) {
    const doc = JSON.parse(Testing.synth(new PlatformStack(Testing.app(), { config: env }))) as {
      resource?: Record<string, unknown>;
      data?: Record<string, unknown>;
    };
    for (const t of [...Object.keys(doc.resource ?? {}), ...Object.keys(doc.data ?? {})]) types.add(t);
  }
  const unknown = [...types].filter(
    (t) =>
      !serviceOfTerraformType(t) && !t.startsWith('aws_iam_policy_document') && !SEPARATELY_GRANTED_TYPES[t],
  );
  expect(unknown).toEqual([]);
  // …and the separately granted ones are really there (the table is not stale).
  expect(Object.keys(SEPARATELY_GRANTED_TYPES).filter((t) => !types.has(t))).toEqual([]);
  expect(Object.keys(SEPARATELY_GRANTED_TYPES).map(serviceOfTerraformType)).toEqual([
    undefined,
    undefined,
    undefined,
  ]);
  const services = [...types].map(serviceOfTerraformType).filter((s): s is string => Boolean(s));
  expect(services.filter((s) => !SERVICES.includes(s))).toEqual([]);
});
