/**
 * Running workflow steps in tests: the `run:` script and `env:` of a step read from the workflow YAML,
 * `${{ … }}` resolved as GitHub would, and the environment of a deployer run against the `--simulate` world.
 */
import { join } from 'node:path';
import { asRecord, jobsOf, loadRepo, stepsOf, type Yaml } from './repo';

const repo = loadRepo();

/** The `run:` script and `env:` of the step of `file` whose run text contains `marker`. */
export function stepOf(file: string, marker: string): { run: string; env: Record<string, string> } {
  const wf = repo.workflows.get(file);
  if (!wf) throw new Error(`${file} missing`);
  for (const job of jobsOf(wf)) {
    for (const step of stepsOf(job.def)) {
      const run = step['run'];
      if (typeof run === 'string' && run.includes(marker)) {
        const env = Object.fromEntries(
          Object.entries(asRecord(step['env']) ?? ({} as Yaml)).map(([k, v]) => [k, String(v)]),
        );
        return { run, env };
      }
    }
  }
  throw new Error(`${file}: no step runs ${marker}`);
}

/** Substitutes `${{ inputs.x }}` / `${{ github.x }}` in step env values as GitHub would. */
export function resolveEnv(
  env: Record<string, string>,
  context: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      v.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_m, name: string) => {
        if (!(name in context)) throw new Error(`test gives no value for ${name}`);
        return context[name]!;
      }),
    ]),
  );
}

export function baseEnv(dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    GITHUB_ACTOR: 'octocat',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** The simulation the step's deployer will find: state file, frozen wall clock, paced virtual time. */
export function simEnv(dir: string): Record<string, string> {
  return {
    SWITCHYARD_SIMULATE: '1',
    SWITCHYARD_SIM_STATE: join(dir, 'sim.json'),
    SWITCHYARD_SIM_WALL_CLOCK: 'off',
    SWITCHYARD_SIM_PACE: '300',
  };
}
