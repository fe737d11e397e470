/**
 * `switchyard status`: per service, what each colour runs, the weights, the lock, the last releases,
 * and warnings when the live state disagrees with the record — including the explanation of a deployer
 * that died mid-flight (an `in-progress` release nobody holds the lock for). Read-only: never writes.
 */
import type { Colour, ServiceTopology } from '../../../topology';
import { allAlarmNames, otherColour } from '../../../topology';
import { alarmPreflight, alarmScope } from '../core/alarms';
import { type LiveState, readLiveState } from '../core/live-state';
import { holdAdvice, holdOf, weightsAreTheHold } from '../core/hold';
import { describeHolder } from '../core/lock';
import { withRetry } from '../core/retry';
import { liveRange, managedAutoscaling, readScalingState } from '../core/scaling';
import { describeSmokeResult } from '../core/smoke';
import {
  type AlarmState,
  type Clock,
  type EcsPort,
  type EcsServiceEvent,
  type LoadBalancerPort,
  type LockInfo,
  type MetricsPort,
  PortError,
  type ReleaseKey,
  type ReleaseRecord,
  type ScalingPort,
  type StorePort,
} from '../ports';
import {
  currentRelease,
  expectedLive,
  leadingInProgress,
  newestEnded,
  pct,
  safeColourOf,
  shortDigest,
  shortTaskDef,
} from './history';
import { describeAudit } from './audit';

export interface StatusDeps {
  readonly ecs: EcsPort;
  readonly lb: LoadBalancerPort;
  readonly store: StorePort;
  readonly clock: Clock;
  /** Application Auto Scaling: with it (and topology `autoscaling`) each colour's min/max is shown. */
  readonly scaling?: ScalingPort;
  /** CloudWatch: with it, the topology's alarms are read (firing ones are warnings). */
  readonly metrics?: MetricsPort;
}

/** Latest ECS service events shown per colour. */
export const STATUS_EVENTS_PER_COLOUR = 3;

export interface StatusOptions {
  /** How many releases to list per service. @default 10 */
  readonly releases?: number;
}

export const DEFAULT_STATUS_RELEASES = 10;

export interface ColourStatus {
  readonly colour: Colour;
  readonly serviceName: string;
  /** Share of production traffic in percent. */
  readonly weight: number;
  readonly taskDefinitionArn: string;
  readonly image?: string;
  readonly imageDigest?: string;
  readonly desired: number;
  readonly running: number;
  readonly healthy: number;
  /** Targets registered in the colour's target group (any state). */
  readonly targets: number;
  /** ECS deployments still listed (PRIMARY/ACTIVE) with their rollout state. */
  readonly deployments: readonly {
    id: string;
    status: string;
    rolloutState: string;
    taskDefinitionArn: string;
  }[];
  /** Application Auto Scaling range of the colour (when managed). */
  readonly autoscaling?: { readonly min: number; readonly max: number };
  /** The ECS service's latest events (newest first, at most STATUS_EVENTS_PER_COLOUR). */
  readonly events: readonly EcsServiceEvent[];
  /** Tag of the newest release that put this revision on this colour, when recorded. */
  readonly releaseId?: string;
  readonly imageTag?: string;
}

export interface LockStatus {
  readonly owner: LockInfo['owner'];
  readonly acquiredAt: number;
  readonly expiresAt: number;
  /** A lock whose lease ran out: its holder stopped renewing it (died) — anyone may take it over. */
  readonly expired: boolean;
  /** Seconds until the lease expires (negative: expired that long ago). */
  readonly remainingSeconds: number;
  readonly description: string;
}

export interface DeadRelease {
  readonly releaseId: string;
  readonly kind: ReleaseRecord['kind'];
  readonly imageTag: string;
  readonly actor: string;
  /** The step recorded last: the deployer died during (or right before acting on) it. */
  readonly step: ReleaseRecord['step'];
  readonly intendedWeights?: { readonly blue: number; readonly green: number };
  /** The colour traffic must go back to, and whether it could carry it now. */
  readonly safeColour: Colour;
  readonly safeTaskDefinitionArn?: string;
  readonly safeColourHealthy: boolean;
  readonly explanation: string;
  readonly recover: string;
}

