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
    expect(() => parseTopology({ ...valid, schemaVersion: 2 }, 'f')).toThrow(/schemaVersion/);
  });

  it('names the SSM parameter and the other colour', () => {
    expect(topologyParameterName('prod', 'api')).toBe('/switchyard/prod/services/api');
    expect(otherColour('blue')).toBe('green');
    expect(otherColour('green')).toBe('blue');
  });
});
