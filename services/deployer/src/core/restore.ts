/**
 * The automatic restore: 100% of production traffic onto one colour, verified — used by a deploy whose
 * gate failed (or was interrupted) after traffic moved.
 *
 *   1. capacity — the colour must have at least `required` healthy targets (the live colour's desired
 *      count before the deploy). When it has fewer (a task died, something scaled it in): raise its
 *      autoscaling floor and desired count to `required` first and wait until they are healthy. Traffic
 *      stays where it is meanwhile: flipping everything onto too few tasks would overload them.
 *   2. ONE ModifyRule putting 100% there, retried through throttling and network failures (exponential
 *      backoff, one line per attempt) until the restore deadline; the lock fence runs before every retry,
 *      so a run whose lease ran out (another holder may act) stops instead of writing late.
 *   3. read back (DescribeRules), retried like the write; a mismatch is re-read twice a second apart
 *      (rule reads may lag the write) before it counts.
 *
 * Fails with `RestoreError` (traffic state: `observed`, when it could be read) — the caller exits 1 and
 * never scales anything down — or `LockLostError` from the fence (the caller stops: the new holder owns
 * recovery). All three steps share one deadline (topology `restoreDeadlineSeconds`).
 */
import type { Colour, ServiceTopology } from '../../../topology';
import type { Clock, EcsPort, LoadBalancerPort, ScalingPort, WeightedTarget } from '../ports';
import type { Emitter } from './events';
import { LockLostError } from './lock';
import { DeadlineExceededError, retryUntil } from './retry';
import { bakeFloor, managedAutoscaling, setColourCapacity } from './scaling';
import { matchesWeights, toRule, type Weights, weightsFor } from './traffic';

export interface RestoreDeps {
  readonly ecs: EcsPort;
  readonly lb: LoadBalancerPort;
  readonly clock: Clock;
  readonly scaling?: ScalingPort;
  /** Lock fence, run before every retry and before a scale-up write (throws `LockLostError`). */
  readonly fence?: () => Promise<void>;
}

export interface RestoreOptions {
  /** Healthy targets the colour needs before it gets all traffic (the pre-deploy live count). */
  readonly required: number;
  /** Absolute clock time after which the restore gives up. */
  readonly deadline: number;
  /** How often the capacity wait polls target health. */
  readonly pollMs: number;
  readonly emitter: Emitter;
  /** Healthy targets of the colour read just now (saves the first read). */
  readonly healthyNow?: number;
}

export interface RestoreResult {
  /** When the restoring write succeeded. */
  readonly writtenAt: number;
  /** When the read back confirmed it. */
  readonly confirmedAt: number;
  /** The colour was scaled up (to `required`) before the write. */
  readonly scaledUp: boolean;
  /** ModifyRule attempts. */
  readonly attempts: number;
}

/** The restore could not be made or confirmed; `observed` = the weights last read (if any). */
export class RestoreError extends Error {
  constructor(
    message: string,
    readonly observed?: Weights,
  ) {
    super(message);
    this.name = 'RestoreError';
  }
}

/** Weights by colour of a rule as read (anything else forwarded to is reported in `describeRule`). */
export function colourWeights(t: ServiceTopology, rule: readonly WeightedTarget[]): Weights {
  const get = (arn: string) => rule.filter((x) => x.targetGroupArn === arn).reduce((s, x) => s + x.weight, 0);
  return { blue: get(t.targetGroupArns.blue), green: get(t.targetGroupArns.green) };
}

function describeRule(t: ServiceTopology, rule: readonly WeightedTarget[]): string {
  return rule
    .map(
      (x) =>
        `${x.targetGroupArn === t.targetGroupArns.blue ? 'blue' : x.targetGroupArn === t.targetGroupArns.green ? 'green' : x.targetGroupArn} ${x.weight}`,
    )
    .join(' / ');
}

const why = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Healthy targets of a colour now (retried until the deadline). */
export async function healthyTargets(
  deps: RestoreDeps,
  t: ServiceTopology,
  colour: Colour,
  o: RestoreOptions,
): Promise<number> {
  const targets = await retryUntil(
    deps.clock,
    `capacity check of ${colour} (elbv2:DescribeTargetHealth)`,
    () => deps.lb.describeTargetHealth(t.targetGroupArns[colour]),
    { deadline: o.deadline, emitter: o.emitter, type: 'restore.retry', beforeRetry: deps.fence },
  );
  return targets.filter((x) => x.state === 'healthy').length;
}

/**
 * Step 1: make sure `colour` can carry all traffic (≥ `required` healthy targets), scaling it up first
 * when it cannot. Returns whether it scaled up. Throws `RestoreError` at the deadline.
 */