export type WarningCode =
  | 'killed-deployer'
  | 'stale-in-progress'
  | 'stale-lock'
  | 'weights-drift'
  | 'revision-drift'
  | 'split-weights'
  | 'unknown-target'
  | 'no-traffic'
  | 'live-unhealthy'
  | 'floor-low'
  /** An alarm of the topology is in ALARM (the message says what it means for the next deploy). */
  | 'alarm-firing'
  /** A name in the topology's alarms matches no CloudWatch alarm: the next deploy would be refused. */
  | 'alarm-missing'
  /** A deploy held for approval whose hold expired: the canary still serves until it is aborted. */
  | 'hold-expired'
  /** A deploy held for approval whose lock was forced or taken over: the hold is void. */
  | 'hold-lost'
  | 'unreadable';

export interface StatusWarning {
  readonly code: WarningCode;
  readonly message: string;
}

export interface ServiceStatus {
  readonly environment: string;
  readonly service: string;
  /** Set when the live state could not be read (the rest of the status still lists the store's view). */
  readonly error?: string;
  readonly live?: {
    readonly status: LiveState['status'];
    readonly liveColour?: Colour;
    readonly weights: { readonly blue: number; readonly green: number };
    readonly problem?: string;
  };
  readonly colours?: { readonly blue: ColourStatus; readonly green: ColourStatus };
  readonly lock?: LockStatus;
  /** An operation currently running (in-progress release with a live lock). */
  readonly running?: { readonly releaseId: string; readonly step: ReleaseRecord['step'] };
  /** A deploy held for approval (`switchyard continue` / `abort`). */
  readonly held?: {
    readonly releaseId: string;
    readonly until: number;
    readonly expired: boolean;
    /** The lock it kept is still its own (not forced or taken over). */
    readonly lockKept: boolean;
  };
  readonly dead?: DeadRelease;
  /** Colour and release that are known good now (where a rollback with no --to restores to when in doubt). */
  readonly lastKnownGood?: {
    readonly colour: Colour;
    readonly releaseId?: string;
    readonly imageTag?: string;
  };
  /** The topology's alarms as CloudWatch reports them (absent without a metrics port or alarms). */
  readonly alarms?: readonly (AlarmState & { readonly scope: 'blue' | 'green' | 'shared' })[];
  /** Newest first. */
  readonly releases: readonly ReleaseRecord[];
  readonly warnings: readonly StatusWarning[];
  /** Informational notes (not problems). */
  readonly notes: readonly string[];
}

export interface StatusReport {
  readonly environment: string;
  readonly generatedAt: number;
  readonly services: readonly ServiceStatus[];
}

const keyOf = (t: ServiceTopology): ReleaseKey => ({ environment: t.environment, service: t.service });

function lockStatus(lock: LockInfo, now: number): LockStatus {
  const remaining = Math.round((lock.expiresAt - now) / 1000);
  return {
    owner: lock.owner,
    acquiredAt: lock.acquiredAt,
    expiresAt: lock.expiresAt,
    expired: lock.expiresAt <= now,
    remainingSeconds: remaining,
    description:
      lock.expiresAt <= now
        ? `${describeHolder(lock, now).replace(/, lease expires in \d+s$/, '')}, lease EXPIRED ${-remaining}s ago`
        : describeHolder(lock, now),
  };
}

function colourStatus(
  live: LiveState,
  c: Colour,
  releases: readonly ReleaseRecord[],
  range?: { readonly min: number; readonly max: number },
): ColourStatus {
  const cs = live.colours[c];
  const rel =
    releases.find((r) => r.colour === c && r.taskDefinitionArn === cs.taskDefinitionArn) ??
    releases.find((r) => r.taskDefinitionArn === cs.taskDefinitionArn);
  return {
    colour: c,
    serviceName: cs.serviceName,
    weight: live.weights[c],
    taskDefinitionArn: cs.taskDefinitionArn,
    ...(cs.image ? { image: cs.image } : {}),
    ...(cs.imageDigest ? { imageDigest: cs.imageDigest } : {}),
    desired: cs.desiredCount,
    running: cs.runningCount,
    healthy: cs.healthyTargets,
    targets: cs.targets.length,
    deployments: cs.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      rolloutState: d.rolloutState,
      taskDefinitionArn: d.taskDefinitionArn,
    })),
    ...(range ? { autoscaling: { min: range.min, max: range.max } } : {}),
    events: cs.events.slice(0, STATUS_EVENTS_PER_COLOUR),
    ...(rel ? { releaseId: rel.id, imageTag: rel.imageTag } : {}),
  };
}

