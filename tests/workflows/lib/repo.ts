/**
 * Loads the GitHub Actions workflows and local composite actions of this repository (optionally with
 * some files replaced by mutated text) so the rule checks in rules.ts can run on the real files and on
 * deliberately broken copies.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';

export const ROOT = join(__dirname, '..', '..', '..');
export const WORKFLOW_DIR = '.github/workflows';
export const ACTION_DIR = '.github/actions';

export type Yaml = Record<string, unknown>;

export interface LoadedFile {
  /** Path relative to the repository root, e.g. `.github/workflows/ci.yml`. */
  readonly path: string;
  readonly text: string;
  readonly doc: Yaml;
}

export interface Repo {
  /** Keyed by file name without directory, e.g. `ci.yml`. */
  readonly workflows: ReadonlyMap<string, LoadedFile>;
  /** Keyed by local action reference, e.g. `./.github/actions/setup-node-deps`. */
  readonly actions: ReadonlyMap<string, LoadedFile>;
}

function load(path: string, overrides: Readonly<Record<string, string>>): LoadedFile {
  const text = overrides[path] ?? readFileSync(join(ROOT, path), 'utf8');
  const doc = parse(text) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new Error(`${path}: not a YAML mapping`);
  }
  return { path, text, doc: doc as Yaml };
}

export function loadRepo(overrides: Readonly<Record<string, string>> = {}): Repo {
  const workflows = new Map<string, LoadedFile>();
  for (const name of readdirSync(join(ROOT, WORKFLOW_DIR)).sort()) {
    if (!/\.ya?ml$/.test(name)) continue;
    workflows.set(name, load(`${WORKFLOW_DIR}/${name}`, overrides));
  }
  const actions = new Map<string, LoadedFile>();
  const actionRoot = join(ROOT, ACTION_DIR);
  if (existsSync(actionRoot)) {
    for (const dir of readdirSync(actionRoot).sort()) {
      for (const file of ['action.yml', 'action.yaml']) {
        const abs = join(actionRoot, dir, file);
        if (existsSync(abs)) {
          actions.set(`./${ACTION_DIR}/${dir}`, load(relative(ROOT, abs), overrides));
        }
      }
    }
  }
  return { workflows, actions };
}

/**
 * Reads a file of the repository, applies each replacement in turn (every `from` must occur, so a stale
 * mutation fails loudly instead of silently changing nothing) and returns the override for loadRepo.
 */
export function mutate(path: string, ...edits: Array<string | RegExp>): Record<string, string> {
  if (edits.length === 0 || edits.length % 2 !== 0) throw new Error('mutate(path, from, to, [from, to]...)');
  let text = readFileSync(join(ROOT, path), 'utf8');
  for (let i = 0; i < edits.length; i += 2) {
    const from = edits[i]!;
    const to = String(edits[i + 1]);
    const found =
      typeof from === 'string'
        ? text.includes(from)
        : new RegExp(from.source, from.flags.replace('g', '')).test(text);
    if (!found) throw new Error(`mutation of ${path}: ${String(from)} does not occur; the test is stale`);
    text = typeof from === 'string' ? text.split(from).join(to) : text.replace(from, to);
  }
  return { [path]: text };
}

export function asRecord(value: unknown): Yaml | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Yaml) : undefined;
}

export interface Job {
  readonly workflow: LoadedFile;
  readonly id: string;
  readonly def: Yaml;
}

export function jobsOf(workflow: LoadedFile): Job[] {
  const jobs = asRecord(workflow.doc['jobs']) ?? {};
  return Object.entries(jobs).map(([id, def]) => ({ workflow, id, def: asRecord(def) ?? {} }));
}

export function allJobs(repo: Repo): Job[] {
  return [...repo.workflows.values()].flatMap(jobsOf);
}

export function stepsOf(def: Yaml): Yaml[] {
  const steps = def['steps'];
  return Array.isArray(steps) ? steps.map((s) => asRecord(s) ?? {}) : [];
}

/** The `uses:` value without the `@ref`, e.g. `actions/checkout`. */
export function actionName(uses: string): string {
  return uses.split('@')[0]!;
}

/** Steps of a job with local composite actions expanded (recursively), so nested uses are seen. */
export function expandedSteps(repo: Repo, steps: readonly Yaml[], depth = 0): Yaml[] {
  if (depth > 5) throw new Error('composite actions nest deeper than 5 levels');
  const out: Yaml[] = [];
  for (const step of steps) {
    out.push(step);
    const uses = step['uses'];
    if (typeof uses === 'string' && uses.startsWith('./')) {
      const action = repo.actions.get(uses.replace(/\/$/, ''));
      const runs = action ? asRecord(action.doc['runs']) : undefined;
      if (runs) out.push(...expandedSteps(repo, stepsOf(runs), depth + 1));
    }
  }
  return out;
}

/** `on:` of a workflow as a mapping (YAML parses the key `on` as the string "on"). */
export function triggers(workflow: LoadedFile): Yaml {
  const on = workflow.doc['on'];
  if (typeof on === 'string') return { [on]: {} };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [String(e), {}]));
  return asRecord(on) ?? {};
}

/**
 * The environment list as the synth (environments/loader.ts) and .github/scripts/validate-inputs.sh
 * build it: the files environments/<name>.yaml except project.yaml, sorted.
 */
export function environmentFiles(dir: string = join(ROOT, 'environments')): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'project.yaml')
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** Environment names defined by environments/<name>.yaml files whose `name:` equals the file name. */
export function definedEnvironments(): string[] {
  const dir = join(ROOT, 'environments');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .filter((f) => {
      const doc = asRecord(parse(readFileSync(join(dir, f), 'utf8')) as unknown);
      return doc !== undefined && doc['name'] === f.replace(/\.ya?ml$/, '');
    })
    .map((f) => f.replace(/\.ya?ml$/, ''))
    .sort();
}
