/**
 * The deploy as a table of named steps. Each step is recorded on the release BEFORE it acts (the runner
 * writes `step` and the step's intent — weights, autoscaling ranges — then calls it), so a deployer
 * killed anywhere leaves the step it was in, and another process can pick the run up from there
 * (`resumeAt`: `switchyard continue`) or finish it the other way (`failRun`: `switchyard abort`).
 *
 *   step                          what it does
 *   registering-task-definition   register the new revision: the base's copy, only the image replaced (by digest)
 *   scaling-idle                  hold the live colour's floor; start the idle colour at the live desired
 *                                 count; wait for THAT ECS deployment to complete
 *   waiting-healthy               every idle target healthy; read the live request rate; test listener → idle
 *   smoke-testing                 (plan.smokeTest) HTTP checks through the test listener, then the command:
 *                                 a failure ends the deploy before any production traffic moved
 *   shifting[i]                   write step i's weights (read back)
 *   baking[i]                     bake step i: target health, 5xx share, alarms
 *   held[i]                       (plan.hold) exit with step i's weights serving and the lock kept until
 *                                 the hold expires; `continue` goes on with shifting[i+1], `abort` rolls back
 *   final-bake                    100% on the new colour until a judged 5xx window (when traffic allows)
 *   draining-old                  record deployed; termination wait; scale the old colour to 0
 *
 * A failure in any step before draining-old goes to failure.ts: `rollBack` (100% back on the known-good
 * colour, verified, then the new colour scaled to 0) or, when the lock is gone, `stopOnLockLoss`. Once
 * `deployed` is recorded the release stands: draining handles its own failures.
 */
import type { Colour } from '../../../topology';
import type { ReleaseRecord } from '../ports';
import type { DeployOutcome } from './deploy-model';
import {
  drainLockLost,
  lockLostOf,
  rollBack,
  safeToScaleDown,
  sameRange,
  scaleDownChecked,
  stopOnLockLoss,
} from './failure';
import { bake, GateFailure, throwIfAborted, waitForEcsDeployment, waitForHealthyTargets } from './gates';
import { asLockLost } from './lock';
import { liveRequestRate } from './preflight';
import { RESTORE_RETRY, withRetry } from './retry';
import type { DeployRun, ReleasePatch } from './run';
import { setColourCapacity } from './scaling';
import { runSmokeTest } from './smoke';
import { setWeights, weightsFor } from './traffic';

/** Where a run is: a step, and for the weight steps which one (index into `plan.steps`). */
export type Position =
  | {
      readonly step:
        | 'registering-task-definition'
        | 'scaling-idle'
        | 'waiting-healthy'
        | 'smoke-testing'
        | 'final-bake'
        | 'draining-old';
    }
  | { readonly step: 'shifting' | 'baking' | 'held'; readonly index: number };

type StepName = Position['step'];
type Next = Position | { readonly end: DeployOutcome };

interface StepDef {
  /**
   * The step's intent, recorded (with `step` and the run's progress) before it acts. Absent: the step
   * records itself (draining-old: its record is the outcome `deployed`, with its own retry and failure
   * handling).
   */
  readonly records?: (run: DeployRun, at: Position) => ReleasePatch;
  readonly act: (run: DeployRun, at: Position) => Promise<Next>;
  /** What a failure means: restore traffic (`roll-back`), or nothing — the release is deployed (`stands`). */
  readonly onFailure: 'roll-back' | 'stands';
}

const indexOf = (at: Position) => ('index' in at ? at.index : 0);

/** The whole deploy, in order. */
export const DEPLOY_STEPS: Readonly<Record<StepName, StepDef>> = {
  'registering-task-definition': { records: () => ({}), act: registerTaskDefinition, onFailure: 'roll-back' },
  'scaling-idle': { records: holdFloors, act: scaleIdle, onFailure: 'roll-back' },
  'waiting-healthy': { records: () => ({}), act: waitHealthy, onFailure: 'roll-back' },
  'smoke-testing': { records: () => ({}), act: smokeTest, onFailure: 'roll-back' },
  shifting: { records: intendWeights, act: shift, onFailure: 'roll-back' },
  baking: { records: () => ({}), act: bakeStep, onFailure: 'roll-back' },
  held: { records: holdUntil, act: hold, onFailure: 'roll-back' },
  'final-bake': { records: () => ({}), act: finalBake, onFailure: 'roll-back' },
  'draining-old': { act: drainOld, onFailure: 'stands' },
};

