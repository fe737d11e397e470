/**
 * Maps AWS SDK v3 errors to `PortError` kinds so the core can tell a throttle (retry later) from a
 * missing resource (refuse) from a lost race (conflict) from anything else.
 *
 * Retryable = what the AWS SDK v3 itself treats as throttling or transient. Its lists live in
 * `@smithy/core` (node_modules/@smithy/core/dist-es/submodules/retry/service-error-classification/
 * constants.js, 3.41.0 here; formerly the package @smithy/service-error-classification):
 * THROTTLING_ERROR_CODES, TRANSIENT_ERROR_CODES, TRANSIENT_ERROR_STATUS_CODES (500/502/503/504),
 * NODEJS_TIMEOUT_ERROR_CODES (ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT) and NODEJS_NETWORK_ERROR_CODES
 * (EHOSTUNREACH, ENETUNREACH, ENOTFOUND, EAI_AGAIN); `isTransientError` also follows `cause` chains and
 * counts clock-skew-corrected errors and `$retryable` traits. tests/deployer/adapters/errors.test.ts reads
 * those constants from the installed SDK and fails if a code here is missing. ECONNABORTED is not on the
 * SDK's list; it is a connection the network dropped (Node/libuv: "software caused connection abort"),
 * so it is retryable here too: a restoring write must not give up on one dropped connection.
 */
import { PortError, type PortErrorKind } from '../ports';

/** @smithy/core THROTTLING_ERROR_CODES, plus service-specific spellings the SDK list lacks. */
export const THROTTLING_CODES: readonly string[] = [
  // the SDK's list
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
  // spellings of other services
  'RequestLimitExceededException',
];
const THROTTLED = new Set(THROTTLING_CODES);

/** @smithy/core TRANSIENT_ERROR_CODES. */
export const TRANSIENT_CODES: readonly string[] = [
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
];

/**
 * Node.js network error codes of a request that never got an answer: the SDK's
 * NODEJS_TIMEOUT_ERROR_CODES + NODEJS_NETWORK_ERROR_CODES, plus ECONNABORTED (see the file comment).
 */
export const NETWORK_ERROR_CODES: readonly string[] = [
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
];
const NETWORK_CODES = new Set(NETWORK_ERROR_CODES);

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
  // a cancelled transaction is a conflict unless the store sees a retryable reason (TransactionConflict,
  // ThrottlingError…) in its CancellationReasons (store/dynamodb-store.ts)
  'TransactionCanceledException',
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
]);

const UNAVAILABLE = new Set([
  ...TRANSIENT_CODES,
  'ServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'InternalServerErrorException',
  'InternalError',
  'InternalServiceException', // Application Auto Scaling
  'ConcurrentUpdateException', // Application Auto Scaling: another update of the target is pending; retry
  // DynamoDB: "Operation was rejected because there is an ongoing transaction for the item" — e.g. this
  // run's own heartbeat UpdateItem meeting its own TransactWriteItems on the lock item. A race, never a
  // lost lock (only a failed condition on the lock token is): retry.
  'TransactionConflictException',
]);

interface SdkErrorLike {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number; clockSkewCorrected?: boolean };
  $retryable?: { throttling?: boolean };
}

/** A network-level failure (no answer from the endpoint) somewhere in the error's cause chain. */
export function isNetworkError(err: unknown, depth = 0): boolean {
  const e = (err ?? {}) as SdkErrorLike;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'TimeoutError') return true;
  return e.cause !== undefined && depth < 10 && isNetworkError(e.cause, depth + 1);
}

/** Kind of an SDK (or network) error. */
export function portErrorKind(err: unknown): PortErrorKind {
  if (err instanceof PortError) return err.kind;
  const e = (err ?? {}) as SdkErrorLike;
  const name = e.name ?? '';
  // an aborted call (SIGINT/SIGTERM) is never retried; the SDK does not retry it either
  if (name === 'AbortError') return 'internal';
  if (THROTTLED.has(name) || e.$retryable?.throttling) return 'throttled';
  if (NOT_FOUND.has(name)) return 'not-found';
  if (CONFLICT.has(name)) return 'conflict';
  if (INVALID.has(name) && !e.$metadata?.clockSkewCorrected) return 'invalid';
  if (name === 'CredentialsProviderError') return 'invalid';
  if (UNAVAILABLE.has(name) || isNetworkError(err)) return 'unavailable';
  // the SDK's isTransientError: a modeled $retryable trait or a request re-signed after clock skew
  if (e.$retryable !== undefined || e.$metadata?.clockSkewCorrected) return 'unavailable';
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
  const cause = e.cause instanceof Error ? e.cause.message : undefined;
  const detail =
    (e.message ?? String(err)) +
    (name === 'AbortError: ' && cause ? ` (${cause}: the call was cancelled)` : '');
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
