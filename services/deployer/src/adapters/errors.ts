/**
 * Maps AWS SDK v3 errors to `PortError` kinds so the core can tell a throttle (retry later) from a
 * missing resource (refuse) from a lost race (conflict) from anything else.
 */
import { PortError, type PortErrorKind } from '../ports';

const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceededException',
  'SlowDown',
]);

const NOT_FOUND = new Set([
  'ServiceNotFoundException',
  'ClusterNotFoundException',
  'TargetGroupNotFoundException',
  'TargetGroupNotFound',
  'RuleNotFoundException',
  'RuleNotFound',
  'ListenerNotFoundException',
  'ListenerNotFound',
  'LoadBalancerNotFoundException',
  'LoadBalancerNotFound',
  'RepositoryNotFoundException',
  'ImageNotFoundException',
  'ParameterNotFound',
  'ParameterVersionNotFound',
  'ResourceNotFoundException',
  'ResourceNotFound',
  'ObjectNotFoundException', // Application Auto Scaling
]);

const CONFLICT = new Set([
  'ConditionalCheckFailedException',
  'TransactionCanceledException',
  'TransactionConflictException',
  'ServiceNotActiveException',
  'UpdateInProgressException',
  'ResourceInUseException',
  'PriorityInUseException',
  'PriorityInUse',
]);

const INVALID = new Set([
  'ValidationException',
  'ValidationError',
  'InvalidParameterException',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidParameterCombination',
  'ClientException',
  'InvalidConfigurationRequestException',
  'InvalidConfigurationRequest',
  'InvalidLoadBalancerActionException',
  'InvalidLoadBalancerAction',
  'IncompatibleProtocolsException',
  'TooManyTargetsException',
  'TooManyActionsException',
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'ExpiredToken',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
  'FailedResourceAccessException', // Application Auto Scaling could not read/update the ECS service or alarms
  'LimitExceededException',
]);

const UNAVAILABLE = new Set([
  'ServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'InternalServerErrorException',
  'InternalError',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalServiceException', // Application Auto Scaling
  'ConcurrentUpdateException', // Application Auto Scaling: another update of the target is pending; retry
]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

interface SdkErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** Kind of an SDK (or network) error. */
export function portErrorKind(err: unknown): PortErrorKind {
  if (err instanceof PortError) return err.kind;
  const e = (err ?? {}) as SdkErrorLike;
  const name = e.name ?? '';
  if (THROTTLED.has(name) || e.$retryable?.throttling) return 'throttled';
  if (NOT_FOUND.has(name)) return 'not-found';
  if (CONFLICT.has(name)) return 'conflict';
  if (INVALID.has(name) || name === 'CredentialsProviderError') return 'invalid';
  if (UNAVAILABLE.has(name) || (e.code && NETWORK_CODES.has(e.code))) return 'unavailable';
  const status = e.$metadata?.httpStatusCode;
  if (status === 429) return 'throttled';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status !== undefined && status >= 500) return 'unavailable';
  if (status === 400 || status === 403) return 'invalid';
  return 'internal';
}

/**
 * Wraps an SDK error as a PortError whose message says what was being done:
 * `<what>: <ErrorName>: <AWS message>`. PortErrors pass through unchanged.
 */
export function toPortError(err: unknown, what: string): PortError {
  if (err instanceof PortError) return err;
  const e = (err ?? {}) as SdkErrorLike;
  const name = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
  const detail = e.message ?? String(err);
  const hint =
    e.name === 'CredentialsProviderError'
      ? ' (no AWS credentials found: configure a profile, environment variables or an OIDC role)'
      : '';
  return new PortError(portErrorKind(err), `${what}: ${name}${detail}${hint}`, err);
}

/** Runs one SDK call and maps any failure with `toPortError`. */
export async function aws<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toPortError(err, what);
  }
}

/** The error's SDK name (e.g. `ConditionalCheckFailedException`), or ''. */
export function errorName(err: unknown): string {
  return ((err ?? {}) as SdkErrorLike).name ?? '';
}
