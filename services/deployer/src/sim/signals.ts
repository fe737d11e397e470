/**
 * "First failed signal" of a run, computed after the fact from the simulated world — the earliest
 * virtual instant at which a gate reading the APIs could have seen the fault. Used by tests and the
 * benchmark to measure the time from that instant to the restoring write.
 */
import type { DeploymentSettings, ServiceTopology } from '../../../topology';
import { fiveXxWindow, judge5xx } from '../core/gates';
import type { SimWorld } from './world';

/**
 * Earliest whole second in [trafficSinceMs, toMs] at which the 5xx gate, reading CloudWatch as the
 * simulation publishes it (whole minutes, 60–120 s late), would fail. `sustained`: the earliest second
 * from which it keeps failing up to `toMs` — a ratio hovering at the limit can fail for one second and
 * pass the next, which no poller can promise to catch.
 */
export function first5xxFailureAt(
  world: SimWorld,
  targetGroupArn: string,
  settings: Pick<DeploymentSettings, 'max5xxRatio' | 'min5xxSampleRequests'>,
  trafficSinceMs: number,
  toMs: number,
  sustained = false,
): number | undefined {
  const tg = world.state.targetGroups[targetGroupArn];
  if (!tg) return undefined;
  const startSecond = Math.ceil(trafficSinceMs / 1000) * 1000;
  let since: number | undefined;
  for (let t = startSecond; t <= toMs; t += 1000) {
    const w = fiveXxWindow(t, trafficSinceMs);
    const c = w ? world.publishedCounts(tg, w.fromMs, w.toMs, t) : { requests: 0, errors: 0 };
    const counts = { requests: Math.round(c.requests), errors5xx: Math.round(c.errors) };
    const failed = judge5xx(counts, settings).failed;
    if (failed && !sustained) return t;
    if (failed) since ??= t;
    else since = undefined;
  }
  return since;
}

/** Window of the "onset" measure: per-second counts as they happen, before CloudWatch's aggregation/delay. */
export const ONSET_WINDOW_MS = 60_000;

/**
 * When the 5xx fault actually started hurting users: the earliest second at which the per-second counts
 * over the last ONSET_WINDOW_MS (since the traffic started) would fail the 5xx limit — what a gate
 * without CloudWatch's minute aggregation and publication delay would see. Onset → restoring write
 * includes that delay; it is the user-facing exposure.
 */
export function first5xxOnsetAt(
  world: SimWorld,
  targetGroupArn: string,
  settings: Pick<DeploymentSettings, 'max5xxRatio' | 'min5xxSampleRequests'>,
  trafficSinceMs: number,
  toMs: number,
): number | undefined {
  const tg = world.state.targetGroups[targetGroupArn];
  if (!tg) return undefined;
  for (let t = Math.ceil(trafficSinceMs / 1000) * 1000; t <= toMs; t += 1000) {
    const c = world.requestCounts(tg, Math.max(trafficSinceMs, t - ONSET_WINDOW_MS), t);
    const counts = { requests: Math.round(c.requests), errors5xx: Math.round(c.errors) };
    if (judge5xx(counts, settings).failed) return t;
  }
  return undefined;
}

/** First time the production rule gave weight > 0 to a target group that had none (the first shift). */
export function firstShiftAt(world: SimWorld, topology: ServiceTopology): number | undefined {
  return world.state.weightHistory.find(
    (w) => w.ruleArn === topology.productionRuleArn && w.newlyServing.length > 0,
  )?.at;
}

/**
 * The first failed signal of a run: the earliest of the 5xx gate failing, an alarm firing, a target
 * turning unhealthy or a task crashing, as recorded by the world (or `interruptAt` for SIGINT).
 */
export function firstFailedSignalAt(
  world: SimWorld,
  topology: ServiceTopology,
  settings: DeploymentSettings,
  opts: { colour: 'blue' | 'green'; untilMs: number; interruptAt?: number; sustained?: boolean },
): number | undefined {
  const candidates: number[] = [];
  for (const s of world.state.faultSignals) if (s.fault !== '5xx-spike') candidates.push(s.at);
  const since = firstShiftAt(world, topology);
  if (since !== undefined) {
    const tg = topology.targetGroupArns[opts.colour];
    const t = first5xxFailureAt(world, tg, settings, since, opts.untilMs, opts.sustained);
    if (t !== undefined) candidates.push(t);
  }
  if (opts.interruptAt !== undefined) candidates.push(opts.interruptAt);
  return candidates.length > 0 ? Math.min(...candidates) : undefined;
}
