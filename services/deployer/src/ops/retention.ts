/**
 * After a release: retention marks and the image's source commit. Called by the commands once the
 * outcome is known (deploy, promote, rollback by flip or redeploy, recovery) — never inside the deploy
 * core, never before a traffic decision. Best effort: every failure is one warning and the command's
 * result and exit code stay what they were.
 *
 * Retention marks. The ECR repositories are shared by every environment and keep only the newest N
 * images besides those tagged `sy-*` (stacks/bootstrap/ecr.ts: lifecycle rule 1 shields them — "an image
 * that matches the tagging requirements of a rule cannot be expired by a rule with a lower priority",
 * ECR User Guide). So after each release the digest live in an environment is tagged
 * `sy-live-<env>-<service>` and the previous known-good one — the default rollback target — is tagged
 * `sy-prev-<env>-<service>`: ECS can always start tasks of the live release and a rollback always has
 * its image. Both come from the release history as it is when the marks are written (the newest
 * known-good release; the newest known-good one before it with another image — or, before the second
 * release, the revision live before the first one: the image the environment was created with).
 * The previous mark is moved first: the image losing `sy-live` is normally the one gaining `sy-prev`.
 *
 * Source commit. build.yml tags every image with the full commit SHA it was built from (and labels it
 * `org.opencontainers.image.revision`); the released digest's 40-hex tag is recorded on the release as
 * `imageRevision` (DescribeImages: the label would need the image config blob, i.e. a layer download
 * the release role is not granted).
 */
import type { ServiceTopology } from '../../../topology';
import { Emitter } from '../core/events';
import { digestOfImage } from '../core/live-state';
import { withRetry } from '../core/retry';
import type {
  Clock,
  EcsPort,
  EventSink,
  RegistryPort,
  ReleaseKey,
  ReleaseRecord,
  StorePort,
  TagResult,
} from '../ports';
import { currentRelease, HISTORY_WINDOW, previousKnownGood, shortDigest } from './history';

/** The two retention marks of a service in an environment (they match the lifecycle's `sy-*`). */
export function retentionTags(environment: string, service: string): { live: string; prev: string } {
  return { live: `sy-live-${environment}-${service}`, prev: `sy-prev-${environment}-${service}` };
}

/** A full commit SHA (what build.yml tags each image with). */
export const COMMIT_SHA = /^[0-9a-f]{40}$/;

export interface RetentionMark {
  readonly tag: string;
  readonly digest: string;
  /** The release it marks (absent: the revision live before the first recorded release). */
  readonly releaseId?: string;
}

/** What to mark, from the history alone (newest first). Pure. */
export interface RetentionPlan {
  readonly live?: RetentionMark;
  readonly prev?: RetentionMark;
  /**
   * No earlier known-good release: the task definition live before the oldest recorded release, whose
   * image is the previous known good one (read it, then mark it) — only when the whole history was read.
   */
  readonly preHistoryTaskDefinitionArn?: string;
}

export function planRetention(
  t: Pick<ServiceTopology, 'environment' | 'service'>,
  releases: readonly ReleaseRecord[],
  window = HISTORY_WINDOW,
): RetentionPlan {
  const tags = retentionTags(t.environment, t.service);
  const live = currentRelease(releases);
  if (!live) return {};
  const liveMark = { tag: tags.live, digest: live.imageDigest, releaseId: live.id };
  const prev = previousKnownGood(releases, live.imageDigest);
  if (prev) return { live: liveMark, prev: { tag: tags.prev, digest: prev.imageDigest, releaseId: prev.id } };
  const oldest = releases[releases.length - 1];
  return releases.length < window && oldest?.previousTaskDefinitionArn
    ? { live: liveMark, preHistoryTaskDefinitionArn: oldest.previousTaskDefinitionArn }
    : { live: liveMark };
}

export interface AfterReleaseDeps {
  readonly registry: RegistryPort;
  readonly store: StorePort;
  readonly ecs: Pick<EcsPort, 'describeTaskDefinition'>;
  readonly clock: Clock;
  readonly events: EventSink;
}

export interface AfterReleaseOptions {
  /** The release the command recorded (its source commit is looked up and recorded). */
  readonly release?: Pick<ReleaseRecord, 'id' | 'imageDigest' | 'imageRevision'>;
  /** A release became live: move the retention marks. */
  readonly live: boolean;
  /** Everything gives up after this long (one warning). @default 30 s */
  readonly timeoutMs?: number;
}

export interface AfterReleaseResult {
  readonly marks: readonly (RetentionMark & { readonly result: TagResult })[];
  readonly imageRevision?: string;
  readonly warnings: readonly string[];
}

export const AFTER_RELEASE_TIMEOUT_MS = 30_000;

