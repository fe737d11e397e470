/**
 * The source environment of a promotion read from a `switchyard status --output json` capture, for
 * promotions across AWS accounts: a CI job reads the source with the source environment's read-only
 * role (`switchyard status --env A --service S --releases 100 --output json > source.jsonl`), then
 * promotes with the target's deploy role (`switchyard promote … --source-status source.jsonl`). The
 * capture is a read-only store of A's release history plus what A's live colour ran.
 */
import { z } from 'zod';
import { PortError, type ReleaseRecord, type StorePort } from '../ports';

/** A capture older than this is refused (the source may have changed since). */
export const SOURCE_STATUS_MAX_AGE_MS = 3_600_000;

export interface SourceSnapshot {
  readonly environment: string;
  readonly service: string;
  readonly generatedAt: number;
  /** Newest first. */
  readonly releases: readonly ReleaseRecord[];
  /** What the source served when captured. */
  readonly live: { readonly status: string; readonly digest?: string; readonly problem?: string };
}

const releaseSchema = z.looseObject({
  id: z.string().min(1),
  environment: z.string().min(1),
  service: z.string().min(1),
  kind: z.enum(['deploy', 'rollback', 'promote']),
  imageTag: z.string().min(1),
  imageDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  colour: z.enum(['blue', 'green']),
  outcome: z.enum(['in-progress', 'deployed', 'rolled-back', 'failed', 'superseded']),
  startedAt: z.number(),
});

const serviceSchema = z.looseObject({
  environment: z.string(),
  service: z.string(),
  live: z
    .looseObject({
      status: z.string(),
      liveColour: z.enum(['blue', 'green']).optional(),
      problem: z.string().optional(),
    })
    .optional(),
  colours: z
    .looseObject({
      blue: z.looseObject({ imageDigest: z.string().optional() }),
      green: z.looseObject({ imageDigest: z.string().optional() }),
    })
    .optional(),
  releases: z.array(releaseSchema),
});

const reportSchema = z.looseObject({
  environment: z.string(),
  generatedAt: z.number(),
  services: z.array(serviceSchema),
});

/**
 * Parses a status capture (the JSON-lines output of `switchyard status --output json`, or its result's
 * `data` object) and picks `from`/`service`. Throws Error with one message naming the file and the fix.
 */
export function parseSourceStatus(
  text: string,
  from: string,
  service: string,
  source: string,
): SourceSnapshot {
  const fix = `capture it with: switchyard status --env ${from} --service ${service} --releases 100 --output json > ${source}`;
  let report: unknown;
  const trimmed = text.trim();
  try {
    const lines = trimmed
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const result = lines.reverse().find((l) => l.type === 'result' && l.command === 'status');
    report = result ? result.data : lines.length === 1 ? lines[0] : JSON.parse(trimmed);
  } catch (e) {
    throw new Error(`${source} is not a switchyard status JSON capture (${(e as Error).message}); ${fix}`);
  }
  const parsed = reportSchema.safeParse(report);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(
      `${source} is not a switchyard status JSON capture (${first.path.join('.') || '(root)'}: ${first.message}); ${fix}`,
    );
  }
  const s = parsed.data.services.find((x) => x.environment === from && x.service === service);
  if (!s) {
    throw new Error(
      `${source} has no status of ${from}/${service} (it holds ${parsed.data.services.map((x) => `${x.environment}/${x.service}`).join(', ') || 'nothing'}); ${fix}`,
    );
  }
  const liveColour = s.live?.liveColour;
  const digest = liveColour ? s.colours?.[liveColour].imageDigest : undefined;
  return {
    environment: from,
    service,
    generatedAt: parsed.data.generatedAt,
    releases: s.releases as unknown as ReleaseRecord[],
    live: {
      status: s.live?.status ?? 'unreadable',
      ...(digest ? { digest } : {}),
      ...(s.live?.problem ? { problem: s.live.problem } : {}),
    },
  };
}

/** A read-only StorePort over a capture: history reads work, every write is refused. */
export function snapshotStore(snap: SourceSnapshot): StorePort {
  const readOnly = async (): Promise<never> => {
    throw new PortError(
      'invalid',
      `the source status capture of ${snap.environment}/${snap.service} is read only`,
    );
  };
  const matches = (k: { environment: string; service: string }) =>
    k.environment === snap.environment && k.service === snap.service;
  return {
    acquireLock: readOnly,
    renewLock: readOnly,
    handOverLock: readOnly,
    releaseLock: readOnly,
    forceUnlock: readOnly,
    putRelease: readOnly,
    updateRelease: readOnly,
    getLock: async () => undefined,
    getRelease: async (k, id) => (matches(k) ? snap.releases.find((r) => r.id === id) : undefined),
    listReleases: async (k, limit) => (matches(k) ? snap.releases.slice(0, limit) : []),
  };
}