/** Runs the machine from `from` to its end: deployed, rolled back, or a `DeployError` (lock lost, restore failed). */
export async function runSteps(run: DeployRun, from: Position): Promise<DeployOutcome> {
  let at: Position = from;
  for (;;) {
    const def = DEPLOY_STEPS[at.step];
    let next: Next;
    try {
      if (def.records) {
        throwIfAborted(run.deps.signal, run.deps.clock);
        const intent = def.records(run, at);
        await run.record({ step: at.step, ...intent, progress: run.progress });
      }
      next = await def.act(run, at);
    } catch (e) {
      if (def.onFailure === 'stands') throw e;
      return failRun(run, e);
    }
    if ('end' in next) return next.end;
    at = next;
  }
}

/**
 * A step failed with `e` (or the run is aborted): stop on a lost lock, otherwise roll back — traffic back
 * on the known-good colour, the new colour scaled down (failure.ts).
 */
export function failRun(run: DeployRun, e: unknown): Promise<DeployOutcome> {
  const lost = lockLostOf(e, run.deps.signal);
  if (lost)
    return stopOnLockLoss(run.deps, {
      t: run.t,
      emitter: run.emitter,
      lost,
      getRelease: () => run.release,
      record: run.record,
    });
  const failure =
    e instanceof GateFailure
      ? e
      : new GateFailure(
          'error',
          `unexpected error: ${(e as Error)?.message ?? String(e)}`,
          run.deps.clock.now(),
        );
  return rollBack(run.deps, {
    t: run.t,
    emitter: run.emitter,
    plan: run.plan,
    failure,
    trafficMoved: run.trafficMoved,
    record: run.record,
    getRelease: () => run.release,
    capacity: run.capacity,
  });
}

/**
 * Where a recorded release picks up in another process (`switchyard continue` after its runner died), or
 * undefined when its step cannot be continued (rolling back, done). Steps whose effect is unknown (the
 * runner may have died before or after the write) are repeated; bakes restart in full.
 */
export function resumeAt(release: ReleaseRecord): Position | undefined {
  const index = release.progress?.stepIndex ?? 0;
  switch (release.step) {
    case 'started':
    case 'registering-task-definition':
      return { step: 'registering-task-definition' };
    case 'task-definition-registered':
    case 'scaling-idle':
      return { step: 'scaling-idle' };
    case 'waiting-healthy':
      return { step: 'waiting-healthy' };
    case 'smoke-testing':
      return { step: 'smoke-testing' };
    case 'shifting':
      return { step: 'shifting', index };
    case 'baking':
      return { step: 'baking', index };
    case 'held':
      // continuing a held deploy: on to the next weight step
      return release.plan && index + 1 < release.plan.deploy.steps.length
        ? { step: 'shifting', index: index + 1 }
        : { step: 'final-bake' };
    case 'final-bake':
      return { step: 'final-bake' };
    case 'draining-old':
      return { step: 'draining-old' };
    default:
      return undefined;
  }
}

// ------------------------------------------------------------------------------------------ steps

const retried = <T>(run: DeployRun, label: string, fn: () => Promise<T>) =>
  withRetry(run.deps.clock, label, fn, { emitter: run.emitter });

