/**
 * The simulated world: ECS services/tasks/deployments, ALB rules and target groups, CloudWatch
 * request counts and alarms, ECR images. All state is plain JSON (`WorldState`) so it can be saved to
 * a file and resumed (`switchyard --simulate` deploy → status → rollback).
 *
 * Time advances in 1-second ticks up to the clock's `now()` whenever a port is called. Model:
 * - `UpdateService` with a new task definition starts a new PRIMARY deployment; tasks take 15–45 s to
 *   reach RUNNING, register in the colour's target group as `initial` and turn `healthy` after 10–30 s of
 *   health checks. Old deployments' tasks stop once the new one runs its desired count. A deployment is
 *   COMPLETED once it runs its desired count of tasks whose targets are healthy and no older deployment
 *   has tasks left. Tasks whose targets stay unhealthy for 30 s are stopped ("failed ELB health checks").
 * - Circuit breaker: after max(3, ⌈desired/2⌉) failed tasks the deployment goes FAILED and ECS rolls the
 *   service back to its last completed task definition.
 * - Traffic: a fixed request rate split by the production rule's weights; a target group with weight
 *   but no healthy target answers with ELB 503s (not target 5xx); target 5xx follow a base error rate
 *   plus any injected spike; a `slow` fault answers a share of requests after seconds (p99 = that delay once
 *   the share passes 1 %, else SIM_BASE_P99_SECONDS), a `connection-errors` fault fails a share of the
 *   connections to the targets (TargetConnectionErrorCount; the ALB answers them with ELB 502s). CloudWatch (GetMetricData) sees whole-minute datapoints only, each
 *   published 60–120 s after its minute ends (`metricDelayMs`, varies per minute), as the ALB does.
 * - Application Auto Scaling (topologies with `autoscaling`): one scalable target per colour, seeded like
 *   Terraform creates them (blue min = minCapacity, green min = 0, both max = maxCapacity). Whenever a
 *   service's desired count stays outside its target's [min, max] for `AUTOSCALER_ENFORCE_MS`, the
 *   "autoscaler" sets it back inside — so a colour scaled to 0 under a floor of 2 comes back, as in AWS.
 *   Target tracking (on requests per task, target `TARGET_REQUESTS_PER_TASK`): a colour whose load per
 *   task stays below 90% of the target for `SCALE_IN_AFTER_MS` (like the 15 one-minute datapoints of a
 *   target-tracking scale-in alarm) loses one task, never going below its min — so an idle colour baking
 *   at canary traffic shrinks unless its floor was raised. Scale-out is not modelled.
 */
import { createHash } from 'node:crypto';
import { allAlarmNames, type Colour, type ServiceTopology } from '../../../topology';
import { PortError, type TargetState, type WeightedTarget } from '../ports';
import { seededRandom } from './clock';

/** CloudWatch ALB metric period in the simulation. */
export const SIM_METRIC_PERIOD_MS = 60_000;
/** Shortest publication delay of a minute's ALB datapoint in the simulation (the longest is +60 s). */
export const SIM_METRIC_DELAY_MIN_MS = 60_000;
/** p99 TargetResponseTime of a healthy colour in the simulation. */
export const SIM_BASE_P99_SECONDS = 0.12;
import type { Fault } from './faults';

export interface SimContainer {
  readonly name: string;
  readonly image: string;
  readonly [field: string]: unknown;
}

export interface SimTaskDefinition {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  readonly containers: SimContainer[];
  /** Every other field of a task definition (cpu, memory, roles, volumes…): copied verbatim by register-from. */
  readonly extra: Record<string, unknown>;
  /** Virtual time of registration. */
  readonly registeredAt: number;
  /** Fault `task-crash` armed when it was registered: its tasks exit shortly after starting. */
  readonly crashes?: boolean;
  /** Fault `unhealthy-targets` armed when it was registered: its targets fail health checks. */
  readonly failsHealthChecks?: boolean;
}

export interface SimDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinitionArn: string;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason?: string;
  desiredCount: number;
  failedTasks: number;
  createdAt: number;
}

export interface SimTask {
  id: string;
  deploymentId: string;
  taskDefinitionArn: string;
  lastStatus: 'PROVISIONING' | 'RUNNING' | 'STOPPED';
  runningAt: number;
  crashAt?: number;
  stoppedAt?: number;
  stopReason?: string;
  ip: string;
}

export interface SimService {
  cluster: string;
  name: string;
  targetGroupArn: string;
  containerPort: number;
  taskDefinitionArn: string;
  desiredCount: number;
  deployments: SimDeployment[];
  tasks: SimTask[];
  /** ECS service events, oldest first, the last SIM_SERVICE_EVENTS kept (absent in older state files). */
  events?: { at: number; message: string }[];
}

/** Service events the simulation keeps per service (ECS shows the latest 100). */
export const SIM_SERVICE_EVENTS = 50;

export interface SimTarget {
  id: string;
  port: number;
  taskId: string;
  state: TargetState;
  reason?: string;
  healthyAt?: number;
  unhealthyAt?: number;
  drainUntil?: number;
}

export interface SimTargetGroup {
  arn: string;
  arnSuffix: string;
  loadBalancerArnSuffix: string;
  deregistrationDelayMs: number;
  targets: SimTarget[];
  /** Per virtual second since `WorldState.startedAt`: requests and target 5xx. */
  requests: number[];
  errors5xx: number[];
  /** ELB-generated 5xx (traffic sent to a group with no healthy target). */
  elb5xx: number[];
  /** Per second: requests answered slowly (fault `slow`), and failed connections (fault `connection-errors`). */
  slow?: number[];
  connErrors?: number[];
  /** Response time of the slow requests (seconds). */
  slowSeconds?: number;
  /**
   * The group served all of the service's traffic before the simulation started (the live colour when
   * the world was created): CloudWatch history before `startedAt` shows that traffic at the base error
   * rate, so a deploy can read a request-rate baseline. @default false
   */
  servedBeforeStart?: boolean;
}

