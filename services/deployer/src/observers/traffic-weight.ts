/**
 * Publishes `Switchyard/TrafficWeight` (services/topology/metrics.ts) at every weight write of the run, so
 * the environment's dashboard shows the deploy: the events `weights.set` (a deploy step, core/traffic.ts)
 * and `rollback.restored` (a restoring write: core/restore.ts, core/traffic.ts) carry the weights written.
 * Best effort: a failed or slow PutMetricData is one warning; the deploy never waits for it.
 */
import type { Colour } from '../../../topology';
import { type TrafficWeightDatum, trafficWeightData } from '../../../topology/metrics';
import type { DeployEvent } from '../ports';
import {
  Background,
  OBSERVER_REQUEST_TIMEOUT_MS,
  type RunObserver,
  type WarnFn,
  withTimeout,
} from './run-observer';

/** Where the data points go (adapters/cloudwatch.ts `AwsTrafficWeightPublisher`). */
export interface TrafficWeightPublisher {
  publish(data: readonly TrafficWeightDatum[]): Promise<void>;
}

/** Event types whose data carries the weights just written (`blue`, `green`). */
export const WEIGHT_WRITE_EVENTS: readonly string[] = ['weights.set', 'rollback.restored'];

/** The weights an event says were written, or undefined. */
export function writtenWeights(e: DeployEvent): Record<Colour, number> | undefined {
  if (!WEIGHT_WRITE_EVENTS.includes(e.type)) return undefined;
  const blue = e.data?.blue;
  const green = e.data?.green;
  return typeof blue === 'number' && typeof green === 'number' ? { blue, green } : undefined;
}

export interface TrafficWeightObserverOptions {
  readonly environment: string;
  readonly service: string;
  readonly publisher: TrafficWeightPublisher;
  readonly warn: WarnFn;
  /** @default OBSERVER_REQUEST_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

export function trafficWeightObserver(o: TrafficWeightObserverOptions): RunObserver {
  const background = new Background();
  const timeoutMs = o.timeoutMs ?? OBSERVER_REQUEST_TIMEOUT_MS;
  let failures = 0;
  return {
    emit(e) {
      const weights = writtenWeights(e);
      if (!weights) return;
      let data: TrafficWeightDatum[];
      try {
        data = trafficWeightData(o.environment, o.service, weights, new Date(e.at));
      } catch {
        return; // weights ALB would not hold (both 0): nothing to chart
      }
      background.run(
        () => withTimeout(timeoutMs, 'PutMetricData', () => o.publisher.publish(data)),
        (err) => {
          // one line per run is enough: the next writes would fail the same way
          if (failures++ === 0)
            o.warn(
              'metrics.weight-not-published',
              `the traffic weight (blue ${weights.blue} / green ${weights.green}) was not published to CloudWatch (Switchyard/TrafficWeight): ${(err as Error)?.message ?? String(err)}; the dashboard misses this change — the deploy is not affected`,
            );
        },
      );
    },
    settle: (deadline) => background.settle(deadline),
  };
}
