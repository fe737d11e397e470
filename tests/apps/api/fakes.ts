/**
 * In-process stand-ins for the data stores, on 127.0.0.1 with an ephemeral port (nothing leaves the
 * machine). They speak just enough of the real wire protocols for the service's readiness checks:
 *
 * - FakeValkey: RESP arrays of bulk strings; `AUTH [user] password`, `PING`, `QUIT`. Like Valkey, a PING
 *   before a successful AUTH on a server with the default user off answers `-NOAUTH`, a bad AUTH answers
 *   `-WRONGPASS invalid username-password pair or user is disabled.`
 * - FakePostgres: protocol 3.0 startup, AuthenticationCleartextPassword (what RDS asks for with IAM
 *   authentication), simple Query `SELECT 1 AS ok`, Terminate; a wrong password gets
 *   ErrorResponse SQLSTATE 28P01 like PostgreSQL.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

abstract class FakeServer {
  protected readonly server: Server;
  readonly sockets = new Set<Socket>();
  port = 0;

  constructor() {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      this.onConnection(socket);
    });
  }

  protected abstract onConnection(socket: Socket): void;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Drops every open connection (as a failover or a 12-hour IAM disconnect would). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export class FakeValkey extends FakeServer {
  /** Every command received, per connection order (AUTH arguments included, for assertions). */
  readonly commands: string[][] = [];
  connections = 0;
  /** When true the server reads commands but never answers. */
  silent = false;

  constructor(private readonly accept: (args: readonly string[]) => boolean) {
    super();
  }

  protected onConnection(socket: Socket): void {
    this.connections += 1;
    let authed = false;
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const parsed = parseCommand(buffer);
        if (!parsed) return;
        if (parsed === 'invalid') {
          // Not RESP (e.g. a TLS ClientHello): drop the connection like a plain-text server would.
          socket.destroy();
          return;
        }
        buffer = buffer.subarray(parsed.used);
        const [name, ...args] = parsed.args;
        this.commands.push(parsed.args);
        if (this.silent) continue;
        const cmd = (name ?? '').toUpperCase();
        if (cmd === 'AUTH') {
          authed = this.accept(args);
          socket.write(
            authed ? '+OK\r\n' : '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
          );
        } else if (cmd === 'PING') {
          socket.write(authed ? '+PONG\r\n' : '-NOAUTH Authentication required.\r\n');
        } else if (cmd === 'QUIT') {
          socket.end('+OK\r\n');
        } else {
          socket.write(`-ERR unknown command '${name}'\r\n`);
        }
      }
    });
  }
}

function parseCommand(buf: Buffer): { args: string[]; used: number } | 'invalid' | undefined {
  const text = buf.toString('binary');
  let pos = 0;
  const line = (): string | undefined => {
    const end = text.indexOf('\r\n', pos);
    if (end < 0) return undefined;
    const l = text.slice(pos, end);
    pos = end + 2;
    return l;
  };
  if (buf.length > 0 && buf[0] !== 0x2a) return 'invalid'; // '*'
  const head = line();
  if (head === undefined) return undefined;
  if (!head.startsWith('*')) return 'invalid';
  const args: string[] = [];
  for (let i = 0; i < Number(head.slice(1)); i++) {
    const len = line();
    if (len === undefined) return undefined;
    const n = Number(len.slice(1));
    if (text.length < pos + n + 2) return undefined;
    args.push(Buffer.from(text.slice(pos, pos + n), 'binary').toString('utf8'));
    pos += n + 2;
  }
  return { args, used: pos };
}

export interface Startup {
  readonly user: string;
  readonly database: string;
  readonly application_name?: string;
}

export class FakePostgres extends FakeServer {
  readonly startups: Startup[] = [];
  readonly passwords: string[] = [];
  readonly queries: string[] = [];

  constructor(private readonly accept: (password: string, startup: Startup) => boolean) {
    super();
  }

  protected onConnection(socket: Socket): void {
    let buffer = Buffer.alloc(0);
    let started = false;
    let startup: Startup | undefined;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 4) return;
          const len = buffer.readInt32BE(0);
          if (buffer.length < len) return;
          const code = buffer.readInt32BE(4);
          if (code === 80877103) {
            // SSLRequest: this fake has no certificate, so it answers 'N' like a server without SSL.
            socket.write('N');
            buffer = buffer.subarray(len);
            continue;
          }
          const fields = buffer
            .subarray(8, len - 1)
            .toString('utf8')
            .split('\0');
          const params: Record<string, string> = {};
          for (let i = 0; i + 1 < fields.length; i += 2) params[fields[i]!] = fields[i + 1]!;
          startup = {
            user: params['user']!,
            database: params['database']!,
            application_name: params['application_name'],
          };
          this.startups.push(startup);
          buffer = buffer.subarray(len);
          started = true;
          socket.write(message('R', int32(3))); // AuthenticationCleartextPassword
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]!);
        const len = buffer.readInt32BE(1);
        if (buffer.length < 1 + len) return;
        const body = buffer.subarray(5, 1 + len);
        buffer = buffer.subarray(1 + len);
        if (type === 'p') {
          const password = body.subarray(0, body.length - 1).toString('utf8');
          this.passwords.push(password);
          if (!this.accept(password, startup!)) {
            socket.end(errorResponse('28P01', `password authentication failed for user "${startup!.user}"`));
            return;
          }
          socket.write(Buffer.concat([message('R', int32(0)), message('Z', Buffer.from('I'))]));
        } else if (type === 'Q') {
          const sql = body.subarray(0, body.length - 1).toString('utf8');
          this.queries.push(sql);
          socket.write(
            Buffer.concat([
              rowDescription('ok'),
              dataRow('1'),
              message('C', cstr('SELECT 1')),
              message('Z', Buffer.from('I')),
            ]),
          );
        } else if (type === 'X') {
          socket.end();
          return;
        }
      }
    });
  }
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}
function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}
function message(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}
function rowDescription(column: string): Buffer {
  // one int4 column (type oid 23)
  return message(
    'T',
    Buffer.concat([int16(1), cstr(column), int32(0), int16(0), int32(23), int16(4), int32(-1), int16(0)]),
  );
}
function dataRow(value: string): Buffer {
  const v = Buffer.from(value);
  return message('D', Buffer.concat([int16(1), int32(v.length), v]));
}
function errorResponse(code: string, text: string): Buffer {
  return message(
    'E',
    Buffer.concat([
      Buffer.from('S'),
      cstr('FATAL'),
      Buffer.from('C'),
      cstr(code),
      Buffer.from('M'),
      cstr(text),
      Buffer.from([0]),
    ]),
  );
}