type ScopedAlarm = AlarmState & { readonly scope: 'blue' | 'green' | 'shared' };

/**
 * Reads the topology's alarms and turns firing / missing ones into warnings that say what they mean for
 * the next deploy (core/alarms.ts decides, exactly as the deploy preflight will).
 */
async function readAlarms(
  deps: StatusDeps,
  topology: ServiceTopology,
): Promise<AlarmState[] | Error | undefined> {
  const names = allAlarmNames(topology.alarms);
  const metrics = deps.metrics;
  if (!metrics || names.length === 0) return undefined;
  return withRetry(deps.clock, 'cloudwatch:DescribeAlarms', () => metrics.alarmStates(names)).catch(
    (e: unknown) => e as Error,
  );
}

function alarmWarnings(
  topology: ServiceTopology,
  read: AlarmState[] | Error | undefined,
  live: LiveState | undefined,
  /** A deploy held for approval (its canary splits the traffic): abort, not rollback, is the way back. */
  held?: ReleaseRecord,
): { alarms?: ScopedAlarm[]; warnings: StatusWarning[] } {
  if (read === undefined) return { warnings: [] };
  const states = read instanceof Error ? undefined : read;
  if (!states) {
    const e = read as Error;
    if (e instanceof PortError && e.kind === 'not-found')
      return {
        warnings: [
          {
            code: 'alarm-missing',
            message: `${e.message}: the next deploy would be refused (alarm-missing) until the topology names existing alarms`,
          },
        ],
      };
    return { warnings: [{ code: 'unreadable', message: `cannot read the alarms: ${(e as Error).message}` }] };
  }
  const scopeOf = (n: string): ScopedAlarm['scope'] =>
    topology.alarms.blue.includes(n) ? 'blue' : topology.alarms.green.includes(n) ? 'green' : 'shared';
  const alarms = states.map((a) => ({ ...a, scope: scopeOf(a.name) }));
  const firing = alarms.filter((a) => a.state === 'ALARM');
  if (firing.length === 0) return { alarms, warnings: [] };
  const where = `${topology.environment}/${topology.service}`;
  const rollbackCmd = `switchyard rollback --env ${topology.environment} --service ${topology.service} --reason "…"`;
  const since = (a: AlarmState) => (a.since !== undefined ? ` since ${iso(a.since)}` : '');
  const liveColour = live?.status === 'ok' ? live.liveColour : undefined;
  if (!liveColour) {
    return {
      alarms,
      warnings: firing.map((a) => ({
        code: 'alarm-firing' as const,
        message: held
          ? `alarm ${a.name} (${a.scope === 'shared' ? 'shared' : `${a.scope}'s own`}) is in ALARM${since(a)} while release ${held.id} is held for approval with its canary on ${held.colour}: do not continue it if the canary is to blame — \`switchyard abort --env ${topology.environment} --service ${topology.service} --reason "…"\` puts 100% back on ${held.previousColour}`
          : `alarm ${a.name} (${a.scope === 'shared' ? 'shared' : `${a.scope}'s own`}) is in ALARM${since(a)}; traffic of ${where} is not whole on one colour, so a deploy would be refused anyway: recover with \`${rollbackCmd}\``,
      })),
    };
  }
  const next = otherColour(liveColour);
  const pre = alarmPreflight('deploy', alarmScope(topology, next), states, topology);
  const liveFiring = firing.filter((a) => a.scope === liveColour).map((a) => a.name);
  const warnings = firing.map((a): StatusWarning => {
    const what = `alarm ${a.name} (${a.scope === 'shared' ? 'shared' : `${a.scope}'s own`}) is in ALARM${since(a)}`;
    if (a.scope === liveColour)
      return {
        code: 'alarm-firing',
        message: `${what}: the live release on ${liveColour} looks unhealthy. Roll back with \`${rollbackCmd}\`, or deploy a fix — the next deploy is not refused for it (a release to ${next} is judged on ${next}'s own alarms and the shared ones)`,
      };
    if (pre.refusal)
      return {
        code: 'alarm-firing',
        message: `${what}: the next deploy or promote of ${where} would be refused (alarm-firing) until it returns to OK; a rollback is not blocked`,
      };
    return {
      code: 'alarm-firing',
      message: `${what}: the next deploy is not refused for it because ${liveColour}'s own alarm ${liveFiring.join(', ')} fires (a roll-forward over the live release); it fails that deploy only if it goes to ALARM again after the deploy started`,
    };
  });
  return { alarms, warnings };
}

