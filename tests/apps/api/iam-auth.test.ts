/**
 * The IAM tokens are checked against an independent implementation of SigV4 query-string signing written
 * here from AWS's description of the algorithm (canonical request → string to sign → HMAC chain), so a
 * wrong request shape (host header, port, parameter names, service, expiry) changes the signature and fails.
 */
import { createHash, createHmac } from 'node:crypto';
import {
  type AwsCredentials,
  elastiCacheAuthToken,
  outlivingCredentials,
  rdsAuthToken,
} from '../../../apps/api/src/iam-auth';

const CREDS: AwsCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session/token+with=chars',
};
const DATE = new Date('2026-03-04T05:06:07Z');

const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

function expectedSignature(p: {
  host: string;
  params: Record<string, string>;
  service: string;
  region: string;
}): { query: Record<string, string>; signature: string } {
  const amzDate = DATE.toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${p.region}/${p.service}/aws4_request`;
  const query: Record<string, string> = {
    ...p.params,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${CREDS.accessKeyId}/${scope}`,
    'X-Amz-Date': amzDate,
    'X-Amz-Expires': '900',
    'X-Amz-Security-Token': CREDS.sessionToken!,
    'X-Amz-SignedHeaders': 'host',
  };
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${enc(k)}=${enc(query[k]!)}`)
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${p.host}`, '', 'host', sha256('')].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const kDate = hmac(`AWS4${CREDS.secretAccessKey}`, day);
  const kSigning = hmac(hmac(hmac(kDate, p.region), p.service), 'aws4_request');
  return { query, signature: createHmac('sha256', kSigning).update(stringToSign).digest('hex') };
}

function parseToken(token: string): { authority: string; query: Record<string, string> } {
  const [authority, rest] = token.split('/?') as [string, string];
  const query: Record<string, string> = {};
  for (const pair of rest.split('&')) {
    const [k, v] = pair.split('=') as [string, string];
    query[decodeURIComponent(k)] = decodeURIComponent(v);
  }
  return { authority, query };
}

const ctx = { region: 'eu-west-1', credentials: async () => CREDS, signingDate: DATE };

describe('RDS IAM token', () => {
  it('is host:port/?Action=connect&DBUser=… presigned for rds-db, 15 minutes, host header with the port', async () => {
    const host = 'switchyard-dev-db.abc123.eu-west-1.rds.amazonaws.com';
    const token = await rdsAuthToken({ host, port: 5432, user: 'app' }, ctx);
    expect(token.startsWith(`${host}:5432/?`)).toBe(true);
    expect(token).not.toMatch(/^https?:/);
    const { query } = parseToken(token);
    const expected = expectedSignature({
      host: `${host}:5432`,
      params: { Action: 'connect', DBUser: 'app' },
      service: 'rds-db',
      region: 'eu-west-1',
    });
    const { 'X-Amz-Signature': signature, ...rest } = query;
    expect(rest).toEqual(expected.query);
    expect(signature).toBe(expected.signature);
  });
});

describe('ElastiCache IAM token', () => {
  it('is <replication group>/?Action=connect&User=… presigned for elasticache, 15 minutes, no scheme', async () => {
    const token = await elastiCacheAuthToken(
      { cacheName: 'switchyard-dev', user: 'switchyard-dev-app' },
      ctx,
    );
    expect(token.startsWith('switchyard-dev/?')).toBe(true);
    const { query } = parseToken(token);
    const expected = expectedSignature({
      host: 'switchyard-dev',
      params: { Action: 'connect', User: 'switchyard-dev-app' },
      service: 'elasticache',
      region: 'eu-west-1',
    });
    const { 'X-Amz-Signature': signature, ...rest } = query;
    expect(rest).toEqual(expected.query);
    expect(signature).toBe(expected.signature);
  });
});

describe('outlivingCredentials', () => {
  const now = () => Date.parse('2026-03-04T05:00:00Z');
  const at = (minutes: number) => new Date(now() + minutes * 60_000);

  it('refreshes credentials that would expire before a 15-minute token', async () => {
    const calls: Array<boolean | undefined> = [];
    const provider = async (o?: { forceRefresh?: boolean }) => {
      calls.push(o?.forceRefresh);
      return { ...CREDS, expiration: o?.forceRefresh ? at(60) : at(5) };
    };
    const creds = await outlivingCredentials(provider, now)();
    expect(creds.expiration).toEqual(at(60));
    expect(calls).toEqual([undefined, true]);
  });

  it('keeps credentials that outlive the token, and keeps current ones if the refresh fails', async () => {
    let forced = 0;
    const long = outlivingCredentials(async () => ({ ...CREDS, expiration: at(30) }), now);
    expect((await long()).expiration).toEqual(at(30));
    const failing = outlivingCredentials(async (o) => {
      if (o?.forceRefresh) {
        forced += 1;
        throw new Error('endpoint down');
      }
      return { ...CREDS, expiration: at(5) };
    }, now);
    expect((await failing()).expiration).toEqual(at(5));
    expect(forced).toBe(1);
  });
});
