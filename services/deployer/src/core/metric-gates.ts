/**
 * The response gates beside the 5xx share: p99 latency and connection errors of the new colour's target
 * group, judged over the same whole-minute window as the 5xx gate (gates.ts `fiveXxWindow`) with the same
 * publication delay (settings.ts `METRIC_DELAY_MS`).
 *
 * Why per target group: the load balancer's own 502/504 (`HTTPCode_ELB_5XX_Count` and its 502/503/504
 * variants) are published with the `LoadBalancer` (and `AvailabilityZone`) dimensions only — AWS: "Dimensions:
 * LoadBalancer; AvailabilityZone, LoadBalancer" (ELB docs, "CloudWatch metrics for your Application Load
 * Balancer") — so they cannot be attributed to a colour (the shared ELB 5xx alarm watches them). A colour
 * that times out or refuses connections is caught here instead: `TargetConnectionErrorCount` ("the number
 * of connections that were not successfully established between the load balancer and the target",
 * dimensions include `LoadBalancer, TargetGroup`, statistic Sum) and `TargetResponseTime` ("the time
 * elapsed, in seconds, after the request leaves the load balancer until a response from the target is
 * received"; "the most useful statistics are Average and pNN.NN"), read as the extended statistic `p99`.
 *
 * Latency limit: `max(maxP99LatencySeconds, baseline p99 × p99BaselineFactor)` where the baseline is the
 * LIVE colour's own p99 over the published minutes before traffic first moved: a service that is always
 * slow is judged against itself, a fast one against the absolute ceiling (which is also the noise floor:
 * a p99 under it never fails). Connection errors are judged as a share, absolute: a healthy colour has
 * none, whatever the live one shows, so a baseline would only excuse an incident.
 *
 * Pure, except `readLatencyBaseline` (one GetMetricData through the metrics port).
 */
import type { Colour, DeploymentSettings, ServiceTopology } from '../../../topology';
import type { Clock, LatencySample, MetricsPort } from '../ports';
import type { Emitter } from './events';
import { GATE_RETRY, type RetryPolicy, withRetry } from './retry';
import { FIVE_XX_WINDOW_MS, METRIC_DELAY_MS, METRIC_PERIOD_MS } from './settings';

/** Core defaults for topologies published without these settings (the tier defaults live in environments/tiers.ts). */
export const DEFAULT_MAX_P99_LATENCY_SECONDS = 3;
export const DEFAULT_P99_BASELINE_FACTOR = 2;
export const DEFAULT_MIN_LATENCY_SAMPLE_REQUESTS = 200;
export const DEFAULT_MAX_CONNECTION_ERROR_RATIO = 0.01;

/** The response-gate settings of a run, defaults applied. */
export interface ResponseGateSettings {
  /** Absolute p99 ceiling (seconds); 0 = latency gate off. */
  readonly maxP99Seconds: number;
  readonly baselineFactor: number;
  readonly minLatencySample: number;
  /** 1 = connection-error gate off. */
  readonly maxConnectionErrorRatio: number;
  /** Attempts (requests + connection errors) before the connection-error share is judged. */
  readonly minConnectionSample: number;
}

export function responseGateSettings(s: DeploymentSettings): ResponseGateSettings {
  return {
    maxP99Seconds: s.maxP99LatencySeconds ?? DEFAULT_MAX_P99_LATENCY_SECONDS,
    baselineFactor: s.p99BaselineFactor ?? DEFAULT_P99_BASELINE_FACTOR,
    minLatencySample: s.minLatencySampleRequests ?? DEFAULT_MIN_LATENCY_SAMPLE_REQUESTS,
    maxConnectionErrorRatio: s.maxConnectionErrorRatio ?? DEFAULT_MAX_CONNECTION_ERROR_RATIO,
    minConnectionSample: Math.max(1, s.min5xxSampleRequests),
  };
}

export const latencyGateOn = (g: ResponseGateSettings) => g.maxP99Seconds > 0;
export const connectionGateOn = (g: ResponseGateSettings) => g.maxConnectionErrorRatio < 1;

/**
 * The baseline window: the last FIVE_XX_WINDOW_MS of whole minutes CloudWatch must have published by `at`
 * (it publishes a minute up to METRIC_DELAY_MS late). With `at` = when traffic first moved, the minutes
 * before the shift: the live colour alone, at full traffic.
 */
export function baselineWindow(at: number): { readonly fromMs: number; readonly toMs: number } {
  const toMs = Math.floor((at - METRIC_DELAY_MS) / METRIC_PERIOD_MS) * METRIC_PERIOD_MS;
  return { fromMs: toMs - FIVE_XX_WINDOW_MS, toMs };
}