async function registerTaskDefinition(run: DeployRun): Promise<Next> {
  const { deps, t, plan, emitter } = run;
  throwIfAborted(deps.signal, deps.clock);
  const td = await retried(run, 'ecs:RegisterTaskDefinition', () =>
    deps.ecs.registerTaskDefinitionFrom(plan.taskDefinition.base, t.containerName, plan.image),
  );
  await run.record({ step: 'task-definition-registered', taskDefinitionArn: td.arn });
  emitter.info('taskdef.registered', `registered ${td.arn} (${t.containerName} → ${plan.image})`, {
    taskDefinitionArn: td.arn,
  });
  return { step: 'scaling-idle' };
}

/**
 * Floors first: target tracking must scale neither the live colour in while traffic moves away from it (a
 * restore needs it whole) nor the idle colour while it comes up and bakes.
 */
function holdFloors(run: DeployRun): ReleasePatch {
  const a = run.plan.autoscaling;
  if (!a) return {};
  run.capacity = { ...run.capacity, [run.plan.liveColour]: a.liveFloor, [run.plan.idleColour]: a.bakeFloor };
  return { intendedCapacity: run.capacity };
}

async function scaleIdle(run: DeployRun): Promise<Next> {
  const { deps, t, plan, emitter } = run;
  const live = plan.liveColour;
  const idle = plan.idleColour;
  if (plan.autoscaling) {
    if (!sameRange(plan.autoscaling.current[live], plan.autoscaling.liveFloor)) {
      await run.beforeWrite();
      await setColourCapacity(
        deps,
        t,
        live,
        plan.autoscaling.liveFloor,
        emitter,
        'floor held at its count before the deploy, for the whole deploy',
      );
    }
    await run.beforeWrite();
    await setColourCapacity(
      deps,
      t,
      idle,
      plan.autoscaling.bakeFloor,
      emitter,
      'floor = live desired count while it comes up and bakes',
    );
  } else await run.beforeWrite();
  const taskDefinitionArn = run.release.taskDefinitionArn!;
  // A resumed run may find the update already made (its runner died after UpdateService): wait for that
  // deployment instead of starting none.
  const already = run.resumed ? await idleDeploymentOf(run, idle, taskDefinitionArn) : undefined;
  const { deploymentId } = already
    ? { deploymentId: already }
    : await retried(run, 'ecs:UpdateService', () =>
        deps.ecs.updateService(t.cluster, t.ecsServices[idle], {
          taskDefinitionArn,
          desiredCount: plan.desiredCount,
        }),
      );
  if (!deploymentId)
    throw new GateFailure(
      'ecs-deployment',
      `ECS started no deployment on ${t.ecsServices[idle]} for ${taskDefinitionArn}`,
      deps.clock.now(),
    );
  emitter.info(
    'ecs.update',
    `${idle}: ${t.ecsServices[idle]} → ${taskDefinitionArn}, ${plan.desiredCount} tasks (deployment ${deploymentId})`,
    { colour: idle, deploymentId, desired: plan.desiredCount },
  );
  await waitForEcsDeployment(deps, run.watch(), deploymentId);
  emitter.info('ecs.completed', `${idle}: ECS deployment ${deploymentId} COMPLETED`, {
    colour: idle,
    deploymentId,
  });
  return { step: 'waiting-healthy' };
}

/** The idle colour's PRIMARY deployment when it already runs `taskDefinitionArn` at the plan's count. */
async function idleDeploymentOf(
  run: DeployRun,
  idle: Colour,
  taskDefinitionArn: string,
): Promise<string | undefined> {
  const svc = await retried(run, 'ecs:DescribeServices', () =>
    run.deps.ecs.describeService(run.t.cluster, run.t.ecsServices[idle]),
  );
  const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
  return primary?.taskDefinitionArn === taskDefinitionArn && svc.desiredCount === run.plan.desiredCount
    ? primary.id
    : undefined;
}

