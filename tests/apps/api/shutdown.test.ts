import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../../apps/api/src/log';
import type { Lifecycle } from '../../../apps/api/src/server';
import { shutdownController } from '../../../apps/api/src/shutdown';
import { get } from './http';

interface Harness {
  server: Server;
  port: number;
  lifecycle: Lifecycle;
  events: string[];
  exits: number[];
  logs: Array<Record<string, unknown>>;
  controller: ReturnType<typeof shutdownController>;
}

/** A server whose /slow answers after `delayMs` (or never, with delayMs < 0), under the controller. */
async function harness(opts: {
  delayMs: number;
  timeoutMs: number;
  resourceHangs?: boolean;
}): Promise<Harness> {
  const events: string[] = [];
  const exits: number[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const lifecycle: Lifecycle = { shuttingDown: false };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // Like the app's handler: `Connection: close` only on requests that arrive after the signal.
    const closing = lifecycle.shuttingDown;
    const answer = () => {
      if (closing) res.setHeader('connection', 'close');
      res.end(JSON.stringify({ path: req.url }));
      events.push(`answered ${req.url}`);
    };
    if (req.url === '/slow' && opts.delayMs < 0) return;
    if (req.url === '/slow') setTimeout(answer, opts.delayMs);
    else answer();
  });
  const controller = shutdownController({
    server,
    lifecycle,
    resources: [
      {
        name: 'database',
        close: async () => {
          events.push('database closed');
        },
      },
      {
        name: 'cache',
        close: () =>
          opts.resourceHangs
            ? new Promise<void>(() => undefined)
            : Promise.resolve().then(() => void events.push('cache closed')),
      },
    ],
    timeoutMs: opts.timeoutMs,
    resourceTimeoutMs: 100,
    log: createLogger('debug', (l) => logs.push(JSON.parse(l))),
    exit: (code) => {
      events.push(`exit ${code}`);
      exits.push(code);
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, lifecycle, events, exits, logs, controller };
}

/** Waits until the server holds `n` requests (no fixed sleeps: the machine may be busy). */
async function untilInFlight(h: Harness, n = 1): Promise<void> {
  const until = Date.now() + 5000;
  while (h.controller.inFlight() !== n) {
    if (Date.now() > until) throw new Error(`never saw ${n} request(s) in flight`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('graceful shutdown', () => {
  it('finishes in-flight requests, refuses new connections, then closes the pools and exits 0', async () => {
    const h = await harness({ delayMs: 150, timeoutMs: 5000 });
    const inFlight = get(h.port, '/slow');
    await untilInFlight(h);
    const done = h.controller.shutdown('SIGTERM');
    expect(h.lifecycle.shuttingDown).toBe(true);
    await expect(get(h.port, '/new')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const reply = await inFlight;
    expect(reply.status).toBe(200);
    expect(await done).toBe(0);
    expect(h.events).toEqual(['answered /slow', 'database closed', 'cache closed', 'exit 0']);
    expect(h.logs.map((l) => l['msg'])).toEqual(['shutdown started', 'shutdown complete']);
    expect(h.logs[0]).toMatchObject({ signal: 'SIGTERM', inFlight: 1 });
  });

  it('does not wait for idle keep-alive connections', async () => {
    const h = await harness({ delayMs: 0, timeoutMs: 5000 });
    const agent = new Agent({ keepAlive: true });
    expect((await get(h.port, '/x', { agent })).status).toBe(200);
    const started = Date.now();
    expect(await h.controller.shutdown('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    agent.destroy();
  });

  it('closes a keep-alive connection once its last in-flight response is sent', async () => {
    const h = await harness({ delayMs: 100, timeoutMs: 5000 });
    const agent = new Agent({ keepAlive: true });
    await get(h.port, '/warm', { agent });
    const slow = get(h.port, '/slow', { agent });
    await untilInFlight(h);
    const started = Date.now();
    const code = await h.controller.shutdown('SIGTERM');
    expect((await slow).status).toBe(200);
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    agent.destroy();
  });

  it('cuts what is still running at the deadline, still closes the pools, exits 1', async () => {
    const h = await harness({ delayMs: -1, timeoutMs: 200 });
    const stuck = get(h.port, '/slow').catch((e: unknown) => e);
    await untilInFlight(h);
    const started = Date.now();
    expect(await h.controller.shutdown('SIGTERM')).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await stuck).toMatchObject({ code: 'ECONNRESET' });
    expect(h.events).toEqual(['database closed', 'cache closed', 'exit 1']);
    expect(h.logs.map((l) => l['msg'])).toContain(
      'shutdown deadline reached; closing the remaining connections',
    );
  });

  it('bounds a pool that will not close, and exits 1', async () => {
    const h = await harness({ delayMs: 0, timeoutMs: 1000, resourceHangs: true });
    expect(await h.controller.shutdown('SIGTERM')).toBe(1);
    expect(h.logs).toContainEqual(
      expect.objectContaining({ msg: 'resource did not close in time', resource: 'cache' }),
    );
  });

  it('a second signal while shutting down changes nothing', async () => {
    const h = await harness({ delayMs: 100, timeoutMs: 5000 });
    const inFlight = get(h.port, '/slow');
    await untilInFlight(h);
    const first = h.controller.shutdown('SIGTERM');
    const second = h.controller.shutdown('SIGINT');
    expect(await inFlight).toMatchObject({ status: 200 });
    expect(await first).toBe(0);
    expect(await second).toBe(0);
    expect(h.exits).toEqual([0]);
    expect(h.logs.map((l) => l['msg'])).toContain('shutdown already in progress');
  });
});
