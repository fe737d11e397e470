import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { portErrorKind, toPortError } from '../../../services/deployer/src/adapters/errors';
import { isRetryable } from '../../../services/deployer/src/core/retry';
import { PortError } from '../../../services/deployer/src/ports';
import { sdkError } from './fixtures/sdk-error';

describe('portErrorKind', () => {
  it.each([
    ['ThrottlingException', 400, 'throttled'],
    ['Throttling', 400, 'throttled'],
    ['TooManyRequestsException', 429, 'throttled'],
    ['RequestLimitExceeded', 503, 'throttled'],
    ['ProvisionedThroughputExceededException', 400, 'throttled'],
    ['ServiceNotFoundException', 400, 'not-found'],
    ['ClusterNotFoundException', 400, 'not-found'],
    ['TargetGroupNotFoundException', 400, 'not-found'],
    ['ParameterNotFound', 400, 'not-found'],
    ['ConditionalCheckFailedException', 400, 'conflict'],
    // DynamoDB: an ongoing transaction on the item — a race to retry, not a conflict (store lock-conflict tests)
    ['TransactionConflictException', 400, 'unavailable'],
    ['ServiceNotActiveException', 400, 'conflict'],
    ['ClientException', 400, 'invalid'],
    ['InvalidParameterException', 400, 'invalid'],
    ['AccessDeniedException', 400, 'invalid'],
    ['ExpiredTokenException', 400, 'invalid'],
    ['ServerException', 500, 'unavailable'],
    ['InternalServerError', 500, 'unavailable'],
    ['SomethingNew', 503, 'unavailable'],
    ['SomethingNew', 429, 'throttled'],
    ['SomethingNew', 404, 'not-found'],
    ['SomethingNew', 400, 'invalid'],
  ])('%s (HTTP %d) → %s', (name, status, kind) => {
    expect(portErrorKind(sdkError(name, 'm', status))).toBe(kind);
  });

  it('maps network failures to unavailable and unknown errors to internal', () => {
    expect(
      portErrorKind(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }),
      ),
    ).toBe('unavailable');
    expect(portErrorKind(new TypeError('x is undefined'))).toBe('internal');
    expect(portErrorKind(undefined)).toBe('internal');
  });
});

describe('toPortError', () => {
  it('says what was being done, keeps the AWS error as cause', () => {
    const cause = sdkError('ClusterNotFoundException', 'Cluster not found.');
    const e = toPortError(cause, 'ECS DescribeServices switchyard-dev/api-blue');
    expect(e).toBeInstanceOf(PortError);
    expect(e.message).toBe(
      'ECS DescribeServices switchyard-dev/api-blue: ClusterNotFoundException: Cluster not found.',
    );
    expect(e.cause).toBe(cause);
  });

  it('explains missing credentials', () => {
    const cause = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const e = toPortError(cause, 'ECS DescribeServices c/s');
    expect(e.kind).toBe('invalid');
    expect(e.message).toMatch(/no AWS credentials found/);
  });

  it('passes PortErrors through', () => {
    const p = new PortError('conflict', 'x');
    expect(toPortError(p, 'y')).toBe(p);
  });
});

describe('retryable = what the AWS SDK v3 treats as throttling or transient', () => {
  /** The SDK's own lists, read from the installed @smithy/core (its service-error-classification). */
  function sdkLists(): Record<string, string[]> {
    const root = dirname(require.resolve('@smithy/core/package.json'));
    const file = join(root, 'dist-es/submodules/retry/service-error-classification/constants.js');
    const text = readFileSync(file, 'utf8');
    const lists: Record<string, string[]> = {};
    for (const m of text.matchAll(/export const (\w+) = \[([^\]]*)\]/g)) {
      lists[m[1]!] = [...m[2]!.matchAll(/"([^"]+)"|(\d+)/g)].map((x) => x[1] ?? x[2]!);
    }
    return lists;
  }

  it('every SDK throttling code is throttled, every transient code and network code is unavailable', () => {
    const lists = sdkLists();
    expect(lists.THROTTLING_ERROR_CODES?.length).toBeGreaterThan(5);
    for (const name of lists.THROTTLING_ERROR_CODES!) {
      expect([name, portErrorKind(sdkError(name, 'm', 400))]).toEqual([name, 'throttled']);
    }
    for (const name of lists.TRANSIENT_ERROR_CODES!) {
      expect([name, portErrorKind(sdkError(name, 'm', 400))]).toEqual([name, 'unavailable']);
    }
    for (const status of lists.TRANSIENT_ERROR_STATUS_CODES!) {
      expect(portErrorKind(sdkError('SomethingNew', 'm', Number(status)))).toBe('unavailable');
    }
    const network = [...lists.NODEJS_TIMEOUT_ERROR_CODES!, ...lists.NODEJS_NETWORK_ERROR_CODES!];
    expect(network).toEqual(expect.arrayContaining(['EHOSTUNREACH', 'ENETUNREACH']));
    for (const code of network) {
      const e = Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
      expect([code, portErrorKind(e)]).toEqual([code, 'unavailable']);
    }
  });

  it.each(['EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ECONNRESET'])(
    '%s is unavailable (retryable), also when wrapped as the cause of another error',
    (code) => {
      const raw = Object.assign(new Error(`write ${code}`), { code });
      expect(portErrorKind(raw)).toBe('unavailable');
      expect(portErrorKind(Object.assign(new Error('request failed'), { cause: raw }))).toBe('unavailable');
      expect(isRetryable(toPortError(raw, 'elbv2:ModifyRule'))).toBe(true);
    },
  );

  it('a timeout of the request handler is unavailable; a clock-skew-corrected AccessDenied is retried, a plain one is not', () => {
    // @smithy/node-http-handler: requestTimeout → { name: 'TimeoutError', code: 'ETIMEDOUT' }
    const timeout = Object.assign(
      new Error('a request has exceeded the configured 10000 ms requestTimeout.'),
      {
        name: 'TimeoutError',
        code: 'ETIMEDOUT',
      },
    );
    expect(portErrorKind(timeout)).toBe('unavailable');
    const skew = sdkError('AccessDeniedException', 'Signature expired', 400);
    (skew as unknown as { $metadata: Record<string, unknown> }).$metadata.clockSkewCorrected = true;
    expect(portErrorKind(skew)).toBe('unavailable');
    expect(portErrorKind(sdkError('AccessDeniedException', 'no', 400))).toBe('invalid');
  });

  it('an aborted call (the SDK AbortError) is not retried and says why it was cancelled', () => {
    const abort = Object.assign(new Error('Request aborted'), {
      name: 'AbortError',
      cause: new Error('SIGINT'),
    });
    const e = toPortError(abort, 'ecs:DescribeServices');
    expect(e.kind).toBe('internal');
    expect(isRetryable(e)).toBe(false);
    expect(e.message).toBe(
      'ecs:DescribeServices: AbortError: Request aborted (SIGINT: the call was cancelled)',
    );
  });
});
