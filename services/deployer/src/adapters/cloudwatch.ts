/**
 * MetricsPort on @aws-sdk/client-cloudwatch.
 *
 * - targetGroupRequests: one GetMetricData call (two queries, Sum, period 60 s, namespace
 *   AWS/ApplicationELB, dimensions LoadBalancer + TargetGroup). A minute without data counts as 0 —
 *   the ALB publishes nothing for a target group that received no requests.
 * - targetGroupLatency: one GetMetricData call, three queries over the whole window as ONE period
 *   (Period = toMs − fromMs, whole minutes: "a period can be as short as one minute (60 seconds) and must be
 *   a multiple of 60", CloudWatch API reference, MetricStat): RequestCount Sum, TargetConnectionErrorCount
 *   Sum and TargetResponseTime `p99` (an extended statistic: the p99 of every request in the window, not a
 *   mean of per-minute p99s). StartTime is a whole minute, which CloudWatch keeps as is ("Start time less
 *   than 15 days ago - Round down to the nearest whole minute"). No datapoint = no requests / no errors /
 *   no p99 (the ALB reports these metrics only when they are nonzero).
 * - publishTrafficWeight: PutMetricData of `Switchyard/TrafficWeight` (services/topology/metrics.ts), one
 *   call with both colours' datapoints. IAM: `cloudwatch:PutMetricData` has no resource-level permissions,
 *   only the `cloudwatch:namespace` condition key (adapters/permissions.ts).
 * - alarmStates: DescribeAlarms by name (metric and composite alarms, ≤100 names per call): state value
 *   and StateTransitionedTimestamp ("the date and time that the alarm's StateValue most recently
 *   changed" — not StateUpdatedTimestamp, which also moves on evaluation-state updates). A name that
 *   matches no alarm is an error (`not-found`): a misspelt alarm would otherwise silently disable a gate.
 */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataResult,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { SWITCHYARD_METRICS_NAMESPACE, type TrafficWeightDatum } from '../../../topology/metrics';
import { METRIC_PERIOD_MS } from '../core/settings';
import {
  type AlarmState,
  type AlarmStateValue,
  type LatencySample,
  type MetricsPort,
  PortError,
  type RequestCounts,
} from '../ports';
import { aws } from './errors';

/** The gate's metric period (core/settings.ts), in the seconds GetMetricData takes. */
const METRIC_PERIOD_SECONDS = METRIC_PERIOD_MS / 1000;
/** DescribeAlarms accepts at most 100 alarm names per call. */
export const ALARM_NAMES_PER_CALL = 100;

const REQUESTS_ID = 'requests';
const ERRORS_ID = 'errors5xx';
const CONNECTION_ERRORS_ID = 'connectionErrors';
const P99_ID = 'p99';

/** A GetMetricData input over [fromMs, toMs) of one target group's ALB metrics: `[id, metric, stat]` each. */
function targetGroupQueries(
  loadBalancerArnSuffix: string,
  targetGroupArnSuffix: string,
  fromMs: number,
  toMs: number,
  periodSeconds: number,
  queries: readonly (readonly [id: string, metricName: string, stat: string])[],
): GetMetricDataCommandInput {
  return {
    StartTime: new Date(fromMs),
    EndTime: new Date(toMs),
    MetricDataQueries: queries.map(([id, metricName, stat]) => ({
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
        Period: periodSeconds,
        Stat: stat,
      },
      ReturnData: true,
    })),
  };
}

export function metricDataInput(
  loadBalancerArnSuffix: string,
  targetGroupArnSuffix: string,
  fromMs: number,
  toMs: number,
): GetMetricDataCommandInput {
  return targetGroupQueries(
    loadBalancerArnSuffix,
    targetGroupArnSuffix,
    fromMs,
    toMs,
    METRIC_PERIOD_SECONDS,
    [
      [REQUESTS_ID, 'RequestCount', 'Sum'],
      [ERRORS_ID, 'HTTPCode_Target_5XX_Count', 'Sum'],
    ],
  );
}

