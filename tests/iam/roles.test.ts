/**
 * What each CI role may and may not do, evaluated offline with @cloud-copilot/iam-simulate on the
 * synthesized bootstrap stack (identity policies + the CI boundary + trust/resource policies), in both
 * layouts: one account for everything (the default environments/) and an account per environment
 * (environments/examples/multi-account).
 *
 * Every denial that rests on an explicit Deny names it (`deniedBy`), and is checked by a mutation in
 * the test itself: with those statements removed — and, for fences that must hold on their own,
 * with an `Allow *` added to the role's policy — the same request is Allowed. A final test requires
 * every Deny statement of every CI role to be exercised that way.
 */
import { BOOTSTRAP_MANAGED_BY } from '../../stacks/bootstrap/policies';
import {
  canAssume,
  type Decision,
  evaluate,
  type Layout,
  loadLayout,
  MULTI_ACCOUNT_DIR,
  mutate,
  type Policy,
  type RequestSpec,
  type RoleModel,
} from './harness';

const layouts: Record<'single' | 'multi', Layout> = {
  single: loadLayout(),
  multi: loadLayout(MULTI_ACCOUNT_DIR),
};
const R = 'eu-west-1';
const REPO = 'example-org/switchyard';

interface Case {
  readonly title: string;
  readonly role: string;
  readonly req: RequestSpec;
  /** Deny statements that stop it; [] when nothing grants it (another account, no allow). */
  readonly deniedBy?: readonly string[];
  /** Add `Allow *` to the role's policy for the mutation: the fence must hold on its own. */
  readonly broaden?: boolean;
}

function broadened(role: RoleModel): RoleModel {
  const all: Policy = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'Everything', Effect: 'Allow', Action: '*', Resource: '*' }],
  };
  return { ...role, identity: [...role.identity, { name: 'everything', policy: all }] };
}

/** The default key policy (IAM policies of the key's account decide). */
const keyPolicy = (account: string): Policy => ({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
  ],
});
/** A role somebody made trusting the whole account (what sts:AssumeRole on PowerUserAccess could reach). */
const trustsAccountRoot = (account: string): Policy => ({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' },
  ],
});

function names(l: Layout, env: string) {
  const acct = l.accountOf(env);
  const bucket = l.config.all.find((e) => e.name === env)!.state.bucket;
  return {
    acct,
    bucket,
    state: `arn:aws:s3:::${bucket}/switchyard/${env}/terraform.tfstate`,
    stateKey: `arn:aws:kms:${R}:${acct}:key/${env}-state-key`,
    db: `arn:aws:rds:${R}:${acct}:db:switchyard-${env}-db`,
    snapshot: `arn:aws:rds:${R}:${acct}:snapshot:switchyard-${env}-db-final`,
    masterSecret: `arn:aws:secretsmanager:${R}:${acct}:secret:rds!db-0a1b2c3d-4e5f-AbCdEf`,
    cacheSecret: `arn:aws:secretsmanager:${R}:${acct}:secret:switchyard/${env}/cache/auth-token-AbCdEf`,
    topology: `arn:aws:ssm:${R}:${acct}:parameter/switchyard/${env}/services/api`,
    appParameter: `arn:aws:ssm:${R}:${acct}:parameter/app/${env}/db-password`,
    table: `arn:aws:dynamodb:${R}:${acct}:table/switchyard-${env}-deployments`,
    alarm: `arn:aws:cloudwatch:${R}:${acct}:alarm:switchyard-${env}-api-blue-5xx-share`,
    logStream: `arn:aws:logs:${R}:${acct}:log-group:/switchyard/${env}/api:log-stream:api/api/0123`,
    logsKey: `arn:aws:kms:${R}:${acct}:key/${env}-logs-key`,
    albLogs: `arn:aws:s3:::switchyard-${env}-alb-logs-${acct}/switchyard/${env}/alb/AWSLogs/${acct}/x.log.gz`,
    albLogsBucket: `arn:aws:s3:::switchyard-${env}-alb-logs-${acct}`,
    service: `arn:aws:ecs:${R}:${acct}:service/switchyard-${env}/api-blue`,
    execRole: `arn:aws:iam::${acct}:role/switchyard-${env}-api-exec`,
    releaseRole: `arn:aws:iam::${acct}:role/switchyard-${env}-release`,
    applyRole: `arn:aws:iam::${acct}:role/switchyard-${env}-apply`,
    newRole: `arn:aws:iam::${acct}:role/switchyard-${env}-worker-task`,
    boundary: `arn:aws:iam::${acct}:policy/switchyard-${env}-boundary`,
    lockTable: `arn:aws:dynamodb:${R}:${l.toolingAccountId}:table/switchyard-tfstate-lock`,
    repo: `arn:aws:ecr:${R}:${l.toolingAccountId}:repository/switchyard/api`,
  };
}
const tag = (env: string) => ({ 'aws:ResourceTag/environment': env });

