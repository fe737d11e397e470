import { otherColour, parseTopology, TopologyError, topologyParameterName } from '../../services/topology';
import { topologyDocument } from '../deployer/adapters/fixtures/topology';

const valid = topologyDocument();

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
    expect(() => parseTopology({ ...valid, schemaVersion: 3 }, 'f')).toThrow(/schemaVersion/);
  });

  it('explains a schema-1 document (flat alarmNames) and how to republish it', () => {
    const { alarms: _a, ...rest } = valid;
    const old = { ...rest, schemaVersion: 1, alarmNames: ['switchyard-dev-api-5xx'] };
    expect(() => parseTopology(old, '/switchyard/dev/services/api')).toThrow(
      /\/switchyard\/dev\/services\/api: schemaVersion: document of schema 1, this deployer reads schema 2 \(alarms scoped per colour.*Re-apply the environment/,
    );
  });

  it('scopes alarms per colour and shared; a name belongs to one scope only', () => {
    expect(parseTopology(valid, 'f').alarms).toEqual({
      blue: ['switchyard-dev-api-blue-5xx'],
      green: ['switchyard-dev-api-green-5xx'],
      shared: ['switchyard-dev-alb-5xx'],
    });
    const twice = { ...valid, alarms: { blue: ['a'], green: ['b'], shared: ['a'] } };
    expect(() => parseTopology(twice, 'f')).toThrow(
      /f: alarms\.shared\.0: alarm a is listed in blue and shared/,
    );
    const missing = { ...valid, alarms: { blue: [], green: [] } };
    expect(() => parseTopology(missing, 'f')).toThrow(/alarms\.shared/);
  });

  it('takes an optional restore deadline of 30 s to 1 h', () => {
    const at = (n: unknown) => ({ ...valid, deployment: { ...valid.deployment, restoreDeadlineSeconds: n } });
    expect(parseTopology(at(600), 'f').deployment.restoreDeadlineSeconds).toBe(600);
    expect(parseTopology(valid, 'f').deployment.restoreDeadlineSeconds).toBeUndefined();
    expect(() => parseTopology(at(10), 'f')).toThrow(/deployment\.restoreDeadlineSeconds/);
    expect(() => parseTopology(at(7200), 'f')).toThrow(/deployment\.restoreDeadlineSeconds/);
  });

  it('names the SSM parameter and the other colour', () => {
    expect(topologyParameterName('prod', 'api')).toBe('/switchyard/prod/services/api');
    expect(otherColour('blue')).toBe('green');
    expect(otherColour('green')).toBe('blue');
  });
});