/** The live colour's p99 before traffic moved; `p99Seconds` only when enough requests back it. */
export interface LatencyBaseline {
  readonly colour: Colour;
  readonly requests: number;
  readonly p99Seconds?: number;
  readonly fromMs: number;
  readonly toMs: number;
}

/** The p99 limit for a baseline (seconds): `max(absolute, baseline × factor)`. */
export function latencyLimit(g: ResponseGateSettings, baselineP99?: number): number {
  return baselineP99 === undefined
    ? g.maxP99Seconds
    : Math.max(g.maxP99Seconds, baselineP99 * g.baselineFactor);
}

export interface LatencyJudgement {
  /** Enough requests in the window (and the gate is on). */
  readonly judged: boolean;
  readonly p99Seconds?: number;
  readonly limitSeconds: number;
  /** The limit came from the baseline (it is above the absolute ceiling). */
  readonly fromBaseline: boolean;
  readonly failed: boolean;
}

/** Judges a p99 sample against the limit. Pure. */
export function judgeLatency(
  sample: Pick<LatencySample, 'requests' | 'p99Seconds'>,
  g: ResponseGateSettings,
  baselineP99?: number,
): LatencyJudgement {
  const limitSeconds = latencyLimit(g, baselineP99);
  const fromBaseline = baselineP99 !== undefined && limitSeconds > g.maxP99Seconds;
  const judged = latencyGateOn(g) && sample.p99Seconds !== undefined && sample.requests >= g.minLatencySample;
  return {
    judged,
    ...(sample.p99Seconds !== undefined ? { p99Seconds: sample.p99Seconds } : {}),
    limitSeconds,
    fromBaseline,
    failed: judged && sample.p99Seconds! > limitSeconds,
  };
}

export interface ConnectionJudgement {
  readonly judged: boolean;
  /** Connection errors / (requests + connection errors). */
  readonly ratio: number;
  readonly failed: boolean;
}

/**
 * Judges connection errors. The share is taken over attempts (requests + connection errors): whether
 * RequestCount includes a request whose connection failed is not documented, so this undercounts by at
 * most half — and a colour that refuses every connection still reads ~100 %. Pure.
 */
export function judgeConnectionErrors(
  sample: Pick<LatencySample, 'requests' | 'connectionErrors'>,
  g: ResponseGateSettings,
): ConnectionJudgement {
  const attempts = sample.requests + sample.connectionErrors;
  const ratio = attempts > 0 ? sample.connectionErrors / attempts : 0;
  const judged = connectionGateOn(g) && attempts >= g.minConnectionSample;
  return { judged, ratio, failed: judged && ratio > g.maxConnectionErrorRatio };
}

/** Reads the p99 baseline of `colour` for traffic that first moved at `trafficSinceMs`. */
export async function readLatencyBaseline(
  deps: { readonly metrics: MetricsPort; readonly clock: Clock },
  t: ServiceTopology,
  colour: Colour,
  trafficSinceMs: number,
  g: ResponseGateSettings,
  emitter?: Emitter,
): Promise<LatencyBaseline> {
  const w = baselineWindow(trafficSinceMs);
  const s = await readColourLatency(deps, t, colour, w, GATE_RETRY, emitter);
  return {
    colour,
    requests: s.requests,
    ...(s.p99Seconds !== undefined && s.requests >= g.minLatencySample ? { p99Seconds: s.p99Seconds } : {}),
    ...w,
  };
}

/** One `targetGroupLatency` read of `colour` over `w`, retried with `policy`. */
export function readColourLatency(
  deps: { readonly metrics: MetricsPort; readonly clock: Clock },
  t: ServiceTopology,
  colour: Colour,
  w: { readonly fromMs: number; readonly toMs: number },
  policy: RetryPolicy,
  emitter?: Emitter,
): Promise<LatencySample> {
  return withRetry(
    deps.clock,
    'cloudwatch:GetMetricData',
    () =>
      deps.metrics.targetGroupLatency(
        t.loadBalancerArnSuffix,
        t.targetGroupArnSuffixes[colour],
        w.fromMs,
        w.toMs,
      ),
    { ...(emitter ? { emitter } : {}), policy },
  );
}

/** `0.213` → `0.21s`, `12.5` → `12.5s`. */
export function seconds(v: number): string {
  return v >= 10 ? `${v.toFixed(1)}s` : `${v.toFixed(2)}s`;
}
