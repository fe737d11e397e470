/**
 * AWS SDK v3 client factory for the deployer.
 *
 * - Credentials: the SDK's standard provider chain (environment, SSO / shared config profile, web
 *   identity — what `aws-actions/configure-aws-credentials` sets up in GitHub Actions —, container
 *   and instance metadata). Nothing here reads or logs a secret.
 * - Region: from the caller (topology / `--region`), else the SDK chain (`AWS_REGION`, profile).
 * - Retries: `adaptive` mode (client-side rate limiting on throttles) with 3 attempts, unless
 *   `AWS_RETRY_MODE` / `AWS_MAX_ATTEMPTS` are set, in which case the SDK reads them.
 * - Endpoints: SDK v3 at this version already honours `AWS_ENDPOINT_URL` and the per-service
 *   `AWS_ENDPOINT_URL_<SERVICE_ID>` variables (and `endpoint_url` in the shared config file; see
 *   `@smithy/core` `getEndpointUrlConfig`), so this factory does NOT set `endpoint` itself — doing so
 *   would override the service-specific variables. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` turns
 *   them off. Variable names per client are listed in `ENDPOINT_URL_ENV`.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

/**
 * Default attempts per call (first try + retries) in adaptive retry mode. Kept small on purpose: the
 * core retries throttled/unavailable PortErrors itself with its own budget (core/retry.ts), and the
 * two layers multiply; the SDK layer only smooths short blips and rate-limits the client.
 */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** Service-specific endpoint variables the SDK reads for each client (plus the generic `AWS_ENDPOINT_URL`). */
export const ENDPOINT_URL_ENV = {
  ecs: 'AWS_ENDPOINT_URL_ECS',
  elbv2: 'AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2',
  cloudwatch: 'AWS_ENDPOINT_URL_CLOUDWATCH',
  ecr: 'AWS_ENDPOINT_URL_ECR',
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  ssm: 'AWS_ENDPOINT_URL_SSM',
  autoscaling: 'AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING',
} as const;

export interface AwsClientOptions {
  /**
   * AWS region of the environment.
   * @default the SDK chain: `AWS_REGION`, then the shared config profile
   */
  readonly region?: string;
  /**
   * Attempts per API call (first try included).
   * @default `AWS_MAX_ATTEMPTS` when set, else 3
   */
  readonly maxAttempts?: number;
  /**
   * Retry mode.
   * @default `AWS_RETRY_MODE` when set, else 'adaptive'
   */
  readonly retryMode?: 'adaptive' | 'standard' | 'legacy';
  /**
   * Credentials or a provider (tests pass static fake ones).
   * @default the SDK's standard credential provider chain
   */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * Process environment consulted for the retry defaults (tests pass their own).
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
}

/** The configuration every client gets. Exported for tests and for anyone creating an extra client. */
export interface CommonClientConfig {
  region?: string;
  maxAttempts?: number;
  retryMode?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  customUserAgent: string;
}

export function commonClientConfig(options: AwsClientOptions = {}): CommonClientConfig {
  const env = options.env ?? process.env;
  if (
    options.maxAttempts !== undefined &&
    (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1)
  ) {
    throw new Error(`maxAttempts must be a positive integer (got ${options.maxAttempts})`);
  }
  const config: CommonClientConfig = { customUserAgent: 'switchyard' };
  if (options.region) config.region = options.region;
  // Leave undefined when the user set the variable, so the SDK's own env handling applies.
  const maxAttempts = options.maxAttempts ?? (env.AWS_MAX_ATTEMPTS ? undefined : DEFAULT_MAX_ATTEMPTS);
  if (maxAttempts !== undefined) config.maxAttempts = maxAttempts;
  const retryMode = options.retryMode ?? (env.AWS_RETRY_MODE ? undefined : 'adaptive');
  if (retryMode !== undefined) config.retryMode = retryMode;
  if (options.credentials) config.credentials = options.credentials;
  return config;
}

export interface AwsClients {
  readonly ecs: ECSClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly ecr: ECRClient;
  readonly dynamodb: DynamoDBClient;
  readonly ssm: SSMClient;
  /**
   * Application Auto Scaling (the scaling floor). Optional so that callers building `AwsClients` by
   * hand keep compiling; `createAwsPorts` then creates one with the same options.
   */
  readonly autoscaling?: ApplicationAutoScalingClient;
}

export const createEcsClient = (o?: AwsClientOptions) => new ECSClient(commonClientConfig(o));
export const createElbv2Client = (o?: AwsClientOptions) =>
  new ElasticLoadBalancingV2Client(commonClientConfig(o));
export const createCloudWatchClient = (o?: AwsClientOptions) => new CloudWatchClient(commonClientConfig(o));
export const createEcrClient = (o?: AwsClientOptions) => new ECRClient(commonClientConfig(o));
export const createDynamoDbClient = (o?: AwsClientOptions) => new DynamoDBClient(commonClientConfig(o));
export const createSsmClient = (o?: AwsClientOptions) => new SSMClient(commonClientConfig(o));
export const createAutoScalingClient = (o?: AwsClientOptions) =>
  new ApplicationAutoScalingClient(commonClientConfig(o));

/** One client per service, all with the same region, retry and credential settings. */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  return {
    ecs: createEcsClient(options),
    elbv2: createElbv2Client(options),
    cloudwatch: createCloudWatchClient(options),
    ecr: createEcrClient(options),
    dynamodb: createDynamoDbClient(options),
    ssm: createSsmClient(options),
    autoscaling: createAutoScalingClient(options),
  };
}