/** Whether a colour could carry all production traffic now: runs ≥1 task, healthy ≥ its desired count. */
export function colourCanServe(live: LiveState, c: Colour, minimum = 1): boolean {
  const cs = live.colours[c];
  const required = Math.max(minimum, cs.desiredCount);
  return cs.desiredCount >= 1 && cs.healthyTargets >= required;
}

/** How to recover a dead release, for messages. */
export function recoverCommand(t: Pick<ServiceTopology, 'environment' | 'service'>): string {
  return `switchyard rollback --env ${t.environment} --service ${t.service} --reason "recover from killed deployer"`;
}

/** Builds the explanation of a dead release (pure). */
export function explainDead(
  t: Pick<ServiceTopology, 'environment' | 'service'>,
  dead: ReleaseRecord,
  lock: LockInfo | undefined,
  live: LiveState | undefined,
  now: number,
): DeadRelease {
  const safe = safeColourOf(dead);
  const healthy = live ? colourCanServe(live, safe.colour) : false;
  const lockText = lock
    ? `its lock lease expired ${Math.round((now - lock.expiresAt) / 1000)}s ago`
    : 'no deployer holds the lock';
  const liveText = live
    ? `live weights: ${pct(live.weights)}; ${safe.colour} has ${live.colours[safe.colour].healthyTargets}/${live.colours[safe.colour].desiredCount} healthy targets`
    : 'live state unreadable';
  const explanation =
    `release ${dead.id} (${dead.kind} of ${dead.imageTag} to ${dead.colour} by ${dead.actor}, started ${new Date(dead.startedAt).toISOString()}) ` +
    `is still in-progress at step "${dead.step}" but ${lockText}: its deployer died mid-flight. ` +
    `It intended ${dead.intendedWeights ? pct(dead.intendedWeights) : 'no weight change yet'}; ${liveText}. ` +
    `Last known good colour: ${safe.colour}${safe.taskDefinitionArn ? ` (${shortTaskDef(safe.taskDefinitionArn)})` : ''}` +
    (healthy
      ? '.'
      : ` — but it cannot carry the traffic now (not enough healthy targets); check its service before recovering.`);
  return {
    releaseId: dead.id,
    kind: dead.kind,
    imageTag: dead.imageTag,
    actor: dead.actor,
    step: dead.step,
    ...(dead.intendedWeights ? { intendedWeights: dead.intendedWeights } : {}),
    safeColour: safe.colour,
    ...(safe.taskDefinitionArn ? { safeTaskDefinitionArn: safe.taskDefinitionArn } : {}),
    safeColourHealthy: healthy,
    explanation,
    recover: `${recoverCommand(t)} — puts 100% back on ${safe.colour}, marks ${dead.id} failed and scales ${dead.colour} down`,
  };
}

