/**
 * Health gates and the waits that poll them: the idle colour's own ECS deployment reaching COMPLETED,
 * its targets turning healthy, and bakes that watch target health, the 5xx share and CloudWatch alarms.
 * Every wait polls on a fixed schedule and fails by throwing `GateFailure` — the caller rolls back.
 *
 * Timing: gate checks run every `gatePeriodMs(pollInterval)` (the poll interval minus a margin for the
 * API calls of one check and the restoring write), with the reads of one check in parallel, so the
 * restoring write lands within one poll interval of the first failing observation.
 */
import { type Colour, type DeploymentSettings, otherColour, type ServiceTopology } from '../../../topology';
import type {
  AlarmState,
  Clock,
  EcsPort,
  LatencySample,
  LoadBalancerPort,
  MetricsPort,
  RequestCounts,
  TargetHealth,
} from '../ports';
import type { AlarmBaseline } from './alarms';
import type { Emitter } from './events';
import {
  connectionGateOn,
  judgeConnectionErrors,
  judgeLatency,
  type LatencyBaseline,
  latencyGateOn,
  readLatencyBaseline,
  responseGateSettings,
  seconds,
} from './metric-gates';
import { judgedWindowMinutes } from './quiet';
import { GATE_RETRY, withRetry } from './retry';
import {
  FAILED_TASKS_TO_FAIL,
  FIVE_XX_WINDOW_MS,
  METRIC_DELAY_MS,
  METRIC_PERIOD_MS,
  UNHEALTHY_POLLS_TO_FAIL,
} from './settings';

export type GateName =
  | 'ecs-deployment'
  | 'target-health'
  | '5xx'
  /** p99 TargetResponseTime of the new colour's target group (core/metric-gates.ts). */
  | 'latency'
  /** TargetConnectionErrorCount share of the new colour's target group (core/metric-gates.ts). */
  | 'connection-errors'
  | 'alarm'
  | 'weights'
  | 'interrupted'
  | 'error'
  /** `switchyard abort` (or an expired hold): not a gate, the same way out. */
  | 'aborted'
  /** The pre-traffic smoke test (core/smoke.ts) failed: no production traffic moved. */
  | 'smoke';

/** A failed gate (or interrupt): the deploy must put traffic back on the last known good colour. */
export class GateFailure extends Error {
  constructor(
    readonly gate: GateName,
    message: string,
    /** Virtual/real time at which the failure was observed. */
    readonly detectedAt: number,
    /** What the failing gate check observed (metric gates), for progress and the release timeline. */
    readonly observation?: GateObservation,
  ) {
    super(message);
    this.name = 'GateFailure';
  }
}

export interface GateDeps {
  readonly ecs: EcsPort;
  readonly lb: LoadBalancerPort;
  readonly metrics: MetricsPort;
  readonly clock: Clock;
}

/** The alarms that gate the watched colour (core/alarms.ts): its own + shared, with the run's baseline. */
export interface AlarmGate {
  readonly names: readonly string[];
  /** Alarms already in ALARM when the run started: they fail only on a new transition to ALARM. */
  readonly baseline: AlarmBaseline;
}

export interface WatchContext {
  readonly topology: ServiceTopology;
  readonly settings: DeploymentSettings;
  /** The colour being rolled out / watched. */
  readonly colour: Colour;
  /** Targets required healthy (the live desired count). */
  readonly desiredCount: number;
  readonly emitter: Emitter;
  readonly signal?: AbortSignal;
  /** Alarms gating the watched colour. @default none (no alarm gate) */
  readonly alarms?: AlarmGate;
  /** When the watched colour first received production traffic in this run (5xx window start). */
  readonly trafficSinceMs?: number;
  /**
   * Requests per minute expected on the watched colour at the current weight (the live colour's own
   * rate before the first shift, scaled by the step's percentage). Undefined: unknown (no check).
   */
  readonly expectedPerMinute?: number;
  /**
   * Since when the watched colour gets the traffic `expectedPerMinute` describes (the last weight write):
   * a judged 5xx window is due relative to it, not to `trafficSinceMs` — after a 1% canary the first
   * minutes hold 1% of the rate. @default trafficSinceMs
   */
  readonly rateSinceMs?: number;
  /**
   * The bake must not pass without a judged 5xx window when one is due at `expectedPerMinute` (the
   * final bake): it is extended until CloudWatch data must exist (fiveXxDataDueAt) and fails as
   * inconclusive if the data still is not there. @default false
   */
  readonly requireData?: boolean;
}

