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

/**
 * Per load balancer (AWS, "Quotas for your Application Load Balancers", Elastic Load Balancing User Guide):
 * "Target Groups per Application Load Balancer: 100 (not adjustable)" and "Rules per Application Load
 * Balancer (excluding default rules): 100". Every service of an environment shares its one ALB and takes
 * a blue and a green target group and a production and a test listener rule.
 */
export const MAX_TARGET_GROUPS_PER_ALB = 100;
export const MAX_RULES_PER_ALB = 100;
export const TARGET_GROUPS_PER_SERVICE = 2;
export const LISTENER_RULES_PER_SERVICE = 2;
/** Most services one environment (one ALB) can hold: 50. */
export const MAX_SERVICES_PER_ENVIRONMENT = Math.min(
  Math.floor(MAX_TARGET_GROUPS_PER_ALB / TARGET_GROUPS_PER_SERVICE),
  Math.floor(MAX_RULES_PER_ALB / LISTENER_RULES_PER_SERVICE),
);

/** The problem when `serviceCount` services do not fit on one ALB, else undefined. */
export function loadBalancerCapacityProblem(serviceCount: number): string | undefined {
  if (serviceCount <= MAX_SERVICES_PER_ENVIRONMENT) return undefined;
  const groups = serviceCount * TARGET_GROUPS_PER_SERVICE;
  const rules = serviceCount * LISTENER_RULES_PER_SERVICE;
  return (
    `${serviceCount} services need ${groups} target groups and ${rules} listener rules on the environment's one ` +
    `load balancer (a blue and a green target group, a production and a test rule each), but an Application ` +
    `Load Balancer holds at most ${MAX_TARGET_GROUPS_PER_ALB} target groups (not adjustable) and ` +
    `${MAX_RULES_PER_ALB} rules (ELB quotas): at most ${MAX_SERVICES_PER_ENVIRONMENT} services per environment; ` +
    `move ${serviceCount - MAX_SERVICES_PER_ENVIRONMENT} of them to another environment`
  );
}

/**
 * The colour a production rule forwards 100 % to when Terraform creates (or re-creates) it; the other
 * colour gets 0 and starts with 0 tasks. Afterwards the deployer owns the weights (`ignore_changes`).
 */
export const INITIAL_LIVE_COLOUR = 'blue' as const;

/**
 * Tags the plan guard (.github/scripts/traffic-guard.ts) reads from `terraform show -json` to tie rules,
 * target groups and ECS services to a service and a colour. Changing them is a contract change.
 */
export const TRAFFIC_TAGS = {
  /** Service name, on target groups, ECS services and listener rules. */
  service: 'switchyard:service',
  /** `blue` / `green`, on target groups and ECS services. */
  colour: 'switchyard:colour',
  /** `production` / `test`, on listener rules. */
  rule: 'switchyard:rule',
  /** On the production rule: the colour its declared action sends 100 % to (INITIAL_LIVE_COLOUR). */
  initialColour: 'switchyard:initial-colour',
} as const;
