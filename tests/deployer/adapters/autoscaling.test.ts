import {
  ApplicationAutoScalingClient,
  ConcurrentUpdateException,
  DescribeScalableTargetsCommand,
  ObjectNotFoundException,
  RegisterScalableTargetCommand,
  ValidationException,
} from '@aws-sdk/client-application-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsScalingAdapter } from '../../../services/deployer/src/adapters/autoscaling';
import { createAwsClients } from '../../../services/deployer/src/adapters/clients';
import { createAwsPorts } from '../../../services/deployer/src/adapters/index';
import { PortError } from '../../../services/deployer/src/ports';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' };
const client = new ApplicationAutoScalingClient({ region: 'eu-west-1', credentials });
const aas = mockClient(client);
const adapter = new AwsScalingAdapter(client);
const GREEN = 'service/switchyard-dev/api-green';

beforeEach(() => aas.reset());

describe('setCapacityRange', () => {
  it('sends exactly one RegisterScalableTarget with namespace, dimension, resource and range only', async () => {
    aas.on(RegisterScalableTargetCommand).resolves({});
    await adapter.setCapacityRange(GREEN, 0, 6);
    const calls = aas.commandCalls(RegisterScalableTargetCommand);
    expect(calls).toHaveLength(1);
    // nothing else: no RoleARN, no SuspendedState — an existing target keeps them
    expect(calls[0].args[0].input).toStrictEqual({
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceId: GREEN,
      MinCapacity: 0,
      MaxCapacity: 6,
    });
    expect(aas.calls()).toHaveLength(1);
  });

  it('refuses a malformed resource id or range without calling AWS', async () => {
    await expect(adapter.setCapacityRange('api-green', 0, 6)).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('expected service/<cluster>/<service>'),
    });
    await expect(adapter.setCapacityRange(GREEN, 3, 2)).rejects.toMatchObject({ kind: 'invalid' });
    await expect(adapter.setCapacityRange(GREEN, -1, 2)).rejects.toMatchObject({ kind: 'invalid' });
    expect(aas.calls()).toHaveLength(0);
  });

  it.each([
    [
      new ConcurrentUpdateException({ message: 'pending update', $metadata: {} }),
      'unavailable', // retried by the core
    ],
    [new ValidationException({ message: 'bad range', $metadata: {} }), 'invalid'],
    [new ObjectNotFoundException({ message: 'no such target', $metadata: {} }), 'not-found'],
  ])('maps %p to a PortError', async (err, kind) => {
    aas.on(RegisterScalableTargetCommand).rejects(err);
    const e = await adapter.setCapacityRange(GREEN, 2, 6).catch((x) => x);
    expect(e).toBeInstanceOf(PortError);
    expect(e).toMatchObject({ kind });
    expect(e.message).toContain(`RegisterScalableTarget ${GREEN} (min 2, max 6)`);
  });
});

describe('describeCapacity', () => {
  it('reads the target with DescribeScalableTargets', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [
        {
          ServiceNamespace: 'ecs',
          ResourceId: GREEN,
          ScalableDimension: 'ecs:service:DesiredCount',
          MinCapacity: 0,
          MaxCapacity: 6,
          RoleARN: 'arn:aws:iam::1:role/aws-service-role/x',
          CreationTime: new Date(0),
        },
      ],
    });
    await expect(adapter.describeCapacity(GREEN)).resolves.toEqual({ resourceId: GREEN, min: 0, max: 6 });
    expect(aas.commandCalls(DescribeScalableTargetsCommand)[0].args[0].input).toStrictEqual({
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceIds: [GREEN],
    });
  });

  it('returns undefined when no scalable target is registered', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    await expect(adapter.describeCapacity(GREEN)).resolves.toBeUndefined();
  });
});

it('createAwsPorts wires the scaling port to the Application Auto Scaling client', async () => {
  const clients = createAwsClients({ region: 'eu-west-1', credentials, env: {} });
  expect(clients.autoscaling).toBeDefined();
  const mock = mockClient(clients.autoscaling!);
  mock.on(RegisterScalableTargetCommand).resolves({});
  const ports = createAwsPorts({ region: 'eu-west-1', tableName: 't', clients });
  await ports.scaling.setCapacityRange(GREEN, 2, 6);
  expect(mock.commandCalls(RegisterScalableTargetCommand)).toHaveLength(1);
  // callers that build AwsClients without it still get a scaling port
  const { autoscaling: _omit, ...older } = clients;
  expect(createAwsPorts({ region: 'eu-west-1', tableName: 't', clients: older }).scaling).toBeDefined();
});
