/**
 * Smoke-test adapter (SmokePort) on Node's own http/https and child_process: no AWS call, no dependency.
 *
 * HTTP: one request per call to the test listener URL, with the configured Host header; over HTTPS the
 * TLS server name (SNI) is that host too, and the certificate is verified against it (Node's default) —
 * the ALB serves the listener's certificate for the service's domain, not for its own DNS name. The ALB
 * routes on "the host name in the host header" (ELB docs, "Host conditions"), so the header carries the
 * name only. At most 64 KiB of the body is read; a timeout or a network error rejects with PortError
 * `unavailable`.
 *
 * Command: argv without a shell, in `cwd`, with the deployer's environment plus the SWITCHYARD_* variables;
 * stdout and stderr are kept as one tail of at most OUTPUT_TAIL_BYTES. On timeout (or the abort signal)
 * it gets SIGTERM, then SIGKILL 5 s later. The tail is stored with the release (DynamoDB), where GitHub's
 * log masking does not reach: values of the environment's secret-looking variables are replaced by ***
 * (`redactSecrets`). The environment itself is never logged or recorded.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { OUTPUT_TAIL_BYTES } from '../core/smoke';
import {
  PortError,
  type SmokeCommandResult,
  type SmokeCommandRun,
  type SmokeHttpRequest,
  type SmokeHttpResponse,
  type SmokePort,
} from '../ports';

const MAX_BODY_BYTES = 64 * 1024;
const KILL_GRACE_MS = 5_000;

export interface NodeSmokeOptions {
  /** Working directory of the command. @default process.cwd() */
  readonly cwd?: string;
  /** Base environment of the command. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

export function createSmokePort(options: NodeSmokeOptions = {}): SmokePort {
  return {
    http: (req) => httpOnce(req),
    run: (cmd) => runCommand(cmd, options),
  };
}

function httpOnce(req: SmokeHttpRequest): Promise<SmokeHttpResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      reject(new PortError('invalid', `not a URL: ${req.url}`));
      return;
    }
    const https = url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      reject(new PortError('unavailable', e.message, e));
    };
    const r = send(
      {
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port || (https ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers: { host: req.host ?? url.host, 'user-agent': 'switchyard-smoke-test', accept: '*/*' },
        ...(https && req.host ? { servername: req.host } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY_BYTES) chunks.push(c.subarray(0, MAX_BODY_BYTES - size));
          size += c.length;
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', fail);
      },
    );
    const timer = setTimeout(() => {
      fail(new Error(`no answer within ${req.timeoutMs} ms`));
      r.destroy();
    }, req.timeoutMs);
    r.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    r.end();
  });
}

/** Keeps the last `max` bytes of what is appended (cut at a line start when possible). */
export class OutputTail {
  private text = '';
  constructor(private readonly max = OUTPUT_TAIL_BYTES) {}
  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > 2 * this.max) this.text = this.text.slice(-this.max);
  }
  toString(): string {
    if (this.text.length <= this.max) return this.text;
    const cut = this.text.slice(-this.max);
    const nl = cut.indexOf('\n');
    return `…${nl >= 0 && nl < cut.length - 1 ? cut.slice(nl + 1) : cut}`;
  }
}

/** Names of variables whose values are secrets (tokens, passwords, keys, webhook URLs…). */
const SECRET_NAME =
  /SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_KEY|SESSION|WEBHOOK|AUTH/i;
/** Shorter values are not masked (they would mask ordinary words). */
const MIN_SECRET_LENGTH = 8;

/** `text` with the value of every secret-looking variable of `env` replaced by `***`. Pure. */
export function redactSecrets(text: string, env: NodeJS.ProcessEnv): string {
  const values = Object.entries(env)
    .filter(([name, v]) => SECRET_NAME.test(name) && v !== undefined && v.length >= MIN_SECRET_LENGTH)
    .map(([, v]) => v!)
    .sort((a, b) => b.length - a.length);
  return values.reduce((out, v) => out.split(v).join('***'), text);
}

function runCommand(cmd: SmokeCommandRun, options: NodeSmokeOptions): Promise<SmokeCommandResult> {
  return new Promise((resolve) => {
    const tail = new OutputTail();
    let timedOut = false;
    let done = false;
    const env = { ...(options.env ?? process.env), ...cmd.env };
    const child = spawn(cmd.argv[0], cmd.argv.slice(1), {
      cwd: options.cwd ?? process.cwd(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const finish = (r: SmokeCommandResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(killer);
      cmd.signal?.removeEventListener('abort', stop);
      resolve({ ...r, outputTail: redactSecrets(r.outputTail, env) });
    };
    let killer: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, cmd.timeoutMs);
    cmd.signal?.addEventListener('abort', stop, { once: true });
    child.stdout.setEncoding('utf8').on('data', (s: string) => tail.append(s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => tail.append(s));
    child.on('error', (e) =>
      finish({ exitCode: null, timedOut, outputTail: tail.toString(), error: e.message }),
    );
    child.on('close', (code) => finish({ exitCode: code, timedOut, outputTail: tail.toString() }));
  });
}
