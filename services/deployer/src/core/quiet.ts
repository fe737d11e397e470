/**
 * Quiet services: traffic too low for the 5xx gate to ever judge a window. Such a service deploys with its
 * 5xx (and latency) gates unjudged — health checks and alarms still gate it — and the plan and the summary
 * say so (core/plan-traffic.ts); in prod it must prove itself otherwise (a smoke test or an explicit
 * opt-in, decided by the deploy core with `tooQuietToJudge`).
 *
 * The criterion is the 5xx gate's own (gates.ts `fiveXxDataDueAt`): a judged window needs twice
 * `min5xxSampleRequests` (a margin for normal variation) within the FIVE_XX_WINDOW_MS window. Pure.
 */
import { FIVE_XX_WINDOW_MS, METRIC_PERIOD_MS } from './settings';

/** Whole minutes in the 5xx gate's window. */
export const WINDOW_MINUTES = FIVE_XX_WINDOW_MS / METRIC_PERIOD_MS;

/**
 * Whole minutes of traffic at `perMinute` that hold twice `minSample` requests, or undefined when they do
 * not fit in the 5xx window (the gate can never judge that traffic).
 */
export function judgedWindowMinutes(perMinute: number | undefined, minSample: number): number | undefined {
  if (perMinute === undefined || !(perMinute > 0)) return undefined;
  const minutes = Math.max(1, Math.ceil((2 * Math.max(1, minSample)) / perMinute));
  return minutes <= WINDOW_MINUTES ? minutes : undefined;
}

/** Requests per minute the 5xx gate needs to judge a window at all. */
export function minJudgeablePerMinute(minSample: number): number {
  return (2 * Math.max(1, minSample)) / WINDOW_MINUTES;
}

/**
 * The "is this service too quiet to judge" verdict: at `perMinute` requests a minute (the live colour's
 * rate before the deploy, i.e. what the new colour gets at 100 %), the 5xx gate never holds a judged
 * window. An unknown rate is not "quiet" (it is unknown; the plan says so separately).
 */
export function tooQuietToJudge(perMinute: number | undefined, minSample: number): boolean {
  return perMinute !== undefined && judgedWindowMinutes(perMinute, minSample) === undefined;
}

/** Percentages of a weight schedule at which the new colour's share of `perMinute` is too quiet to judge. */
export function unjudgedPercents(
  perMinute: number | undefined,
  percents: readonly number[],
  minSample: number,
): number[] {
  if (perMinute === undefined) return [];
  return percents.filter((p) => tooQuietToJudge((perMinute * p) / 100, minSample));
}
