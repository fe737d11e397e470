/**
 * `switchyard continue` and `switchyard abort`: another process picks up a deploy in flight — one held for
 * approval, or one whose runner died — from its release record (plan, step, progress) and runs the same
 * step machine:
 *
 *   continue   the step the record names (`resumeAt`: a held deploy goes on with its next weight step; a
 *              dead runner's step is repeated, bakes restart in full), to deployed or rolled back.
 *   abort      the machine's failure transition (`failRun`, gate `aborted`): 100% back on the live colour,
 *              verified, then the new colour scaled to 0; the release is recorded rolled back.
 *
 * The lock: a held deploy left its lock behind with a lease ending when the hold expires, its token on the
 * record; continue/abort take it over only while it still carries that token (`handOverLock`, one
 * conditional write: of two concurrent `continue`s one wins). A hold whose lock was forced or taken over
 * meanwhile is void: `continue` is refused (`hold-lost`) and `abort` recovers the release. A dead
 * runner's lock is acquired as usual (its lease expired) or with --force-unlock.
 *
 * Hold expiry: after `hold.until`, `continue` is refused (`hold-expired`) and `abort --expired` (the
 * scheduled enforcer, .github/workflows/hold-expiry.yml) aborts it. Before anything is written the world
 * is checked against the record: production weights moved by hand refuse a `continue` (`unsafe`).
 */
import type { ServiceTopology } from '../../../topology';
import type { LockOwner, ReleaseAudit, ReleaseRecord, ReleaseResume } from '../ports';
import { type DeployDeps, type DeployOutcome, keyOf } from './deploy-model';
import { Emitter } from './events';
import { GateFailure } from './gates';
import { describeHolder, type LockOptions, withLock } from './lock';
import { refused } from './preflight';
import { colourWeights } from './restore';
import { withRetry } from './retry';
import { resumable, resumeRun } from './run';
import { failRun, resumeAt, runSteps } from './steps';
import { type Weights, weightsFor } from './traffic';

export interface ResumeRequest {
  readonly topology: ServiceTopology;
  readonly owner: LockOwner;
  /** Why (required for abort; recorded). */
  readonly reason?: string;
  /** Take over the lock of a dead runner whose lease has not run out yet (recorded with `reason`). @default false */
  readonly forceUnlock?: boolean;
  /** abort: only a held deploy whose hold has expired (the scheduled enforcer); anything else is left alone. @default false */
  readonly expiredOnly?: boolean;
  /**
   * The release this call is about (the held run's `release-id` output): refused (`release-mismatch`)
   * unless it is the newest release of the service. @default the newest release, whichever it is
   */
  readonly releaseId?: string;
  /**
   * CI audit of this continue / abort (run attempt, approvers …): recorded with actor, time and run URL
   * on the release (`resumes`) before anything is changed. @default only actor, time and run URL
   */
  readonly audit?: ReleaseAudit;
  /** Lease and heartbeat of the lock. @default withLock's defaults */
  readonly lock?: Omit<LockOptions, 'forceUnlock' | 'handOver'>;
}

export type ResumeOutcome =
  | DeployOutcome
  /** abort --expired: nothing held and expired (exit 0). */
  | { readonly status: 'nothing-to-do'; readonly reason: string };

type Op = 'continue' | 'abort';

/** Continues the newest release of the service (held, or left by a dead runner). */
export function continueDeploy(deps: DeployDeps, req: ResumeRequest): Promise<ResumeOutcome> {
  return pickUp(deps, req, 'continue');
}

