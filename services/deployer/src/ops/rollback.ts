/**
 * `switchyard rollback`: put traffic back on a known-good release.
 *
 * Three ways, chosen from the history and the live state (read-only planning first — bad input and
 * refusals write nothing, not even the lock — then planned again under the lock before acting):
 *
 * - restore (recovery): the newest release is `in-progress` but nobody holds its lock (its deployer was
 *   killed), or the weights are split. Record a rollback release (step `rolling-back`), ONE weight write
 *   putting 100% on the last known good colour (read back), mark the dead release(s) `failed` with the
 *   step they died at, scale the dead release's colour to zero if it had been changed.
 * - flip: the target release's colour still runs that task-definition revision with enough healthy
 *   targets → record, ONE weight write (read back), record deployed, mark the release rolled back from
 *   as `rolled-back`. The colour left keeps running with 0% (the next deploy replaces it).
 * - redeploy: otherwise a blue/green deployment of the recorded digest through the deploy core
 *   (`executeDeploy`, same gates) with kind `rollback`, all at once unless `strategy` says otherwise. Its
 *   gates judge the target colour on its own alarms + shared ones (never on the bad live colour's), and
 *   once traffic moved it never goes back onto the release it rolls back from (core/deploy.ts).
 *
 * Target: `--to <release-id|tag>` or, by default, the newest known-good release before the current one
 * whose image differs from the live one; with no such release, the revision that was live before the
 * oldest recorded release (if the history is complete).
 */
import type { Colour, DeploymentSettings, ServiceTopology, Strategy } from '../../../topology';
import { otherColour } from '../../../topology';
import {
  type DeployDeps,
  type DeployOutcome,
  executeDeploy,
  ruleStickiness,
  stickinessWarning,
} from '../core/deploy';
import { Emitter } from '../core/events';
import { digestOfImage, type LiveState, readLiveState } from '../core/live-state';
import { holdAdvice, holdOf } from '../core/hold';
import { asLockLost, describeHolder, type LockOptions, withLock } from '../core/lock';
import { withRetry } from '../core/retry';
import {
  idleRange,
  liveRange,
  managedAutoscaling,
  readScalingState,
  setColourCapacity,
} from '../core/scaling';
import { RESTORE_SETTLE_MS, restoreDeadlineMs } from '../core/settings';
import { restoreTraffic, weightsFor } from '../core/traffic';
import { ExitCode } from '../exit-codes';
import {
  type LockInfo,
  type LockOwner,
  PortError,
  type ReleaseAudit,
  type ReleaseKey,
  type ReleaseRecord,
} from '../ports';
import {
  currentRelease,
  HISTORY_WINDOW,
  isKnownGood,
  leadingInProgress,
  newestEnded,
  newReleaseId,
  pct,
  previousKnownGood,
  RELEASE_ID_RE,
  releasesOfTag,
  safeColourOf,
  shortDigest,
  shortTaskDef,
} from './history';
import { colourCanServe } from './status';

export interface RollbackRequest {
  readonly topology: ServiceTopology;
  /** Why (required, recorded on the rollback release and on the release rolled back from). */
  readonly reason: string;
  /** Release id or image tag to roll back to. @default the previous known-good release */
  readonly to?: string;
  readonly owner: LockOwner;
  /** Take over a held lock (recorded with `reason`). @default false */
  readonly forceUnlock?: boolean;
  /** Plan only: print what would happen, change nothing. @default false */
  readonly dryRun?: boolean;
  /** Strategy of a rollback by redeploy. @default the topology's strategy */
  readonly strategy?: Strategy;
  /** Per-run overrides of the deployment settings for a redeploy. @default {} */
  readonly settings?: Partial<DeploymentSettings>;
  readonly commitSha?: string;
  readonly runUrl?: string;
  /** CI audit trail recorded with the rollback release. @default none */
  readonly audit?: ReleaseAudit;
  /** Lease and heartbeat of the lock. @default withLock's defaults */
  readonly lock?: Omit<LockOptions, 'forceUnlock' | 'handOver'>;
}

export type RollbackRefusalCode =
  | 'invalid-request'
  | 'lock-held'
  | 'no-history'
  | 'nothing-to-roll-back'
  | 'unknown-release'
  | 'not-known-good'
  | 'nothing-to-do'
  | 'recover-first'
  | 'unsafe'
  | 'not-found'
  /** The newest release is a deploy held for approval: `switchyard abort` is its rollback (core/hold.ts). */
  | 'held-for-approval';

/** What the rollback goes back to. */
export interface RollbackTarget {
  /** The release it was recorded as (absent: the revision live before the first recorded release). */
  readonly releaseId?: string;
  readonly imageTag: string;
  readonly imageDigest: string;
  readonly taskDefinitionArn?: string;
  /** Human description. */
  readonly label: string;
}