/** The GetMetricData input of `targetGroupLatency`: three queries, the window as one period. */
export function latencyDataInput(
  loadBalancerArnSuffix: string,
  targetGroupArnSuffix: string,
  fromMs: number,
  toMs: number,
): GetMetricDataCommandInput {
  return targetGroupQueries(
    loadBalancerArnSuffix,
    targetGroupArnSuffix,
    fromMs,
    toMs,
    (toMs - fromMs) / 1000,
    [
      [REQUESTS_ID, 'RequestCount', 'Sum'],
      [CONNECTION_ERRORS_ID, 'TargetConnectionErrorCount', 'Sum'],
      [P99_ID, 'TargetResponseTime', 'p99'],
    ],
  );
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
    const results = await this.allResults(
      metricDataInput(loadBalancerArnSuffix, targetGroupArnSuffix, fromMs, toMs),
      targetGroupArnSuffix,
    );
    return { requests: sum(results, REQUESTS_ID), errors5xx: sum(results, ERRORS_ID) };
  }

  async targetGroupLatency(
    loadBalancerArnSuffix: string,
    targetGroupArnSuffix: string,
    fromMs: number,
    toMs: number,
  ): Promise<LatencySample> {
    if (!(toMs > fromMs) || (toMs - fromMs) % METRIC_PERIOD_MS !== 0 || fromMs % METRIC_PERIOD_MS !== 0) {
      throw new PortError('invalid', `latency window must be whole minutes: [${fromMs}, ${toMs})`);
    }
    const results = await this.allResults(
      latencyDataInput(loadBalancerArnSuffix, targetGroupArnSuffix, fromMs, toMs),
      targetGroupArnSuffix,
    );
    // one period: at most one value; should CloudWatch split it anyway, the largest p99 is the safe side
    const p99s = results.filter((r) => r.Id === P99_ID).flatMap((r) => r.Values ?? []);
    return {
      requests: sum(results, REQUESTS_ID),
      connectionErrors: sum(results, CONNECTION_ERRORS_ID),
      ...(p99s.length > 0 ? { p99Seconds: Math.max(...p99s) } : {}),
    };
  }

  /** Every result of a GetMetricData input, following NextToken. */
  private async allResults(input: GetMetricDataCommandInput, tg: string): Promise<MetricDataResult[]> {
    const results: MetricDataResult[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const out = await aws(`CloudWatch GetMetricData ${tg}`, () =>
        this.client.send(new GetMetricDataCommand({ ...input, ...(token ? { NextToken: token } : {}) })),
      );
      results.push(...(out.MetricDataResults ?? []));
      nextToken = out.NextToken;
    } while (nextToken);
    return results;
  }

  async alarmStates(alarmNames: readonly string[]): Promise<AlarmState[]> {
    const names = [...new Set(alarmNames)];
    const found = new Map<string, AlarmState>();
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
          const since = a.StateTransitionedTimestamp?.getTime();
          found.set(a.AlarmName, {
            name: a.AlarmName,
            state: stateOf(a.StateValue),
            ...(since !== undefined && Number.isFinite(since) ? { since } : {}),
          });
        }
        nextToken = out.NextToken;
      } while (nextToken);
    }
    const missing = names.filter((n) => !found.has(n));
    if (missing.length > 0) {
      throw new PortError(
        'not-found',
        `CloudWatch alarm(s) not found: ${missing.join(', ')}; fix the alarm names in the topology (alarms.blue / alarms.green / alarms.shared)`,
      );
    }
    return names.map((n) => found.get(n)!);
  }
}

/** An unknown state value counts as INSUFFICIENT_DATA (not firing, not OK). */
function stateOf(v: string | undefined): AlarmStateValue {
  return v === 'OK' || v === 'ALARM' ? v : 'INSUFFICIENT_DATA';
}

/** Publishes `Switchyard/TrafficWeight` (services/topology/metrics.ts) — one PutMetricData per weight write. */
export class AwsTrafficWeightPublisher {
  constructor(private readonly client: CloudWatchClient) {}

  async publish(data: readonly TrafficWeightDatum[]): Promise<void> {
    await aws(`CloudWatch PutMetricData ${SWITCHYARD_METRICS_NAMESPACE}`, () =>
      this.client.send(
        new PutMetricDataCommand({
          Namespace: SWITCHYARD_METRICS_NAMESPACE,
          MetricData: data.map((d) => ({
            MetricName: d.MetricName,
            Dimensions: d.Dimensions.map((x) => ({ Name: x.Name, Value: x.Value })),
            Timestamp: d.Timestamp,
            Value: d.Value,
            Unit: d.Unit,
          })),
        }),
      ),
    );
  }
}