/** Denials from the first paragraph, as requests of dev's roles against prod (and PR plans). */
function denials(l: Layout, kind: 'single' | 'multi'): Case[] {
  const dev = names(l, 'dev');
  const prod = names(l, 'prod');
  const same = kind === 'single';
  const crossBucket = same
    ? {}
    : { resourceAccount: l.toolingAccountId, resourcePolicy: l.bucketPolicy(prod.bucket) };
  const prodAcct = same ? {} : { resourceAccount: prod.acct };
  const byName = same ? ['OtherEnvironmentsByName'] : [];
  const byTag = same ? ['OtherEnvironmentsByTag'] : [];
  const c = (title: string, role: string, req: RequestSpec, deniedBy: string[], broaden = false): Case => ({
    title,
    role,
    req,
    deniedBy,
    broaden,
  });
  return [
    // dev reads prod's database secret (the RDS-managed master password is untagged; the cache token is tagged prod)
    c(
      'dev apply reads prod master secret',
      'switchyard-dev-apply',
      { action: 'secretsmanager:GetSecretValue', resource: prod.masterSecret, ...prodAcct },
      same ? ['OwnSecretsOnly'] : [],
    ),
    c(
      'dev release reads prod cache token',
      'switchyard-dev-release',
      {
        action: 'secretsmanager:GetSecretValue',
        resource: prod.cacheSecret,
        context: tag('prod'),
        ...prodAcct,
      },
      same ? ['OwnSecretsOnly', ...byTag, ...byName] : [],
      true,
    ),
    // dev snapshots / restores / shares the prod database
    c(
      'dev apply snapshots prod db',
      'switchyard-dev-apply',
      { action: 'rds:CreateDBSnapshot', resource: prod.db, context: tag('prod'), ...prodAcct },
      [...byTag, ...byName],
    ),
    c(
      'dev apply restores from a prod snapshot',
      'switchyard-dev-apply',
      {
        action: 'rds:RestoreDBInstanceFromDBSnapshot',
        resource: prod.snapshot,
        context: tag('prod'),
        ...prodAcct,
      },
      [...byTag, ...byName],
    ),
    c(
      'dev apply shares a prod snapshot',
      'switchyard-dev-apply',
      { action: 'rds:ModifyDBSnapshotAttribute', resource: prod.snapshot, ...prodAcct },
      byName,
    ),
    // dev schedules deletion of prod's KMS keys (state key: also a bootstrap key)
    c(
      'dev apply deletes prod logs key',
      'switchyard-dev-apply',
      {
        action: 'kms:ScheduleKeyDeletion',
        resource: prod.logsKey,
        context: tag('prod'),
        resourcePolicy: keyPolicy(prod.acct),
        ...prodAcct,
      },
      byTag,
    ),
    c(
      'dev apply decrypts with prod state key',
      'switchyard-dev-apply',
      {
        action: 'kms:Decrypt',
        resource: prod.stateKey,
        context: { ...tag('prod'), 'aws:ResourceTag/managed-by': BOOTSTRAP_MANAGED_BY },
        resourcePolicy: keyPolicy(prod.acct),
        ...prodAcct,
      },
      byTag,
    ),
    // dev rewrites prod's SSM topology and deployment table, deletes prod's alarms
    c(
      'dev apply rewrites prod topology',
      'switchyard-dev-apply',
      { action: 'ssm:PutParameter', resource: prod.topology, ...prodAcct },
      byName,
    ),
    c(
      'dev release writes prod deployment table',
      'switchyard-dev-release',
      { action: 'dynamodb:PutItem', resource: prod.table, ...prodAcct },
      byName,
      true,
    ),
    c(
      'dev apply deletes prod deployment table',
      'switchyard-dev-apply',
      { action: 'dynamodb:DeleteTable', resource: prod.table, ...prodAcct },
      byName,
    ),
    c(
      'dev apply deletes prod alarms',
      'switchyard-dev-apply',
      { action: 'cloudwatch:DeleteAlarms', resource: prod.alarm, ...prodAcct },
      byName,
    ),
    c(
      'dev release shifts prod traffic',
      'switchyard-dev-release',
      { action: 'ecs:UpdateService', resource: prod.service, ...prodAcct },
      byName,
      true,
    ),
    // shared ECR images
    c(
      'dev apply deletes shared images',
      'switchyard-dev-apply',
      {
        action: 'ecr:BatchDeleteImage',
        resource: dev.repo,
        resourceAccount: l.toolingAccountId,
        ...(same ? {} : { resourcePolicy: l.repositoryPolicy('switchyard/api') }),
      },
      [],
    ),
    c(
      'dev release deletes shared images',
      'switchyard-dev-release',
      {
        action: 'ecr:BatchDeleteImage',
        resource: dev.repo,
        resourceAccount: l.toolingAccountId,
        ...(same ? {} : { resourcePolicy: l.repositoryPolicy('switchyard/api') }),
      },
      [],
    ),
    // prod state, every version
    c(
      'dev apply reads a prod state version',
      'switchyard-dev-apply',
      { action: 's3:GetObjectVersion', resource: prod.state, ...crossBucket },
      same ? ['OtherStates', 'NoObjectData'] : [],
      true,
    ),
    c(
      'dev apply deletes a prod state version',
      'switchyard-dev-apply',
      { action: 's3:DeleteObjectVersion', resource: prod.state, ...crossBucket },
      same ? ['OtherStates'] : [],
      true,
    ),
    c(
      'dev plan overwrites prod state',
      'switchyard-dev-plan',
      { action: 's3:PutObject', resource: prod.state, ...crossBucket },
      same ? ['OtherStates'] : [],
      true,
    ),
    // cross-environment AssumeRole / PassRole
    c(
      'dev release assumes a role trusting the account',
      'switchyard-dev-release',
      {
        action: 'sts:AssumeRole',
        resource: `arn:aws:iam::${dev.acct}:role/anything-trusting-root`,
        resourcePolicy: trustsAccountRoot(dev.acct),
      },
      ['NoRoleChaining'],
      true,
    ),
    c(
      'dev apply assumes prod apply',
      'switchyard-dev-apply',
      {
        action: 'sts:AssumeRole',
        resource: prod.applyRole,
        resourcePolicy: trustsAccountRoot(prod.acct),
        ...prodAcct,
      },
      same ? ['NoRoleChaining', 'ProtectCiRolesAndProvider', ...byName] : [],
      true,
    ),
    c(
      'dev apply passes a prod role',
      'switchyard-dev-apply',
      {
        action: 'iam:PassRole',
        resource: prod.execRole,
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
        ...prodAcct,
      },
      same ? ['PassOwnRolesOnly', ...byName] : [],
      true,
    ),
    c(
      'dev release passes a non-environment role',
      'switchyard-dev-release',
      {
        action: 'iam:PassRole',
        resource: `arn:aws:iam::${dev.acct}:role/Admin`,
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      },
      ['PassOwnRolesOnly'],
      true,
    ),
    // pull-request plans of prod read no application data
    c(
      'PR plan reads prod objects',
      'switchyard-prod-plan',
      { action: 's3:GetObject', resource: prod.albLogs },
      ['NoObjectData'],
    ),
    c(
      'PR plan reads prod items',
      'switchyard-prod-plan',
      { action: 'dynamodb:GetItem', resource: prod.table },
      ['NoItems'],
    ),
    c(
      'PR plan scans prod items',
      'switchyard-prod-plan',
      { action: 'dynamodb:Scan', resource: prod.table },
      ['NoItems'],
      true,
    ),
    c(
      'PR plan reads prod log events',
      'switchyard-prod-plan',
      { action: 'logs:GetLogEvents', resource: prod.logStream },
      ['NoLogsImagesOrHostData'],
    ),
    c(
      'PR plan reads prod secret',
      'switchyard-prod-plan',
      { action: 'secretsmanager:GetSecretValue', resource: prod.cacheSecret, context: tag('prod') },
      ['NoSecretValues'],
    ),
    c(
      'PR plan reads a prod parameter value',
      'switchyard-prod-plan',
      { action: 'ssm:GetParameter', resource: prod.appParameter },
      ['NoParameterValues'],
    ),
    c(
      'PR plan decrypts a SecureString',
      'switchyard-prod-plan',
      {
        action: 'kms:Decrypt',
        resource: prod.logsKey,
        context: tag('prod'),
        resourcePolicy: keyPolicy(prod.acct),
      },
      ['NoDecryption'],
      true,
    ),
    c(
      'PR plan pulls image layers',
      'switchyard-prod-plan',
      {
        action: 'ecr:GetDownloadUrlForLayer',
        resource: prod.repo,
        resourceAccount: l.toolingAccountId,
        ...(same ? {} : { resourcePolicy: l.repositoryPolicy('switchyard/api') }),
      },
      same ? ['NoLogsImagesOrHostData'] : [],
      same,
    ),
    // the apply role's own fences
    c(
      'apply creates a role without the boundary',
      'switchyard-dev-apply',
      { action: 'iam:CreateRole', resource: dev.newRole },
      ['RolesCarryTheBoundary'],
    ),
    c(
      'apply removes a boundary',
      'switchyard-dev-apply',
      { action: 'iam:DeleteRolePermissionsBoundary', resource: dev.execRole },
      ['BoundaryStays'],
    ),
    c(
      'apply rewrites the workload boundary',
      'switchyard-dev-apply',
      { action: 'iam:CreatePolicyVersion', resource: dev.boundary },
      ['BoundaryUnchanged'],
    ),
    c(
      'apply attaches AdministratorAccess',
      'switchyard-dev-apply',
      {
        action: 'iam:AttachRolePolicy',
        resource: dev.execRole,
        context: {
          'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess',
          'iam:PermissionsBoundary': dev.boundary,
        },
      },
      ['NoBroadManagedPolicies'],
    ),
    c(
      'apply widens its own trust',
      'switchyard-dev-apply',
      { action: 'iam:UpdateAssumeRolePolicy', resource: dev.applyRole },
      ['ProtectCiRolesAndProvider'],
    ),
    c(
      'apply deletes its own state key',
      'switchyard-dev-apply',
      {
        action: 'kms:ScheduleKeyDeletion',
        resource: dev.stateKey,
        context: { ...tag('dev'), 'aws:ResourceTag/managed-by': BOOTSTRAP_MANAGED_BY },
        resourcePolicy: keyPolicy(dev.acct),
      },
      ['ProtectBootstrapKeys'],
    ),
    c(
      'apply reads its own master secret',
      'switchyard-dev-apply',
      { action: 'secretsmanager:GetSecretValue', resource: dev.masterSecret },
      ['OwnSecretsOnly'],
    ),
    ...(same
      ? [
          c(
            'apply deletes the lock table',
            'switchyard-dev-apply',
            { action: 'dynamodb:DeleteTable', resource: dev.lockTable },
            ['ProtectStateStore'],
          ),
          c(
            'apply reads object data in its own buckets',
            'switchyard-dev-apply',
            { action: 's3:GetObject', resource: dev.albLogs },
            ['NoObjectData'],
          ),
        ]
      : []),
  ];
}