/** Status of one service. Reads: the lock, the last releases and the live state (never writes). */
export async function serviceStatus(
  deps: StatusDeps,
  topology: ServiceTopology,
  opts: StatusOptions = {},
): Promise<ServiceStatus> {
  const limit = opts.releases ?? DEFAULT_STATUS_RELEASES;
  const key = keyOf(topology);
  const r = <T>(label: string, fn: () => Promise<T>) => withRetry(deps.clock, label, fn);
  const [lock, releases, liveOrError, scaling, alarmStates] = await Promise.all([
    r('store.getLock', () => deps.store.getLock(key)),
    r('store.listReleases', () => deps.store.listReleases(key, Math.max(limit, 20))),
    readLiveState(deps, topology).catch((e: unknown) => e as Error),
    readScalingState(deps, topology).catch((e: unknown) => e as Error),
    readAlarms(deps, topology),
  ]);
  const ranges = scaling instanceof Error || !scaling.managed ? undefined : scaling.ranges;
  const now = deps.clock.now();
  const live = liveOrError instanceof Error ? undefined : liveOrError;
  const warnings: StatusWarning[] = [];
  const notes: string[] = [];
  const lockSt = lock ? lockStatus(lock, now) : undefined;
  const lockLive = lockSt !== undefined && !lockSt.expired;
  if (liveOrError instanceof Error) {
    warnings.push({ code: 'unreadable', message: `cannot read the live state: ${liveOrError.message}` });
  }

  const inProgress = releases.filter((x) => x.outcome === 'in-progress');
  const leading = leadingInProgress(releases);
  const newestInProgress = leading[0];
  let dead: DeadRelease | undefined;
  let running: ServiceStatus['running'];
  let held: ServiceStatus['held'];
  const holdView = newestInProgress ? holdOf(newestInProgress, lock, now) : undefined;
  // split weights that are the held step's own are the hold (its canary), not damage: no split warning
  const holdSplit = holdView !== undefined && live !== undefined && weightsAreTheHold(holdView, live.weights);
  if (newestInProgress && holdView) {
    const hold = holdView.release.hold;
    held = {
      releaseId: newestInProgress.id,
      until: hold.until,
      expired: holdView.state === 'expired',
      lockKept: lock?.token === hold.lockToken,
    };
    const advice = holdAdvice(holdView, topology, now);
    const moved =
      live && !holdSplit
        ? ` — but production is now ${pct(live.weights)}, not the held step's ${holdView.weights ? pct(holdView.weights) : 'weights'}: someone moved traffic, so \`switchyard continue\` is refused; \`switchyard abort --env ${topology.environment} --service ${topology.service} --reason "…"\` restores ${newestInProgress.previousColour}`
        : '';
    if (holdView.state === 'held' && !moved) notes.push(advice);
    else
      warnings.push({
        code:
          holdView.state === 'lost'
            ? 'hold-lost'
            : holdView.state === 'expired'
              ? 'hold-expired'
              : 'split-weights',
        message: advice + moved,
      });
  } else if (newestInProgress && lockLive) {
    running = { releaseId: newestInProgress.id, step: newestInProgress.step };
    notes.push(
      `${newestInProgress.kind} ${newestInProgress.id} is running (step "${newestInProgress.step}"): ${lockSt!.description}. ` +
        'If its deployer died, status reports it as killed once the lease expired (or after --force-unlock)',
    );
  } else if (newestInProgress) {
    dead = explainDead(topology, newestInProgress, lock, live, now);
    warnings.push({ code: 'killed-deployer', message: `${dead.explanation} Recover: ${dead.recover}` });
  }
  for (const x of inProgress) {
    if (x === newestInProgress) continue;
    if (leading.includes(x)) {
      warnings.push({
        code: 'stale-in-progress',
        message: `release ${x.id} (${x.kind} of ${x.imageTag}) is also still in-progress at step "${x.step}" (an earlier deployer that died); a rollback marks it failed too`,
      });
      continue;
    }
    warnings.push({
      code: 'stale-in-progress',
      message: `release ${x.id} (${x.kind} of ${x.imageTag}) is still marked in-progress at step "${x.step}", but a later release ended after it: its deployer died and was superseded; nothing to recover`,
    });
  }
  if (lockSt?.expired && !newestInProgress) {
    warnings.push({
      code: 'stale-lock',
      message: `an expired lock remains (${lockSt.description}); the next deploy or rollback takes it over`,
    });
  } else if (lockLive && !newestInProgress) {
    notes.push(`lock held: ${lockSt!.description}`);
  }

  if (live && live.status !== 'ok' && !holdSplit && !(holdView && live.status === 'split')) {
    warnings.push({ code: live.status === 'split' ? 'split-weights' : live.status, message: live.problem! });
  }

  // drift against the newest ended release (only when nothing is in flight)
  const ended = newestEnded(releases);
  if (live && ended && !newestInProgress) {
    const exp = expectedLive(ended);
    if (live.status === 'ok' && live.liveColour !== exp.colour) {
      warnings.push({
        code: 'weights-drift',
        message: `live traffic is on ${live.liveColour} (${pct(live.weights)}) but the last release ${ended.id} (${ended.outcome}) left it on ${exp.colour}: the production rule was changed outside switchyard`,
      });
    }
    const onColour = live.colours[exp.colour].taskDefinitionArn;
    if (exp.taskDefinitionArn && onColour !== exp.taskDefinitionArn) {
      warnings.push({
        code: 'revision-drift',
        message: `${exp.colour} runs ${shortTaskDef(onColour)} but the last release ${ended.id} recorded ${shortTaskDef(exp.taskDefinitionArn)} there: the ECS service was updated outside switchyard`,
      });
    }
    const old = otherColour(ended.colour);
    if (
      ended.outcome === 'deployed' &&
      live.liveColour === ended.colour &&
      live.colours[old].desiredCount > 0
    ) {
      notes.push(
        `${old} still runs ${shortTaskDef(live.colours[old].taskDefinitionArn)} (${live.colours[old].healthyTargets}/${live.colours[old].desiredCount} healthy) after ${ended.id}` +
          (ended.step === 'draining-old' ? ' (its termination wait is not over)' : '') +
          ': instant rollback to it is possible; the next deploy replaces it',
      );
    }
  }
  if (scaling instanceof Error) {
    warnings.push({ code: 'unreadable', message: `cannot read the autoscaling ranges: ${scaling.message}` });
  } else if (scaling.managed && scaling.problem) {
    warnings.push({ code: 'unreadable', message: scaling.problem });
  }
  const a = managedAutoscaling(deps, topology);
  if (
    a &&
    live?.status === 'ok' &&
    ranges?.[live.liveColour!] &&
    ranges[live.liveColour!]!.min < liveRange(a).min
  ) {
    warnings.push({
      code: 'floor-low',
      message: `the live colour ${live.liveColour}'s autoscaling floor is ${ranges[live.liveColour!]!.min}, below the service's minimum ${liveRange(a).min}: autoscaling may scale it in (a rollback or the next deploy resets it)`,
    });
  }
  const alarmRead = alarmWarnings(
    topology,
    alarmStates,
    liveOrError instanceof Error ? undefined : liveOrError,
    holdView && holdView.state !== 'lost' ? holdView.release : undefined,
  );
  warnings.push(...alarmRead.warnings);
  if (live && live.status === 'ok' && !colourCanServe(live, live.liveColour!)) {
    const cs = live.colours[live.liveColour!];
    warnings.push({
      code: 'live-unhealthy',
      message: `the live colour ${live.liveColour} has ${cs.healthyTargets} healthy of ${cs.desiredCount} desired targets`,
    });
  }

  let lastKnownGood: ServiceStatus['lastKnownGood'];
  if (dead) {
    const rel = releases.find(
      (x) => x.colour === dead.safeColour && x.taskDefinitionArn === dead.safeTaskDefinitionArn,
    );
    lastKnownGood = {
      colour: dead.safeColour,
      ...(rel ? { releaseId: rel.id, imageTag: rel.imageTag } : {}),
    };
  } else if (newestInProgress) {
    // an operation is running (or died without a recoverable state): its colour has not passed its
    // final bake, so the known-good colour is the one it started from, whoever carries 100% right now
    const prev = newestInProgress.previousColour;
    const rel = releases.find(
      (x) =>
        x.outcome === 'deployed' &&
        x.colour === prev &&
        (!newestInProgress.previousTaskDefinitionArn ||
          x.taskDefinitionArn === newestInProgress.previousTaskDefinitionArn),
    );
    lastKnownGood = { colour: prev, ...(rel ? { releaseId: rel.id, imageTag: rel.imageTag } : {}) };
  } else if (ended) {
    const exp = expectedLive(ended);
    const rel = currentRelease(releases);
    lastKnownGood = {
      colour: exp.colour,
      ...(rel && rel.colour === exp.colour ? { releaseId: rel.id, imageTag: rel.imageTag } : {}),
    };
  } else if (live?.status === 'ok') {
    lastKnownGood = { colour: live.liveColour! };
  }

  return {
    environment: topology.environment,
    service: topology.service,
    ...(liveOrError instanceof Error ? { error: liveOrError.message } : {}),
    ...(live
      ? {
          live: {
            status: live.status,
            ...(live.liveColour ? { liveColour: live.liveColour } : {}),
            weights: live.weights,
            ...(live.problem ? { problem: live.problem } : {}),
          },
          colours: {
            blue: colourStatus(live, 'blue', releases, ranges?.blue),
            green: colourStatus(live, 'green', releases, ranges?.green),
          },
        }
      : {}),
    ...(lockSt ? { lock: lockSt } : {}),
    ...(running ? { running } : {}),
    ...(held ? { held } : {}),
    ...(dead ? { dead } : {}),
    ...(lastKnownGood ? { lastKnownGood } : {}),
    ...(alarmRead.alarms ? { alarms: alarmRead.alarms } : {}),
    releases: releases.slice(0, limit),
    warnings,
    notes,
  };
}