export type RollbackPlan =
  | {
      readonly mode: 'restore';
      readonly colour: Colour;
      readonly taskDefinitionArn: string;
      readonly target: RollbackTarget;
      /** In-progress releases left by dead deployers, newest first (empty: split weights without one). */
      readonly dead: readonly ReleaseRecord[];
      /** False when traffic already is 100% on `colour`. */
      readonly needsWrite: boolean;
      /** Colour the dead release had changed, to scale to zero after traffic is safe. */
      readonly scaleDown?: Colour;
      /** Colour whose autoscaling floor the dead release had raised: back to (0, max) before its scale-down. */
      readonly resetFloor?: Colour;
      /** The restored colour's autoscaling floor is below the live range: raise it after the write. */
      readonly raiseFloor?: boolean;
      readonly why: string;
      readonly weightsBefore: { readonly blue: number; readonly green: number };
    }
  | {
      readonly mode: 'flip';
      readonly colour: Colour;
      readonly from: Colour;
      readonly target: RollbackTarget;
      readonly current?: ReleaseRecord;
      /** The target colour's autoscaling floor is below the live range: raise it after the write. */
      readonly raiseFloor?: boolean;
      readonly weightsBefore: { readonly blue: number; readonly green: number };
    }
  | {
      readonly mode: 'redeploy';
      readonly target: RollbackTarget;
      readonly current?: ReleaseRecord;
      /** Why a weight flip is not possible. */
      readonly why: string;
    };

export type RollbackOutcome =
  | {
      readonly status: 'refused';
      readonly code: RollbackRefusalCode | string;
      readonly reason: string;
      readonly heldBy?: LockInfo;
    }
  | { readonly status: 'dry-run'; readonly plan: RollbackPlan }
  | {
      /** Traffic is on the target (flip/restore), or the redeploy deployed. */
      readonly status: 'rolled-back';
      readonly plan: RollbackPlan;
      /** The rollback release recorded. */
      readonly release: ReleaseRecord;
      /** Dead releases marked failed (restore). */
      readonly recovered: readonly string[];
      /** The release re-marked rolled-back (flip/redeploy). */
      readonly rolledBackFrom?: string;
      /** When the restoring weight write succeeded (flip/restore). */
      readonly restoredAt?: number;
      readonly deploy?: DeployOutcome;
    }
  | {
      /** A rollback by redeploy failed its gates: before traffic moved it is unchanged; after, it stays on the target. */
      readonly status: 'gates-failed';
      readonly plan: RollbackPlan;
      readonly deploy: DeployOutcome;
    }
  | {
      /** The weight write could not be made or confirmed. */
      readonly status: 'error';
      readonly reason: string;
      readonly plan?: RollbackPlan;
      readonly release?: ReleaseRecord;
    };

export function rollbackExitCode(o: RollbackOutcome): number {
  switch (o.status) {
    case 'rolled-back':
    case 'dry-run':
      return ExitCode.Ok;
    case 'refused':
      return ExitCode.Refused;
    case 'gates-failed':
      return ExitCode.RolledBack;
    case 'error':
      return ExitCode.InternalError;
  }
}

const keyOf = (t: ServiceTopology): ReleaseKey => ({ environment: t.environment, service: t.service });

type Refusal = Extract<RollbackOutcome, { status: 'refused' }>;
const refusal = (code: RollbackRefusalCode, reason: string, heldBy?: LockInfo): Refusal =>
  heldBy ? { status: 'refused', code, reason, heldBy } : { status: 'refused', code, reason };

/** Validation that needs no AWS call. */
export function validateRollbackRequest(req: RollbackRequest): Refusal | undefined {
  const where = `${req.topology.environment}/${req.topology.service}`;
  if (!req.reason?.trim()) {
    return refusal(
      'invalid-request',
      req.forceUnlock
        ? `--force-unlock needs --reason "…": say why the lock of ${where} is taken over (it is recorded)`
        : `rollback of ${where} needs --reason "…" saying why (it is recorded with the release)`,
    );
  }
  if (req.to !== undefined && !req.to.trim()) {
    return refusal('invalid-request', '--to needs a release id (see `switchyard status`) or an image tag');
  }
  return undefined;
}

interface PlanContext {
  readonly releases: readonly ReleaseRecord[];
  readonly live: LiveState;
}

async function readContext(deps: DeployDeps, t: ServiceTopology, emitter: Emitter): Promise<PlanContext> {
  const [releases, live] = await Promise.all([
    withRetry(deps.clock, 'store.listReleases', () => deps.store.listReleases(keyOf(t), HISTORY_WINDOW), {
      emitter,
    }),
    readLiveState(deps, t, emitter),
  ]);
  return { releases, live };
}

/** The tag recorded for a revision/digest, for records and messages. */
function tagOf(
  releases: readonly ReleaseRecord[],
  td: string | undefined,
  digest: string | undefined,
): string {
  return (
    releases.find((r) => td && r.taskDefinitionArn === td)?.imageTag ??
    releases.find((r) => digest && r.imageDigest === digest)?.imageTag ??
    'untracked'
  );
}

/**
 * Decides how to roll back (reads only). Returns the plan or a refusal; `PortError('not-found')` from
 * reading the live state becomes a refusal.
 */
