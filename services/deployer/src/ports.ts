/**
 * Ports: the only way the deployer's pure core touches the world. Adapters on the AWS SDK v3 live in
 * `adapters/`; the in-memory simulation in `sim/` implements the same interfaces for tests,
 * `--simulate` and benchmarks.
 *
 * Errors: adapters throw `PortError` (below) with a `kind` so the core can tell a throttle (retry
 * later) from a missing resource (refuse) from anything else (internal error).
 */
import type { Colour, DeploymentSettings, Strategy } from '../../topology';
import type { DeployPlan } from './core/deploy-model';

export type PortErrorKind = 'throttled' | 'not-found' | 'conflict' | 'invalid' | 'unavailable' | 'internal';

export class PortError extends Error {
  constructor(
    readonly kind: PortErrorKind,
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'PortError';
  }
}

// ---------------------------------------------------------------------------------------------- ECS

export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface EcsDeployment {
  readonly id: string;
  /** PRIMARY is the newest; ACTIVE ones are being replaced. */
  readonly status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  readonly taskDefinitionArn: string;
  readonly rolloutState: RolloutState;
  readonly rolloutStateReason?: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly failedTasks: number;
}

/** One entry of an ECS service's event stream ("has reached a steady state", "unable to place a task"…). */
export interface EcsServiceEvent {
  readonly at: number;
  readonly message: string;
}

export interface EcsServiceState {
  readonly serviceName: string;
  readonly status: string; // ACTIVE | DRAINING | INACTIVE
  readonly taskDefinitionArn: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly deployments: readonly EcsDeployment[];
  /** The service's latest events, newest first (DescribeServices returns up to 100). @default [] */
  readonly events?: readonly EcsServiceEvent[];
}

export interface ContainerImage {
  readonly containerName: string;
  readonly image: string;
}

export interface TaskDefinitionSummary {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  readonly containers: readonly ContainerImage[];
  /**
   * Configuration fingerprint for diffs (dry-run plan: "which settings ride along with this release"):
   * every registrable top-level field except `containerDefinitions` → its canonical JSON, and per
   * container name → canonical JSON of its definition WITHOUT `image`. Optional: adapters that cannot
   * tell leave it out and the plan only says that the base differs from the live revision.
   */
  readonly configuration?: TaskDefinitionConfiguration;
}

export interface TaskDefinitionConfiguration {
  readonly fields: Readonly<Record<string, string>>;
  readonly containers: Readonly<Record<string, string>>;
}

export interface EcsPort {
  describeService(cluster: string, service: string): Promise<EcsServiceState>;
  describeTaskDefinition(arn: string): Promise<TaskDefinitionSummary>;
  /**
   * Registers a new revision copied field for field from `baseArn`, with only the image of
   * `containerName` replaced. Returns the new revision.
   */
  registerTaskDefinitionFrom(
    baseArn: string,
    containerName: string,
    image: string,
  ): Promise<TaskDefinitionSummary>;
  /**
   * Updates a service; returns the id of the ECS deployment this update started (the new PRIMARY),
   * or undefined when only the desired count changed.
   */
  updateService(
    cluster: string,
    service: string,
    update: { taskDefinitionArn?: string; desiredCount: number },
  ): Promise<{ deploymentId?: string }>;
  /** Reasons of recently stopped tasks of a service (for fail-fast and for the rollback reason). */
  recentStoppedTaskReasons(cluster: string, service: string, sinceMs: number): Promise<string[]>;
}

// ------------------------------------------------------------------------------------ Load balancer

export interface WeightedTarget {
  readonly targetGroupArn: string;
  readonly weight: number;
}

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

export interface TargetHealth {
  readonly id: string;
  readonly port: number;
  readonly state: TargetState;
  readonly reason?: string;
}

export interface RuleStickiness {
  readonly enabled: boolean;
  readonly durationSeconds?: number;
}

