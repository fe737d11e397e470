/**
 * Which CloudWatch alarms judge a release, and how (topology `alarms: { blue, green, shared }`).
 *
 * - A release to colour C is gated by C's own alarms and the shared ones. The other colour's own alarms
 *   are read (they must exist) and reported, never gating: they watch the release being replaced — during
 *   a rollback, the bad release traffic is moving away from. (Before scoping, the alarm that caused a
 *   rollback failed the rollback's first bake and traffic went back onto the bad release.)
 * - Pre-firing alarms: a gating alarm already in ALARM when the run read its state (the incident the
 *   operator is fixing, or a stale alarm on the idle colour) fails a bake only when it goes to ALARM
 *   *again* — CloudWatch reports a newer StateTransitionedTimestamp, or the run saw it out of ALARM in
 *   between. Comparing CloudWatch's own timestamps needs no clock agreement with this machine.
 *   // AWS: MetricAlarm.StateTransitionedTimestamp — "The date and time that the alarm's StateValue most
 *   // recently changed." (CloudWatch API Reference)
 * - Deploy/promote preflight (`alarmPreflight`): refused while a gating alarm fires, unless the live
 *   colour's own alarm fires too — the incident is the live release, so a fix may roll forward over it.
 *   A rollback is never refused by alarms (it is how you get out of one); it only warns.
 */
import type { Colour, ServiceTopology } from '../../../topology';
import { otherColour } from '../../../topology';
import type { AlarmState } from '../ports';

export interface AlarmScope {
  /** The colour the release goes to. */
  readonly colour: Colour;
  /** Its own alarms (gating). */
  readonly own: readonly string[];
  /** Environment-/service-wide alarms (gating). */
  readonly shared: readonly string[];
  /** The other colour's own alarms: must exist, reported, never gating. */
  readonly other: readonly string[];
}

/** The alarm scope of a release to `colour`. Pure. */
export function alarmScope(t: Pick<ServiceTopology, 'alarms'>, colour: Colour): AlarmScope {
  return {
    colour,
    own: t.alarms[colour],
    shared: t.alarms.shared,
    other: t.alarms[otherColour(colour)],
  };
}

/** Alarms that gate a release of this scope (own + shared, deduplicated). */
export function gatingAlarms(scope: AlarmScope): string[] {
  return [...new Set([...scope.own, ...scope.shared])];
}

/** Every alarm of the scope (gating first, then the other colour's). */
export function scopeAlarms(scope: AlarmScope): string[] {
  return [...new Set([...scope.own, ...scope.shared, ...scope.other])];
}

/**
 * Gating alarms that were in ALARM when the run read them: each is excused until it transitions to
 * ALARM again. Mutable: `judge` drops an excuse once the alarm is seen out of ALARM.
 */
export class AlarmBaseline {
  private readonly excused = new Map<string, number | undefined>();

  constructor(states: readonly AlarmState[] = []) {
    for (const s of states) if (s.state === 'ALARM') this.excused.set(s.name, s.since);
  }

  /** Names excused now (pre-firing, not yet re-fired). */
  preFiring(): string[] {
    return [...this.excused.keys()];
  }

  /** The excused alarms as states (recorded with a release, so a resumed run keeps the same excuses). */
  states(): AlarmState[] {
    return [...this.excused].map(([name, since]) =>
      since === undefined ? { name, state: 'ALARM' as const } : { name, state: 'ALARM' as const, since },
    );
  }

  /**
   * Splits the gating alarms in ALARM into `failing` (fail the bake) and `excused` (still the alarm state
   * the run started with). An alarm seen in OK / INSUFFICIENT_DATA loses its excuse.
   */
  judge(states: readonly AlarmState[]): { failing: string[]; excused: string[] } {
    const failing: string[] = [];
    const excused: string[] = [];
    for (const s of states) {
      if (s.state !== 'ALARM') {
        this.excused.delete(s.name);
        continue;
      }
      if (!this.excused.has(s.name)) {
        failing.push(s.name);
        continue;
      }
      const was = this.excused.get(s.name);
      if (was !== undefined && s.since !== undefined && s.since !== was) {
        this.excused.delete(s.name); // went to ALARM again since the run started
        failing.push(s.name);
      } else excused.push(s.name);
    }
    return { failing, excused };
  }
}

export type AlarmRunKind = 'deploy' | 'promote' | 'rollback';

export interface AlarmPreflight {
  /** Set when a deploy/promote must be refused (`alarm-firing`): the message. */
  readonly refusal?: string;
  /** Lines to show (the run goes on). */
  readonly warnings: readonly string[];
  /** Gating alarms in ALARM now (own + shared). */
  readonly firingGating: readonly string[];
  /** The other (live) colour's own alarms in ALARM now. */
  readonly firingOther: readonly string[];
}

const list = (names: readonly string[]) =>
  names.length === 1 ? `alarm ${names[0]} is` : `alarms ${names.join(', ')} are`;

/**
 * What alarms already in ALARM mean for a run of `kind` to `scope.colour` (pure; the deploy preflight and
 * `switchyard status` use it). `where` is `env/service` for the messages.
 */
export function alarmPreflight(
  kind: AlarmRunKind,
  scope: AlarmScope,
  states: readonly AlarmState[],
  where: { environment: string; service: string },
): AlarmPreflight {
  const firing = new Set(states.filter((s) => s.state === 'ALARM').map((s) => s.name));
  const gating = gatingAlarms(scope);
  const firingGating = gating.filter((n) => firing.has(n));
  const firingOther = scope.other.filter((n) => firing.has(n) && !gating.includes(n));
  const live = otherColour(scope.colour);
  const rollbackCmd = `switchyard rollback --env ${where.environment} --service ${where.service} --reason "…"`;
  const warnings: string[] = [];
  if (firingOther.length > 0) {
    warnings.push(
      `${list(firingOther)} in ALARM on ${live}, the colour this ${kind} moves traffic away from: not gating it (a release to ${scope.colour} is judged on ${scope.colour}'s own alarms and the shared ones)`,
    );
  }
  if (firingGating.length > 0) {
    const excuse = `${firingGating.length === 1 ? 'it fails' : 'they fail'} a bake only if ${firingGating.length === 1 ? 'it goes' : 'they go'} to ALARM again after this run started`;
    if (kind === 'rollback') {
      warnings.push(
        `${list(firingGating)} in ALARM before the rollback started; continuing (a rollback is how you get out of it): ${excuse}`,
      );
    } else if (firingOther.length > 0) {
      warnings.push(
        `${list(firingGating)} in ALARM too; continuing because ${live}'s own alarm fires (the live release is the incident, this ${kind} rolls forward over it): ${excuse}`,
      );
    } else {
      return {
        refusal: `${list(firingGating)} in ALARM before the ${kind} started (${firingGating.map((n) => (scope.shared.includes(n) ? `${n}: shared` : `${n}: ${scope.colour}'s own`)).join('; ')}) while the live colour ${live}'s own alarms are OK, so the incident is not the live release; fix it or wait until it returns to OK, then retry. To put back an earlier release use \`${rollbackCmd}\``,
        warnings,
        firingGating,
        firingOther,
      };
    }
  }
  return { warnings, firingGating, firingOther };
}