/** How often gates are checked for a configured poll interval: leaves room for one check's calls + the restoring write. */
export function gatePeriodMs(pollIntervalSeconds: number): number {
  const p = pollIntervalSeconds * 1000;
  return Math.max(250, p - Math.min(1_000, Math.floor(p / 4)));
}

export function throwIfAborted(signal: AbortSignal | undefined, clock: Clock): void {
  if (signal?.aborted) {
    const reason =
      signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
    throw new GateFailure('interrupted', `interrupted (${reason})`, clock.now());
  }
}

/** Judges a 5xx sample. Pure: used by the gate and by the benchmark to find the first failing instant. */
export function judge5xx(
  counts: RequestCounts,
  settings: Pick<DeploymentSettings, 'max5xxRatio' | 'min5xxSampleRequests'>,
): { judged: boolean; ratio: number; failed: boolean } {
  const ratio = counts.requests > 0 ? counts.errors5xx / counts.requests : 0;
  const judged = counts.requests >= Math.max(1, settings.min5xxSampleRequests);
  return { judged, ratio, failed: judged && ratio > settings.max5xxRatio };
}

/**
 * The 5xx window at `now`: whole metric periods ending at the last complete minute, at most
 * FIVE_XX_WINDOW_MS long, never starting before the minute traffic started in. Undefined while no whole
 * minute with traffic has ended yet (nothing to query).
 */
export function fiveXxWindow(
  now: number,
  trafficSinceMs: number | undefined,
): { readonly fromMs: number; readonly toMs: number } | undefined {
  const toMs = Math.floor(now / METRIC_PERIOD_MS) * METRIC_PERIOD_MS;
  const since = trafficSinceMs === undefined ? toMs - FIVE_XX_WINDOW_MS : trafficSinceMs;
  const fromMs = Math.max(toMs - FIVE_XX_WINDOW_MS, Math.floor(since / METRIC_PERIOD_MS) * METRIC_PERIOD_MS);
  return fromMs < toMs ? { fromMs, toMs } : undefined;
}

/**
 * When a judged 5xx window is due: the first instant at which CloudWatch must have published enough
 * whole minutes with traffic to hold twice `min5xxSampleRequests` at `expectedPerMinute` (a margin for
 * normal traffic variation), assuming the worst-case METRIC_DELAY_MS. Undefined when the expected
 * traffic never fills a judged window (low-traffic services: the gate stays unjudged, as before).
 */
export function fiveXxDataDueAt(
  trafficSinceMs: number | undefined,
  expectedPerMinute: number | undefined,
  minSample: number,
): number | undefined {
  if (trafficSinceMs === undefined) return undefined;
  // the same criterion as a quiet service (core/quiet.ts): undefined when the window can never be judged
  const minutes = judgedWindowMinutes(expectedPerMinute, minSample);
  if (minutes === undefined) return undefined;
  const firstFullMinute = Math.ceil(trafficSinceMs / METRIC_PERIOD_MS) * METRIC_PERIOD_MS;
  return firstFullMinute + minutes * METRIC_PERIOD_MS + METRIC_DELAY_MS;
}

