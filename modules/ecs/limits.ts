/**
 * Limits the ECS module enforces, shared with the environment schema (environments/schema.ts) so a
 * schema-valid YAML never reaches a module check that throws. Pure: no provider imports.
 */

/** Longest service name: `<project>-<env>-<svc>-<colour>` names (target groups, roles) must stay short. */
export const MAX_SERVICE_NAME_LENGTH = 24;
/** Target-tracking targets (percent) accepted for cpuTarget / memoryTarget. */
export const SCALING_TARGET_MIN = 10;
export const SCALING_TARGET_MAX = 90;
/** Test-listener sources wider than this prefix length are refused (a /0–/7 is "the internet"). */
export const MIN_TEST_LISTENER_PREFIX = 8;

/**
 * Fields of `aws_appautoscaling_target` the deployer writes on every release (RegisterScalableTarget with
 * MinCapacity and MaxCapacity, services/deployer/src/adapters/autoscaling.ts); Terraform ignores them
 * after creation. Changes to `autoscaling.min/max` in the YAML reach AWS through the topology document
 * (`autoscaling.minCapacity/maxCapacity`) at the next deploy.
 */
export const DEPLOYER_OWNED_SCALING_FIELDS: readonly string[] = ['min_capacity', 'max_capacity'];
