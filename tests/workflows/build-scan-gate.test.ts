/**
 * .github/scripts/ecr-image.ts against a mocked ECR (aws-sdk-client-mock on a real ECRClient): the exact
 * requests, the documented scan statuses, the not-yet-registered scan, pagination, the timeout.
 */
import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandOutput,
  DescribeImagesCommand,
  ECRClient,
  ImageNotFoundException,
  ScanNotFoundException,
  type ScanStatus,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { digestOf, judge, main, parseArgs, scanGate } from '../../.github/scripts/ecr-image';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const ecrMock = mockClient(ECRClient);
const ecr = new ECRClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

/** A fake clock: sleeping advances time. */
function clock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), elapsed: () => t };
}

const status = (s: string, counts?: Record<string, number>): DescribeImageScanFindingsCommandOutput => ({
  $metadata: {},
  imageScanStatus: { status: s as ScanStatus },
  ...(counts ? { imageScanFindings: { findingSeverityCounts: counts } } : {}),
});

beforeEach(() => ecrMock.reset());

describe('scan gate', () => {
  const gate = (c = clock(), timeoutMs = 600_000) =>
    scanGate({
      ecr,
      repository: 'switchyard/api',
      digest: DIGEST,
      timeoutMs,
      pollMs: 10_000,
      failOn: ['CRITICAL'],
      ...c,
    });

  it('waits through a scan not registered yet and IN_PROGRESS, then passes a clean COMPLETE scan', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejectsOnce(new ScanNotFoundException({ message: 'not found', $metadata: {} }))
      .resolvesOnce(status('IN_PROGRESS'))
      .resolves(status('COMPLETE', { HIGH: 2, MEDIUM: 5 }));
    const c = clock();
    expect(await gate(c)).toEqual({ kind: 'pass', status: 'COMPLETE', counts: { HIGH: 2, MEDIUM: 5 } });
    expect(c.elapsed()).toBe(20_000);
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'switchyard/api',
      imageId: { imageDigest: DIGEST },
    });
  });

  it('fails on CRITICAL findings, naming the count', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(status('COMPLETE', { CRITICAL: 1, HIGH: 3 }));
    expect(await gate()).toEqual({
      kind: 'fail',
      reason: '1 CRITICAL finding(s)',
      counts: { CRITICAL: 1, HIGH: 3 },
    });
  });

  it('treats ACTIVE (enhanced scanning) as final and counts enhanced findings across pages', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand, {
        repositoryName: 'switchyard/api',
        imageId: { imageDigest: DIGEST },
      })
      .resolves({
        ...status('ACTIVE'),
        imageScanFindings: { enhancedFindings: [{ severity: 'HIGH' }] },
        nextToken: 'page-2',
      })
      .on(DescribeImageScanFindingsCommand, {
        repositoryName: 'switchyard/api',
        imageId: { imageDigest: DIGEST },
        nextToken: 'page-2',
      })
      .resolves({
        imageScanStatus: { status: 'ACTIVE' },
        imageScanFindings: { enhancedFindings: [{ severity: 'CRITICAL' }] },
      });
    expect(await gate()).toEqual({
      kind: 'fail',
      reason: '1 CRITICAL finding(s)',
      counts: { HIGH: 1, CRITICAL: 1 },
    });
  });

  it.each([
    'FAILED',
    'UNSUPPORTED_IMAGE',
    'FINDINGS_UNAVAILABLE',
    'SCAN_ELIGIBILITY_EXPIRED',
    'LIMIT_EXCEEDED',
  ])('fails closed on %s', async (s) => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolves({ imageScanStatus: { status: s as ScanStatus, description: 'why' } });
    const verdict = await gate();
    expect(verdict).toEqual({
      kind: 'fail',
      reason: `scan status ${s} (why): the image cannot be shown to be free of CRITICAL findings`,
    });
  });

  it('gives up at the timeout with what it last saw and how to fix it', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(new ScanNotFoundException({ message: 'nope', $metadata: {} }));
    const c = clock();
    expect(await gate(c, 60_000)).toEqual({
      kind: 'fail',
      reason:
        'no scan result within 60 s (last: ScanNotFoundException); is scan on push enabled for switchyard/api?',
    });
    expect(c.elapsed()).toBe(60_000);
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)).toHaveLength(7);
  });

  it('does not swallow other AWS errors', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(gate()).rejects.toThrow('denied');
  });

  it('judge: a status it does not know fails closed', () => {
    expect(
      judge([{ $metadata: {}, imageScanStatus: { status: 'SOMETHING_NEW' as never } }], ['CRITICAL']),
    ).toMatchObject({
      kind: 'fail',
    });
  });
});

describe('digest lookup (re-runs reuse the immutable tag)', () => {
  it('returns the digest of an existing tag', async () => {
    ecrMock
      .on(DescribeImagesCommand, { repositoryName: 'switchyard/api', imageIds: [{ imageTag: 'abc' }] })
      .resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    expect(await digestOf(ecr, 'switchyard/api', 'abc')).toBe(DIGEST);
  });

  it('returns undefined when the tag does not exist yet', async () => {
    ecrMock.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: 'no', $metadata: {} }));
    expect(await digestOf(ecr, 'switchyard/api', 'abc')).toBeUndefined();
  });
});

describe('command line', () => {
  it('validates its arguments (exit 2) before calling AWS', async () => {
    expect(() => parseArgs(['scan-gate', '--repository', 'r', '--digest', 'latest'])).toThrow(
      '--digest must be sha256:<64 hex> (got "latest")',
    );
    expect(() => parseArgs(['push'])).toThrow('unknown command "push"; use digest or scan-gate');
    expect(() => parseArgs(['digest', '--repository', 'r'])).toThrow('digest: --tag is required');
    expect(() =>
      parseArgs(['scan-gate', '--repository', 'r', '--digest', DIGEST, '--fail-on', 'SEVERE']),
    ).toThrow('--fail-on: unknown severity SEVERE');
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await main(['scan-gate', '--repository', 'r'], ecr)).toBe(2);
    expect(ecrMock.calls()).toHaveLength(0);
    errors.mockRestore();
  });

  it('exits 1 with an annotation when the gate fails, 0 when it passes', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const logs = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(status('COMPLETE', { CRITICAL: 2 }));
    expect(await main(['scan-gate', '--repository', 'switchyard/api', '--digest', DIGEST], ecr)).toBe(1);
    expect(errors.mock.calls[0]![0]).toBe(
      `::error title=Image scan gate failed::switchyard/api@${DIGEST}: 2 CRITICAL finding(s)`,
    );
    ecrMock.reset();
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(status('COMPLETE', {}));
    expect(await main(['scan-gate', '--repository', 'switchyard/api', '--digest', DIGEST], ecr)).toBe(0);
    errors.mockRestore();
    logs.mockRestore();
  });
});
