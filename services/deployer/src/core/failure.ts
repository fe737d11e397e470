/**
 * The deploy's failure transitions — what happens when a step cannot go on:
 *
 *   rollBack         a failed gate, an error, an interrupt or an abort: 100% back on the last known good
 *                    colour (verified, core/restore.ts), then the failed colour scaled to 0; `rolled-back`.
 *   stopOnLockLoss   the lock is gone: no rollback, no further ECS/ELB write (the plan is stale and the
 *                    new holder owns recovery); `DeployError` (exit 1).
 *   drainLockLost    the lock was lost after `deployed` was recorded: the deploy stands.
 *
 * And the scale-down checks they and the drain share (safeToScaleDown, scaleDownChecked).
 */
import type { Colour, ServiceTopology } from '../../../topology';
import type { CapacityRange, ReleaseRecord } from '../ports';
import { type DeployDeps, DeployError, type DeployOutcome, type DeployPlan, keyOf } from './deploy-model';
import type { Emitter } from './events';
import { type GateFailure, gatePeriodMs } from './gates';
import { LockLostError } from './lock';
import { QUICK_RETRY, type RetryPolicy, withRetry } from './retry';
import { healthyTargets, RestoreError, restoreVerified } from './restore';
import { setColourCapacity } from './scaling';
import { RESTORE_SETTLE_MS } from './settings';
import { weightsFor } from './traffic';

export const sameRange = (a: CapacityRange | undefined, b: CapacityRange) =>
  a !== undefined && a.min === b.min && a.max === b.max;

/** The lock-loss error behind `e` or the signal's abort reason, if any. */
export function lockLostOf(e: unknown, signal: AbortSignal | undefined): LockLostError | undefined {
  if (e instanceof LockLostError) return e;
  if (signal?.aborted && signal.reason instanceof LockLostError) return signal.reason;
  return undefined;
}

/**
 * Scales `colour` to 0, then reads the production rule once more. An operator who moved traffic onto it
 * by hand between `safeToScaleDown` and this write (outside the lock: nothing can fence that) gets its
 * `restoreCount` tasks back at once. Returns whether the colour stays scaled down.
 */
export async function scaleDownChecked(
  deps: DeployDeps,
  t: ServiceTopology,
  colour: Colour,
  restoreCount: number,
  emitter: Emitter,
): Promise<boolean> {
  const update = (desiredCount: number) =>
    withRetry(
      deps.clock,
      'ecs:UpdateService',
      () => deps.ecs.updateService(t.cluster, t.ecsServices[colour], { desiredCount }),
      { emitter },
    );
  await update(0);
  const after = await withRetry(deps.clock, 'elbv2:DescribeRules', () =>
    deps.lb.getRuleWeights(t.productionRuleArn),
  );
  const weight = after
    .filter((x) => x.targetGroupArn === t.targetGroupArns[colour])
    .reduce((sum, x) => sum + x.weight, 0);
  if (weight === 0) return true;
  await update(restoreCount);
  emitter.warn(
    'scale-down.undone',
    `${colour} got weight ${weight} while it was being scaled to 0 (moved by hand); its ${restoreCount} task(s) are restored`,
    { colour, weight },
  );
  return false;
}

/**
 * Before scaling `colour` to 0 (old colour after the termination wait, failed colour after a rollback):
 * this run must still hold the lock (fence) and the production rule, read now, must give `colour`
 * exactly 0 — an operator flip or a force-unlocked rollback may have put traffic back on it meanwhile.
 */