export async function planRollback(
  deps: DeployDeps,
  req: RollbackRequest,
  emitter: Emitter = new Emitter(deps.events, deps.clock),
): Promise<RollbackPlan | Refusal> {
  const t = req.topology;
  const where = `${t.environment}/${t.service}`;
  let ctx: PlanContext;
  try {
    ctx = await readContext(deps, t, emitter);
  } catch (e) {
    if (e instanceof PortError && (e.kind === 'not-found' || e.kind === 'invalid')) {
      return refusal(
        'not-found',
        `cannot read the live state of ${where}: ${e.message}. Is the topology current and does the ECS cluster ${t.cluster} exist?`,
      );
    }
    throw e;
  }
  const { releases, live } = ctx;
  if (releases.length === 0) {
    return refusal(
      'no-history',
      `nothing to roll back to: no release of ${where} is recorded in ${t.deploymentTable}. ` +
        'Rollback only goes back to releases switchyard recorded; deploy a known-good tag with `switchyard deploy` instead.',
    );
  }

  // ---- recovery: a dead deployer's in-progress release
  const dead = leadingInProgress(releases);
  const restoreTo = (
    colour: Colour,
    expectedTd: string | undefined,
    why: string,
    deadOnes: ReleaseRecord[],
  ) => {
    const cs = live.colours[colour];
    if (expectedTd && cs.taskDefinitionArn !== expectedTd) {
      return refusal(
        'unsafe',
        `${why}, but the last known good colour ${colour} (${cs.serviceName}) now runs ${shortTaskDef(cs.taskDefinitionArn)} instead of the recorded ${shortTaskDef(expectedTd)}; ` +
          'refusing to send traffic to an unverified revision. Inspect `switchyard status` and set the weights by hand.',
      );
    }
    // capacity: the restored colour takes ALL the traffic, so it needs as many healthy tasks as the colour
    // carrying traffic now runs (autoscaling may have scaled the idle one in), and no unhealthy extras
    const other: Colour = colour === 'blue' ? 'green' : 'blue';
    const otherDesired = live.weights[other] > 0 ? live.colours[other].desiredCount : 0;
    const need = Math.max(1, cs.desiredCount, otherDesired);
    if (!colourCanServe(live, colour, need) || cs.healthyTargets !== cs.runningCount) {
      return refusal(
        'unsafe',
        `${why}, but the last known good colour ${colour} (${cs.serviceName}) has ${cs.healthyTargets} healthy of ${cs.runningCount} running / ${cs.desiredCount} desired tasks; it needs ${need} healthy (the ${otherDesired > 0 ? `${other} colour now carrying traffic runs ${otherDesired}` : 'desired count'}) to carry all the traffic. ` +
          `Scale it up first (\`aws ecs update-service --cluster ${t.cluster} --service ${cs.serviceName} --desired-count ${need}\`; with autoscaling, raise its minimum too), wait until \`switchyard status\` shows ${need}/${need} healthy, then rerun — traffic was not changed (${pct(live.weights)}).`,
      );
    }
    const newest = deadOnes[0];
    const changed = newest && newest.colour !== colour ? newest.colour : undefined;
    // the dead deploy raised the idle colour's floor before scaling it up: autoscaling may have scaled it
    const resetFloor =
      changed && managedAutoscaling(deps, t) && newest.intendedCapacity?.[changed] ? changed : undefined;
    const scaleDown =
      changed &&
      live.colours[changed].desiredCount > 0 &&
      ((newest.taskDefinitionArn && live.colours[changed].taskDefinitionArn === newest.taskDefinitionArn) ||
        resetFloor)
        ? changed
        : undefined;
    const digest = cs.imageDigest ?? digestOfImage(cs.image);
    if (!digest) {
      return refusal(
        'unsafe',
        `${why}, but ${colour} runs ${cs.image ?? 'an unknown image'}, not pinned by digest; set the weights by hand`,
      );
    }
    const rel =
      releases.find((r) => isKnownGood(r) && r.taskDefinitionArn === cs.taskDefinitionArn) ??
      releases.find((r) => r.taskDefinitionArn === cs.taskDefinitionArn);
    const plan: RollbackPlan = {
      mode: 'restore',
      colour,
      taskDefinitionArn: cs.taskDefinitionArn,
      target: {
        ...(rel ? { releaseId: rel.id } : {}),
        imageTag: tagOf(releases, cs.taskDefinitionArn, digest),
        imageDigest: digest,
        taskDefinitionArn: cs.taskDefinitionArn,
        label: `${colour} (${shortTaskDef(cs.taskDefinitionArn)}, ${shortDigest(digest)})`,
      },
      dead: deadOnes,
      needsWrite: !(live.status === 'ok' && live.liveColour === colour),
      ...(scaleDown ? { scaleDown } : {}),
      ...(resetFloor ? { resetFloor } : {}),
      why,
      weightsBefore: live.weights,
    };
    return plan;
  };
  /** Adds `raiseFloor` when autoscaling is managed and the colour's floor is below the live range. */
  const withFloor = async <P extends RollbackPlan | Refusal>(plan: P): Promise<P> => {
    if ('status' in plan || plan.mode === 'redeploy') return plan;
    const a = managedAutoscaling(deps, t);
    if (!a) return plan;
    const state = await readScalingState(deps, t, emitter);
    const range = state.managed ? state.ranges[plan.colour] : undefined;
    return range && range.min >= liveRange(a).min ? plan : { ...plan, raiseFloor: true };
  };

  if (dead.length > 0) {
    const newest = dead[0];
    if (req.to !== undefined) {
      return refusal(
        'recover-first',
        `release ${newest.id} of ${where} is still in-progress at step "${newest.step}" (its deployer died); ` +
          `run \`switchyard rollback --env ${t.environment} --service ${t.service} --reason "…"\` without --to first to restore the last known good colour, then roll back further`,
      );
    }
    const safe = safeColourOf(newest);
    return withFloor(
      restoreTo(
        safe.colour,
        safe.taskDefinitionArn,
        `release ${newest.id} ${leftAt(newest)} (intended ${newest.intendedWeights ? pct(newest.intendedWeights) : 'no weight change'})`,
        dead,
      ),
    );
  }

  // ---- split / unknown weights without a dead release: back to where the record says traffic belongs
  if (live.status !== 'ok') {
    if (req.to !== undefined) {
      return refusal(
        'recover-first',
        `${live.problem} Run rollback without --to first to put traffic back on the last known good colour.`,
      );
    }
    const ended = newestEnded(releases)!;
    const exp =
      ended.outcome === 'deployed'
        ? { colour: ended.colour, td: ended.taskDefinitionArn }
        : { colour: ended.previousColour, td: ended.previousTaskDefinitionArn };
    return withFloor(restoreTo(exp.colour, exp.td, `traffic is ${live.status} (${pct(live.weights)})`, []));
  }

  // ---- a normal rollback: find the target
  const liveColour = live.liveColour!;
  const idle = live.idleColour!;
  const liveCs = live.colours[liveColour];
  const liveDigest = liveCs.imageDigest;
  const newestGood = currentRelease(releases);
  // the release rolled back from: the current one, if it is what actually runs (not after drift)
  const current = newestGood && newestGood.imageDigest === liveDigest ? newestGood : undefined;
  let target: RollbackTarget;
  if (req.to !== undefined) {
    const to = req.to.trim();
    const byId =
      releases.find((r) => r.id === to) ??
      (RELEASE_ID_RE.test(to)
        ? await withRetry(deps.clock, 'store.getRelease', () => deps.store.getRelease(keyOf(t), to), {
            emitter,
          })
        : undefined);
    if (byId) {
      if (!isKnownGood(byId)) {
        return refusal(
          'not-known-good',
          `release ${byId.id} (${byId.imageTag}) of ${where} is recorded as ${byId.outcome}${byId.reason ? ` (${byId.reason})` : ''}, not deployed: only known-good releases are rollback targets. ` +
            `To release that image again, deploy it with its gates: switchyard deploy --env ${t.environment} --service ${t.service} --image-tag ${byId.imageTag}`,
        );
      }
      target = releaseTarget(byId);
    } else {
      const { newest, knownGood } = releasesOfTag(releases, to);
      if (!newest) {
        const known = releases
          .filter(isKnownGood)
          .slice(0, 5)
          .map((r) => `${r.id} (${r.imageTag})`);
        return refusal(
          'unknown-release',
          `unknown release "${to}" for ${where}: no release id or image tag "${to}" in the last ${HISTORY_WINDOW} releases. ` +
            (known.length > 0
              ? `Known-good releases: ${known.join(', ')}. `
              : 'No release is recorded as deployed. ') +
            `\`switchyard status --env ${t.environment} --service ${t.service}\` lists them.`,
        );
      }
      if (
        !knownGood ||
        knownGood !== releases.find((r) => r.imageTag === to && r.outcome !== 'in-progress')
      ) {
        return refusal(
          'not-known-good',
          `tag ${to} of ${where} is not known good: its newest release ${newest.id} is recorded as ${newest.outcome}${newest.reason ? ` (${newest.reason})` : ''}. ` +
            `To release it again, deploy it with its gates: switchyard deploy --env ${t.environment} --service ${t.service} --image-tag ${to}`,
        );
      }
      target = releaseTarget(knownGood);
    }
  } else {
    const prev = previousKnownGood(releases, liveDigest);
    if (prev) target = releaseTarget(prev);
    else {
      const pre = await preHistoryTarget(deps, t.containerName, releases, liveDigest, emitter);
      if (!pre) {
        return refusal(
          'nothing-to-roll-back',
          `nothing to roll back to for ${where}: no known-good release before ${newestGood ? `the current one ${newestGood.id} (${newestGood.imageTag})` : 'the live one'} runs a different image. ` +
            'Deploy a known-good tag with `switchyard deploy`, or pass --to <release-id|tag>.',
        );
      }
      target = pre;
    }
  }
  if (liveDigest && target.imageDigest === liveDigest) {
    return refusal(
      'nothing-to-do',
      `${where} already serves ${shortDigest(liveDigest)} (${target.imageTag}) on ${liveColour}; nothing to roll back`,
    );
  }

  // ---- flip if the idle colour still runs the target revision and can carry the traffic
  const idleCs = live.colours[idle];
  const runsTarget =
    (target.taskDefinitionArn !== undefined && idleCs.taskDefinitionArn === target.taskDefinitionArn) ||
    (target.taskDefinitionArn === undefined && idleCs.imageDigest === target.imageDigest);
  const settled = idleCs.deployments.every((d) => d.taskDefinitionArn === idleCs.taskDefinitionArn);
  // the flip puts ALL traffic on the idle colour: as many healthy tasks as the live colour runs now, none unhealthy
  const required = Math.max(1, liveCs.desiredCount);
  const canServe =
    idleCs.desiredCount >= 1 &&
    idleCs.healthyTargets >= required &&
    idleCs.healthyTargets === idleCs.runningCount;
  if (runsTarget && settled && canServe) {
    return withFloor<RollbackPlan>({
      mode: 'flip',
      colour: idle,
      from: liveColour,
      target,
      ...(current ? { current } : {}),
      weightsBefore: live.weights,
    });
  }
  const why = !runsTarget
    ? `${idle} runs ${shortTaskDef(idleCs.taskDefinitionArn)}, not ${shortTaskDef(target.taskDefinitionArn)}`
    : idleCs.desiredCount === 0
      ? `${idle} is scaled to zero`
      : !settled
        ? `${idle} has an ECS deployment in flight`
        : `${idle} has ${idleCs.healthyTargets} healthy of ${idleCs.runningCount} running tasks; the flip needs ${required} healthy (what the live colour runs) and none unhealthy`;
  return { mode: 'redeploy', target, ...(current ? { current } : {}), why };
}

