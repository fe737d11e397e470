/**
 * The service as a process, the way ECS runs it: environment in, JSON lines out, SIGTERM to stop. The data
 * stores are the in-process fakes on 127.0.0.1; AWS credentials are dummies (tokens are signed locally,
 * nothing is sent to AWS).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { FakePostgres, FakeValkey } from './fakes';
import { get } from './http';

const ROOT = join(__dirname, '..', '..', '..');
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const CACHE_TOKEN = 'cache-auth-token-do-not-log';

function start(env: Record<string, string>): {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
} {
  let text = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', TS_NODE_TRANSPILE_ONLY: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => text, exited };
}

async function waitFor(predicate: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const freePort = async (): Promise<number> => {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
};

describe('the api process', () => {
  it('serves /health, reports readiness per data store, stops cleanly on SIGTERM, logs no secret', async () => {
    const pg = await new FakePostgres(() => true).start();
    const valkey = await new FakeValkey((args) => args.length === 1 && args[0] === CACHE_TOKEN).start();
    const port = await freePort();
    const app = start({
      PORT: String(port),
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: SECRET_KEY,
      DATABASE_HOST: 'localhost',
      DATABASE_PORT: String(pg.port),
      DATABASE_NAME: 'app',
      DATABASE_USER: 'app',
      CACHE_HOST: '127.0.0.1',
      CACHE_PORT: String(valkey.port),
      CACHE_TLS: 'false',
      CACHE_AUTH_TOKEN: CACHE_TOKEN,
      APP_REVISION: 'f00d',
      SHUTDOWN_TIMEOUT_SECONDS: '5',
    });
    try {
      await waitFor(() => app.out().includes('"msg":"listening"'), 15_000);
      expect(await get(port, '/health')).toMatchObject({ status: 200 });
      expect(await get(port, '/')).toMatchObject({ status: 200, body: { revision: 'f00d' } });

      // The fake PostgreSQL has no TLS: the service refuses to send its IAM token in clear text.
      const ready = await get(port, '/ready');
      expect(ready.status).toBe(503);
      const checks = (ready.body as { checks: Record<string, { ok: boolean; error?: string }> }).checks;
      expect(checks['database']).toMatchObject({
        ok: false,
        error: expect.stringContaining('does not support SSL'),
      });
      expect(checks['cache']).toMatchObject({ ok: true });
      expect(pg.passwords).toEqual([]);
      expect(valkey.commands).toEqual([['AUTH', CACHE_TOKEN], ['PING']]);

      app.child.kill('SIGTERM');
      expect(await app.exited).toBe(0);
      const lines = app
        .out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l['msg'])).toEqual(
        expect.arrayContaining(['listening', 'not ready', 'shutdown started', 'shutdown complete']),
      );
      expect(lines.at(-1)).toMatchObject({
        msg: 'shutdown complete',
        exitCode: 0,
        service: 'api',
        revision: 'f00d',
      });
      expect(valkey.commands.at(-1)).toEqual(['QUIT']);
      for (const secret of [CACHE_TOKEN, SECRET_KEY, 'X-Amz-Signature'])
        expect(app.out()).not.toContain(secret);
    } finally {
      app.child.kill('SIGKILL');
      await pg.stop();
      await valkey.stop();
    }
  }, 30_000);

  it('refuses to start with a broken environment: one line per problem, exit 2', async () => {
    const app = start({ AWS_REGION: 'eu-west-1', CACHE_AUTH_TOKEN: CACHE_TOKEN });
    expect(await app.exited).toBe(2);
    const problems = app
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['msg'] === 'invalid configuration')
      .map((l) => l['problem']);
    expect(problems).toEqual([
      'DATABASE_HOST: required (the RDS endpoint, injected by the platform)',
      'DATABASE_NAME: required (injected by the platform from database.databaseName)',
      'DATABASE_USER: required (the IAM database user, injected from database.appUsername)',
      'CACHE_HOST: required (the cache primary endpoint, injected by the platform)',
    ]);
    expect(app.out()).not.toContain(CACHE_TOKEN);
  }, 30_000);
});
