/** Release operations on top of the deploy core: rollback (incl. recovery of a killed deployer), promote, status. */
export {
  currentRelease,
  describeRelease,
  expectedLive,
  HISTORY_WINDOW,
  isKnownGood,
  newReleaseId,
  previousKnownGood,
  RELEASE_ID_RE,
  releasesOfTag,
  safeColourOf,
} from './history';
export {
  checkPromotionOrder,
  type PromoteDeps,
  type PromoteOutcome,
  type PromoteRefusalCode,
  type PromoteRequest,
  pickSourceRelease,
  promote,
  promoteExitCode,
} from './promote';
export {
  describePlan,
  planRollback,
  type RollbackOutcome,
  type RollbackPlan,
  type RollbackRefusalCode,
  type RollbackRequest,
  type RollbackTarget,
  rollback,
  rollbackExitCode,
  validateRollbackRequest,
} from './rollback';
export {
  parseSourceStatus,
  SOURCE_STATUS_MAX_AGE_MS,
  type SourceSnapshot,
  snapshotStore,
} from './source-status';
export {
  type ColourStatus,
  colourCanServe,
  DEFAULT_STATUS_RELEASES,
  type DeadRelease,
  environmentStatus,
  explainDead,
  formatStatusText,
  type LockStatus,
  recoverCommand,
  type ServiceStatus,
  type StatusDeps,
  type StatusOptions,
  type StatusReport,
  type StatusWarning,
  serviceStatus,
  type WarningCode,
} from './status';
