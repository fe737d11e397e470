/**
 * Weight writes on the production rule: one ModifyRule per step, read back after each write; and the
 * restoring write (100% on the last known good colour) used by rollbacks.
 */
import type { Colour, ServiceTopology } from '../../../topology';
import type { Clock, LoadBalancerPort, WeightedTarget } from '../ports';
import type { Emitter } from './events';
import { GateFailure } from './gates';
import { retryUntil, withRetry } from './retry';
import { DEFAULT_RESTORE_DEADLINE_SECONDS } from './settings';

export interface Weights {
  readonly blue: number;
  readonly green: number;
}

export interface TrafficDeps {
  readonly lb: LoadBalancerPort;
  readonly clock: Clock;
}

/** Weights with `percent` on `colour` and the rest on the other colour. */
export function weightsFor(colour: Colour, percent: number): Weights {
  return colour === 'blue'
    ? { blue: percent, green: 100 - percent }
    : { blue: 100 - percent, green: percent };
}

export function toRule(topology: ServiceTopology, w: Weights): WeightedTarget[] {
  return [
    { targetGroupArn: topology.targetGroupArns.blue, weight: w.blue },
    { targetGroupArn: topology.targetGroupArns.green, weight: w.green },
  ];
}

/** Whether a rule as read carries exactly `w` (nothing on any other target group). */
export function matchesWeights(
  topology: ServiceTopology,
  rule: readonly WeightedTarget[],
  w: Weights,
): boolean {
  const get = (arn: string) => rule.filter((x) => x.targetGroupArn === arn).reduce((s, x) => s + x.weight, 0);
  const others = rule.filter(
    (x) =>
      x.targetGroupArn !== topology.targetGroupArns.blue &&
      x.targetGroupArn !== topology.targetGroupArns.green &&
      x.weight > 0,
  );
  return (
    get(topology.targetGroupArns.blue) === w.blue &&
    get(topology.targetGroupArns.green) === w.green &&
    others.length === 0
  );
}

/**
 * Writes the weights (one ModifyRule) and reads them back; throws GateFailure('weights') on mismatch.
 * Returns when the write took effect (the start of the new colour's traffic, for the 5xx window).
 */
export async function setWeights(
  deps: TrafficDeps,
  topology: ServiceTopology,
  w: Weights,
  emitter?: Emitter,
): Promise<number> {
  const rule = topology.productionRuleArn;
  await withRetry(deps.clock, 'elbv2:ModifyRule', () => deps.lb.setRuleWeights(rule, toRule(topology, w)), {
    emitter,
  });
  const writtenAt = deps.clock.now();
  const back = await withRetry(deps.clock, 'elbv2:DescribeRules', () => deps.lb.getRuleWeights(rule), {
    emitter,
  });
  if (!matchesWeights(topology, back, w)) {
    const got = back.map((x) => `${x.targetGroupArn}=${x.weight}`).join(', ');
    throw new GateFailure(
      'weights',
      `weights read back from ${rule} (${got}) differ from those written (blue ${w.blue} / green ${w.green})`,
      deps.clock.now(),
    );
  }
  emitter?.info('weights.set', `traffic: blue ${w.blue}% / green ${w.green}%`, {
    blue: w.blue,
    green: w.green,
  });
  return writtenAt;
}

/**
 * The restoring write of `switchyard rollback` (flip / recovery): ONE ModifyRule putting 100% on `good`,
 * retried through throttling and network failures until `deadline` (one line per attempt; `fence` before
 * every retry), then a read back (retried likewise). Returns the time the write succeeded and whether the
 * read back matched. The automatic restore of a deploy is core/restore.ts (capacity check included).
 */
export async function restoreTraffic(
  deps: TrafficDeps,
  topology: ServiceTopology,
  good: Colour,
  emitter?: Emitter,
  opts: { deadline?: number; fence?: () => Promise<void> } = {},
): Promise<{ writtenAt: number; verified: boolean }> {
  const w = weightsFor(good, 100);
  const retry = {
    deadline: opts.deadline ?? deps.clock.now() + DEFAULT_RESTORE_DEADLINE_SECONDS * 1000,
    ...(emitter ? { emitter } : {}),
    type: 'restore.retry',
    ...(opts.fence ? { beforeRetry: opts.fence } : {}),
  };
  await retryUntil(
    deps.clock,
    'restoring write (elbv2:ModifyRule)',
    () => deps.lb.setRuleWeights(topology.productionRuleArn, toRule(topology, w)),
    retry,
  );
  const writtenAt = deps.clock.now();
  emitter?.warn('rollback.restored', `traffic restored: 100% on ${good}`, {
    blue: w.blue,
    green: w.green,
    colour: good,
  });
  let verified = false;
  try {
    const back = await retryUntil(
      deps.clock,
      'read back (elbv2:DescribeRules)',
      () => deps.lb.getRuleWeights(topology.productionRuleArn),
      retry,
    );
    verified = matchesWeights(topology, back, w);
  } catch {
    verified = false;
  }
  if (!verified)
    emitter?.error(
      'rollback.unverified',
      `could not confirm the restored weights on ${topology.productionRuleArn}; check it now`,
    );
  return { writtenAt, verified };
}