describe.each(['single', 'multi'] as const)('%s account layout: denied', (kind) => {
  const l = layouts[kind];
  const cases = denials(l, kind);
  test.each(cases.map((c) => [c.title, c]))('%s', async (_t, c) => {
    const role = l.role(c.role);
    expect(await evaluate(role, c.req)).not.toBe('Allowed');
    if (c.broaden) expect(await evaluate(broadened(role), c.req)).not.toBe('Allowed');
    if (c.deniedBy && c.deniedBy.length > 0) {
      // Mutation: without the named denies the request goes through — they are what stops it.
      const base = c.broaden ? broadened(role) : role;
      const mutated: Decision = await evaluate(mutate(base, c.deniedBy), c.req);
      expect({ case: c.title, without: c.deniedBy, decision: mutated }).toEqual({
        case: c.title,
        without: c.deniedBy,
        decision: 'Allowed',
      });
    }
  });
});

test('every Deny statement of every CI role is exercised by a mutation above', () => {
  const l = layouts.single;
  const sids = new Set<string>();
  for (const env of ['dev', 'staging', 'prod']) {
    for (const job of ['plan', 'apply', 'release', 'status']) {
      const role = l.role(`switchyard-${env}-${job}`);
      for (const p of [...role.identity.map((x) => x.policy), role.boundary!]) {
        for (const st of p.Statement) if (st.Effect === 'Deny') sids.add(String(st.Sid));
      }
    }
  }
  const exercised = new Set(denials(l, 'single').flatMap((c) => c.deniedBy ?? []));
  expect([...sids].filter((s) => !exercised.has(s)).sort()).toEqual([]);
});

