/**
 * What the plan knows of the live colour's traffic before a deploy, read in the read-only preflight (also
 * by `--dry-run`): its request rate and p99 over the last published minutes (one GetMetricData), whether
 * the 5xx gate can judge this release at all (core/quiet.ts), and the response gates that will judge it
 * (core/metric-gates.ts). Never refuses: an unreadable rate is a warning.
 *
 * core/deploy.ts calls `withTrafficCheck` on the plan it built (a one-line hook) and `DeployPlan` extends
 * `PlanTrafficExtras`.
 */
import type { Colour, DeploymentSettings, ServiceTopology } from '../../../topology';
import type { Clock, MetricsPort } from '../ports';
import type { Emitter } from './events';
import {
  baselineWindow,
  latencyLimit,
  readColourLatency,
  responseGateSettings,
  seconds,
} from './metric-gates';
import { minJudgeablePerMinute, tooQuietToJudge, unjudgedPercents, WINDOW_MINUTES } from './quiet';
import { DEFAULT_RETRY } from './retry';
import { METRIC_PERIOD_MS } from './settings';

/** The live colour's traffic before the deploy and what it means for the gates. */
export interface PlanTraffic {
  /** The colour read (the live one). */
  readonly colour: Colour;
  /** Requests per minute over the window; undefined when it could not be read. */
  readonly perMinute?: number;
  /** p99 TargetResponseTime over the window (seconds), when CloudWatch had one. */
  readonly p99Seconds?: number;
  readonly fromMs: number;
  readonly toMs: number;
  /** At 100 % the 5xx gate can never judge a window: the release is gated by health and alarms only. */
  readonly quiet: boolean;
  /** Requests a minute the 5xx gate needs (twice min5xxSampleRequests over its window). */
  readonly neededPerMinute: number;
  /** Step percentages (not 100) at which the new colour's share is too small to judge. */
  readonly unjudgedPercents: readonly number[];
  /** Why the rate is unknown, when it is. */
  readonly unknownReason?: string;
}

/** The response gates of a run, as the plan shows them (defaults applied). */
export interface ResponseGatePlan {
  /** 0 = off. */
  readonly maxP99LatencySeconds: number;
  readonly p99BaselineFactor: number;
  readonly minLatencySampleRequests: number;
  /** 1 = off. */
  readonly maxConnectionErrorRatio: number;
  /** The p99 limit with the baseline read now (re-read from the minutes before the first shift). */
  readonly p99LimitNowSeconds?: number;
}

/** Fields core/deploy.ts's `DeployPlan` carries from this module. */
export interface PlanTrafficExtras {
  readonly traffic?: PlanTraffic;
  readonly responseGates?: ResponseGatePlan;
}

interface PlanLike {
  readonly service: string;
  readonly liveColour: Colour;
  readonly idleColour: Colour;
  readonly steps: readonly { readonly percent: number }[];
  readonly warnings?: readonly string[];
}

/** Reads the live colour's traffic and adds `traffic`, `responseGates` and any warnings to the plan. */
export async function withTrafficCheck<P extends PlanLike>(
  deps: { readonly metrics: MetricsPort; readonly clock: Clock },
  t: ServiceTopology,
  settings: DeploymentSettings,
  plan: P,
  emitter?: Emitter,
): Promise<P & PlanTrafficExtras> {
  const g = responseGateSettings(settings);
  const w = baselineWindow(deps.clock.now());
  const minutes = (w.toMs - w.fromMs) / METRIC_PERIOD_MS;
  const min = settings.min5xxSampleRequests;
  let traffic: PlanTraffic;
  try {
    const s = await readColourLatency(deps, t, plan.liveColour, w, DEFAULT_RETRY, emitter);
    const perMinute = s.requests / minutes;
    traffic = {
      colour: plan.liveColour,
      perMinute,
      ...(s.p99Seconds !== undefined ? { p99Seconds: s.p99Seconds } : {}),
      ...w,
      quiet: tooQuietToJudge(perMinute, min),
      neededPerMinute: minJudgeablePerMinute(min),
      unjudgedPercents: unjudgedPercents(
        perMinute,
        plan.steps.map((x) => x.percent).filter((p) => p < 100),
        min,
      ),
    };
  } catch (e) {
    traffic = {
      colour: plan.liveColour,
      ...w,
      quiet: false,
      neededPerMinute: minJudgeablePerMinute(min),
      unjudgedPercents: [],
      unknownReason: (e as Error).message,
    };
  }
  const baselineP99 =
    traffic.p99Seconds !== undefined && (traffic.perMinute ?? 0) * minutes >= g.minLatencySample
      ? traffic.p99Seconds
      : undefined;
  const responseGates: ResponseGatePlan = {
    maxP99LatencySeconds: g.maxP99Seconds,
    p99BaselineFactor: g.baselineFactor,
    minLatencySampleRequests: g.minLatencySample,
    maxConnectionErrorRatio: g.maxConnectionErrorRatio,
    ...(g.maxP99Seconds > 0 ? { p99LimitNowSeconds: latencyLimit(g, baselineP99) } : {}),
  };
  return {
    ...plan,
    traffic,
    responseGates,
    warnings: [...(plan.warnings ?? []), ...trafficWarnings(plan, traffic, settings)],
  };
}

/** The plan warnings of a traffic reading (pure). */
export function trafficWarnings(
  plan: Pick<PlanLike, 'service' | 'liveColour' | 'idleColour'>,
  traffic: PlanTraffic,
  settings: Pick<DeploymentSettings, 'min5xxSampleRequests'>,
): string[] {
  const rate = (n: number) => (n >= 10 ? `${Math.round(n)}` : n.toFixed(1));
  if (traffic.perMinute === undefined) {
    return [
      `could not read ${traffic.colour}'s request count before the deploy (${traffic.unknownReason ?? 'unknown error'}): whether the 5xx gate can judge this release is unknown`,
    ];
  }
  const needed = rate(traffic.neededPerMinute);
  if (traffic.quiet) {
    return [
      `${plan.service} is too quiet for the 5xx gate: ${plan.liveColour} served ~${rate(traffic.perMinute)} requests/min before the deploy, a judged window needs ≥ ${needed}/min (twice min5xxSampleRequests ${settings.min5xxSampleRequests} in ${WINDOW_MINUTES} minutes). Its 5xx and latency gates will not judge this release: target health and alarms are what gate it — test it through the test listener`,
    ];
  }
  if (traffic.unjudgedPercents.length > 0) {
    const ps = traffic.unjudgedPercents.map((p) => `${p}%`).join(', ');
    return [
      `at ${ps} ${plan.idleColour} gets too few requests for the 5xx gate (~${rate((traffic.perMinute * traffic.unjudgedPercents[0]!) / 100)}/min at ${traffic.unjudgedPercents[0]}%, ≥ ${needed}/min needed): those steps are gated by health and alarms; the 5xx gate judges from the full shift on`,
    ];
  }
  return [];
}

/** One line for people: the traffic reading (plan output, summary). */
export function describeTraffic(traffic: PlanTraffic): string {
  if (traffic.perMinute === undefined) return `unknown (${traffic.unknownReason ?? 'unreadable'})`;
  const p99 = traffic.p99Seconds !== undefined ? `, p99 ${seconds(traffic.p99Seconds)}` : '';
  return `~${traffic.perMinute >= 10 ? Math.round(traffic.perMinute) : traffic.perMinute.toFixed(1)} requests/min on ${traffic.colour}${p99} (last ${(traffic.toMs - traffic.fromMs) / METRIC_PERIOD_MS} published minutes)`;
}
