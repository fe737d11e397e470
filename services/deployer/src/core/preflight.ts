/**
 * The read-only part of a deploy (also the whole dry run): validates the request, reads the live state,
 * resolves the image, checks the base revision, the alarms, the scalable targets and the release history,
 * and builds the plan. Refuses bad input (mutable/unresolvable tags, split weights, a base revision
 * without the container, alarms that do not exist or are already in ALARM, missing scalable targets, a
 * dead release) without writing anything.
 */
import type { DeploymentSettings } from '../../../topology';
import {
  type AlarmState,
  type LockInfo,
  PortError,
  type ReleaseRecord,
  type RuleStickiness,
  type TaskDefinitionSummary,
} from '../ports';
import { AlarmBaseline, alarmPreflight, alarmScope, gatingAlarms, scopeAlarms } from './alarms';
import {
  type DeployDeps,
  type DeployOutcome,
  type DeployPlan,
  type DeployRequest,
  keyOf,
  type PlanAutoscaling,
  type PlanInputs,
  type RefusalCode,
} from './deploy-model';
import type { Emitter } from './events';
import { gatePeriodMs } from './gates';
import { holdAdvice, holdOf } from './hold';
import { type LiveState, readLiveState } from './live-state';
import { withRetry } from './retry';
import { bakeFloor, heldFloor, idleRange, liveRange, managedAutoscaling, readScalingState } from './scaling';
import {
  effectiveSettings,
  FIVE_XX_WINDOW_MS,
  METRIC_DELAY_MS,
  METRIC_PERIOD_MS,
  MIN_MEANINGFUL_BAKE_MS,
  RESTORE_SETTLE_MS,
  restoreDeadlineMs,
  weightSchedule,
} from './settings';
import { type ConfigurationChanges, configurationDiff } from './task-config';
import { weightsFor } from './traffic';
import { describeTraffic, withTrafficCheck } from './plan-traffic';
import { type PlanSmokeTest, planSmokeTest } from './smoke';
import { credentialsProblem } from './worst-case';
import type { Colour, ServiceTopology } from '../../../topology';

/** What the preflight found: the plan and what the run needs besides it. */
export interface Prepared {
  readonly plan: DeployPlan;
  readonly settings: DeploymentSettings;
  /** The live state read (weights, both colours). */
  readonly live: LiveState;
  /** Revision the new one is copied from. */
  readonly baseArn: string;
  /** Gating alarms already in ALARM at the preflight (they fail a bake only on a new transition). */
  readonly alarmBaseline: AlarmBaseline;
  /** The newest releases (older in-progress ones are marked superseded after a successful deploy). */
  readonly recent: readonly ReleaseRecord[];
  /** Why the credentials expire before the worst case (a refusal unless dry run). */
  readonly expiry?: string;
}

/** A refusal: nothing was written or changed. */
export function refused(
  code: RefusalCode,
  reason: string,
  emitter: Emitter,
  heldBy?: LockInfo,
): Extract<DeployOutcome, { status: 'refused' }> {
  emitter.error('refused', reason, { code });
  return heldBy ? { status: 'refused', code, reason, heldBy } : { status: 'refused', code, reason };
}

/**
 * Validates `req` and builds the plan, reading only. Returns `Prepared`, or the refusal / up-to-date
 * outcome (with its events emitted).
 */
