import {
  CloudWatchClient,
  CloudWatchServiceException,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AwsMetricsAdapter,
  AwsTrafficWeightPublisher,
} from '../../../services/deployer/src/adapters/cloudwatch';
import { trafficWeightData } from '../../../services/topology/metrics';
import { sdkError } from './fixtures/sdk-error';

const client = new CloudWatchClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
});
const cw = mockClient(client);
const adapter = new AwsMetricsAdapter(client);

const LB = 'app/sy-dev/50dc6c495c0c9188';
const TG = 'targetgroup/sy-dev-api-green/2453ed029918f21f';
const FROM = Date.parse('2026-11-23T12:00:00Z');
const TO = Date.parse('2026-11-23T12:05:00Z');

beforeEach(() => cw.reset());

describe('targetGroupRequests', () => {
  it('sends one GetMetricData with RequestCount and HTTPCode_Target_5XX_Count (Sum, 60 s, LB + TG dims)', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'requests', Values: [120, 80, 100], StatusCode: 'Complete' },
        { Id: 'errors5xx', Values: [3], StatusCode: 'Complete' },
      ],
    });
    await expect(adapter.targetGroupRequests(LB, TG, FROM, TO)).resolves.toEqual({
      requests: 300,
      errors5xx: 3,
    });
    const calls = cw.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(1);
    const dims = [
      { Name: 'LoadBalancer', Value: LB },
      { Name: 'TargetGroup', Value: TG },
    ];
    expect(calls[0].args[0].input).toEqual({
      StartTime: new Date(FROM),
      EndTime: new Date(TO),
      MetricDataQueries: [
        {
          Id: 'requests',
          MetricStat: {
            Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount', Dimensions: dims },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: true,
        },
        {
          Id: 'errors5xx',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApplicationELB',
              MetricName: 'HTTPCode_Target_5XX_Count',
              Dimensions: dims,
            },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: true,
        },
      ],
    });
  });

  it('counts missing data as 0', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'requests', Values: [42] },
        { Id: 'errors5xx', Values: [] },
      ],
    });
    await expect(adapter.targetGroupRequests(LB, TG, FROM, TO)).resolves.toEqual({
      requests: 42,
      errors5xx: 0,
    });
    cw.reset();
    cw.on(GetMetricDataCommand).resolves({});
    await expect(adapter.targetGroupRequests(LB, TG, FROM, TO)).resolves.toEqual({
      requests: 0,
      errors5xx: 0,
    });
  });

  it('follows NextToken', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'requests', Values: [10] }], NextToken: 't1' })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'requests', Values: [5] },
          { Id: 'errors5xx', Values: [1] },
        ],
      });
    await expect(adapter.targetGroupRequests(LB, TG, FROM, TO)).resolves.toEqual({
      requests: 15,
      errors5xx: 1,
    });
    expect(cw.commandCalls(GetMetricDataCommand)[1].args[0].input.NextToken).toBe('t1');
  });

  it('refuses an empty window without calling AWS', async () => {
    await expect(adapter.targetGroupRequests(LB, TG, TO, TO)).rejects.toMatchObject({ kind: 'invalid' });
    expect(cw.calls()).toHaveLength(0);
  });

  it('maps throttling', async () => {
    cw.on(GetMetricDataCommand).rejects(
      sdkError('Throttling', 'Rate exceeded', 400, CloudWatchServiceException),
    );
    await expect(adapter.targetGroupRequests(LB, TG, FROM, TO)).rejects.toMatchObject({ kind: 'throttled' });
  });
});

describe('targetGroupLatency', () => {
  const dims = [
    { Name: 'LoadBalancer', Value: LB },
    { Name: 'TargetGroup', Value: TG },
  ];
  const query = (Id: string, MetricName: string, Stat: string, Period: number) => ({
    Id,
    MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName, Dimensions: dims }, Period, Stat },
    ReturnData: true,
  });

  it('sends one GetMetricData: RequestCount Sum, TargetConnectionErrorCount Sum, TargetResponseTime p99, the window as ONE period', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'requests', Values: [900], StatusCode: 'Complete' },
        { Id: 'connectionErrors', Values: [4], StatusCode: 'Complete' },
        { Id: 'p99', Values: [0.42], StatusCode: 'Complete' },
      ],
    });
    const to = FROM + 3 * 60_000;
    await expect(adapter.targetGroupLatency(LB, TG, FROM, to)).resolves.toEqual({
      requests: 900,
      connectionErrors: 4,
      p99Seconds: 0.42,
    });
    const calls = cw.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      StartTime: new Date(FROM),
      EndTime: new Date(to),
      MetricDataQueries: [
        query('requests', 'RequestCount', 'Sum', 180),
        query('connectionErrors', 'TargetConnectionErrorCount', 'Sum', 180),
        query('p99', 'TargetResponseTime', 'p99', 180),
      ],
    });
  });

  it('no datapoints: no requests, no connection errors, no p99 (the ALB reports nonzero values only)', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'requests', Values: [] },
        { Id: 'connectionErrors', Values: [] },
        { Id: 'p99', Values: [] },
      ],
    });
    await expect(adapter.targetGroupLatency(LB, TG, FROM, FROM + 60_000)).resolves.toEqual({
      requests: 0,
      connectionErrors: 0,
    });
  });

  it('refuses a window that is not whole minutes (a period must be a multiple of 60 s) without calling AWS', async () => {
    await expect(adapter.targetGroupLatency(LB, TG, FROM, FROM + 90_000)).rejects.toMatchObject({
      kind: 'invalid',
    });
    await expect(adapter.targetGroupLatency(LB, TG, FROM + 1_000, FROM + 61_000)).rejects.toMatchObject({
      kind: 'invalid',
    });
    expect(cw.calls()).toHaveLength(0);
  });

  it('maps throttling', async () => {
    cw.on(GetMetricDataCommand).rejects(
      sdkError('Throttling', 'Rate exceeded', 400, CloudWatchServiceException),
    );
    await expect(adapter.targetGroupLatency(LB, TG, FROM, FROM + 60_000)).rejects.toMatchObject({
      kind: 'throttled',
    });
  });
});

