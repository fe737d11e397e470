/**
 * `switchyard promote --service S --from A --to B [--tag T] [--allow-skip-stage]`: deploy to B exactly
 * the image digest that is live and recorded as deployed (not rolled back) in A — or, with `--tag`, the
 * digest of a release of that tag that was deployed (passed every gate) in A and was not rolled back
 * since. The deployment to B is a normal blue/green deploy (same lock, gates and rollback) of kind
 * `promote`, recording where the digest came from (sourceEnvironment, sourceReleaseId).
 *
 * Order: B's topology says which environment it accepts promotions from (`promoteFrom`, from
 * `promotion.from` in environments/B.yaml). Promoting from another environment skips a stage: refused
 * unless `--allow-skip-stage`, and then recorded in the release reason. Promoting backwards (B is the
 * stage A is promoted from) and promoting into a first stage (no `promoteFrom`) are always refused.
 *
 * A and B may use different deployment tables (stores) and registries: A's store is read only.
 * Every refusal happens before any write (the deploy's own preflight covers the rest).
 */
import type { DeploymentSettings, ServiceTopology, Strategy } from '../../../topology';
import { type DeployDeps, type DeployOutcome, deploy } from '../core/deploy';
import { Emitter } from '../core/events';
import { readLiveState } from '../core/live-state';
import type { LockOptions } from '../core/lock';
import { withRetry } from '../core/retry';
import { ExitCode } from '../exit-codes';
import type {
  EcsPort,
  LoadBalancerPort,
  LockInfo,
  LockOwner,
  ReleaseAudit,
  ReleaseRecord,
  StorePort,
} from '../ports';
import { currentRelease, HISTORY_WINDOW, isKnownGood, releasesOfTag, shortDigest } from './history';
import { SOURCE_STATUS_MAX_AGE_MS } from './source-status';

export interface PromoteDeps {
  /** The source environment: its deployment store (read only) and, optionally, its live state ports. */
  readonly source: {
    readonly store: StorePort;
    /** When given, promote without --tag checks the recorded digest is what A's live colour runs. */
    readonly live?: { readonly ecs: EcsPort; readonly lb: LoadBalancerPort };
    /**
     * Instead of `live`: what A served according to a status capture (source-status.ts), taken at
     * `capturedAt` (refused when older than SOURCE_STATUS_MAX_AGE_MS).
     */
    readonly captured?: {
      readonly status: string;
      readonly digest?: string;
      readonly problem?: string;
      readonly capturedAt: number;
      readonly source: string;
    };
  };
  /** Everything the deploy to the target environment needs (its store, registry, ECS, ALB…). */
  readonly target: DeployDeps;
}

export interface PromoteRequest {
  readonly service: string;
  readonly from: string;
  readonly to: string;
  /** Target topology (B). */
  readonly targetTopology: ServiceTopology;
  /** Source topology (A), when available: enables the backwards check and the live check. */
  readonly sourceTopology?: ServiceTopology;
  /** Promote the release of this tag instead of A's live release. */
  readonly tag?: string;
  /** Allow promoting from an environment other than B's `promoteFrom` (recorded). @default false */
  readonly allowSkipStage?: boolean;
  /** Extra reason recorded with the release. */
  readonly reason?: string;
  readonly owner: LockOwner;
  readonly strategy?: Strategy;
  /** Hold for approval after the canary (DeployRequest.holdAfter). @default the target service's holdAfter */
  readonly holdAfter?: 'canary' | 'none';
  readonly settings?: Partial<DeploymentSettings>;
  readonly dryRun?: boolean;
  readonly commitSha?: string;
  readonly runUrl?: string;
  /** CI audit trail recorded with the release. @default none */
  readonly audit?: ReleaseAudit;
  readonly lock?: LockOptions;
}

export type PromoteRefusalCode =
  | 'invalid-request'
  | 'first-stage'
  | 'wrong-direction'
  | 'skipped-stage'
  | 'no-source-release'
  | 'never-healthy'
  | 'rolled-back'
  | 'source-drift'
  | 'digest-not-found';

