/** Effective deployment settings: the topology's defaults (from the environment YAML) + per-run overrides. */
import {
  type DeploymentSettings,
  deploymentSettingsSchema,
  type ServiceTopology,
  type Strategy,
} from '../../../topology';

/** Sliding window over which the 5xx share is judged (CloudWatch's finest ALB resolution is 60 s). */
export const FIVE_XX_WINDOW_MS = 60_000;
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
