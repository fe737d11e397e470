import { dashboardConsoleUrl, dashboardName } from '../../services/topology/dashboard';
import {
  SWITCHYARD_METRICS_NAMESPACE,
  TRAFFIC_WEIGHT_DIMENSIONS,
  TRAFFIC_WEIGHT_METRIC,
  TRAFFIC_WEIGHT_UNIT,
  trafficWeightData,
} from '../../services/topology/metrics';

describe('TrafficWeight metric contract (deployer → dashboard)', () => {
  const at = new Date('2026-05-01T12:00:00Z');

  it('is Switchyard/TrafficWeight in percent with Environment, Service, Colour', () => {
    expect([SWITCHYARD_METRICS_NAMESPACE, TRAFFIC_WEIGHT_METRIC, TRAFFIC_WEIGHT_UNIT]).toEqual([
      'Switchyard',
      'TrafficWeight',
      'Percent',
    ]);
    expect(TRAFFIC_WEIGHT_DIMENSIONS).toEqual(['Environment', 'Service', 'Colour']);
    expect(SWITCHYARD_METRICS_NAMESPACE.startsWith('AWS/')).toBe(false);
  });

  it('publishes one datum per colour with its share of the traffic, same timestamp', () => {
    expect(trafficWeightData('prod', 'api', { blue: 90, green: 10 }, at)).toEqual([
      {
        MetricName: 'TrafficWeight',
        Dimensions: [
          { Name: 'Environment', Value: 'prod' },
          { Name: 'Service', Value: 'api' },
          { Name: 'Colour', Value: 'blue' },
        ],
        Timestamp: at,
        Value: 90,
        Unit: 'Percent',
      },
      expect.objectContaining({
        Value: 10,
        Dimensions: expect.arrayContaining([{ Name: 'Colour', Value: 'green' }]),
      }),
    ]);
    // ALB weights need not add up to 100 (an operator's 1/1 flip is 50 % each).
    expect(trafficWeightData('prod', 'api', { blue: 1, green: 1 }, at).map((d) => d.Value)).toEqual([50, 50]);
    expect(trafficWeightData('prod', 'api', { blue: 0, green: 999 }, at).map((d) => d.Value)).toEqual([
      0, 100,
    ]);
  });

  it('refuses weights ALB would not accept or that route nothing', () => {
    expect(() => trafficWeightData('prod', 'api', { blue: 0, green: 0 }, at)).toThrow(/both weights are 0/);
    expect(() => trafficWeightData('prod', 'api', { blue: 1000, green: 0 }, at)).toThrow(/integers 0-999/);
    expect(() => trafficWeightData('prod', 'api', { blue: 50.5, green: 49.5 }, at)).toThrow(/integers 0-999/);
    expect(() => trafficWeightData('', 'api', { blue: 100, green: 0 }, at)).toThrow(
      /environment must be 1-1024/,
    );
  });
});

describe('dashboard name and console link', () => {
  it('names the dashboard <project>-<env>', () => {
    expect(dashboardName('switchyard', 'prod')).toBe('switchyard-prod');
    expect(() => dashboardName('switch yard', 'prod')).toThrow(/must be 1-255 characters/);
  });

  it('links the console of the region, in the partition of the region', () => {
    expect(dashboardConsoleUrl('eu-west-1', 'switchyard-prod')).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/switchyard-prod',
    );
    expect(dashboardConsoleUrl('cn-north-1', 'x')).toMatch(
      /^https:\/\/console\.amazonaws\.cn\/cloudwatch\/home\?region=cn-north-1#/,
    );
    expect(dashboardConsoleUrl('us-gov-west-1', 'x')).toMatch(/^https:\/\/console\.amazonaws-us-gov\.com\//);
    expect(() => dashboardConsoleUrl('Europe', 'x')).toThrow(/not an AWS region/);
    expect(() => dashboardConsoleUrl('eu-west-1', 'a b')).toThrow(/not a dashboard name/);
  });
});
