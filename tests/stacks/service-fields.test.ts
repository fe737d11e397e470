/**
 * The service fields the module supports are settable from the YAML (schema → loader → stacks/runtime.ts
 * → task definition / execution role), with their documented defaults, and bad values get a schema message.
 */
import { Testing } from 'cdktf';
import { parseEnvironment } from '../../environments/loader';
import { buildRuntime } from '../../stacks/runtime';
import { ctx, validDoc } from '../environments/fixtures';
import { FAKE_VPC, listOf, newStack, synth } from '../helpers/stack';

Testing.setupJest();

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api/token-AbCdEf';

function build(service: Record<string, unknown>) {
  const doc = validDoc('prod');
  const [first] = doc.services as Record<string, unknown>[];
  const { config, problems } = parseEnvironment(
    { ...doc, services: [{ ...first, ...service }] },
    ctx('prod'),
  );
  if (!config) return { problems };
  const { stack } = newStack('prod');
  buildRuntime(stack, config, FAKE_VPC);
  const out = synth(stack);
  const [td] = listOf(out, 'aws_ecs_task_definition');
  const [container] = JSON.parse(td!.container_definitions as string);
  const execPolicy = listOf(out, 'aws_iam_role_policy').find((p) => p.name === 'execution')!;
  return { problems, config, container, td: td!, execPolicy: JSON.parse(execPolicy.policy as string) };
}

test('defaults: image USER, no container health check, /tmp writable, the newest pushed image, no secret keys', () => {
  const { config, container, td } = build({});
  expect(config!.services[0]).toMatchObject({ writablePaths: ['/tmp'], secretsKmsKeyArns: [] });
  expect(config!.services[0]!.initialImageTag).toBeUndefined();
  expect(container.user).toBeUndefined();
  expect(container.healthCheck).toBeUndefined();
  // pinned at the first apply (tests/stacks/initial-image.test.ts)
  expect(container.image).toMatch(/^\$\{terraform_data\.initial-image-api_pin_[0-9A-F]+\.output\.image\}$/);
  expect(container.mountPoints.map((m: { containerPath: string }) => m.containerPath)).toEqual(['/tmp']);
  expect((td!.volume as unknown[]).length).toBe(1);
});

test('user, containerHealthCheck, writablePaths, initialImageTag and secretsKmsKeyArns reach the task', () => {
  const { problems, container, execPolicy } = build({
    user: '1000:1000',
    containerHealthCheck: { command: ['CMD', '/app/healthcheck'], intervalSeconds: 20, retries: 2 },
    writablePaths: ['/tmp', '/var/cache/app'],
    initialImageTag: 'v0.0.1',
    secrets: { API_TOKEN: SECRET },
    secretsKmsKeyArns: [KEY],
  });
  expect(problems).toEqual([]);
  expect(container.user).toBe('1000:1000');
  expect(container.healthCheck).toMatchObject({
    command: ['CMD', '/app/healthcheck'],
    interval: 20,
    retries: 2,
  });
  expect(container.mountPoints.map((m: { containerPath: string }) => m.containerPath)).toEqual([
    '/tmp',
    '/var/cache/app',
  ]);
  expect(container.image).toMatch(/:v0\.0\.1$/);
  const decrypt = execPolicy.Statement.find((s: { Sid: string }) => s.Sid === 'DecryptSecrets');
  expect(decrypt).toMatchObject({ Action: 'kms:Decrypt', Resource: [KEY] });
});

test.each<[string, Record<string, unknown>, string]>([
  [
    'a bad user',
    { user: 'root user' },
    'services[0].user: must be "uid", "uid:gid", "user" or "user:group" (got "root user")',
  ],
  [
    'a health check without CMD',
    { containerHealthCheck: { command: ['curl', '-f', 'localhost'] } },
    'services[0].containerHealthCheck.command: must start with "CMD" or "CMD-SHELL" (got ["curl","-f","localhost"])',
  ],
  [
    'the root as writable path',
    { writablePaths: ['/'] },
    'services[0].writablePaths[0]: must be an absolute path below "/" without spaces (got "/")',
  ],
  [
    'a path twice',
    { writablePaths: ['/tmp', '/tmp'] },
    'services[0].writablePaths: must not list a path twice (got ["/tmp","/tmp"])',
  ],
  [
    'a bad tag',
    { initialImageTag: ':latest' },
    'services[0].initialImageTag: must be a valid image tag (got ":latest")',
  ],
  [
    'an alias instead of a key',
    { secretsKmsKeyArns: ['alias/app'] },
    'services[0].secretsKmsKeyArns[0]: must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) (got "alias/app")',
  ],
])('%s is refused with one message', (_case, service, message) => {
  expect(build(service).problems).toEqual([`environments/prod.yaml: ${message}`]);
});