export async function preflight(
  deps: DeployDeps,
  req: DeployRequest,
  emitter: Emitter,
): Promise<Prepared | Extract<DeployOutcome, { status: 'refused' | 'up-to-date' }>> {
  const { clock, store } = deps;
  const t = req.topology;
  const kind = req.kind ?? 'deploy';
  const r = <T>(label: string, fn: () => Promise<T>) => withRetry(clock, label, fn, { emitter });

  // ---- validation: reads only, no writes
  let settings: DeploymentSettings;
  try {
    settings = effectiveSettings(
      t,
      { ...req.settings, ...(req.holdAfter ? { holdAfter: req.holdAfter } : {}) },
      req.strategy,
    );
  } catch (e) {
    return refused('invalid-request', (e as Error).message, emitter);
  }
  const holdProblem = holdRefusal(req, settings, deps);
  if (holdProblem) return refused('invalid-request', holdProblem, emitter);
  const smoke = planSmokeTest(t);
  if (smoke && 'problem' in smoke) return refused('invalid-request', smoke.problem, emitter);
  if (smoke && !deps.smoke && !req.dryRun)
    return refused(
      'invalid-request',
      `${t.environment}/${t.service} has a smokeTest, but this caller cannot run smoke tests (no smoke port)`,
      emitter,
    );
  if (req.imageDigest !== undefined) {
    if (!DIGEST_RE.test(req.imageDigest)) {
      return refused(
        'invalid-request',
        `"${req.imageDigest}" is not an image digest (expected sha256: followed by 64 hex digits)`,
        emitter,
      );
    }
  } else {
    const problem = tagProblem(req.imageTag);
    if (problem)
      return refused(problem.startsWith('refusing') ? 'mutable-tag' : 'invalid-request', problem, emitter);
  }

  let live: LiveState;
  try {
    live = await readLiveState(deps, t, emitter);
  } catch (e) {
    if (e instanceof PortError && (e.kind === 'not-found' || e.kind === 'invalid')) {
      return refused(
        'not-found',
        `cannot read the live state of ${t.environment}/${t.service}: ${e.message}. Is the topology current (re-apply the environment) and does the ECS cluster ${t.cluster} exist?`,
        emitter,
      );
    }
    throw e;
  }
  emitter.info(
    'live-state',
    live.status === 'ok'
      ? `live colour: ${live.liveColour} (blue ${live.weights.blue}% / green ${live.weights.green}%)`
      : `live state: ${live.status}`,
    {
      status: live.status,
      liveColour: live.liveColour,
      weights: live.weights,
      blue: {
        taskDefinitionArn: live.colours.blue.taskDefinitionArn,
        image: live.colours.blue.image,
        running: live.colours.blue.runningCount,
        desired: live.colours.blue.desiredCount,
        healthy: live.colours.blue.healthyTargets,
      },
      green: {
        taskDefinitionArn: live.colours.green.taskDefinitionArn,
        image: live.colours.green.image,
        running: live.colours.green.runningCount,
        desired: live.colours.green.desiredCount,
        healthy: live.colours.green.healthyTargets,
      },
    },
  );
  // ---- the release history: a deploy held for approval explains split weights (its canary) and a held
  // lock better than "split weights" does — and its way out is continue/abort, not a rollback
  const key = keyOf(t);
  const recent = await r('store.listReleases', () => store.listReleases(key, 5));
  if (kind !== 'rollback' && recent[0]?.outcome === 'in-progress' && recent[0].step === 'held') {
    const lock = await r('store.getLock', () => store.getLock(key));
    const hold = holdOf(recent[0], lock, clock.now());
    if (hold)
      return refused(
        'held-for-approval',
        holdAdvice(hold, t, clock.now(), `${kind} ${req.imageTag}`),
        emitter,
      );
  }
  if (live.status !== 'ok') {
    return refused(live.status === 'split' ? 'split-weights' : live.status, live.problem!, emitter);
  }
  const liveColour = live.liveColour!;
  const idle = live.idleColour!;
  const liveCs = live.colours[liveColour];
  if (!liveCs.image) {
    return refused(
      'invalid-request',
      `the live task definition ${liveCs.taskDefinitionArn} has no container named "${t.containerName}" (topology containerName); fix the topology or the task definition`,
      emitter,
    );
  }
  if (liveCs.desiredCount < 1) {
    return refused(
      'invalid-request',
      `the live colour ${liveColour} (${liveCs.serviceName}) has desired count 0; scale it up before deploying`,
      emitter,
    );
  }

  let digest: string;
  if (req.imageDigest) {
    const has = await r('ecr:DescribeImages', () =>
      deps.registry.hasDigest(t.repositoryName, req.imageDigest!),
    );
    if (!has) {
      return refused(
        'digest-not-found',
        `repository ${t.repositoryName} (${t.repositoryUri}) does not hold image ${req.imageDigest}; push or replicate it first`,
        emitter,
      );
    }
    digest = req.imageDigest;
  } else {
    let resolved: string | undefined;
    try {
      resolved = await r('ecr:DescribeImages', () =>
        deps.registry.resolveTag(t.repositoryName, req.imageTag),
      );
    } catch (e) {
      if (!(e instanceof PortError && e.kind === 'not-found')) throw e;
      return refused(
        'unresolvable-tag',
        `image repository ${t.repositoryName} not found (${e.message}); check the topology's repositoryName`,
        emitter,
      );
    }
    if (!resolved) {
      return refused(
        'unresolvable-tag',
        `tag "${req.imageTag}" does not exist in ${t.repositoryUri}; push it first (or check for a typo)`,
        emitter,
      );
    }
    digest = resolved;
  }
  emitter.info('image.resolved', `image ${req.imageTag} → ${digest}`, { tag: req.imageTag, digest });

  // ---- base revision: Terraform's desired configuration (topology) or the live revision
  const baseArn = req.baseTaskDefinitionArn ?? t.baseTaskDefinitionArn ?? liveCs.taskDefinitionArn;
  const baseSource = req.baseTaskDefinitionArn ? 'request' : t.baseTaskDefinitionArn ? 'topology' : 'live';
  let configurationChanges: ConfigurationChanges | undefined;
  if (baseArn !== liveCs.taskDefinitionArn) {
    const named =
      baseSource === 'topology'
        ? `the base task definition ${baseArn} (topology baseTaskDefinitionArn)`
        : `the base task definition ${baseArn}`;
    let baseTd: TaskDefinitionSummary;
    try {
      baseTd = await r('ecs:DescribeTaskDefinition', () => deps.ecs.describeTaskDefinition(baseArn));
    } catch (e) {
      if (!(e instanceof PortError && (e.kind === 'not-found' || e.kind === 'invalid'))) throw e;
      return refused(
        'not-found',
        `cannot read ${named}: ${e.message}. Re-apply the environment so the topology names a current revision`,
        emitter,
      );
    }
    if (!baseTd.containers.some((c) => c.containerName === t.containerName)) {
      return refused(
        'invalid-request',
        `${named} has no container named "${t.containerName}" (containers: ${baseTd.containers.map((c) => c.containerName).join(', ') || 'none'}); fix containerName in the topology or the task definition`,
        emitter,
      );
    }
    configurationChanges = configurationDiff(baseTd, liveCs.taskDefinition);
    emitter.info(
      'taskdef.base',
      `base revision ${baseArn} (${baseSource}) differs from the live ${liveCs.taskDefinitionArn}: ${describeChanges(configurationChanges)}`,
      { base: baseArn, live: liveCs.taskDefinitionArn, baseSource, changes: configurationChanges },
    );
  }
  const configOnly =
    configurationChanges !== undefined &&
    (!configurationChanges.known ||
      configurationChanges.fields.length > 0 ||
      configurationChanges.containers.length > 0);
  if (liveCs.imageDigest === digest && !configOnly) {
    // the requested image is what serves: a CI rerun of a deploy that went through is a success
    const healthy = liveCs.healthyTargets >= liveCs.desiredCount;
    if (!healthy) {
      return refused(
        'nothing-to-do',
        `${t.environment}/${t.service} already serves ${digest} (${req.imageTag}) on ${liveColour}, but only ${liveCs.healthyTargets} of its ${liveCs.desiredCount} targets are healthy; deploying the same image again would not change that. Check \`switchyard status --env ${t.environment} --service ${t.service}\` and the service's events, or deploy a fixed image`,
        emitter,
      );
    }
    const reason = `${t.environment}/${t.service} already serves ${digest} (${req.imageTag}) on ${liveColour}, ${liveCs.healthyTargets}/${liveCs.desiredCount} targets healthy: nothing to do`;
    emitter.info('up-to-date', reason, { colour: liveColour, digest });
    return {
      status: 'up-to-date',
      reason,
      liveColour,
      imageTag: req.imageTag,
      imageDigest: digest,
      healthyTargets: liveCs.healthyTargets,
      desiredCount: liveCs.desiredCount,
    };
  }

  // ---- alarm preflight: a misspelt or already firing alarm is found now, not in the first bake. The new
  // colour is judged on its own alarms + shared ones, never on the live colour's (core/alarms.ts)
  const scope = alarmScope(t, idle);
  const gating = gatingAlarms(scope);
  let alarmStates: AlarmState[] = [];
  if (scopeAlarms(scope).length > 0) {
    try {
      alarmStates = await r('cloudwatch:DescribeAlarms', () => deps.metrics.alarmStates(scopeAlarms(scope)));
    } catch (e) {
      if (!(e instanceof PortError && e.kind === 'not-found')) throw e;
      return refused(
        'alarm-missing',
        `${e.message}. The deploy reads every alarm of ${t.environment}/${t.service} (alarms.blue / alarms.green / alarms.shared); a missing alarm would only fail the first bake, after traffic moved`,
        emitter,
      );
    }
    const pre = alarmPreflight(kind, scope, alarmStates, t);
    if (pre.refusal) return refused('alarm-firing', pre.refusal, emitter);
    for (const w of pre.warnings)
      emitter.warn('alarm.firing', w, { gating: pre.firingGating, notGating: pre.firingOther });
  }
  const alarmBaseline = new AlarmBaseline(alarmStates.filter((a) => gating.includes(a.name)));

  // ---- autoscaling: the scalable targets the floor writes go to must exist
  let planAutoscaling: PlanAutoscaling | undefined;
  const autoscaling = managedAutoscaling(deps, t);
  if (autoscaling) {
    const state = await readScalingState(deps, t, emitter);
    if (state.managed && state.problem) return refused('not-found', state.problem, emitter);
    planAutoscaling = {
      resourceIds: autoscaling.resourceIds,
      current: state.managed ? state.ranges : {},
      bakeFloor: bakeFloor(autoscaling, liveCs.desiredCount),
      liveFloor: heldFloor(state.managed ? state.ranges[liveColour] : undefined, liveCs.desiredCount),
      liveRange: liveRange(autoscaling),
      idleRange: idleRange(autoscaling),
    };
  }

  // ---- a dead release (newest still in progress) must be recovered first (rollbacks are the recovery)
  if (kind !== 'rollback' && recent[0]?.outcome === 'in-progress') {
    const dead = recent[0];
    return refused(
      'dead-release',
      `release ${dead.id} (${dead.kind} of ${dead.imageTag} to ${dead.colour} by ${dead.actor}) is still in progress at step "${dead.step}": its deployer is either still running (then wait for it) or died / lost its lock. Its colour ${dead.colour} never passed its final bake, so it is not a known-good release; ${dead.previousColour} is. Recover first: \`switchyard rollback --env ${t.environment} --service ${t.service} --reason "…"\` (add --force-unlock --reason "…" if its lock is still held), then deploy again`,
      emitter,
    );
  }

  const planned = buildPlan(req, settings, live, digest, {
    baseTaskDefinitionArn: baseArn,
    baseSource,
    ...(configurationChanges ? { configurationChanges } : {}),
    ...(planAutoscaling ? { autoscaling: planAutoscaling } : {}),
    alarmsPreFiring: alarmBaseline.preFiring(),
  });
  const built = await withTrafficCheck(deps, t, settings, planned, emitter); // traffic + response gates (core/plan-traffic.ts)
  const quiet = quietProblem(`${t.environment}/${t.service}`, built, settings);
  if (quiet) return refused('quiet-unverified', quiet, emitter);
  const sticky = await ruleStickiness(deps, t, emitter);
  const plan: DeployPlan = sticky
    ? { ...built, warnings: [...(built.warnings ?? []), stickinessWarning(sticky, 'deploy')] }
    : built;
  emitter.info(
    'plan',
    `${plan.kind} ${plan.imageTag} to ${idle} (live: ${liveColour}), ${plan.strategy}: ${plan.steps.map((s) => `${s.percent}%`).join(' → ')}`,
    {
      plan,
    },
  );
  for (const w of plan.warnings ?? []) emitter.warn('plan.warning', w);
  const expiry = credentialsProblem(plan, deps.credentialsExpireAt, clock.now());
  if (expiry && req.dryRun) emitter.warn('plan.warning', expiry);
  return { plan, settings, live, baseArn, alarmBaseline, recent, ...(expiry ? { expiry } : {}) };
}

