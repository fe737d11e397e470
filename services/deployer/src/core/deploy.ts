/**
 * The blue/green deploy's entry points.
 *
 *   deploy()         mutable-tag check → lock check → read-only preflight (a refusal writes nothing, not
 *                    even the lock) → under the lock: executeDeploy()
 *   executeDeploy()  preflight (./preflight.ts: validation, live state, image, base revision, alarms,
 *                    scalable targets, history → the plan) → [dry run stops here] → record the release
 *                    (./run.ts) → the step machine (./steps.ts: the whole deploy on one screen)
 *
 * Every step is written to the store before it acts. Any failed gate, error or abort (SIGINT/SIGTERM)
 * after traffic moved: ONE write putting 100% back on the last known good colour, then the failed colour
 * is scaled to zero and the reason recorded (./failure.ts); a lost lock stops without any further write.
 * Task definitions are never deregistered. A release in flight can be picked up by another process from
 * its recorded plan and step (./resume.ts).
 */
import { CollectingSink, Emitter } from './events';
import { type DeployDeps, type DeployOutcome, type DeployRequest, keyOf } from './deploy-model';
import { holdAdvice, holdOf } from './hold';
import { describeHolder, type LockOptions, withLock } from './lock';
import { preflight, refused, tagProblem } from './preflight';
import { withRetry } from './retry';
import { startRun } from './run';
import { runSteps } from './steps';
import { credentialsProblem } from './worst-case';
import type { LockInfo } from '../ports';

export {
  type DeployDeps,
  DeployError,
  type DeployKind,
  type DeployOutcome,
  type DeployPlan,
  type DeployRequest,
  newReleaseId,
  type PlanAutoscaling,
  type PlanInputs,
  type PlanStep,
  type RefusalCode,
} from './deploy-model';
export {
  bakeWarnings,
  buildPlan,
  describeChanges,
  MUTABLE_TAGS,
  type Prepared,
  ruleStickiness,
  stickinessWarning,
  tagProblem,
} from './preflight';

/**
 * Runs one deploy. Assumes the caller holds the lock for (environment, service) — see `deploy()`.
 * Returns refused/dry-run without any write; otherwise records the release and runs the step machine
 * (./steps.ts) to deployed or rolled-back. Throws DeployError only if traffic could not be restored or
 * the lock was lost.
 */
export async function executeDeploy(deps: DeployDeps, req: DeployRequest): Promise<DeployOutcome> {
  const emitter = new Emitter(deps.events, deps.clock);
  const prepared = await preflight(deps, req, emitter);
  if ('status' in prepared) return prepared;
  if (req.dryRun) return { status: 'dry-run', plan: prepared.plan };
  if (prepared.expiry) return refused('credentials-expire', prepared.expiry, emitter);
  if (deps.signal?.aborted)
    return refused(
      'interrupted',
      'interrupted before the release started: nothing was recorded or changed',
      emitter,
    );
  const run = await startRun(deps, req, prepared, emitter);
  if ('status' in run) return run;
  return runSteps(run, { step: 'registering-task-definition' });
}

/**
 * `executeDeploy` under the deployment lock (heartbeat-renewed, released in finally, also on abort).
 * Dry runs and refusals (checked by a read-only preflight) never take the lock, so bad input writes
 * nothing at all; the checks run again under the lock.
 */
export async function deploy(
  deps: DeployDeps,
  req: DeployRequest,
  lockOptions: Omit<LockOptions, 'handOver'> = {},
): Promise<DeployOutcome> {
  const emitter = new Emitter(deps.events, deps.clock);
  if (req.imageDigest === undefined) {
    const problem = tagProblem(req.imageTag);
    if (problem)
      return refused(problem.startsWith('refusing') ? 'mutable-tag' : 'invalid-request', problem, emitter);
  }
  if (req.dryRun) return executeDeploy(deps, req);
  const key = keyOf(req.topology);
  if (!lockOptions.forceUnlock) {
    // Someone mid-deploy explains split weights better than "split weights" does.
    const current = await withRetry(deps.clock, 'store.getLock', () => deps.store.getLock(key));
    if (current && current.expiresAt > deps.clock.now()) return lockHeld(req, current, deps, emitter);
  }
  // Read-only preflight: bad input (unresolvable tag, split weights, nothing to do…) is refused without
  // touching the store, not even the lock. Its events are shown only when it refuses.
  const preflightEvents = new CollectingSink();
  const preflight = await executeDeploy({ ...deps, events: preflightEvents }, { ...req, dryRun: true });
  if (preflight.status === 'refused' || preflight.status === 'up-to-date') {
    for (const e of preflightEvents.events) deps.events.emit(e);
    return preflight;
  }
  // credentials that expire mid-deploy: refused without taking the lock (the run itself checks again)
  const expiry =
    preflight.status === 'dry-run'
      ? credentialsProblem(preflight.plan, deps.credentialsExpireAt, deps.clock.now())
      : undefined;
  if (expiry) return refused('credentials-expire', expiry, emitter);
  if (deps.signal?.aborted)
    return refused(
      'interrupted',
      'interrupted before the lock was taken: nothing was recorded or changed',
      emitter,
    );
  const owner = { ...req.owner, operation: req.kind ?? req.owner.operation ?? 'deploy' };
  const res = await withLock(
    deps,
    key,
    owner,
    (lock, signal, fence, keep) =>
      executeDeploy({ ...deps, signal, fence, storeFence: { token: lock.token }, keepLock: keep }, req),
    lockOptions,
  );
  if (res.status === 'held') return lockHeld(req, res.heldBy, deps);
  return res.value;
}

/**
 * The refusal for a lock someone else holds: a deploy held for approval (the lock is its hold's) is named
 * with its expiry and `continue`/`abort` (core/hold.ts), never --force-unlock; anything else is a running
 * or dead operation.
 */
async function lockHeld(
  req: DeployRequest,
  heldBy: LockInfo,
  deps: DeployDeps,
  emitter?: Emitter,
): Promise<DeployOutcome> {
  const t = req.topology;
  const now = deps.clock.now();
  const newest = await withRetry(deps.clock, 'store.listReleases', () => deps.store.listReleases(keyOf(t), 1))
    .then((r) => r[0])
    .catch(() => undefined); // the hint is best effort: the refusal stands either way
  const hold = holdOf(newest, heldBy, now);
  if (hold?.state === 'held') {
    const reason = holdAdvice(hold, t, now, `${req.kind ?? 'deploy'} ${req.imageTag}`);
    emitter?.error('refused', reason, { code: 'held-for-approval' });
    return { status: 'refused', code: 'held-for-approval', reason, heldBy };
  }
  const reason = `another operation holds the lock for ${t.environment}/${t.service}: ${describeHolder(heldBy, now)}. Wait for it to finish; if it died, its lease expires by itself, or take over with --force-unlock --reason "…"`;
  emitter?.error('refused', reason, { code: 'lock-held' });
  return { status: 'refused', code: 'lock-held', reason, heldBy };
}
