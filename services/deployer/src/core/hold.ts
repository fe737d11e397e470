/**
 * What a deploy held for approval means to everyone else, and the one piece of advice they all give.
 *
 * A held deploy (`deploy --hold-after canary`, exit 4) leaves its canary serving — split weights, e.g.
 * blue 10% / green 90% — and its lock held with a lease ending when the hold expires, the lock's token on
 * the record (core/resume.ts). Seen from `status`, `deploy`, `promote` and `rollback`, those split weights
 * and that lock are the hold, not damage and not a stuck deployer: the way out is `switchyard continue`
 * or `switchyard abort` (abort = the rollback of a held deploy: 100% back on the previous colour, the
 * canary scaled down, recorded), never `--force-unlock` or `rollback`. Pure.
 */
import type { LockInfo, ReleaseRecord } from '../ports';
import { describeHolder } from './lock';
import type { Weights } from './traffic';

export type HoldState =
  /** Held, not expired, its lock still its own: `continue` or `abort`. */
  | 'held'
  /** The hold's time ran out: it is aborted, not continued (`abort`, or the scheduled hold-expiry run). */
  | 'expired'
  /** The hold's lock was forced, released or taken over: void, cannot be continued. */
  | 'lost';

export interface HoldView {
  readonly state: HoldState;
  readonly release: ReleaseRecord & { readonly hold: NonNullable<ReleaseRecord['hold']> };
  /** The weights the held step wrote (what production shows while the hold is intact). */
  readonly weights?: Weights;
  /** The lock now, when it is live and not the hold's own (state 'lost'). */
  readonly otherHolder?: LockInfo;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const pct = (w: Weights) => `blue ${w.blue}% / green ${w.green}%`;

/** The hold of `newest` (the service's newest release), or undefined when it is not a held deploy. */
export function holdOf(
  newest: ReleaseRecord | undefined,
  lock: LockInfo | undefined,
  now: number,
): HoldView | undefined {
  if (!newest || newest.outcome !== 'in-progress' || newest.step !== 'held' || !newest.hold) return undefined;
  const release = newest as HoldView['release'];
  const i = newest.progress?.stepIndex ?? 0;
  const weights = newest.plan?.deploy.steps[i]?.weights ?? newest.intendedWeights;
  const lockLive = lock !== undefined && lock.expiresAt > now;
  const own = lockLive && lock.token === newest.hold.lockToken;
  const state: HoldState = now >= newest.hold.until ? 'expired' : own ? 'held' : 'lost';
  return {
    state,
    release,
    ...(weights ? { weights } : {}),
    ...(lockLive && !own ? { otherHolder: lock } : {}),
  };
}

/** Whether production's weights are the ones the held step wrote (then split weights are the hold). */
export function weightsAreTheHold(view: HoldView, live: Weights): boolean {
  return view.weights !== undefined && view.weights.blue === live.blue && view.weights.green === live.green;
}

/**
 * One message naming the hold (release, weights, expiry) and what to run, for `env`/`service`. `blocked`
 * names the refused operation ("deploy v1.3.0", "rollback"): the message then ends with "then … again".
 */
export function holdAdvice(
  view: HoldView,
  t: { readonly environment: string; readonly service: string },
  now: number,
  blocked?: string,
): string {
  const r = view.release;
  const args = `--env ${t.environment} --service ${t.service}`;
  const what = `release ${r.id} (${r.kind} of ${r.imageTag} to ${r.colour} by ${r.actor})`;
  const serving = view.weights ? pct(view.weights) : `its canary on ${r.colour}`;
  const abort = `\`switchyard abort ${args} --reason "…"\``;
  const restores = `puts 100% back on ${r.previousColour} and scales ${r.colour} down`;
  const then = blocked && blocked !== 'rollback' ? `, then ${blocked} again` : '';
  switch (view.state) {
    case 'held':
      return (
        `${what} is held for approval with ${serving} until ${iso(r.hold.until)} (${Math.ceil((r.hold.until - now) / 60_000)} min left; the lock is kept until then). ` +
        `Finish it first: \`switchyard continue ${args}\` approves it (goes on to 100% on ${r.colour}), or ${abort} ${restores}${then}` +
        (blocked === 'rollback'
          ? " — aborting is the rollback of a held deploy (it takes over the hold's lock; nothing needs forcing; no rollback is needed after it)"
          : '')
      );
    case 'expired':
      return (
        `${what} was held for approval until ${iso(r.hold.until)}: the hold EXPIRED, so it is aborted, not continued (${serving} still serves until then). ` +
        `Run ${abort.replace('"…"', '"hold expired"')} (${restores}); the scheduled hold-expiry run (\`switchyard abort --env ${t.environment} --expired --reason "hold expired"\`) does the same by itself${then}`
      );
    case 'lost':
      return view.otherHolder
        ? `${what} was held for approval until ${iso(r.hold.until)} (${serving}), but its lock was forced or taken over — now: ${describeHolder(view.otherHolder, now)}: the hold is void and cannot be continued. ` +
            `Whoever holds the lock now owns ${t.environment}/${t.service}: wait for it to finish, then \`switchyard status ${args}\` shows what is left${then}`
        : `${what} was held for approval until ${iso(r.hold.until)} (${serving}), but its lock was forced or released: the hold is void and cannot be continued. ` +
            `Run ${abort} (${restores})${then}`;
  }
}
