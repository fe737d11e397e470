/**
 * The deploy's vocabulary: its ports (`DeployDeps`), request, plan, outcomes and refusal codes. Shared by
 * the preflight (./preflight.ts), the step machine (./steps.ts), its failure transitions (./failure.ts)
 * and the entry points (./deploy.ts, ./resume.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Colour, DeploymentSettings, ServiceTopology, Strategy } from '../../../topology';
import type {
  CapacityRange,
  Clock,
  EcsPort,
  EventSink,
  LoadBalancerPort,
  LockInfo,
  LockOwner,
  MetricsPort,
  RegistryPort,
  ReleaseAudit,
  ReleaseKey,
  ReleaseRecord,
  ScalingPort,
  SmokePort,
  StoreFence,
  StorePort,
} from '../ports';
import type { GateName } from './gates';
import type { KeepLock, LockFence } from './lock';
import type { PlanTrafficExtras } from './plan-traffic';
import type { PlanSmokeTest } from './smoke';
import type { ConfigurationChanges } from './task-config';
import type { Weights } from './traffic';

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
  /**
   * Smoke tests (HTTP through the test listener, a command). Needed when the topology has `smokeTest`
   * (a deploy without it is refused). @default undefined
   */
  readonly smoke?: SmokePort;
  /**
   * Keep the deployment lock held past the run, its lease ending at `untilMs` (`withLock`'s KeepLock): a
   * deploy held for approval needs it. Absent: the caller cannot hold (a plan with a hold is refused).
   * @default undefined
   */
  readonly keepLock?: KeepLock;
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
  /** CI audit trail recorded with the release (run attempt, re-runner, approvers). @default none */
  readonly audit?: ReleaseAudit;
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
  /** Hold for approval after the canary step (`--hold-after`). @default topology deployment.holdAfter */
  readonly holdAfter?: 'none' | 'canary';
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
  /**
   * continue/abort `--release ID`: the newest release is another one (the named one's hold ended and a
   * newer deploy started): nothing was done.
   */
  | 'release-mismatch'
  /** SIGINT/SIGTERM arrived before anything was recorded or changed (no release record). */
  | 'interrupted'
  /** The credentials expire before the deploy's worst-case end (core/worst-case.ts). */
  | 'credentials-expire'
  /**
   * A service too quiet for the 5xx gate (core/quiet.ts) without a smoke test, where its settings require
   * one (`quietTraffic: require-smoke-test`, the prod default).
   */
  | 'quiet-unverified'
  /** continue / abort: the newest release is not in progress (nothing held, nothing left by a dead runner). */
  | 'nothing-in-progress'
  /** continue / abort: the release cannot be picked up from its step (see core/resume.ts). */
  | 'not-resumable'
  /** continue: the hold expired; it is aborted (`switchyard abort`). */
  | 'hold-expired'
  /** continue: the held deploy's lock was taken over or forced while it was held. */
  | 'hold-lost'
  /** continue: the world no longer matches the record (weights moved by hand). */
  | 'unsafe'
  /**
   * deploy / promote / rollback: the newest release is a deploy held for approval (core/hold.ts) — its
   * canary serves and it keeps the lock; `switchyard continue` / `abort` finish it first.
   */
  | 'held-for-approval';

export interface PlanStep {
  readonly percent: number;
  readonly weights: Weights;
  readonly bakeSeconds: number;
}

export interface DeployPlan extends PlanTrafficExtras {
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
  /**
   * Smoke test before any production traffic (topology `smokeTest`, core/smoke.ts): checks through the
   * test listener and/or a command. Absent: none.
   */
  readonly smokeTest?: PlanSmokeTest;
  /**
   * Hold for approval after the bake of step `afterStep` (at `percent`): the run exits with the canary
   * serving and the lock kept for `timeoutSeconds`. Absent: no hold.
   */
  readonly hold?: { readonly afterStep: number; readonly percent: number; readonly timeoutSeconds: number };
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
       * Held for approval: the canary serves (`weights`), the lock is kept until `until`; `switchyard
       * continue` finishes the deploy, `switchyard abort` restores traffic (exit 4).
       */
      readonly status: 'held';
      readonly release: ReleaseRecord;
      readonly plan: DeployPlan;
      readonly weights: Weights;
      readonly until: number;
    }
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

export const keyOf = (t: ServiceTopology): ReleaseKey => ({ environment: t.environment, service: t.service });

/** A new release id: `20260101T000000Z-deploy-a1b2c3` (sortable by time; ops/history.ts RELEASE_ID_RE). */
export function newReleaseId(kind: DeployKind, now: number): string {
  const ts = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${ts}-${kind}-${randomBytes(3).toString('hex')}`;
}
