import { otherColour, parseTopology, TopologyError, topologyParameterName } from '../../services/topology';

const valid = {
  schemaVersion: 1,
  project: 'switchyard',
  environment: 'dev',
  service: 'api',
  region: 'eu-west-1',
  cluster: 'switchyard-dev',
  ecsServices: { blue: 'api-blue', green: 'api-green' },
  targetGroupArns: {
    blue: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/dev-api-blue/1',
    green: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/dev-api-green/2',
  },
  targetGroupArnSuffixes: { blue: 'targetgroup/dev-api-blue/1', green: 'targetgroup/dev-api-green/2' },
  loadBalancerArnSuffix: 'app/switchyard-dev/3',
  listenerArn: 'arn:listener',
  productionRuleArn: 'arn:rule/prod',
  testListenerArn: 'arn:listener/test',
  testRuleArn: 'arn:rule/test',
  containerName: 'app',
  containerPort: 8080,
  repositoryName: 'switchyard/api',
  repositoryUri: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/switchyard/api',
  deploymentTable: 'switchyard-dev-deployments',
  alarmNames: ['switchyard-dev-api-5xx'],
  deregistrationDelaySeconds: 30,
  deployment: {
    strategy: 'canary',
    canaryPercent: 10,
    linearStepPercent: 25,
    bakeSeconds: 300,
    finalBakeSeconds: 120,
    pollIntervalSeconds: 10,
    deploymentTimeoutSeconds: 900,
    healthyTimeoutSeconds: 300,
    max5xxRatio: 0.01,
    min5xxSampleRequests: 50,
    terminationWaitSeconds: 330,
  },
};

describe('topology document contract', () => {
  it('parses a complete document', () => {
    const t = parseTopology(valid, 'fixture.json');
    expect(t.ecsServices.green).toBe('api-green');
    expect(t.promoteFrom).toBeUndefined();
  });

  it('lists every problem with its path and source', () => {
    const bad = { ...valid, containerPort: 0, ecsServices: { blue: 'api-blue' }, colour: 'x' };
    let err: unknown;
    try {
      parseTopology(bad, '/switchyard/dev/services/api');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TopologyError);
    const issues = (err as TopologyError).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/switchyard\/dev\/services\/api: containerPort: /),
        expect.stringMatching(/^\/switchyard\/dev\/services\/api: ecsServices\.green: /),
        expect.stringMatching(/^\/switchyard\/dev\/services\/api: \(root\): .*colour/),
      ]),
    );
  });

  it('rejects a document of another schema version', () => {
    expect(() => parseTopology({ ...valid, schemaVersion: 2 }, 'f')).toThrow(/schemaVersion/);
  });

  it('names the SSM parameter and the other colour', () => {
    expect(topologyParameterName('prod', 'api')).toBe('/switchyard/prod/services/api');
    expect(otherColour('blue')).toBe('green');
    expect(otherColour('green')).toBe('blue');
  });
});