export type PromoteOutcome =
  | {
      readonly status: 'refused';
      readonly code: PromoteRefusalCode | string;
      readonly reason: string;
      readonly heldBy?: LockInfo;
    }
  | {
      /** The deploy to B ran (or was refused / dry-run by the deploy core): see `deploy.status`. */
      readonly status: 'deploy';
      readonly source: ReleaseRecord;
      readonly skippedStage?: string;
      readonly deploy: DeployOutcome;
    };

export function promoteExitCode(o: PromoteOutcome): number {
  if (o.status === 'refused') return ExitCode.Refused;
  switch (o.deploy.status) {
    case 'deployed':
    case 'dry-run':
    case 'up-to-date':
      return ExitCode.Ok;
    case 'rolled-back':
      return ExitCode.RolledBack;
    case 'refused':
      return ExitCode.Refused;
    case 'held':
      return ExitCode.Held;
  }
}

type Refusal = Extract<PromoteOutcome, { status: 'refused' }>;
const refusal = (code: PromoteRefusalCode, reason: string): Refusal => ({ status: 'refused', code, reason });

/** Stage-order check (pure). Returns the refusal, or the skipped stage to record (undefined: none). */
export function checkPromotionOrder(
  req: Pick<PromoteRequest, 'from' | 'to' | 'allowSkipStage' | 'service'> & {
    targetTopology: Pick<ServiceTopology, 'promoteFrom'>;
    sourceTopology?: Pick<ServiceTopology, 'promoteFrom'>;
  },
): { refusal: Refusal } | { skipped?: string } {
  const { from, to } = req;
  const accepts = req.targetTopology.promoteFrom;
  if (accepts === undefined) {
    return {
      refusal: refusal(
        'first-stage',
        `${to} accepts no promotions: it is a first stage (no promotion.from in environments/${to}.yaml). ` +
          `Deploy to it with: switchyard deploy --env ${to} --service ${req.service} --image-tag <tag>`,
      ),
    };
  }
  if (accepts === from) return {};
  if (req.sourceTopology?.promoteFrom === to) {
    return {
      refusal: refusal(
        'wrong-direction',
        `cannot promote ${from} → ${to}: ${from} is promoted from ${to} (promotion goes ${to} → ${from}), not the other way round`,
      ),
    };
  }
  if (!req.allowSkipStage) {
    return {
      refusal: refusal(
        'skipped-stage',
        `${to} accepts promotions from ${accepts} (promotion.from in environments/${to}.yaml), not from ${from}: promoting ${from} → ${to} skips ${accepts}. ` +
          `Promote ${from} → ${accepts} first, or pass --allow-skip-stage (the skip is recorded with the release)`,
      ),
    };
  }
  return { skipped: accepts };
}