describe('AwsTrafficWeightPublisher', () => {
  it('sends one PutMetricData in the Switchyard namespace with both colours of trafficWeightData', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    const at = new Date('2026-11-23T12:00:05Z');
    await new AwsTrafficWeightPublisher(client).publish(
      trafficWeightData('dev', 'api', { blue: 90, green: 10 }, at),
    );
    const calls = cw.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    const dim = (colour: string) => [
      { Name: 'Environment', Value: 'dev' },
      { Name: 'Service', Value: 'api' },
      { Name: 'Colour', Value: colour },
    ];
    expect(calls[0].args[0].input).toEqual({
      Namespace: 'Switchyard',
      MetricData: [
        { MetricName: 'TrafficWeight', Dimensions: dim('blue'), Timestamp: at, Value: 90, Unit: 'Percent' },
        { MetricName: 'TrafficWeight', Dimensions: dim('green'), Timestamp: at, Value: 10, Unit: 'Percent' },
      ],
    });
  });

  it('maps AccessDenied to a PortError', async () => {
    cw.on(PutMetricDataCommand).rejects(
      sdkError('AccessDenied', 'not authorized', 403, CloudWatchServiceException),
    );
    await expect(
      new AwsTrafficWeightPublisher(client).publish(
        trafficWeightData('dev', 'api', { blue: 0, green: 100 }, new Date()),
      ),
    ).rejects.toMatchObject({ name: 'PortError' });
  });
});

describe('alarmStates', () => {
  const T1 = new Date('2026-11-23T11:58:00Z');
  const T2 = new Date('2026-11-23T12:01:30Z');
  it('asks for metric and composite alarms by name; returns state and StateTransitionedTimestamp in the order asked', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: 'api-latency-p99',
          StateValue: 'OK',
          StateTransitionedTimestamp: T1,
          // moves on evaluation-state updates too: must not be taken for a state change
          StateUpdatedTimestamp: T2,
        },
        { AlarmName: 'api-5xx', StateValue: 'ALARM', StateTransitionedTimestamp: T2 },
      ],
      CompositeAlarms: [{ AlarmName: 'api-slo', StateValue: 'ALARM' }],
    });
    await expect(adapter.alarmStates(['api-5xx', 'api-latency-p99', 'api-slo', 'api-5xx'])).resolves.toEqual([
      { name: 'api-5xx', state: 'ALARM', since: T2.getTime() },
      { name: 'api-latency-p99', state: 'OK', since: T1.getTime() },
      { name: 'api-slo', state: 'ALARM' },
    ]);
    expect(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      {
        AlarmNames: ['api-5xx', 'api-latency-p99', 'api-slo'],
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: 100,
      },
    ]);
  });

  it('reports INSUFFICIENT_DATA (and an unknown state) as INSUFFICIENT_DATA', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'a', StateValue: 'INSUFFICIENT_DATA' },
        { AlarmName: 'b', StateValue: 'SOMETHING_NEW' as never },
      ],
    });
    await expect(adapter.alarmStates(['a', 'b'])).resolves.toEqual([
      { name: 'a', state: 'INSUFFICIENT_DATA' },
      { name: 'b', state: 'INSUFFICIENT_DATA' },
    ]);
  });

  it('makes no call for no alarms', async () => {
    await expect(adapter.alarmStates([])).resolves.toEqual([]);
    expect(cw.calls()).toHaveLength(0);
  });

  it('batches at most 100 names per call', async () => {
    const names = Array.from({ length: 250 }, (_, i) => `alarm-${i}`);
    cw.on(DescribeAlarmsCommand).callsFake((input) => ({
      MetricAlarms: input.AlarmNames.map((n: string) => ({
        AlarmName: n,
        StateValue: n === 'alarm-149' || n === 'alarm-249' ? 'ALARM' : 'OK',
      })),
    }));
    const states = await adapter.alarmStates(names);
    expect(states.filter((s) => s.state === 'ALARM').map((s) => s.name)).toEqual(['alarm-149', 'alarm-249']);
    const batches = cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.AlarmNames ?? []);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat()).toEqual(names);
  });

  it('fails with not-found naming alarms that do not exist (a misspelt alarm must not disable the gate)', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'api-5xx', StateValue: 'OK' }] });
    const err = await adapter.alarmStates(['api-5xx', 'api-5xxx']).catch((e) => e);
    expect(err.kind).toBe('not-found');
    expect(err.message).toContain('api-5xxx');
    expect(err.message).not.toContain('api-5xx,');
  });
});
