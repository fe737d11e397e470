import {
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  ServiceNotFoundException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsEcsAdapter } from '../../../services/deployer/src/adapters/ecs';
import { configurationDiff } from '../../../services/deployer/src/core/task-config';
import { PortError } from '../../../services/deployer/src/ports';
import { sdkError } from './fixtures/sdk-error';
import { describeTaskDefinitionResponse, LIVE_ARN, NEW_IMAGE, OLD_IMAGE } from './fixtures/task-definition';

const client = new ECSClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
});
const ecs = mockClient(client);
const adapter = new AwsEcsAdapter(client);
const NEW_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/switchyard-dev-api:42';

beforeEach(() => ecs.reset());

describe('registerTaskDefinitionFrom', () => {
  function registeredWith() {
    ecs.on(DescribeTaskDefinitionCommand).resolves(describeTaskDefinitionResponse());
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input) => ({
      taskDefinition: { ...input, taskDefinitionArn: NEW_ARN, revision: 42, status: 'ACTIVE' },
    }));
    return adapter.registerTaskDefinitionFrom(LIVE_ARN, 'api', NEW_IMAGE);
  }

  it('reads the live revision with its tags', async () => {
    await registeredWith();
    const calls = ecs.commandCalls(DescribeTaskDefinitionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({ taskDefinition: LIVE_ARN, include: ['TAGS'] });
  });

  it('copies every field of the live revision but the image of the named container', async () => {
    const result = await registeredWith();
    const calls = ecs.commandCalls(RegisterTaskDefinitionCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0].args[0].input as unknown as Record<string, unknown>;
    const live = describeTaskDefinitionResponse().taskDefinition as Record<string, unknown>;

    // Exactly these fields are sent: all of the live revision minus the read-only ones, plus tags.
    expect(Object.keys(input).sort()).toEqual(
      [
        'containerDefinitions',
        'cpu',
        'enableFaultInjection',
        'ephemeralStorage',
        'executionRoleArn',
        'family',
        'memory',
        'networkMode',
        'pidMode',
        'placementConstraints',
        'requiresCompatibilities',
        'runtimePlatform',
        'tags',
        'taskRoleArn',
        'volumes',
      ].sort(),
    );
    for (const field of Object.keys(input)) {
      if (field === 'containerDefinitions' || field === 'tags') continue;
      expect([field, input[field]]).toEqual([field, live[field]]);
    }
    for (const readOnly of [
      'taskDefinitionArn',
      'revision',
      'status',
      'requiresAttributes',
      'compatibilities',
      'registeredAt',
      'registeredBy',
    ]) {
      expect(input).not.toHaveProperty(readOnly);
    }
    expect(input.tags).toEqual(describeTaskDefinitionResponse().tags);

    const [api, router] = input.containerDefinitions as Record<string, unknown>[];
    const [liveApi, liveRouter] = live.containerDefinitions as Record<string, unknown>[];
    expect(api.image).toBe(NEW_IMAGE);
    expect({ ...api, image: OLD_IMAGE }).toEqual(liveApi);
    expect(router).toEqual(liveRouter);

    expect(result).toEqual({
      arn: NEW_ARN,
      family: 'switchyard-dev-api',
      revision: 42,
      containers: [
        { containerName: 'api', image: NEW_IMAGE },
        { containerName: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4' },
      ],
      configuration: expect.any(Object),
    });
  });

  it('does not mutate the response it copied from', async () => {
    const response = describeTaskDefinitionResponse();
    ecs.on(DescribeTaskDefinitionCommand).resolves(response);
    ecs.on(RegisterTaskDefinitionCommand).resolves({
      taskDefinition: { taskDefinitionArn: NEW_ARN, family: 'switchyard-dev-api', revision: 42 },
    });
    await adapter.registerTaskDefinitionFrom(LIVE_ARN, 'api', NEW_IMAGE);
    expect(response).toEqual(describeTaskDefinitionResponse());
  });

  it('omits tags when the live revision has none', async () => {
    const response = describeTaskDefinitionResponse();
    ecs.on(DescribeTaskDefinitionCommand).resolves({ ...response, tags: [] });
    ecs.on(RegisterTaskDefinitionCommand).resolves({
      taskDefinition: { taskDefinitionArn: NEW_ARN, family: 'switchyard-dev-api', revision: 42 },
    });
    await adapter.registerTaskDefinitionFrom(LIVE_ARN, 'api', NEW_IMAGE);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input).not.toHaveProperty('tags');
  });

  it('refuses an unknown container name without registering anything', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves(describeTaskDefinitionResponse());
    const err = await adapter.registerTaskDefinitionFrom(LIVE_ARN, 'web', NEW_IMAGE).catch((e) => e);
    expect(err).toBeInstanceOf(PortError);
    expect(err.kind).toBe('invalid');
    expect(err.message).toMatch(/no container named "web".*api, log-router/);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('maps a throttled RegisterTaskDefinition to kind throttled', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves(describeTaskDefinitionResponse());
    ecs.on(RegisterTaskDefinitionCommand).rejects(sdkError('ThrottlingException', 'Rate exceeded'));
    const err = await adapter.registerTaskDefinitionFrom(LIVE_ARN, 'api', NEW_IMAGE).catch((e) => e);
    expect(err).toBeInstanceOf(PortError);
    expect(err.kind).toBe('throttled');
    expect(err.message).toContain('RegisterTaskDefinition');
  });
});

