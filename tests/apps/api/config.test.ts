import { loadConfig } from '../../../apps/api/src/config';

/** What stacks/runtime.ts injects for an rbac-mode environment, plus AWS_REGION from ECS. */
const PLATFORM_ENV = {
  AWS_REGION: 'eu-west-1',
  DATABASE_HOST: 'switchyard-dev-db.abc.eu-west-1.rds.amazonaws.com',
  DATABASE_PORT: '5432',
  DATABASE_NAME: 'app',
  DATABASE_USER: 'app',
  CACHE_HOST: 'master.switchyard-dev.abc.euw1.cache.amazonaws.com',
  CACHE_PORT: '6379',
  CACHE_TLS: 'true',
  CACHE_USER: 'switchyard-dev-app',
  CACHE_NAME: 'switchyard-dev',
  LOG_LEVEL: 'debug',
};

describe('loadConfig', () => {
  it('reads the settings the platform injects (rbac mode) with the documented defaults', () => {
    const result = loadConfig(PLATFORM_ENV);
    expect(result).toEqual({
      ok: true,
      config: {
        port: 8080,
        region: 'eu-west-1',
        logLevel: 'debug',
        shutdownTimeoutMs: 25_000,
        keepAliveTimeoutMs: 65_000,
        readinessTimeoutMs: 2000,
        revision: 'unknown',
        database: { host: PLATFORM_ENV.DATABASE_HOST, port: 5432, database: 'app', user: 'app' },
        cache: {
          host: PLATFORM_ENV.CACHE_HOST,
          port: 6379,
          tls: true,
          auth: { kind: 'iam', user: 'switchyard-dev-app', cacheName: 'switchyard-dev' },
        },
      },
    });
  });

  it('accepts the secrets-manager mode (AUTH token injected as a secret)', () => {
    const { CACHE_USER: _u, CACHE_NAME: _n, ...rest } = PLATFORM_ENV;
    const result = loadConfig({ ...rest, CACHE_AUTH_TOKEN: 'tok-123' });
    expect(result.ok && result.config.cache.auth).toEqual({ kind: 'token', token: 'tok-123' });
  });

  it('falls back to AWS_DEFAULT_REGION', () => {
    const { AWS_REGION: _r, ...rest } = PLATFORM_ENV;
    const result = loadConfig({ ...rest, AWS_DEFAULT_REGION: 'eu-central-1' });
    expect(result.ok && result.config.region).toBe('eu-central-1');
  });

  it('lists every problem, one line each, naming the variable', () => {
    const result = loadConfig({ PORT: '99999', LOG_LEVEL: 'loud', CACHE_TLS: 'yes' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      'PORT: must be an integer 1-65535 (got "99999")',
      'AWS_REGION: required (ECS sets it in every task; set it when running elsewhere)',
      'LOG_LEVEL: must be one of debug, info, warn, error (got "loud")',
      'DATABASE_HOST: required (the RDS endpoint, injected by the platform)',
      'DATABASE_NAME: required (injected by the platform from database.databaseName)',
      'DATABASE_USER: required (the IAM database user, injected from database.appUsername)',
      'CACHE_HOST: required (the cache primary endpoint, injected by the platform)',
      'CACHE_TLS: must be "true" or "false" (got "yes")',
      'CACHE_USER or CACHE_AUTH_TOKEN: one is required (the platform injects CACHE_USER in rbac mode)',
    ]);
  });

  it('IAM cache authentication needs the replication group id and TLS', () => {
    const { CACHE_NAME: _n, ...rest } = PLATFORM_ENV;
    const result = loadConfig({ ...rest, CACHE_TLS: 'false' });
    expect(!result.ok && result.problems).toEqual([
      'CACHE_NAME: required with CACHE_USER (the replication group id the IAM token is signed for)',
      'CACHE_TLS: must be "true" with CACHE_USER (IAM authentication requires TLS)',
    ]);
  });

  it('refuses both cache credentials at once and never echoes the token', () => {
    const result = loadConfig({ ...PLATFORM_ENV, CACHE_AUTH_TOKEN: 'super-secret-token' });
    expect(!result.ok && result.problems).toEqual([
      'CACHE_USER and CACHE_AUTH_TOKEN: set one (IAM user or AUTH token), not both',
    ]);
    expect(JSON.stringify(result)).not.toContain('super-secret-token');
  });

  it('keeps the shutdown budget below the Fargate stopTimeout ceiling (120 s) and takes overrides', () => {
    expect(loadConfig({ ...PLATFORM_ENV, SHUTDOWN_TIMEOUT_SECONDS: '120' }).ok).toBe(false);
    const result = loadConfig({
      ...PLATFORM_ENV,
      SHUTDOWN_TIMEOUT_SECONDS: '50',
      KEEP_ALIVE_TIMEOUT_SECONDS: '125',
      PORT: '3000',
      APP_REVISION: 'abc123',
    });
    expect(result.ok && result.config).toMatchObject({
      shutdownTimeoutMs: 50_000,
      keepAliveTimeoutMs: 125_000,
      port: 3000,
      revision: 'abc123',
    });
  });
});
