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
  executeDeploy,
  MUTABLE_TAGS,
  type PlanStep,
  type RefusalCode,
  tagProblem,
} from './deploy';
export { CollectingSink, Emitter, nullSink } from './events';
export {
  bake,
  checkGates,
  fiveXxWindowStart,
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
  type ColourState,
  classifyWeights,
  digestOfImage,
  type LiveState,
  type LiveStatus,
  readLiveState,
} from './live-state';
export { DEFAULT_LEASE_MS, describeHolder, type LockOptions, type LockResult, withLock } from './lock';
export { DEFAULT_RETRY, GATE_RETRY, isRetryable, RESTORE_RETRY, type RetryPolicy, withRetry } from './retry';
export { effectiveSettings, FIVE_XX_WINDOW_MS, weightSchedule } from './settings';
export { restoreTraffic, setWeights, toRule, type Weights, weightsFor } from './traffic';
