/**
 * One deploy in flight: its plan, its release record and what it learnt so far (`RunProgress`), plus the
 * two things every step does before it touches the world — record (fenced by the lock token) and, right
 * before an ECS/ELB/autoscaling write, check it still may write (`beforeWrite`).
 *
 * A run is created by a new deploy (`startRun`, from the preflight) or rebuilt from a release record by
 * another process (`resumeRun`: `switchyard continue` / `abort`) — the recorded plan and progress are
 * everything the steps need, so a resumed run is the same machine as the original one.
 */
import type { DeploymentSettings, ServiceTopology } from '../../../topology';
import type { ReleaseRecord, RunProgress } from '../ports';
import { AlarmBaseline, alarmScope, gatingAlarms } from './alarms';
import {
  type DeployDeps,
  type DeployOutcome,
  type DeployPlan,
  type DeployRequest,
  keyOf,
  newReleaseId,
} from './deploy-model';
import type { Emitter } from './events';
import { throwIfAborted, type WatchContext } from './gates';
import { asLockLost } from './lock';
import { lockLostOf, stopOnLockLoss } from './failure';
import type { Prepared } from './preflight';
import { type RetryPolicy, withRetry } from './retry';
import { weightsFor } from './traffic';

export type ReleasePatch = Partial<Omit<ReleaseRecord, 'id' | 'environment' | 'service'>>;

export interface DeployRun {
  readonly deps: DeployDeps;
  readonly t: ServiceTopology;
  readonly plan: DeployPlan;
  readonly settings: DeploymentSettings;
  readonly emitter: Emitter;
  /** The release as last written. */
  release: ReleaseRecord;
  /** What the steps learnt so far; recorded with every step. */
  progress: RunProgress;
  /** Autoscaling ranges recorded so far (intendedCapacity). */
  capacity: NonNullable<ReleaseRecord['intendedCapacity']>;
  /** A production weight write was attempted: a failure must restore traffic. */
  trafficMoved: boolean;
  /** Rebuilt from a release record by another process (`resumeRun`). */
  readonly resumed: boolean;
  readonly alarmBaseline: AlarmBaseline;
  /** Older releases left in progress: marked superseded once this one is deployed. */
  readonly abandoned: readonly ReleaseRecord[];
  /** A release write under the lock token; a refusal of the fence becomes `LockLostError`. */
  record(patch: ReleasePatch, policy?: RetryPolicy): Promise<void>;
  /** Right before an ECS/ELB/autoscaling write: stop on a lost lock (no write) or SIGINT (roll back). */
  beforeWrite(): Promise<void>;
  /** The gates' view of the new colour (alarms, settings, desired count, signal). */
  watch(extra?: Partial<WatchContext>): WatchContext;
}

function makeRun(
  deps: DeployDeps,
  a: {
    t: ServiceTopology;
    plan: DeployPlan;
    settings: DeploymentSettings;
    emitter: Emitter;
    release: ReleaseRecord;
    alarmBaseline: AlarmBaseline;
    abandoned: readonly ReleaseRecord[];
    trafficMoved: boolean;
    resumed: boolean;
  },
): DeployRun {
  const { clock, store } = deps;
  const key = keyOf(a.t);
  const gating = gatingAlarms(alarmScope(a.t, a.plan.idleColour));
  const run: DeployRun = {
    deps,
    t: a.t,
    plan: a.plan,
    settings: a.settings,
    emitter: a.emitter,
    release: a.release,
    progress: a.release.progress ?? {},
    capacity: a.release.intendedCapacity ?? {},
    trafficMoved: a.trafficMoved,
    resumed: a.resumed,
    alarmBaseline: a.alarmBaseline,
    abandoned: a.abandoned,
    async record(patch, policy) {
      try {
        run.release = await withRetry(
          clock,
          'store.updateRelease',
          () =>
            store.updateRelease(key, run.release.id, { ...patch, updatedAt: clock.now() }, deps.storeFence),
          { emitter: a.emitter, ...(policy ? { policy } : {}) },
        );
      } catch (e) {
        throw asLockLost(e);
      }
    },
    async beforeWrite() {
      const lost = lockLostOf(undefined, deps.signal);
      if (lost) throw lost;
      throwIfAborted(deps.signal, clock);
      await deps.fence?.();
    },
    watch(extra = {}) {
      return {
        topology: a.t,
        settings: a.settings,
        colour: a.plan.idleColour,
        desiredCount: a.plan.desiredCount,
        emitter: a.emitter,
        signal: deps.signal,
        alarms: { names: gating, baseline: a.alarmBaseline },
        ...extra,
      };
    },
  };
  return run;
}

