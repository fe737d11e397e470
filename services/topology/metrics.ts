/**
 * The custom metric the deployer publishes so the current deploy is visible on the environment's
 * CloudWatch dashboard (modules/dashboard graphs it): after every write of a production rule's weights,
 * one data point per colour with the weight that colour now receives.
 *
 * This file is the single definition both sides import (the dashboard at synth time, the deployer at
 * run time). Keep it free of cdktf and AWS SDK imports: `trafficWeightData` returns plain objects shaped
 * like the SDK's `MetricDatum` (PutMetricData).
 */
import type { Colour } from './index';

/** CloudWatch namespace of every Switchyard metric. Custom namespaces must not start with `AWS/`. */
export const SWITCHYARD_METRICS_NAMESPACE = 'Switchyard';

/** Percentage (0–100) of the production rule's traffic a colour receives, written at each weight write. */
export const TRAFFIC_WEIGHT_METRIC = 'TrafficWeight';

/** Unit of TrafficWeight (a PutMetricData `StandardUnit`). */
export const TRAFFIC_WEIGHT_UNIT = 'Percent';

/**
 * Dimension names of TrafficWeight, in this order. CloudWatch treats every distinct combination of
 * dimension values as its own metric, so the dashboard must query exactly these three.
 */
export const TRAFFIC_WEIGHT_DIMENSIONS = ['Environment', 'Service', 'Colour'] as const;
export type TrafficWeightDimension = (typeof TRAFFIC_WEIGHT_DIMENSIONS)[number];

/** Period and statistic the dashboard graphs the metric with (a deploy writes several points a minute at most). */
export const TRAFFIC_WEIGHT_PERIOD_SECONDS = 60;
export const TRAFFIC_WEIGHT_STATISTIC = 'Maximum';

/** One PutMetricData datum, structurally compatible with `MetricDatum` of @aws-sdk/client-cloudwatch. */
export interface TrafficWeightDatum {
  readonly MetricName: typeof TRAFFIC_WEIGHT_METRIC;
  readonly Dimensions: readonly { readonly Name: TrafficWeightDimension; readonly Value: string }[];
  readonly Timestamp: Date;
  readonly Value: number;
  readonly Unit: typeof TRAFFIC_WEIGHT_UNIT;
}

/** The dimension values of one colour of one service, in TRAFFIC_WEIGHT_DIMENSIONS order. */
export function trafficWeightDimensions(
  environment: string,
  service: string,
  colour: Colour,
): TrafficWeightDatum['Dimensions'] {
  for (const [name, value] of [
    ['environment', environment],
    ['service', service],
  ] as const) {
    // AWS: a dimension value is 1–1024 characters (CloudWatch API reference, Dimension).
    if (value.length === 0 || value.length > 1024) {
      throw new Error(`TrafficWeight: ${name} must be 1-1024 characters (got ${JSON.stringify(value)})`);
    }
  }
  return [
    { Name: 'Environment', Value: environment },
    { Name: 'Service', Value: service },
    { Name: 'Colour', Value: colour },
  ];
}

/**
 * The data points to publish right after a weight write: one per colour, both with the same timestamp.
 * `weights` are the rule's target-group weights as written (ALB weights are integers 0–999, AWS:
 * "TargetGroupTuple Weight: The weight. The range is 0 to 999", ELB API reference); each colour's value is
 * its share of the traffic in percent, so the two lines on the dashboard always add up to 100.
 * Throws on weights ALB would not accept or that route nothing.
 */
export function trafficWeightData(
  environment: string,
  service: string,
  weights: Readonly<Record<Colour, number>>,
  at: Date,
): TrafficWeightDatum[] {
  const { blue, green } = weights;
  for (const w of [blue, green]) {
    if (!Number.isInteger(w) || w < 0 || w > 999) {
      throw new Error(`TrafficWeight: weights must be integers 0-999 (got blue ${blue}, green ${green})`);
    }
  }
  const total = blue + green;
  if (total === 0) {
    throw new Error(
      'TrafficWeight: both weights are 0; the rule routes no traffic, there is no share to publish',
    );
  }
  return (['blue', 'green'] as const).map((colour) => ({
    MetricName: TRAFFIC_WEIGHT_METRIC,
    Dimensions: trafficWeightDimensions(environment, service, colour),
    Timestamp: at,
    Value: (100 * weights[colour]) / total,
    Unit: TRAFFIC_WEIGHT_UNIT,
  }));
}