export async function ensureCapacity(
  deps: RestoreDeps,
  t: ServiceTopology,
  colour: Colour,
  o: RestoreOptions,
): Promise<boolean> {
  let healthy = o.healthyNow ?? (await healthyTargets(deps, t, colour, o));
  if (healthy >= o.required) return false;
  const r = <T>(label: string, fn: () => Promise<T>) =>
    retryUntil(deps.clock, label, fn, {
      deadline: o.deadline,
      emitter: o.emitter,
      type: 'restore.retry',
      beforeRetry: deps.fence,
    });
  const svc = await r('ecs:DescribeServices', () =>
    deps.ecs.describeService(t.cluster, t.ecsServices[colour]),
  );
  o.emitter.warn(
    'restore.capacity',
    `${colour} has ${healthy} healthy target(s) (desired ${svc.desiredCount}); it needs ${o.required} (the live count before the deploy) to take all traffic: scaling it up first, traffic stays as it is meanwhile`,
    { colour, healthy, desired: svc.desiredCount, required: o.required },
  );
  const a = managedAutoscaling(deps, t);
  if (a) {
    // the floor first, or Application Auto Scaling takes the added tasks away again
    await deps.fence?.();
    await setColourCapacity(
      deps,
      t,
      colour,
      bakeFloor(a, o.required),
      o.emitter,
      'restore: carry all traffic',
    );
  }
  if (svc.desiredCount < o.required) {
    await deps.fence?.();
    await r('ecs:UpdateService', () =>
      deps.ecs.updateService(t.cluster, t.ecsServices[colour], { desiredCount: o.required }),
    );
  }
  for (;;) {
    const now = deps.clock.now();
    if (now >= o.deadline) {
      throw new RestoreError(
        `${colour} did not reach ${o.required} healthy targets before the restore deadline (${healthy} healthy); traffic was not moved`,
      );
    }
    await deps.clock.sleep(Math.min(o.pollMs, o.deadline - now));
    healthy = await healthyTargets(deps, t, colour, o);
    o.emitter.info('restore.capacity', `${colour}: ${healthy}/${o.required} healthy`, {
      colour,
      healthy,
      required: o.required,
    });
    if (healthy >= o.required) return true;
  }
}

/** Steps 1–3 (see the file comment). */
export async function restoreVerified(
  deps: RestoreDeps,
  t: ServiceTopology,
  colour: Colour,
  o: RestoreOptions,
): Promise<RestoreResult> {
  const rule = t.productionRuleArn;
  const w = weightsFor(colour, 100);
  const opts = { deadline: o.deadline, emitter: o.emitter, type: 'restore.retry', beforeRetry: deps.fence };
  let attempts = 0;
  let scaledUp = false;
  let writtenAt: number;
  try {
    scaledUp = await ensureCapacity(deps, t, colour, o);
    await retryUntil(
      deps.clock,
      'restoring write (elbv2:ModifyRule)',
      () => {
        attempts++;
        return deps.lb.setRuleWeights(rule, toRule(t, w));
      },
      opts,
    );
    writtenAt = deps.clock.now();
  } catch (e) {
    if (e instanceof RestoreError || e instanceof LockLostError) throw e;
    const observed = await readQuietly(deps, t);
    throw new RestoreError(
      `${e instanceof DeadlineExceededError ? e.message : `restoring write failed: ${why(e)}`}${observed ? `; the rule reads ${observed.text}` : ''}`,
      observed?.weights,
    );
  }
  o.emitter.warn('rollback.restored', `traffic restored: 100% on ${colour} (written; reading it back)`, {
    blue: w.blue,
    green: w.green,
    colour,
    attempts,
  });
  for (let read = 1; ; read++) {
    let back: WeightedTarget[];
    try {
      back = await retryUntil(
        deps.clock,
        'read back (elbv2:DescribeRules)',
        () => deps.lb.getRuleWeights(rule),
        opts,
      );
    } catch (e) {
      if (e instanceof LockLostError) throw e;
      throw new RestoreError(`the restoring write succeeded but could not be read back: ${why(e)}`);
    }
    if (matchesWeights(t, back, w)) {
      const confirmedAt = deps.clock.now();
      o.emitter.info(
        'rollback.confirmed',
        `restore confirmed: the production rule reads ${describeRule(t, back)}`,
        {
          colour,
        },
      );
      return { writtenAt, confirmedAt, scaledUp, attempts };
    }
    if (read >= 3 || deps.clock.now() + 1_000 > o.deadline) {
      throw new RestoreError(
        `the production rule reads ${describeRule(t, back)} after the restoring write of 100% on ${colour} (read ${read} times)`,
        colourWeights(t, back),
      );
    }
    await deps.clock.sleep(1_000);
  }
}

async function readQuietly(
  deps: RestoreDeps,
  t: ServiceTopology,
): Promise<{ weights: Weights; text: string } | undefined> {
  try {
    const rule = await deps.lb.getRuleWeights(t.productionRuleArn);
    return { weights: colourWeights(t, rule), text: describeRule(t, rule) };
  } catch {
    return undefined;
  }
}
