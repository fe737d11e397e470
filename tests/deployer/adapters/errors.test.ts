import { portErrorKind, toPortError } from '../../../services/deployer/src/adapters/errors';
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
