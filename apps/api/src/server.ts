/**
 * The HTTP surface:
 * - `GET /health` — liveness for the ALB target-group health check (environments/*.yaml
 *   healthCheck.path): the process is up and serving. It does not touch the database or the cache, so a
 *   data-store blip cannot make ECS replace every task at once.
 * - `GET /ready` — readiness: PostgreSQL and the cache answer with the injected settings (200 / 503 with
 *   per-check results). For smoke tests through the test listener and for operators.
 * - `GET /` — which revision this task runs.
 * While shutting down every answer carries `Connection: close` and the probes answer 503.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errorFields, type Logger } from './log';
import type { Readiness } from './readiness';

export interface Lifecycle {
  /** Set when SIGTERM arrived. */
  shuttingDown: boolean;
}

export interface AppDeps {
  readonly readiness: Readiness;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  readonly revision: string;
  /** Idle keep-alive timeout; must exceed the ALB idle timeout. */
  readonly keepAliveTimeoutMs: number;
}

function send(res: ServerResponse, status: number, body: unknown, closing: boolean): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.setHeader('cache-control', 'no-store');
  if (closing) res.setHeader('connection', 'close');
  res.end(text);
}

export function handler(deps: AppDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const closing = deps.lifecycle.shuttingDown;
    const path = (req.url ?? '/').split('?')[0];
    res.on('finish', () => {
      const fields = { method: req.method, path, status: res.statusCode, ms: Date.now() - started };
      // Health probes every few seconds would drown the log: debug only, unless they fail.
      if ((path === '/health' || path === '/ready') && res.statusCode < 400)
        deps.log.debug('request', fields);
      else deps.log.info('request', fields);
    });
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        send(res, 405, { error: 'method not allowed' }, closing);
        return;
      }
      switch (path) {
        case '/health':
          send(res, closing ? 503 : 200, { status: closing ? 'shutting-down' : 'ok' }, closing);
          return;
        case '/ready': {
          if (closing) {
            send(res, 503, { status: 'shutting-down' }, true);
            return;
          }
          const report = await deps.readiness();
          if (!report.ready) deps.log.warn('not ready', { checks: report.checks });
          send(
            res,
            report.ready ? 200 : 503,
            { status: report.ready ? 'ready' : 'not-ready', checks: report.checks },
            closing,
          );
          return;
        }
        case '/':
          send(res, 200, { service: 'api', revision: deps.revision }, closing);
          return;
        default:
          send(res, 404, { error: 'not found' }, closing);
      }
    } catch (err) {
      deps.log.error('request failed', { path, error: errorFields(err) });
      if (!res.headersSent) send(res, 500, { error: 'internal error' }, closing);
      else res.destroy();
    }
  };
}

export function createAppServer(deps: AppDeps): Server {
  const server = createServer((req, res) => void handler(deps)(req, res));
  // AWS: "We also recommend that you configure the idle timeout of your application to be larger than the
  // idle timeout configured for the load balancer" — otherwise the ALB may answer 502 (ALB User Guide,
  // Connection idle timeout).
  server.keepAliveTimeout = deps.keepAliveTimeoutMs;
  // Node: headersTimeout should exceed keepAliveTimeout so an idle socket is closed by the keep-alive timer.
  server.headersTimeout = deps.keepAliveTimeoutMs + 1000;
  return server;
}