/** What each role must be able to do on its own environment. */
function allowances(l: Layout, env: string): Case[] {
  const n = names(l, env);
  const cross = l.accountOf(env) !== l.toolingAccountId;
  const bucket = cross
    ? { resourceAccount: l.toolingAccountId, resourcePolicy: l.bucketPolicy(n.bucket) }
    : {};
  const lock = l.config.all.find((e) => e.name === env)!.state.locking;
  const a = (title: string, role: string, req: RequestSpec): Case => ({
    title,
    role: `switchyard-${env}-${role}`,
    req,
  });
  return [
    a('plan refreshes the VPC', 'plan', { action: 'ec2:DescribeVpcs', resource: '*' }),
    a('plan refreshes a service', 'plan', { action: 'ecs:DescribeServices', resource: n.service }),
    a('plan refreshes the database', 'plan', { action: 'rds:DescribeDBInstances', resource: n.db }),
    a('plan refreshes the topology parameter', 'plan', { action: 'ssm:GetParameter', resource: n.topology }),
    a('plan refreshes a role', 'plan', { action: 'iam:GetRole', resource: n.execRole }),
    a('plan reads its state', 'plan', { action: 's3:GetObject', resource: n.state, ...bucket }),
    a('plan decrypts its state', 'plan', {
      action: 'kms:Decrypt',
      resource: n.stateKey,
      context: tag(env),
      resourcePolicy: keyPolicy(n.acct),
    }),
    ...(lock === 'dynamodb'
      ? [
          a('plan takes the lock', 'plan', {
            action: 'dynamodb:PutItem',
            resource: n.lockTable,
            resourceAccount: l.toolingAccountId,
            context: { 'dynamodb:LeadingKeys': [`${n.bucket}/switchyard/${env}/terraform.tfstate`] },
          }),
        ]
      : [
          a('plan takes the lock file', 'plan', {
            action: 's3:PutObject',
            resource: `${n.state}.tflock`,
            ...bucket,
          }),
        ]),
    a('apply writes its state', 'apply', { action: 's3:PutObject', resource: n.state, ...bucket }),
    a('apply updates a service', 'apply', { action: 'ecs:UpdateService', resource: n.service }),
    a('apply modifies its database', 'apply', {
      action: 'rds:ModifyDBInstance',
      resource: n.db,
      context: tag(env),
    }),
    a('apply rotates its logs key', 'apply', {
      action: 'kms:ScheduleKeyDeletion',
      resource: n.logsKey,
      context: tag(env),
      resourcePolicy: keyPolicy(n.acct),
    }),
    a('apply creates a bounded role', 'apply', {
      action: 'iam:CreateRole',
      resource: n.newRole,
      context: { 'iam:PermissionsBoundary': n.boundary },
    }),
    a('apply passes a task role to ECS', 'apply', {
      action: 'iam:PassRole',
      resource: n.execRole,
      context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    }),
    a('apply configures its access-log bucket', 'apply', {
      action: 's3:PutBucketPolicy',
      resource: n.albLogsBucket,
    }),
    a('apply refreshes its cache token', 'apply', {
      action: 'secretsmanager:GetSecretValue',
      resource: n.cacheSecret,
      context: tag(env),
    }),
    a('status reads the release history', 'status', { action: 'dynamodb:Query', resource: n.table }),
    // the first apply starts from the newest pushed image (modules/initial-image)
    ...(['plan', 'apply'] as const).flatMap((job) =>
      ['ecr:ListImages', 'ecr:DescribeImages', 'ecr:DescribeRepositories'].map((action) =>
        a(`${job} reads the image list (${action})`, job, { action, ...registry(l, n.repo, cross) }),
      ),
    ),
  ];
}

