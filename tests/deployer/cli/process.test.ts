/**
 * The switchyard process against the edges of real networks and terminals (issue 9 items 5, 10, 13):
 * endpoints that never answer, refuse connections or are missing, credentials or a region that are not
 * there, signals, and a reader that closes the pipe. Local sockets only: nothing reaches the network.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { CallTracker, createEcsClient } from '../../../services/deployer/src/adapters/clients';
import { Interrupts, targetFromArgv } from '../../../services/deployer/src/cli/interrupts';

const ROOT = join(__dirname, '../../..');
const BIN = join(ROOT, 'bin/switchyard.js');
const TOPOLOGY = join(ROOT, 'services/deployer/examples/topology.dev.api.json');

/** A TCP server that accepts connections and never answers (an endpoint that hangs). */
async function hangingServer(): Promise<{
  server: Server;
  port: number;
  requests: () => number;
  close: () => Promise<void>;
}> {
  const sockets: Socket[] = [];
  let requests = 0;
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', () => requests++);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on (connection refused). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sy-process-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** An environment with no AWS settings at all (no profile files, no metadata service). */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_CONFIG_FILE: join(dir, 'none-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}
const FAKE_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'test' };

function sy(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', cwd: dir, timeout: 60_000 });
}

describe('SDK clients: timeouts and abort signals (item 5)', () => {
  const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };

  test('a request to an endpoint that never answers fails after the request timeout, not never', async () => {
    const hang = await hangingServer();
    try {
      process.env.AWS_ENDPOINT_URL_ECS = `http://127.0.0.1:${hang.port}`;
      const client = createEcsClient({
        region: 'eu-west-1',
        credentials,
        maxAttempts: 1,
        requestTimeoutMs: 300,
      });
      const started = Date.now();
      const err = await client
        .send(new DescribeServicesCommand({ cluster: 'c', services: ['s'] }))
        .catch((e: unknown) => e);
      delete process.env.AWS_ENDPOINT_URL_ECS;
      expect((err as Error).name).toBe('TimeoutError');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(hang.requests()).toBeGreaterThan(0);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_ECS;
      await hang.close();
    }
  });

  test('the run signal aborts a call in flight; calls after the first signal get a fresh one', async () => {
    const hang = await hangingServer();
    process.env.AWS_ENDPOINT_URL_ECS = `http://127.0.0.1:${hang.port}`;
    try {
      const interrupts = new Interrupts({ target: { environment: 'dev', service: 'api' } });
      const client = createEcsClient({
        region: 'eu-west-1',
        credentials,
        maxAttempts: 1,
        control: interrupts.control,
        tracker: interrupts.tracker,
      });
      const inFlight = client
        .send(new DescribeServicesCommand({ cluster: 'c', services: ['s'] }))
        .catch((e: unknown) => e);
      for (let i = 0; i < 200 && hang.requests() === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const first = interrupts.onSignal('SIGINT');
      expect(first.message).toMatch(
        /SIGINT received — stopping; cancelled AWS calls in flight: ECS DescribeServices \(\d+\.\d s\)/,
      );
      const err = (await inFlight) as Error;
      expect(err.name).toBe('AbortError');
      expect(interrupts.signal.aborted).toBe(true);
      // the restore that follows is not born aborted, and runs with the short per-request timeout
      expect(interrupts.control.signal()?.aborted).toBe(false);
      expect(interrupts.control.stopping()).toBe(true);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_ECS;
      await hang.close();
    }
  });
});

describe('signal messages say what is true (item 5)', () => {
  const ev = (type: string, data?: Record<string, unknown>) => ({
    at: 0,
    level: 'info' as const,
    type,
    message: type,
    ...(data ? { data } : {}),
  });

  test('second signal while the restoring write is still failing: it says so and names the call in flight', () => {
    let now = 1_000;
    const i = new Interrupts({ target: { environment: 'prod', service: 'api' }, now: () => now });
    i.observe(ev('weights.set', { blue: 90, green: 10 }));
    i.onSignal('SIGINT');
    i.observe(ev('gate.failed'));
    i.observe(ev('api.retry', { api: 'elbv2:ModifyRule', attempt: 2 }));
    i.tracker.begin('ElasticLoadBalancingV2 ModifyRule');
    now += 2_500;
    const second = i.onSignal('SIGTERM');
    expect(second.exitNow).toBeUndefined();
    expect(second.message).toBe(
      'switchyard: SIGTERM received again — still stopping: this run moved traffic (last written: blue 90% / green 10%); the restoring write has not succeeded yet (elbv2:ModifyRule, attempt 3); waiting for ElasticLoadBalancingV2 ModifyRule (2.5 s). Send it once more to exit immediately (traffic may stay split: run `switchyard status --env prod --service api`, then `switchyard rollback`)\n',
    );
    const third = i.onSignal('SIGTERM');
    expect(third.exitNow).toBe(1);
    expect(third.message).toMatch(/exiting now: this run moved traffic/);
  });

  test('after a confirmed restore, or when traffic never moved, it does not claim a restore is running', () => {
    const a = new Interrupts({ target: { environment: 'dev', service: 'api' } });
    a.observe(ev('weights.set', { blue: 90, green: 10 }));
    a.observe(ev('rollback.restored', { blue: 100, green: 0, colour: 'blue' }));
    a.onSignal('SIGINT');
    const m = a.onSignal('SIGINT').message;
    expect(m).toMatch(/traffic is back on blue \(100%, written and read back\); no AWS call in flight/);
    expect(m).toMatch(/traffic stays as written/);
    expect(m).not.toMatch(/still restoring/);

    const b = new Interrupts();
    b.observe(ev('rollback.no-traffic-moved'));
    b.onSignal('SIGINT');
    expect(b.onSignal('SIGINT').message).toMatch(/traffic never moved in this run; nothing to put back/);

    const c = new Interrupts();
    c.observe(ev('rollback.restored', { blue: 100, green: 0, colour: 'blue' }));
    c.observe(ev('rollback.unverified'));
    c.onSignal('SIGINT');
    expect(c.onSignal('SIGINT').message).toMatch(/NOT confirmed by the read-back.*traffic may stay split/);
  });

  test('the target comes from the command line', () => {
    expect(targetFromArgv(['promote', '--service', 'api', '--from', 'dev', '--to=staging'])).toEqual({
      environment: 'staging',
      service: 'api',
    });
  });
});