/**
 * Why a deploy must be refused as a quiet service without a smoke test, or undefined: the traffic is known
 * to be too quiet to judge (plan.traffic.quiet, core/quiet.ts's verdict), the service's rule is
 * `require-smoke-test` and it has none. A rollback is never refused (it is the way out). Pure.
 */
export function quietProblem(
  where: string,
  plan: Pick<DeployPlan, 'kind' | 'traffic' | 'smokeTest'>,
  settings: Pick<DeploymentSettings, 'quietTraffic' | 'min5xxSampleRequests'>,
): string | undefined {
  const traffic = plan.traffic;
  if ((settings.quietTraffic ?? 'allow') !== 'require-smoke-test' || plan.kind === 'rollback')
    return undefined;
  if (!traffic?.quiet || plan.smokeTest) return undefined;
  return `${where} is too quiet for the 5xx gate (${describeTraffic(traffic)}; a judged window needs ≥ ${Math.ceil(traffic.neededPerMinute)} requests/min), so a bad release would pass on target health and alarms alone — and it has no smoke test, which its settings require (deploy.quietTraffic: require-smoke-test, the prod default). Either add services[].smokeTest (http checks and/or a command, run through the test listener before any production traffic) to its environment YAML, or opt in explicitly with deploy.quietTraffic: allow; then apply the environment and deploy again`;
}

