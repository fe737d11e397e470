/**
 * ECR helpers for .github/workflows/build.yml, run with
 * `node -r ts-node/register/transpile-only .github/scripts/ecr-image.ts <command> …`:
 *
 *   digest     --repository R --tag T
 *       Prints `digest=<sha256:…>` when the tag already exists (the repository is IMMUTABLE, so a re-run
 *       of the same commit reuses the image instead of failing on ImageTagAlreadyExistsException), and
 *       `digest=` when it does not. Written to $GITHUB_OUTPUT when set.
 *   scan-gate  --repository R --digest D [--timeout-seconds 600] [--poll-seconds 10] [--fail-on CRITICAL]
 *       Waits for the image's scan (scan on push) and fails on findings of the listed severities.
 *
 * Why not `aws ecr wait image-scan-complete`: that waiter accepts only status COMPLETE (basic scanning)
 * and gives up after 60 polls of 5 s; with enhanced scanning (Amazon Inspector) a finished scan reports
 * ACTIVE, and a scan that has not registered yet answers ScanNotFoundException. Here:
 * - COMPLETE (basic) and ACTIVE (enhanced: "The scan is complete and the findings are available") are final;
 * - IN_PROGRESS and PENDING, and ScanNotFoundException within the timeout, mean wait;
 * - FAILED, UNSUPPORTED_IMAGE, FINDINGS_UNAVAILABLE, SCAN_ELIGIBILITY_EXPIRED, LIMIT_EXCEEDED, IMAGE_ARCHIVED
 *   fail the gate: the image cannot be shown to be free of critical findings.
 * (ECR API Reference: ImageScanStatus, DescribeImageScanFindings; AWS CLI: aws ecr wait image-scan-complete.)
 *
 * Exit codes: 0 passed / looked up, 1 the gate failed or AWS answered an error, 2 bad arguments.
 */
import { appendFileSync } from 'node:fs';
import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandOutput,
  DescribeImagesCommand,
  ECRClient,
} from '@aws-sdk/client-ecr';

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL' | 'UNDEFINED';
const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];
const WAITING = new Set(['IN_PROGRESS', 'PENDING']);
const FINAL_OK = new Set(['COMPLETE', 'ACTIVE']);

/** The calls this script makes (an ECRClient satisfies it; tests use aws-sdk-client-mock on a real client). */
export interface Ecr {
  send(command: DescribeImageScanFindingsCommand): Promise<DescribeImageScanFindingsCommandOutput>;
  send(command: DescribeImagesCommand): Promise<{ imageDetails?: Array<{ imageDigest?: string }> }>;
}

export type Verdict =
  | { readonly kind: 'wait'; readonly status: string }
  | { readonly kind: 'pass'; readonly status: string; readonly counts: Partial<Record<Severity, number>> }
  | { readonly kind: 'fail'; readonly reason: string; readonly counts?: Partial<Record<Severity, number>> };

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

/** Severity counts of a finished scan: the summary counts, else counted from (enhanced) findings. */
export function severityCounts(
  pages: readonly DescribeImageScanFindingsCommandOutput[],
): Partial<Record<Severity, number>> {
  const summary = pages[0]?.imageScanFindings?.findingSeverityCounts;
  if (summary && Object.keys(summary).length > 0) return { ...summary } as Partial<Record<Severity, number>>;
  const counts: Partial<Record<Severity, number>> = {};
  for (const page of pages) {
    const f = page.imageScanFindings;
    for (const item of [...(f?.findings ?? []), ...(f?.enhancedFindings ?? [])]) {
      const sev = String(item.severity ?? 'UNDEFINED').toUpperCase() as Severity;
      counts[sev] = (counts[sev] ?? 0) + 1;
    }
  }
  return counts;
}

/** Pure judgement of one poll (the first page; `pages` holds every page once the scan is final). */
export function judge(
  pages: readonly DescribeImageScanFindingsCommandOutput[],
  failOn: readonly Severity[],
): Verdict {
  const status = pages[0]?.imageScanStatus?.status ?? 'UNKNOWN';
  if (WAITING.has(status)) return { kind: 'wait', status };
  if (!FINAL_OK.has(status)) {
    const why = pages[0]?.imageScanStatus?.description;
    return {
      kind: 'fail',
      reason: `scan status ${status}${why ? ` (${why})` : ''}: the image cannot be shown to be free of ${failOn.join('/')} findings`,
    };
  }
  const counts = severityCounts(pages);
  const blocking = failOn.filter((s) => (counts[s] ?? 0) > 0);
  if (blocking.length > 0) {
    return {
      kind: 'fail',
      reason: `${blocking.map((s) => `${counts[s]} ${s}`).join(', ')} finding(s)`,
      counts,
    };
  }
  return { kind: 'pass', status, counts };
}

export interface GateOptions {
  readonly ecr: Ecr;
  readonly repository: string;
  readonly digest: string;
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly failOn: readonly Severity[];
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (line: string) => void;
}

