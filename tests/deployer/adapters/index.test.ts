import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsClients } from '../../../services/deployer/src/adapters/clients';
import { createAwsPorts, registryOf } from '../../../services/deployer/src/adapters/index';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' };

it('createAwsPorts wires every port to its client, the store to the table', async () => {
  const clients = createAwsClients({ region: 'eu-west-1', credentials, env: {} });
  const ecs = mockClient(clients.ecs);
  const elb = mockClient(clients.elbv2);
  const cw = mockClient(clients.cloudwatch);
  const ecr = mockClient(clients.ecr);
  const ddb = mockClient(clients.dynamodb);
  ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'api-blue', deployments: [] }] });
  elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'a', StateValue: 'OK' }] });
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: 'sha256:1' }] });
  ddb.on(GetItemCommand).resolves({});

  const ports = createAwsPorts({ region: 'eu-west-1', tableName: 'switchyard-dev-deployments', clients });
  await ports.ecs.describeService('c', 'api-blue');
  await ports.lb.describeTargetHealth('arn:tg');
  await ports.metrics.alarmStates(['a']);
  await ports.registry.resolveTag('repo', 'v1');
  await ports.store.getLock({ environment: 'dev', service: 'api' });

  expect(ecs.calls()).toHaveLength(1);
  expect(elb.calls()).toHaveLength(1);
  expect(cw.calls()).toHaveLength(1);
  expect(ecr.calls()).toHaveLength(1);
  expect(ddb.commandCalls(GetItemCommand)[0].args[0].input.TableName).toBe('switchyard-dev-deployments');
});

it('createAwsPorts builds region-bound clients itself when none are given', async () => {
  const ports = createAwsPorts({ region: 'ap-southeast-2', tableName: 't', credentials });
  // The adapters keep their client private; reach it to check the region without any network call.
  const client = (ports.ecs as unknown as { client: { config: { region: () => Promise<string> } } }).client;
  await expect(client.config.region()).resolves.toBe('ap-southeast-2');
});

it('createAwsPorts: ECR requests name the registry of the shared-services account', async () => {
  const clients = createAwsClients({ region: 'eu-west-1', credentials, env: {} });
  const ecr = mockClient(clients.ecr);
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: 'sha256:1' }] });
  const ports = createAwsPorts({
    tableName: 't',
    clients,
    registry: registryOf('999999999999.dkr.ecr.eu-west-1.amazonaws.com/switchyard/api')!,
  });
  await ports.registry.resolveTag('switchyard/api', 'v1');
  expect(ecr.commandCalls(DescribeImagesCommand)[0].args[0].input).toEqual({
    registryId: '999999999999',
    repositoryName: 'switchyard/api',
    imageIds: [{ imageTag: 'v1' }],
  });
});
