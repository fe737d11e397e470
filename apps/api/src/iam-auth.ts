/**
 * Short-lived IAM authentication tokens for RDS and ElastiCache: both are SigV4 *presigned* requests whose
 * URL (without the scheme) is used as the password. No AWS API call is made; the task role's credentials
 * (ECS container credentials) sign locally.
 *
 * - RDS: `GET https://<host>:<port>/?Action=connect&DBUser=<user>`, service `rds-db`, valid 15 minutes.
 *   AWS: "Each token has a lifetime of 15 minutes" (RDS User Guide, IAM database authentication). The
 *   request shape is the one @aws-sdk/rds-signer builds (Signer.getAuthToken, v3.1169.0).
 * - ElastiCache: `GET http://<replication group id>/?Action=connect&User=<user id>`, service
 *   `elasticache`, presigned for 900 s, the `http://` prefix removed.
 *   AWS: "The IAM authentication token is valid for 15 minutes"; the user id and user name of an
 *   IAM-enabled user must be identical (ElastiCache User Guide, Authenticating with IAM — Limitations,
 *   and its token-generation example).
 */
import { formatUrl } from '@aws-sdk/core/util';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** A credentials source such as `fromNodeProviderChain()` / `defaultProvider()` (memoized, refreshing). */
export type CredentialsProvider = (options?: { forceRefresh?: boolean }) => Promise<AwsCredentials>;

/** Tokens are valid 15 minutes. */
export const TOKEN_TTL_SECONDS = 900;

/**
 * Credentials that outlive the token: a token signed with credentials that expire earlier stops working
 * when they do, so near-expiry credentials are refreshed first (the same rule @aws-sdk/rds-signer applies).
 */
export function outlivingCredentials(
  provider: CredentialsProvider,
  now: () => number = Date.now,
): CredentialsProvider {
  return async () => {
    const creds = await provider();
    if (creds.expiration && creds.expiration.getTime() - now() < TOKEN_TTL_SECONDS * 1000) {
      try {
        const refreshed = await provider({ forceRefresh: true });
        if (!refreshed.expiration || refreshed.expiration.getTime() - now() >= TOKEN_TTL_SECONDS * 1000) {
          return refreshed;
        }
      } catch {
        // keep the current credentials: they are still valid now
      }
    }
    return creds;
  };
}

export interface SigningContext {
  readonly region: string;
  readonly credentials: CredentialsProvider;
  /** Signing time (tests pin it). @default now */
  readonly signingDate?: Date;
}

/** A SigV4 presign of `request` for `service`, valid 15 minutes, as a token: the URL without its scheme. */
async function presignedToken(request: HttpRequest, service: string, ctx: SigningContext): Promise<string> {
  const signer = new SignatureV4({
    service,
    region: ctx.region,
    credentials: ctx.credentials,
    sha256: Sha256,
  });
  const presigned = await signer.presign(request, {
    expiresIn: TOKEN_TTL_SECONDS,
    ...(ctx.signingDate ? { signingDate: ctx.signingDate } : {}),
  });
  return formatUrl(presigned).replace(/^https?:\/\//, '');
}

export function rdsAuthToken(
  target: { readonly host: string; readonly port: number; readonly user: string },
  ctx: SigningContext,
): Promise<string> {
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname: target.host,
    port: target.port,
    path: '/',
    query: { Action: 'connect', DBUser: target.user },
    headers: { host: `${target.host}:${target.port}` },
  });
  return presignedToken(request, 'rds-db', ctx);
}

export function elastiCacheAuthToken(
  target: { readonly cacheName: string; readonly user: string },
  ctx: SigningContext,
): Promise<string> {
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'http:',
    hostname: target.cacheName,
    path: '/',
    query: { Action: 'connect', User: target.user },
    headers: { host: target.cacheName },
  });
  return presignedToken(request, 'elasticache', ctx);
}
