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
  /**
   * Latency gate: the new colour's p99 `TargetResponseTime` (its target group, over the 5xx gate's window)
   * fails a bake when it is above BOTH this and the live colour's own p99 before the first shift ×
   * `p99BaselineFactor` — so a service that is always slow is judged against itself, a fast one against
   * this ceiling. 0 turns the latency gate off. @default tier (dev 5, staging 3, prod 2); core default 3
   * for topologies published without it (services/deployer core/metric-gates.ts)
   */
  maxP99LatencySeconds: z.number().min(0).max(4000).optional(),
  /** Headroom over the live colour's pre-deploy p99 (see maxP99LatencySeconds). @default tier (dev 3, staging 2, prod 1.5); core 2 */
  p99BaselineFactor: z.number().min(1).max(100).optional(),
  /**
   * Requests the window must hold before a p99 is judged (the p99 of 50 requests is their slowest but
   * one). Applies to the baseline too: a live colour with fewer gives no baseline. @default 200
   */
  minLatencySampleRequests: z.number().int().min(1).optional(),
  /**
   * Connection-error gate: `TargetConnectionErrorCount / (RequestCount + TargetConnectionErrorCount)` of
   * the new colour's target group above this share fails a bake (judged from `min5xxSampleRequests`
   * attempts on, like the 5xx share). A colour that refuses or drops connections shows here — the 502s
   * the load balancer then answers are counted per load balancer only. 1 turns it off. @default 0.01
   */
  maxConnectionErrorRatio: z.number().min(0).max(1).optional(),
  /**
   * A quiet service — too little traffic for the 5xx gate to judge a release (services/deployer
   * core/quiet.ts) — deploys with target health and alarms as its only gates. `require-smoke-test` refuses
   * such a deploy unless the service has a `smokeTest` (rollbacks are never refused); `allow` is the
   * explicit opt-in (the plan still warns). @default tier (prod 'require-smoke-test', else 'allow'); core
   * 'allow' for topologies published without it
   */
  quietTraffic: z.enum(['allow', 'require-smoke-test']).optional(),
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

/** Whether `s` compiles as a JavaScript regular expression. */
function compiles(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

/** One built-in HTTP check of a smoke test, sent through the test listener to the idle colour. */
export const smokeCheckSchema = z.strictObject({
  /** Path (and query) requested, e.g. "/health". It must match the service's routing (the test rule has the production rule's conditions). */
  path: z.string().regex(/^\/\S*$/, { error: 'must start with "/" and contain no spaces' }),
  /** @default "GET" */
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).optional(),
  /** Status every response must have. @default 200 */
  expectStatus: z.number().int().min(100).max(599).optional(),
  /** Regular expression the response body (its first 64 KiB) must match. @default none (not checked) */
  bodyMatch: z
    .string()
    .min(1)
    .max(500)
    .refine(compiles, { error: 'must be a valid regular expression' })
    .optional(),
  /** How many times the request is sent; every one must pass (they spread over the colour's targets). @default 3 */
  count: z.number().int().min(1).max(100).optional(),
  /** Timeout of each request. @default 5 */
  timeoutSeconds: z.number().int().min(1).max(60).optional(),
});
export type SmokeCheck = z.infer<typeof smokeCheckSchema>;

/**
 * Pre-traffic verification of a release: after the new colour is healthy and the test listener points at
 * it, and BEFORE any production weight moves, the deployer sends `http` checks through the test listener
 * and/or runs `command` (exit 0 = pass). A failure ends the deploy with no production traffic moved.
 */
export const smokeTestSchema = z
  .strictObject({
    /**
     * Host header and TLS server name of the requests (the test rule matches the production rule's
     * host-header condition; an HTTPS test listener's certificate must cover it).
     * @default the service's routing.hostHeader, when it names one host
     */
    host: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/, { error: 'must be a host name (no scheme, port, path or wildcard)' })
      .max(253)
      .optional(),
    /** Built-in HTTP checks, run in order. @default [] */
    http: z.array(smokeCheckSchema).max(20).optional(),
    /**
     * A command run after the HTTP checks pass (argv, no shell), in the deployer's working directory,
     * with SWITCHYARD_TEST_URL (the test listener), SWITCHYARD_TEST_HOST, SWITCHYARD_COLOUR,
     * SWITCHYARD_ENVIRONMENT, SWITCHYARD_SERVICE and SWITCHYARD_IMAGE in its environment. Exit 0 passes;
     * the tail of its output is recorded with the release (print no secrets). @default none
     */
    command: z.array(z.string().min(1)).min(1).max(50).optional(),
    /** Time the command may take before it is killed (and fails). @default 300 */
    commandTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
  })
  .refine((s) => (s.http?.length ?? 0) > 0 || s.command !== undefined, {
    error: 'needs http checks and/or a command',
  });
export type SmokeTest = z.infer<typeof smokeTestSchema>;
/** Deploy events a notification can be sent for (start, held for approval, deployed, rolled back, failed). */
export const NOTIFICATION_EVENTS = ['start', 'hold', 'success', 'rollback', 'failure'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/**
 * Where the deployer announces its runs (environment YAML `notifications`). Best effort: a notification
 * that cannot be sent is a warning, never a failed deploy. The webhook URL is a secret and is never
 * published: only the NAME of the environment variable that holds it in the deployer's process (in CI a
 * GitHub Environment secret mapped into the job's env).
 */
export const notificationsSchema = z.strictObject({
  /** SNS topic to publish to (the environment's alarm topic, so its subscribers hear of deploys). @default none */
  snsTopicArn: z.string().min(1).optional(),
  /** Environment variable holding a Slack-compatible incoming-webhook URL (https). @default none */
  webhookUrlEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]{0,127}$/, {
      error: 'must be an environment variable name such as SLACK_WEBHOOK_URL',
    })
    .optional(),
  /** Which events are sent. @default all of NOTIFICATION_EVENTS */
  events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).optional(),
});
export type TopologyNotifications = z.infer<typeof notificationsSchema>;

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
  /**
   * Where the test listener answers: `http(s)://<ALB DNS name>:<port>` (no path). Smoke tests send their
   * requests here. Absent in topologies published before it existed (a smoke test then refuses the deploy).
   */
  testListenerUrl: z
    .string()
    .regex(/^https?:\/\/[^/\s]+$/, { error: 'must be http(s)://host:port without a path' })
    .optional(),
  /** Pre-traffic smoke test of every release (see `smokeTestSchema`). Absent: none. */
  smokeTest: smokeTestSchema.optional(),
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
  /** Deploy notifications (SNS and/or a webhook). Absent: none are sent. */
  notifications: notificationsSchema.optional(),
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
