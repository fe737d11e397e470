/**
 * Every AWS SDK command switchyard sends is allowed to the release role, on its own environment's
 * resources, by the IAM evaluation of the synthesized policies. The commands are found by scanning the
 * adapter sources (services/deployer/src/adapters/*.ts and the DynamoDB store): a command added to an
 * adapter fails this test until services/deployer/src/adapters/permissions.ts lists it; a command
 * listed there that no adapter sends any more fails it too (no privilege for nothing).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  alarmTopicName,
  type ReleaseResource,
  RELEASE_COMMANDS,
  SDK_CLIENT_SERVICES,
} from '../../services/deployer/src/adapters/permissions';
import { Testing } from 'cdktf';
import { AlarmTopic, alarmTopicKeyPolicy } from '../../modules/alarms';
import {
  evaluate,
  type Layout,
  loadLayout,
  MULTI_ACCOUNT_DIR,
  type Policy,
  type RequestSpec,
} from './harness';

const ROOT = path.join(__dirname, '../../services/deployer/src');
const SOURCE_DIRS = ['adapters', 'store'];

/** `{command: 'ecs:UpdateService', file}` for every `new XCommand(` of an SDK client import. */
function sentCommands(root = ROOT, dirs = SOURCE_DIRS): { command: string; file: string }[] {
  const out: { command: string; file: string }[] = [];
  for (const dir of dirs) {
    for (const name of fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.ts'))) {
      const file = path.join(dir, name);
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      const imports = new Map<string, string>();
      for (const m of text.matchAll(
        /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g,
      )) {
        for (const spec of m[1]!.split(',')) {
          const id = spec
            .replace(/^\s*type\s+/, '')
            .trim()
            .split(/\s+as\s+/)
            .pop()!
            .trim();
          if (id) imports.set(id, m[2]!);
        }
      }
      for (const m of text.matchAll(/new\s+([A-Z][A-Za-z0-9]*)Command\s*\(/g)) {
        const pkg = imports.get(`${m[1]}Command`);
        if (!pkg) continue;
        const service = SDK_CLIENT_SERVICES[pkg];
        if (!service)
          throw new Error(`${file}: ${pkg} has no IAM service in SDK_CLIENT_SERVICES (permissions.ts)`);
        out.push({ command: `${service}:${m[1]}`, file });
      }
    }
  }
  return out;
}

/** A concrete ARN of the environment's own resources of a kind (and the context the condition reads). */
function example(l: Layout, env: string, kind: ReleaseResource): Omit<RequestSpec, 'action'> {
  const acct = l.accountOf(env);
  const R = l.region;
  const c = `switchyard-${env}`;
  switch (kind) {
    case 'any':
      return { resource: '*' };
    case 'ecs-services':
      return { resource: `arn:aws:ecs:${R}:${acct}:service/${c}/api-green` };
    case 'ecs-tasks':
      return { resource: `arn:aws:ecs:${R}:${acct}:task/${c}/0123456789abcdef` };
    case 'ecs-cluster-tasks':
      return {
        resource: `arn:aws:ecs:${R}:${acct}:container-instance/${c}/0123456789abcdef`,
        context: { 'ecs:cluster': `arn:aws:ecs:${R}:${acct}:cluster/${c}` },
      };
    case 'task-definitions':
      return { resource: `arn:aws:ecs:${R}:${acct}:task-definition/${c}-api:42` };
    case 'listener-rules':
      return {
        resource: `arn:aws:elasticloadbalancing:${R}:${acct}:listener-rule/app/${c}/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
      };
    case 'alarms':
      return { resource: `arn:aws:cloudwatch:${R}:${acct}:alarm:${c}-api-green-5xx-share` };
    case 'image-repositories':
      return {
        resource: `arn:aws:ecr:${R}:${l.toolingAccountId}:repository/switchyard/api`,
        resourceAccount: l.toolingAccountId,
        ...(acct !== l.toolingAccountId ? { resourcePolicy: l.repositoryPolicy('switchyard/api') } : {}),
      };
    case 'topology-parameters':
      return { resource: `arn:aws:ssm:${R}:${acct}:parameter/switchyard/${env}/services/api` };
    case 'deployment-table':
      return { resource: `arn:aws:dynamodb:${R}:${acct}:table/${c}-deployments` };
    case 'ecs-scalable-targets':
      return {
        resource: `arn:aws:application-autoscaling:${R}:${acct}:scalable-target/0123456789abcdef0123`,
        context: { 'application-autoscaling:service-namespace': 'ecs' },
      };
    case 'task-roles':
      return {
        resource: `arn:aws:iam::${acct}:role/${c}-api-exec`,
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      };
    case 'switchyard-metrics':
      return { resource: '*', context: { 'cloudwatch:namespace': 'Switchyard' } };
    case 'notification-topic':
      return { resource: `arn:aws:sns:${R}:${acct}:${c}-alarms` };
    case 'notification-topic-key':
      return {
        resource: `arn:aws:kms:${R}:${acct}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        context: { 'kms:ViaService': `sns.${R}.amazonaws.com`, 'kms:ResourceAliases': [`alias/${c}-alarms`] },
        // the key's own policy (modules/alarms): the account administers it, so IAM policies decide
        resourcePolicy: JSON.parse(alarmTopicKeyPolicy(acct, 'aws')) as Policy,
      };
  }
}

const sent = sentCommands();

test('the adapters send commands, and each is listed in permissions.ts', () => {
  expect(sent.length).toBeGreaterThan(10);
  const listed = new Set(RELEASE_COMMANDS.map((c) => c.command));
  expect(sent.filter((s) => !listed.has(s.command)).map((s) => `${s.file}: ${s.command}`)).toEqual([]);
});

test('every command listed in permissions.ts is sent by an adapter', () => {
  const used = new Set(sent.map((s) => s.command));
  expect(RELEASE_COMMANDS.map((c) => c.command).filter((c) => !used.has(c))).toEqual([]);
});

test('the scan sees a command added to an adapter (and it is not listed yet)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-scan-'));
  fs.mkdirSync(path.join(root, 'adapters'));
  fs.writeFileSync(
    path.join(root, 'adapters', 'marks.ts'),
    "import { BatchDeleteImageCommand, type ECRClient } from '@aws-sdk/client-ecr';\n" +
      'export const drop = (c: ECRClient) => c.send(new BatchDeleteImageCommand({ repositoryName: "r", imageIds: [] }));\n',
  );
  expect(sentCommands(root, ['adapters'])).toEqual([
    { command: 'ecr:BatchDeleteImage', file: path.join('adapters', 'marks.ts') },
  ]);
  expect(RELEASE_COMMANDS.some((c) => c.command === 'ecr:BatchDeleteImage')).toBe(false);
});

