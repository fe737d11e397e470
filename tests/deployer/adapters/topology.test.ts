import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccessDeniedException,
  GetParameterCommand,
  GetParametersByPathCommand,
  ParameterNotFound,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { loadTopologyFile, loadTopologyFromSsm } from '../../../services/deployer/src/adapters/topology';
import { PortError } from '../../../services/deployer/src/ports';
import { TopologyError } from '../../../services/topology';
import { topologyDocument } from './fixtures/topology';

const client = new SSMClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
});
const ssm = mockClient(client);
const notFound = () => new ParameterNotFound({ message: '', $metadata: {} });

beforeEach(() => ssm.reset());

describe('loadTopologyFromSsm', () => {
  it('reads /switchyard/<env>/services/<svc> and parses it', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(topologyDocument()) } });
    const t = await loadTopologyFromSsm('dev', 'api', 'eu-west-1', { client });
    expect(t.ecsServices.green).toBe('api-green');
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([
      { Name: '/switchyard/dev/services/api' },
    ]);
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(0);
  });

  it('names the parameter and lists the services of the environment when the service is unknown', async () => {
    ssm.on(GetParameterCommand).rejects(notFound());
    ssm
      .on(GetParametersByPathCommand)
      .resolvesOnce({
        Parameters: [{ Name: '/switchyard/dev/services/worker' }, { Name: '/switchyard/dev/services/api' }],
        NextToken: 'n',
      })
      .resolvesOnce({ Parameters: [{ Name: '/switchyard/dev/services/web' }] });
    const err = await loadTopologyFromSsm('dev', 'apy', 'eu-west-1', { client }).catch((e) => e);
    expect(err).toBeInstanceOf(PortError);
    expect(err.kind).toBe('not-found');
    expect(err.message).toContain('unknown service "apy" in environment "dev"');
    expect(err.message).toContain('/switchyard/dev/services/apy');
    expect(err.message).toContain('Services in dev: api, web, worker');
    const paths = ssm.commandCalls(GetParametersByPathCommand).map((c) => c.args[0].input);
    expect(paths).toEqual([
      { Path: '/switchyard/dev/services', Recursive: false, MaxResults: 10 },
      { Path: '/switchyard/dev/services', Recursive: false, MaxResults: 10, NextToken: 'n' },
    ]);
  });

  it('says the environment is unknown or not applied when it has no services', async () => {
    ssm.on(GetParameterCommand).rejects(notFound());
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    const err = await loadTopologyFromSsm('qa', 'api', 'eu-west-1', { client }).catch((e) => e);
    expect(err.kind).toBe('not-found');
    expect(err.message).toMatch(/no topology for environment "qa" in eu-west-1/);
    expect(err.message).toMatch(/unknown or not applied yet/);
    expect(err.message).toContain('--topology FILE');
    // what to do, e.g. after the very first build (build.yml deploys to a dev that does not exist yet)
    expect(err.message).toContain('Nothing was read or changed');
    expect(err.message).toContain('apply qa first — GitHub: Actions → infra on main');
    expect(err.message).toContain('cdktf.out/stacks/qa');
    expect(err.message).toContain('Re-run failed jobs');
  });

  it('reports an invalid document with every problem', async () => {
    ssm.on(GetParameterCommand).resolves({
      Parameter: { Value: JSON.stringify(topologyDocument({ containerPort: 0, cluster: '' })) },
    });
    const err = await loadTopologyFromSsm('dev', 'api', 'eu-west-1', { client }).catch((e) => e);
    expect(err).toBeInstanceOf(TopologyError);
    expect(err.issues).toHaveLength(2);
    expect(err.message).toContain('ssm:/switchyard/dev/services/api');
  });

  it('reports a value that is not JSON', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{"schemaVersion": 1,' } });
    const err = await loadTopologyFromSsm('dev', 'api', 'eu-west-1', { client }).catch((e) => e);
    expect(err).toBeInstanceOf(TopologyError);
    expect(err.message).toMatch(/not valid JSON/);
  });

  it('refuses a document published for another service', async () => {
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: JSON.stringify(topologyDocument({ service: 'web' })) } });
    const err = await loadTopologyFromSsm('dev', 'api', 'eu-west-1', { client }).catch((e) => e);
    expect(err).toBeInstanceOf(TopologyError);
    expect(err.message).toContain('describes dev/web, expected dev/api');
  });

  it('maps other AWS errors', async () => {
    ssm.on(GetParameterCommand).rejects(
      new AccessDeniedException({
        message: 'not authorized to perform ssm:GetParameter',
        Message: 'not authorized to perform ssm:GetParameter',
        $metadata: {},
      }),
    );
    const err = await loadTopologyFromSsm('dev', 'api', 'eu-west-1', { client }).catch((e) => e);
    expect(err).toBeInstanceOf(PortError);
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain('SSM GetParameter /switchyard/dev/services/api');
  });
});

describe('loadTopologyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-topology-'));

  it('reads and validates a file', async () => {
    const path = join(dir, 'api.json');
    writeFileSync(path, JSON.stringify(topologyDocument()));
    await expect(loadTopologyFile(path)).resolves.toMatchObject({ environment: 'dev', service: 'api' });
  });

  it('names a missing file', async () => {
    const err = await loadTopologyFile(join(dir, 'missing.json')).catch((e) => e);
    expect(err).toBeInstanceOf(PortError);
    expect(err.kind).toBe('not-found');
    expect(err.message).toMatch(/topology file .*missing\.json does not exist; check the --topology path/);
  });

  it('names a file that is not JSON', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, 'schemaVersion: 1\n');
    const err = await loadTopologyFile(path).catch((e) => e);
    expect(err).toBeInstanceOf(TopologyError);
    expect(err.message).toContain(path);
  });

  it('reports schema problems with the file name', async () => {
    const path = join(dir, 'invalid.json');
    writeFileSync(path, JSON.stringify(topologyDocument({ schemaVersion: 3 })));
    const err = await loadTopologyFile(path).catch((e) => e);
    expect(err).toBeInstanceOf(TopologyError);
    expect(err.issues[0]).toMatch(/invalid\.json: schemaVersion/);
  });
});