function releaseTarget(r: ReleaseRecord): RollbackTarget {
  return {
    releaseId: r.id,
    imageTag: r.imageTag,
    imageDigest: r.imageDigest,
    ...(r.taskDefinitionArn ? { taskDefinitionArn: r.taskDefinitionArn } : {}),
    label: `release ${r.id} (${r.imageTag}, ${shortDigest(r.imageDigest)})`,
  };
}

/** The revision live before the oldest recorded release — only when the whole history was read. */
async function preHistoryTarget(
  deps: DeployDeps,
  containerName: string,
  releases: readonly ReleaseRecord[],
  liveDigest: string | undefined,
  emitter: Emitter,
): Promise<RollbackTarget | undefined> {
  if (releases.length >= HISTORY_WINDOW) return undefined;
  const oldest = releases[releases.length - 1];
  const td = oldest.previousTaskDefinitionArn;
  if (!td) return undefined;
  let image: string | undefined;
  try {
    const summary = await withRetry(
      deps.clock,
      'ecs:DescribeTaskDefinition',
      () => deps.ecs.describeTaskDefinition(td),
      { emitter },
    );
    image = summary.containers.find((c) => c.containerName === containerName)?.image;
  } catch (e) {
    if (e instanceof PortError && e.kind === 'not-found') return undefined;
    throw e;
  }
  const digest = digestOfImage(image);
  if (!digest || digest === liveDigest) return undefined;
  return {
    imageTag: 'untracked',
    imageDigest: digest,
    taskDefinitionArn: td,
    label: `the revision live before the first recorded release ${oldest.id} (${shortTaskDef(td)}, ${shortDigest(digest)})`,
  };
}

