import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  commonClientConfig,
  createAwsClients,
  createEcsClient,
  createElbv2Client,
  DEFAULT_MAX_ATTEMPTS,
  ENDPOINT_URL_ENV,
  resolveCredentials,
} from '../../../services/deployer/src/adapters/clients';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

/** Stops a request after endpoint resolution and serialization, before signing and sending: no network. */
class Captured extends Error {
  constructor(readonly request: { protocol: string; hostname: string; port?: number; path: string }) {
    super('captured');
  }
}
function capture<C extends { middlewareStack: { add: (...a: never[]) => void } }>(client: C): C {
  (client.middlewareStack as unknown as { add: (m: unknown, o: unknown) => void }).add(
    () => async (args: { request: Captured['request'] }) => {
      throw new Captured(args.request);
    },
    { step: 'build', name: 'switchyardCaptureRequest' },
  );
  return client;
}
async function requestOf(send: () => Promise<unknown>): Promise<Captured['request']> {
  const err = await send().catch((e) => e);
  if (!(err instanceof Captured)) throw err;
  return err.request;
}

const ENV_KEYS = [
  'AWS_ENDPOINT_URL',
  ...Object.values(ENDPOINT_URL_ENV),
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
];
const saved: Record<string, string | undefined> = {};
beforeEach(() => {
  for (const k of ENV_KEYS) {
    saved[k] = process.env[k];
    delete process.env[k];
  }
});
afterEach(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('commonClientConfig', () => {
  it('uses adaptive retries, 3 attempts and the given region by default, and no endpoint', () => {
    expect(commonClientConfig({ region: 'eu-west-1', env: {} })).toEqual({
      region: 'eu-west-1',
      retryMode: 'adaptive',
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      customUserAgent: 'switchyard',
    });
  });

  it('leaves retry settings to the SDK when AWS_MAX_ATTEMPTS / AWS_RETRY_MODE are set', () => {
    const config = commonClientConfig({ env: { AWS_MAX_ATTEMPTS: '10', AWS_RETRY_MODE: 'standard' } });
    expect(config).toEqual({ customUserAgent: 'switchyard' });
  });

  it('prefers explicit options and validates maxAttempts', () => {
    expect(
      commonClientConfig({ maxAttempts: 2, retryMode: 'standard', env: { AWS_MAX_ATTEMPTS: '9' } }),
    ).toMatchObject({
      maxAttempts: 2,
      retryMode: 'standard',
    });
    expect(() => commonClientConfig({ maxAttempts: 0 })).toThrow(/maxAttempts must be a positive integer/);
  });
});

describe('SDK clients', () => {
  it('are configured with region, adaptive retry mode and max attempts', async () => {
    const clients = createAwsClients({ region: 'eu-central-1', credentials, env: {} });
    for (const c of Object.values(clients)) {
      expect(await c.config.region()).toBe('eu-central-1');
      expect(await c.config.maxAttempts()).toBe(DEFAULT_MAX_ATTEMPTS);
      const mode = typeof c.config.retryMode === 'function' ? await c.config.retryMode() : c.config.retryMode;
      expect(mode).toBe('adaptive');
    }
  });

  it('send to the regional AWS endpoint when no endpoint variable is set', async () => {
    const ecs = capture(createEcsClient({ region: 'eu-west-1', credentials }));
    const req = await requestOf(() =>
      ecs.send(new DescribeServicesCommand({ cluster: 'c', services: ['s'] })),
    );
    expect(`${req.protocol}//${req.hostname}`).toBe('https://ecs.eu-west-1.amazonaws.com');
  });

  it('honour AWS_ENDPOINT_URL (natively, in the SDK)', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://localhost:4566';
    const ecs = capture(createEcsClient({ region: 'eu-west-1', credentials }));
    const req = await requestOf(() =>
      ecs.send(new DescribeServicesCommand({ cluster: 'c', services: ['s'] })),
    );
    expect([req.protocol, req.hostname, req.port]).toEqual(['http:', 'localhost', 4566]);
  });

  it('honour the service-specific AWS_ENDPOINT_URL_<SERVICE> over the generic one', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://localhost:4566';
    process.env[ENDPOINT_URL_ENV.elbv2] = 'http://elb.internal:9000';
    const elb = capture(createElbv2Client({ region: 'eu-west-1', credentials }));
    const ecs = capture(createEcsClient({ region: 'eu-west-1', credentials }));
    const elbReq = await requestOf(() => elb.send(new DescribeRulesCommand({ RuleArns: ['arn:rule'] })));
    const ecsReq = await requestOf(() =>
      ecs.send(new DescribeServicesCommand({ cluster: 'c', services: ['s'] })),
    );
    expect([elbReq.hostname, elbReq.port]).toEqual(['elb.internal', 9000]);
    expect([ecsReq.hostname, ecsReq.port]).toEqual(['localhost', 4566]);
  });

  it('ignore the variables when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://localhost:4566';
    process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS = 'true';
    const ecs = capture(createEcsClient({ region: 'eu-west-1', credentials }));
    const req = await requestOf(() =>
      ecs.send(new DescribeServicesCommand({ cluster: 'c', services: ['s'] })),
    );
    expect(req.hostname).toBe('ecs.eu-west-1.amazonaws.com');
  });
});

describe('resolveCredentials (the deployer refuses a deploy that would outlive them)', () => {
  const at = new Date('2030-01-01T01:30:00Z');

  it('static environment credentials with AWS_CREDENTIAL_EXPIRATION: a hard expiry (the SDK cannot renew them)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_SESSION_TOKEN: 'y',
      AWS_CREDENTIAL_EXPIRATION: at.toISOString(),
    });
    try {
      // the SDK's own default chain (fromEnv reads AWS_CREDENTIAL_EXPIRATION as `expiration`)
      const client = createEcsClient({ region: 'eu-west-1' });
      await expect(resolveCredentials(client)).resolves.toEqual({ hardExpiresAt: at.getTime() });
    } finally {
      for (const k of [
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_CREDENTIAL_EXPIRATION',
      ])
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
    }
  });

  it('credentials the SDK refreshes itself (SSO, web identity, metadata): their expiration is no deadline', async () => {
    const refreshed = {
      config: {
        credentials: async () => ({
          accessKeyId: 'a',
          secretAccessKey: 'b',
          expiration: at,
          $source: { CREDENTIALS_IMDS: '0' },
        }),
      },
    };
    await expect(resolveCredentials(refreshed)).resolves.toEqual({});
  });
});
