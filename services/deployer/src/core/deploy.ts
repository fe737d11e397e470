/**
 * The blue/green deploy: a state machine over explicit steps, each written to the store before it acts.
 *
 *   validate → read live state (refuse split/unknown weights) → resolve tag to digest (refuse mutable /
 *   unresolvable) → [dry-run stops here with the plan] → record release → register task-definition
 *   revision (only the named container's image changes, pinned by digest) → update the idle service
 *   with the live desired count → wait for THAT ECS deployment to reach COMPLETED → wait for all idle
 *   targets healthy → point the test rule at the idle colour → shift weights per strategy (read back
 *   after each write), baking with gates after each step → final bake → record deployed → termination
 *   wait → scale the old colour to zero.
 *
 * Any failed gate, error or abort (SIGINT/SIGTERM, lost lock) after traffic moved: ONE write putting
 * 100% back on the last known good colour, then the failed colour is scaled to zero and the reason
 * recorded. Task definitions are never deregistered.
 *
 * The read-only part (everything before the first write, also the whole dry run) refuses bad input:
 * mutable/unresolvable tags, split weights, a base revision without the container, alarms that do not
 * exist or are already in ALARM, scalable targets the topology names but AWS does not have.
 *
 * Base revision: the new revision is copied from the topology's `baseTaskDefinitionArn` (Terraform's
 * desired configuration) when present, else from the live revision; only the named container's image
 * changes. Autoscaling floor (topology `autoscaling` + `deps.scaling`): see ./scaling.ts.
 */
import { randomBytes } from 'node:crypto';
import type { Colour, DeploymentSettings, ServiceTopology, Strategy } from '../../../topology';
import {
  type AlarmState,
  type CapacityRange,
  type Clock,
  type EcsPort,
  type EventSink,
  type LoadBalancerPort,
  type LockInfo,
  type LockOwner,
  type MetricsPort,
  PortError,
  type RegistryPort,
  type ReleaseKey,
  type ReleaseRecord,
  type RuleStickiness,
  type ScalingPort,
  type StoreFence,
  type StorePort,
  type TaskDefinitionSummary,
} from '../ports';
import { AlarmBaseline, alarmPreflight, alarmScope, gatingAlarms, scopeAlarms } from './alarms';
import { CollectingSink, Emitter } from './events';
import {
  bake,
  GateFailure,
  type GateName,
  gatePeriodMs,
  throwIfAborted,
  type WatchContext,
  waitForEcsDeployment,
  waitForHealthyTargets,
} from './gates';
import { type LiveState, readLiveState } from './live-state';
import {
  asLockLost,
  describeHolder,
  type LockFence,
  LockLostError,
  type LockOptions,
  withLock,
} from './lock';
import { QUICK_RETRY, RESTORE_RETRY, type RetryPolicy, withRetry } from './retry';
import { healthyTargets, RestoreError, restoreVerified } from './restore';
import {
  bakeFloor,
  heldFloor,
  idleRange,
  liveRange,
  managedAutoscaling,
  readScalingState,
  setColourCapacity,
} from './scaling';
import {
  effectiveSettings,
  FIVE_XX_WINDOW_MS,
  METRIC_DELAY_MS,
  METRIC_PERIOD_MS,
  MIN_MEANINGFUL_BAKE_MS,
  RESTORE_SETTLE_MS,
  restoreDeadlineMs,
  weightSchedule,
} from './settings';
import { type ConfigurationChanges, configurationDiff } from './task-config';
import { setWeights, type Weights, weightsFor } from './traffic';
import { credentialsProblem } from './worst-case';

export interface DeployDeps {
  readonly ecs: EcsPort;
  readonly lb: LoadBalancerPort;
  readonly metrics: MetricsPort;
  readonly registry: RegistryPort;
  readonly store: StorePort;
  readonly clock: Clock;
  readonly events: EventSink;
  /**
   * Application Auto Scaling. Absent: autoscaling is not managed (the floors stay as they are) even
   * when the topology has `autoscaling`. @default undefined
   */
  readonly scaling?: ScalingPort;
  /**
   * Aborted on SIGINT/SIGTERM: the deploy rolls back (if traffic moved) and returns `rolled-back`.
   * Aborted with a `LockLostError` (lost lock): the deploy stops writing at once and throws `DeployError`.
   */
  readonly signal?: AbortSignal;
  /**
   * Lock fence (`withLock` passes one): called right before every ModifyRule / UpdateService (and floor
   * write); throws `LockLostError` when this run no longer holds the deployment lock. One store read each.
   * @default undefined (no check: the caller guarantees exclusivity)
   */
  readonly fence?: LockFence;
  /**
   * Store fence (`withLock`'s lock token; `deploy` and `rollback` pass it): every release write of the run
   * presents it, so the store refuses it atomically once the lock is no longer ours (`LockFenceError`,
   * handled like a lost lock: stop, no ECS/ELB write, `DeployError`). Callers of `executeDeploy` that hold
   * the lock should pass it too. @default undefined (release writes unconditional on the lock)
   */
  readonly storeFence?: StoreFence;
  /**
   * When the credentials stop working and cannot be renewed (epoch ms; cli/runtime.ts reads it from the
   * SDK's `expiration` of static environment credentials). A deploy whose worst case (core/worst-case.ts)
   * outlasts it is refused before anything is written. @default undefined (unknown: not checked)
   */
  readonly credentialsExpireAt?: number;
}

export type DeployKind = 'deploy' | 'rollback' | 'promote';

export interface DeployRequest {
  readonly topology: ServiceTopology;
  /** Tag to deploy; with `imageDigest` it is only recorded (e.g. the tag the digest was released as). */
  readonly imageTag: string;
  /** Deploy exactly this `sha256:…` (rollback by redeploy, promote); only checked to exist in the registry. */
  readonly imageDigest?: string;
  /** @default topology.deployment.strategy */
  readonly strategy?: Strategy;
  /** Per-run overrides of the topology's deployment settings. @default {} */
  readonly settings?: Partial<DeploymentSettings>;
  /** Print the plan, change nothing. @default false */
  readonly dryRun?: boolean;
  readonly owner: LockOwner;
  readonly commitSha?: string;
  readonly runUrl?: string;
  /** @default 'deploy' */
  readonly kind?: DeployKind;
  /** Why (rollbacks, promotions); recorded. */
  readonly reason?: string;
  readonly sourceEnvironment?: string;
  readonly sourceReleaseId?: string;
  /**
   * Revision to copy the new one from (e.g. a rollback that wants a recorded release's configuration).
   * @default topology.baseTaskDefinitionArn, else the live colour's revision
   */
  readonly baseTaskDefinitionArn?: string;
}