async function waitHealthy(run: DeployRun): Promise<Next> {
  const { deps, t, plan, emitter } = run;
  const idle = plan.idleColour;
  await waitForHealthyTargets(deps, run.watch());
  emitter.info('targets.healthy', `${idle}: all targets healthy`, { colour: idle });
  const perMinute = await liveRequestRate(deps, t, plan.liveColour, emitter);
  run.progress = { ...run.progress, ...(perMinute !== undefined ? { livePerMinute: perMinute } : {}) };
  await run.beforeWrite();
  await retried(run, 'elbv2:ModifyRule', () => deps.lb.setRuleTarget(t.testRuleArn, t.targetGroupArns[idle]));
  emitter.info('test-rule', `test listener now reaches ${idle}`, { colour: idle });
  return plan.smokeTest ? { step: 'smoke-testing' } : { step: 'shifting', index: 0 };
}

/** The smoke test through the test listener (core/smoke.ts); its result is recorded with the release. */
async function smokeTest(run: DeployRun): Promise<Next> {
  const { deps, t, plan, emitter } = run;
  const smoke = plan.smokeTest!;
  const idle = plan.idleColour;
  if (!deps.smoke)
    throw new GateFailure('smoke', 'no smoke-test port: cannot run the smoke test', deps.clock.now());
  emitter.info(
    'smoke.start',
    `smoke test of ${idle} through the test listener ${smoke.url}${smoke.host ? ` (Host ${smoke.host})` : ''}, in ${smoke.settleSeconds}s (the test rule change reaches every load balancer node first); no production traffic yet`,
    { colour: idle, url: smoke.url, waitMs: smoke.settleSeconds * 1000 },
  );
  await deps.clock.sleep(smoke.settleSeconds * 1000, deps.signal);
  throwIfAborted(deps.signal, deps.clock);
  const result = await runSmokeTest(
    { smoke: deps.smoke, clock: deps.clock, ...(deps.signal ? { signal: deps.signal } : {}) },
    smoke,
    { t, colour: idle, image: plan.image, emitter },
  );
  throwIfAborted(deps.signal, deps.clock);
  await run.record({ smokeTest: result });
  if (!result.passed) {
    throw new GateFailure(
      'smoke',
      `smoke test of ${idle} failed before any production traffic moved: ${result.reason}`,
      deps.clock.now(),
    );
  }
  emitter.info('smoke.passed', `smoke test of ${idle} passed (${Math.round(result.durationMs / 1000)}s)`, {
    colour: idle,
  });
  return { step: 'shifting', index: 0 };
}

function intendWeights(run: DeployRun, at: Position): ReleasePatch {
  const i = indexOf(at);
  run.progress = { ...run.progress, stepIndex: i };
  return { intendedWeights: run.plan.steps[i].weights };
}

async function shift(run: DeployRun, at: Position): Promise<Next> {
  const i = indexOf(at);
  // a signal (or lost lock) that arrived during the store write never moves traffic
  await run.beforeWrite();
  run.trafficMoved = true;
  const writtenAt = await setWeights(run.deps, run.t, run.plan.steps[i].weights, run.emitter);
  run.progress = {
    ...run.progress,
    trafficSinceMs: run.progress.trafficSinceMs ?? writtenAt,
    weightsSinceMs: writtenAt,
  };
  return { step: 'baking', index: i };
}

async function bakeStep(run: DeployRun, at: Position): Promise<Next> {
  const { plan } = run;
  const i = indexOf(at);
  const step = plan.steps[i];
  const perMinute = run.progress.livePerMinute;
  await bake(
    run.deps,
    run.watch({
      ...(run.progress.trafficSinceMs !== undefined ? { trafficSinceMs: run.progress.trafficSinceMs } : {}),
      ...(perMinute !== undefined ? { expectedPerMinute: (perMinute * step.percent) / 100 } : {}),
    }),
    step.bakeSeconds * 1000,
    `step ${i + 1}/${plan.steps.length} (${step.percent}% on ${plan.idleColour})`,
    { step: i + 1, steps: plan.steps.length, weights: step.weights },
  );
  if (plan.hold?.afterStep === i) return { step: 'held', index: i };
  return i + 1 < plan.steps.length ? { step: 'shifting', index: i + 1 } : { step: 'final-bake' };
}