/** Aborts the newest release of the service: traffic back on the live colour, the new colour scaled down. */
export function abortDeploy(deps: DeployDeps, req: ResumeRequest): Promise<ResumeOutcome> {
  return pickUp(deps, req, 'abort');
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Why `release` cannot be picked up for `op` now, or undefined. Pure. */
export function resumeProblem(
  release: ReleaseRecord | undefined,
  op: Op,
  now: number,
  where: string,
): { code: 'nothing-in-progress' | 'not-resumable' | 'hold-expired'; reason: string } | undefined {
  const args = `--env ${where.split('/')[0]} --service ${where.split('/')[1]}`;
  if (!release || release.outcome !== 'in-progress') {
    return {
      code: 'nothing-in-progress',
      reason: `nothing to ${op} for ${where}: ${release ? `its newest release ${release.id} is ${release.outcome}` : 'no release is recorded'} — no deploy is held or left in progress (\`switchyard status ${args}\`)`,
    };
  }
  if (!resumable(release)) {
    return {
      code: 'not-resumable',
      reason: `release ${release.id} (${release.kind}) of ${where} is in progress at step "${release.step}" but ${release.kind === 'rollback' ? 'is a rollback' : 'recorded no plan (an older deployer)'}: \`switchyard rollback ${args} --reason "…"\` recovers it`,
    };
  }
  if (op === 'continue') {
    if (release.step === 'held' && release.hold && now >= release.hold.until) {
      return {
        code: 'hold-expired',
        reason: `release ${release.id} of ${where} was held until ${iso(release.hold.until)}: the hold expired, so it is aborted, not continued — \`switchyard abort ${args} --reason "…"\` (the scheduled hold-expiry run does it by itself), then deploy again`,
      };
    }
    if (!resumeAt(release)) {
      return {
        code: 'not-resumable',
        reason:
          release.step === 'rolling-back'
            ? `release ${release.id} of ${where} died while rolling back: it cannot go forward; \`switchyard abort ${args} --reason "…"\` finishes the rollback`
            : `release ${release.id} of ${where} is at step "${release.step}": nothing to continue`,
      };
    }
  } else if (release.step === 'draining-old') {
    return {
      code: 'not-resumable',
      reason: `release ${release.id} of ${where} already passed its final bake and is recorded deployed (draining the old colour): there is nothing to abort; \`switchyard rollback ${args} --reason "…"\` goes back`,
    };
  }
  return undefined;
}

/**
 * The weights a release may find when picked up at its step: what its last record says it wrote or was
 * about to write (the write may or may not have happened), or the step before.
 */
export function expectedWeights(release: ReleaseRecord): Weights[] {
  const plan = release.plan!.deploy;
  const live = weightsFor(plan.liveColour, 100);
  const i = release.progress?.stepIndex ?? 0;
  switch (release.step) {
    case 'shifting':
      return [plan.steps[i].weights, i > 0 ? plan.steps[i - 1].weights : live];
    case 'baking':
    case 'held':
      return [plan.steps[i].weights];
    case 'final-bake':
    case 'draining-old':
      return [weightsFor(plan.idleColour, 100)];
    case 'rolling-back':
      return [];
    default:
      return [live];
  }
}

async function pickUp(deps: DeployDeps, req: ResumeRequest, op: Op): Promise<ResumeOutcome> {
  const emitter = new Emitter(deps.events, deps.clock);
  const t = req.topology;
  const key = keyOf(t);
  const where = `${t.environment}/${t.service}`;
  const reason = req.reason?.trim();
  if (op === 'abort' && !reason)
    return refused(
      'invalid-request',
      `abort of ${where} needs --reason "…" saying why (it is recorded with the release)`,
      emitter,
    );
  if (req.forceUnlock && !reason)
    return refused(
      'invalid-request',
      `--force-unlock needs --reason "…" saying why the lock of ${where} is taken over (it is recorded)`,
      emitter,
    );
  const newest = async () =>
    (
      await withRetry(deps.clock, 'store.listReleases', () => deps.store.listReleases(key, 1), { emitter })
    )[0];
  const release = await newest();
  if (req.releaseId !== undefined && release?.id !== req.releaseId)
    return refused('release-mismatch', releaseMismatch(req.releaseId, release, op, where), emitter);
  const expired = (r: ReleaseRecord | undefined) =>
    r?.step === 'held' && r.hold !== undefined && deps.clock.now() >= r.hold.until;
  if (req.expiredOnly && !expired(release)) {
    const why =
      release?.step === 'held' && release.hold
        ? `release ${release.id} of ${where} is held until ${iso(release.hold.until)}: not expired yet`
        : `no held deploy of ${where}`;
    emitter.info('abort.not-expired', `${why}; nothing to abort`);
    return { status: 'nothing-to-do', reason: `${why}; nothing to abort` };
  }
  const problem = resumeProblem(release, op, deps.clock.now(), where);
  if (problem) return refused(problem.code, problem.reason, emitter);
  const rel = release!;
  emitter.info(
    `${op}.release`,
    `${op === 'continue' ? 'continuing' : 'aborting'} release ${rel.id} (${rel.kind} of ${rel.imageTag} to ${rel.colour} by ${rel.actor}) at step "${rel.step}"`,
    { releaseId: rel.id, step: rel.step },
  );

  const owner: LockOwner = { ...req.owner, operation: op };
  const act = (lockDeps: DeployDeps) => underLock(lockDeps, req, op, rel.id, emitter);
  const run = (options: LockOptions) =>
    withLock(
      deps,
      key,
      owner,
      (lock, signal, fence, keep) =>
        act({ ...deps, signal, fence, storeFence: { token: lock.token }, keepLock: keep }),
      { ...req.lock, ...options },
    );
  if (rel.step === 'held' && rel.hold) {
    const res = await run({ handOver: { token: rel.hold.lockToken } });
    if (res.status === 'acquired') return res.value;
    if (res.status === 'held') return lockHeldRefusal(deps, where, res.heldBy, emitter);
    const current = res.current;
    if (op === 'continue' || (current && current.expiresAt > deps.clock.now())) {
      const taken = current !== undefined && current.expiresAt > deps.clock.now();
      // the way out of a void hold: abort takes a free lock as usual (below); a live holder owns the service
      const next = taken
        ? `Whoever holds it now owns the service: wait for it to finish, then \`switchyard status --env ${t.environment} --service ${t.service}\` shows what is left`
        : `\`switchyard abort --env ${t.environment} --service ${t.service} --reason "…"\` puts 100% back on ${rel.previousColour} and scales ${rel.colour} down`;
      return refused(
        'hold-lost',
        `the held deploy ${rel.id} of ${where} no longer holds its lock (${current ? `now: ${describeHolder(current, deps.clock.now())}` : 'it was released or forced'}): the hold is void and was not ${op === 'continue' ? 'continued' : 'aborted'}. ${next}`,
        emitter,
      );
    }
    // abort of a hold whose lock is gone or expired and taken by nobody: take the lock as usual
  }
  const res = await run(req.forceUnlock && reason ? { forceUnlock: { reason } } : {});
  if (res.status === 'held') return lockHeldRefusal(deps, where, res.heldBy, emitter);
  if (res.status !== 'acquired') throw new Error('unreachable: no hand-over requested');
  return res.value;
}

/** Why `continue/abort --release wanted` is refused: the newest release is `newest`. Pure. */
export function releaseMismatch(
  wanted: string,
  newest: ReleaseRecord | undefined,
  op: Op,
  where: string,
): string {
  const [env, service] = where.split('/');
  const now = newest
    ? `the newest release is ${newest.id} (${newest.kind} of ${newest.imageTag}, ${newest.outcome}${newest.outcome === 'in-progress' ? `, step "${newest.step}"` : ''})`
    : 'no release is recorded';
  const other =
    newest?.outcome === 'in-progress'
      ? ` It belongs to another run: approve or reject that run's job, or \`switchyard ${op} --env ${env} --service ${service} --release ${newest.id}${op === 'abort' ? ' --reason "…"' : ''}\` if you mean it.`
      : '';
  return `release ${wanted} is not the newest release of ${where} — ${now} — so it was not ${op === 'continue' ? 'continued' : 'aborted'} and nothing was changed: its hold ended (aborted, expired or superseded); deploy it again to ship it.${other} \`switchyard status --env ${env} --service ${service}\` shows the history`;
}

function lockHeldRefusal(
  deps: DeployDeps,
  where: string,
  heldBy: Parameters<typeof describeHolder>[0],
  emitter: Emitter,
): DeployOutcome {
  return {
    ...refused(
      'lock-held',
      `another operation holds the lock for ${where}: ${describeHolder(heldBy, deps.clock.now())}. If its runner died, wait for the lease to expire, or take over with --force-unlock --reason "…"`,
      emitter,
    ),
    heldBy,
  };
}

/** Under the lock: the release must be unchanged, the weights as recorded; then the machine runs. */
async function underLock(
  deps: DeployDeps,
  req: ResumeRequest,
  op: Op,
  releaseId: string,
  emitter: Emitter,
): Promise<ResumeOutcome> {
  const t = req.topology;
  const where = `${t.environment}/${t.service}`;
  const rel = (
    await withRetry(deps.clock, 'store.listReleases', () => deps.store.listReleases(keyOf(t), 1), {
      emitter,
    })
  )[0];
  if (rel?.id !== releaseId) {
    return refused(
      'not-resumable',
      `the newest release of ${where} changed while taking the lock (now ${rel ? `${rel.id}, ${rel.outcome}` : 'none'}); nothing was done — check \`switchyard status\``,
      emitter,
    );
  }
  const problem = resumeProblem(rel, op, deps.clock.now(), where);
  if (problem) return refused(problem.code, problem.reason, emitter);
  const run = resumeRun(
    deps,
    t,
    rel as ReleaseRecord & { plan: NonNullable<ReleaseRecord['plan']> },
    emitter,
  );
  /** Who took the release over, recorded (fenced by the lock) before the machine acts. */
  const recordResume = () => {
    const entry: ReleaseResume = {
      ...(req.audit ?? {}),
      op,
      at: deps.clock.now(),
      actor: req.owner.actor,
      ...(req.owner.runUrl ? { runUrl: req.owner.runUrl } : {}),
    };
    return run.record({ resumes: [...(rel.resumes ?? []), entry] });
  };
  if (op === 'abort') {
    await recordResume();
    const expiredHold = rel.step === 'held' && rel.hold && deps.clock.now() >= rel.hold.until;
    const why = expiredHold
      ? `hold expired at ${iso(rel.hold!.until)} (nobody continued it); ${req.reason?.trim() ?? ''}`.replace(
          /; $/,
          '',
        )
      : `aborted by ${req.owner.actor}: ${req.reason?.trim()}`;
    return failRun(run, new GateFailure('aborted', why, deps.clock.now()));
  }
  // continue: the production weights must be what the record says (nobody moved traffic meanwhile)
  const rule = await withRetry(deps.clock, 'elbv2:DescribeRules', () =>
    deps.lb.getRuleWeights(t.productionRuleArn),
  );
  const now = colourWeights(t, rule);
  const expected = expectedWeights(rel);
  if (!expected.some((w) => w.blue === now.blue && w.green === now.green)) {
    return refused(
      'unsafe',
      `the production weights of ${where} are blue ${now.blue}% / green ${now.green}%, but release ${rel.id} at step "${rel.step}" expects ${expected.map((w) => `blue ${w.blue}% / green ${w.green}%`).join(' or ')}: someone moved traffic; not continuing. \`switchyard abort --env ${t.environment} --service ${t.service} --reason "…"\` restores ${rel.previousColour}`,
      emitter,
    );
  }
  await recordResume();
  const at = resumeAt(rel)!;
  emitter.info('continue.from', `continuing at ${at.step}${'index' in at ? ` ${at.index + 1}` : ''}`, {
    releaseId: rel.id,
    position: at,
  });
  return runSteps(run, at);
}
