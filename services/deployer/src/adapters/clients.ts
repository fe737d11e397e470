/**
 * AWS SDK v3 client factory for the deployer.
 *
 * - Credentials: the SDK's standard provider chain (environment, SSO / shared config profile, web
 *   identity — what `aws-actions/configure-aws-credentials` sets up in GitHub Actions —, container
 *   and instance metadata). Nothing here reads or logs a secret.
 * - Region: from the caller (topology / `--region`), else the SDK chain (`AWS_REGION`, profile).
 * - Retries: `adaptive` mode (client-side rate limiting on throttles) with 3 attempts, unless
 *   `AWS_RETRY_MODE` / `AWS_MAX_ATTEMPTS` are set, in which case the SDK reads them.
 * - Timeouts: every client gets a request handler (NodeHttpHandler) with a connection timeout
 *   (DEFAULT_CONNECTION_TIMEOUT_MS) and a request timeout that fails the request (throwOnRequestTimeout;
 *   without it @smithy/node-http-handler only logs a warning) — an endpoint that never answers costs one
 *   timeout per attempt, not forever. While the run is stopping (`control.stopping()`, after SIGINT/SIGTERM)
 *   each request gets STOPPING_REQUEST_TIMEOUT_MS, so a restoring write on a dead connection is retried on
 *   a fresh one inside GitHub's 10 s cancel window (SIGINT, SIGTERM 7.5 s later, kill 2.5 s after that).
 * - Abort: `control.signal()` is passed to every request as its abortSignal (merged with the caller's),
 *   so SIGINT cancels calls in flight (the SDK does not retry an AbortError); the CLI swaps in a fresh
 *   signal for the restore that follows (cli/interrupts.ts).
 * - Tracking: `tracker` sees each call start and end (client + command) and counts answers from AWS, so
 *   the CLI can say what is in flight and tell "never reached AWS" (a refusal) from a failure mid-run.
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
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { CallControl, CallTracker } from '../calls';

export { type CallControl, CallTracker } from '../calls';

/**
 * Default attempts per call (first try + retries) in adaptive retry mode. Kept small on purpose: the
 * core retries throttled/unavailable PortErrors itself with its own budget (core/retry.ts), and the
 * two layers multiply; the SDK layer only smooths short blips and rate-limits the client.
 */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** TCP (+TLS) connection set-up; AWS regional endpoints answer in well under a second. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 3_000;
/**
 * From sending a request to its response headers (and socket inactivity after that). The control-plane
 * calls the deployer makes (ECS, ELB, CloudWatch, DynamoDB, SSM) answer in about a second.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Per request once the run is stopping: leaves room for retries inside GitHub's 10 s cancel window. */
export const STOPPING_REQUEST_TIMEOUT_MS = 3_000;