function holdUntil(run: DeployRun, at: Position): ReleasePatch {
  const now = run.deps.clock.now();
  const token = run.deps.storeFence?.token;
  if (!run.plan.hold || token === undefined || !run.deps.keepLock)
    throw new GateFailure('error', 'this run cannot hold: no lock to keep', now);
  return {
    hold: {
      afterStep: indexOf(at),
      heldAt: now,
      until: now + run.plan.hold.timeoutSeconds * 1000,
      lockToken: token,
    },
  };
}

/** Held for approval: the canary keeps serving, the lock is kept (lease = the hold), the run ends. */
async function hold(run: DeployRun, at: Position): Promise<Next> {
  const { plan, emitter, t } = run;
  const until = run.release.hold!.until;
  try {
    await run.deps.keepLock!(until);
  } catch (e) {
    throw asLockLost(e);
  }
  const weights = plan.steps[indexOf(at)].weights;
  const args = `--env ${t.environment} --service ${t.service}`;
  emitter.warn(
    'deploy.held',
    `held for approval: ${weights[plan.idleColour]}% on ${plan.idleColour}, the lock kept until ${new Date(until).toISOString()}; \`switchyard continue ${args}\` finishes the deploy, \`switchyard abort ${args} --reason "…"\` restores ${plan.liveColour}; an expired hold is aborted`,
    { releaseId: run.release.id, until, weights },
  );
  return { end: { status: 'held', release: run.release, plan, weights, until } };
}

async function finalBake(run: DeployRun): Promise<Next> {
  const { plan, progress } = run;
  const idle = plan.idleColour;
  await bake(
    run.deps,
    run.watch({
      ...(progress.trafficSinceMs !== undefined ? { trafficSinceMs: progress.trafficSinceMs } : {}),
      ...(progress.weightsSinceMs !== undefined ? { rateSinceMs: progress.weightsSinceMs } : {}),
      requireData: true,
      ...(progress.livePerMinute !== undefined ? { expectedPerMinute: progress.livePerMinute } : {}),
    }),
    plan.finalBakeSeconds * 1000,
    `final bake (100% on ${idle})`,
    { weights: weightsFor(idle, 100), final: true },
  );
  // recording `deployed` is a write too: not over a release the new lock holder may be recovering
  await run.beforeWrite();
  return { step: 'draining-old' };
}