describe('describeService', () => {
  it('maps the service event stream, newest first', async () => {
    const at = (iso: string) => new Date(iso);
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: 'api-green',
          taskDefinition: NEW_ARN,
          events: [
            {
              id: '2',
              createdAt: at('2026-11-23T12:05:00Z'),
              message: '(service api-green) has reached a steady state.',
            },
            {
              id: '3',
              createdAt: at('2026-11-23T12:07:00Z'),
              message: '(service api-green) was unable to place a task.',
            },
            {
              id: '1',
              createdAt: at('2026-11-23T12:01:00Z'),
              message: '(service api-green) has started 2 tasks.',
            },
          ],
        },
      ],
    });
    const svc = await adapter.describeService('switchyard-dev', 'api-green');
    expect(svc.events).toEqual([
      { at: Date.parse('2026-11-23T12:07:00Z'), message: '(service api-green) was unable to place a task.' },
      { at: Date.parse('2026-11-23T12:05:00Z'), message: '(service api-green) has reached a steady state.' },
      { at: Date.parse('2026-11-23T12:01:00Z'), message: '(service api-green) has started 2 tasks.' },
    ]);
  });

  it('maps the service and its deployments', async () => {
    ecs.on(DescribeServicesCommand, { cluster: 'switchyard-dev', services: ['api-green'] }).resolves({
      services: [
        {
          serviceName: 'api-green',
          status: 'ACTIVE',
          taskDefinition: NEW_ARN,
          desiredCount: 3,
          runningCount: 2,
          deployments: [
            {
              id: 'ecs-svc/2222',
              status: 'PRIMARY',
              taskDefinition: NEW_ARN,
              rolloutState: 'IN_PROGRESS',
              rolloutStateReason: 'ECS deployment ecs-svc/2222 in progress.',
              desiredCount: 3,
              runningCount: 2,
              failedTasks: 1,
            },
            {
              id: 'ecs-svc/1111',
              status: 'ACTIVE',
              taskDefinition: LIVE_ARN,
              rolloutState: 'COMPLETED',
              desiredCount: 0,
              runningCount: 1,
              failedTasks: 0,
            },
          ],
        },
      ],
      failures: [],
    });
    await expect(adapter.describeService('switchyard-dev', 'api-green')).resolves.toEqual({
      serviceName: 'api-green',
      status: 'ACTIVE',
      taskDefinitionArn: NEW_ARN,
      desiredCount: 3,
      runningCount: 2,
      events: [],
      deployments: [
        {
          id: 'ecs-svc/2222',
          status: 'PRIMARY',
          taskDefinitionArn: NEW_ARN,
          rolloutState: 'IN_PROGRESS',
          rolloutStateReason: 'ECS deployment ecs-svc/2222 in progress.',
          desiredCount: 3,
          runningCount: 2,
          failedTasks: 1,
        },
        {
          id: 'ecs-svc/1111',
          status: 'ACTIVE',
          taskDefinitionArn: LIVE_ARN,
          rolloutState: 'COMPLETED',
          desiredCount: 0,
          runningCount: 1,
          failedTasks: 0,
        },
      ],
    });
  });

  it('reports a MISSING service as not-found', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'x', reason: 'MISSING' }] });
    const err = await adapter.describeService('switchyard-dev', 'nope').catch((e) => e);
    expect(err).toBeInstanceOf(PortError);
    expect(err.kind).toBe('not-found');
    expect(err.message).toMatch(/switchyard-dev\/nope.*MISSING/);
  });

  it.each([
    [new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }), 'not-found'],
    [new ServiceNotFoundException({ message: 'Service not found.', $metadata: {} }), 'not-found'],
    [sdkError('ThrottlingException', 'Rate exceeded'), 'throttled'],
    [sdkError('TooManyRequestsException', 'Too Many Requests', 429), 'throttled'],
    [sdkError('ServerException', 'Internal error', 500), 'unavailable'],
    [sdkError('AccessDeniedException', 'not authorized to perform ecs:DescribeServices'), 'invalid'],
  ])('maps %p to %s', async (error, kind) => {
    ecs.on(DescribeServicesCommand).rejects(error);
    const err = await adapter.describeService('switchyard-dev', 'api-blue').catch((e) => e);
    expect(err).toBeInstanceOf(PortError);
    expect(err.kind).toBe(kind);
    expect(err.cause).toBe(error);
  });
});

