import { X509Certificate } from 'node:crypto';
import { createDatabase, poolConfig, rdsTls } from '../../../apps/api/src/db';
import { FakePostgres } from './fakes';

const SETTINGS = { host: '127.0.0.1', port: 0, database: 'app', user: 'app' };

let server: FakePostgres;
let signed = 0;
const token = async () => `iam-token-${++signed}`;

beforeEach(async () => {
  signed = 0;
  server = await new FakePostgres((password) => password.startsWith('iam-token-')).start();
});
afterEach(() => server.stop());

describe('database readiness client', () => {
  it('connects as the IAM user with a freshly signed token as password and runs SELECT 1', async () => {
    const db = createDatabase({ settings: { ...SETTINGS, port: server.port }, token, ssl: false });
    await db.check();
    expect(server.startups).toEqual([{ user: 'app', database: 'app', application_name: 'switchyard-api' }]);
    expect(server.passwords).toEqual(['iam-token-1']);
    expect(server.queries).toEqual(['SELECT 1 AS ok']);
    await db.close();
  });

  it('signs one token per new connection (tokens expire after 15 minutes; sessions do not)', async () => {
    const db = createDatabase({ settings: { ...SETTINGS, port: server.port }, token, ssl: false });
    await Promise.all([db.check(), db.check(), db.check()]);
    expect(server.passwords.length).toBeGreaterThanOrEqual(2);
    expect(new Set(server.passwords).size).toBe(server.passwords.length);
    expect(signed).toBe(server.passwords.length);
    await db.check();
    expect(signed).toBe(server.passwords.length); // a pooled connection is reused without a new token
    await db.close();
  });

  it('surfaces a refused token as SQLSTATE 28P01 without the token in the error', async () => {
    const db = createDatabase({
      settings: { ...SETTINGS, port: server.port },
      token: async () => 'expired-token',
      ssl: false,
    });
    const err = (await db.check().catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.code).toBe('28P01');
    expect(err.message).toBe('password authentication failed for user "app"');
    expect(err.message).not.toContain('expired-token');
    await db.close();
  });

  it('requires TLS by default: a server without SSL is refused before any password is sent', async () => {
    const db = createDatabase({ settings: { ...SETTINGS, host: 'localhost', port: server.port }, token });
    await expect(db.check()).rejects.toThrow(/does not support SSL/);
    expect(server.passwords).toEqual([]);
    expect(signed).toBe(0);
    await db.close();
  });

  it('closes the pool once', async () => {
    const db = createDatabase({ settings: { ...SETTINGS, port: server.port }, token, ssl: false });
    await db.check();
    await db.close();
    await db.close();
    await expect(db.check()).rejects.toThrow();
  });
});

describe('database TLS settings', () => {
  it('verify the server against the Amazon RDS CA bundle, with SNI, TLS 1.2+', () => {
    const tls = rdsTls('switchyard-dev-db.abc.eu-west-1.rds.amazonaws.com');
    expect(tls).toMatchObject({
      rejectUnauthorized: true,
      servername: 'switchyard-dev-db.abc.eu-west-1.rds.amazonaws.com',
      minVersion: 'TLSv1.2',
    });
    const subjects = (tls.ca as string[]).map((pem) => new X509Certificate(pem).subject);
    // rds-ca-rsa2048-g1, the default CA of new RDS instances
    expect(subjects.some((s) => s.includes('CN=Amazon RDS eu-west-1 Root CA RSA2048 G1'))).toBe(true);
  });

  it('are the pool default, and the password is a function (called per connection)', () => {
    const cfg = poolConfig({ settings: SETTINGS, token });
    expect(cfg.ssl).toEqual(rdsTls('127.0.0.1'));
    expect(typeof cfg.password).toBe('function');
    expect(cfg).toMatchObject({ max: 5, connectionTimeoutMillis: 3000 });
  });
});
