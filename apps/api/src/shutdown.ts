/**
 * Graceful shutdown on SIGTERM (and SIGINT).
 *
 * When ECS stops a task of a service behind a load balancer it first deregisters the target and waits for
 * the ALB to drain it — AWS: "Amazon ECS monitors the load balancer, and waits for the load balancer to
 * report that the keep alive connection is closed (the target is in an UNUSED state)"; the time the ALB
 * waits is the target group's deregistration delay — and only then sends the stop signal, followed by
 * SIGKILL after the container's stopTimeout (Fargate: default 30 s, at most 120 s) (ECS Developer Guide,
 * "Optimize load balancer connection draining parameters"; ContainerDefinition.stopTimeout).
 *
 * So by the time SIGTERM arrives the ALB normally sends nothing new; this is the second line: stop
 * accepting connections, let in-flight requests finish (answering them with `Connection: close`), cut
 * what is left at the deadline (SHUTDOWN_TIMEOUT_SECONDS, below stopTimeout), close the pools, exit.
 */
import type { Server } from 'node:http';
import { errorFields, type Logger } from './log';
import type { Lifecycle } from './server';

export interface Resource {
  readonly name: string;
  close(): Promise<void>;
}

export interface ShutdownDeps {
  readonly server: Server;
  readonly lifecycle: Lifecycle;
  /** Closed after the HTTP server, in parallel, each within resourceTimeoutMs. */
  readonly resources: readonly Resource[];
  /** Budget for in-flight requests after the signal. */
  readonly timeoutMs: number;
  /** Budget for closing each resource. @default 3000 */
  readonly resourceTimeoutMs?: number;
  readonly log: Logger;
  readonly exit: (code: number) => void;
  readonly now?: () => number;
}

export interface ShutdownController {
  /** Idempotent: a second signal while shutting down only logs. Resolves with the exit code. */
  shutdown(signal: string): Promise<number>;
  /** Requests being served now. */
  inFlight(): number;
}

function bounded(work: Promise<void>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then(() => 'done' as const),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function shutdownController(deps: ShutdownDeps): ShutdownController {
  const now = deps.now ?? Date.now;
  let active = 0;
  deps.server.on('request', (_req, res) => {
    active += 1;
    res.once('close', () => {
      active -= 1;
      // A keep-alive socket that just finished its last response is idle now: close it.
      if (deps.lifecycle.shuttingDown) deps.server.closeIdleConnections();
    });
  });

  let running: Promise<number> | undefined;

  const run = async (signal: string): Promise<number> => {
    const started = now();
    deps.lifecycle.shuttingDown = true;
    deps.log.info('shutdown started', { signal, inFlight: active, timeoutMs: deps.timeoutMs });

    const closed = new Promise<void>((resolve) => deps.server.close(() => resolve()));
    deps.server.closeIdleConnections();
    let forced = false;
    if ((await bounded(closed, deps.timeoutMs)) === 'timeout') {
      forced = true;
      deps.log.warn('shutdown deadline reached; closing the remaining connections', { inFlight: active });
      deps.server.closeAllConnections();
      await bounded(closed, 1000);
    }

    const results = await Promise.all(
      deps.resources.map(async (r) => {
        try {
          const outcome = await bounded(r.close(), deps.resourceTimeoutMs ?? 3000);
          if (outcome === 'timeout') deps.log.warn('resource did not close in time', { resource: r.name });
          return outcome === 'done';
        } catch (err) {
          deps.log.warn('resource failed to close', { resource: r.name, error: errorFields(err) });
          return false;
        }
      }),
    );
    const code = forced || results.includes(false) ? 1 : 0;
    deps.log.info('shutdown complete', { signal, forced, ms: now() - started, exitCode: code });
    deps.exit(code);
    return code;
  };

  return {
    shutdown(signal) {
      if (running) {
        deps.log.info('shutdown already in progress', { signal });
        return running;
      }
      running = run(signal);
      return running;
    },
    inFlight: () => active,
  };
}