describe('updateService', () => {
  it('sends the task definition and desired count and returns the new PRIMARY deployment id', async () => {
    ecs.on(UpdateServiceCommand).resolves({
      service: {
        serviceName: 'api-green',
        deployments: [
          { id: 'ecs-svc/1111', status: 'ACTIVE', taskDefinition: LIVE_ARN },
          { id: 'ecs-svc/3333', status: 'PRIMARY', taskDefinition: NEW_ARN },
        ],
      },
    });
    await expect(
      adapter.updateService('switchyard-dev', 'api-green', { taskDefinitionArn: NEW_ARN, desiredCount: 3 }),
    ).resolves.toEqual({ deploymentId: 'ecs-svc/3333' });
    const calls = ecs.commandCalls(UpdateServiceCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      cluster: 'switchyard-dev',
      service: 'api-green',
      taskDefinition: NEW_ARN,
      desiredCount: 3,
    });
  });

  it('changes only the desired count when no task definition is given', async () => {
    ecs
      .on(UpdateServiceCommand)
      .resolves({ service: { deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY' }] } });
    await expect(adapter.updateService('switchyard-dev', 'api-blue', { desiredCount: 0 })).resolves.toEqual(
      {},
    );
    expect(ecs.commandCalls(UpdateServiceCommand)[0].args[0].input).toEqual({
      cluster: 'switchyard-dev',
      service: 'api-blue',
      desiredCount: 0,
    });
  });

  it('is a conflict when the PRIMARY deployment runs another revision', async () => {
    ecs.on(UpdateServiceCommand).resolves({
      service: { deployments: [{ id: 'ecs-svc/9', status: 'PRIMARY', taskDefinition: LIVE_ARN }] },
    });
    const err = await adapter
      .updateService('switchyard-dev', 'api-green', { taskDefinitionArn: NEW_ARN, desiredCount: 3 })
      .catch((e) => e);
    expect(err.kind).toBe('conflict');
  });
});

describe('recentStoppedTaskReasons', () => {
  it('lists stopped tasks of the service and returns reasons since the given time, newest first', async () => {
    const t0 = Date.parse('2026-11-23T12:00:00Z');
    ecs.on(ListTasksCommand).resolves({
      taskArns: [
        'arn:aws:ecs:eu-west-1:1:task/switchyard-dev/aaa',
        'arn:aws:ecs:eu-west-1:1:task/switchyard-dev/bbb',
      ],
    });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: 'arn:aws:ecs:eu-west-1:1:task/switchyard-dev/old',
          stoppedAt: new Date(t0 - 60_000),
          stoppedReason: 'Scaling activity initiated by deployment',
        },
        {
          taskArn: 'arn:aws:ecs:eu-west-1:1:task/switchyard-dev/aaa',
          stoppedAt: new Date(t0 + 10_000),
          stoppedReason: 'Essential container in task exited',
          containers: [{ name: 'api', exitCode: 1, reason: undefined }, { name: 'log-router' }],
        },
        {
          taskArn: 'arn:aws:ecs:eu-west-1:1:task/switchyard-dev/bbb',
          stoppedAt: new Date(t0 + 20_000),
          stoppedReason: 'Task failed ELB health checks in (target-group arn:tg)',
        },
      ],
    });
    await expect(adapter.recentStoppedTaskReasons('switchyard-dev', 'api-green', t0)).resolves.toEqual([
      'task bbb: Task failed ELB health checks in (target-group arn:tg)',
      'task aaa: Essential container in task exited; container api exit code 1',
    ]);
    expect(ecs.commandCalls(ListTasksCommand)[0].args[0].input).toEqual({
      cluster: 'switchyard-dev',
      serviceName: 'api-green',
      desiredStatus: 'STOPPED',
      maxResults: 100,
    });
    expect(ecs.commandCalls(DescribeTasksCommand)[0].args[0].input).toEqual({
      cluster: 'switchyard-dev',
      tasks: [
        'arn:aws:ecs:eu-west-1:1:task/switchyard-dev/aaa',
        'arn:aws:ecs:eu-west-1:1:task/switchyard-dev/bbb',
      ],
    });
  });

  it('makes no DescribeTasks call when nothing stopped', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    await expect(adapter.recentStoppedTaskReasons('c', 's', 0)).resolves.toEqual([]);
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });
});