export async function safeToScaleDown(
  deps: DeployDeps,
  t: ServiceTopology,
  colour: Colour,
): Promise<{ ok: true } | { ok: false; why: string; lost?: LockLostError }> {
  try {
    await deps.fence?.();
  } catch (e) {
    if (e instanceof LockLostError) return { ok: false, why: e.message, lost: e };
    throw e;
  }
  const rule = await withRetry(deps.clock, 'elbv2:DescribeRules', () =>
    deps.lb.getRuleWeights(t.productionRuleArn),
  );
  const weight = rule
    .filter((x) => x.targetGroupArn === t.targetGroupArns[colour])
    .reduce((sum, x) => sum + x.weight, 0);
  if (weight !== 0) {
    const now = rule.map(
      (x) =>
        `${x.targetGroupArn === t.targetGroupArns.blue ? 'blue' : x.targetGroupArn === t.targetGroupArns.green ? 'green' : x.targetGroupArn} ${x.weight}`,
    );
    return {
      ok: false,
      why: `the production rule gives it weight ${weight} now (${now.join(' / ')}) — someone moved traffic back to it since this run wrote the weights`,
    };
  }
  return { ok: true };
}

/**
 * The lock was lost after `deployed` was recorded (a fenced release write was refused while draining):
 * the deploy stands; nothing more is written, the old colour stays as it is and the new holder decides.
 */
export function drainLockLost(
  emitter: Emitter,
  lost: LockLostError,
  oldColour: Colour,
  a: { release: ReleaseRecord; plan: DeployPlan; scaledDown: boolean },
): DeployOutcome {
  emitter.warn(
    'drain.lock-lost',
    `lost the deployment lock after recording the release as deployed (${lost.message}): ${a.scaledDown ? `${oldColour} was already scaled down; ` : `${oldColour} left running; `}nothing more is written, the new holder decides`,
    { releaseId: a.release.id },
  );
  return { status: 'deployed', release: a.release, plan: a.plan, oldColourScaledDown: a.scaledDown };
}

/**
 * The lock was lost (heartbeat failed, a fence read found another holder, or the store refused a fenced
 * release write): no rollback, no further ECS/ELB write — this run's plan is stale and the new holder
 * owns recovery. Records that (best effort and fenced: it lands only while the lock still carries this
 * run's token, e.g. an expired lease nobody took over, and the release still reads in-progress) and
 * throws `DeployError` (exit 1).
 */
export async function stopOnLockLoss(
  deps: DeployDeps,
  a: {
    t: ServiceTopology;
    emitter: Emitter;
    lost: LockLostError;
    getRelease: () => ReleaseRecord;
    record: (patch: Partial<Omit<ReleaseRecord, 'id' | 'environment' | 'service'>>) => Promise<void>;
  },
): Promise<never> {
  const msg = `lock lost; the new holder owns recovery (${a.lost.message}). This run stopped without touching traffic or capacity again; see \`switchyard status --env ${a.t.environment} --service ${a.t.service}\``;
  a.emitter.error('deploy.lock-lost', msg, { releaseId: a.getRelease().id });
  try {
    const current = await deps.store.getRelease(keyOf(a.t), a.getRelease().id);
    if (current?.outcome === 'in-progress') await a.record({ note: msg });
    // (a refused fenced write lands here too: the new holder's records stay as they are)
  } catch {
    // best effort: the store may be what failed
  }
  throw new DeployError(msg, a.getRelease());
}

/**
 * After a failed gate, error or abort: puts traffic back and records why (see core/restore.ts).
 *
 * Where traffic goes: the live colour (the last known good release) — except in a rollback by redeploy
 * (`kind: 'rollback'`) once traffic moved, where the live colour IS the release being rolled back from:
 * traffic is never moved back onto it; 100% goes to (stays on) the rollback target, which keeps running,
 * as does the release rolled back from (both showed problems: the operator decides).
 *
 * The restore is verified (capacity first, then the write, then the read back, all retried until the
 * restore deadline); an unconfirmed restore throws `DeployError` (exit 1) with the weights read, and
 * nothing is scaled down. After a confirmed restore the failed colour is scaled down only after
 * RESTORE_SETTLE_MS (ALB rule updates take a moment to reach every node).
 */