/** Tags that move by design: deploying them is not reproducible, so they are refused. */
export const MUTABLE_TAGS: readonly string[] = [
  'latest',
  'stable',
  'edge',
  'nightly',
  'main',
  'master',
  'head',
];
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** Why a tag cannot be deployed, or undefined when it is acceptable (before registry lookup). Pure. */
export function tagProblem(tag: string): string | undefined {
  if (!tag)
    return 'no image tag given: pass --image-tag with an immutable tag such as a version or a git SHA';
  if (!TAG_RE.test(tag))
    return `"${tag}" is not a valid image tag (letters, digits, _ . -, at most 128 characters)`;
  if (MUTABLE_TAGS.includes(tag.toLowerCase())) {
    return `refusing mutable tag "${tag}": it can point at a different image tomorrow, so the release could not be reproduced or rolled back. Deploy an immutable tag (version or git SHA) instead`;
  }
  return undefined;
}

/** Builds the plan from the live state (pure). */
export function buildPlan(
  req: DeployRequest,
  settings: DeploymentSettings,
  live: LiveState,
  imageDigest: string,
  inputs: PlanInputs = {},
): DeployPlan {
  const t = req.topology;
  const liveColour = live.liveColour!;
  const idleColour = live.idleColour!;
  const liveCs = live.colours[liveColour];
  const schedule = weightSchedule(settings);
  const steps = schedule.map((p) => ({
    percent: p,
    weights: weightsFor(idleColour, p),
    bakeSeconds: settings.bakeSeconds,
  }));
  return {
    environment: t.environment,
    service: t.service,
    kind: req.kind ?? 'deploy',
    strategy: settings.strategy,
    liveColour,
    idleColour,
    imageTag: req.imageTag,
    imageDigest,
    image: `${t.repositoryUri}@${imageDigest}`,
    taskDefinition: {
      base: inputs.baseTaskDefinitionArn ?? liveCs.taskDefinitionArn,
      baseSource: inputs.baseSource ?? 'live',
      live: liveCs.taskDefinitionArn,
      ...(inputs.configurationChanges ? { configurationChanges: inputs.configurationChanges } : {}),
      container: t.containerName,
      imageFrom: liveCs.image,
      imageTo: `${t.repositoryUri}@${imageDigest}`,
      idleCurrent: live.colours[idleColour].taskDefinitionArn,
    },
    desiredCount: liveCs.desiredCount,
    steps,
    finalBakeSeconds: settings.finalBakeSeconds,
    terminationWaitSeconds: settings.terminationWaitSeconds,
    gates: {
      pollIntervalSeconds: settings.pollIntervalSeconds,
      gateCheckEveryMs: gatePeriodMs(settings.pollIntervalSeconds),
      deploymentTimeoutSeconds: settings.deploymentTimeoutSeconds,
      healthyTimeoutSeconds: settings.healthyTimeoutSeconds,
      max5xxRatio: settings.max5xxRatio,
      min5xxSampleRequests: settings.min5xxSampleRequests,
      fiveXxWindowSeconds: FIVE_XX_WINDOW_MS / 1000,
      alarms: gatingAlarms(alarmScope(t, idleColour)),
      alarmsNotGating: alarmScope(t, idleColour).other,
      alarmsPreFiring: inputs.alarmsPreFiring ?? [],
    },
    restore: {
      deadlineSeconds: restoreDeadlineMs(settings) / 1000,
      settleSeconds: RESTORE_SETTLE_MS / 1000,
    },
    minimumSeconds:
      steps.length * settings.bakeSeconds + settings.finalBakeSeconds + settings.terminationWaitSeconds,
    ...(inputs.autoscaling ? { autoscaling: inputs.autoscaling } : {}),
    ...(smokeTestOf(t) ? { smokeTest: smokeTestOf(t)! } : {}),
    ...(holdsAfterCanary(req, settings) && steps.length > 1
      ? {
          hold: {
            afterStep: 0,
            percent: steps[0].percent,
            timeoutSeconds: settings.holdTimeoutSeconds ?? DEFAULT_HOLD_TIMEOUT_SECONDS,
          },
        }
      : {}),
    warnings: bakeWarnings(settings, steps.length),
  };
}

