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
