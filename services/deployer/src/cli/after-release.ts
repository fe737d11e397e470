/**
 * The command-level step after a release (ops/retention.ts): the image's source commit on the record and,
 * when a release became live, the ECR retention marks. Runs once the command's outcome is known; its
 * failures are warnings and never change the result or the exit code.
 */
import type { ServiceTopology } from '../../../topology';
import type { DeployOutcome } from '../core/deploy';
import type { PromoteOutcome } from '../ops/promote';
import { type AfterReleaseDeps, afterRelease } from '../ops/retention';
import type { RollbackOutcome } from '../ops/rollback';
import type { ReleaseRecord } from '../ports';

export interface ReleaseMade {
  /** The release the command recorded (absent: none, e.g. the image already served). */
  readonly release?: ReleaseRecord;
  /** It (or, for a rollback, its target) is live now: move the retention marks. */
  readonly live: boolean;
}

/** What a deploy, promote or rollback outcome recorded; undefined when it recorded nothing. */
export function releaseMade(o: DeployOutcome | PromoteOutcome | RollbackOutcome): ReleaseMade | undefined {
  switch (o.status) {
    case 'deployed':
      return { release: o.release, live: true };
    case 'rolled-back':
      // a deploy rolled back by its gates (nothing new is live) — or a rollback that put its target live
      return 'gate' in o ? { release: o.release, live: false } : { release: o.release, live: true };
    case 'deploy':
      return releaseMade(o.deploy);
    case 'gates-failed':
      return releaseMade(o.deploy) && { release: releaseMade(o.deploy)!.release, live: false };
    case 'error':
      return o.release ? { release: o.release, live: false } : undefined;
    case 'up-to-date':
      // a CI re-run of what already serves: no release, but the marks are set again (a mark a failed
      // earlier attempt could not set is repaired; marks already in place answer "unchanged")
      return { live: true };
    default:
      return undefined;
  }
}

/** Runs the after-release step for an outcome (nothing when it recorded no release). Never throws. */
export async function afterCommand(
  deps: AfterReleaseDeps,
  topology: ServiceTopology,
  outcome: DeployOutcome | PromoteOutcome | RollbackOutcome,
): Promise<void> {
  const made = releaseMade(outcome);
  if (!made) return;
  try {
    await afterRelease(deps, topology, {
      ...(made.release ? { release: made.release } : {}),
      live: made.live,
    });
  } catch {
    // afterRelease reports its own failures as warnings; nothing may escape into the command's result
  }
}
