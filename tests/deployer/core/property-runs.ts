/**
 * How the deployer's property tests pick their inputs.
 *
 * By default every property runs with its own FIXED seed: `npm test` and CI explore the same
 * (large) set of cases every time, so a red build always means a change broke something, never bad
 * luck. To explore new cases, pick the seed yourself:
 *
 *   SWITCHYARD_PROPERTY_SEED=random npx jest tests/deployer/core/invariant   # a fresh seed per property
 *   SWITCHYARD_PROPERTY_SEED=-2141390446 npx jest tests/deployer/core/invariant   # replay a reported one
 *   SWITCHYARD_PROPERTY_RUNS=2000 …                                            # more cases per property
 *
 * (`npm run test:explore` = random seeds, 1000 runs each.) A failure prints fast-check's `seed` and `path`;
 * replay it with SWITCHYARD_PROPERTY_SEED (the path narrows it to the shrunk case: add it by hand to
 * `propertyParams`' result while debugging). Turn a real find into a deterministic scenario test.
 *
 * Every run has a real-time limit (`RUN_TIMEOUT_MS`): the simulation runs on a virtual clock, so a run
 * that waits on a promise nothing will settle would otherwise idle until jest's whole-test timeout, with
 * no counterexample; with the limit fast-check reports and shrinks it like any other failure.
 */
import type fc from 'fast-check';

/** Real time one run may take (a run takes milliseconds of CPU; this only catches hangs). */
export const RUN_TIMEOUT_MS = 30_000;

/** Parameters for `fc.assert`: the property's fixed seed unless the environment says otherwise. */
export function propertyParams<T>(
  fixedSeed: number,
  numRuns: number,
  env: NodeJS.ProcessEnv = process.env,
): fc.Parameters<T> {
  const seedVar = env.SWITCHYARD_PROPERTY_SEED?.trim();
  const runsVar = env.SWITCHYARD_PROPERTY_RUNS?.trim();
  let seed = fixedSeed;
  if (seedVar === 'random') seed = (Math.random() * 2 ** 32) | 0;
  else if (seedVar) {
    seed = Number(seedVar);
    if (!Number.isInteger(seed))
      throw new Error(`SWITCHYARD_PROPERTY_SEED must be an integer or "random" (got "${seedVar}")`);
  }
  let runs = numRuns;
  if (runsVar) {
    runs = Number(runsVar);
    if (!Number.isInteger(runs) || runs < 1)
      throw new Error(`SWITCHYARD_PROPERTY_RUNS must be a positive integer (got "${runsVar}")`);
  }
  return { seed, numRuns: runs, timeout: RUN_TIMEOUT_MS };
}

/** Jest timeout of a property: `baseMs` for its default `numRuns`, scaled up with SWITCHYARD_PROPERTY_RUNS. */
export function propertyTimeoutMs(
  baseMs: number,
  numRuns: number,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const runs = propertyParams(0, numRuns, env).numRuns ?? numRuns;
  return Math.ceil(baseMs * Math.max(1, runs / numRuns));
}