/** Retention marks and source commit of a release; never throws (see the file comment). */
export async function afterRelease(
  deps: AfterReleaseDeps,
  t: ServiceTopology,
  options: AfterReleaseOptions,
): Promise<AfterReleaseResult> {
  const emitter = new Emitter(deps.events, deps.clock);
  const warnings: string[] = [];
  const marks: (RetentionMark & { result: TagResult })[] = [];
  let imageRevision: string | undefined;
  const warn = (type: string, message: string, data?: Record<string, unknown>) => {
    warnings.push(message);
    emitter.warn(type, message, data);
  };
  const key: ReleaseKey = { environment: t.environment, service: t.service };
  const done = new AbortController();

  const work = async () => {
    // ---- the image's source commit, on the release record
    const rel = options.release;
    if (rel && !rel.imageRevision && deps.registry.describeImage) {
      try {
        const image = await withRetry(deps.clock, 'registry.describeImage', () =>
          deps.registry.describeImage!(t.repositoryName, rel.imageDigest),
        );
        const shas = (image?.tags ?? []).filter((x) => COMMIT_SHA.test(x));
        if (shas.length === 1) {
          imageRevision = shas[0]!;
          await withRetry(deps.clock, 'store.updateRelease', () =>
            deps.store.updateRelease(key, rel.id, { imageRevision, updatedAt: deps.clock.now() }),
          );
          emitter.info(
            'release.image-revision',
            `image ${shortDigest(rel.imageDigest)} was built from commit ${imageRevision}`,
            { releaseId: rel.id, imageRevision },
          );
        }
      } catch (e) {
        warn(
          'release.image-revision-failed',
          `the source commit of ${shortDigest(rel.imageDigest)} was not recorded: ${(e as Error).message}`,
        );
      }
    }
    if (!options.live) return;

    // ---- retention marks
    if (!deps.registry.tagImage) {
      warn(
        'retention.unsupported',
        'retention marks not set: this registry cannot tag images; the lifecycle policy does not shield the live image',
      );
      return;
    }
    let plan: RetentionPlan;
    try {
      const releases = await withRetry(deps.clock, 'store.listReleases', () =>
        deps.store.listReleases(key, HISTORY_WINDOW),
      );
      plan = planRetention(t, releases);
    } catch (e) {
      warn(
        'retention.failed',
        `retention marks not set: reading the release history failed: ${(e as Error).message}`,
      );
      return;
    }
    let prev = plan.prev;
    if (!prev && plan.preHistoryTaskDefinitionArn && plan.live) {
      try {
        const td = await withRetry(deps.clock, 'ecs.describeTaskDefinition', () =>
          deps.ecs.describeTaskDefinition(plan.preHistoryTaskDefinitionArn!),
        );
        const digest = digestOfImage(td.containers.find((c) => c.containerName === t.containerName)?.image);
        if (digest && digest !== plan.live.digest)
          prev = { tag: retentionTags(t.environment, t.service).prev, digest };
      } catch (e) {
        warn(
          'retention.failed',
          `retention mark ${retentionTags(t.environment, t.service).prev} not set: reading the revision live before the first release failed: ${(e as Error).message}`,
        );
      }
    }
    // previous first: the image losing its live mark is normally the one gaining this one
    for (const mark of [prev, plan.live]) {
      if (!mark) continue;
      try {
        const result = await withRetry(deps.clock, 'registry.tagImage', () =>
          deps.registry.tagImage!(t.repositoryName, mark.digest, mark.tag),
        );
        marks.push({ ...mark, result });
      } catch (e) {
        warn(
          'retention.failed',
          `retention mark ${mark.tag} → ${shortDigest(mark.digest)} not set: ${(e as Error).message}. ` +
            `The image stays until ECR's lifecycle counts it among the oldest; the next release of ${t.environment}/${t.service} sets the mark again`,
          { tag: mark.tag, digest: mark.digest },
        );
      }
    }
    if (marks.length > 0) {
      emitter.info(
        'retention.marked',
        `retention marks: ${marks.map((m) => `${m.tag} → ${shortDigest(m.digest)}${m.result === 'unchanged' ? ' (already)' : ''}`).join(', ')}`,
        { marks },
      );
    }
  };

  const timeoutMs = options.timeoutMs ?? AFTER_RELEASE_TIMEOUT_MS;
  let timedOut = false;
  const timer = deps.clock.sleep(timeoutMs, done.signal).then(() => {
    if (!done.signal.aborted) timedOut = true;
  });
  try {
    await Promise.race([
      work().catch((e: unknown) => warn('retention.failed', `after-release steps failed: ${String(e)}`)),
      timer,
    ]);
  } finally {
    done.abort();
  }
  if (timedOut) {
    warn(
      'retention.timeout',
      `retention marks and source commit gave up after ${Math.round(timeoutMs / 1000)} s; the release itself is complete`,
    );
  }
  return { marks, ...(imageRevision ? { imageRevision } : {}), warnings };
}
