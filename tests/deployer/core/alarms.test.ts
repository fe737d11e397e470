/** core/alarms.ts: scoping, the pre-firing baseline and the preflight decision (pure). */
import {
  AlarmBaseline,
  alarmPreflight,
  alarmScope,
  gatingAlarms,
  scopeAlarms,
} from '../../../services/deployer/src/core/alarms';
import type { AlarmState } from '../../../services/deployer/src/ports';

const t = { alarms: { blue: ['b1', 'b2'], green: ['g1'], shared: ['s1'] } };
const where = { environment: 'prod', service: 'api' };
const st = (name: string, state: AlarmState['state'], since?: number): AlarmState => ({
  name,
  state,
  ...(since !== undefined ? { since } : {}),
});

test("a release to green is gated by green's own + shared alarms; blue's are read but never gate", () => {
  const scope = alarmScope(t, 'green');
  expect(gatingAlarms(scope)).toEqual(['g1', 's1']);
  expect(scope.other).toEqual(['b1', 'b2']);
  expect(scopeAlarms(scope)).toEqual(['g1', 's1', 'b1', 'b2']);
  expect(gatingAlarms(alarmScope(t, 'blue'))).toEqual(['b1', 'b2', 's1']);
});

describe('AlarmBaseline', () => {
  test('an alarm not in ALARM at the start fails as soon as it is in ALARM', () => {
    const b = new AlarmBaseline([st('s1', 'OK', 1)]);
    expect(b.judge([st('s1', 'ALARM', 2)])).toEqual({ failing: ['s1'], excused: [] });
  });

  test('a pre-firing alarm is excused while its transition timestamp is unchanged, fails on a newer one', () => {
    const b = new AlarmBaseline([st('s1', 'ALARM', 100)]);
    expect(b.preFiring()).toEqual(['s1']);
    expect(b.judge([st('s1', 'ALARM', 100)])).toEqual({ failing: [], excused: ['s1'] });
    expect(b.judge([st('s1', 'ALARM', 250)])).toEqual({ failing: ['s1'], excused: [] });
    // and stays failing afterwards (the excuse is gone)
    expect(b.judge([st('s1', 'ALARM', 250)])).toEqual({ failing: ['s1'], excused: [] });
  });

  test('without timestamps: excused until seen out of ALARM, then a new ALARM fails', () => {
    const b = new AlarmBaseline([st('s1', 'ALARM')]);
    expect(b.judge([st('s1', 'ALARM')]).failing).toEqual([]);
    expect(b.judge([st('s1', 'INSUFFICIENT_DATA')]).failing).toEqual([]);
    expect(b.preFiring()).toEqual([]);
    expect(b.judge([st('s1', 'ALARM')]).failing).toEqual(['s1']);
  });
});

describe('alarmPreflight', () => {
  const scope = alarmScope(t, 'green'); // blue live
  test('nothing firing: no refusal, no warning', () => {
    expect(alarmPreflight('deploy', scope, [st('g1', 'OK'), st('s1', 'OK'), st('b1', 'OK')], where)).toEqual({
      warnings: [],
      firingGating: [],
      firingOther: [],
    });
  });

  test('a gating alarm with the live colour healthy refuses a deploy or promote, only warns a rollback', () => {
    const states = [st('s1', 'ALARM'), st('b1', 'OK')];
    expect(alarmPreflight('deploy', scope, states, where).refusal).toMatch(
      /^alarm s1 is in ALARM before the deploy started \(s1: shared\) while the live colour blue's own alarms are OK.*switchyard rollback --env prod --service api/,
    );
    expect(alarmPreflight('promote', scope, states, where).refusal).toContain('before the promote started');
    const rb = alarmPreflight('rollback', scope, states, where);
    expect(rb.refusal).toBeUndefined();
    expect(rb.warnings[0]).toMatch(/^alarm s1 is in ALARM before the rollback started; continuing/);
  });

  test("the live colour's own alarm firing makes a deploy a roll-forward: warned, never refused", () => {
    const pre = alarmPreflight(
      'deploy',
      scope,
      [st('b2', 'ALARM'), st('s1', 'ALARM'), st('g1', 'OK')],
      where,
    );
    expect(pre.refusal).toBeUndefined();
    expect(pre.firingOther).toEqual(['b2']);
    expect(pre.firingGating).toEqual(['s1']);
    expect(pre.warnings.join('\n')).toMatch(
      /alarm b2 is in ALARM on blue, the colour this deploy moves traffic away from: not gating it/,
    );
    expect(pre.warnings.join('\n')).toMatch(
      /alarm s1 is in ALARM too; continuing because blue's own alarm fires/,
    );
  });
});
