/**
 * The smoke-test adapter on Node's http and child_process: against a local server on 127.0.0.1 (no
 * network) and short `node -e` commands.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSmokePort, OutputTail, redactSecrets } from '../../../services/deployer/src/adapters/smoke';

let server: Server;
let base: string;
const seen: { method?: string; url?: string; host?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, host: req.headers.host });
    if (req.url === '/slow') return; // never answers
    if (req.url === '/big') {
      res.end('x'.repeat(200_000));
      return;
    }
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.end(JSON.stringify({ status: 'ok' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const port = createSmokePort();

test('sends the method, path and Host header; returns status and body', async () => {
  seen.length = 0;
  await expect(
    port.http({ url: `${base}/health?x=1`, method: 'GET', host: 'api.example.com', timeoutMs: 2000 }),
  ).resolves.toEqual({
    status: 200,
    body: '{"status":"ok"}',
  });
  expect(seen).toEqual([{ method: 'GET', url: '/health?x=1', host: 'api.example.com' }]);
  expect((await port.http({ url: `${base}/missing`, method: 'HEAD', timeoutMs: 2000 })).status).toBe(404);
  expect(seen[1].host).toBe(new URL(base).host); // default: the URL's host
});

test('a body is cut at 64 KiB; a silent server times out; a closed port is refused — both PortError unavailable', async () => {
  expect((await port.http({ url: `${base}/big`, method: 'GET', timeoutMs: 2000 })).body).toHaveLength(
    64 * 1024,
  );
  await expect(port.http({ url: `${base}/slow`, method: 'GET', timeoutMs: 200 })).rejects.toMatchObject({
    kind: 'unavailable',
    message: 'no answer within 200 ms',
  });
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
  await new Promise((r) => closed.close(r));
  await expect(port.http({ url, method: 'GET', timeoutMs: 2000 })).rejects.toMatchObject({
    kind: 'unavailable',
    message: expect.stringMatching(/ECONNREFUSED/),
  });
});

const node = (script: string) => [process.execPath, '-e', script];

test('the command gets the SWITCHYARD_* variables; exit code and output tail come back', async () => {
  const r = await port.run({
    argv: node(
      'console.log(process.env.SWITCHYARD_TEST_URL, process.env.SWITCHYARD_COLOUR); console.error("warn"); process.exit(3)',
    ),
    env: { SWITCHYARD_TEST_URL: 'http://x:8080', SWITCHYARD_COLOUR: 'green' },
    timeoutMs: 10_000,
  });
  expect(r).toMatchObject({ exitCode: 3, timedOut: false });
  expect(r.outputTail).toContain('http://x:8080 green');
  expect(r.outputTail).toContain('warn');
});

test('a command over its time is killed (timedOut); one that cannot start says why', async () => {
  const slow = await port.run({ argv: node('setTimeout(() => {}, 60000)'), env: {}, timeoutMs: 200 });
  expect(slow).toMatchObject({ exitCode: null, timedOut: true });
  const missing = await port.run({ argv: ['/nonexistent/smoke-test-binary'], env: {}, timeoutMs: 2000 });
  expect(missing).toMatchObject({ exitCode: null, error: expect.stringMatching(/ENOENT/) });
}, 15_000);

test('the output tail keeps the last ~4 KB from a line start', () => {
  const tail = new OutputTail(100);
  for (let i = 0; i < 50; i++) tail.append(`line ${i}\n`);
  const text = tail.toString();
  expect(text.length).toBeLessThanOrEqual(101);
  expect(text.startsWith('…line ')).toBe(true);
  expect(text.endsWith('line 49\n')).toBe(true);
});

test('a secret the command prints never reaches the recorded tail; ordinary variables are left alone', async () => {
  const withSecrets = createSmokePort({
    env: {
      PATH: process.env.PATH,
      API_TOKEN: 'tok-1234567890',
      DB_PASSWORD: 'hunter2hunter2',
      REGION: 'eu-west-1',
    },
  });
  const r = await withSecrets.run({
    argv: node('console.log(process.env.API_TOKEN, process.env.DB_PASSWORD, process.env.REGION)'),
    env: {},
    timeoutMs: 10_000,
  });
  expect(r.exitCode).toBe(0);
  expect(r.outputTail).toBe('*** *** eu-west-1\n');
  expect(redactSecrets('x=short', { MY_TOKEN: 'short' })).toBe('x=short'); // too short to mask safely
});