/** Human summary of a plan. */
export function describePlan(t: ServiceTopology, plan: RollbackPlan): string {
  const where = `${t.environment}/${t.service}`;
  switch (plan.mode) {
    case 'restore':
      return plan.needsWrite
        ? `recover ${where}: ${plan.why}; one write puts 100% on ${plan.colour} (now ${pct(plan.weightsBefore)})` +
            (plan.raiseFloor ? `, raises ${plan.colour}'s autoscaling floor` : '') +
            (plan.dead.length ? `, marks ${plan.dead.map((d) => d.id).join(', ')} failed` : '') +
            (plan.resetFloor ? `, drops ${plan.resetFloor}'s autoscaling floor to 0` : '') +
            (plan.scaleDown ? `, scales ${plan.scaleDown} to 0` : '')
        : `recover ${where}: ${plan.why}; traffic already 100% on ${plan.colour}, marks ${plan.dead.map((d) => d.id).join(', ')} failed` +
            (plan.resetFloor ? `, drops ${plan.resetFloor}'s autoscaling floor to 0` : '') +
            (plan.scaleDown ? `, scales ${plan.scaleDown} to 0` : '');
    case 'flip':
      return (
        `roll back ${where} to ${plan.target.label}: ${plan.colour} still runs it healthy — one write moves 100% from ${plan.from} to ${plan.colour}` +
        (plan.raiseFloor ? `, then raises ${plan.colour}'s autoscaling floor` : '')
      );
    case 'redeploy':
      return `roll back ${where} to ${plan.target.label} by a blue/green deployment (${plan.why})`;
  }
}

/**
 * Runs a rollback: validates, refuses a held lock naming its holder, plans read-only, then takes the
 * lock (heartbeat, released in finally), plans again and acts.
 */
export async function rollback(deps: DeployDeps, req: RollbackRequest): Promise<RollbackOutcome> {
  const emitter = new Emitter(deps.events, deps.clock);
  const t = req.topology;
  const key = keyOf(t);
  const refuse = (r: Refusal): Refusal => {
    emitter.error('refused', r.reason, { code: r.code });
    return r;
  };
  const invalid = validateRollbackRequest(req);
  if (invalid) return refuse(invalid);

  if (!req.forceUnlock && !req.dryRun) {
    const held = await withRetry(deps.clock, 'store.getLock', () => deps.store.getLock(key), { emitter });
    if (held && held.expiresAt > deps.clock.now()) return refuse(await lockHeld(deps, t, held));
  }
  const plan = await planRollback(deps, req, emitter);
  if ('status' in plan) return refuse(plan);
  emitter.info('rollback.plan', describePlan(t, plan), { plan: planData(plan) });
  if (plan.mode !== 'redeploy') {
    const sticky = await ruleStickiness(deps, t, emitter);
    if (sticky) emitter.warn('rollback.stickiness', stickinessWarning(sticky, 'rollback'), { ...sticky });
  }
  if (req.dryRun) return { status: 'dry-run', plan };

  const owner: LockOwner = { ...req.owner, operation: 'rollback' };
  const res = await withLock(
    deps,
    key,
    owner,
    async (lock, signal, fence): Promise<RollbackOutcome> => {
      const again = await planRollback(deps, req, emitter);
      if ('status' in again) return refuse(again);
      if (again.mode !== plan.mode) emitter.warn('rollback.replanned', describePlan(t, again));
      return execute({ ...deps, signal, fence, storeFence: { token: lock.token } }, req, again, emitter);
    },
    {
      ...req.lock,
      ...(req.forceUnlock ? { forceUnlock: { reason: req.reason.trim() } } : {}),
    },
  );
  if (res.status === 'held') return refuse(await lockHeld(deps, t, res.heldBy));
  return res.value;
}

