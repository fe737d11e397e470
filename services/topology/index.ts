/**
 * The contract between Terraform and the deployer.
 *
 * Terraform (modules/ecs) owns the *shape* of a service — clusters, the blue and green ECS services,
 * their target groups, the production and test listener rules, roles — and publishes it as one JSON
 * document per service: the SSM parameter `/switchyard/<env>/services/<svc>` and the Terraform output
 * `topology_<svc>`. The deployer (services/deployer) reads that document (or a file given with
 * `--topology`) and owns what changes on every release: task-definition revision, desired counts,
 * rule weights.
 *
 * This file is the single definition both sides import: the TypeScript type and the runtime parser.
 * Keep it free of cdktf and AWS SDK imports.
 */
import { z } from 'zod';

/**
 * Version 2: `alarms: { blue, green, shared }` replaced the flat `alarmNames` of version 1 (a colour's
 * own alarms gate only that colour).
 */
export const TOPOLOGY_SCHEMA_VERSION = 2 as const;

export const COLOURS = ['blue', 'green'] as const;
export type Colour = (typeof COLOURS)[number];

export const STRATEGIES = ['all-at-once', 'canary', 'linear'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** SSM parameter name under which Terraform publishes a service's topology. */
export function topologyParameterName(environment: string, service: string): string {
  return `/switchyard/${environment}/services/${service}`;
}

const perColour = <T extends z.ZodType>(t: T) => z.strictObject({ blue: t, green: t });

/**
 * Deployment defaults for a service, taken from `environments/<env>.yaml` (`services[].deploy`) at
 * synth time. CLI flags override them per run.
 */
export const deploymentSettingsSchema = z.strictObject({
  /** Default strategy when `--strategy` is not given. */
  strategy: z.enum(STRATEGIES),
  /** canary: share of traffic (1–99) sent to the new colour for the first bake. */
  canaryPercent: z.number().int().min(1).max(99),
  /** linear: share of traffic added per step (1–99). */
  linearStepPercent: z.number().int().min(1).max(99),
  /** Bake time after each weight step (canary step, each linear step, all-at-once) before the next. */
  bakeSeconds: z.number().int().min(0),
  /** Bake time after traffic reached 100% on the new colour before the release is declared good. */
  finalBakeSeconds: z.number().int().min(0),
  /** How often gates are polled during waits and bakes. The rollback write happens within one interval. */
  pollIntervalSeconds: z.number().int().min(1),
  /** Maximum time for the idle colour's ECS deployment to reach COMPLETED. */
  deploymentTimeoutSeconds: z.number().int().min(30),
  /** Maximum time for every target of the idle target group to turn healthy. */
  healthyTimeoutSeconds: z.number().int().min(10),
  /** Maximum share (0–1) of 5xx responses from the new colour's target group during a bake. */
  max5xxRatio: z.number().min(0).max(1),
  /** Minimum requests in the window before the 5xx ratio is judged (avoids 1 error in 2 requests = 50%). */
  min5xxSampleRequests: z.number().int().min(0),
  /** How long the old colour keeps running after a successful shift. Default: deregistration delay + bake. */
  terminationWaitSeconds: z.number().int().min(0),
  /**
   * How long the automatic restore (100% back on the known-good colour) keeps retrying through network
   * failures and throttling — scaling that colour up first if it lost capacity, writing the weights,
   * reading them back — before it gives up with exit 1. @default 300 (services/deployer core/settings.ts)
   */
  restoreDeadlineSeconds: z.number().int().min(30).max(3600).optional(),
  /**
   * Hold for approval: `canary` stops after the first weight step's bake (canary or linear strategy) with
   * the canary serving and the deployment lock kept; `switchyard continue` finishes the deploy,
   * `switchyard abort` restores traffic. `--hold-after` overrides it per run. @default 'none'
   */
  holdAfter: z.enum(['none', 'canary']).optional(),
  /** How long a held deploy waits for `continue` before it is aborted (its lock's lease). @default 3600 */
  holdTimeoutSeconds: z.number().int().min(60).max(86400).optional(),
});
export type DeploymentSettings = z.infer<typeof deploymentSettingsSchema>;

const alarmName = z.string().min(1).max(255);

/**
 * Alarm scoping. `blue` / `green`: alarms on that colour's own target group or ECS service (5xx share,
 * latency, unhealthy hosts of that colour) — they gate only a release going to that colour. `shared`:
 * environment- or service-wide alarms (ALB-wide 5xx, a database, a dependency) — they gate every
 * release, but one already in ALARM when the run started (the incident being fixed) fails a bake only
 * when it goes to ALARM again after that (see services/deployer/src/core/alarms.ts). A name belongs to
 * one scope only.
 */
export const alarmsSchema = z
  .strictObject({
    blue: z.array(alarmName),
    green: z.array(alarmName),
    shared: z.array(alarmName),
  })
  .superRefine((a, ctx) => {
    const seen = new Map<string, string>();
    for (const scope of ['blue', 'green', 'shared'] as const) {
      for (const [i, name] of a[scope].entries()) {
        const first = seen.get(name);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [scope, i],
            message: `alarm ${name} is listed in ${first} and ${scope}: an alarm belongs to one scope (its own colour's, or shared)`,
          });
        } else seen.set(name, scope);
      }
    }
  });