export interface SimScalableTarget {
  readonly resourceId: string;
  /** `cluster/name` of the ECS service. */
  readonly serviceKey: string;
  min: number;
  max: number;
  /** Since when the service's desired count is outside [min, max] (virtual ms). */
  outOfRangeSince?: number;
  /** Since when the load per task is below the target-tracking scale-in threshold (virtual ms). */
  lowLoadSince?: number;
}

/** A change of desired count made by the simulated Application Auto Scaling (not by the deployer). */
export interface ScalingActivity {
  readonly at: number;
  readonly resourceId: string;
  readonly from: number;
  readonly to: number;
  readonly cause: string;
}

export interface WeightChange {
  readonly at: number;
  readonly ruleArn: string;
  readonly weights: WeightedTarget[];
  /** For every target group that went from weight 0 to > 0 in this write: were all its targets healthy? */
  readonly newlyServing: { targetGroupArn: string; healthyTargets: number; allHealthy: boolean }[];
}

export interface WriteCall {
  readonly at: number;
  readonly api: string;
  readonly args: unknown;
}

export interface WorldState {
  version: 1;
  startedAt: number;
  lastTick: number;
  seed: number;
  rngCalls: number;
  seq: number;
  requestsPerSecond: number;
  baseErrorRatio: number;
  taskDefinitions: Record<string, SimTaskDefinition>;
  services: Record<string, SimService>; // key: cluster/name
  targetGroups: Record<string, SimTargetGroup>;
  rules: Record<string, WeightedTarget[]>;
  alarms: Record<string, { state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; since: number }>;
  /** registry key (`<account>/<repo>`) → tag → digest; plus the digests present. */
  images: Record<string, { tags: Record<string, string>; digests: string[] }>;
  /** Faults armed for task definitions registered from now on (the new revision). */
  armedTaskFaults: { crash: boolean; unhealthy: boolean };
  /** Target groups whose colour fails smoke tests (fault `smoke-fail`). @default [] */
  armedSmokeFail?: string[];
  /** 5xx spike / alarm armed on a target group: starts `afterMs` after the group first gets traffic. */
  /** `armedAt`: when the fault was armed; it counts from the group's first traffic AFTER that (a resumed world's group may have served before). */
  armedSpikes: {
    targetGroupArn: string;
    /** What the spike raises: target 5xx (absent), slow responses, or failed connections. */
    kind?: 'latency' | 'connection-errors';
    afterMs: number;
    /** Share of the requests affected. */
    errorRatio: number;
    /** kind latency: response time of the affected requests (seconds). */
    latencySeconds?: number;
    startsAt?: number;
    armedAt?: number;
  }[];
  armedAlarms: {
    targetGroupArn: string;
    alarmName: string;
    afterMs: number;
    firesAt?: number;
    armedAt?: number;
  }[];
  /**
   * Fault `incident`: alarms in ALARM because of the live release; each returns to OK once its target
   * group has had no production weight for INCIDENT_CLEARS_AFTER_MS (absent in older state files).
   */
  incidents?: { alarmName: string; targetGroupArn: string; noTrafficSince?: number }[];
  /** Per rule and target group: first time it carried weight > 0 (for armed faults). */
  firstTrafficAt: Record<string, number>;
  weightHistory: WeightChange[];
  writes: WriteCall[];
  calls: Record<string, number>;
  /** Consecutive throttled calls per API (fault `throttle`). */
  throttleRuns: Record<string, number>;
  /** Virtual times at which a fault became observable by an API (first failed signal), by fault. */
  faultSignals: { fault: string; at: number }[];
  /** Application Auto Scaling scalable targets by resource id (absent in state files saved before it existed). */
  scalableTargets?: Record<string, SimScalableTarget>;
  /** Desired-count changes made by the simulated autoscaler. */
  scalingActivities?: ScalingActivity[];
}

/** Fault `incident`: how long after the bad colour lost its traffic its alarms return to OK. */
export const INCIDENT_CLEARS_AFTER_MS = 180_000;

/** How long a desired count may stay outside its scalable target's range before the autoscaler corrects it. */
export const AUTOSCALER_ENFORCE_MS = 60_000;
/** Target-tracking target: requests per second per running task. */
export const TARGET_REQUESTS_PER_TASK = 5;
/** How long the load must stay low before target tracking scales in by one task. */
export const SCALE_IN_AFTER_MS = 15 * 60_000;

/** How long a target may fail health checks before ECS stops its task. */
const UNHEALTHY_GRACE_MS = 30_000;

const serviceKey = (cluster: string, name: string) => `${cluster}/${name}`;

/** Deterministic digest of an image tag (same across registries, like a replicated image). */
export function digestOf(repositoryName: string, tag: string): string {
  return `sha256:${createHash('sha256').update(`${repositoryName}:${tag}`).digest('hex')}`;
}

/** Registry key for a topology: account of the repository URI + repository name. */
export function registryKey(repositoryUri: string, repositoryName: string): string {
  return `${repositoryUri.split('.')[0]}/${repositoryName}`;
}

export interface SeedOptions {
  /** Colour serving 100% at start. @default 'blue' */
  readonly liveColour?: Colour;
  /** Desired/running task count of the live colour. @default 2 */
  readonly desiredCount?: number;
  /** Tags pushed to the repository; the first is what the live colour runs. @default ['v1.0.0','v1.1.0','v1.2.0'] and `latest` → last */
  readonly tags?: readonly string[];
}

export class SimWorld {
  readonly state: WorldState;
  private rng: () => number;

  constructor(state: WorldState) {
    this.state = state;
    this.rng = seededRandom(state.seed);
    for (let i = 0; i < state.rngCalls; i++) this.rng();
  }

  static empty(now: number, seed: number): SimWorld {
    return new SimWorld({
      version: 1,
      startedAt: now,
      lastTick: now,
      seed,
      rngCalls: 0,
      seq: 0,
      requestsPerSecond: 20,
      baseErrorRatio: 0.001,
      taskDefinitions: {},
      services: {},
      targetGroups: {},
      rules: {},
      alarms: {},
      images: {},
      armedTaskFaults: { crash: false, unhealthy: false },
      armedSpikes: [],
      armedAlarms: [],
      firstTrafficAt: {},
      weightHistory: [],
      writes: [],
      calls: {},
      throttleRuns: {},
      faultSignals: [],
      scalableTargets: {},
      scalingActivities: [],
    });
  }