/** Picks the source release (pure): the live known-good one, or the known-good one of `tag`. */
export function pickSourceRelease(
  releases: readonly ReleaseRecord[],
  from: string,
  service: string,
  tag?: string,
): { release: ReleaseRecord } | { refusal: Refusal } {
  const where = `${from}/${service}`;
  if (tag === undefined) {
    const current = currentRelease(releases);
    if (!current) {
      return {
        refusal: refusal(
          'no-source-release',
          `nothing to promote: no release of ${where} is recorded as deployed. Deploy and verify it in ${from} first`,
        ),
      };
    }
    return { release: current };
  }
  const { newest, knownGood } = releasesOfTag(releases, tag);
  if (!newest) {
    return {
      refusal: refusal(
        'never-healthy',
        `tag ${tag} was never released in ${where} (not in its last ${HISTORY_WINDOW} releases): only images that passed ${from}'s gates can be promoted. Deploy it to ${from} first`,
      ),
    };
  }
  if (!knownGood) {
    const rolledBack = releases.find((r) => r.imageTag === tag && r.outcome === 'rolled-back');
    if (rolledBack) {
      return {
        refusal: refusal(
          'rolled-back',
          `tag ${tag} (${shortDigest(rolledBack.imageDigest)}) was rolled back in ${where}: release ${rolledBack.id} is rolled-back` +
            `${rolledBack.reason ? ` (${rolledBack.reason})` : ''}. Only images that passed ${from}'s gates and were not rolled back can be promoted; deploy a fixed tag to ${from}`,
        ),
      };
    }
    return {
      refusal: refusal(
        'never-healthy',
        `tag ${tag} was never healthy in ${where}: its releases ended ${[...new Set(releases.filter((r) => r.imageTag === tag).map((r) => r.outcome))].join(', ')}` +
          `${newest.reason ? ` (newest: ${newest.reason})` : ''}. Only images that passed ${from}'s gates can be promoted`,
      ),
    };
  }
  // rolled back later (by a gate or an operator) → not promotable, even if an older release of it passed
  const laterBad = releases.find(
    (r) => r.imageDigest === knownGood.imageDigest && (r.outcome === 'rolled-back' || r.outcome === 'failed'),
  );
  if (laterBad && releases.indexOf(laterBad) < releases.indexOf(knownGood)) {
    return {
      refusal: refusal(
        'rolled-back',
        `tag ${tag} (${shortDigest(knownGood.imageDigest)}) was rolled back in ${where} after it was deployed: release ${laterBad.id} is ${laterBad.outcome}` +
          `${laterBad.reason ? ` (${laterBad.reason})` : ''}. Fix it and deploy a new tag to ${from} instead`,
      ),
    };
  }
  return { release: knownGood };
}