export type RefusalCode =
  | 'invalid-request'
  | 'mutable-tag'
  | 'unresolvable-tag'
  | 'digest-not-found'
  | 'split-weights'
  | 'unknown-target'
  | 'no-traffic'
  /** The image already serves but the live colour is not healthy (a healthy one is `up-to-date`). */
  | 'nothing-to-do'
  | 'not-found'
  | 'lock-held'
  /** A name in topology.alarms matches no CloudWatch alarm. */
  | 'alarm-missing'
  /**
   * A gating alarm (the new colour's own or a shared one) is already in ALARM while the live colour's own
   * alarms are OK (deploy/promote; rollbacks only warn). See core/alarms.ts.
   */
  | 'alarm-firing'
  /**
   * The newest release is still `in-progress` (its deployer died or was taken over): deploying over it
   * could scale away the only proven colour. `switchyard rollback` recovers it first.
   */
  | 'dead-release'
  /** SIGINT/SIGTERM arrived before anything was recorded or changed (no release record). */
  | 'interrupted'
  /** The credentials expire before the deploy's worst-case end (core/worst-case.ts). */
  | 'credentials-expire';

export interface PlanStep {
  readonly percent: number;
  readonly weights: Weights;
  readonly bakeSeconds: number;
}

export interface DeployPlan {
  readonly environment: string;
  readonly service: string;
  readonly kind: DeployKind;
  readonly strategy: Strategy;
  readonly liveColour: Colour;
  readonly idleColour: Colour;
  readonly imageTag: string;
  readonly imageDigest: string;
  readonly image: string;
  readonly taskDefinition: {
    /** Revision the new one is copied from. */
    readonly base: string;
    /** Where `base` comes from: topology `baseTaskDefinitionArn`, the request, or the live revision. */
    readonly baseSource?: 'topology' | 'request' | 'live';
    /** The live colour's revision. */
    readonly live?: string;
    /**
     * When base ≠ live: configuration the release changes besides the image (it "rides along").
     * Absent when the base is the live revision.
     */
    readonly configurationChanges?: ConfigurationChanges;
    readonly container: string;
    readonly imageFrom?: string;
    readonly imageTo: string;
    /** Idle colour's current revision (replaced). */
    readonly idleCurrent: string;
  };
  readonly desiredCount: number;
  readonly steps: readonly PlanStep[];
  readonly finalBakeSeconds: number;
  readonly terminationWaitSeconds: number;
  readonly gates: {
    readonly pollIntervalSeconds: number;
    readonly gateCheckEveryMs: number;
    readonly deploymentTimeoutSeconds: number;
    readonly healthyTimeoutSeconds: number;
    readonly max5xxRatio: number;
    readonly min5xxSampleRequests: number;
    readonly fiveXxWindowSeconds: number;
    /** Alarms judging the new colour: its own + shared (core/alarms.ts). */
    readonly alarms: readonly string[];
    /** The live colour's own alarms: read, reported, never gating this release. */
    readonly alarmsNotGating: readonly string[];
    /** Gating alarms already in ALARM at the preflight: they fail a bake only on a new transition to ALARM. */
    readonly alarmsPreFiring: readonly string[];
  };
  /**
   * The automatic restore on failure (core/restore.ts): retried until `deadlineSeconds` (topology
   * `restoreDeadlineSeconds`), then exit 1; the failed colour is scaled down `settleSeconds` after the
   * restore is confirmed.
   */
  readonly restore: { readonly deadlineSeconds: number; readonly settleSeconds: number };
  /** Lower bound of the run time: bakes + final bake + termination wait (ECS start-up comes on top). */
  readonly minimumSeconds: number;
  /** Application Auto Scaling ranges the deploy writes; absent when autoscaling is not managed. */
  readonly autoscaling?: PlanAutoscaling;
  /** Things the operator should know before running it (e.g. bakes shorter than the metric delay). @default [] */
  readonly warnings?: readonly string[];
}

export interface PlanAutoscaling {
  readonly resourceIds: { readonly blue: string; readonly green: string };
  /** Ranges registered now (read in the preflight). */
  readonly current: { readonly blue?: CapacityRange; readonly green?: CapacityRange };
  /** Idle colour while it comes up and bakes (floor = live desired count). */
  readonly bakeFloor: CapacityRange;
  /**
   * Live colour for the whole deploy: floor held at its desired count before the deploy, so target tracking
   * cannot scale it in while traffic moves away (Application Auto Scaling pauses scale-in only for a
   * service with an ECS deployment in progress — the live colour has none) and a restore finds it whole.
   */
  readonly liveFloor: CapacityRange;
  /** New live colour once deployed. */
  readonly liveRange: CapacityRange;
  /** Old colour just before it is scaled to 0 (and a failed colour on rollback). */
  readonly idleRange: CapacityRange;
}

/** Extra inputs of `buildPlan` read by the preflight (all optional: older callers pass none). */
export interface PlanInputs {
  /** Revision to copy from. @default the live colour's revision */
  readonly baseTaskDefinitionArn?: string;
  readonly baseSource?: 'topology' | 'request' | 'live';
  readonly configurationChanges?: ConfigurationChanges;
  readonly autoscaling?: PlanAutoscaling;
  /** Gating alarms already in ALARM (read in the preflight). @default [] */
  readonly alarmsPreFiring?: readonly string[];
}

export type DeployOutcome =
  | {
      readonly status: 'deployed';
      readonly release: ReleaseRecord;
      readonly plan: DeployPlan;
      /** False when interrupted during the termination wait: the old colour was left running. */
      readonly oldColourScaledDown: boolean;
    }
  | {
      readonly status: 'rolled-back';
      readonly reason: string;
      readonly gate: GateName;
      readonly release: ReleaseRecord;
      readonly plan: DeployPlan;
      /**
       * Where 100% of traffic is now: the live colour, or — in a rollback by redeploy once traffic moved —
       * the rollback target (never the release a rollback moves away from).
       */
      readonly restoredColour: Colour;
      /** The colour whose gate failed (the new one). */
      readonly failedColour: Colour;
      /** Whether `failedColour` was scaled to 0 (not when it keeps traffic, or a scale-down was unsafe). */
      readonly failedColourScaledDown: boolean;
      /** When the failure was observed. */
      readonly detectedAt: number;
      /** When the restoring write succeeded; absent if traffic had not moved yet. */
      readonly restoredAt?: number;
      /** When the read back confirmed the restore. */
      readonly confirmedAt?: number;
    }
  | {
      readonly status: 'refused';
      readonly code: RefusalCode;
      readonly reason: string;
      readonly heldBy?: LockInfo;
    }
  | { readonly status: 'dry-run'; readonly plan: DeployPlan }
  | {
      /**
       * The requested image already serves 100% on a healthy live colour (and no configuration change
       * rides along): nothing was done, not even the lock. Exit 0 — CI reruns stay green.
       */
      readonly status: 'up-to-date';
      readonly reason: string;
      readonly liveColour: Colour;
      readonly imageTag: string;
      readonly imageDigest: string;
      readonly healthyTargets: number;
      readonly desiredCount: number;
    };

