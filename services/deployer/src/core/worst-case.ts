/**
 * Worst-case duration of a deploy from its own plan, and whether the credentials outlive it. Pure.
 *
 * A deploy needs working credentials until its last write: the restoring write if a gate fails at the
 * very end, or the old colour's scale-down after the termination wait. Credentials that expire earlier
 * leave traffic where it is when they do (possibly split), so the deployer refuses to start then.
 */
import { FIVE_XX_WINDOW_MS, METRIC_DELAY_MS, METRIC_PERIOD_MS } from './settings';
import { type PlanSmokeTest, smokeWorstCaseSeconds } from './smoke';

/** The plan fields the worst case depends on (a DeployPlan has them all). */
export interface WorstCasePlan {
  readonly steps: readonly { readonly bakeSeconds: number }[];
  readonly finalBakeSeconds: number;
  readonly terminationWaitSeconds: number;
  readonly gates: {
    readonly pollIntervalSeconds: number;
    readonly deploymentTimeoutSeconds: number;
    readonly healthyTimeoutSeconds: number;
  };
  /** The smoke test (DeployPlan.smokeTest): its settle time, every request at its timeout, the command. */
  readonly smokeTest?: PlanSmokeTest;
  /** The automatic restore's deadline and settle time (DeployPlan.restore); absent: the default reserve. */
  readonly restore?: { readonly deadlineSeconds: number; readonly settleSeconds: number };
}

/** Lock, release record, task-definition registration, preflight reads. */
export const SETUP_SECONDS = 60;
/**
 * After a failed gate: the restoring write (retried), its read-back and settle, the failed colour's
 * scale-down and the record. Covers the restore deadline. @see core/retry.ts
 */
export const DEFAULT_RESTORE_RESERVE_SECONDS = 600;
/**
 * The final bake is extended until a judged 5xx window must exist: the first whole minute with traffic,
 * the 3-minute window and CloudWatch's publication delay after the first shift (core/gates.ts
 * fiveXxDataDueAt). The final bake starts after that shift, so it lasts at most this long.
 */
export const FINAL_BAKE_EXTENSION_SECONDS = (METRIC_PERIOD_MS + FIVE_XX_WINDOW_MS + METRIC_DELAY_MS) / 1000;

/**
 * Time after a gate fails at the last moment: the restoring write retried until the plan's restore deadline,
 * the settle time, then the failed colour's scale-down and the record (SETUP_SECONDS covers those).
 */
export function restoreReserveOf(plan: WorstCasePlan): number {
  return plan.restore
    ? plan.restore.deadlineSeconds + plan.restore.settleSeconds + SETUP_SECONDS
    : DEFAULT_RESTORE_RESERVE_SECONDS;
}

export interface WorstCase {
  readonly seconds: number;
  /** "ECS 900s + healthy 300s + …" for messages. */
  readonly parts: readonly string[];
}

/**
 * Longest a deploy following `plan` can run: set-up, the ECS deployment and healthy-target waits at their
 * timeouts, every bake (plus one poll each for the last gate check), the final bake at its longest, then
 * the longer of a restore (a gate failing at the last moment) and the termination wait + scale-down.
 */
export function worstCaseSeconds(
  plan: WorstCasePlan,
  restoreReserveSeconds = restoreReserveOf(plan),
): WorstCase {
  const poll = plan.gates.pollIntervalSeconds;
  const bakes = plan.steps.reduce((s, step) => s + step.bakeSeconds + poll, 0);
  const finalBake = Math.max(plan.finalBakeSeconds, FINAL_BAKE_EXTENSION_SECONDS) + poll;
  const end = Math.max(restoreReserveSeconds, plan.terminationWaitSeconds + SETUP_SECONDS);
  const smoke = plan.smokeTest ? smokeWorstCaseSeconds(plan.smokeTest) : 0;
  const parts = [
    `set-up ${SETUP_SECONDS}s`,
    `ECS deployment ${plan.gates.deploymentTimeoutSeconds}s`,
    `healthy targets ${plan.gates.healthyTimeoutSeconds}s`,
    ...(plan.smokeTest ? [`smoke test ${smoke}s`] : []),
    `${plan.steps.length} bake(s) ${bakes}s`,
    `final bake ${finalBake}s`,
    `then restore or termination wait ${end}s`,
  ];
  return {
    seconds:
      SETUP_SECONDS +
      plan.gates.deploymentTimeoutSeconds +
      plan.gates.healthyTimeoutSeconds +
      smoke +
      bakes +
      finalBake +
      end,
    parts,
  };
}

/** Why the credentials cannot carry the deploy, or undefined when they can (or their expiry is unknown). */
export function credentialsProblem(
  plan: WorstCasePlan,
  expiresAt: number | undefined,
  now: number,
  restoreReserveSeconds?: number,
): string | undefined {
  if (expiresAt === undefined) return undefined;
  const worst = worstCaseSeconds(plan, restoreReserveSeconds);
  const left = Math.floor((expiresAt - now) / 1000);
  if (worst.seconds <= left) return undefined;
  const min = (s: number) => `${Math.floor(s / 60)} min ${s % 60} s`;
  return `the AWS credentials expire at ${new Date(expiresAt).toISOString().replace(/\.\d+Z$/, 'Z')} (${left > 0 ? `in ${min(left)}` : 'already expired'}), but this deploy can take up to ${min(worst.seconds)} (${worst.parts.join(' + ')}); credentials that expire mid-deploy would leave traffic where it is. Get a longer session (CI: role-duration-seconds ≥ the job's timeout, at most the role's 2 h maximum session) or shorten the deploy settings, then retry`;
}