  random(): number {
    this.state.rngCalls++;
    return this.rng();
  }

  /** Uniform integer milliseconds in [minMs, maxMs]. */
  private between(minMs: number, maxMs: number): number {
    return Math.round(minMs + this.random() * (maxMs - minMs));
  }

  private nextId(prefix: string): string {
    this.state.seq++;
    return `${prefix}${this.state.seq.toString(16).padStart(6, '0')}`;
  }

  // ------------------------------------------------------------------------------------ seeding

  /** Creates both colours of a service from its topology: live colour at 100% running a healthy revision. */
  seed(t: ServiceTopology, opts: SeedOptions = {}): void {
    const live = opts.liveColour ?? 'blue';
    const desired = opts.desiredCount ?? 2;
    const tags = opts.tags ?? ['v1.0.0', 'v1.1.0', 'v1.2.0'];
    const repoKey = registryKey(t.repositoryUri, t.repositoryName);
    const repo = this.state.images[repoKey] ?? { tags: {}, digests: [] };
    this.state.images[repoKey] = repo;
    for (const tag of tags) this.pushImageTo(repo, t.repositoryName, tag);
    if (!opts.tags) repo.tags['latest'] = repo.tags[tags[tags.length - 1]];

    const account = t.repositoryUri.split('.')[0];
    const family = `${t.project}-${t.environment}-${t.service}`;
    const tdArn = `arn:aws:ecs:${t.region}:${account}:task-definition/${family}:1`;
    this.state.taskDefinitions[tdArn] = {
      arn: tdArn,
      family,
      revision: 1,
      containers: [
        {
          name: t.containerName,
          image: `${t.repositoryUri}@${repo.tags[tags[0]]}`,
          portMappings: [{ containerPort: t.containerPort, protocol: 'tcp' }],
          environment: [{ name: 'APP_ENV', value: t.environment }],
          secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:region:acct:secret:db' }],
          essential: true,
        },
        {
          name: 'log-router',
          image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
          essential: true,
        },
      ],
      extra: {
        cpu: '256',
        memory: '512',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        executionRoleArn: `arn:aws:iam::${account}:role/${family}-exec`,
        taskRoleArn: `arn:aws:iam::${account}:role/${family}-task`,
        runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
      },
      registeredAt: this.state.startedAt,
    };

    for (const colour of ['blue', 'green'] as const) {
      const tgArn = t.targetGroupArns[colour];
      this.state.targetGroups[tgArn] = {
        arn: tgArn,
        arnSuffix: t.targetGroupArnSuffixes[colour],
        loadBalancerArnSuffix: t.loadBalancerArnSuffix,
        deregistrationDelayMs: t.deregistrationDelaySeconds * 1000,
        targets: [],
        requests: [],
        errors5xx: [],
        elb5xx: [],
        ...(colour === live ? { servedBeforeStart: true } : {}),
      };
      const count = colour === live ? desired : 0;
      const dep: SimDeployment = {
        id: this.nextId('ecs-svc/'),
        status: 'PRIMARY',
        taskDefinitionArn: tdArn,
        rolloutState: 'COMPLETED',
        desiredCount: count,
        failedTasks: 0,
        createdAt: this.state.startedAt,
      };
      const svc: SimService = {
        cluster: t.cluster,
        name: t.ecsServices[colour],
        targetGroupArn: tgArn,
        containerPort: t.containerPort,
        taskDefinitionArn: tdArn,
        desiredCount: count,
        deployments: [dep],
        tasks: [],
      };
      for (let i = 0; i < count; i++) {
        const task = this.newTask(dep, this.state.startedAt);
        task.lastStatus = 'RUNNING';
        svc.tasks.push(task);
        this.state.targetGroups[tgArn].targets.push({
          id: task.ip,
          port: t.containerPort,
          taskId: task.id,
          state: 'healthy',
        });
      }
      this.state.services[serviceKey(t.cluster, svc.name)] = svc;
    }
    this.state.rules[t.productionRuleArn] = [
      { targetGroupArn: t.targetGroupArns.blue, weight: live === 'blue' ? 100 : 0 },
      { targetGroupArn: t.targetGroupArns.green, weight: live === 'green' ? 100 : 0 },
    ];
    this.state.firstTrafficAt[`${t.productionRuleArn}|${t.targetGroupArns[live]}`] = this.state.startedAt;
    this.state.rules[t.testRuleArn] = [
      { targetGroupArn: t.targetGroupArns[live === 'blue' ? 'green' : 'blue'], weight: 1 },
    ];
    for (const a of allAlarmNames(t.alarms))
      this.state.alarms[a] = { state: 'OK', since: this.state.startedAt };
    this.ensureScalableTargets(t);
  }

  /**
   * Creates the topology's scalable targets that do not exist yet, as Terraform does (blue's floor is the
   * tier minimum, green's is 0; Terraform ignores them afterwards). Existing targets are left alone. Also
   * used for a resumed world whose topology gained `autoscaling` (like an apply adding it).
   */
  ensureScalableTargets(t: ServiceTopology): void {
    if (!t.autoscaling) return;
    for (const colour of ['blue', 'green'] as const) {
      const id = t.autoscaling.resourceIds[colour];
      if (this.scalableTarget(id)) continue;
      this.registerScalableTarget(
        id,
        colour === 'blue' ? t.autoscaling.minCapacity : 0,
        t.autoscaling.maxCapacity,
      );
    }
  }

