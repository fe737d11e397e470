/**
 * Reading the release history: which release is live, which ones are known good, where traffic should
 * be according to the record, and what a dead (in-progress, unlocked) release left behind. Pure.
 *
 * Vocabulary
 * - known good: a release recorded with outcome `deployed` (it passed every gate and was never rolled
 *   back). A release an operator rolled back is re-marked `rolled-back`, so it stops being known good.
 * - current release: the newest known-good release (what should be live).
 * - safe colour of a release: where traffic belongs if that release's deployer died — the colour that
 *   was live when it started, or, for a record already at step `rolling-back`, the colour it was
 *   restoring (its `intendedWeights` put 100% there).
 */
import type { Colour } from '../../../topology';
import type { ReleaseRecord } from '../ports';

/** How many releases the operations read (newest first). */
export { newReleaseId } from '../core/deploy';

export const HISTORY_WINDOW = 100;

/** Release ids look like `20260101T000000Z-deploy-a1b2c3`. */
export const RELEASE_ID_RE = /^\d{8}T\d{6}Z-(deploy|rollback|promote)-[0-9a-f]{6}$/;

export const isKnownGood = (r: ReleaseRecord): boolean => r.outcome === 'deployed';

/** The newest known-good release (the one that should be live), if any. */
export function currentRelease(releases: readonly ReleaseRecord[]): ReleaseRecord | undefined {
  return releases.find(isKnownGood);
}

/**
 * In-progress releases newer than every ended one (newest first): deployers that died (or still run)
 * after the last release that finished. Older in-progress records were superseded by a later release
 * (the deploy core proceeds past them when the weights are whole) and need no recovery.
 */
export function leadingInProgress(releases: readonly ReleaseRecord[]): ReleaseRecord[] {
  const out: ReleaseRecord[] = [];
  for (const r of releases) {
    if (r.outcome !== 'in-progress') break;
    out.push(r);
  }
  return out;
}

/** The newest release that has ended (any outcome but in-progress). */
export function newestEnded(releases: readonly ReleaseRecord[]): ReleaseRecord | undefined {
  return releases.find((r) => r.outcome !== 'in-progress');
}

export interface ColourRevision {
  readonly colour: Colour;
  /** Task definition expected on that colour; absent when the record does not say. */
  readonly taskDefinitionArn?: string;
}

/**
 * Where traffic belongs according to an ended release: its own colour if it was deployed, otherwise
 * the colour that was live before it (a failed or rolled-back deploy puts traffic back there) — except a
 * rollback by redeploy that kept traffic on its target after a late gate failure.
 */
export function expectedLive(r: ReleaseRecord): ColourRevision {
  if (r.outcome === 'deployed') return { colour: r.colour, taskDefinitionArn: r.taskDefinitionArn };
  // a rollback by redeploy whose gate failed after traffic moved keeps traffic on its own colour (it never
  // goes back onto the release it rolled back from): its final record says so in intendedWeights
  const w = r.intendedWeights;
  if (r.kind === 'rollback' && r.outcome === 'rolled-back' && r.step === 'done' && w) {
    const to: Colour | undefined = w.blue === 100 ? 'blue' : w.green === 100 ? 'green' : undefined;
    if (to === r.colour) return { colour: r.colour, taskDefinitionArn: r.taskDefinitionArn };
  }
  return { colour: r.previousColour, taskDefinitionArn: r.previousTaskDefinitionArn };
}

/** The colour a dead (in-progress) release's traffic must go back to. See the file comment. */
export function safeColourOf(r: ReleaseRecord): ColourRevision {
  const w = r.intendedWeights;
  if (r.step === 'rolling-back' && w) {
    const target: Colour = w.blue === 100 ? 'blue' : 'green';
    if (target === r.colour) return { colour: r.colour, taskDefinitionArn: r.taskDefinitionArn };
    if (target === r.previousColour)
      return { colour: r.previousColour, taskDefinitionArn: r.previousTaskDefinitionArn };
  }
  return { colour: r.previousColour, taskDefinitionArn: r.previousTaskDefinitionArn };
}

/**
 * Default rollback target: the newest known-good release older than the current one whose image differs
 * from what is live (rolling back to the same image would change nothing).
 */
export function previousKnownGood(
  releases: readonly ReleaseRecord[],
  liveDigest: string | undefined,
): ReleaseRecord | undefined {
  const current = currentRelease(releases);
  if (!current) return undefined;
  const skip = new Set([current.imageDigest, ...(liveDigest ? [liveDigest] : [])]);
  const from = releases.indexOf(current) + 1;
  return releases.slice(from).find((r) => isKnownGood(r) && !skip.has(r.imageDigest));
}

/** Newest release of a tag, and the newest known-good one of it. */
export function releasesOfTag(
  releases: readonly ReleaseRecord[],
  tag: string,
): { readonly newest?: ReleaseRecord; readonly knownGood?: ReleaseRecord } {
  const ofTag = releases.filter((r) => r.imageTag === tag);
  return { newest: ofTag[0], knownGood: ofTag.find(isKnownGood) };
}

export const pct = (w: { blue: number; green: number }): string => `blue ${w.blue}% / green ${w.green}%`;

/** Short form of a digest for tables: `sha256:0123456789ab`. */
export const shortDigest = (d: string | undefined): string => (d ? d.slice(0, 19) : '-');

/** The last path segment of a task definition ARN: `family:revision`. */
export const shortTaskDef = (arn: string | undefined): string => (arn ? arn.split('/').pop()! : '-');

/** Human line for a release. */
export function describeRelease(r: ReleaseRecord): string {
  return `${r.id} (${r.kind} of ${r.imageTag} ${shortDigest(r.imageDigest)} to ${r.colour}, by ${r.actor}, ${r.outcome})`;
}