describe('refusals before anything was read (item 10): exit 2 with what to set, naming env and service', () => {
  test('no region (no --region, AWS_REGION, profile) and the topology in SSM', () => {
    const r = sy(
      ['deploy', '--env', 'dev', '--service', 'api', '--image-tag', 'v2'],
      bareEnv(FAKE_CREDENTIALS),
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /no AWS region for dev\/api: set AWS_REGION \(the region of environments\/dev\.yaml\) or pass --region/,
    );
  });

  test('no credentials', () => {
    const r = sy(
      ['deploy', '--env', 'dev', '--service', 'api', '--image-tag', 'v2', '--topology', TOPOLOGY],
      bareEnv({ AWS_REGION: 'eu-west-1' }),
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no AWS credentials for dev\/api .*set AWS_PROFILE .*GitHub Environment dev/);
    expect(r.stderr).toMatch(/Nothing was read or changed/);
  });

  test('an endpoint that refuses connections: no AWS answer at all', async () => {
    const port = await closedPort();
    const r = sy(
      ['deploy', '--env', 'dev', '--service', 'api', '--image-tag', 'v2', '--topology', TOPOLOGY],
      bareEnv({
        ...FAKE_CREDENTIALS,
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
        AWS_MAX_ATTEMPTS: '1',
      }),
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `cannot reach AWS for dev/api: .*ECONNREFUSED.*No AWS endpoint answered \\(AWS_ENDPOINT_URL=http://127\\.0\\.0\\.1:${port}\\), so nothing was read or changed`,
      ),
    );
    expect(r.stderr).not.toMatch(/weights may be split/);
  }, 60_000);

  test('Ctrl-C against an endpoint that never answers: the call is cancelled, exit 2, nothing changed', async () => {
    const hang = await hangingServer();
    try {
      const child = spawn(
        process.execPath,
        [BIN, 'deploy', '--env', 'dev', '--service', 'api', '--image-tag', 'v2', '--topology', TOPOLOGY],
        {
          env: bareEnv({
            ...FAKE_CREDENTIALS,
            AWS_REGION: 'eu-west-1',
            AWS_ENDPOINT_URL: `http://127.0.0.1:${hang.port}`,
          }),
          cwd: dir,
        },
      );
      let err = '';
      child.stderr.on('data', (d) => (err += String(d)));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      for (let i = 0; i < 1500 && hang.requests() === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(hang.requests()).toBeGreaterThan(0);
      const sent = Date.now();
      child.kill('SIGINT');
      const code = await exited;
      expect(Date.now() - sent).toBeLessThan(8_000); // not a 10 s request timeout per retry
      expect(err).toMatch(/SIGINT received — stopping; cancelled AWS calls in flight: DynamoDB GetItem/);
      expect(err).toMatch(/This run has written no traffic weights/);
      expect(err).toMatch(
        /interrupted before AWS answered anything for dev\/api: nothing was read or changed/,
      );
      expect(code).toBe(2);
    } finally {
      await hang.close();
    }
  }, 60_000);
});

describe('a reader that closes the pipe (item 13)', () => {
  test.each([
    ['| head -1', 'head -1 > /dev/null'],
    ['| true (closed before anything is written)', 'true'],
  ])(
    'switchyard status %s: no EPIPE stack trace, exit 0',
    (_label, reader) => {
      const env = {
        ...bareEnv(),
        SWITCHYARD_SIM_STATE: join(dir, 'sim.json'),
        SWITCHYARD_SIM_WALL_CLOCK: 'off',
      };
      expect(
        sy(
          [
            'deploy',
            '--simulate',
            '--sim-reset',
            '--env',
            'dev',
            '--service',
            'api',
            '--image-tag',
            'v1.1.0',
          ],
          env,
        ).status,
      ).toBe(0);
      const r = spawnSync(
        'bash',
        [
          '-c',
          `set -o pipefail; "${process.execPath}" "${BIN}" status --simulate --env dev --releases 20 --output json | ${reader}; echo "exit=\${PIPESTATUS[0]}"`,
        ],
        { env, encoding: 'utf8', cwd: dir },
      );
      expect(r.stdout.trim().split('\n').pop()).toBe('exit=0');
      expect(r.stderr).not.toMatch(/EPIPE|Error:|at /);
    },
    30_000,
  );
});

test('CallTracker describes calls in flight, oldest first', () => {
  let now = 0;
  const t = new CallTracker(() => now);
  const a = t.begin('ECS DescribeServices');
  now = 1_200;
  t.begin('DynamoDB GetItem');
  now = 2_000;
  expect(t.describeInFlight()).toEqual(['ECS DescribeServices (2.0 s)', 'DynamoDB GetItem (0.8 s)']);
  t.end(a, true);
  expect(t.succeeded).toBe(1);
});
