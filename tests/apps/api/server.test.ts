import type { AddressInfo } from 'node:net';
import { createLogger } from '../../../apps/api/src/log';
import type { ReadinessReport } from '../../../apps/api/src/readiness';
import { createAppServer, type Lifecycle } from '../../../apps/api/src/server';
import { get } from './http';

const lines: string[] = [];
let report: ReadinessReport = {
  ready: true,
  checks: { database: { ok: true, ms: 1 }, cache: { ok: true, ms: 1 } },
};
const lifecycle: Lifecycle = { shuttingDown: false };
const server = createAppServer({
  readiness: async () => report,
  log: createLogger('debug', (l) => lines.push(l)),
  lifecycle,
  revision: '0123abc',
  keepAliveTimeoutMs: 65_000,
});
let port = 0;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  lifecycle.shuttingDown = false;
  report = { ready: true, checks: { database: { ok: true, ms: 1 }, cache: { ok: true, ms: 1 } } };
  lines.length = 0;
});

describe('HTTP surface', () => {
  it('GET /health answers 200 without touching the data stores', async () => {
    let called = false;
    const probe = createAppServer({
      readiness: async () => {
        called = true;
        return report;
      },
      log: createLogger('error', () => undefined),
      lifecycle: { shuttingDown: false },
      revision: 'x',
      keepAliveTimeoutMs: 65_000,
    });
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const reply = await get((probe.address() as AddressInfo).port, '/health');
    probe.closeAllConnections();
    await new Promise((r) => probe.close(r));
    expect(reply).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(called).toBe(false);
  });

  it('GET /ready answers 200 with the checks when ready, 503 naming the failing check otherwise', async () => {
    expect(await get(port, '/ready')).toMatchObject({ status: 200, body: { status: 'ready' } });
    report = {
      ready: false,
      checks: {
        database: { ok: false, ms: 2000, error: 'Error: timed out after 2000 ms' },
        cache: { ok: true, ms: 1 },
      },
    };
    const reply = await get(port, '/ready');
    expect(reply.status).toBe(503);
    expect(reply.body).toEqual({ status: 'not-ready', checks: report.checks });
    expect(lines.map((l) => JSON.parse(l).msg)).toContain('not ready');
  });

  it('GET / names the revision; unknown paths 404; other methods 405', async () => {
    expect(await get(port, '/')).toMatchObject({
      status: 200,
      body: { service: 'api', revision: '0123abc' },
    });
    expect(await get(port, '/nope')).toMatchObject({ status: 404 });
    const post = await get(port, '/health', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });

  it('while shutting down: probes answer 503 and every answer closes the connection', async () => {
    lifecycle.shuttingDown = true;
    for (const path of ['/health', '/ready']) {
      const reply = await get(port, path);
      expect(reply).toMatchObject({ status: 503, body: { status: 'shutting-down' } });
      expect(reply.headers['connection']).toBe('close');
    }
    expect((await get(port, '/')).headers['connection']).toBe('close');
  });

  it('logs each request as JSON (probes at debug when healthy)', async () => {
    await get(port, '/health');
    await get(port, '/nope');
    const logged = lines.map((l) => JSON.parse(l));
    expect(logged).toEqual([
      expect.objectContaining({ level: 'debug', msg: 'request', path: '/health', status: 200 }),
      expect.objectContaining({ level: 'info', msg: 'request', path: '/nope', status: 404 }),
    ]);
  });

  it('keeps idle connections longer than the ALB idle timeout (60 s default) to avoid 502s', () => {
    expect(server.keepAliveTimeout).toBe(65_000);
    expect(server.headersTimeout).toBeGreaterThan(server.keepAliveTimeout);
  });
});