/** Raised when even the restoring write failed: traffic may be split. Exit code: internal error. */
export class DeployError extends Error {
  constructor(
    message: string,
    readonly release?: ReleaseRecord,
  ) {
    super(message);
    this.name = 'DeployError';
  }
}

/** Tags that move by design: deploying them is not reproducible, so they are refused. */
export const MUTABLE_TAGS: readonly string[] = [
  'latest',
  'stable',
  'edge',
  'nightly',
  'main',
  'master',
  'head',
];
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** Why a tag cannot be deployed, or undefined when it is acceptable (before registry lookup). Pure. */
export function tagProblem(tag: string): string | undefined {
  if (!tag)
    return 'no image tag given: pass --image-tag with an immutable tag such as a version or a git SHA';
  if (!TAG_RE.test(tag))
    return `"${tag}" is not a valid image tag (letters, digits, _ . -, at most 128 characters)`;
  if (MUTABLE_TAGS.includes(tag.toLowerCase())) {
    return `refusing mutable tag "${tag}": it can point at a different image tomorrow, so the release could not be reproduced or rolled back. Deploy an immutable tag (version or git SHA) instead`;
  }
  return undefined;
}

const keyOf = (t: ServiceTopology): ReleaseKey => ({ environment: t.environment, service: t.service });

/** A new release id: `20260101T000000Z-deploy-a1b2c3` (sortable by time; ops/history.ts RELEASE_ID_RE). */
export function newReleaseId(kind: DeployKind, now: number): string {
  const ts = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${ts}-${kind}-${randomBytes(3).toString('hex')}`;
}

function refused(code: RefusalCode, reason: string, emitter: Emitter, heldBy?: LockInfo): DeployOutcome {
  emitter.error('refused', reason, { code });
  return heldBy ? { status: 'refused', code, reason, heldBy } : { status: 'refused', code, reason };
}

/** Builds the plan from the live state (pure). */
export function buildPlan(
  req: DeployRequest,
  settings: DeploymentSettings,
  live: LiveState,
  imageDigest: string,
  inputs: PlanInputs = {},
): DeployPlan {
  const t = req.topology;
  const liveColour = live.liveColour!;
  const idleColour = live.idleColour!;
  const liveCs = live.colours[liveColour];
  const schedule = weightSchedule(settings);
  const steps = schedule.map((p) => ({
    percent: p,
    weights: weightsFor(idleColour, p),
    bakeSeconds: settings.bakeSeconds,
  }));
  return {
    environment: t.environment,
    service: t.service,
    kind: req.kind ?? 'deploy',
    strategy: settings.strategy,
    liveColour,
    idleColour,
    imageTag: req.imageTag,
    imageDigest,
    image: `${t.repositoryUri}@${imageDigest}`,
    taskDefinition: {
      base: inputs.baseTaskDefinitionArn ?? liveCs.taskDefinitionArn,
      baseSource: inputs.baseSource ?? 'live',
      live: liveCs.taskDefinitionArn,
      ...(inputs.configurationChanges ? { configurationChanges: inputs.configurationChanges } : {}),
      container: t.containerName,
      imageFrom: liveCs.image,
      imageTo: `${t.repositoryUri}@${imageDigest}`,
      idleCurrent: live.colours[idleColour].taskDefinitionArn,
    },
    desiredCount: liveCs.desiredCount,
    steps,
    finalBakeSeconds: settings.finalBakeSeconds,
    terminationWaitSeconds: settings.terminationWaitSeconds,
    gates: {
      pollIntervalSeconds: settings.pollIntervalSeconds,
      gateCheckEveryMs: gatePeriodMs(settings.pollIntervalSeconds),
      deploymentTimeoutSeconds: settings.deploymentTimeoutSeconds,
      healthyTimeoutSeconds: settings.healthyTimeoutSeconds,
      max5xxRatio: settings.max5xxRatio,
      min5xxSampleRequests: settings.min5xxSampleRequests,
      fiveXxWindowSeconds: FIVE_XX_WINDOW_MS / 1000,
      alarms: gatingAlarms(alarmScope(t, idleColour)),
      alarmsNotGating: alarmScope(t, idleColour).other,
      alarmsPreFiring: inputs.alarmsPreFiring ?? [],
    },
    restore: {
      deadlineSeconds: restoreDeadlineMs(settings) / 1000,
      settleSeconds: RESTORE_SETTLE_MS / 1000,
    },
    minimumSeconds:
      steps.length * settings.bakeSeconds + settings.finalBakeSeconds + settings.terminationWaitSeconds,
    ...(inputs.autoscaling ? { autoscaling: inputs.autoscaling } : {}),
    warnings: bakeWarnings(settings, steps.length),
  };
}

/**
 * Bakes shorter than the ALB metric delay + 2 periods cannot see the 5xx gate's data (CloudWatch
 * publishes a minute 60–120 s late): say so in the plan. Pure.
 */
export function bakeWarnings(settings: DeploymentSettings, stepCount: number): string[] {
  const min = MIN_MEANINGFUL_BAKE_MS / 1000;
  const why = `CloudWatch publishes ALB metrics up to ${METRIC_DELAY_MS / 1000}s late in ${METRIC_PERIOD_MS / 1000}s periods, so the 5xx gate sees a bake's traffic only after ~${min}s`;
  const out: string[] = [];
  if (stepCount > 1 && settings.bakeSeconds < min)
    out.push(
      `bakeSeconds ${settings.bakeSeconds}s is shorter than ${min}s: ${why}; a 5xx spike on an intermediate step may be judged only in the next step (health and alarms still gate it)`,
    );
  if (settings.finalBakeSeconds < min)
    out.push(
      `finalBakeSeconds ${settings.finalBakeSeconds}s is shorter than ${min}s: ${why}; when the service's traffic is enough to judge, the final bake is extended until a judged window exists (and fails if none appears)`,
    );
  return out;
}

