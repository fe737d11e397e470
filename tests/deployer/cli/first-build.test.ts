/**
 * The very first build of a repository: build.yml pushes the image and calls deploy.yml for dev, which
 * runs `switchyard deploy` before dev was ever applied. The CLI must refuse (exit 2) with what to do,
 * having changed nothing. A loopback HTTP endpoint stands in for SSM (AWS_ENDPOINT_URL_SSM) and answers
 * as SSM does for a parameter that does not exist: HTTP 400 `ParameterNotFound` for GetParameter, an
 * empty page for GetParametersByPath. Any other call fails the test (nothing else may be touched).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { run } from '../../../services/deployer/src/cli/main';

let server: Server;
let port = 0;
const calls: string[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      calls.push(target);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target === 'AmazonSSM.GetParameter') {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ParameterNotFound', message: '' }));
      } else if (target === 'AmazonSSM.GetParametersByPath') {
        res.end(JSON.stringify({ Parameters: [] }));
      } else {
        res.statusCode = 500;
        res.end(JSON.stringify({ __type: 'InternalFailure', message: `unexpected ${target} ${body}` }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => server.close());

test('deploy to a dev that was never applied: refused (exit 2), says to apply dev and re-run, touches nothing', async () => {
  let out = '';
  let err = '';
  const sha = '0123456789abcdef0123456789abcdef01234567';
  // The SDK reads credentials, region and endpoints from the process environment.
  const env: Record<string, string> = {
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTOR: 'octocat',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    // every AWS endpoint points at the loopback stand-in: nothing can reach AWS
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_MAX_ATTEMPTS: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const saved = Object.fromEntries([...Object.keys(env), 'AWS_PROFILE'].map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  delete process.env.AWS_PROFILE;
  let code: number;
  try {
    code = await run(
      ['deploy', '--env', 'dev', '--service', 'api', '--image-tag', sha],
      { ...process.env } as Record<string, string>,
      { stdout: (s) => (out += s), stderr: (s) => (err += s) },
      process.cwd(),
    );
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  expect(code).toBe(2);
  expect(calls).toEqual(['AmazonSSM.GetParameter', 'AmazonSSM.GetParametersByPath']);
  const annotation = out.split('\n').find((l) => l.startsWith('::error'));
  expect(annotation).toBeDefined();
  expect(annotation).toContain('no topology for environment "dev"');
  expect(annotation).toContain('not applied yet');
  expect(annotation).toContain('apply dev first — GitHub: Actions → infra on main');
  expect(annotation).toContain('Re-run failed jobs');
  expect(`${out}${err}`).toMatch(/refused; nothing was changed/);
});
