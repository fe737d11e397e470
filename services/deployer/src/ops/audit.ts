/** One line of a release's audit trail for `switchyard status` (text). Pure. */
import type { ReleaseRecord } from '../ports';

/** `continued by bob at 2026-01-01T00:00:00Z (approved by dave; run attempt 1; <run url>)`. */
export function describeResume(c: NonNullable<ReleaseRecord['resumes']>[number]): string {
  const extra = [
    ...(c.approvedBy !== undefined
      ? [c.approvedBy.length > 0 ? `approved by ${c.approvedBy.join(', ')}` : 'no review required']
      : []),
    ...(c.runAttempt !== undefined ? [`run attempt ${c.runAttempt}`] : []),
    ...(c.runUrl ? [c.runUrl] : []),
  ];
  const at = new Date(c.at).toISOString().replace('.000Z', 'Z');
  return `${c.op === 'continue' ? 'continued' : 'aborted'} by ${c.actor} at ${at}${extra.length > 0 ? ` (${extra.join('; ')})` : ''}`;
}

/**
 * `run attempt 2, re-run by carol (run started by alice); approved by dave, erin; image built from
 * <sha>; deploy.yml@refs/heads/main` — or undefined when the record holds none of it (a release made
 * outside GitHub Actions, or before the audit fields existed).
 */
export function describeAudit(
  r: Pick<ReleaseRecord, 'actor' | 'audit' | 'imageRevision' | 'commitSha' | 'resumes'>,
): string | undefined {
  const a = r.audit;
  const parts: string[] = [];
  if (a?.runAttempt !== undefined) {
    const rerunBy =
      a.triggeringActor && (a.runAttempt > 1 || a.triggeringActor !== r.actor)
        ? `, re-run by ${a.triggeringActor} (run started by ${r.actor})`
        : '';
    parts.push(`run attempt ${a.runAttempt}${rerunBy}`);
  } else if (a?.triggeringActor && a.triggeringActor !== r.actor) {
    parts.push(`started by ${a.triggeringActor} (run of ${r.actor})`);
  }
  if (a?.approvedBy !== undefined)
    parts.push(a.approvedBy.length > 0 ? `approved by ${a.approvedBy.join(', ')}` : 'no review required');
  if (r.imageRevision) parts.push(`image built from ${r.imageRevision}`);
  if (a?.workflowRef) parts.push(a.workflowRef.replace(/^.*\/\.github\/workflows\//, ''));
  for (const c of r.resumes ?? []) parts.push(describeResume(c));
  return parts.length > 0 ? `audit: ${parts.join('; ')}` : undefined;
}
