/**
 * The service's settings, read once from the environment the platform injects (stacks/runtime.ts puts
 * them in the task definition; ECS adds AWS_REGION). Pure: `loadConfig(env)` returns either a config or
 * every problem, one line each, so a task started with a broken environment says exactly what is wrong
 * and exits non-zero (the ECS deployment circuit breaker then stops the rollout).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface DatabaseSettings {
  /** RDS endpoint host (`DATABASE_HOST`). */
  readonly host: string;
  /** `DATABASE_PORT`. @default 5432 */
  readonly port: number;
  /** `DATABASE_NAME`. */
  readonly database: string;
  /** The IAM-authenticated user (`DATABASE_USER`, `rds-db:connect` on the task role). */
  readonly user: string;
}

export type CacheAuth =
  /** IAM through an ElastiCache RBAC user (authMode rbac): user id + replication group id to sign for. */
  | { readonly kind: 'iam'; readonly user: string; readonly cacheName: string }
  /** AUTH token injected from Secrets Manager (authMode secrets-manager). */
  | { readonly kind: 'token'; readonly token: string };

export interface CacheSettings {
  /** Primary endpoint (`CACHE_HOST`). */
  readonly host: string;
  /** `CACHE_PORT`. @default 6379 */
  readonly port: number;
  /** `CACHE_TLS`; IAM authentication requires it. @default true */
  readonly tls: boolean;
  readonly auth: CacheAuth;
}

export interface Config {
  /** `PORT`: the container port the ALB reaches. @default 8080 (environments/*.yaml containerPort) */
  readonly port: number;
  /** `AWS_REGION` (set by ECS), else `AWS_DEFAULT_REGION`. */
  readonly region: string;
  /** `LOG_LEVEL`. @default info */
  readonly logLevel: LogLevel;
  /**
   * `SHUTDOWN_TIMEOUT_SECONDS`: after SIGTERM, how long in-flight requests may take before connections are
   * cut. Must stay below the container's stopTimeout (Fargate default 30 s) so SIGKILL never lands while
   * pools close. @default 25
   */
  readonly shutdownTimeoutMs: number;
  /**
   * `KEEP_ALIVE_TIMEOUT_SECONDS`: idle keep-alive timeout of the HTTP server. Must exceed the ALB idle
   * timeout (alb.idleTimeoutSeconds, default 60) or the ALB may reuse a connection the app just closed
   * and answer 502. @default 65
   */
  readonly keepAliveTimeoutMs: number;
  /** `READINESS_TIMEOUT_MS`: budget of each readiness check. @default 2000 */
  readonly readinessTimeoutMs: number;
  /** `APP_REVISION`: the git commit the image was built from (baked in by the Dockerfile). */
  readonly revision: string;
  readonly database: DatabaseSettings;
  readonly cache: CacheSettings;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly problems: readonly string[] };

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Variables whose values are secret: problems name them but never echo their value. */
const SECRET_VARS = new Set(['CACHE_AUTH_TOKEN']);

export function loadConfig(env: Env): ConfigResult {
  const problems: string[] = [];
  const show = (name: string, value: string) => (SECRET_VARS.has(name) ? '(hidden)' : JSON.stringify(value));

  const required = (name: string, hint: string): string => {
    const value = env[name]?.trim();
    if (!value) {
      problems.push(`${name}: required (${hint})`);
      return '';
    }
    return value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name}: must be an integer ${min}-${max} (got ${show(name, raw)})`);
      return fallback;
    }
    return Number(raw);
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    problems.push(`${name}: must be "true" or "false" (got ${JSON.stringify(env[name])})`);
    return fallback;
  };

  const port = integer('PORT', 8080, 1, 65535);
  const region = env['AWS_REGION']?.trim() || env['AWS_DEFAULT_REGION']?.trim() || '';
  if (!region)
    problems.push('AWS_REGION: required (ECS sets it in every task; set it when running elsewhere)');
  const levelRaw = (env['LOG_LEVEL'] ?? 'info').trim().toLowerCase();
  const logLevel = (LOG_LEVELS as readonly string[]).includes(levelRaw) ? (levelRaw as LogLevel) : 'info';
  if (logLevel !== levelRaw) {
    problems.push(
      `LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(env['LOG_LEVEL'])})`,
    );
  }
  const shutdownTimeoutMs = integer('SHUTDOWN_TIMEOUT_SECONDS', 25, 1, 115) * 1000;
  const keepAliveTimeoutMs = integer('KEEP_ALIVE_TIMEOUT_SECONDS', 65, 1, 4000) * 1000;
  const readinessTimeoutMs = integer('READINESS_TIMEOUT_MS', 2000, 100, 30000);

  const database: DatabaseSettings = {
    host: required('DATABASE_HOST', 'the RDS endpoint, injected by the platform'),
    port: integer('DATABASE_PORT', 5432, 1, 65535),
    database: required('DATABASE_NAME', 'injected by the platform from database.databaseName'),
    user: required('DATABASE_USER', 'the IAM database user, injected from database.appUsername'),
  };

  const cacheHost = required('CACHE_HOST', 'the cache primary endpoint, injected by the platform');
  const cachePort = integer('CACHE_PORT', 6379, 1, 65535);
  const tls = bool('CACHE_TLS', true);
  const cacheUser = env['CACHE_USER']?.trim();
  const cacheName = env['CACHE_NAME']?.trim();
  const token = env['CACHE_AUTH_TOKEN'];
  let auth: CacheAuth = { kind: 'token', token: '' };
  if (cacheUser && token) {
    problems.push('CACHE_USER and CACHE_AUTH_TOKEN: set one (IAM user or AUTH token), not both');
  } else if (cacheUser) {
    if (!cacheName) {
      problems.push(
        'CACHE_NAME: required with CACHE_USER (the replication group id the IAM token is signed for)',
      );
    }
    // AWS: "IAM authentication requires in-transit encryption (TLS) to be enabled" (ElastiCache, Authenticating with IAM, Limitations)
    if (!tls) problems.push('CACHE_TLS: must be "true" with CACHE_USER (IAM authentication requires TLS)');
    auth = { kind: 'iam', user: cacheUser, cacheName: cacheName ?? '' };
  } else if (token) {
    auth = { kind: 'token', token };
  } else {
    problems.push(
      'CACHE_USER or CACHE_AUTH_TOKEN: one is required (the platform injects CACHE_USER in rbac mode)',
    );
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      port,
      region,
      logLevel,
      shutdownTimeoutMs,
      keepAliveTimeoutMs,
      readinessTimeoutMs,
      revision: env['APP_REVISION']?.trim() || 'unknown',
      database,
      cache: { host: cacheHost, port: cachePort, tls, auth },
    },
  };
}