/** The topology's smoke test as planned, or undefined (none, or one that cannot run: refused earlier). */
function smokeTestOf(t: ServiceTopology): PlanSmokeTest | undefined {
  const s = planSmokeTest(t);
  return s && !('problem' in s) ? s : undefined;
}

/** How long a held deploy waits for `switchyard continue` unless the topology says otherwise. */
export const DEFAULT_HOLD_TIMEOUT_SECONDS = 3600;

/** Whether the run holds after its canary step (a rollback by redeploy never holds: it is the way out). */
const holdsAfterCanary = (req: DeployRequest, settings: DeploymentSettings) =>
  settings.holdAfter === 'canary' && (req.kind ?? 'deploy') !== 'rollback';

/** Why the requested hold cannot be done, or undefined. Pure apart from reading `deps.keepLock`. */
function holdRefusal(req: DeployRequest, settings: DeploymentSettings, deps: DeployDeps): string | undefined {
  if (!holdsAfterCanary(req, settings)) return undefined;
  const where = `${req.topology.environment}/${req.topology.service}`;
  if (weightSchedule(settings).length < 2)
    return `${where} holds for approval after the canary (holdAfter: canary${req.holdAfter ? ', --hold-after canary' : ''}), but the ${settings.strategy} strategy has no step before 100%: use --strategy canary or linear, or --hold-after none`;
  if (!req.dryRun && !deps.keepLock)
    return `${where} holds for approval after the canary, but this caller cannot keep the lock past the run (deploy it with \`switchyard deploy\`/\`promote\`, or pass --hold-after none)`;
  return undefined;
}