describe('describeTaskDefinition', () => {
  it('summarises the revision', async () => {
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: LIVE_ARN })
      .resolves(describeTaskDefinitionResponse());
    const td = await adapter.describeTaskDefinition(LIVE_ARN);
    expect(td).toEqual({
      arn: LIVE_ARN,
      family: 'switchyard-dev-api',
      revision: 41,
      containers: [
        { containerName: 'api', image: OLD_IMAGE },
        { containerName: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4' },
      ],
      configuration: expect.any(Object),
    });
  });

  it('fingerprints the configuration (hashes only), ignoring images and read-only fields', async () => {
    const base = describeTaskDefinitionResponse();
    const td = base.taskDefinition!;
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: LIVE_ARN }).resolves(base);
    const same = {
      ...base,
      taskDefinition: {
        ...td,
        taskDefinitionArn: `${LIVE_ARN}0`,
        revision: 410,
        registeredAt: new Date(0),
        containerDefinitions: td.containerDefinitions!.map((c) => ({ ...c, image: NEW_IMAGE })),
      },
    };
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: `${LIVE_ARN}0` }).resolves(same);
    const changed = {
      ...base,
      taskDefinition: {
        ...td,
        taskDefinitionArn: `${LIVE_ARN}1`,
        cpu: '1024',
        containerDefinitions: td.containerDefinitions!.map((c) =>
          c.name === 'api' ? { ...c, environment: [{ name: 'FEATURE_X', value: 'on' }] } : c,
        ),
      },
    };
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: `${LIVE_ARN}1` }).resolves(changed);

    const a = await adapter.describeTaskDefinition(LIVE_ARN);
    const b = await adapter.describeTaskDefinition(`${LIVE_ARN}0`);
    const c = await adapter.describeTaskDefinition(`${LIVE_ARN}1`);
    expect(a.configuration).toEqual(b.configuration);
    expect(Object.keys(a.configuration!.fields)).not.toContain('revision');
    expect(Object.keys(a.configuration!.fields)).not.toContain('containerDefinitions');
    expect(configurationDiff(c, a)).toEqual({ known: true, fields: ['cpu'], containers: ['api (changed)'] });
    // values are hashed: nothing of the environment leaks into the summary
    expect(JSON.stringify(c)).not.toContain('FEATURE_X');
  });
});