/** Too few requests in the 5xx window although a judged window is due (see fiveXxDataDueAt). */
export function fiveXxInconclusive(
  now: number,
  trafficSinceMs: number | undefined,
  observedRequests: number,
  expectedPerMinute: number | undefined,
  minSample: number,
): boolean {
  const due = fiveXxDataDueAt(trafficSinceMs, expectedPerMinute, minSample);
  return due !== undefined && now >= due && observedRequests < Math.max(1, minSample);
}

/** `, p99 0.21s (≤ 3.00s), conn errors 0` for a progress line ('' when both gates are off). */
function describeResponse(obs: GateObservation): string {
  const p99 =
    obs.latencyLimitSeconds === undefined
      ? ''
      : `, p99 ${obs.p99Seconds !== undefined && obs.latencyJudged ? seconds(obs.p99Seconds) : 'n/a'} (≤ ${seconds(obs.latencyLimitSeconds)})`;
  const conn = obs.connectionJudged
    ? `, conn errors ${(obs.connectionErrorRatio * 100).toFixed(1)}%`
    : obs.connectionErrors > 0
      ? `, conn errors ${obs.connectionErrors}`
      : '';
  return `${p99}${conn}`;
}

function describeTargets(targets: readonly TargetHealth[]): string {
  const counts = new Map<string, number>();
  for (const t of targets) {
    const k = t.reason ? `${t.state} (${t.reason})` : t.state;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'no targets registered';
}

export interface GateObservation {
  readonly healthy: number;
  readonly total: number;
  readonly requests: number;
  readonly errors5xx: number;
  readonly ratio: number;
  readonly judged: boolean;
  /** Gating alarms in ALARM that fail the gate (empty in a returned observation). */
  readonly alarms: readonly string[];
  /** Gating alarms still in the ALARM state the run started with (not failing; see core/alarms.ts). */
  readonly excusedAlarms: readonly string[];
  /** p99 TargetResponseTime of the window (seconds), when CloudWatch had one. */
  readonly p99Seconds?: number;
  /** The p99 limit (seconds) with the baseline known so far; absent when the latency gate is off. */
  readonly latencyLimitSeconds?: number;
  /** The p99 was judged (enough requests). */
  readonly latencyJudged: boolean;
  /** The live colour's p99 before traffic moved (seconds), when known. */
  readonly baselineP99Seconds?: number;
  readonly connectionErrors: number;
  readonly connectionErrorRatio: number;
  readonly connectionJudged: boolean;
}

/**
 * State of the response gates across the checks of one bake: the live colour's p99 baseline, read once
 * (lazily, from the minutes CloudWatch published before traffic first moved — core/metric-gates.ts).
 */
export interface ResponseGateState {
  baseline?: Promise<LatencyBaseline | undefined>;
}

/** Consecutive polls that saw an unhealthy / unavailable target (carried across the checks of a bake). */
export interface HealthStreak {
  unhealthyPolls: number;
}

/**
 * One check of all bake gates (3 reads in parallel). Throws GateFailure on the first failing gate.
 *
 * Target health: fewer healthy targets than the desired count fails at once (a task died or turned
 * unhealthy). Targets in `initial` (a replaced task, a scale-out) do not fail the bake while healthy ≥
 * desired; a target `unhealthy` / `unavailable` fails it when seen on UNHEALTHY_POLLS_TO_FAIL
 * consecutive checks (`streak`; without one, on the first).
 */
export async function checkGates(
  deps: GateDeps,
  ctx: WatchContext,
  streak: HealthStreak = { unhealthyPolls: UNHEALTHY_POLLS_TO_FAIL },
  response: ResponseGateState = {},
): Promise<GateObservation> {
  const { topology, settings, colour, emitter } = ctx;
  // short backoff: a throttled read must not push the check (and a rollback) past the poll interval
  const r = <T>(label: string, fn: () => Promise<T>) =>
    withRetry(deps.clock, label, fn, { emitter, policy: GATE_RETRY });
  const now = deps.clock.now();
  const window = fiveXxWindow(now, ctx.trafficSinceMs);
  const g = responseGateSettings(settings);
  const responseOn = latencyGateOn(g) || connectionGateOn(g);
  // the baseline: the OTHER (live) colour's minutes before traffic moved, read once per bake, never failing it
  if (latencyGateOn(g) && ctx.trafficSinceMs !== undefined && response.baseline === undefined) {
    response.baseline = readLatencyBaseline(
      deps,
      topology,
      otherColour(colour),
      ctx.trafficSinceMs,
      g,
      emitter,
    ).catch((e: unknown) => {
      emitter.warn(
        'gate.baseline-unknown',
        `cannot read ${otherColour(colour)}'s p99 before the shift (${(e as Error).message}); the latency gate judges ${colour} against the absolute ${seconds(g.maxP99Seconds)} only`,
        { colour: otherColour(colour) },
      );
      return undefined;
    });
  }
  const [targets, counts, alarmStates, sample, baseline] = await Promise.all([
    r('elbv2:DescribeTargetHealth', () => deps.lb.describeTargetHealth(topology.targetGroupArns[colour])),
    window
      ? r('cloudwatch:GetMetricData', () =>
          deps.metrics.targetGroupRequests(
            topology.loadBalancerArnSuffix,
            topology.targetGroupArnSuffixes[colour],
            window.fromMs,
            window.toMs,
          ),
        )
      : Promise.resolve({ requests: 0, errors5xx: 0 }),
    ctx.alarms && ctx.alarms.names.length > 0
      ? r('cloudwatch:DescribeAlarms', () => deps.metrics.alarmStates(ctx.alarms!.names))
      : Promise.resolve([] as AlarmState[]),
    window && responseOn
      ? r('cloudwatch:GetMetricData', () =>
          deps.metrics.targetGroupLatency(
            topology.loadBalancerArnSuffix,
            topology.targetGroupArnSuffixes[colour],
            window.fromMs,
            window.toMs,
          ),
        )
      : Promise.resolve<LatencySample>({ requests: 0, connectionErrors: 0 }),
    response.baseline ?? Promise.resolve(undefined),
  ]);
  const { failing: alarms, excused: excusedAlarms } = ctx.alarms
    ? ctx.alarms.baseline.judge(alarmStates)
    : { failing: [] as string[], excused: [] as string[] };
  const at = deps.clock.now();
  const serving = targets.filter((t) => t.state !== 'draining');
  const healthy = serving.filter((t) => t.state === 'healthy').length;
  if (healthy < ctx.desiredCount) {
    throw new GateFailure(
      'target-health',
      `target health of ${colour}: ${healthy}/${serving.length} healthy, ${ctx.desiredCount} required — ${describeTargets(targets)}`,
      at,
    );
  }
  const failing = serving.filter((t) => t.state === 'unhealthy' || t.state === 'unavailable').length;
  streak.unhealthyPolls = failing > 0 ? streak.unhealthyPolls + 1 : 0;
  if (failing > 0 && streak.unhealthyPolls >= UNHEALTHY_POLLS_TO_FAIL) {
    throw new GateFailure(
      'target-health',
      `target health of ${colour}: ${failing} target(s) unhealthy/unavailable on ${UNHEALTHY_POLLS_TO_FAIL} consecutive checks (${healthy}/${serving.length} healthy) — ${describeTargets(targets)}`,
      at,
    );
  }
  const j = judge5xx(counts, settings);
  const conn = judgeConnectionErrors(sample, g);
  const lat = judgeLatency(sample, g, baseline?.p99Seconds);
  const obs: GateObservation = {
    healthy,
    total: serving.length,
    requests: counts.requests,
    errors5xx: counts.errors5xx,
    ratio: j.ratio,
    judged: j.judged,
    alarms,
    excusedAlarms,
    ...(lat.p99Seconds !== undefined ? { p99Seconds: lat.p99Seconds } : {}),
    ...(latencyGateOn(g) ? { latencyLimitSeconds: lat.limitSeconds } : {}),
    latencyJudged: lat.judged,
    ...(baseline?.p99Seconds !== undefined ? { baselineP99Seconds: baseline.p99Seconds } : {}),
    connectionErrors: sample.connectionErrors,
    connectionErrorRatio: conn.ratio,
    connectionJudged: conn.judged,
  };
  if (j.failed) {
    throw new GateFailure(
      '5xx',
      `5xx share of ${colour} is ${(j.ratio * 100).toFixed(1)}% (${counts.errors5xx} of ${counts.requests} requests in the ${window ? Math.round((window.toMs - window.fromMs) / 60_000) : 0} whole minute(s) up to ${window ? new Date(window.toMs).toISOString().slice(11, 16) : '-'} UTC), above the ${(settings.max5xxRatio * 100).toFixed(1)}% limit`,
      at,
      obs,
    );
  }
  const windowText = window
    ? `in the ${Math.round((window.toMs - window.fromMs) / 60_000)} whole minute(s) up to ${new Date(window.toMs).toISOString().slice(11, 16)} UTC`
    : '';
  if (conn.failed) {
    throw new GateFailure(
      'connection-errors',
      `connection errors to ${colour}'s targets: ${(conn.ratio * 100).toFixed(1)}% of attempts (${sample.connectionErrors} TargetConnectionErrorCount vs ${sample.requests} requests ${windowText}), above the ${(g.maxConnectionErrorRatio * 100).toFixed(1)}% limit — the load balancer answers those with 502/503, counted per load balancer only`,
      at,
      obs,
    );
  }
  if (lat.failed) {
    const against = lat.fromBaseline
      ? `${seconds(baseline!.p99Seconds!)} (${baseline!.colour}'s p99 before the shift) × ${g.baselineFactor}`
      : `the ${seconds(g.maxP99Seconds)} limit${baseline?.p99Seconds !== undefined ? ` (${baseline.colour}'s p99 before the shift was ${seconds(baseline.p99Seconds)}, × ${g.baselineFactor} = ${seconds(baseline.p99Seconds * g.baselineFactor)})` : ''}`;
    throw new GateFailure(
      'latency',
      `p99 response time of ${colour} is ${seconds(lat.p99Seconds!)} over ${sample.requests} requests ${windowText}, above ${against}`,
      at,
      obs,
    );
  }
  if (alarms.length > 0) {
    throw new GateFailure(
      'alarm',
      `CloudWatch alarm in ALARM: ${alarms.join(', ')} (gating ${colour}: its own alarms and the shared ones)`,
      at,
      obs,
    );
  }
  return obs;
}

/**
 * Bakes for `durationMs`, checking gates at the start, every gate period and at the end.
 * `onTick` is told the observation and the time left (for progress output).
 */
export async function bake(
  deps: GateDeps,
  ctx: WatchContext,
  durationMs: number,
  label: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const { clock } = deps;
  const period = gatePeriodMs(ctx.settings.pollIntervalSeconds);
  const start = clock.now();
  let end = start + durationMs;
  let next = start;
  ctx.emitter.info('bake.start', `${label}: baking ${Math.round(durationMs / 1000)}s on ${ctx.colour}`, {
    colour: ctx.colour,
    durationMs,
    label,
    ...extra,
  });
  const streak: HealthStreak = { unhealthyPolls: 0 };
  const response: ResponseGateState = {};
  const progress = (obs: GateObservation, remainingMs: number, failing?: GateName) =>
    ctx.emitter.info(
      'bake.progress',
      `${label}: ${ctx.colour} ${obs.healthy}/${obs.total} healthy, 5xx ${obs.judged ? `${(obs.ratio * 100).toFixed(1)}%` : `n/a (${obs.requests} req)`}${describeResponse(obs)}, alarms ${obs.alarms.length === 0 ? 'OK' : obs.alarms.join(',')}${obs.excusedAlarms.length ? ` (still in ALARM since before the run: ${obs.excusedAlarms.join(',')})` : ''}, ${failing ? `${failing} gate FAILED` : `${Math.ceil(remainingMs / 1000)}s left`}`,
      { colour: ctx.colour, label, remainingMs, ...obs, ...extra, ...(failing ? { failing } : {}) },
    );
  for (;;) {
    throwIfAborted(ctx.signal, clock);
    let obs: GateObservation;
    try {
      obs = await checkGates(deps, ctx, streak, response);
    } catch (e) {
      // the failing check's observation is part of the record (timeline, JSON), then the caller rolls back
      if (e instanceof GateFailure && e.observation)
        progress(e.observation, Math.max(0, end - clock.now()), e.gate);
      throw e;
    }
    throwIfAborted(ctx.signal, clock);
    const now = clock.now();
    const remainingMs = Math.max(0, end - now);
    progress(obs, remainingMs);
    if (now >= end && ctx.requireData && !obs.judged) {
      const min = ctx.settings.min5xxSampleRequests;
      const rateSince = ctx.rateSinceMs ?? ctx.trafficSinceMs;
      if (fiveXxInconclusive(now, rateSince, obs.requests, ctx.expectedPerMinute, min)) {
        throw new GateFailure(
          '5xx',
          `5xx gate inconclusive for ${ctx.colour}: ${obs.requests} requests in CloudWatch for its target group after ${Math.round((now - (rateSince ?? now)) / 1000)}s at its current weight, but ~${Math.round(ctx.expectedPerMinute ?? 0)}/min expected (≥ ${min} needed to judge); the metrics are missing or the colour gets no traffic — not passing the final bake blind`,
          now,
        );
      }
      const due = fiveXxDataDueAt(rateSince, ctx.expectedPerMinute, min);
      if (due !== undefined && due > end) {
        ctx.emitter.warn(
          'bake.extended',
          `${label}: no judged 5xx window yet (${obs.requests} requests, ~${Math.round(ctx.expectedPerMinute ?? 0)}/min expected); CloudWatch publishes ALB metrics up to ${METRIC_DELAY_MS / 1000}s late, so the bake goes on for ${Math.round((due - now) / 1000)}s more`,
          { colour: ctx.colour, label, untilMs: due, ...extra },
        );
        end = due;
      }
    }
    if (now >= end) break;
    while (next <= now) next += period;
    await clock.sleep(Math.min(next, end) - now, ctx.signal);
  }
  ctx.emitter.info('bake.passed', `${label}: passed`, { colour: ctx.colour, label, ...extra });
}

/** Waits until ECS deployment `deploymentId` of the colour's service is COMPLETED; fails fast on FAILED or stopping tasks. */
export async function waitForEcsDeployment(
  deps: GateDeps,
  ctx: WatchContext,
  deploymentId: string,
): Promise<void> {
  const { clock, ecs } = deps;
  const { topology, settings, colour, emitter } = ctx;
  const service = topology.ecsServices[colour];
  const start = clock.now();
  const deadline = start + settings.deploymentTimeoutSeconds * 1000;
  const period = gatePeriodMs(settings.pollIntervalSeconds);
  const stoppedReasons = async () => {
    const reasons = await withRetry(
      clock,
      'ecs:DescribeTasks',
      () => ecs.recentStoppedTaskReasons(topology.cluster, service, start),
      {
        emitter,
      },
    );
    return reasons.length > 0
      ? `; stopped tasks: ${[...new Set(reasons.map((x) => x.replace(/^[^:]+: /, '')))].join(' | ')}`
      : '';
  };
  for (;;) {
    throwIfAborted(ctx.signal, clock);
    const svc = await withRetry(
      clock,
      'ecs:DescribeServices',
      () => ecs.describeService(topology.cluster, service),
      { emitter },
    );
    const dep = svc.deployments.find((d) => d.id === deploymentId);
    const now = clock.now();
    if (!dep) {
      throw new GateFailure(
        'ecs-deployment',
        `ECS deployment ${deploymentId} of ${service} disappeared (replaced by another deployment)`,
        now,
      );
    }
    emitter.info(
      'ecs.progress',
      `${colour}: ECS deployment ${deploymentId} ${dep.rolloutState}, ${dep.runningCount}/${dep.desiredCount} running${dep.failedTasks ? `, ${dep.failedTasks} failed` : ''}`,
      {
        colour,
        deploymentId,
        rolloutState: dep.rolloutState,
        running: dep.runningCount,
        desired: dep.desiredCount,
        failedTasks: dep.failedTasks,
      },
    );
    if (dep.rolloutState === 'COMPLETED') return;
    if (dep.rolloutState === 'FAILED') {
      throw new GateFailure(
        'ecs-deployment',
        `ECS deployment ${deploymentId} of ${service} FAILED: ${dep.rolloutStateReason ?? 'no reason given'}${await stoppedReasons()}`,
        now,
      );
    }
    if (dep.failedTasks >= FAILED_TASKS_TO_FAIL) {
      throw new GateFailure(
        'ecs-deployment',
        `tasks of ${service} keep stopping (${dep.failedTasks} failed)${await stoppedReasons()}`,
        now,
      );
    }
    if (now >= deadline) {
      throw new GateFailure(
        'ecs-deployment',
        `ECS deployment ${deploymentId} of ${service} not COMPLETED after ${settings.deploymentTimeoutSeconds}s (${dep.runningCount}/${dep.desiredCount} running)`,
        now,
      );
    }
    await clock.sleep(Math.min(period, deadline - now), ctx.signal);
  }
}

/** Waits until every (non-draining) target of the colour's group is healthy and at least `desiredCount` are. */
export async function waitForHealthyTargets(deps: GateDeps, ctx: WatchContext): Promise<void> {
  const { clock, lb } = deps;
  const { topology, settings, colour, emitter } = ctx;
  const deadline = clock.now() + settings.healthyTimeoutSeconds * 1000;
  const period = gatePeriodMs(settings.pollIntervalSeconds);
  let unhealthyPolls = 0;
  for (;;) {
    throwIfAborted(ctx.signal, clock);
    const targets = await withRetry(
      clock,
      'elbv2:DescribeTargetHealth',
      () => lb.describeTargetHealth(topology.targetGroupArns[colour]),
      {
        emitter,
      },
    );
    const now = clock.now();
    const serving = targets.filter((t) => t.state !== 'draining');
    const healthy = serving.filter((t) => t.state === 'healthy').length;
    emitter.info(
      'targets.progress',
      `${colour}: ${healthy}/${ctx.desiredCount} targets healthy (${describeTargets(targets)})`,
      {
        colour,
        healthy,
        total: serving.length,
        desired: ctx.desiredCount,
      },
    );
    if (healthy >= ctx.desiredCount && healthy === serving.length) return;
    unhealthyPolls = serving.some((t) => t.state === 'unhealthy') ? unhealthyPolls + 1 : 0;
    if (unhealthyPolls >= UNHEALTHY_POLLS_TO_FAIL) {
      throw new GateFailure(
        'target-health',
        `targets of ${colour} fail health checks: ${describeTargets(targets)}`,
        now,
      );
    }
    if (now >= deadline) {
      throw new GateFailure(
        'target-health',
        `targets of ${colour} not all healthy after ${settings.healthyTimeoutSeconds}s: ${describeTargets(targets)} (${ctx.desiredCount} required)`,
        now,
      );
    }
    await clock.sleep(Math.min(period, deadline - now), ctx.signal);
  }
}