/**
 * How a release was left in progress: a deploy held for approval whose hold expired or lost its lock
 * (recovering it is what `abort` does too; core/hold.ts), or a deployer that died at its step.
 */
function leftAt(r: ReleaseRecord): string {
  return r.step === 'held' && r.hold
    ? `was held for approval until ${new Date(r.hold.until).toISOString()} and nobody continued it (expired or its lock was lost)`
    : `died at step "${r.step}"`;
}

async function lockHeld(deps: DeployDeps, t: ServiceTopology, held: LockInfo): Promise<Refusal> {
  const now = deps.clock.now();
  const where = `${t.environment}/${t.service}`;
  let hint =
    'Wait for it to finish; if its deployer died, rerun once the lease expired (then this rollback recovers what it left), or take over now with --force-unlock --reason "…".';
  try {
    const [newest] = await deps.store.listReleases(keyOf(t), 1);
    const hold = holdOf(newest, held, now);
    if (hold?.state === 'held') {
      // a held deploy's lock is its hold: abort (not --force-unlock + rollback) is its rollback
      return refusal('held-for-approval', holdAdvice(hold, t, now, 'rollback'), held);
    }
    if (newest?.outcome === 'deployed' && newest.step === 'draining-old') {
      hint =
        `It is release ${newest.id}, already deployed and in its termination wait (${otherColour(newest.colour)} still runs the previous revision). ` +
        `For an instant rollback, stop that run (SIGINT/cancel: it then leaves ${otherColour(newest.colour)} running) and rerun this command; ` +
        `otherwise wait for it to finish (the rollback then redeploys). ${hint}`;
    }
  } catch {
    // the hint is best effort
  }
  return refusal(
    'lock-held',
    `another operation holds the lock for ${where}: ${describeHolder(held, now)}. ${hint}`,
    held,
  );
}

function planData(plan: RollbackPlan): Record<string, unknown> {
  switch (plan.mode) {
    case 'restore':
      return {
        mode: plan.mode,
        colour: plan.colour,
        target: plan.target,
        dead: plan.dead.map((d) => ({ id: d.id, step: d.step, intendedWeights: d.intendedWeights })),
        needsWrite: plan.needsWrite,
        scaleDown: plan.scaleDown,
        resetFloor: plan.resetFloor,
        raiseFloor: plan.raiseFloor,
        weightsBefore: plan.weightsBefore,
      };
    case 'flip':
      return {
        mode: plan.mode,
        colour: plan.colour,
        from: plan.from,
        target: plan.target,
        current: plan.current?.id,
        raiseFloor: plan.raiseFloor,
      };
    case 'redeploy':
      return { mode: plan.mode, target: plan.target, current: plan.current?.id, why: plan.why };
  }
}