/**
 * Bakes shorter than the ALB metric delay + 2 periods cannot see the 5xx gate's data (CloudWatch
 * publishes a minute 60–120 s late): say so in the plan. Pure.
 */
export function bakeWarnings(settings: DeploymentSettings, stepCount: number): string[] {
  const min = MIN_MEANINGFUL_BAKE_MS / 1000;
  const why = `CloudWatch publishes ALB metrics up to ${METRIC_DELAY_MS / 1000}s late in ${METRIC_PERIOD_MS / 1000}s periods, so the 5xx gate sees a bake's traffic only after ~${min}s`;
  const out: string[] = [];
  if (stepCount > 1 && settings.bakeSeconds < min)
    out.push(
      `bakeSeconds ${settings.bakeSeconds}s is shorter than ${min}s: ${why}; a 5xx spike on an intermediate step may be judged only in the next step (health and alarms still gate it)`,
    );
  if (settings.finalBakeSeconds < min)
    out.push(
      `finalBakeSeconds ${settings.finalBakeSeconds}s is shorter than ${min}s: ${why}; when the service's traffic is enough to judge, the final bake is extended until a judged window exists (and fails if none appears)`,
    );
  return out;
}

/** One line describing configuration changes of a base revision. */
export function describeChanges(c: ConfigurationChanges): string {
  if (!c.known) return 'configuration differences cannot be listed (no fingerprint from the ECS port)';
  const parts = [
    ...(c.fields.length ? [`fields ${c.fields.join(', ')}`] : []),
    ...(c.containers.length ? [`containers ${c.containers.join(', ')}`] : []),
  ];
  return parts.length ? `configuration changes ride along: ${parts.join('; ')}` : 'same configuration';
}