  /** Creates or updates a scalable target (RegisterScalableTarget semantics). */
  registerScalableTarget(resourceId: string, min: number, max: number): void {
    const m = /^service\/([^/]+)\/([^/]+)$/.exec(resourceId);
    if (!m)
      throw new PortError(
        'invalid',
        `ValidationException: invalid ResourceId ${resourceId} for namespace ecs`,
      );
    const key = serviceKey(m[1], m[2]);
    if (!this.state.services[key])
      throw new PortError(
        'invalid',
        `ValidationException: ECS service ${m[2]} does not exist in cluster ${m[1]}`,
      );
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min)
      throw new PortError('invalid', `ValidationException: invalid capacity range ${min}..${max}`);
    this.state.scalableTargets ??= {};
    const existing = this.state.scalableTargets[resourceId];
    if (existing) Object.assign(existing, { min, max });
    else this.state.scalableTargets[resourceId] = { resourceId, serviceKey: key, min, max };
  }

  /** A scalable target's range (test helper / describe). */
  scalableTarget(resourceId: string): SimScalableTarget | undefined {
    return this.state.scalableTargets?.[resourceId];
  }

  private pushImageTo(
    repo: { tags: Record<string, string>; digests: string[] },
    name: string,
    tag: string,
  ): string {
    const d = digestOf(name, tag);
    repo.tags[tag] = d;
    if (!repo.digests.includes(d)) repo.digests.push(d);
    return d;
  }

  /** Pushes (or moves) a tag in a registry; returns its digest. */
  pushImage(repositoryUri: string, repositoryName: string, tag: string): string {
    const key = registryKey(repositoryUri, repositoryName);
    this.state.images[key] ??= { tags: {}, digests: [] };
    return this.pushImageTo(this.state.images[key], repositoryName, tag);
  }

  /** Arms a fault against a service's idle colour (the one not serving at the time of arming). */
  armFault(t: ServiceTopology, fault: Fault): void {
    const live = this.liveColourOf(t);
    const idle: Colour = live === 'blue' ? 'green' : 'blue';
    const idleTg = t.targetGroupArns[idle];
    switch (fault.name) {
      case 'task-crash':
        this.state.armedTaskFaults.crash = true;
        break;
      case 'unhealthy-targets':
        this.state.armedTaskFaults.unhealthy = true;
        break;
      case 'smoke-fail':
        this.state.armedSmokeFail = [...(this.state.armedSmokeFail ?? []), idleTg];
        break;
      case '5xx-spike':
        this.state.armedSpikes.push({
          targetGroupArn: idleTg,
          afterMs: (fault.afterSeconds ?? 0) * 1000,
          errorRatio: fault.errorRatio ?? 0.3,
          armedAt: this.state.lastTick,
          // already serving (a held canary another process continues): counts from now
          ...(this.servesProduction(idleTg)
            ? { startsAt: this.state.lastTick + (fault.afterSeconds ?? 0) * 1000 }
            : {}),
        });
        break;
      case 'slow':
      case 'connection-errors':
        this.state.armedSpikes.push({
          targetGroupArn: idleTg,
          kind: fault.name === 'slow' ? 'latency' : 'connection-errors',
          afterMs: (fault.afterSeconds ?? 0) * 1000,
          errorRatio: fault.errorRatio ?? 0.05,
          ...(fault.name === 'slow' ? { latencySeconds: 4 } : {}),
          armedAt: this.state.lastTick,
        });
        break;
      case 'alarm': {
        // the new colour's own alarm (a shared one when the colour has none)
        const alarmName = t.alarms[idle][0] ?? t.alarms.shared[0];
        if (!alarmName)
          throw new Error(`fault "alarm" needs an alarm in the topology's alarms.${idle} or alarms.shared`);
        this.state.armedAlarms.push({
          targetGroupArn: idleTg,
          alarmName,
          afterMs: (fault.afterSeconds ?? 0) * 1000,
          armedAt: this.state.lastTick,
          ...(this.servesProduction(idleTg)
            ? { firesAt: this.state.lastTick + (fault.afterSeconds ?? 0) * 1000 }
            : {}),
        });
        break;
      }
      case 'incident': {
        // the live release is bad: its own first alarm and the first shared one are in ALARM now; each
        // returns to OK once the live colour has carried no traffic for INCIDENT_CLEARS_AFTER_MS
        const now = this.state.lastTick;
        const names = [t.alarms[live][0], t.alarms.shared[0]].filter((n): n is string => !!n);
        if (names.length === 0)
          throw new Error(`fault "incident" needs an alarm in alarms.${live} or alarms.shared`);
        for (const n of names) {
          this.state.alarms[n] = { state: 'ALARM', since: now };
          this.state.incidents ??= [];
          this.state.incidents.push({ alarmName: n, targetGroupArn: t.targetGroupArns[live] });
        }
        break;
      }
      default:
        break; // throttle/interrupt/kill/outage act on the ports, not the world
    }
  }

  /** Disarms every fault (a resumed simulation starts healthy; `--fault` applies to one command). */
  clearFaults(now: number): void {
    this.state.armedTaskFaults = { crash: false, unhealthy: false };
    this.state.armedSpikes = [];
    this.state.armedSmokeFail = [];
    this.state.armedAlarms = [];
    this.state.incidents = [];
    this.state.faultSignals = [];
    this.state.throttleRuns = {};
    for (const a of Object.values(this.state.alarms))
      if (a.state !== 'OK') Object.assign(a, { state: 'OK', since: now });
  }

  /** Whether the `smoke-fail` fault is armed against a target group (its colour fails smoke tests). */
  smokeFails(tgArn: string): boolean {
    return (this.state.armedSmokeFail ?? []).includes(tgArn);
  }

  /** Whether a target group has weight > 0 in a production (weighted, two-group) rule now. */
  private servesProduction(tgArn: string): boolean {
    return Object.values(this.state.rules).some(
      (r) => r.length >= 2 && r.some((x) => x.targetGroupArn === tgArn && x.weight > 0),
    );
  }

  liveColourOf(t: ServiceTopology): Colour {
    const rule = this.state.rules[t.productionRuleArn] ?? [];
    const w = (arn: string) => rule.find((x) => x.targetGroupArn === arn)?.weight ?? 0;
    return w(t.targetGroupArns.green) > w(t.targetGroupArns.blue) ? 'green' : 'blue';
  }

  // --------------------------------------------------------------------------------- inspection

  service(cluster: string, name: string): SimService {
    const s = this.state.services[serviceKey(cluster, name)];
    if (!s)
      throw new PortError(
        'not-found',
        `ServiceNotFoundException: service ${name} not found in cluster ${cluster}`,
      );
    return s;
  }

  targetGroup(arn: string): SimTargetGroup {
    const tg = this.state.targetGroups[arn];
    if (!tg) throw new PortError('not-found', `TargetGroupNotFound: ${arn}`);
    return tg;
  }

  /** Production weights by colour for a service (test helper). */
  trafficWeights(t: ServiceTopology): { blue: number; green: number } {
    const rule = this.state.rules[t.productionRuleArn] ?? [];
    const w = (arn: string) => rule.find((x) => x.targetGroupArn === arn)?.weight ?? 0;
    return { blue: w(t.targetGroupArns.blue), green: w(t.targetGroupArns.green) };
  }

  /** Running task count and task definition of one colour (test helper). */
  colour(
    t: ServiceTopology,
    c: Colour,
  ): { desiredCount: number; running: number; taskDefinitionArn: string; image?: string } {
    const s = this.service(t.cluster, t.ecsServices[c]);
    const td = this.state.taskDefinitions[s.taskDefinitionArn];
    return {
      desiredCount: s.desiredCount,
      running: s.tasks.filter((x) => x.lastStatus === 'RUNNING').length,
      taskDefinitionArn: s.taskDefinitionArn,
      image: td?.containers.find((x) => x.name === t.containerName)?.image,
    };
  }

  recordCall(api: string): void {
    this.state.calls[api] = (this.state.calls[api] ?? 0) + 1;
  }

  recordWrite(at: number, api: string, args: unknown): void {
    this.state.writes.push({ at, api, args });
  }

  // ---------------------------------------------------------------------------- time advancing

  /** Advances the world in 1-second ticks up to `now`. */
  advanceTo(now: number): void {
    while (this.state.lastTick + 1000 <= now) {
      this.state.lastTick += 1000;
      this.tick(this.state.lastTick);
    }
  }

  private newTask(dep: SimDeployment, now: number): SimTask {
    const n = ++this.state.seq;
    return {
      id: `task-${n.toString(16).padStart(8, '0')}`,
      deploymentId: dep.id,
      taskDefinitionArn: dep.taskDefinitionArn,
      lastStatus: 'PROVISIONING',
      runningAt: now + this.between(15_000, 45_000),
      ip: `10.0.${(n >> 8) & 255}.${n & 255}`,
    };
  }

  /** Appends an ECS-style service event (`(service api-green) …`). */
  private serviceEvent(svc: SimService, at: number, message: string): void {
    svc.events ??= [];
    svc.events.push({ at, message: `(service ${svc.name}) ${message}` });
    if (svc.events.length > SIM_SERVICE_EVENTS) svc.events.splice(0, svc.events.length - SIM_SERVICE_EVENTS);
  }

  private stopTask(svc: SimService, task: SimTask, now: number, reason: string): void {
    if (task.lastStatus === 'STOPPED') return;
    this.serviceEvent(svc, now, `has stopped 1 running tasks: (task ${task.id}). Reason: ${reason}`);
    task.lastStatus = 'STOPPED';
    task.stoppedAt = now;
    task.stopReason = reason;
    const tg = this.state.targetGroups[svc.targetGroupArn];
    const target = tg?.targets.find((x) => x.taskId === task.id);
    if (task.crashAt !== undefined && now >= task.crashAt) this.signal('task-crash', now);
    if (target) {
      target.state = 'draining';
      target.reason = 'Target.DeregistrationInProgress';
      target.drainUntil = now + tg.deregistrationDelayMs;
    }
  }

  private tick(now: number): void {
    this.tickAutoscaler(now);
    for (const svc of Object.values(this.state.services)) this.tickService(svc, now);
    this.tickTargets(now);
    this.tickTraffic(now);
  }

  private tickService(svc: SimService, now: number): void {
    const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
    if (!primary) return;
    const tg = this.state.targetGroups[svc.targetGroupArn];
    // task lifecycle
    for (const task of svc.tasks) {
      if (task.lastStatus === 'PROVISIONING' && now >= task.runningAt) {
        task.lastStatus = 'RUNNING';
        const td = this.state.taskDefinitions[task.taskDefinitionArn];
        if (td?.crashes) task.crashAt = now + this.between(3_000, 8_000);
        const unhealthy = td?.failsHealthChecks === true;
        this.serviceEvent(svc, now, `registered 1 targets in (target-group ${svc.targetGroupArn})`);
        tg?.targets.push({
          id: task.ip,
          port: svc.containerPort,
          taskId: task.id,
          state: 'initial',
          reason: 'Elb.RegistrationInProgress',
          ...(unhealthy
            ? { unhealthyAt: now + this.between(10_000, 30_000) }
            : { healthyAt: now + this.between(10_000, 30_000) }),
        });
      } else if (task.lastStatus === 'RUNNING' && task.crashAt !== undefined && now >= task.crashAt) {
        this.stopTask(svc, task, now, 'Essential container in task exited (exit code 1)');
        const dep = svc.deployments.find((d) => d.id === task.deploymentId);
        if (dep) dep.failedTasks++;
      } else if (task.lastStatus === 'RUNNING') {
        // ECS replaces tasks that keep failing the load balancer's health checks (after a grace period)
        const target = tg?.targets.find((x) => x.taskId === task.id);
        if (target?.state === 'unhealthy' && now >= (target.unhealthyAt ?? now) + UNHEALTHY_GRACE_MS) {
          this.serviceEvent(
            svc,
            now,
            `(task ${task.id}) (port ${svc.containerPort}) is unhealthy in (target-group ${svc.targetGroupArn}) due to (reason ${target.reason ?? 'Health checks failed'}).`,
          );
          this.stopTask(
            svc,
            task,
            now,
            `Task failed ELB health checks in (target-group ${svc.targetGroupArn})`,
          );
          const dep = svc.deployments.find((d) => d.id === task.deploymentId);
          if (dep) dep.failedTasks++;
        }
      }
    }
    // circuit breaker
    if (primary.rolloutState === 'IN_PROGRESS') {
      const threshold = Math.max(3, Math.ceil(primary.desiredCount / 2));
      if (primary.failedTasks >= threshold) {
        primary.rolloutState = 'FAILED';
        primary.rolloutStateReason = `ECS deployment circuit breaker: ${primary.failedTasks} tasks failed to start. Rolling back to the last completed deployment.`;
        this.serviceEvent(svc, now, `(deployment ${primary.id}) deployment failed: tasks failed to start.`);
        primary.status = 'ACTIVE';
        for (const task of svc.tasks)
          if (task.deploymentId === primary.id)
            this.stopTask(svc, task, now, 'Deployment failed: circuit breaker');
        const lastGood = [...svc.deployments]
          .reverse()
          .find((d) => d.id !== primary.id && d.rolloutState === 'COMPLETED');
        const back: SimDeployment = {
          id: this.nextId('ecs-svc/'),
          status: 'PRIMARY',
          taskDefinitionArn: lastGood?.taskDefinitionArn ?? primary.taskDefinitionArn,
          rolloutState: 'IN_PROGRESS',
          desiredCount: svc.desiredCount,
          failedTasks: 0,
          createdAt: now,
        };
        svc.taskDefinitionArn = back.taskDefinitionArn;
        svc.deployments.push(back);
        return;
      }
    }
    // scaling the primary deployment
    const live = (d: SimDeployment) =>
      svc.tasks.filter((x) => x.deploymentId === d.id && x.lastStatus !== 'STOPPED');
    const primaryLive = live(primary);
    if (primary.rolloutState !== 'FAILED') {
      if (primaryLive.length < primary.desiredCount) {
        const started: SimTask[] = [];
        for (let i = primaryLive.length; i < primary.desiredCount; i++)
          started.push(this.newTask(primary, now));
        svc.tasks.push(...started);
        this.serviceEvent(
          svc,
          now,
          `has started ${started.length} tasks: ${started.map((x) => `(task ${x.id})`).join(' ')}.`,
        );
      } else if (primaryLive.length > primary.desiredCount) {
        const extra = primaryLive.slice(primary.desiredCount);
        for (const task of extra)
          this.stopTask(svc, task, now, 'Scaling activity initiated by (deployment ' + primary.id + ')');
      }
    }
    const primaryRunning = live(primary).filter((x) => x.lastStatus === 'RUNNING').length;
    // old deployments drain once the primary runs its desired count
    for (const d of svc.deployments) {
      if (d === primary || d.status === 'INACTIVE') continue;
      const tasks = live(d);
      if (primaryRunning >= primary.desiredCount) {
        for (const task of tasks)
          this.stopTask(svc, task, now, `Scaling activity initiated by (deployment ${primary.id})`);
        d.status = 'INACTIVE';
      }
    }
    if (
      primary.rolloutState === 'IN_PROGRESS' &&
      primaryRunning === primary.desiredCount &&
      live(primary).length === primary.desiredCount &&
      live(primary).every(
        (x) => tg?.targets.some((y) => y.taskId === x.id && y.state === 'healthy') ?? true,
      ) &&
      svc.deployments.every((d) => d === primary || live(d).length === 0)
    ) {
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = 'ECS deployment completed.';
      this.serviceEvent(svc, now, `(deployment ${primary.id}) deployment completed.`);
      this.serviceEvent(svc, now, 'has reached a steady state.');
    }
    // forget old stopped tasks (keep 10 minutes for recentStoppedTaskReasons)
    svc.tasks = svc.tasks.filter((x) => x.lastStatus !== 'STOPPED' || now - (x.stoppedAt ?? now) < 600_000);
  }

  /** Application Auto Scaling keeps each service's desired count inside its scalable target's range. */
  private tickAutoscaler(now: number): void {
    for (const target of Object.values(this.state.scalableTargets ?? {})) {
      const svc = this.state.services[target.serviceKey];
      if (!svc) continue;
      const want = Math.min(target.max, Math.max(target.min, svc.desiredCount));
      if (want === svc.desiredCount) {
        target.outOfRangeSince = undefined;
        this.targetTracking(target, svc, now);
        continue;
      }
      target.outOfRangeSince ??= now;
      if (now - target.outOfRangeSince < AUTOSCALER_ENFORCE_MS) continue;
      this.state.scalingActivities ??= [];
      this.state.scalingActivities.push({
        at: now,
        resourceId: target.resourceId,
        from: svc.desiredCount,
        to: want,
        cause: `desired count ${svc.desiredCount} outside the scalable target's range ${target.min}..${target.max}`,
      });
      this.setDesiredByAutoscaler(svc, want);
      target.outOfRangeSince = undefined;
    }
  }

  private setDesiredByAutoscaler(svc: SimService, n: number): void {
    svc.desiredCount = n;
    const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
    if (primary) primary.desiredCount = n;
  }

  /** Scale-in half of a target-tracking policy on requests per task. */
  private targetTracking(target: SimScalableTarget, svc: SimService, now: number): void {
    if (svc.desiredCount <= target.min) {
      target.lowLoadSince = undefined;
      return;
    }
    const tg = this.state.targetGroups[svc.targetGroupArn];
    const second = Math.floor((now - this.state.startedAt) / 1000) - 2; // the last complete second
    const requests = second >= 0 ? (tg?.requests[second] ?? 0) : 0;
    const running = svc.tasks.filter((x) => x.lastStatus === 'RUNNING').length;
    const perTask = requests / Math.max(1, running);
    if (perTask >= TARGET_REQUESTS_PER_TASK * 0.9) {
      target.lowLoadSince = undefined;
      return;
    }
    target.lowLoadSince ??= now;
    if (now - target.lowLoadSince < SCALE_IN_AFTER_MS) return;
    const to = Math.max(target.min, svc.desiredCount - 1);
    this.state.scalingActivities ??= [];
    this.state.scalingActivities.push({
      at: now,
      resourceId: target.resourceId,
      from: svc.desiredCount,
      to,
      cause: `target tracking: ${perTask.toFixed(1)} requests/s per task, below the target of ${TARGET_REQUESTS_PER_TASK}; scale in (min ${target.min})`,
    });
    this.setDesiredByAutoscaler(svc, to);
    target.lowLoadSince = undefined;
  }

  private tickTargets(now: number): void {
    for (const tg of Object.values(this.state.targetGroups)) {
      for (const target of tg.targets) {
        if (target.state === 'initial' && target.healthyAt !== undefined && now >= target.healthyAt) {
          target.state = 'healthy';
          target.reason = undefined;
        } else if (
          target.state === 'initial' &&
          target.unhealthyAt !== undefined &&
          now >= target.unhealthyAt
        ) {
          target.state = 'unhealthy';
          target.reason = 'Target.ResponseCodeMismatch';
          this.signal('unhealthy-targets', now);
        }
      }
      tg.targets = tg.targets.filter((x) => !(x.state === 'draining' && now >= (x.drainUntil ?? 0)));
    }
  }

  private signal(fault: string, at: number): void {
    if (!this.state.faultSignals.some((s) => s.fault === fault)) this.state.faultSignals.push({ fault, at });
  }

  private tickTraffic(now: number): void {
    const second = Math.floor((now - this.state.startedAt) / 1000) - 1; // the second that just ended
    if (second < 0) return;
    // armed faults start relative to first traffic
    for (const s of this.state.armedSpikes) {
      if (s.startsAt === undefined) {
        const first = this.firstTraffic(s.targetGroupArn, s.armedAt);
        if (first !== undefined) s.startsAt = first + s.afterMs;
      }
    }
    for (const a of this.state.armedAlarms) {
      if (a.firesAt === undefined) {
        const first = this.firstTraffic(a.targetGroupArn, a.armedAt);
        if (first !== undefined) a.firesAt = first + a.afterMs;
      }
      if (a.firesAt !== undefined && now >= a.firesAt && this.state.alarms[a.alarmName]?.state !== 'ALARM') {
        this.state.alarms[a.alarmName] = { state: 'ALARM', since: now };
        this.signal('alarm', now);
      }
    }
    for (const inc of this.state.incidents ?? []) {
      const weight = Object.values(this.state.rules)
        .filter((r) => r.length >= 2)
        .reduce((sum, r) => sum + (r.find((x) => x.targetGroupArn === inc.targetGroupArn)?.weight ?? 0), 0);
      if (weight > 0) inc.noTrafficSince = undefined;
      else inc.noTrafficSince ??= now;
      const alarm = this.state.alarms[inc.alarmName];
      if (
        inc.noTrafficSince !== undefined &&
        now - inc.noTrafficSince >= INCIDENT_CLEARS_AFTER_MS &&
        alarm?.state === 'ALARM'
      )
        this.state.alarms[inc.alarmName] = { state: 'OK', since: now };
    }
    for (const [ruleArn, rule] of Object.entries(this.state.rules)) {
      const total = rule.reduce((s, x) => s + x.weight, 0);
      if (total <= 0 || rule.length < 2) continue; // test rules (single target) carry no production traffic
      for (const entry of rule) {
        const tg = this.state.targetGroups[entry.targetGroupArn];
        if (!tg) continue;
        const req = (this.state.requestsPerSecond * entry.weight) / total;
        if (req <= 0) continue;
        const healthy = tg.targets.filter((x) => x.state === 'healthy').length;
        if (healthy === 0) {
          tg.elb5xx[second] = (tg.elb5xx[second] ?? 0) + req;
          continue;
        }
        let ratio = this.state.baseErrorRatio;
        let slowShare = 0;
        let connShare = 0;
        for (const s of this.state.armedSpikes) {
          if (
            s.targetGroupArn === entry.targetGroupArn &&
            s.startsAt !== undefined &&
            now - 1000 >= s.startsAt
          ) {
            if (s.kind === 'latency') {
              slowShare = Math.max(slowShare, s.errorRatio);
              tg.slowSeconds = Math.max(tg.slowSeconds ?? 0, s.latencySeconds ?? 0);
              this.signal('slow', now);
            } else if (s.kind === 'connection-errors') {
              connShare = Math.max(connShare, s.errorRatio);
              this.signal('connection-errors', now);
            } else {
              ratio = Math.max(ratio, s.errorRatio);
              this.signal('5xx-spike', now);
            }
          }
        }
        tg.requests[second] = (tg.requests[second] ?? 0) + req;
        tg.errors5xx[second] = (tg.errors5xx[second] ?? 0) + req * ratio;
        if (slowShare > 0) (tg.slow ??= [])[second] = (tg.slow[second] ?? 0) + req * slowShare;
        if (connShare > 0) {
          (tg.connErrors ??= [])[second] = (tg.connErrors[second] ?? 0) + req * connShare;
          tg.elb5xx[second] = (tg.elb5xx[second] ?? 0) + req * connShare;
        }
      }
      void ruleArn;
    }
  }

  /**
   * When the group first started serving production traffic — at or after `since` when given (the
   * write that moved it from weight 0 to > 0), else ever.
   */
  private firstTraffic(tgArn: string, since?: number): number | undefined {
    if (since !== undefined) {
      return this.state.weightHistory.find(
        (h) => h.at >= since && h.newlyServing.some((n) => n.targetGroupArn === tgArn),
      )?.at;
    }
    let first: number | undefined;
    for (const [k, at] of Object.entries(this.state.firstTrafficAt)) {
      if (k.endsWith(`|${tgArn}`) && (first === undefined || at < first)) first = at;
    }
    return first;
  }

  // ---------------------------------------------------------------------------- API semantics

  setRuleWeights(now: number, ruleArn: string, weights: readonly WeightedTarget[]): void {
    const before = this.state.rules[ruleArn];
    if (!before) throw new PortError('not-found', `RuleNotFound: ${ruleArn}`);
    for (const w of weights) {
      if (!this.state.targetGroups[w.targetGroupArn]) {
        throw new PortError('invalid', `TargetGroupNotFound: ${w.targetGroupArn}`);
      }
      if (!Number.isInteger(w.weight) || w.weight < 0 || w.weight > 999) {
        throw new PortError('invalid', `ValidationError: weight ${w.weight} must be an integer 0–999`);
      }
    }
    const wasServing = (arn: string) => (before.find((x) => x.targetGroupArn === arn)?.weight ?? 0) > 0;
    const newlyServing = weights
      .filter((w) => w.weight > 0 && !wasServing(w.targetGroupArn))
      .map((w) => {
        const targets = this.state.targetGroups[w.targetGroupArn].targets;
        const healthy = targets.filter((x) => x.state === 'healthy').length;
        return {
          targetGroupArn: w.targetGroupArn,
          healthyTargets: healthy,
          allHealthy: healthy > 0 && healthy === targets.length,
        };
      });
    this.state.rules[ruleArn] = weights.map((w) => ({ targetGroupArn: w.targetGroupArn, weight: w.weight }));
    for (const w of weights) {
      const k = `${ruleArn}|${w.targetGroupArn}`;
      if (w.weight > 0 && this.state.firstTrafficAt[k] === undefined) this.state.firstTrafficAt[k] = now;
    }
    this.state.weightHistory.push({ at: now, ruleArn, weights: this.state.rules[ruleArn], newlyServing });
  }

  /** Requests and target 5xx of a group over [fromMs, toMs) in whole seconds (what GetMetricData sums). */
  requestCounts(tg: SimTargetGroup, fromMs: number, toMs: number): { requests: number; errors: number } {
    const start = this.state.startedAt;
    const a = Math.max(0, Math.floor((fromMs - start) / 1000));
    const b = Math.floor((toMs - start) / 1000);
    let requests = 0;
    let errors = 0;
    for (let i = a; i < b; i++) {
      requests += tg.requests[i] ?? 0;
      errors += tg.errors5xx[i] ?? 0;
    }
    return { requests, errors };
  }

  /**
   * How late CloudWatch publishes the ALB datapoint of the minute starting at `minuteStartMs`: 60–120 s
   * after the minute ends, varying per minute (deterministic per world seed and minute).
   */
  metricDelayMs(minuteStartMs: number): number {
    const m = Math.floor(minuteStartMs / SIM_METRIC_PERIOD_MS);
    const h = Math.abs((m * 2654435761 + this.state.seed * 40503) % 61);
    return SIM_METRIC_DELAY_MIN_MS + h * 1000;
  }

  /**
   * What GetMetricData returns at `nowMs` for [fromMs, toMs): the sums of the whole-minute datapoints
   * already published (a minute's datapoint appears `metricDelayMs` after the minute ends; a minute not
   * yet published counts as missing, i.e. 0). Partial minutes at the edges count their covered seconds.
   */
  publishedCounts(
    tg: SimTargetGroup,
    fromMs: number,
    toMs: number,
    nowMs: number,
  ): { requests: number; errors: number } {
    let requests = 0;
    let errors = 0;
    for (const [a, b] of this.publishedSpans(fromMs, toMs, nowMs)) {
      const c = this.requestCounts(tg, a, b);
      requests += c.requests;
      errors += c.errors;
      if (tg.servedBeforeStart && a < this.state.startedAt) {
        const before = (Math.min(b, this.state.startedAt) - a) / 1000;
        requests += before * this.state.requestsPerSecond;
        errors += before * this.state.requestsPerSecond * this.state.baseErrorRatio;
      }
    }
    return { requests, errors };
  }

  /**
   * What GetMetricData returns at `nowMs` for the response statistics of [fromMs, toMs) read as one period
   * (published minutes only, like `publishedCounts`): requests, failed connections, and the p99 — the slow
   * requests' delay once they are more than 1 % of the window's requests, else SIM_BASE_P99_SECONDS.
   */
  publishedLatency(
    tg: SimTargetGroup,
    fromMs: number,
    toMs: number,
    nowMs: number,
  ): { requests: number; connectionErrors: number; p99Seconds?: number } {
    const start = this.state.startedAt;
    let requests = 0;
    let slow = 0;
    let conn = 0;
    for (const [a, b] of this.publishedSpans(fromMs, toMs, nowMs)) {
      for (let i = Math.max(0, Math.floor((a - start) / 1000)); i < Math.floor((b - start) / 1000); i++) {
        requests += tg.requests[i] ?? 0;
        slow += tg.slow?.[i] ?? 0;
        conn += tg.connErrors?.[i] ?? 0;
      }
      if (tg.servedBeforeStart && a < start)
        requests += ((Math.min(b, start) - a) / 1000) * this.state.requestsPerSecond;
    }
    const p99Seconds =
      requests <= 0
        ? undefined
        : slow / requests > 0.01
          ? (tg.slowSeconds ?? SIM_BASE_P99_SECONDS)
          : SIM_BASE_P99_SECONDS;
    return {
      requests,
      connectionErrors: conn,
      ...(p99Seconds !== undefined ? { p99Seconds } : {}),
    };
  }

  /** The parts [a, b) of [fromMs, toMs) whose whole minute CloudWatch has published by `nowMs`. */
  private publishedSpans(fromMs: number, toMs: number, nowMs: number): [number, number][] {
    const spans: [number, number][] = [];
    for (
      let m = Math.floor(fromMs / SIM_METRIC_PERIOD_MS) * SIM_METRIC_PERIOD_MS;
      m < toMs;
      m += SIM_METRIC_PERIOD_MS
    ) {
      if (m + SIM_METRIC_PERIOD_MS + this.metricDelayMs(m) > nowMs) continue;
      spans.push([Math.max(m, fromMs), Math.min(m + SIM_METRIC_PERIOD_MS, toMs)]);
    }
    return spans;
  }

  targetGroupBySuffix(lbSuffix: string, tgSuffix: string): SimTargetGroup | undefined {
    return Object.values(this.state.targetGroups).find(
      (x) => x.arnSuffix === tgSuffix && x.loadBalancerArnSuffix === lbSuffix,
    );
  }
}