async function execute(
  deps: DeployDeps,
  req: RollbackRequest,
  plan: RollbackPlan,
  emitter: Emitter,
): Promise<RollbackOutcome> {
  const t = req.topology;
  const key = keyOf(t);
  const { clock, store } = deps;
  const r = <T>(label: string, fn: () => Promise<T>) => withRetry(clock, label, fn, { emitter });
  /** A release write, fenced with the lock token: refused once the lock is not ours (→ LockLostError). */
  const fenced = deps.storeFence;
  const w = <T>(label: string, fn: () => Promise<T>) =>
    r(label, fn).catch((e: unknown) => {
      throw asLockLost(e);
    });
  const reason = req.reason.trim();

  if (plan.mode === 'redeploy') {
    emitter.info('rollback.redeploy', `rolling back by redeploying ${plan.target.label}: ${plan.why}`);
    const out = await executeDeploy(deps, {
      topology: t,
      imageTag: plan.target.imageTag,
      imageDigest: plan.target.imageDigest,
      kind: 'rollback',
      reason: `${reason} (rollback to ${plan.target.label}${plan.current ? ` from ${plan.current.id}` : ''})`,
      owner: { ...req.owner, operation: 'rollback' },
      ...(plan.target.releaseId ? { sourceReleaseId: plan.target.releaseId } : {}),
      // all at once by default: once traffic moved, a rollback never goes back to the release it leaves
      // (core/deploy.ts rollBack), so gradual steps would only keep users on the bad release longer
      strategy: req.strategy ?? 'all-at-once',
      ...(req.settings ? { settings: req.settings } : {}),
      ...(req.commitSha ? { commitSha: req.commitSha } : {}),
      ...(req.runUrl ? { runUrl: req.runUrl } : {}),
      ...(req.audit ? { audit: req.audit } : {}),
    });
    if (out.status === 'refused') return { status: 'refused', code: out.code, reason: out.reason };
    if (out.status === 'dry-run') return { status: 'dry-run', plan };
    // (planRollback refuses a target that is already live; kept for the types)
    if (out.status === 'up-to-date') return { status: 'refused', code: 'nothing-to-do', reason: out.reason };
    if (out.status === 'rolled-back') {
      // traffic kept on the rollback target (it had moved there): the release left is not known good
      if (out.restoredColour !== out.plan.liveColour)
        await markRolledBack(deps, key, plan.current, plan.target, out.release, reason, emitter);
      return { status: 'gates-failed', plan, deploy: out };
    }
    const from = await markRolledBack(deps, key, plan.current, plan.target, out.release, reason, emitter);
    return {
      status: 'rolled-back',
      plan,
      release: out.release,
      recovered: [],
      ...(from ? { rolledBackFrom: from } : {}),
      deploy: out,
    };
  }

  // flip / restore: record first, then one weight write
  const colour = plan.colour;
  const from: Colour = plan.mode === 'flip' ? plan.from : otherColour(colour);
  const startedAt = clock.now();
  const live = plan.mode === 'flip' ? undefined : plan;
  const a = managedAutoscaling(deps, t);
  const capacity =
    a && (plan.raiseFloor || live?.resetFloor)
      ? {
          ...(plan.raiseFloor ? { [colour]: liveRange(a) } : {}),
          ...(live?.resetFloor ? { [live.resetFloor]: idleRange(a) } : {}),
        }
      : undefined;
  const recordReason =
    plan.mode === 'restore'
      ? `${reason} (recovery: ${plan.why}${plan.dead.length ? `; marks ${plan.dead.map((d) => d.id).join(', ')} failed` : ''})`
      : `${reason} (rollback to ${plan.target.label}${plan.current ? ` from ${plan.current.id}` : ''})`;
  let release: ReleaseRecord = {
    id: newReleaseId('rollback', startedAt),
    environment: t.environment,
    service: t.service,
    kind: 'rollback',
    imageTag: plan.target.imageTag,
    imageDigest: plan.target.imageDigest,
    image: `${t.repositoryUri}@${plan.target.imageDigest}`,
    ...(plan.target.taskDefinitionArn ? { taskDefinitionArn: plan.target.taskDefinitionArn } : {}),
    colour,
    previousColour: from,
    strategy: 'all-at-once',
    outcome: 'in-progress',
    step: 'rolling-back',
    intendedWeights: weightsFor(colour, 100),
    ...(capacity ? { intendedCapacity: capacity } : {}),
    reason: recordReason,
    actor: req.owner.actor,
    ...(req.commitSha ? { commitSha: req.commitSha } : {}),
    ...(req.runUrl ? { runUrl: req.runUrl } : {}),
    ...(req.audit ? { audit: req.audit } : {}),
    ...(plan.target.releaseId ? { sourceReleaseId: plan.target.releaseId } : {}),
    startedAt,
    updatedAt: startedAt,
  };
  await w('store.putRelease', () => store.putRelease(release, fenced));
  emitter.info('release.started', `release ${release.id} started (${plan.mode})`, { releaseId: release.id });

  let restoredAt: number | undefined;
  // lock fence before each traffic / capacity write: a run that lost its lock stops (LockLostError, exit 1)
  await deps.fence?.();
  if (plan.mode === 'flip' || plan.needsWrite) {
    let verified = false;
    let failure: string | undefined;
    try {
      const res = await restoreTraffic(deps, t, colour, emitter, {
        deadline: clock.now() + restoreDeadlineMs({ ...t.deployment, ...req.settings }),
        ...(deps.fence ? { fence: deps.fence } : {}),
      });
      restoredAt = res.writtenAt;
      verified = res.verified;
      if (!verified) failure = `could not confirm the weights read back from ${t.productionRuleArn}`;
    } catch (e) {
      failure = `the weight write failed: ${(e as Error).message}`;
    }
    if (failure) {
      const msg = `${failure}. Traffic may not be on ${colour}: check \`switchyard status --env ${t.environment} --service ${t.service}\` and rerun the rollback`;
      emitter.error('rollback.failed', msg);
      try {
        release = await w('store.updateRelease', () =>
          store.updateRelease(
            key,
            release.id,
            {
              outcome: 'failed',
              step: 'done',
              reason: `${recordReason}; ${msg}`,
              updatedAt: clock.now(),
              endedAt: clock.now(),
            },
            fenced,
          ),
        );
      } catch {
        // the message above says what to do
      }
      return { status: 'error', reason: msg, plan, release };
    }
  } else {
    emitter.info('rollback.no-write', `traffic already 100% on ${colour}; no weight change needed`, {
      colour,
    });
  }

  await pointTestRuleAtIdle(deps, t, colour === 'blue' ? 'green' : 'blue', emitter);

  if (a && plan.raiseFloor) {
    try {
      await setColourCapacity(deps, t, colour, liveRange(a), emitter);
    } catch (e) {
      emitter.warn(
        'scaling.failed',
        `traffic is on ${colour}, but raising its autoscaling floor failed: ${(e as Error).message}; autoscaling may scale it in`,
      );
    }
  }

  const recovered: string[] = [];
  if (live) {
    for (const d of live.dead) {
      await w('store.updateRelease', () =>
        store.updateRelease(
          key,
          d.id,
          {
            outcome: 'failed',
            reason:
              (d.step === 'held' ? leftAt(d) : `deployer died at step "${d.step}"`) +
              (d.intendedWeights ? ` (intended ${pct(d.intendedWeights)})` : '') +
              `; recovered by ${release.id} (${req.owner.actor}): ${reason}`,
            updatedAt: clock.now(),
            endedAt: clock.now(),
          },
          fenced,
        ),
      );
      recovered.push(d.id);
      emitter.info('recovery.marked-failed', `release ${d.id} marked failed (${leftAt(d)})`, {
        releaseId: d.id,
        step: d.step,
      });
    }
    if (a && live.resetFloor) {
      try {
        // floor to 0 BEFORE the scale-down, or Application Auto Scaling raises the colour back
        await setColourCapacity(deps, t, live.resetFloor, idleRange(a), emitter);
      } catch (e) {
        emitter.warn(
          'scaling.failed',
          `could not drop ${live.resetFloor}'s autoscaling floor to 0: ${(e as Error).message}; it carries no traffic`,
        );
      }
    }
    if (live.scaleDown) {
      const c = live.scaleDown;
      if (restoredAt !== undefined) {
        // AWS: "Rule updates do not take effect immediately" — let the restore reach every ALB node first
        emitter.info(
          'rollback.settle',
          `waiting ${RESTORE_SETTLE_MS / 1000}s for the rule change to reach every load balancer node before scaling ${c} down`,
          { waitMs: RESTORE_SETTLE_MS },
        );
        await clock.sleep(RESTORE_SETTLE_MS);
      }
      await deps.fence?.();
      try {
        await r('ecs:UpdateService', () =>
          deps.ecs.updateService(t.cluster, t.ecsServices[c], { desiredCount: 0 }),
        );
        emitter.info('recovery.scaled-down', `${c} scaled to 0 (it ran the dead release's revision)`, {
          colour: c,
        });
      } catch (e) {
        emitter.warn(
          'recovery.scale-down-failed',
          `could not scale ${c} down: ${(e as Error).message}; it carries no traffic`,
        );
      }
    }
  }

  release = await w('store.updateRelease', () =>
    store.updateRelease(
      key,
      release.id,
      { outcome: 'deployed', step: 'done', updatedAt: clock.now(), endedAt: clock.now() },
      fenced,
    ),
  );
  let rolledBackFrom: string | undefined;
  if (plan.mode === 'flip') {
    rolledBackFrom = await markRolledBack(deps, key, plan.current, plan.target, release, reason, emitter);
    emitter.info(
      'rollback.left-running',
      `${from} keeps running with 0% of traffic (instant re-flip possible); the next deploy replaces it`,
      { colour: from },
    );
  }
  emitter.info(
    'rollback.done',
    `rolled back ${t.environment}/${t.service}: 100% on ${colour} (${plan.target.label}); release ${release.id}`,
    { releaseId: release.id, colour, mode: plan.mode },
  );
  return {
    status: 'rolled-back',
    plan,
    release,
    recovered,
    ...(rolledBackFrom ? { rolledBackFrom } : {}),
    ...(restoredAt !== undefined ? { restoredAt } : {}),
  };
}