export type TopologyAlarms = z.infer<typeof alarmsSchema>;

export const serviceTopologySchema = z.strictObject({
  schemaVersion: z.literal(TOPOLOGY_SCHEMA_VERSION),
  project: z.string().min(1),
  environment: z.string().min(1),
  service: z.string().min(1),
  region: z.string().min(1),
  /** ECS cluster name. */
  cluster: z.string().min(1),
  /** ECS service name per colour: `<svc>-blue`, `<svc>-green`. */
  ecsServices: perColour(z.string().min(1)),
  /** Target group ARN per colour. */
  targetGroupArns: perColour(z.string().min(1)),
  /** Target group ARN suffix per colour (`targetgroup/<name>/<id>`), the CloudWatch `TargetGroup` dimension. */
  targetGroupArnSuffixes: perColour(z.string().min(1)),
  /** Load balancer ARN suffix (`app/<name>/<id>`), the CloudWatch `LoadBalancer` dimension. */
  loadBalancerArnSuffix: z.string().min(1),
  /** Production (HTTPS, or HTTP where the env opted into plain HTTP) listener. */
  listenerArn: z.string().min(1),
  /** Weighted forward rule on the production listener; Terraform ignores its action, the deployer owns it. */
  productionRuleArn: z.string().min(1),
  /** Test listener (restricted by CIDR) and its rule; the deployer points it at the idle colour. */
  testListenerArn: z.string().min(1),
  testRuleArn: z.string().min(1),
  /** Name of the container whose image a release replaces. */
  containerName: z.string().min(1),
  containerPort: z.number().int().min(1).max(65535),
  /** ECR repository name (e.g. `switchyard/api`) and URI (`<acct>.dkr.ecr.<region>.amazonaws.com/switchyard/api`). */
  repositoryName: z.string().min(1),
  repositoryUri: z.string().min(1),
  /** DynamoDB table holding the deployment lock and release history for this environment. */
  deploymentTable: z.string().min(1),
  /**
   * CloudWatch alarms the deployer gates on, by scope. A release to colour C is judged on `alarms[C]` and
   * `shared` — never on the other colour's alarms (they watch the release being replaced, e.g. the bad
   * one a rollback moves away from). See `alarmsSchema`.
   */
  alarms: alarmsSchema,
  /** Target group deregistration delay (seconds); part of the default termination wait. */
  deregistrationDelaySeconds: z.number().int().min(0),
  /**
   * The task-definition revision Terraform last registered for this service (its desired configuration:
   * environment, secrets, cpu/memory, roles). A release copies it and replaces only the image, so YAML
   * changes reach the next release. Absent: the deployer copies the live colour's revision.
   */
  baseTaskDefinitionArn: z.string().min(1).optional(),
  /**
   * Application Auto Scaling of the two colours. The deployer raises the new live colour's floor to
   * `minCapacity` and drops the old colour's to 0 before scaling it down, so target tracking never
   * fights a release. Absent: the service has no scalable targets.
   */
  autoscaling: z
    .strictObject({
      minCapacity: z.number().int().min(0),
      maxCapacity: z.number().int().min(1),
      /** `service/<cluster>/<ecs service>` per colour. */
      resourceIds: perColour(z.string().min(1)),
    })
    .optional(),
  /** Environment this one accepts promotions from (`promotion.from` in the YAML); absent for the first stage. */
  promoteFrom: z.string().min(1).optional(),
  deployment: deploymentSettingsSchema,
});
export type ServiceTopology = z.infer<typeof serviceTopologySchema>;

export class TopologyError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'TopologyError';
  }
}

/**
 * Parses and validates a topology document. `source` names where it came from (file path or SSM
 * parameter) for the error message. Throws TopologyError listing every problem.
 */
export function parseTopology(input: unknown, source: string): ServiceTopology {
  const version = (input as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version < TOPOLOGY_SCHEMA_VERSION) {
    const issue = `${source}: schemaVersion: document of schema ${version}, this deployer reads schema ${TOPOLOGY_SCHEMA_VERSION} (alarms scoped per colour: alarms.blue / alarms.green / alarms.shared instead of alarmNames). Re-apply the environment (cdktf synth + terraform apply) to republish it, or update the --topology file`;
    throw new TopologyError(`invalid topology document ${source}:\n  ${issue}`, [issue]);
  }
  const result = serviceTopologySchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new TopologyError(`invalid topology document ${source}:\n  ${issues.join('\n  ')}`, issues);
}

/** Every alarm name of a topology (all scopes), in order blue, green, shared. */
export function allAlarmNames(alarms: TopologyAlarms): string[] {
  return [...alarms.blue, ...alarms.green, ...alarms.shared];
}

/** The other colour. */
export function otherColour(c: Colour): Colour {
  return c === 'blue' ? 'green' : 'blue';
}