async function allPages(opts: GateOptions, first: DescribeImageScanFindingsCommandOutput) {
  const pages = [first];
  let token = first.nextToken;
  while (token) {
    const page = await opts.ecr.send(
      new DescribeImageScanFindingsCommand({
        repositoryName: opts.repository,
        imageId: { imageDigest: opts.digest },
        nextToken: token,
      }),
    );
    pages.push(page);
    token = page.nextToken;
  }
  return pages;
}

export async function scanGate(opts: GateOptions): Promise<Verdict> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = opts.log ?? (() => undefined);
  const deadline = now() + opts.timeoutMs;
  let last = 'not started';
  for (;;) {
    try {
      const first = await opts.ecr.send(
        new DescribeImageScanFindingsCommand({
          repositoryName: opts.repository,
          imageId: { imageDigest: opts.digest },
        }),
      );
      const status = first.imageScanStatus?.status ?? 'UNKNOWN';
      const verdict = judge(FINAL_OK.has(status) ? await allPages(opts, first) : [first], opts.failOn);
      if (verdict.kind !== 'wait') return verdict;
      last = verdict.status;
    } catch (err) {
      // The scan of a just-pushed image may not be registered yet: keep waiting until the deadline.
      if (errorName(err) !== 'ScanNotFoundException') throw err;
      last = 'ScanNotFoundException';
    }
    if (now() >= deadline) {
      return {
        kind: 'fail',
        reason: `no scan result within ${Math.round(opts.timeoutMs / 1000)} s (last: ${last}); is scan on push enabled for ${opts.repository}?`,
      };
    }
    log(`scan of ${opts.digest}: ${last}; waiting`);
    await sleep(Math.min(opts.pollMs, Math.max(0, deadline - now())));
  }
}

/** The digest of `tag`, or undefined when the tag does not exist. */
export async function digestOf(ecr: Ecr, repository: string, tag: string): Promise<string | undefined> {
  try {
    const out = await ecr.send(
      new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: tag }] }),
    );
    return out.imageDetails?.[0]?.imageDigest;
  } catch (err) {
    if (errorName(err) === 'ImageNotFoundException') return undefined;
    throw err;
  }
}

// ------------------------------------------------------------------ command line

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): { command: string; flags: Record<string, string> } {
  const [command, ...rest] = argv;
  if (command !== 'digest' && command !== 'scan-gate')
    throw new UsageError(`unknown command ${JSON.stringify(command ?? '')}; use digest or scan-gate`);
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i]!;
    const value = rest[i + 1];
    if (!name.startsWith('--') || value === undefined)
      throw new UsageError(`expected --flag value pairs, got ${JSON.stringify(name)}`);
    flags[name.slice(2)] = value;
  }
  const need = command === 'digest' ? ['repository', 'tag'] : ['repository', 'digest'];
  for (const n of need) if (!flags[n]) throw new UsageError(`${command}: --${n} is required`);
  if (flags['digest'] !== undefined && !/^sha256:[0-9a-f]{64}$/.test(flags['digest'])) {
    throw new UsageError(`--digest must be sha256:<64 hex> (got ${JSON.stringify(flags['digest'])})`);
  }
  for (const n of ['timeout-seconds', 'poll-seconds']) {
    if (flags[n] !== undefined && !/^[1-9]\d*$/.test(flags[n]))
      throw new UsageError(`--${n} must be a positive integer`);
  }
  const failOn = (flags['fail-on'] ?? 'CRITICAL').split(',');
  for (const s of failOn)
    if (!(SEVERITIES as readonly string[]).includes(s))
      throw new UsageError(`--fail-on: unknown severity ${s}`);
  return { command, flags };
}

function output(name: string, value: string): void {
  const file = process.env['GITHUB_OUTPUT'];
  if (file) appendFileSync(file, `${name}=${value}\n`);
  console.log(`${name}=${value}`);
}

export async function main(argv: readonly string[], ecr: Ecr = new ECRClient({})): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    console.error(`::error title=ecr-image: bad arguments::${(err as Error).message}`);
    return 2;
  }
  const { command, flags } = parsed;
  try {
    if (command === 'digest') {
      output('digest', (await digestOf(ecr, flags['repository']!, flags['tag']!)) ?? '');
      return 0;
    }
    const verdict = await scanGate({
      ecr,
      repository: flags['repository']!,
      digest: flags['digest']!,
      timeoutMs: Number(flags['timeout-seconds'] ?? 600) * 1000,
      pollMs: Number(flags['poll-seconds'] ?? 10) * 1000,
      failOn: (flags['fail-on'] ?? 'CRITICAL').split(',') as Severity[],
      log: (l) => console.log(l),
    });
    const counts = 'counts' in verdict && verdict.counts ? JSON.stringify(verdict.counts) : '{}';
    if (verdict.kind === 'fail') {
      console.error(
        `::error title=Image scan gate failed::${flags['repository']}@${flags['digest']}: ${verdict.reason}`,
      );
      output('findings', counts);
      return 1;
    }
    console.log(`scan ${verdict.kind === 'pass' ? verdict.status : ''}: ${counts}`);
    output('findings', counts);
    return 0;
  } catch (err) {
    console.error(`::error title=ECR call failed::${errorName(err) || 'Error'}: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
