/**
 * A deliberately small Valkey/Redis client for the readiness check: one long-lived TLS connection,
 * authenticated with `AUTH <user> <token>` (IAM) or `AUTH <token>`, answering `PING`. Commands are
 * serialized (one in flight), replies are RESP simple strings or errors.
 *
 * AWS: "The IAM authentication token is valid for 15 minutes"; for long-lived connections the guide
 * recommends a client that obtains new credentials (ElastiCache User Guide, Authenticating with IAM —
 * Limitations). The token only authenticates the connection: whenever the server closes it, the next
 * check opens a new one and signs a fresh token.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import type { CacheSettings } from './config';

export type Connector = () => Socket;

export interface CacheOptions {
  readonly settings: CacheSettings;
  /** IAM mode: signs an ElastiCache token (iam-auth.ts elastiCacheAuthToken). */
  readonly iamToken?: () => Promise<string>;
  /** How sockets are opened. @default TLS (verified, SNI = host) when settings.tls, else plain TCP */
  readonly connector?: Connector;
  /** Budget of connect + AUTH + PING. @default 2000 */
  readonly timeoutMs?: number;
}

export interface Cache {
  check(): Promise<void>;
  close(): Promise<void>;
}

/** RESP encoding of a command (array of bulk strings). */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return Buffer.from(parts.join(''));
}

export class CacheReplyError extends Error {
  constructor(readonly reply: string) {
    // Only the error kind (first word, e.g. WRONGPASS, NOAUTH): the rest of a server reply is not logged.
    super(`cache replied ${reply.split(' ')[0]}`);
    this.name = 'CacheReplyError';
  }
}

/** ElastiCache in-transit encryption: the server certificate chain and host name are verified. */
export function cacheTlsOptions(settings: CacheSettings): ConnectionOptions {
  return {
    host: settings.host,
    port: settings.port,
    servername: settings.host,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
}

export function defaultConnector(settings: CacheSettings): Connector {
  return () =>
    settings.tls
      ? tlsConnect(cacheTlsOptions(settings))
      : netConnect({ host: settings.host, port: settings.port });
}

class Connection {
  private buffer = '';
  private waiting: Array<{ resolve: (line: string) => void; reject: (err: Error) => void }> = [];
  private failure: Error | undefined;
  readonly ready: Promise<void>;

  constructor(readonly socket: Socket) {
    this.ready = new Promise((resolve, reject) => {
      const event = 'encrypted' in socket ? 'secureConnect' : 'connect';
      socket.once(event, () => resolve());
      socket.once('error', reject);
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('cache connection closed')));
  }

  get alive(): boolean {
    return this.failure === undefined && !this.socket.destroyed;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\r\n')) >= 0) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const next = this.waiting.shift();
      if (!next) continue;
      if (line.startsWith('+')) next.resolve(line.slice(1));
      else if (line.startsWith('-')) next.reject(new CacheReplyError(line.slice(1)));
      else next.reject(new Error(`unexpected cache reply type ${JSON.stringify(line.slice(0, 1))}`));
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }

  send(args: readonly string[]): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what} timed out after ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createCache(opts: CacheOptions): Cache {
  const connector = opts.connector ?? defaultConnector(opts.settings);
  const timeoutMs = opts.timeoutMs ?? 2000;
  let conn: Connection | undefined;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  const open = async (): Promise<Connection> => {
    if (conn?.alive) return conn;
    conn?.destroy();
    const c = new Connection(connector());
    conn = c;
    await c.ready;
    const auth = opts.settings.auth;
    if (auth.kind === 'iam') {
      if (!opts.iamToken) throw new Error('IAM cache authentication needs a token signer');
      await c.send(['AUTH', auth.user, await opts.iamToken()]);
    } else {
      await c.send(['AUTH', auth.token]);
    }
    return c;
  };

  const ping = async (): Promise<void> => {
    const reused = conn?.alive === true;
    const c = await open();
    let reply: string;
    try {
      reply = await c.send(['PING']);
    } catch (err) {
      // A reused connection the server has just closed (failover, idle or IAM session limit) is not a
      // readiness failure: open a new one, with a fresh token, once.
      if (!reused || err instanceof CacheReplyError) throw err;
      c.destroy();
      reply = await (await open()).send(['PING']);
    }
    if (reply !== 'PONG') throw new Error('unexpected answer to PING');
  };

  return {
    check() {
      if (closed) return Promise.reject(new Error('cache client closed'));
      const run = queue.then(() =>
        withTimeout(ping(), timeoutMs, 'cache check', () => {
          conn?.destroy();
          conn = undefined;
        }),
      );
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      closed = true;
      const c = conn;
      conn = undefined;
      if (!c?.alive) return;
      try {
        await withTimeout(c.send(['QUIT']), 1000, 'cache QUIT', () => c.destroy());
      } catch {
        // closing anyway
      }
      c.destroy();
    },
  };
}