/** A request on the shared repository: in another account it needs the repository policy too. */
function registry(l: Layout, repo: string, cross: boolean) {
  return {
    resource: repo,
    resourceAccount: l.toolingAccountId,
    ...(cross ? { resourcePolicy: l.repositoryPolicy('switchyard/api') } : {}),
  };
}

describe.each(['single', 'multi'] as const)('%s account layout: allowed on its own environment', (kind) => {
  const l = layouts[kind];
  const cases = ['dev', 'staging', 'prod'].flatMap((env) =>
    allowances(l, env).map((c) => [`${env}: ${c.title}`, c] as const),
  );
  test.each(cases)('%s', async (_t, c) => {
    expect(await evaluate(l.role(c.role), c.req)).toBe('Allowed');
  });
  test('status is read-only: it cannot shift traffic or write the history', async () => {
    const n = names(l, 'prod');
    const role = l.role('switchyard-prod-status');
    expect(await evaluate(role, { action: 'ecs:UpdateService', resource: n.service })).not.toBe('Allowed');
    expect(await evaluate(role, { action: 'dynamodb:PutItem', resource: n.table })).not.toBe('Allowed');
  });
  test('the image list is metadata only: no manifest, no tag write for plan and apply', async () => {
    const n = names(l, 'prod');
    const cross = l.accountOf('prod') !== l.toolingAccountId;
    for (const job of ['plan', 'apply']) {
      const role = l.role(`switchyard-prod-${job}`);
      for (const action of ['ecr:BatchGetImage', 'ecr:PutImage', 'ecr:BatchDeleteImage']) {
        expect({
          job,
          action,
          d: await evaluate(role, { action, ...registry(l, n.repo, cross) }),
        }).not.toEqual({
          job,
          action,
          d: 'Allowed',
        });
      }
    }
  });
  test('cross-account: only the plan and apply roles of an account may list the images', async () => {
    if (kind === 'single') return;
    const n = names(l, 'prod');
    const lister = (name: string): RoleModel => ({
      name,
      arn: `arn:aws:iam::${n.acct}:role/${name}`,
      accountId: n.acct,
      trust: { Version: '2012-10-17', Statement: [] },
      identity: [
        {
          name: 'list',
          policy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: ['ecr:ListImages'], Resource: n.repo }],
          },
        },
      ],
    });
    const req = { action: 'ecr:ListImages', ...registry(l, n.repo, true) };
    expect(await evaluate(lister('switchyard-prod-plan'), req)).toBe('Allowed');
    // the repository policy grants the listing to the plan and apply roles only
    expect(await evaluate(lister('switchyard-prod-api-exec'), req)).not.toBe('Allowed');
  });
  test('release moves retention marks but cannot upload layers or delete images; the ECR limit is documented, not hidden', async () => {
    const n = names(l, 'dev');
    const cross = l.accountOf('dev') !== l.toolingAccountId;
    const role = l.role('switchyard-dev-release');
    for (const action of ['ecr:BatchGetImage', 'ecr:PutImage']) {
      expect(await evaluate(role, { action, ...registry(l, n.repo, cross) })).toBe('Allowed');
    }
    for (const action of [
      'ecr:InitiateLayerUpload',
      'ecr:UploadLayerPart',
      'ecr:CompleteLayerUpload',
      'ecr:BatchDeleteImage',
      'ecr:SetRepositoryPolicy',
      'ecr:PutLifecyclePolicy',
      'ecr:PutImageTagMutability',
    ]) {
      expect({ action, d: await evaluate(role, { action, ...registry(l, n.repo, cross) }) }).not.toEqual({
        action,
        d: 'Allowed',
      });
    }
    // ECR has no condition key naming the tag of a PutImage (Service Authorization Reference): the role
    // may move any sy-* mark of the shared repository, another environment's too. The repository's
    // IMMUTABLE_WITH_EXCLUSION keeps every other tag where it is (README, ECR retention).
    if (cross) {
      const policy = l.repositoryPolicy('switchyard/api')!;
      const marks = policy.Statement.filter((st) => String(st.Sid).startsWith('RetentionMarksFrom'));
      for (const st of marks) expect(st.Condition).not.toHaveProperty('StringLike');
    }
  });
  test('build pushes images and does nothing else', async () => {
    const role = l.role('switchyard-build');
    const repo = names(l, 'dev').repo;
    expect(await evaluate(role, { action: 'ecr:PutImage', resource: repo })).toBe('Allowed');
    expect(await evaluate(role, { action: 'ecr:GetAuthorizationToken', resource: '*' })).toBe('Allowed');
    expect(await evaluate(role, { action: 'ecr:BatchDeleteImage', resource: repo })).not.toBe('Allowed');
    expect(await evaluate(role, { action: 'ecr:SetRepositoryPolicy', resource: repo })).not.toBe('Allowed');
    // The boundary caps it at ECR whatever its policy says.
    expect(
      await evaluate(broadened(role), { action: 's3:GetObject', resource: names(l, 'prod').state }),
    ).not.toBe('Allowed');
  });
  test('cross-account: the environment accounts may pull from the shared repositories', async () => {
    if (kind === 'single') {
      expect(l.repositoryPolicy('switchyard/api')).toBeUndefined();
      return;
    }
    const n = names(l, 'prod');
    const exec: RoleModel = {
      name: 'switchyard-prod-api-exec',
      arn: n.execRole,
      accountId: n.acct,
      trust: { Version: '2012-10-17', Statement: [] },
      identity: [
        {
          name: 'execution',
          policy: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
                Resource: n.repo,
              },
            ],
          },
        },
      ],
    };
    const pull = {
      action: 'ecr:BatchGetImage',
      resource: n.repo,
      resourceAccount: l.toolingAccountId,
      resourcePolicy: l.repositoryPolicy('switchyard/api'),
    };
    expect(await evaluate(exec, pull)).toBe('Allowed');
    // Another role of that account, outside the environment's names, cannot.
    expect(
      await evaluate({ ...exec, name: 'intruder', arn: `arn:aws:iam::${n.acct}:role/intruder` }, pull),
    ).not.toBe('Allowed');
  });
});