/**
 * Records a new release (step `started`, with the plan and settings a resumed run needs) and returns the
 * run — or the outcome when that first write already failed on a lost lock.
 */
export async function startRun(
  deps: DeployDeps,
  req: DeployRequest,
  prepared: Prepared,
  emitter: Emitter,
): Promise<DeployRun | DeployOutcome> {
  const { clock, store } = deps;
  const t = req.topology;
  const { plan, settings, live } = prepared;
  const kind = plan.kind;
  const liveCs = live.colours[plan.liveColour];
  const startedAt = clock.now();
  const release: ReleaseRecord = {
    id: newReleaseId(kind, startedAt),
    environment: t.environment,
    service: t.service,
    kind,
    imageTag: req.imageTag,
    imageDigest: plan.imageDigest,
    image: plan.image,
    colour: plan.idleColour,
    previousColour: plan.liveColour,
    previousTaskDefinitionArn: liveCs.taskDefinitionArn,
    baseTaskDefinitionArn: prepared.baseArn,
    strategy: settings.strategy,
    outcome: 'in-progress',
    step: 'started',
    intendedWeights: weightsFor(plan.liveColour, 100),
    plan: { deploy: plan, settings },
    progress: { excusedAlarms: prepared.alarmBaseline.states() },
    actor: req.owner.actor,
    ...(req.commitSha ? { commitSha: req.commitSha } : {}),
    ...(req.runUrl ? { runUrl: req.runUrl } : {}),
    ...(req.audit ? { audit: req.audit } : {}),
    ...(req.reason ? { reason: req.reason } : {}),
    ...(req.sourceEnvironment ? { sourceEnvironment: req.sourceEnvironment } : {}),
    ...(req.sourceReleaseId ? { sourceReleaseId: req.sourceReleaseId } : {}),
    startedAt,
    updatedAt: startedAt,
  };
  const abandoned = prepared.recent.filter((old) => old.outcome === 'in-progress');
  for (const old of abandoned) {
    emitter.warn(
      'release.abandoned',
      `release ${old.id} (${old.kind} of ${old.imageTag} to ${old.colour} by ${old.actor}) was left in progress at step "${old.step}" — its deployer stopped without finishing and later releases passed it; traffic is whole on ${plan.liveColour}, continuing`,
      { releaseId: old.id, step: old.step, colour: old.colour },
    );
  }
  const run = makeRun(deps, {
    t,
    plan,
    settings,
    emitter,
    release,
    alarmBaseline: prepared.alarmBaseline,
    abandoned,
    trafficMoved: false,
    resumed: false,
  });
  try {
    await withRetry(clock, 'store.putRelease', () => store.putRelease(release, deps.storeFence), { emitter });
  } catch (e) {
    const lost = lockLostOf(asLockLost(e), undefined);
    if (lost)
      return stopOnLockLoss(deps, {
        t,
        emitter,
        lost,
        getRelease: () => run.release,
        record: run.record,
      });
    throw e;
  }
  emitter.info('release.started', `release ${release.id} started`, { releaseId: release.id });
  return run;
}

/** Whether a release recorded its plan (releases written before the step machine did not). */
export function resumable(release: ReleaseRecord): release is ReleaseRecord & {
  plan: NonNullable<ReleaseRecord['plan']>;
} {
  return release.plan !== undefined && release.kind !== 'rollback';
}

/**
 * Rebuilds the run of a recorded release in this process (under this process's lock): the same plan,
 * settings and progress; alarms already in ALARM at its preflight stay excused until they fire again.
 */
export function resumeRun(
  deps: DeployDeps,
  t: ServiceTopology,
  release: ReleaseRecord & { plan: NonNullable<ReleaseRecord['plan']> },
  emitter: Emitter,
): DeployRun {
  const { deploy: plan, settings } = release.plan;
  const moved = release.intendedWeights ? release.intendedWeights[plan.idleColour] > 0 : false;
  return makeRun(deps, {
    t,
    plan,
    settings,
    emitter,
    release,
    alarmBaseline: new AlarmBaseline(release.progress?.excusedAlarms ?? []),
    abandoned: [],
    trafficMoved: moved || release.progress?.trafficSinceMs !== undefined,
    resumed: true,
  });
}