export async function promote(deps: PromoteDeps, req: PromoteRequest): Promise<PromoteOutcome> {
  const clock = deps.target.clock;
  const emitter = new Emitter(deps.target.events, clock);
  const refuse = (r: Refusal): Refusal => {
    emitter.error('refused', r.reason, { code: r.code });
    return r;
  };
  const t = req.targetTopology;
  if (!req.service || !req.from || !req.to) {
    return refuse(refusal('invalid-request', 'promote needs --service, --from and --to'));
  }
  if (req.from === req.to) {
    return refuse(
      refusal('invalid-request', `--from and --to are both ${req.from}: promote between two environments`),
    );
  }
  if (t.environment !== req.to || t.service !== req.service) {
    return refuse(
      refusal(
        'invalid-request',
        `the target topology describes ${t.environment}/${t.service}, expected ${req.to}/${req.service}; check --topology`,
      ),
    );
  }
  if (
    req.sourceTopology &&
    (req.sourceTopology.environment !== req.from || req.sourceTopology.service !== req.service)
  ) {
    return refuse(
      refusal(
        'invalid-request',
        `the source topology describes ${req.sourceTopology.environment}/${req.sourceTopology.service}, expected ${req.from}/${req.service}`,
      ),
    );
  }
  if (req.tag !== undefined && !req.tag.trim()) {
    return refuse(refusal('invalid-request', '--tag needs an image tag released in the source environment'));
  }
  const order = checkPromotionOrder(req);
  if ('refusal' in order) return refuse(order.refusal);

  const releases = await withRetry(
    clock,
    'source store.listReleases',
    () => deps.source.store.listReleases({ environment: req.from, service: req.service }, HISTORY_WINDOW),
    { emitter },
  );
  const picked = pickSourceRelease(releases, req.from, req.service, req.tag?.trim());
  if ('refusal' in picked) return refuse(picked.refusal);
  const source = picked.release;
  if (!isKnownGood(source)) return refuse(refusal('never-healthy', `release ${source.id} is not known good`));

  const cap = deps.source.captured;
  if (cap && clock.now() - cap.capturedAt > SOURCE_STATUS_MAX_AGE_MS) {
    return refuse(
      refusal(
        'invalid-request',
        `the status capture ${cap.source} of ${req.from}/${req.service} is ${Math.round((clock.now() - cap.capturedAt) / 60_000)} minutes old (limit ${SOURCE_STATUS_MAX_AGE_MS / 60_000}); capture it again right before promoting`,
      ),
    );
  }
  if (req.tag === undefined) {
    let sourceLive: { status: string; digest?: string; problem?: string } | undefined;
    if (deps.source.live && req.sourceTopology) {
      const live = await readLiveState({ ...deps.source.live, clock }, req.sourceTopology, emitter);
      sourceLive = {
        status: live.status,
        ...(live.liveColour && live.colours[live.liveColour].imageDigest
          ? { digest: live.colours[live.liveColour].imageDigest }
          : {}),
        ...(live.problem ? { problem: live.problem } : {}),
      };
    } else if (cap) sourceLive = cap;
    if (sourceLive && (sourceLive.status !== 'ok' || sourceLive.digest !== source.imageDigest)) {
      return refuse(
        refusal(
          'source-drift',
          `${req.from}/${req.service} does not serve its recorded release ${source.id} (${source.imageTag}, ${shortDigest(source.imageDigest)}): ` +
            (sourceLive.status !== 'ok'
              ? (sourceLive.problem ?? `live state ${sourceLive.status}`)
              : `its live colour runs ${shortDigest(sourceLive.digest)}`) +
            `. Check \`switchyard status --env ${req.from} --service ${req.service}\`, or promote an explicit --tag`,
        ),
      );
    }
  }

  const has = await withRetry(
    clock,
    'ecr:DescribeImages',
    () => deps.target.registry.hasDigest(t.repositoryName, source.imageDigest),
    { emitter },
  ).catch((e: unknown) => e as Error);
  if (has instanceof Error || !has) {
    return refuse(
      refusal(
        'digest-not-found',
        `the registry of ${req.to} (${t.repositoryUri}) does not hold ${source.imageDigest} (${source.imageTag}, release ${source.id} in ${req.from})` +
          `${has instanceof Error ? `: ${has.message}` : ''}. Replicate or push the image to ${t.repositoryUri} first`,
      ),
    );
  }
  emitter.info(
    'promote.source',
    `promoting ${source.imageTag} (${shortDigest(source.imageDigest)}) from ${req.from} release ${source.id} to ${req.to}` +
      (order.skipped ? ` — skipping stage ${order.skipped} (--allow-skip-stage)` : ''),
    { sourceReleaseId: source.id, digest: source.imageDigest, skippedStage: order.skipped },
  );

  const reason = [
    `promoted from ${req.from} release ${source.id}`,
    ...(order.skipped ? [`skipped stage ${order.skipped} (--allow-skip-stage by ${req.owner.actor})`] : []),
    ...(req.reason?.trim() ? [req.reason.trim()] : []),
  ].join('; ');
  const out = await deploy(
    deps.target,
    {
      topology: t,
      imageTag: source.imageTag,
      imageDigest: source.imageDigest,
      kind: 'promote',
      reason,
      sourceEnvironment: req.from,
      sourceReleaseId: source.id,
      owner: { ...req.owner, operation: 'promote' },
      ...(req.strategy ? { strategy: req.strategy } : {}),
      ...(req.holdAfter ? { holdAfter: req.holdAfter } : {}),
      ...(req.settings ? { settings: req.settings } : {}),
      ...(req.dryRun ? { dryRun: true } : {}),
      ...(req.commitSha ? { commitSha: req.commitSha } : {}),
      ...(req.runUrl ? { runUrl: req.runUrl } : {}),
      ...(req.audit ? { audit: req.audit } : {}),
    },
    req.lock,
  );
  if (out.status === 'refused' && (out.code === 'lock-held' || out.code === 'held-for-approval')) {
    return {
      status: 'refused',
      code: out.code,
      reason: out.reason,
      ...(out.heldBy ? { heldBy: out.heldBy } : {}),
    };
  }
  return { status: 'deploy', source, ...(order.skipped ? { skippedStage: order.skipped } : {}), deploy: out };
}