/**
 * Runs one deploy. Assumes the caller holds the lock for (environment, service) — see `deploy()`.
 * Returns refused/dry-run without any write; deployed or rolled-back otherwise. Throws DeployError only
 * if traffic could not be restored.
 */
export async function executeDeploy(deps: DeployDeps, req: DeployRequest): Promise<DeployOutcome> {
  const { clock, store } = deps;
  const t = req.topology;
  const emitter = new Emitter(deps.events, clock);
  const kind = req.kind ?? 'deploy';
  const r = <T>(label: string, fn: () => Promise<T>) => withRetry(clock, label, fn, { emitter });

  // ---- validation: reads only, no writes
  let settings: DeploymentSettings;
  try {
    settings = effectiveSettings(t, req.settings, req.strategy);
  } catch (e) {
    return refused('invalid-request', (e as Error).message, emitter);
  }
  if (req.imageDigest !== undefined) {
    if (!DIGEST_RE.test(req.imageDigest)) {
      return refused(
        'invalid-request',
        `"${req.imageDigest}" is not an image digest (expected sha256: followed by 64 hex digits)`,
        emitter,
      );
    }
  } else {
    const problem = tagProblem(req.imageTag);
    if (problem)
      return refused(problem.startsWith('refusing') ? 'mutable-tag' : 'invalid-request', problem, emitter);
  }

  let live: LiveState;
  try {
    live = await readLiveState(deps, t, emitter);
  } catch (e) {
    if (e instanceof PortError && (e.kind === 'not-found' || e.kind === 'invalid')) {
      return refused(
        'not-found',
        `cannot read the live state of ${t.environment}/${t.service}: ${e.message}. Is the topology current (re-apply the environment) and does the ECS cluster ${t.cluster} exist?`,
        emitter,
      );
    }
    throw e;
  }
  emitter.info(
    'live-state',
    live.status === 'ok'
      ? `live colour: ${live.liveColour} (blue ${live.weights.blue}% / green ${live.weights.green}%)`
      : `live state: ${live.status}`,
    {
      status: live.status,
      liveColour: live.liveColour,
      weights: live.weights,
      blue: {
        taskDefinitionArn: live.colours.blue.taskDefinitionArn,
        image: live.colours.blue.image,
        running: live.colours.blue.runningCount,
        desired: live.colours.blue.desiredCount,
        healthy: live.colours.blue.healthyTargets,
      },
      green: {
        taskDefinitionArn: live.colours.green.taskDefinitionArn,
        image: live.colours.green.image,
        running: live.colours.green.runningCount,
        desired: live.colours.green.desiredCount,
        healthy: live.colours.green.healthyTargets,
      },
    },
  );
  if (live.status !== 'ok') {
    return refused(live.status === 'split' ? 'split-weights' : live.status, live.problem!, emitter);
  }
  const liveColour = live.liveColour!;
  const idle = live.idleColour!;
  const liveCs = live.colours[liveColour];
  if (!liveCs.image) {
    return refused(
      'invalid-request',
      `the live task definition ${liveCs.taskDefinitionArn} has no container named "${t.containerName}" (topology containerName); fix the topology or the task definition`,
      emitter,
    );
  }
  if (liveCs.desiredCount < 1) {
    return refused(
      'invalid-request',
      `the live colour ${liveColour} (${liveCs.serviceName}) has desired count 0; scale it up before deploying`,
      emitter,
    );
  }

  let digest: string;
  if (req.imageDigest) {
    const has = await r('ecr:DescribeImages', () =>
      deps.registry.hasDigest(t.repositoryName, req.imageDigest!),
    );
    if (!has) {
      return refused(
        'digest-not-found',
        `repository ${t.repositoryName} (${t.repositoryUri}) does not hold image ${req.imageDigest}; push or replicate it first`,
        emitter,
      );
    }
    digest = req.imageDigest;
  } else {
    let resolved: string | undefined;
    try {
      resolved = await r('ecr:DescribeImages', () =>
        deps.registry.resolveTag(t.repositoryName, req.imageTag),
      );
    } catch (e) {
      if (!(e instanceof PortError && e.kind === 'not-found')) throw e;
      return refused(
        'unresolvable-tag',
        `image repository ${t.repositoryName} not found (${e.message}); check the topology's repositoryName`,
        emitter,
      );
    }
    if (!resolved) {
      return refused(
        'unresolvable-tag',
        `tag "${req.imageTag}" does not exist in ${t.repositoryUri}; push it first (or check for a typo)`,
        emitter,
      );
    }
    digest = resolved;
  }
  emitter.info('image.resolved', `image ${req.imageTag} → ${digest}`, { tag: req.imageTag, digest });

  // ---- base revision: Terraform's desired configuration (topology) or the live revision
  const baseArn = req.baseTaskDefinitionArn ?? t.baseTaskDefinitionArn ?? liveCs.taskDefinitionArn;
  const baseSource = req.baseTaskDefinitionArn ? 'request' : t.baseTaskDefinitionArn ? 'topology' : 'live';
  let configurationChanges: ConfigurationChanges | undefined;
  if (baseArn !== liveCs.taskDefinitionArn) {
    const named =
      baseSource === 'topology'
        ? `the base task definition ${baseArn} (topology baseTaskDefinitionArn)`
        : `the base task definition ${baseArn}`;
    let baseTd: TaskDefinitionSummary;
    try {
      baseTd = await r('ecs:DescribeTaskDefinition', () => deps.ecs.describeTaskDefinition(baseArn));
    } catch (e) {
      if (!(e instanceof PortError && (e.kind === 'not-found' || e.kind === 'invalid'))) throw e;
      return refused(
        'not-found',
        `cannot read ${named}: ${e.message}. Re-apply the environment so the topology names a current revision`,
        emitter,
      );
    }
    if (!baseTd.containers.some((c) => c.containerName === t.containerName)) {
      return refused(
        'invalid-request',
        `${named} has no container named "${t.containerName}" (containers: ${baseTd.containers.map((c) => c.containerName).join(', ') || 'none'}); fix containerName in the topology or the task definition`,
        emitter,
      );
    }
    configurationChanges = configurationDiff(baseTd, liveCs.taskDefinition);
    emitter.info(
      'taskdef.base',
      `base revision ${baseArn} (${baseSource}) differs from the live ${liveCs.taskDefinitionArn}: ${describeChanges(configurationChanges)}`,
      { base: baseArn, live: liveCs.taskDefinitionArn, baseSource, changes: configurationChanges },
    );
  }
  const configOnly =
    configurationChanges !== undefined &&
    (!configurationChanges.known ||
      configurationChanges.fields.length > 0 ||
      configurationChanges.containers.length > 0);
  if (liveCs.imageDigest === digest && !configOnly) {
    // the requested image is what serves: a CI rerun of a deploy that went through is a success
    const healthy = liveCs.healthyTargets >= liveCs.desiredCount;
    if (!healthy) {
      return refused(
        'nothing-to-do',
        `${t.environment}/${t.service} already serves ${digest} (${req.imageTag}) on ${liveColour}, but only ${liveCs.healthyTargets} of its ${liveCs.desiredCount} targets are healthy; deploying the same image again would not change that. Check \`switchyard status --env ${t.environment} --service ${t.service}\` and the service's events, or deploy a fixed image`,
        emitter,
      );
    }
    const reason = `${t.environment}/${t.service} already serves ${digest} (${req.imageTag}) on ${liveColour}, ${liveCs.healthyTargets}/${liveCs.desiredCount} targets healthy: nothing to do`;
    emitter.info('up-to-date', reason, { colour: liveColour, digest });
    return {
      status: 'up-to-date',
      reason,
      liveColour,
      imageTag: req.imageTag,
      imageDigest: digest,
      healthyTargets: liveCs.healthyTargets,
      desiredCount: liveCs.desiredCount,
    };
  }

  // ---- alarm preflight: a misspelt or already firing alarm is found now, not in the first bake. The new
  // colour is judged on its own alarms + shared ones, never on the live colour's (core/alarms.ts)
  const scope = alarmScope(t, idle);
  const gating = gatingAlarms(scope);
  let alarmStates: AlarmState[] = [];
  if (scopeAlarms(scope).length > 0) {
    try {
      alarmStates = await r('cloudwatch:DescribeAlarms', () => deps.metrics.alarmStates(scopeAlarms(scope)));
    } catch (e) {
      if (!(e instanceof PortError && e.kind === 'not-found')) throw e;
      return refused(
        'alarm-missing',
        `${e.message}. The deploy reads every alarm of ${t.environment}/${t.service} (alarms.blue / alarms.green / alarms.shared); a missing alarm would only fail the first bake, after traffic moved`,
        emitter,
      );
    }
    const pre = alarmPreflight(kind, scope, alarmStates, t);
    if (pre.refusal) return refused('alarm-firing', pre.refusal, emitter);
    for (const w of pre.warnings)
      emitter.warn('alarm.firing', w, { gating: pre.firingGating, notGating: pre.firingOther });
  }
  const alarmBaseline = new AlarmBaseline(alarmStates.filter((a) => gating.includes(a.name)));

  // ---- autoscaling: the scalable targets the floor writes go to must exist
  let planAutoscaling: PlanAutoscaling | undefined;
  const autoscaling = managedAutoscaling(deps, t);
  if (autoscaling) {
    const state = await readScalingState(deps, t, emitter);
    if (state.managed && state.problem) return refused('not-found', state.problem, emitter);
    planAutoscaling = {
      resourceIds: autoscaling.resourceIds,
      current: state.managed ? state.ranges : {},
      bakeFloor: bakeFloor(autoscaling, liveCs.desiredCount),
      liveFloor: heldFloor(state.managed ? state.ranges[liveColour] : undefined, liveCs.desiredCount),
      liveRange: liveRange(autoscaling),
      idleRange: idleRange(autoscaling),
    };
  }

  // ---- a dead release (newest still in progress) must be recovered first (rollbacks are the recovery)
  const key = keyOf(t);
  const recent = await r('store.listReleases', () => store.listReleases(key, 5));
  if (kind !== 'rollback' && recent[0]?.outcome === 'in-progress') {
    const dead = recent[0];
    return refused(
      'dead-release',
      `release ${dead.id} (${dead.kind} of ${dead.imageTag} to ${dead.colour} by ${dead.actor}) is still in progress at step "${dead.step}": its deployer is either still running (then wait for it) or died / lost its lock. Its colour ${dead.colour} never passed its final bake, so it is not a known-good release; ${dead.previousColour} is. Recover first: \`switchyard rollback --env ${t.environment} --service ${t.service} --reason "…"\` (add --force-unlock --reason "…" if its lock is still held), then deploy again`,
      emitter,
    );
  }

  const built = buildPlan(req, settings, live, digest, {
    baseTaskDefinitionArn: baseArn,
    baseSource,
    ...(configurationChanges ? { configurationChanges } : {}),
    ...(planAutoscaling ? { autoscaling: planAutoscaling } : {}),
    alarmsPreFiring: alarmBaseline.preFiring(),
  });
  const sticky = await ruleStickiness(deps, t, emitter);
  const plan: DeployPlan = sticky
    ? { ...built, warnings: [...(built.warnings ?? []), stickinessWarning(sticky, 'deploy')] }
    : built;
  emitter.info(
    'plan',
    `${plan.kind} ${plan.imageTag} to ${idle} (live: ${liveColour}), ${plan.strategy}: ${plan.steps.map((s) => `${s.percent}%`).join(' → ')}`,
    {
      plan,
    },
  );
  for (const w of plan.warnings ?? []) emitter.warn('plan.warning', w);
  const expiry = credentialsProblem(plan, deps.credentialsExpireAt, clock.now());
  if (expiry && req.dryRun) emitter.warn('plan.warning', expiry);
  if (req.dryRun) return { status: 'dry-run', plan };
  if (expiry) return refused('credentials-expire', expiry, emitter);

  // ---- the run: every step recorded before it acts
  if (deps.signal?.aborted)
    return refused(
      'interrupted',
      'interrupted before the release started: nothing was recorded or changed',
      emitter,
    );
  // Older releases left in progress (not the newest: that one is refused above) died and were passed
  // by later releases; they are marked `superseded` once this one is deployed.
  const abandoned = recent.filter((old) => old.outcome === 'in-progress');
  for (const old of abandoned) {
    emitter.warn(
      'release.abandoned',
      `release ${old.id} (${old.kind} of ${old.imageTag} to ${old.colour} by ${old.actor}) was left in progress at step "${old.step}" — its deployer stopped without finishing and later releases passed it; traffic is whole on ${liveColour}, continuing`,
      { releaseId: old.id, step: old.step, colour: old.colour },
    );
  }
  const startedAt = clock.now();
  let release: ReleaseRecord = {
    id: newReleaseId(kind, startedAt),
    environment: t.environment,
    service: t.service,
    kind,
    imageTag: req.imageTag,
    imageDigest: digest,
    image: plan.image,
    colour: idle,
    previousColour: liveColour,
    previousTaskDefinitionArn: liveCs.taskDefinitionArn,
    baseTaskDefinitionArn: baseArn,
    strategy: settings.strategy,
    outcome: 'in-progress',
    step: 'started',
    intendedWeights: weightsFor(liveColour, 100),
    actor: req.owner.actor,
    ...(req.commitSha ? { commitSha: req.commitSha } : {}),
    ...(req.runUrl ? { runUrl: req.runUrl } : {}),
    ...(req.reason ? { reason: req.reason } : {}),
    ...(req.sourceEnvironment ? { sourceEnvironment: req.sourceEnvironment } : {}),
    ...(req.sourceReleaseId ? { sourceReleaseId: req.sourceReleaseId } : {}),
    startedAt,
    updatedAt: startedAt,
  };
  const fenced = deps.storeFence;
  /** Every release write presents the lock token; a refusal (`LockFenceError`) becomes `LockLostError`. */
  const record = async (
    patch: Partial<Omit<ReleaseRecord, 'id' | 'environment' | 'service'>>,
    policy?: typeof RESTORE_RETRY,
  ) => {
    try {
      release = await withRetry(
        clock,
        'store.updateRelease',
        () => store.updateRelease(key, release.id, { ...patch, updatedAt: clock.now() }, fenced),
        { emitter, ...(policy ? { policy } : {}) },
      );
    } catch (e) {
      throw asLockLost(e);
    }
  };
  try {
    await r('store.putRelease', () => store.putRelease(release, fenced));
  } catch (e) {
    const lost = lockLostOf(asLockLost(e), undefined);
    if (lost) return stopOnLockLoss(deps, { t, emitter, lost, getRelease: () => release, record });
    throw e;
  }
  emitter.info('release.started', `release ${release.id} started`, { releaseId: release.id });
  /** Right before each ModifyRule / UpdateService: stop on a lost lock (no writes) or SIGINT (roll back). */
  const beforeWrite = async () => {
    const lost = lockLostOf(undefined, deps.signal);
    if (lost) throw lost;
    throwIfAborted(deps.signal, clock);
    await deps.fence?.();
  };

  const ctx: WatchContext = {
    topology: t,
    settings,
    colour: idle,
    desiredCount: liveCs.desiredCount,
    emitter,
    signal: deps.signal,
    alarms: { names: gating, baseline: alarmBaseline },
  };
  let trafficMoved = false;
  let trafficSinceMs: number | undefined;
  /** When the current weights were written: the final bake's expected rate holds from then on. */
  let weightsSinceMs: number | undefined;
  let capacity: NonNullable<ReleaseRecord['intendedCapacity']> = {};
  try {
    throwIfAborted(deps.signal, clock);
    await record({ step: 'registering-task-definition' });
    throwIfAborted(deps.signal, clock);
    const td = await r('ecs:RegisterTaskDefinition', () =>
      deps.ecs.registerTaskDefinitionFrom(baseArn, t.containerName, plan.image),
    );
    await record({ step: 'task-definition-registered', taskDefinitionArn: td.arn });
    emitter.info('taskdef.registered', `registered ${td.arn} (${t.containerName} → ${plan.image})`, {
      taskDefinitionArn: td.arn,
    });

    throwIfAborted(deps.signal, clock);
    if (plan.autoscaling) {
      // floors first: target tracking must scale neither the live colour in while traffic moves away from
      // it (a restore needs it whole) nor the idle colour while it comes up and bakes
      capacity = {
        ...capacity,
        [liveColour]: plan.autoscaling.liveFloor,
        [idle]: plan.autoscaling.bakeFloor,
      };
      await record({ step: 'scaling-idle', intendedCapacity: capacity });
      if (!sameRange(plan.autoscaling.current[liveColour], plan.autoscaling.liveFloor)) {
        await beforeWrite();
        await setColourCapacity(
          deps,
          t,
          liveColour,
          plan.autoscaling.liveFloor,
          emitter,
          'floor held at its count before the deploy, for the whole deploy',
        );
      }
      await beforeWrite();
      await setColourCapacity(
        deps,
        t,
        idle,
        plan.autoscaling.bakeFloor,
        emitter,
        'floor = live desired count while it comes up and bakes',
      );
    } else {
      await record({ step: 'scaling-idle' });
      await beforeWrite();
    }
    const { deploymentId } = await r('ecs:UpdateService', () =>
      deps.ecs.updateService(t.cluster, t.ecsServices[idle], {
        taskDefinitionArn: td.arn,
        desiredCount: liveCs.desiredCount,
      }),
    );
    if (!deploymentId)
      throw new GateFailure(
        'ecs-deployment',
        `ECS started no deployment on ${t.ecsServices[idle]} for ${td.arn}`,
        clock.now(),
      );
    emitter.info(
      'ecs.update',
      `${idle}: ${t.ecsServices[idle]} → ${td.arn}, ${liveCs.desiredCount} tasks (deployment ${deploymentId})`,
      {
        colour: idle,
        deploymentId,
        desired: liveCs.desiredCount,
      },
    );
    await waitForEcsDeployment(deps, ctx, deploymentId);
    emitter.info('ecs.completed', `${idle}: ECS deployment ${deploymentId} COMPLETED`, {
      colour: idle,
      deploymentId,
    });

    await record({ step: 'waiting-healthy' });
    await waitForHealthyTargets(deps, ctx);
    emitter.info('targets.healthy', `${idle}: all targets healthy`, { colour: idle });
    const perMinute = await liveRequestRate(deps, t, liveColour, emitter);

    await beforeWrite();
    await r('elbv2:ModifyRule', () => deps.lb.setRuleTarget(t.testRuleArn, t.targetGroupArns[idle]));
    emitter.info('test-rule', `test listener now reaches ${idle}`, { colour: idle });

    for (const [i, step] of plan.steps.entries()) {
      throwIfAborted(deps.signal, clock);
      await record({ step: 'shifting', intendedWeights: step.weights });
      // a signal (or lost lock) that arrived during the store write never moves traffic
      await beforeWrite();
      trafficMoved = true;
      const writtenAt = await setWeights(deps, t, step.weights, emitter);
      trafficSinceMs ??= writtenAt;
      weightsSinceMs = writtenAt;
      const watch = {
        ...ctx,
        trafficSinceMs,
        ...(perMinute !== undefined ? { expectedPerMinute: (perMinute * step.percent) / 100 } : {}),
      };
      await record({ step: 'baking' });
      await bake(
        deps,
        watch,
        step.bakeSeconds * 1000,
        `step ${i + 1}/${plan.steps.length} (${step.percent}% on ${idle})`,
        {
          step: i + 1,
          steps: plan.steps.length,
          weights: step.weights,
        },
      );
    }
    await record({ step: 'final-bake' });
    await bake(
      deps,
      {
        ...ctx,
        trafficSinceMs,
        ...(weightsSinceMs !== undefined ? { rateSinceMs: weightsSinceMs } : {}),
        requireData: true,
        ...(perMinute !== undefined ? { expectedPerMinute: perMinute } : {}),
      },
      settings.finalBakeSeconds * 1000,
      `final bake (100% on ${idle})`,
      {
        weights: weightsFor(idle, 100),
        final: true,
      },
    );
    // recording `deployed` is a write too: not over a release the new lock holder may be recovering
    await beforeWrite();
  } catch (e) {
    const lost = lockLostOf(e, deps.signal);
    if (lost) return stopOnLockLoss(deps, { t, emitter, lost, getRelease: () => release, record });
    const failure =
      e instanceof GateFailure
        ? e
        : new GateFailure('error', `unexpected error: ${(e as Error).message ?? String(e)}`, clock.now());
    return rollBack(deps, {
      t,
      emitter,
      plan,
      failure,
      trafficMoved,
      record,
      getRelease: () => release,
      capacity,
    });
  }

  // ---- success: record, keep the old colour for the termination wait, then scale it down
  if (plan.autoscaling) {
    // both intended ranges on record now: the new live colour's right away, the old one's before its scale-down
    capacity = { ...capacity, [idle]: plan.autoscaling.liveRange, [liveColour]: plan.autoscaling.idleRange };
  }
  try {
    await record(
      {
        outcome: 'deployed',
        step: 'draining-old',
        ...(plan.autoscaling ? { intendedCapacity: capacity } : {}),
      },
      RESTORE_RETRY,
    );
  } catch (e) {
    const lost = lockLostOf(e, undefined);
    if (lost) return stopOnLockLoss(deps, { t, emitter, lost, getRelease: () => release, record });
    // The release is healthy and live, but the store still says in-progress: keep the old colour (a
    // recovery would flip back to it, which must stay possible) and say so.
    emitter.warn(
      'store.failed',
      `deployed ${plan.imageTag} on ${idle} (100% after a passed final bake), but recording the outcome failed: ${(e as Error).message}. The release still reads "in-progress": ${liveColour} is left running (not scaled down) so nothing is lost; once the store is reachable run \`switchyard status --env ${t.environment} --service ${t.service}\``,
      { releaseId: release.id },
    );
    return { status: 'deployed', release, plan, oldColourScaledDown: false };
  }
  if (plan.autoscaling) {
    try {
      await beforeWrite();
      await setColourCapacity(deps, t, idle, plan.autoscaling.liveRange, emitter, 'now the live colour');
    } catch (e) {
      emitter.warn(
        'scaling.failed',
        `deployed, but setting ${idle}'s autoscaling range to ${plan.autoscaling.liveRange.min}..${plan.autoscaling.liveRange.max} failed: ${(e as Error).message}; its floor stays at ${plan.autoscaling.bakeFloor.min} until the next deploy`,
      );
    }
  }
  emitter.info('release.recorded', `release ${release.id} deployed: ${plan.image} on ${idle}`, {
    releaseId: release.id,
    colour: idle,
  });
  for (const old of abandoned) {
    try {
      await r('store.updateRelease', () =>
        store.updateRelease(
          key,
          old.id,
          {
            outcome: 'superseded',
            note: `died in progress at step "${old.step}"; superseded by release ${release.id}`,
            updatedAt: clock.now(),
            endedAt: clock.now(),
          },
          fenced,
        ),
      );
    } catch (e) {
      const lost = lockLostOf(asLockLost(e), undefined);
      if (lost) return drainLockLost(emitter, lost, liveColour, { release, plan, scaledDown: false });
      emitter.warn('store.failed', `could not mark ${old.id} superseded: ${(e as Error).message}`);
    }
  }
  let scaledDown = false;
  try {
    const waitMs = settings.terminationWaitSeconds * 1000;
    emitter.info(
      'drain.wait',
      `keeping ${liveColour} running for ${settings.terminationWaitSeconds}s before scaling it to 0`,
      {
        colour: liveColour,
        waitMs,
      },
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
      if (lost) return { status: 'deployed', release, plan, oldColourScaledDown: false };
    } else if (check && !check.ok) {
      const note = `${liveColour} not scaled down: ${check.why}`;
      emitter.warn('drain.skipped', `${note}; it keeps running`, { colour: liveColour });
      if (check.lost) return { status: 'deployed', release, plan, oldColourScaledDown: false };
      await record({ step: 'done', endedAt: clock.now(), note });
      return { status: 'deployed', release, plan, oldColourScaledDown: false };
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
    await record({ step: 'done', endedAt: clock.now() });
  } catch (e) {
    const lost = lockLostOf(e, undefined);
    if (lost) return drainLockLost(emitter, lost, liveColour, { release, plan, scaledDown });
    emitter.warn(
      'drain.failed',
      `deployed, but scaling ${liveColour} down failed: ${(e as Error).message}; it keeps running`,
    );
  }
  emitter.info(
    'deploy.done',
    `deployed ${plan.imageTag} (${digest}) to ${t.environment}/${t.service} on ${idle}`,
    { releaseId: release.id },
  );
  return { status: 'deployed', release, plan, oldColourScaledDown: scaledDown };
}

/**
 * Requests per minute the live colour served over the last 3 published minutes (one GetMetricData): what
 * the new colour is expected to get at 100%. Undefined if unreadable (then no inconclusive check).
 */
async function liveRequestRate(
  deps: DeployDeps,
  t: ServiceTopology,
  colour: Colour,
  emitter: Emitter,
): Promise<number | undefined> {
  const toMs = Math.floor((deps.clock.now() - METRIC_DELAY_MS) / METRIC_PERIOD_MS) * METRIC_PERIOD_MS;
  const fromMs = toMs - FIVE_XX_WINDOW_MS;
  try {
    const c = await withRetry(deps.clock, 'cloudwatch:GetMetricData', () =>
      deps.metrics.targetGroupRequests(
        t.loadBalancerArnSuffix,
        t.targetGroupArnSuffixes[colour],
        fromMs,
        toMs,
      ),
    );
    const perMinute = c.requests / (FIVE_XX_WINDOW_MS / METRIC_PERIOD_MS);
    emitter.info(
      'traffic.baseline',
      `${colour} served ~${Math.round(perMinute)} requests/min before the shift`,
      {
        colour,
        perMinute,
      },
    );
    return perMinute;
  } catch (e) {
    emitter.warn(
      'traffic.baseline-unknown',
      `cannot read ${colour}'s request count (${(e as Error).message}); the final bake cannot tell missing metrics from no traffic`,
    );
    return undefined;
  }
}

/** Stickiness of the production rule when the port can tell and it is enabled; never fails the caller. */
export async function ruleStickiness(
  deps: Pick<DeployDeps, 'lb' | 'clock'>,
  t: ServiceTopology,
  emitter?: Emitter,
): Promise<RuleStickiness | undefined> {
  const get = deps.lb.getRuleStickiness?.bind(deps.lb);
  if (!get) return undefined;
  try {
    const s = await withRetry(deps.clock, 'elbv2:DescribeRules', () => get(t.productionRuleArn), {
      ...(emitter ? { emitter } : {}),
    });
    return s.enabled ? s : undefined;
  } catch {
    return undefined;
  }
}

/** What target-group stickiness means for a deploy's weights or a rollback's flip (one line). */
export function stickinessWarning(s: RuleStickiness, op: 'deploy' | 'rollback'): string {
  const d = s.durationSeconds !== undefined ? `${s.durationSeconds}s` : 'its duration';
  return op === 'deploy'
    ? `target-group stickiness is enabled on the production rule (${d}): clients already pinned to a colour stay on it for up to ${d} after each weight change, so a canary reaches fewer distinct clients than its weight suggests and a rollback moves every session only after up to ${d}`
    : `target-group stickiness is enabled on the production rule (${d}): the weight write is instant, but clients pinned to the colour being left keep reaching it for up to ${d} (keep it running until then)`;
}

/** The lock-loss error behind `e` or the signal's abort reason, if any. */
function lockLostOf(e: unknown, signal: AbortSignal | undefined): LockLostError | undefined {
  if (e instanceof LockLostError) return e;
  if (signal?.aborted && signal.reason instanceof LockLostError) return signal.reason;
  return undefined;
}

/**
 * Scales `colour` to 0, then reads the production rule once more. An operator who moved traffic onto it
 * by hand between `safeToScaleDown` and this write (outside the lock: nothing can fence that) gets its
 * `restoreCount` tasks back at once. Returns whether the colour stays scaled down.
 */
async function scaleDownChecked(
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
async function safeToScaleDown(
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
function drainLockLost(
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
async function stopOnLockLoss(
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
async function rollBack(
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

/**
 * `executeDeploy` under the deployment lock (heartbeat-renewed, released in finally, also on abort).
 * Dry runs and refusals (checked by a read-only preflight) never take the lock, so bad input writes
 * nothing at all; the checks run again under the lock.
 */
export async function deploy(
  deps: DeployDeps,
  req: DeployRequest,
  lockOptions: LockOptions = {},
): Promise<DeployOutcome> {
  const emitter = new Emitter(deps.events, deps.clock);
  if (req.imageDigest === undefined) {
    const problem = tagProblem(req.imageTag);
    if (problem)
      return refused(problem.startsWith('refusing') ? 'mutable-tag' : 'invalid-request', problem, emitter);
  }
  if (req.dryRun) return executeDeploy(deps, req);
  const key = keyOf(req.topology);
  if (!lockOptions.forceUnlock) {
    // Someone mid-deploy explains split weights better than "split weights" does.
    const current = await withRetry(deps.clock, 'store.getLock', () => deps.store.getLock(key));
    if (current && current.expiresAt > deps.clock.now()) return lockHeld(req, current, deps, emitter);
  }
  // Read-only preflight: bad input (unresolvable tag, split weights, nothing to do…) is refused without
  // touching the store, not even the lock. Its events are shown only when it refuses.
  const preflightEvents = new CollectingSink();
  const preflight = await executeDeploy({ ...deps, events: preflightEvents }, { ...req, dryRun: true });
  if (preflight.status === 'refused' || preflight.status === 'up-to-date') {
    for (const e of preflightEvents.events) deps.events.emit(e);
    return preflight;
  }
  // credentials that expire mid-deploy: refused without taking the lock (the run itself checks again)
  const expiry =
    preflight.status === 'dry-run'
      ? credentialsProblem(preflight.plan, deps.credentialsExpireAt, deps.clock.now())
      : undefined;
  if (expiry) return refused('credentials-expire', expiry, emitter);
  if (deps.signal?.aborted)
    return refused(
      'interrupted',
      'interrupted before the lock was taken: nothing was recorded or changed',
      emitter,
    );
  const owner = { ...req.owner, operation: req.kind ?? req.owner.operation ?? 'deploy' };
  const res = await withLock(
    deps,
    key,
    owner,
    (lock, signal, fence) =>
      executeDeploy({ ...deps, signal, fence, storeFence: { token: lock.token } }, req),
    lockOptions,
  );
  if (res.status === 'held') return lockHeld(req, res.heldBy, deps);
  return res.value;
}

const sameRange = (a: CapacityRange | undefined, b: CapacityRange) =>
  a !== undefined && a.min === b.min && a.max === b.max;

/** One line describing configuration changes of a base revision. */
export function describeChanges(c: ConfigurationChanges): string {
  if (!c.known) return 'configuration differences cannot be listed (no fingerprint from the ECS port)';
  const parts = [
    ...(c.fields.length ? [`fields ${c.fields.join(', ')}`] : []),
    ...(c.containers.length ? [`containers ${c.containers.join(', ')}`] : []),
  ];
  return parts.length ? `configuration changes ride along: ${parts.join('; ')}` : 'same configuration';
}

function lockHeld(req: DeployRequest, heldBy: LockInfo, deps: DeployDeps, emitter?: Emitter): DeployOutcome {
  const reason = `another operation holds the lock for ${req.topology.environment}/${req.topology.service}: ${describeHolder(heldBy, deps.clock.now())}. Wait for it to finish; if it died, its lease expires by itself, or take over with --force-unlock --reason "…"`;
  emitter?.error('refused', reason, { code: 'lock-held' });
  return { status: 'refused', code: 'lock-held', reason, heldBy };
}