export interface LoadBalancerPort {
  /** Forward weights of a listener rule, as AWS reports them (after a write: read back to verify). */
  getRuleWeights(ruleArn: string): Promise<WeightedTarget[]>;
  /** One ModifyRule call setting the forward action's weights. */
  setRuleWeights(ruleArn: string, weights: readonly WeightedTarget[]): Promise<void>;
  /** Points the test listener rule at one target group (weight 1). */
  setRuleTarget(ruleArn: string, targetGroupArn: string): Promise<void>;
  /**
   * Target-group stickiness of the rule's forward action (clients pinned to a group for `durationSeconds`
   * ignore weight changes meanwhile). Optional: a port without it reports nothing (no warning).
   */
  getRuleStickiness?(ruleArn: string): Promise<RuleStickiness>;
  describeTargetHealth(targetGroupArn: string): Promise<TargetHealth[]>;
}

// ------------------------------------------------------------------------------ Metrics and alarms

export interface RequestCounts {
  readonly requests: number;
  readonly errors5xx: number;
}

/**
 * Response statistics of one target group over a window read as ONE period (so the p99 is the window's,
 * not a mean of per-minute p99s). Minutes CloudWatch has not published yet are simply missing.
 */
export interface LatencySample {
  /** Sum of RequestCount. */
  readonly requests: number;
  /** Sum of TargetConnectionErrorCount (missing = 0: ALB reports the metric only when nonzero). */
  readonly connectionErrors: number;
  /** p99 of TargetResponseTime in seconds; undefined when CloudWatch has no datapoint. */
  readonly p99Seconds?: number;
}

/** CloudWatch alarm state values. */
export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmState {
  readonly name: string;
  readonly state: AlarmStateValue;
  /**
   * When the state value last changed (CloudWatch `StateTransitionedTimestamp`), epoch ms. Undefined when
   * the source does not report it (then only a state seen out of ALARM and back counts as a new ALARM).
   */
  readonly since?: number;
}

export interface MetricsPort {
  /** Sum of RequestCount and HTTPCode_Target_5XX_Count for one target group over [fromMs, toMs). */
  targetGroupRequests(
    loadBalancerArnSuffix: string,
    targetGroupArnSuffix: string,
    fromMs: number,
    toMs: number,
  ): Promise<RequestCounts>;
  /**
   * RequestCount (Sum), TargetConnectionErrorCount (Sum) and TargetResponseTime (p99) of one target group
   * over [fromMs, toMs) — whole minutes — as one period (core/metric-gates.ts).
   */
  targetGroupLatency(
    loadBalancerArnSuffix: string,
    targetGroupArnSuffix: string,
    fromMs: number,
    toMs: number,
  ): Promise<LatencySample>;
  /**
   * The state of each named alarm, in the order given (duplicates once). A name that matches no alarm is
   * an error (`PortError('not-found')` naming the missing alarm(s)): a misspelt alarm must not silently
   * disable a gate.
   */
  alarmStates(alarmNames: readonly string[]): Promise<AlarmState[]>;
}

// ------------------------------------------------------------------- Application Auto Scaling

/** Min/max of one ECS service's scalable target (`ecs:service:DesiredCount`). */
export interface CapacityRange {
  readonly min: number;
  readonly max: number;
}

export interface ScalableTargetState extends CapacityRange {
  /** `service/<cluster>/<ecs service>`. */
  readonly resourceId: string;
}

/**
 * Application Auto Scaling of the ECS services (namespace `ecs`, dimension `ecs:service:DesiredCount`).
 * Terraform creates one scalable target per colour and ignores its min/max afterwards; the deployer
 * moves the floor so that autoscaling never fights a release.
 */
export interface ScalingPort {
  /**
   * Sets the scalable target's min/max (RegisterScalableTarget on an existing target updates only
   * these). Idempotent.
   */
  setCapacityRange(resourceId: string, min: number, max: number): Promise<void>;
  /** The registered min/max, or undefined when no scalable target exists for the resource. */
  describeCapacity(resourceId: string): Promise<ScalableTargetState | undefined>;
}

