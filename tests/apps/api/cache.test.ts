import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import {
  CacheReplyError,
  cacheTlsOptions,
  createCache,
  defaultConnector,
  encodeCommand,
} from '../../../apps/api/src/cache';
import type { CacheSettings } from '../../../apps/api/src/config';
import { createConnection } from 'node:net';
import { FakeValkey } from './fakes';

const IAM: CacheSettings = {
  host: '127.0.0.1',
  port: 0,
  tls: false,
  auth: { kind: 'iam', user: 'switchyard-dev-app', cacheName: 'switchyard-dev' },
};

let server: FakeValkey;
let tokens = 0;
const signer = async () => `token-${++tokens}`;

beforeEach(async () => {
  tokens = 0;
  server = await new FakeValkey(
    (args) => args[0] === 'switchyard-dev-app' && /^token-\d+$/.test(args[1] ?? ''),
  ).start();
});
afterEach(() => server.stop());

const plainTcp = () => () => createConnection({ host: '127.0.0.1', port: server.port });

describe('cache readiness client', () => {
  it('authenticates as the IAM user with a signed token, then PINGs', async () => {
    const cache = createCache({ settings: IAM, iamToken: signer, connector: plainTcp() });
    await cache.check();
    expect(server.commands).toEqual([['AUTH', 'switchyard-dev-app', 'token-1'], ['PING']]);
    await cache.close();
  });

  it('reuses the connection: one AUTH, one token for many checks', async () => {
    const cache = createCache({ settings: IAM, iamToken: signer, connector: plainTcp() });
    await cache.check();
    await cache.check();
    await Promise.all([cache.check(), cache.check()]);
    expect(server.connections).toBe(1);
    expect(tokens).toBe(1);
    expect(server.commands.filter((c) => c[0] === 'PING')).toHaveLength(4);
    await cache.close();
  });

  it('reconnects with a fresh token after the server drops the connection', async () => {
    const cache = createCache({ settings: IAM, iamToken: signer, connector: plainTcp() });
    await cache.check();
    server.dropConnections();
    await cache.check(); // whether or not the close has been seen yet
    expect(server.connections).toBe(2);
    server.dropConnections();
    await new Promise((r) => setTimeout(r, 20));
    await cache.check();
    expect(server.connections).toBe(3);
    expect(server.commands.filter((c) => c[0] === 'AUTH').map((c) => c[2])).toEqual([
      'token-1',
      'token-2',
      'token-3',
    ]);
    await cache.close();
  });

  it('fails a wrong credential with the reply kind only (no token, no server text)', async () => {
    const cache = createCache({
      settings: IAM,
      iamToken: async () => 'not-a-valid-token',
      connector: plainTcp(),
    });
    const err = await cache.check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheReplyError);
    expect((err as Error).message).toBe('cache replied WRONGPASS');
    expect((err as Error).message).not.toContain('not-a-valid-token');
    await cache.close();
  });

  it('times out when the server does not answer, and recovers on the next check', async () => {
    const cache = createCache({ settings: IAM, iamToken: signer, connector: plainTcp(), timeoutMs: 150 });
    server.silent = true;
    const started = Date.now();
    await expect(cache.check()).rejects.toThrow('cache check timed out after 150 ms');
    expect(Date.now() - started).toBeLessThan(3000);
    server.silent = false;
    await cache.check();
    expect(server.connections).toBe(2);
    await cache.close();
  });

  it('authenticates with the AUTH token in secrets-manager mode', async () => {
    const tokenServer = await new FakeValkey((args) => args.length === 1 && args[0] === 's3cret').start();
    const cache = createCache({
      settings: {
        host: '127.0.0.1',
        port: tokenServer.port,
        tls: false,
        auth: { kind: 'token', token: 's3cret' },
      },
    });
    await cache.check();
    expect(tokenServer.commands).toEqual([['AUTH', 's3cret'], ['PING']]);
    await cache.close();
    await tokenServer.stop();
  });

  it('sends QUIT on close and refuses checks afterwards', async () => {
    const cache = createCache({ settings: IAM, iamToken: signer, connector: plainTcp() });
    await cache.check();
    await cache.close();
    expect(server.commands.at(-1)).toEqual(['QUIT']);
    await expect(cache.check()).rejects.toThrow('cache client closed');
  });

  it('reports a refused connection', async () => {
    const port = server.port;
    await server.stop();
    const cache = createCache({ settings: { ...IAM, port }, iamToken: signer });
    await expect(cache.check()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    server = await new FakeValkey(() => true).start();
  });
});

describe('cache transport', () => {
  it('uses TLS with certificate and host-name verification when CACHE_TLS is true', async () => {
    const settings: CacheSettings = { ...IAM, host: 'localhost', port: server.port, tls: true };
    const socket = defaultConnector(settings)();
    socket.on('error', () => undefined);
    expect(socket).toBeInstanceOf(TLSSocket);
    expect(cacheTlsOptions(settings)).toEqual({
      host: 'localhost',
      port: server.port,
      servername: 'localhost',
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
    socket.destroy();
    // Against a server that does not speak TLS the check fails instead of falling back to clear text.
    const cache = createCache({ settings, iamToken: signer, timeoutMs: 1000 });
    await expect(cache.check()).rejects.toThrow();
    expect(server.commands).toEqual([]);
    await cache.close();
    const plain = defaultConnector({ ...IAM, port: server.port, tls: false })();
    expect(plain).toBeInstanceOf(Socket);
    expect(plain).not.toBeInstanceOf(TLSSocket);
    plain.destroy();
  });

  it('encodes commands as RESP arrays of bulk strings (byte lengths)', () => {
    expect(encodeCommand(['AUTH', 'u', 'pä']).toString()).toBe('*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$3\r\npä\r\n');
  });
});