/** Success: record, keep the old colour for the termination wait, then scale it down. */
async function drainOld(run: DeployRun): Promise<Next> {
  const { deps, t, plan, emitter } = run;
  const { clock, store } = deps;
  const idle = plan.idleColour;
  const liveColour = plan.liveColour;
  const deployed = (oldColourScaledDown: boolean): Next => ({
    end: { status: 'deployed', release: run.release, plan, oldColourScaledDown },
  });
  if (plan.autoscaling) {
    // both intended ranges on record now: the new live colour's right away, the old one's before its scale-down
    run.capacity = {
      ...run.capacity,
      [idle]: plan.autoscaling.liveRange,
      [liveColour]: plan.autoscaling.idleRange,
    };
  }
  try {
    await run.record(
      {
        outcome: 'deployed',
        step: 'draining-old',
        progress: run.progress,
        ...(plan.autoscaling ? { intendedCapacity: run.capacity } : {}),
      },
      RESTORE_RETRY,
    );
  } catch (e) {
    const lost = lockLostOf(e, undefined);
    if (lost)
      return {
        end: await stopOnLockLoss(deps, {
          t,
          emitter,
          lost,
          getRelease: () => run.release,
          record: run.record,
        }),
      };
    // The release is healthy and live, but the store still says in-progress: keep the old colour (a
    // recovery would flip back to it, which must stay possible) and say so.
    emitter.warn(
      'store.failed',
      `deployed ${plan.imageTag} on ${idle} (100% after a passed final bake), but recording the outcome failed: ${(e as Error).message}. The release still reads "in-progress": ${liveColour} is left running (not scaled down) so nothing is lost; once the store is reachable run \`switchyard status --env ${t.environment} --service ${t.service}\``,
      { releaseId: run.release.id },
    );
    return deployed(false);
  }
  if (plan.autoscaling) {
    try {
      await run.beforeWrite();
      await setColourCapacity(deps, t, idle, plan.autoscaling.liveRange, emitter, 'now the live colour');
    } catch (e) {
      emitter.warn(
        'scaling.failed',
        `deployed, but setting ${idle}'s autoscaling range to ${plan.autoscaling.liveRange.min}..${plan.autoscaling.liveRange.max} failed: ${(e as Error).message}; its floor stays at ${plan.autoscaling.bakeFloor.min} until the next deploy`,
      );
    }
  }
  emitter.info('release.recorded', `release ${run.release.id} deployed: ${plan.image} on ${idle}`, {
    releaseId: run.release.id,
    colour: idle,
  });
  for (const old of run.abandoned) {
    try {
      await retried(run, 'store.updateRelease', () =>
        store.updateRelease(
          { environment: t.environment, service: t.service },
          old.id,
          {
            outcome: 'superseded',
            note: `died in progress at step "${old.step}"; superseded by release ${run.release.id}`,
            updatedAt: clock.now(),
            endedAt: clock.now(),
          },
          deps.storeFence,
        ),
      );
    } catch (e) {
      const lost = lockLostOf(asLockLost(e), undefined);
      if (lost)
        return {
          end: drainLockLost(emitter, lost, liveColour, { release: run.release, plan, scaledDown: false }),
        };
      emitter.warn('store.failed', `could not mark ${old.id} superseded: ${(e as Error).message}`);
    }
  }
  let scaledDown = false;
  try {
    const waitMs = plan.terminationWaitSeconds * 1000;
    emitter.info(
      'drain.wait',
      `keeping ${liveColour} running for ${plan.terminationWaitSeconds}s before scaling it to 0`,
      { colour: liveColour, waitMs },
    );
    await clock.sleep(waitMs, deps.signal);
    const check = deps.signal?.aborted ? undefined : await safeToScaleDown(deps, t, liveColour);
    if (deps.signal?.aborted) {
      const lost = lockLostOf(undefined, deps.signal);
      emitter.warn(
        'drain.interrupted',
        lost
          ? `lost the deployment lock during the termination wait (${lost.message}): ${liveColour} left running; the new holder decides`
          : `interrupted during the termination wait: ${liveColour} left running (instant rollback still possible); scale it down later or let the next deploy replace it`,
      );
      if (lost) return deployed(false);
    } else if (check && !check.ok) {
      const note = `${liveColour} not scaled down: ${check.why}`;
      emitter.warn('drain.skipped', `${note}; it keeps running`, { colour: liveColour });
      if (check.lost) return deployed(false);
      await run.record({ step: 'done', endedAt: clock.now(), note });
      return deployed(false);
    } else {
      if (plan.autoscaling) {
        // floor to 0 BEFORE the scale-down, or Application Auto Scaling raises the old colour back to its min
        await setColourCapacity(
          deps,
          t,
          liveColour,
          plan.autoscaling.idleRange,
          emitter,
          'floor 0 before it is scaled to 0',
        );
      }
      scaledDown = await scaleDownChecked(deps, t, liveColour, plan.desiredCount, emitter);
      if (scaledDown) emitter.info('old.scaled-down', `${liveColour} scaled to 0`, { colour: liveColour });
    }
    await run.record({ step: 'done', endedAt: clock.now() });
  } catch (e) {
    const lost = lockLostOf(e, undefined);
    if (lost)
      return {
        end: drainLockLost(emitter, lost, liveColour, { release: run.release, plan, scaledDown }),
      };
    emitter.warn(
      'drain.failed',
      `deployed, but scaling ${liveColour} down failed: ${(e as Error).message}; it keeps running`,
    );
  }
  emitter.info(
    'deploy.done',
    `deployed ${plan.imageTag} (${plan.imageDigest}) to ${t.environment}/${t.service} on ${idle}`,
    { releaseId: run.release.id },
  );
  return deployed(scaledDown);
}