// ----------------------------------------------------------------------------- Smoke tests

export interface SmokeHttpRequest {
  /** Full URL: the test listener (`http(s)://host:port`) + the check's path. */
  readonly url: string;
  readonly method: string;
  /** Host header and TLS server name. @default the URL's host */
  readonly host?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface SmokeHttpResponse {
  readonly status: number;
  /** The body's first 64 KiB, as text. */
  readonly body: string;
}

export interface SmokeCommandRun {
  readonly argv: readonly string[];
  /** Added to the deployer's own environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface SmokeCommandResult {
  /** Exit code; null when killed (timeout, signal) or it could not start. */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** The last lines of stdout + stderr (interleaved as they came), at most ~4 KB. */
  readonly outputTail: string;
  /** Why it could not start (ENOENT …). */
  readonly error?: string;
}

/** Pre-traffic smoke tests: HTTP requests through the test listener, and a command. */
export interface SmokePort {
  /** One request. Network failures and timeouts throw (PortError `unavailable`). */
  http(req: SmokeHttpRequest): Promise<SmokeHttpResponse>;
  run(cmd: SmokeCommandRun): Promise<SmokeCommandResult>;
}

// -------------------------------------------------------------------------------- Image registry

/** An image of a repository: its digest and every tag on it. */
export interface ImageDetails {
  readonly digest: string;
  /** Sorted. */
  readonly tags: readonly string[];
  /** When it was pushed (epoch ms), when the registry says. */
  readonly pushedAt?: number;
}

/** `tagged`: the tag now points at the image; `unchanged`: it already did. */
export type TagResult = 'tagged' | 'unchanged';

export interface RegistryPort {
  /** `sha256:…` digest a tag points to, or undefined when the tag does not exist. */
  resolveTag(repositoryName: string, tag: string): Promise<string | undefined>;
  /** Whether the repository holds an image with that digest. */
  hasDigest(repositoryName: string, digest: string): Promise<boolean>;
  /**
   * The image with that digest and its tags (e.g. the 40-hex commit SHA the build tagged it with), or
   * undefined when the repository does not hold it. Optional: without it no source commit is recorded.
   */
  describeImage?(repositoryName: string, digest: string): Promise<ImageDetails | undefined>;
  /**
   * Points a movable tag (the `sy-*` retention marks) at the image with that digest, keeping the image
   * itself (its exact manifest). Optional: without it the retention marks are skipped with a warning.
   */
  tagImage?(repositoryName: string, digest: string, tag: string): Promise<TagResult>;
}

// ------------------------------------------------------------------------------ Deployment store

export interface ReleaseKey {
  readonly environment: string;
  readonly service: string;
}

export interface LockOwner {
  /** Who: GitHub actor or local user. */
  readonly actor: string;
  readonly host: string;
  /** CI run id / URL when running in CI. */
  readonly runId?: string;
  readonly runUrl?: string;
  /** What the holder is doing: deploy, rollback, promote. */
  readonly operation: string;
}

export interface LockInfo {
  readonly key: ReleaseKey;
  readonly owner: LockOwner;
  /** Unique token of this acquisition; renew/release must present it. */
  readonly token: string;
  readonly acquiredAt: number;
  readonly expiresAt: number;
}

export type AcquireResult =
  | { readonly acquired: true; readonly lock: LockInfo; readonly tookOverExpired?: LockInfo }
  | { readonly acquired: false; readonly heldBy: LockInfo };

export type ReleaseOutcome = 'in-progress' | 'deployed' | 'rolled-back' | 'failed' | 'superseded';

/** The step a deploy is at; written *before* the step acts. */
export type DeployStep =
  | 'started'
  /** About to call RegisterTaskDefinition (a killed deployer leaves the intent). */
  | 'registering-task-definition'
  | 'task-definition-registered'
  | 'scaling-idle'
  | 'waiting-healthy'
  | 'shifting'
  | 'baking'
  /** Smoke test through the test listener, before any production traffic (topology `smokeTest`). */
  | 'smoke-testing'
  /** Held for approval after a weight step: the canary serves, the lock is kept with a lease (`hold`). */
  | 'held'
  | 'final-bake'
  | 'rolling-back'
  | 'draining-old'
  | 'done';

/**
 * Who and what made a release, as GitHub Actions tells it (cli/context.ts `auditFromEnv`). Absent outside
 * GitHub Actions. The record's `actor` stays GITHUB_ACTOR: who triggered the run's first attempt — "any
 * workflow re-runs will use the privileges of github.actor" (GitHub docs, github context).
 */
export interface ReleaseAudit {
  /** GITHUB_RUN_ATTEMPT: 1 for the run's first attempt, one more for each re-run. */
  readonly runAttempt?: number;
  /**
   * GITHUB_TRIGGERING_ACTOR: who started this attempt — on a re-run, the re-runner, which "may differ
   * from github.actor".
   */
  readonly triggeringActor?: string;
  /**
   * Logins whose review approved this run's job for the environment — GitHub's review history of the run
   * (REST `GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals`, state `approved`, filtered to the
   * environment; every attempt of the run). `[]`: looked up, nobody (the environment requires no
   * review). Absent: not looked up or not readable.
   */
  readonly approvedBy?: readonly string[];
  /** GITHUB_WORKFLOW_REF: the workflow file and ref that ran (e.g. `o/r/.github/workflows/deploy.yml@refs/heads/main`). */
  readonly workflowRef?: string;
  /** GITHUB_EVENT_NAME of the run (`workflow_dispatch`, `workflow_run` …). */
  readonly event?: string;
}

/**
 * One `switchyard continue` / `switchyard abort` of a release (e.g. the approval of CI's full-shift job):
 * who, when, from which run, and that run's audit (its approvers: the review history of the run, which
 * covers all its jobs for the environment — the canary's approval and the full shift's).
 */
export interface ReleaseResume extends ReleaseAudit {
  readonly op: 'continue' | 'abort';
  /** When it took over the release (ms since the epoch). */
  readonly at: number;
  /** Who ran it (GITHUB_ACTOR, else the OS user). */
  readonly actor: string;
  /** The CI run that did it. */
  readonly runUrl?: string;
}

export interface ReleaseRecord {
  readonly id: string;
  readonly environment: string;
  readonly service: string;
  readonly kind: 'deploy' | 'rollback' | 'promote';
  readonly imageTag: string;
  readonly imageDigest: string;
  readonly image: string; // repo@sha256:…
  readonly taskDefinitionArn?: string;
  /** Colour the release went to (the idle colour at start). */
  readonly colour: Colour;
  /** Colour that was live (last known good) when it started. */
  readonly previousColour: Colour;
  readonly previousTaskDefinitionArn?: string;
  readonly strategy: Strategy;
  readonly outcome: ReleaseOutcome;
  readonly step: DeployStep;
  /** Weights the deploy is about to write / last wrote (blue, green). */
  readonly intendedWeights?: { readonly blue: number; readonly green: number };
  /**
   * Application Auto Scaling ranges the deploy is about to write / last wrote, per colour (only when the
   * topology has `autoscaling` and the deployer manages it). Written before each floor write, like
   * `step` and `intendedWeights`, so a killed deployer leaves the floor it was setting on record.
   */
  readonly intendedCapacity?: { readonly blue?: CapacityRange; readonly green?: CapacityRange };
  /** Task-definition revision the new revision was copied from (topology `baseTaskDefinitionArn` or the live one). */
  readonly baseTaskDefinitionArn?: string;
  /**
   * The plan a deploy follows and its effective settings, written when it starts: with `step` and
   * `progress` it is everything another process needs to continue or abort the run (core/run.ts).
   * Absent on rollback flips and on releases recorded before the step machine.
   */
  readonly plan?: RecordedPlan;
  /** What the run learnt so far (core/run.ts), written with every step. */
  readonly progress?: RunProgress;
  /** The smoke test's result (pass/fail, per check, the command's output tail), when one ran. */
  readonly smokeTest?: SmokeTestResult;
  /** Set when the deploy was held for approval (step `held`); kept after it continued or was aborted. */
  readonly hold?: HoldRecord;
  readonly reason?: string;
  /**
   * What the deployer could not do and why, in words (e.g. the old colour was left running because it
   * carries traffic again; the lock was lost; a dead release was superseded).
   */
  readonly note?: string;
  readonly actor: string;
  /** Commit of the run that made the release (`--commit`, default GITHUB_SHA) — not the image's. */
  readonly commitSha?: string;
  readonly runUrl?: string;
  /** CI audit trail: run attempt, re-runner, approvers (see ReleaseAudit). */
  readonly audit?: ReleaseAudit;
  /** Each continue / abort that took the release over, oldest first (absent: none). */
  readonly resumes?: readonly ReleaseResume[];
  /**
   * The commit the image was built from: its 40-hex tag (build.yml tags each image with its commit SHA),
   * recorded right after the release (ops/retention.ts).
   */
  readonly imageRevision?: string;
  /** For promotions and rollbacks: where the digest came from. */
  readonly sourceEnvironment?: string;
  readonly sourceReleaseId?: string;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly endedAt?: number;
}

/** A deploy's plan as recorded with its release (core/deploy-model.ts `DeployPlan`, plain JSON). */
export interface RecordedPlan {
  readonly deploy: DeployPlan;
  readonly settings: DeploymentSettings;
}

/** What a smoke test found (core/smoke.ts), recorded with the release. */
export interface SmokeTestResult {
  readonly passed: boolean;
  readonly at: number;
  readonly durationMs: number;
  /** The test listener URL it used and the colour it reached. */
  readonly url: string;
  readonly colour: Colour;
  readonly checks: readonly {
    readonly request: string;
    readonly passed: boolean;
    /** Requests sent (stops at the first failure). */
    readonly attempts: number;
    readonly detail?: string;
  }[];
  readonly command?: {
    readonly argv: readonly string[];
    readonly exitCode: number | null;
    readonly timedOut: boolean;
    readonly outputTail: string;
  };
  /** One line: why it failed. */
  readonly reason?: string;
}

/** A deploy held for approval (core/steps.ts `held`). */
export interface HoldRecord {
  /** The weight step (index into the plan's steps) after whose bake it holds. */
  readonly afterStep: number;
  readonly heldAt: number;
  /** When the hold expires: after it, `continue` is refused and the hold is aborted (`abort --expired`). */
  readonly until: number;
  /**
   * Token of the deployment lock the held run left behind (its lease ends at `until`): `continue` /
   * `abort` take it over only while the lock still carries it (`StorePort.handOverLock`). Not a secret:
   * the lock item in the same table carries it too.
   */
  readonly lockToken: string;
}

/** Progress of a deploy beyond its `step`, written with every step (core/run.ts). */
export interface RunProgress {
  /** The weight step (index into the plan's steps) being shifted to / baked. */
  readonly stepIndex?: number;
  /** When the new colour first got production traffic (the 5xx window's start). */
  readonly trafficSinceMs?: number;
  /** When the current weights were written (a judged 5xx window is due relative to it). */
  readonly weightsSinceMs?: number;
  /** Requests per minute the live colour served before the shift (the 5xx gate's expectation). */
  readonly livePerMinute?: number;
  /** Gating alarms in ALARM at the preflight, excused until they fire again (core/alarms.ts). */
  readonly excusedAlarms?: readonly AlarmState[];
}

/**
 * Fence of a release write: the token of the deployment lock the writer holds (a `LockInfo` fits). A
 * fenced write succeeds only if the lock item of the record's environment + service still carries this
 * token — checked in the same atomic write, so a run that lost its lock (force-unlock, take-over) cannot
 * overwrite the new holder's records, however late it wakes up. Token match IS the fence: the lease's
 * expiry is not checked here (an expired lease nobody took over still carries the token and no other
 * holder exists; a take-over or force-unlock replaces or removes the token). Keeping the lease alive is
 * the heartbeat's business (`core/lock.ts`).
 */
export interface StoreFence {
  readonly token: string;
}

/** A fenced release write was refused: the lock no longer carries the writer's token. */
export class LockFenceError extends PortError {
  constructor(message: string, cause?: unknown) {
    super('conflict', message, cause);
  }
}

/** Whether `e` is a fenced store write refused because the writer's lock is gone (see StoreFence). */
export function isLockFenceError(e: unknown): e is LockFenceError {
  return e instanceof LockFenceError;
}

export interface StorePort {
  /** Conditional write: succeeds when no lock exists or the existing one expired (then `tookOverExpired`). */
  acquireLock(key: ReleaseKey, owner: LockOwner, leaseMs: number): Promise<AcquireResult>;
  /** Extends the lease; throws PortError('conflict') when the lock is no longer ours. */
  renewLock(lock: LockInfo, leaseMs: number): Promise<LockInfo>;
  /**
   * Hands a lock over to a new holder: replaces it (new token, owner and lease) only if it still carries
   * `token`, expired or not — how `switchyard continue` / `abort` take the lock a held deploy left behind.
   * Throws `LockFenceError` (kind `conflict`) when the lock is gone or carries another token.
   */
  handOverLock(key: ReleaseKey, token: string, owner: LockOwner, leaseMs: number): Promise<LockInfo>;
  /** Deletes the lock only if it is still ours (token matches). Idempotent. */
  releaseLock(lock: LockInfo): Promise<void>;
  /** Removes whatever lock exists and records who forced it and why. Returns the lock removed. */
  forceUnlock(key: ReleaseKey, by: string, reason: string): Promise<LockInfo | undefined>;
  getLock(key: ReleaseKey): Promise<LockInfo | undefined>;

