/** The property tests' seeds: fixed unless asked (CI never fails by chance), replayable, scalable. */
import fc from 'fast-check';
import { propertyParams, propertyTimeoutMs, RUN_TIMEOUT_MS } from './property-runs';

test('fixed seed and run count by default', () => {
  expect(propertyParams(42, 150, {})).toEqual({ seed: 42, numRuns: 150, timeout: RUN_TIMEOUT_MS });
  expect(propertyTimeoutMs(60_000, 150, {})).toBe(60_000);
});

test('SWITCHYARD_PROPERTY_SEED replays a seed or draws a random one; SWITCHYARD_PROPERTY_RUNS scales runs and timeout', () => {
  expect(propertyParams(42, 150, { SWITCHYARD_PROPERTY_SEED: '-2141390446' }).seed).toBe(-2141390446);
  const seeds = new Set(
    Array.from({ length: 5 }, () => propertyParams(42, 150, { SWITCHYARD_PROPERTY_SEED: 'random' }).seed),
  );
  expect(seeds.size).toBeGreaterThan(1);
  expect(propertyParams(42, 150, { SWITCHYARD_PROPERTY_RUNS: '1000' }).numRuns).toBe(1000);
  expect(propertyTimeoutMs(60_000, 150, { SWITCHYARD_PROPERTY_RUNS: '1500' })).toBe(600_000);
  expect(propertyTimeoutMs(60_000, 150, { SWITCHYARD_PROPERTY_RUNS: '10' })).toBe(60_000);
});

test('bad values are named', () => {
  expect(() => propertyParams(1, 1, { SWITCHYARD_PROPERTY_SEED: 'abc' })).toThrow(/SWITCHYARD_PROPERTY_SEED/);
  expect(() => propertyParams(1, 1, { SWITCHYARD_PROPERTY_RUNS: '0' })).toThrow(/SWITCHYARD_PROPERTY_RUNS/);
});

test('a run that never settles fails with a counterexample instead of idling until the jest timeout', async () => {
  const params = { ...propertyParams<[number]>(7, 5, {}), timeout: 50 };
  const result = await fc.check(
    fc.asyncProperty(fc.integer(), (n) => (n === n ? new Promise<void>(() => undefined) : Promise.resolve())),
    params,
  );
  expect(result.failed).toBe(true);
  expect(String(result.errorInstance)).toMatch(/Property timeout: exceeded limit of 50 milliseconds/);
});