describe.each([
  ['single', undefined],
  ['multi', MULTI_ACCOUNT_DIR],
] as const)('%s account layout', (_kind, dir) => {
  const l = loadLayout(dir);
  const cases = ['dev', 'prod'].flatMap((env) =>
    RELEASE_COMMANDS.flatMap((c) =>
      c.grants.map((g) => [`${env} ${c.command} → ${g.action}`, env, g] as const),
    ),
  );
  test.each(cases)('%s is allowed to the release role', async (_t, env, g) => {
    const role = l.role(`switchyard-${env}-release`);
    expect(await evaluate(role, { action: g.action, ...example(l, env, g.resource) })).toBe('Allowed');
  });
  test.each(['dev', 'prod'])('%s: the same commands on another environment are not allowed', async (env) => {
    const other = env === 'dev' ? 'prod' : 'dev';
    const role = l.role(`switchyard-${env}-release`);
    for (const c of RELEASE_COMMANDS) {
      for (const g of c.grants) {
        if (
          g.resource === 'any' ||
          g.resource === 'image-repositories' ||
          g.resource === 'ecs-scalable-targets' ||
          g.resource === 'switchyard-metrics' // no resource: one namespace for every environment
        )
          continue;
        const req = example(l, other, g.resource);
        const account = l.accountOf(other);
        const decision = await evaluate(role, {
          action: g.action,
          ...req,
          ...(account !== role.accountId ? { resourceAccount: account } : {}),
        });
        expect({ command: c.command, action: g.action, decision }).not.toEqual({
          command: c.command,
          action: g.action,
          decision: 'Allowed',
        });
      }
    }
  });
});

describe('the notification and metric grants are scoped', () => {
  const l = loadLayout();
  const role = l.role('switchyard-dev-release');
  const acct = l.accountOf('dev');
  const R = l.region;
  const key = `arn:aws:kms:${R}:${acct}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

  test('PutMetricData only in the Switchyard namespace (never AWS/… or another one)', async () => {
    for (const ns of ['AWS/ApplicationELB', 'Other']) {
      expect(
        await evaluate(role, {
          action: 'cloudwatch:PutMetricData',
          resource: '*',
          context: { 'cloudwatch:namespace': ns },
        }),
      ).not.toBe('Allowed');
    }
  });

  test("the topic key only through SNS and only the environment's alarm-topic key", async () => {
    const resourcePolicy = JSON.parse(alarmTopicKeyPolicy(acct, 'aws')) as Policy;
    const ok = {
      'kms:ViaService': `sns.${R}.amazonaws.com`,
      'kms:ResourceAliases': ['alias/switchyard-dev-alarms'],
    };
    const decrypt = (context: Record<string, string | string[]>) =>
      evaluate(role, { action: 'kms:Decrypt', resource: key, context, resourcePolicy });
    expect(await decrypt(ok)).toBe('Allowed');
    expect(await decrypt({ ...ok, 'kms:ViaService': `s3.${R}.amazonaws.com` })).not.toBe('Allowed');
    expect(await decrypt({ ...ok, 'kms:ResourceAliases': ['alias/switchyard-dev-tfstate'] })).not.toBe(
      'Allowed',
    );
    // without the SNS key grant of the release role, the key policy alone allows nothing
    const bare = {
      ...role,
      identity: role.identity.map((p) => ({
        ...p,
        policy: {
          ...p.policy,
          Statement: p.policy.Statement.filter((st) => st.Sid !== 'NotificationTopicKey'),
        },
      })),
    };
    expect(
      await evaluate(bare, { action: 'kms:Decrypt', resource: key, context: ok, resourcePolicy }),
    ).not.toBe('Allowed');
  });

  test('sns:Publish only on the alarm topic', async () => {
    expect(
      await evaluate(role, {
        action: 'sns:Publish',
        resource: `arn:aws:sns:${R}:${acct}:switchyard-dev-other`,
      }),
    ).not.toBe('Allowed');
  });

  test("the topic name is modules/alarms AlarmTopic's", () => {
    let name: string | undefined;
    Testing.synthScope((scope) => {
      name = new AlarmTopic(scope, 'alarms', {
        project: 'switchyard',
        environment: 'dev',
        accountId: '111111111111',
      }).topicName;
    });
    expect(name).toBe(alarmTopicName('switchyard', 'dev'));
  });
});