  /**
   * Creates a release; PortError('conflict') when it exists. With `fence`: atomically also requires the
   * lock of the record's environment + service to carry `fence.token`, else throws `LockFenceError`
   * (kind `conflict`, message `lock lost: …`) and writes nothing.
   */
  putRelease(record: ReleaseRecord, fence?: StoreFence): Promise<void>;
  /**
   * Partial update of a release (step, outcome, reason, weights, endedAt…); `updatedAt` set by caller.
   * With `fence`: as `putRelease` (refused with `LockFenceError`, nothing written, when the lock no longer
   * carries the token; the lock check wins when the release is also missing). A patch that changes no
   * field writes nothing and is not fenced.
   */
  updateRelease(
    key: ReleaseKey,
    id: string,
    patch: Partial<Omit<ReleaseRecord, 'id' | 'environment' | 'service'>>,
    fence?: StoreFence,
  ): Promise<ReleaseRecord>;
  getRelease(key: ReleaseKey, id: string): Promise<ReleaseRecord | undefined>;
  /** Newest first. */
  listReleases(key: ReleaseKey, limit: number): Promise<ReleaseRecord[]>;
}

// --------------------------------------------------------------------------------- Clock and events

export interface Clock {
  now(): number;
  /**
   * Resolves after `ms`, or early (never rejecting) as soon as `signal` aborts — so SIGINT during a
   * bake acts at once and no timer outlives the run. Implementations without signal support are valid
   * (the core re-checks the signal after every sleep).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type EventLevel = 'info' | 'warn' | 'error';

/** One line of progress. `type` is stable (machines read it with --output json); `message` is for people. */
export interface DeployEvent {
  readonly at: number;
  readonly level: EventLevel;
  readonly type: string;
  readonly message: string;
  readonly data?: Record<string, unknown>;
}

export interface EventSink {
  emit(event: DeployEvent): void;
}
