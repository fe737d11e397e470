/** Public API of the deployer core (used by the CLI, rollback/promote/status and the benchmarks). */
export { systemClock } from './clock';
export {
  buildPlan,
  type DeployDeps,
  DeployError,
  type DeployKind,
  type DeployOutcome,
  type DeployPlan,
  type DeployRequest,
  deploy,
  describeChanges,
  executeDeploy,
  MUTABLE_TAGS,
  type PlanAutoscaling,
  type PlanInputs,
  type PlanStep,
  type RefusalCode,
  tagProblem,
} from './deploy';
export { CollectingSink, Emitter, nullSink } from './events';
export {
  bake,
  checkGates,
  fiveXxDataDueAt,
  fiveXxInconclusive,
  fiveXxWindow,
  GateFailure,
  type GateName,
  type GateObservation,
  gatePeriodMs,
  judge5xx,
  throwIfAborted,
  type WatchContext,
  waitForEcsDeployment,
  waitForHealthyTargets,
} from './gates';
export {
  baselineWindow,
  judgeConnectionErrors,
  judgeLatency,
  type LatencyBaseline,
  latencyLimit,
  type ResponseGateSettings,
  responseGateSettings,
} from './metric-gates';
export {
  describeTraffic,
  type PlanTraffic,
  type PlanTrafficExtras,
  type ResponseGatePlan,
  trafficWarnings,
  withTrafficCheck,
} from './plan-traffic';
export { judgedWindowMinutes, minJudgeablePerMinute, tooQuietToJudge, unjudgedPercents } from './quiet';
export {
  type ColourState,
  classifyWeights,
  digestOfImage,
  type LiveState,
  type LiveStatus,
  readLiveState,
} from './live-state';
export { DEFAULT_LEASE_MS, describeHolder, type LockOptions, type LockResult, withLock } from './lock';
export { DEFAULT_RETRY, GATE_RETRY, isRetryable, RESTORE_RETRY, type RetryPolicy, withRetry } from './retry';
export {
  applyScalingFloor,
  bakeFloor,
  idleRange,
  liveRange,
  managedAutoscaling,
  readScalingState,
  type ScalingDeps,
  type ScalingFloorResult,
  setColourCapacity,
} from './scaling';
export {
  effectiveSettings,
  FIVE_XX_WINDOW_MS,
  METRIC_DELAY_MS,
  METRIC_PERIOD_MS,
  MIN_MEANINGFUL_BAKE_MS,
  weightSchedule,
} from './settings';
export {
  type ConfigurationChanges,
  canonicalJson,
  configurationDiff,
  configurationFingerprint,
  fingerprint,
} from './task-config';
export { restoreTraffic, setWeights, toRule, type Weights, weightsFor } from './traffic';