export async function rollBack(
  deps: DeployDeps,
  a: {
    t: ServiceTopology;
    emitter: Emitter;
    plan: DeployPlan;
    failure: GateFailure;
    trafficMoved: boolean;
    record: (
      patch: Partial<Omit<ReleaseRecord, 'id' | 'environment' | 'service'>>,
      policy?: RetryPolicy,
    ) => Promise<void>;
    getRelease: () => ReleaseRecord;
    /** Ranges recorded so far (intendedCapacity). */
    capacity?: NonNullable<ReleaseRecord['intendedCapacity']>;
  },
): Promise<DeployOutcome> {
  const { t, emitter, plan, failure } = a;
  const failed = plan.idleColour;
  // a rollback's redeploy never sends traffic back onto the release it rolls back from (the live colour)
  const keepTarget = plan.kind === 'rollback' && a.trafficMoved;
  const good = keepTarget ? plan.idleColour : plan.liveColour;
  const scaleDown = !keepTarget;
  emitter.error('gate.failed', failure.message, { gate: failure.gate, detectedAt: failure.detectedAt });
  const reason = `${failure.gate}: ${failure.message}`;
  const floor = scaleDown ? plan.autoscaling?.idleRange : undefined;
  // never write on a stale plan: a run that lost its lock does not roll back
  try {
    const lost = lockLostOf(undefined, deps.signal);
    if (lost) throw lost;
    await deps.fence?.();
  } catch (e) {
    if (e instanceof LockLostError)
      return stopOnLockLoss(deps, { t, emitter, lost: e, getRelease: a.getRelease, record: a.record });
    throw e;
  }
  const restore = plan.restore;
  const deadline = deps.clock.now() + restore.deadlineSeconds * 1000;
  const restoreOpts = {
    required: plan.desiredCount,
    deadline,
    pollMs: gatePeriodMs(plan.gates.pollIntervalSeconds),
    emitter,
  };
  // the intent first (a killed deployer leaves it on record), with short retries: during a network
  // failure the restoring write must not wait behind the store. The capacity read runs alongside.
  const [recordError, healthyNow] = await Promise.all([
    a
      .record(
        {
          step: 'rolling-back',
          intendedWeights: weightsFor(good, 100),
          reason,
          ...(floor ? { intendedCapacity: { ...a.capacity, [failed]: floor } } : {}),
        },
        QUICK_RETRY,
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      ),
    a.trafficMoved
      ? healthyTargets(deps, t, good, restoreOpts).catch(() => undefined)
      : Promise.resolve(undefined),
  ]);
  const lostOnRecord = lockLostOf(recordError, undefined);
  if (lostOnRecord)
    return stopOnLockLoss(deps, {
      t,
      emitter,
      lost: lostOnRecord,
      getRelease: a.getRelease,
      record: a.record,
    });
  if (recordError)
    emitter.warn(
      'store.failed',
      `could not record the rollback step: ${(recordError as Error).message}; restoring traffic anyway`,
    );

  let restoredAt: number | undefined;
  let confirmedAt: number | undefined;
  if (a.trafficMoved) {
    try {
      const res = await restoreVerified(deps, t, good, {
        ...restoreOpts,
        ...(healthyNow !== undefined ? { healthyNow } : {}),
      });
      restoredAt = res.writtenAt;
      confirmedAt = res.confirmedAt;
    } catch (e) {
      const lost = lockLostOf(e, undefined);
      if (lost) return stopOnLockLoss(deps, { t, emitter, lost, getRelease: a.getRelease, record: a.record });
      const observed =
        e instanceof RestoreError && e.observed
          ? ` (observed: blue ${e.observed.blue} / green ${e.observed.green})`
          : '';
      const msg = `could not restore traffic to ${good} on ${t.productionRuleArn}: ${(e as Error).message}${observed}. Traffic may be split; nothing was scaled down. Run \`switchyard status --env ${t.environment} --service ${t.service}\`, then \`switchyard rollback --env ${t.environment} --service ${t.service} --reason "…"\` or set the weights by hand`;
      emitter.error(
        'rollback.failed',
        msg,
        e instanceof RestoreError && e.observed ? { observed: e.observed } : {},
      );
      try {
        await a.record({ outcome: 'failed', reason: `${reason}; ${msg}`, endedAt: deps.clock.now() });
      } catch {
        // the store is best effort here; the error below says what to do
      }
      throw new DeployError(msg, a.getRelease());
    }
  } else {
    emitter.info('rollback.no-traffic-moved', `traffic never left ${good}; no weight change needed`, {
      colour: good,
    });
  }
  // the colour that now carries everything gets its live range back (its floor was held during the deploy)
  const held = a.capacity?.[good];
  if (plan.autoscaling && held && !sameRange(held, plan.autoscaling.liveRange)) {
    try {
      await setColourCapacity(
        deps,
        t,
        good,
        plan.autoscaling.liveRange,
        emitter,
        'carries all traffic again',
      );
    } catch (e) {
      emitter.warn(
        'scaling.failed',
        `traffic is on ${good}, but resetting its autoscaling range failed: ${(e as Error).message}; its floor stays where it was`,
      );
    }
  }
  let note: string | undefined;
  let scaledDown = false;
  if (!scaleDown) {
    note = `${plan.liveColour} (the release this rollback moves away from) was not put back: traffic stays on ${good}; both colours keep running`;
    emitter.warn('rollback.kept-target', note, { colour: good, left: plan.liveColour });
  } else {
    if (confirmedAt !== undefined) {
      // AWS: "Rule updates do not take effect immediately" — let the restore reach every ALB node first
      emitter.info(
        'rollback.settle',
        `waiting ${RESTORE_SETTLE_MS / 1000}s for the rule change to reach every load balancer node before scaling ${failed} down`,
        { waitMs: RESTORE_SETTLE_MS },
      );
      await deps.clock.sleep(RESTORE_SETTLE_MS);
    }
    let check: Awaited<ReturnType<typeof safeToScaleDown>>;
    try {
      check = await safeToScaleDown(deps, t, failed);
    } catch (e) {
      check = { ok: false, why: `could not read the production rule: ${(e as Error).message}` };
    }
    if (!check.ok) {
      note = `${failed} not scaled down: ${check.why}`;
      emitter.warn('rollback.scale-down-skipped', `${note}; it keeps running`, { colour: failed });
      if (check.lost)
        return stopOnLockLoss(deps, {
          t,
          emitter,
          lost: check.lost,
          getRelease: a.getRelease,
          record: a.record,
        });
    } else {
      if (floor) {
        // floor to 0 first, or Application Auto Scaling brings the failed colour back to its (bake) floor
        try {
          await setColourCapacity(deps, t, failed, floor, emitter, 'floor 0 before it is scaled to 0');
        } catch (e) {
          emitter.warn(
            'scaling.failed',
            `could not drop ${failed}'s autoscaling floor to 0: ${(e as Error).message}; Application Auto Scaling may scale it back up (it carries no traffic)`,
          );
        }
      }
      try {
        scaledDown = await scaleDownChecked(deps, t, failed, a.plan.desiredCount, emitter);
        if (scaledDown) emitter.info('rollback.scaled-down', `${failed} scaled to 0`, { colour: failed });
      } catch (e) {
        emitter.warn(
          'rollback.scale-down-failed',
          `could not scale ${failed} down: ${(e as Error).message}; it carries no traffic`,
        );
      }
    }
  }
  try {
    await a.record({
      outcome: 'rolled-back',
      step: 'done',
      reason,
      endedAt: deps.clock.now(),
      ...(note ? { note } : {}),
    });
  } catch (e) {
    const lost = lockLostOf(e, undefined);
    if (lost) return stopOnLockLoss(deps, { t, emitter, lost, getRelease: a.getRelease, record: a.record });
    emitter.warn('store.failed', `could not record the rollback outcome: ${(e as Error).message}`);
  }
  emitter.error('deploy.rolled-back', `rolled back: ${reason}; 100% on ${good}`, {
    gate: failure.gate,
    colour: good,
  });
  return {
    status: 'rolled-back',
    reason,
    gate: failure.gate,
    release: a.getRelease(),
    plan,
    restoredColour: good,
    failedColour: failed,
    failedColourScaledDown: scaledDown,
    detectedAt: failure.detectedAt,
    ...(restoredAt !== undefined ? { restoredAt } : {}),
    ...(confirmedAt !== undefined ? { confirmedAt } : {}),
  };
}