/** Status of several services of one environment (same ports and store), in the order given. */
export async function environmentStatus(
  deps: StatusDeps,
  environment: string,
  topologies: readonly ServiceTopology[],
  opts: StatusOptions = {},
): Promise<StatusReport> {
  const services = await Promise.all(topologies.map((t) => serviceStatus(deps, t, opts)));
  return { environment, generatedAt: deps.clock.now(), services };
}

// ------------------------------------------------------------------------------------ text output

const iso = (ms: number | undefined) =>
  ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Human-readable status (plain text, no colours: works in CI logs too). */
export function formatStatusText(report: StatusReport): string {
  const out: string[] = [];
  for (const s of report.services) {
    const head = s.live
      ? s.live.status === 'ok'
        ? `live: ${s.live.liveColour} (${pct(s.live.weights)})`
        : `live: ${s.live.status.toUpperCase()} (${pct(s.live.weights)})${s.held && !s.held.expired && s.held.lockKept ? ' — canary held for approval' : ''}`
      : 'live: unknown';
    out.push(`${s.environment}/${s.service}  ${head}`);
    if (s.colours) {
      for (const c of [s.colours.blue, s.colours.green]) {
        const mark = c.weight > 0 ? `  <- ${c.weight}% of traffic` : '';
        out.push(
          `  ${pad(c.colour, 6)} ${pad(c.serviceName, 14)} ${pad(shortTaskDef(c.taskDefinitionArn), 28)} ${pad(shortDigest(c.imageDigest), 20)} ` +
            `${pad(c.imageTag ?? '-', 12)} running ${c.running}/${c.desired}  healthy ${c.healthy}` +
            `${c.autoscaling ? `  autoscaling ${c.autoscaling.min}..${c.autoscaling.max}` : ''}${mark}`,
        );
        for (const e of c.events) out.push(`         ${iso(e.at)}  ${e.message}`);
      }
    }
    if (s.alarms) {
      const firing = s.alarms.filter((a) => a.state === 'ALARM');
      const other = s.alarms.filter((a) => a.state === 'INSUFFICIENT_DATA');
      out.push(
        `  alarms: ${s.alarms.length - firing.length - other.length} OK` +
          (other.length ? `, ${other.length} INSUFFICIENT_DATA` : '') +
          (firing.length ? `; in ALARM: ${firing.map((a) => `${a.name} (${a.scope})`).join(', ')}` : ''),
      );
    }
    out.push(`  lock: ${s.lock ? s.lock.description : 'free'}`);
    if (s.lastKnownGood) {
      out.push(
        `  last known good: ${s.lastKnownGood.colour}${s.lastKnownGood.releaseId ? ` (release ${s.lastKnownGood.releaseId}, ${s.lastKnownGood.imageTag})` : ''}`,
      );
    }
    if (s.releases.length === 0) out.push('  releases: none recorded');
    else {
      out.push('  releases (newest first):');
      for (const r of s.releases) {
        out.push(
          `    ${pad(r.id, 34)} ${pad(r.kind, 8)} ${pad(r.imageTag, 12)} ${pad(r.colour, 5)} ${pad(r.outcome, 11)} ${pad(r.step, 26)} ${pad(r.actor, 12)} ${iso(r.startedAt)}` +
            (r.reason ? `\n      reason: ${r.reason}` : '') +
            (r.smokeTest ? `\n      smoke test: ${describeSmokeResult(r.smokeTest)}` : '') +
            (describeAudit(r) ? `\n      ${describeAudit(r)}` : ''),
        );
      }
    }
    for (const n of s.notes) out.push(`  note: ${n}`);
    for (const w of s.warnings) out.push(`  WARNING [${w.code}] ${w.message}`);
    out.push('');
  }
  return out.join('\n');
}