/** Service-specific endpoint variables the SDK reads for each client (plus the generic `AWS_ENDPOINT_URL`). */
export const ENDPOINT_URL_ENV = {
  ecs: 'AWS_ENDPOINT_URL_ECS',
  elbv2: 'AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2',
  cloudwatch: 'AWS_ENDPOINT_URL_CLOUDWATCH',
  ecr: 'AWS_ENDPOINT_URL_ECR',
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  ssm: 'AWS_ENDPOINT_URL_SSM',
  autoscaling: 'AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING',
  sns: 'AWS_ENDPOINT_URL_SNS',
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
  /** @default DEFAULT_CONNECTION_TIMEOUT_MS */
  readonly connectionTimeoutMs?: number;
  /** @default DEFAULT_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** Abort signal and stopping state of the run (the CLI's). @default none: calls are not aborted */
  readonly control?: CallControl;
  /** Records calls in flight and answers. @default none */
  readonly tracker?: CallTracker;
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

type HandleArgs = Parameters<NodeHttpHandler['handle']>;

/**
 * NodeHttpHandler with the run's abort signal merged into every request and a shorter request timeout
 * while the run is stopping; counts the answers it receives.
 */
export class ControlledHttpHandler extends NodeHttpHandler {
  constructor(
    options: ConstructorParameters<typeof NodeHttpHandler>[0],
    private readonly control?: CallControl,
    private readonly tracker?: CallTracker,
  ) {
    super(options);
  }

  override async handle(request: HandleArgs[0], options: HandleArgs[1] = {}) {
    const run = this.control?.signal();
    const own = options.abortSignal as AbortSignal | undefined;
    const abortSignal = run && own ? AbortSignal.any([run, own]) : (run ?? own);
    const res = await super.handle(request, {
      ...options,
      ...(abortSignal ? { abortSignal } : {}),
      ...(this.control?.stopping() && options.requestTimeout === undefined
        ? { requestTimeout: STOPPING_REQUEST_TIMEOUT_MS }
        : {}),
    });
    if (this.tracker) this.tracker.answered++;
    return res;
  }
}

/** The request handler every client gets (timeouts, abort signal, answer count). */
export function requestHandler(options: AwsClientOptions = {}): ControlledHttpHandler {
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return new ControlledHttpHandler(
    {
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout,
      socketTimeout: requestTimeout,
      throwOnRequestTimeout: true,
    },
    options.control,
    options.tracker,
  );
}

interface TrackableClient {
  readonly middlewareStack: {
    add(
      mw: (
        next: (args: unknown) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/** Adds the tracker's begin/end around every command (retries included) of `client`. */
function tracked<C>(client: C, tracker: CallTracker | undefined): C {
  if (!tracker) return client;
  (client as unknown as TrackableClient).middlewareStack.add(
    (next, context) => async (args) => {
      const what = `${(context.clientName ?? 'AWS').replace(/Client$/, '')} ${(context.commandName ?? 'call').replace(/Command$/, '')}`;
      const id = tracker.begin(what);
      try {
        const out = await next(args);
        tracker.end(id, true);
        return out;
      } catch (e) {
        tracker.end(id, false);
        throw e;
      }
    },
    { step: 'initialize', name: 'switchyardCallTracker' },
  );
  return client;
}

/** A client of any SDK v3 package with the common configuration (adapters/sns.ts creates its own with it). */
export function build<C>(Ctor: new (config: never) => C, o: AwsClientOptions = {}): C {
  const config = { ...commonClientConfig(o), requestHandler: requestHandler(o) };
  return tracked(new Ctor(config as never), o.tracker);
}

export const createEcsClient = (o?: AwsClientOptions) => build(ECSClient, o);
export const createElbv2Client = (o?: AwsClientOptions) => build(ElasticLoadBalancingV2Client, o);
export const createCloudWatchClient = (o?: AwsClientOptions) => build(CloudWatchClient, o);
export const createEcrClient = (o?: AwsClientOptions) => build(ECRClient, o);
export const createDynamoDbClient = (o?: AwsClientOptions) => build(DynamoDBClient, o);
export const createSsmClient = (o?: AwsClientOptions) => build(SSMClient, o);
export const createAutoScalingClient = (o?: AwsClientOptions) => build(ApplicationAutoScalingClient, o);

/** One client per service, all with the same region, retry, timeout, abort and credential settings. */
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

/** What the deployer needs to know of the credentials before it starts. */
export interface CredentialsLifetime {
  /**
   * When the credentials stop working and the SDK cannot renew them: static environment credentials
   * (`AWS_ACCESS_KEY_ID` … — what aws-actions/configure-aws-credentials exports) with an expiry
   * (`AWS_CREDENTIAL_EXPIRATION`, read by the SDK's fromEnv provider as `expiration`). Undefined when
   * unknown, or when the SDK refreshes them itself (SSO, web identity file, container/instance metadata:
   * their `expiration` is only the next refresh).
   */
  readonly hardExpiresAt?: number;
}

interface CredentialSource {
  readonly config: {
    credentials: () => Promise<AwsCredentialIdentity & { $source?: Record<string, unknown> }>;
  };
}

/**
 * Resolves the client's credentials once (through the SDK's chain; cached by the SDK for the calls that
 * follow). Throws the SDK's error (CredentialsProviderError) when there are none.
 */
export async function resolveCredentials(client: CredentialSource): Promise<CredentialsLifetime> {
  const c = await client.config.credentials();
  const fromEnv = c.$source?.CREDENTIALS_ENV_VARS !== undefined;
  const at = c.expiration?.getTime();
  return fromEnv && at !== undefined && Number.isFinite(at) ? { hardExpiresAt: at } : {};
}

/** The region the SDK chain resolves for `client` (flag, AWS_REGION, profile), or undefined. */
export async function resolveRegion(client: { readonly config: { region: () => Promise<string> } }) {
  try {
    return await client.config.region();
  } catch {
    return undefined;
  }
}
