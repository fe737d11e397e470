/**
 * MetricsPort on @aws-sdk/client-cloudwatch.
 *
 * - targetGroupRequests: one GetMetricData call (two queries, Sum, period 60 s, namespace
 *   AWS/ApplicationELB, dimensions LoadBalancer + TargetGroup). A minute without data counts as 0 —
 *   the ALB publishes nothing for a target group that received no requests.
 * - alarmsFiring: DescribeAlarms by name (metric and composite alarms, ≤100 names per call). A name
 *   that matches no alarm is an error (`not-found`): a misspelt alarm would otherwise silently
 *   disable a gate.
 */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { METRIC_PERIOD_MS } from '../core/settings';
import { type MetricsPort, PortError, type RequestCounts } from '../ports';
import { aws } from './errors';

/** The gate's metric period (core/settings.ts), in the seconds GetMetricData takes. */
const METRIC_PERIOD_SECONDS = METRIC_PERIOD_MS / 1000;
/** DescribeAlarms accepts at most 100 alarm names per call. */
export const ALARM_NAMES_PER_CALL = 100;

const REQUESTS_ID = 'requests';
const ERRORS_ID = 'errors5xx';

export function metricDataInput(
  loadBalancerArnSuffix: string,
  targetGroupArnSuffix: string,
  fromMs: number,
  toMs: number,
): GetMetricDataCommandInput {
  const metric = (id: string, metricName: string) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: metricName,
        Dimensions: [
          { Name: 'LoadBalancer', Value: loadBalancerArnSuffix },
          { Name: 'TargetGroup', Value: targetGroupArnSuffix },
        ],
      },
      Period: METRIC_PERIOD_SECONDS,
      Stat: 'Sum',
    },
    ReturnData: true,
  });
  return {
    StartTime: new Date(fromMs),
    EndTime: new Date(toMs),
    MetricDataQueries: [metric(REQUESTS_ID, 'RequestCount'), metric(ERRORS_ID, 'HTTPCode_Target_5XX_Count')],
  };
}

const sum = (results: MetricDataResult[], id: string) =>
  results.filter((r) => r.Id === id).reduce((acc, r) => acc + (r.Values ?? []).reduce((a, v) => a + v, 0), 0);

export class AwsMetricsAdapter implements MetricsPort {
  constructor(private readonly client: CloudWatchClient) {}

  async targetGroupRequests(
    loadBalancerArnSuffix: string,
    targetGroupArnSuffix: string,
    fromMs: number,
    toMs: number,
  ): Promise<RequestCounts> {
    if (!(toMs > fromMs)) throw new PortError('invalid', `metrics window is empty: [${fromMs}, ${toMs})`);
    const input = metricDataInput(loadBalancerArnSuffix, targetGroupArnSuffix, fromMs, toMs);
    const what = `CloudWatch GetMetricData ${targetGroupArnSuffix}`;
    const results: MetricDataResult[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const out = await aws(what, () =>
        this.client.send(new GetMetricDataCommand({ ...input, ...(token ? { NextToken: token } : {}) })),
      );
      results.push(...(out.MetricDataResults ?? []));
      nextToken = out.NextToken;
    } while (nextToken);
    return { requests: sum(results, REQUESTS_ID), errors5xx: sum(results, ERRORS_ID) };
  }

  async alarmsFiring(alarmNames: readonly string[]): Promise<string[]> {
    const names = [...new Set(alarmNames)];
    const firing: string[] = [];
    const found = new Set<string>();
    for (let i = 0; i < names.length; i += ALARM_NAMES_PER_CALL) {
      const batch = names.slice(i, i + ALARM_NAMES_PER_CALL);
      let nextToken: string | undefined;
      do {
        const token = nextToken;
        const out = await aws(`CloudWatch DescribeAlarms ${batch.join(', ')}`, () =>
          this.client.send(
            new DescribeAlarmsCommand({
              AlarmNames: batch,
              AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
              MaxRecords: ALARM_NAMES_PER_CALL,
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        );
        for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
          if (!a.AlarmName) continue;
          found.add(a.AlarmName);
          if (a.StateValue === 'ALARM') firing.push(a.AlarmName);
        }
        nextToken = out.NextToken;
      } while (nextToken);
    }
    const missing = names.filter((n) => !found.has(n));
    if (missing.length > 0) {
      throw new PortError(
        'not-found',
        `CloudWatch alarm(s) not found: ${missing.join(', ')}; fix alarmNames in the topology (environments/<env>.yaml)`,
      );
    }
    return names.filter((n) => firing.includes(n));
  }
}
