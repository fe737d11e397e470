/** Effective deployment settings: the topology's defaults (from the environment YAML) + per-run overrides. */
import {
  type DeploymentSettings,
  deploymentSettingsSchema,
  type ServiceTopology,
  type Strategy,
} from '../../../topology';

/** Period of the ALB metrics in CloudWatch (RequestCount, HTTPCode_Target_5XX_Count): whole minutes. */
export const METRIC_PERIOD_MS = 60_000;
/**
 * How late the ALB publishes a minute's datapoint in CloudWatch, worst case assumed (typically 60–120 s
 * after the minute ends). The gate cannot see a 5xx spike earlier than this.
 */
export const METRIC_DELAY_MS = 120_000;
/**
 * Window over which the 5xx share is judged: the last 3 whole minutes ending at the last complete
 * minute (fewer right after the first shift: never before the minute traffic started in).
 */
export const FIVE_XX_WINDOW_MS = 3 * METRIC_PERIOD_MS;
/** Shortest bake in which CloudWatch data can show up at all: metric delay + 2 periods (240 s). */
export const MIN_MEANINGFUL_BAKE_MS = METRIC_DELAY_MS + 2 * METRIC_PERIOD_MS;
/** Consecutive polls with an `unhealthy` target before the healthy-wait fails fast. */
export const UNHEALTHY_POLLS_TO_FAIL = 3;
/** Failed tasks of the new ECS deployment before the deploy fails fast (ECS' own breaker may be later). */
export const FAILED_TASKS_TO_FAIL = 3;

/** Default of `restoreDeadlineSeconds`: the automatic restore retries for up to 5 minutes, then exits 1. */
export const DEFAULT_RESTORE_DEADLINE_SECONDS = 300;

/** The restore deadline of a run (topology/YAML `deploy.restoreDeadlineSeconds`, else the default). */
export function restoreDeadlineMs(settings: Pick<DeploymentSettings, 'restoreDeadlineSeconds'>): number {
  return (settings.restoreDeadlineSeconds ?? DEFAULT_RESTORE_DEADLINE_SECONDS) * 1000;
}

/**
 * Wait between a confirmed restore (weights read back) and scaling the colour traffic left down: ALB rule
 * changes reach the load balancer nodes with a delay, during which requests may still be routed to the
 * old targets. // AWS: "Rule updates do not take effect immediately, so requests could be routed using
 * the previous rule configuration for a short time after you update a rule." (ELB docs, "Edit a listener
 * rule for your Application Load Balancer"). ECS then deregisters the scaled-down tasks' targets and keeps
 * them for the deregistration delay, so in-flight requests complete.
 */
export const RESTORE_SETTLE_MS = 15_000;

export function effectiveSettings(
  topology: ServiceTopology,
  overrides: Partial<DeploymentSettings> = {},
  strategy?: Strategy,
): DeploymentSettings {
  const merged = { ...topology.deployment, ...overrides, ...(strategy ? { strategy } : {}) };
  const parsed = deploymentSettingsSchema.safeParse(merged);
  if (!parsed.success) {
    throw new Error(
      `invalid deployment settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** Percentages of traffic on the new colour after each shift, per strategy. Always ends at 100. */
export function weightSchedule(settings: DeploymentSettings): number[] {
  switch (settings.strategy) {
    case 'all-at-once':
      return [100];
    case 'canary':
      return [settings.canaryPercent, 100];
    case 'linear': {
      const steps: number[] = [];
      for (let p = settings.linearStepPercent; p < 100; p += settings.linearStepPercent) steps.push(p);
      steps.push(100);
      return steps;
    }
  }
}