describe.each(['single', 'multi'] as const)('%s account layout: who may assume what', (kind) => {
  const l = layouts[kind];
  const prefixes =
    kind === 'multi' ? [`repo:${REPO}`, 'repo:example-org@1234567/switchyard@765432109'] : [`repo:${REPO}`];
  const wf = (file: string, ref = 'refs/heads/main') => `${REPO}/.github/workflows/${file}@${ref}`;
  test.each(prefixes)('subject %s', (prefix) => {
    for (const env of ['dev', 'staging', 'prod']) {
      const role = (job: string) => l.role(`switchyard-${env}-${job}`);
      const pr = { sub: `${prefix}:pull_request`, job_workflow_ref: wf('ci.yml', 'refs/pull/7/merge') };
      const main = `${prefix}:ref:refs/heads/main`;
      const envSub = `${prefix}:environment:${env}`;
      // plan: pull requests and main (every environment, prod too: its plan role reads no application data)
      expect(canAssume(l, role('plan'), pr)).toBe('Allowed');
      expect(canAssume(l, role('plan'), { sub: main, job_workflow_ref: wf('infra-environment.yml') })).toBe(
        'Allowed',
      );
      // a pull-request token never reaches apply, release or status
      for (const job of ['apply', 'release', 'status'])
        expect(canAssume(l, role(job), pr)).not.toBe('Allowed');
      // apply: the GitHub Environment, from the infra workflow of main only
      expect(
        canAssume(l, role('apply'), { sub: envSub, job_workflow_ref: wf('infra-environment.yml') }),
      ).toBe('Allowed');
      expect(canAssume(l, role('apply'), { sub: envSub, job_workflow_ref: wf('deploy.yml') })).not.toBe(
        'Allowed',
      );
      expect(
        canAssume(l, role('apply'), {
          sub: envSub,
          job_workflow_ref: wf('infra-environment.yml', 'refs/heads/feature'),
        }),
      ).not.toBe('Allowed');
      // release: the GitHub Environment, from deploy, promote or rollback of main
      for (const file of ['deploy.yml', 'promote.yml', 'rollback.yml']) {
        expect(canAssume(l, role('release'), { sub: envSub, job_workflow_ref: wf(file) })).toBe('Allowed');
      }
      expect(canAssume(l, role('release'), { sub: envSub, job_workflow_ref: wf('ci.yml') })).not.toBe(
        'Allowed',
      );
      // status: main's promote workflow (the source capture job is not bound to an environment)
      expect(canAssume(l, role('status'), { sub: main, job_workflow_ref: wf('promote.yml') })).toBe(
        'Allowed',
      );
      expect(canAssume(l, role('status'), { sub: main, job_workflow_ref: wf('build.yml') })).not.toBe(
        'Allowed',
      );
    }
    // a dev-environment token cannot assume prod's roles
    for (const job of ['apply', 'release']) {
      expect(
        canAssume(l, l.role(`switchyard-prod-${job}`), {
          sub: `${prefix}:environment:dev`,
          job_workflow_ref: wf('deploy.yml'),
        }),
      ).not.toBe('Allowed');
    }
    // build: main's build workflow only
    const build = l.role('switchyard-build');
    expect(
      canAssume(l, build, { sub: `${prefix}:ref:refs/heads/main`, job_workflow_ref: wf('build.yml') }),
    ).toBe('Allowed');
    expect(
      canAssume(l, build, { sub: `${prefix}:pull_request`, job_workflow_ref: wf('build.yml') }),
    ).not.toBe('Allowed');
  });
  test('other repositories, renamed owners, wrong audiences and literal wildcards are refused', () => {
    const apply = l.role('switchyard-prod-apply');
    const job_workflow_ref = wf('infra-environment.yml');
    expect(
      canAssume(l, apply, { sub: 'repo:attacker/switchyard:environment:prod', job_workflow_ref }),
    ).not.toBe('Allowed');
    expect(canAssume(l, apply, { sub: `repo:${REPO}:environment:*`, job_workflow_ref })).not.toBe('Allowed');
    expect(
      canAssume(l, apply, {
        sub: 'repo:example-org@999/switchyard@765432109:environment:prod',
        job_workflow_ref,
      }),
    ).not.toBe('Allowed');
    expect(
      canAssume(l, apply, {
        sub: `${prefixes[0]}:environment:prod`,
        job_workflow_ref,
        aud: 'https://github.com/example-org',
      }),
    ).not.toBe('Allowed');
  });
  test('mutation: without the sub condition a pull request could assume apply', () => {
    const apply = l.role('switchyard-prod-apply');
    const pr = { sub: `${prefixes[0]}:pull_request`, job_workflow_ref: wf('infra-environment.yml') };
    expect(canAssume(l, apply, pr)).not.toBe('Allowed');
    const trust = JSON.parse(JSON.stringify(apply.trust)) as Policy;
    const cond = (trust.Statement[0]!.Condition as { StringEquals: Record<string, unknown> }).StringEquals;
    delete cond['token.actions.githubusercontent.com:sub'];
    expect(canAssume(l, { ...apply, trust }, pr)).toBe('Allowed');
  });
});