/**
 * Requests per minute the live colour served over the last 3 published minutes (one GetMetricData): what
 * the new colour is expected to get at 100%. Undefined if unreadable (then no inconclusive check).
 */
export async function liveRequestRate(
  deps: DeployDeps,
  t: ServiceTopology,
  colour: Colour,
  emitter: Emitter,
): Promise<number | undefined> {
  const toMs = Math.floor((deps.clock.now() - METRIC_DELAY_MS) / METRIC_PERIOD_MS) * METRIC_PERIOD_MS;
  const fromMs = toMs - FIVE_XX_WINDOW_MS;
  try {
    const c = await withRetry(deps.clock, 'cloudwatch:GetMetricData', () =>
      deps.metrics.targetGroupRequests(
        t.loadBalancerArnSuffix,
        t.targetGroupArnSuffixes[colour],
        fromMs,
        toMs,
      ),
    );
    const perMinute = c.requests / (FIVE_XX_WINDOW_MS / METRIC_PERIOD_MS);
    emitter.info(
      'traffic.baseline',
      `${colour} served ~${Math.round(perMinute)} requests/min before the shift`,
      {
        colour,
        perMinute,
      },
    );
    return perMinute;
  } catch (e) {
    emitter.warn(
      'traffic.baseline-unknown',
      `cannot read ${colour}'s request count (${(e as Error).message}); the final bake cannot tell missing metrics from no traffic`,
    );
    return undefined;
  }
}

/** Stickiness of the production rule when the port can tell and it is enabled; never fails the caller. */
export async function ruleStickiness(
  deps: Pick<DeployDeps, 'lb' | 'clock'>,
  t: ServiceTopology,
  emitter?: Emitter,
): Promise<RuleStickiness | undefined> {
  const get = deps.lb.getRuleStickiness?.bind(deps.lb);
  if (!get) return undefined;
  try {
    const s = await withRetry(deps.clock, 'elbv2:DescribeRules', () => get(t.productionRuleArn), {
      ...(emitter ? { emitter } : {}),
    });
    return s.enabled ? s : undefined;
  } catch {
    return undefined;
  }
}

/** What target-group stickiness means for a deploy's weights or a rollback's flip (one line). */
export function stickinessWarning(s: RuleStickiness, op: 'deploy' | 'rollback'): string {
  const d = s.durationSeconds !== undefined ? `${s.durationSeconds}s` : 'its duration';
  return op === 'deploy'
    ? `target-group stickiness is enabled on the production rule (${d}): clients already pinned to a colour stay on it for up to ${d} after each weight change, so a canary reaches fewer distinct clients than its weight suggests and a rollback moves every session only after up to ${d}`
    : `target-group stickiness is enabled on the production rule (${d}): the weight write is instant, but clients pinned to the colour being left keep reaching it for up to ${d} (keep it running until then)`;
}