/** Re-marks the release rolled back from as `rolled-back` (it is no longer known good). */
async function markRolledBack(
  deps: DeployDeps,
  key: ReleaseKey,
  current: ReleaseRecord | undefined,
  target: RollbackTarget,
  by: ReleaseRecord,
  reason: string,
  emitter: Emitter,
): Promise<string | undefined> {
  if (!current || current.id === target.releaseId || current.imageDigest === target.imageDigest)
    return undefined;
  try {
    await withRetry(
      deps.clock,
      'store.updateRelease',
      () =>
        deps.store.updateRelease(
          key,
          current.id,
          {
            outcome: 'rolled-back',
            reason: `rolled back by ${by.id} (${by.actor}): ${reason}`,
            updatedAt: deps.clock.now(),
          },
          deps.storeFence,
        ),
      { emitter },
    );
    return current.id;
  } catch (e) {
    emitter.warn(
      'store.failed',
      `could not mark ${current.id} rolled back: ${(e as Error).message}; it still reads as deployed`,
    );
    return undefined;
  }
}

/**
 * After traffic moved to the other colour, the test listener rule must reach the idle colour again (it
 * may still point at the colour that now serves, e.g. after a successful deploy). Reads it first and
 * writes only when needed; best effort (traffic is already restored).
 */
async function pointTestRuleAtIdle(
  deps: DeployDeps,
  t: ServiceTopology,
  idle: Colour,
  emitter: Emitter,
): Promise<void> {
  try {
    const rule = await withRetry(deps.clock, 'elbv2:DescribeRules', () =>
      deps.lb.getRuleWeights(t.testRuleArn),
    );
    const target = t.targetGroupArns[idle];
    if (rule.length === 1 && rule[0].targetGroupArn === target) return;
    await deps.fence?.();
    await withRetry(deps.clock, 'elbv2:ModifyRule', () => deps.lb.setRuleTarget(t.testRuleArn, target));
    emitter.info('test-rule', `test listener now reaches ${idle} (the idle colour)`, { colour: idle });
  } catch (e) {
    emitter.warn(
      'test-rule.failed',
      `traffic is restored, but pointing the test listener rule at ${idle} failed: ${(e as Error).message}; the next deploy sets it`,
    );
  }
}
