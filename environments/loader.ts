/**
 * Reads, validates and resolves `environments/*.yaml`.
 *
 * Pipeline per environment file: YAML → merge over tier defaults → strict schema + cross-field rules
 * (all problems collected, none thrown early) → resolve computed defaults → EnvironmentConfig.
 * `loadEnvironments` validates every file before returning anything, so callers build no construct
 * when any file is wrong. Problems are formatted `environments/prod.yaml: vpc.azCount: must be 2 or 3 (got 5)`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { partitionOf } from '../modules/vpc/partition';
import { stateKeyAlias } from '../stacks/names';
import { crossFieldProblems, type PathSegment, type Problem } from './rules';
import {
  type EnvironmentConfig,
  type EnvironmentInput,
  environmentSchema,
  type ProjectConfig,
  projectSchema,
} from './schema';
import { suggest } from './suggest';
import { serviceDefaults, TIERS, type Tier, tierDefaults } from './tiers';

export { suggest } from './suggest';

/** The non-environment file in environments/ (ignored by discovery). */
export const PROJECT_FILE = 'project.yaml';
/** Env var naming the environments to synthesize: `SWITCHYARD_ENVS=dev,prod`. */
export const ENVS_VARIABLE = 'SWITCHYARD_ENVS';

/** Every problem found in the configuration, already formatted one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------------

export function formatPath(p: readonly PathSegment[]): string {
  if (p.length === 0) return '(file)';
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

export function formatValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const json = JSON.stringify(v) ?? String(v);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

export function formatProblem(file: string, p: Problem): string {
  return `${file}: ${formatPath(p.path)}: ${p.message}${p.hasGot ? ` (got ${formatValue(p.got)})` : ''}`;
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}

const EXPECTED: Record<string, string> = {
  string: 'must be a string',
  number: 'must be a number',
  int: 'must be a whole number',
  boolean: 'must be true or false',
  array: 'must be a list',
  object: 'must be a mapping',
  record: 'must be a mapping',
};

function valueAt(doc: unknown, p: readonly PropertyKey[]): unknown {
  let cur = doc;
  for (const s of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[s];
  }
  return cur;
}

/** Turns zod issues into problems with our wording; unknown keys become one problem each. */
export function zodProblems(error: z.ZodError, doc: unknown, schema: z.ZodType): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    const p = issue.path as PathSegment[];
    const got = valueAt(doc, p);
    if (issue.code === 'unrecognized_keys') {
      const parent = valueAt(doc, p);
      const known = Object.keys(parent && typeof parent === 'object' ? knownKeysAt(schema, p) : {});
      for (const key of issue.keys) {
        const hint = suggest(key, known);
        out.push({
          path: [...p, key],
          message: hint
            ? `unknown field (did you mean "${hint}"?)`
            : `unknown field (known: ${known.join(', ')})`,
          hasGot: false,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      out.push({
        path: p,
        message: 'is not a valid variable name (letters, digits and _, not starting with a digit)',
        hasGot: false,
      });
      continue;
    }
    if (got === undefined) {
      out.push({
        path: p,
        message: issue.code === 'invalid_type' ? 'required' : issue.message,
        hasGot: false,
      });
      continue;
    }
    out.push({ path: p, message: issue.message, got, hasGot: true });
  }
  return out;
}

/** Default messages for zod issues our schema does not word itself. */
const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined
        ? 'required'
        : `${EXPECTED[iss.expected] ?? `must be ${iss.expected}`}, not ${describeType(iss.input)}`;
    case 'invalid_value':
      return `must be one of ${iss.values.map((v) => formatValue(v)).join(', ')}`;
    case 'too_small':
      return iss.origin === 'array'
        ? `must list at least ${iss.minimum} item${Number(iss.minimum) === 1 ? '' : 's'}`
        : iss.origin === 'string'
          ? `must be at least ${iss.minimum} characters`
          : `must be at least ${iss.minimum}`;
    case 'too_big':
      return iss.origin === 'array'
        ? `must list at most ${iss.maximum} items`
        : `must be at most ${iss.maximum}`;
    case 'invalid_format':
      return iss.format === 'regex' ? 'has an invalid format' : `must be a valid ${iss.format}`;
    default:
      return undefined;
  }
};

/** Known keys of the object at a path, from the schema itself (object → shape, array → element…). */
function knownKeysAt(schema: z.ZodType, p: readonly PathSegment[]): Record<string, unknown> {
  let s: unknown = schema;
  for (const seg of p) {
    s = unwrap(s);
    const def = (s as { def?: Record<string, unknown> }).def;
    if (!def) return {};
    if (def.type === 'object') s = (def.shape as Record<string, unknown>)[seg as string];
    else if (def.type === 'array' && typeof seg === 'number') s = def.element;
    else if (def.type === 'record') s = def.valueType;
    else return {};
  }
  const def = (unwrap(s) as { def?: Record<string, unknown> })?.def;
  // A union (e.g. alarms.subscriptions[]: e-mail or HTTPS) knows the keys of all its options.
  if (def?.type === 'union') {
    return Object.assign({}, ...(def.options as z.ZodType[]).map((o) => knownKeysAt(o, [])));
  }
  return def?.type === 'object' ? (def.shape as Record<string, unknown>) : {};
}
function unwrap(s: unknown): unknown {
  let cur = s as { def?: Record<string, unknown> } | undefined;
  while (
    cur?.def &&
    ['optional', 'nullable', 'default', 'prefault', 'readonly', 'pipe'].includes(cur.def.type as string)
  ) {
    cur = (cur.def.type === 'pipe' ? cur.def.in : cur.def.innerType) as typeof cur;
  }
  return cur;
}
function parseWith<T extends z.ZodType>(
  schema: T,
  doc: unknown,
): { data?: z.output<T>; problems: Problem[] } {
  const result = schema.safeParse(doc, { error: errorMap });
  if (result.success) return { data: result.data, problems: [] };
  return { problems: zodProblems(result.error, doc, schema) };
}

// ---------------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------------

function readYaml(absolute: string, display: string): { doc?: unknown; problems: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (e) {
    return { problems: [`${display}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`] };
  }
  const parsed = YAML.parseDocument(text);
  if (parsed.errors.length > 0) {
    return {
      problems: parsed.errors.map((e) => {
        const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        return `${display}: line ${e.linePos?.[0].line ?? '?'}: ${message}`;
      }),
    };
  }
  const doc = parsed.toJS();
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { problems: [`${display}: (file): must be a YAML mapping of fields (got ${formatValue(doc)})`] };
  }
  return { doc, problems: [] };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge key by key; anything else from `over` replaces `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/**
 * The YAML document with the tier defaults merged under it (services item by item). The tier is the
 * `tier` field, else the file name when it is a tier name. When neither gives a tier, the strictest
 * (prod) defaults fill the document so that only real problems are reported, and `tier` stays unset
 * for the schema to report.
 */
export function withTierDefaults(doc: Record<string, unknown>, fileName: string): Record<string, unknown> {
  const isTier = (v: unknown): v is Tier => (TIERS as readonly unknown[]).includes(v);
  const tier = isTier(doc.tier)
    ? doc.tier
    : doc.tier === undefined && isTier(fileName)
      ? fileName
      : undefined;
  const merged = deepMerge(tierDefaults(tier ?? 'prod'), doc) as Record<string, unknown>;
  if (tier) merged.tier = tier;
  if (Array.isArray(merged.services)) {
    merged.services = merged.services.map((s) =>
      isPlainObject(s) ? deepMerge(serviceDefaults(tier ?? 'prod'), s) : s,
    );
  }
  return merged;
}

/** The AWS partition of a region (re-exported from modules/vpc/partition.ts). */
export { partitionOf };

/** Parses project.yaml text already loaded as a document. */
export function parseProject(doc: unknown, display: string): { config?: ProjectConfig; problems: string[] } {
  const { data, problems } = parseWith(projectSchema, doc);
  if (!data) return { problems: problems.map((p) => formatProblem(display, p)) };
  const github = data.github;
  const idProblems: string[] = [];
  if (github.subjectFormat !== 'name') {
    for (const field of ['ownerId', 'repositoryId'] as const) {
      if (github[field] === undefined) {
        idProblems.push(
          formatProblem(display, {
            path: ['github', field],
            message: `is required when subjectFormat is "${github.subjectFormat}": the immutable subject is repo:OWNER@OWNER_ID/REPO@REPO_ID:… (the ids are in the repository's OIDC settings or GET /repos/OWNER/REPO)`,
            hasGot: false,
          }),
        );
      }
    }
  }
  if (idProblems.length > 0) return { problems: idProblems };
  return {
    problems: [],
    config: {
      project: data.project,
      accountId: data.accountId,
      region: data.region,
      github: {
        repository: github.repository,
        mainBranch: github.mainBranch,
        subjectFormat: github.subjectFormat,
        ...(github.ownerId !== undefined ? { ownerId: github.ownerId } : {}),
        ...(github.repositoryId !== undefined ? { repositoryId: github.repositoryId } : {}),
        existingOidcProviderAccounts: github.existingOidcProviderAccounts,
      },
      bootstrap: data.bootstrap,
      ecr: data.ecr,
      state: {
        bucket: data.state.bucket ?? `${data.project}-tfstate-${data.accountId}`,
        lockTable: data.state.lockTable ?? `${data.project}-tfstate-lock`,
        kmsKeyAlias: `alias/${data.project}-tfstate`,
        noncurrentVersionDays: data.state.noncurrentVersionDays,
      },
    },
  };
}

export interface EnvironmentContext {
  /** File path shown in messages, e.g. `environments/prod.yaml`. */
  readonly display: string;
  /** Environment name from the file name. */
  readonly fileName: string;
  readonly knownEnvironments: readonly string[];
  /** project.yaml, or undefined when it is itself invalid (problems are still listed). */
  readonly project?: ProjectConfig;
}

/** Validates one environment document; returns the resolved config or every problem. */
export function parseEnvironment(
  doc: unknown,
  ctx: EnvironmentContext,
): { config?: EnvironmentConfig; problems: string[] } {
  if (!isPlainObject(doc)) {
    return {
      problems: [`${ctx.display}: (file): must be a YAML mapping of fields (got ${formatValue(doc)})`],
    };
  }
  const merged = withTierDefaults(doc, ctx.fileName);
  const { data, problems } = parseWith(environmentSchema, merged);
  const all = [
    ...problems,
    ...crossFieldProblems(merged, {
      fileName: ctx.fileName,
      knownEnvironments: ctx.knownEnvironments,
      toolingAccountId: ctx.project?.accountId,
    }),
  ];
  all.sort((a, b) => comparePaths(a.path, b.path));
  const lines = dedupe(all.map((p) => formatProblem(ctx.display, p)));
  if (lines.length > 0 || !data || !ctx.project) return { problems: lines };
  return { problems: [], config: resolve(data, ctx.project, ctx.display) };
}

function comparePaths(a: readonly PathSegment[], b: readonly PathSegment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    if (typeof a[i] === 'number' && typeof b[i] === 'number') return (a[i] as number) - (b[i] as number);
    return 0; // keep schema order between different fields
  }
  return a.length - b.length;
}

function dedupe(lines: string[]): string[] {
  return [...new Set(lines)];
}

/** Fills the computed defaults (see the @default notes in ./schema.ts). */
export function resolve(input: EnvironmentInput, project: ProjectConfig, file: string): EnvironmentConfig {
  const partition = partitionOf(project.region);
  return {
    name: input.name,
    tier: input.tier,
    project: project.project,
    accountId: input.accountId,
    region: input.region,
    file,
    githubRepository: project.github.repository,
    toolingAccountId: project.accountId,
    vpc: input.vpc,
    state: {
      bucket: input.state.bucket ?? project.state.bucket,
      lockTable: input.state.lockTable ?? project.state.lockTable,
      region: project.region,
      // The environment's own state key, in its account and the bucket's region (bootstrap creates it).
      kmsKeyId:
        input.state.kmsKeyId ??
        `arn:${partition}:kms:${project.region}:${input.accountId}:${stateKeyAlias(project.project, input.name)}`,
      locking: input.state.locking,
    },
    services: input.services.map((s, i) => ({
      ...s,
      routing: {
        ...s.routing,
        ...(s.routing.hostHeader === undefined && s.routing.pathPattern === undefined
          ? { pathPattern: '/*' }
          : {}),
        priority: s.routing.priority ?? 100 + 10 * i,
      },
      deploy: {
        ...s.deploy,
        terminationWaitSeconds:
          s.deploy.terminationWaitSeconds ?? s.deregistrationDelaySeconds + s.deploy.bakeSeconds,
      },
    })),
    alb: {
      ...input.alb,
      testListener: {
        port: input.alb.testListener.port,
        allowedCidrs: input.alb.testListener.allowedCidrs ?? [],
      },
    },
    database: input.database,
    cache: {
      ...input.cache,
      engineVersion: input.cache.engineVersion ?? (input.cache.engine === 'redis' ? '7.1' : '8.0'),
    },
    protection: input.protection,
    promotion: input.promotion,
    guardrails: input.guardrails,
    alarms: { subscriptions: input.alarms.subscriptions },
    notifications: {
      sns: input.notifications.sns,
      ...(input.notifications.webhookUrlEnv ? { webhookUrlEnv: input.notifications.webhookUrlEnv } : {}),
      events: input.notifications.events,
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Discovery and selection
// ---------------------------------------------------------------------------------------------------

/** Default directory: this one (environments/). */
export const ENVIRONMENTS_DIR = __dirname;

/** Environment names found in `dir` (`*.yaml` except project.yaml), dev/staging/prod first. */
export function discoverEnvironments(dir: string = ENVIRONMENTS_DIR): string[] {
  const names = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== PROJECT_FILE)
    .map((f) => f.slice(0, -'.yaml'.length));
  const rank = (n: string) => {
    const i = (TIERS as readonly string[]).indexOf(n);
    return i < 0 ? TIERS.length : i;
  };
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Name of the bootstrap stack: always synthesized, and reserved (no environment may use it). */
export const BOOTSTRAP_NAME = 'bootstrap';

/**
 * Names requested by `SWITCHYARD_ENVS` (comma separated), or every known one when unset/empty.
 * `bootstrap` may be listed (it is always built): `SWITCHYARD_ENVS=bootstrap` builds no environment.
 */
export function selectEnvironments(known: readonly string[], requested: string | undefined): string[] {
  const asked = (requested ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (asked.length === 0) return [...known];
  const unknown = asked.filter((a) => !known.includes(a) && a !== BOOTSTRAP_NAME);
  if (unknown.length > 0) {
    const list = unknown.map((u) => `"${u}"`).join(', ');
    throw new ConfigError([
      `${ENVS_VARIABLE}: unknown environment${unknown.length > 1 ? 's' : ''} ${list}; known environments: ${known.join(', ')} (files in environments/)`,
    ]);
  }
  return known.filter((k) => asked.includes(k));
}

export interface LoadedConfiguration {
  readonly project: ProjectConfig;
  /** Every environment in environments/, resolved (the bootstrap stack needs all of them). */
  readonly all: readonly EnvironmentConfig[];
  /** The ones selected for synthesis. */
  readonly selected: readonly EnvironmentConfig[];
}

export interface LoadOptions {
  /** Directory holding project.yaml and <env>.yaml. @default environments/ */
  readonly dir?: string;
  /** Prefix shown in messages. @default "environments" */
  readonly displayDir?: string;
  /** Value of SWITCHYARD_ENVS. @default all environments */
  readonly requested?: string;
}

/**
 * Loads project.yaml and every environment file, validating all of them before returning.
 * Throws ConfigError listing every problem of every file (and unknown requested names).
 */
export function loadConfiguration(options: LoadOptions = {}): LoadedConfiguration {
  const dir = options.dir ?? ENVIRONMENTS_DIR;
  const displayDir = options.displayDir ?? 'environments';
  const known = discoverEnvironments(dir);
  if (known.length === 0) throw new ConfigError([`${displayDir}/: no environment files (<name>.yaml) found`]);
  const selectedNames = selectEnvironments(known, options.requested);

  const problems: string[] = [];
  if (known.includes(BOOTSTRAP_NAME)) {
    problems.push(
      `${displayDir}/${BOOTSTRAP_NAME}.yaml: the name "${BOOTSTRAP_NAME}" is reserved for the bootstrap stack; rename the file and its name field`,
    );
  }
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.yml'))) {
    problems.push(`${displayDir}/${f}: environment files end in .yaml; rename it to ${f.slice(0, -4)}.yaml`);
  }
  const projectDisplay = `${displayDir}/${PROJECT_FILE}`;
  let project: ProjectConfig | undefined;
  if (!fs.existsSync(path.join(dir, PROJECT_FILE))) {
    problems.push(
      `${projectDisplay}: missing; it names the project, the AWS account and the GitHub repository`,
    );
  } else {
    const read = readYaml(path.join(dir, PROJECT_FILE), projectDisplay);
    problems.push(...read.problems);
    if (read.doc !== undefined) {
      const parsed = parseProject(read.doc, projectDisplay);
      problems.push(...parsed.problems);
      project = parsed.config;
    }
  }

  const all: EnvironmentConfig[] = [];
  for (const name of known) {
    const display = `${displayDir}/${name}.yaml`;
    const read = readYaml(path.join(dir, `${name}.yaml`), display);
    problems.push(...read.problems);
    if (read.doc === undefined) continue;
    const parsed = parseEnvironment(read.doc, { display, fileName: name, knownEnvironments: known, project });
    problems.push(...parsed.problems);
    if (parsed.config) all.push(parsed.config);
  }
  problems.push(...namePrefixProblems(all, displayDir));
  if (problems.length > 0 || !project) throw new ConfigError(problems);
  return { project, all, selected: all.filter((e) => selectedNames.includes(e.name)) };
}

/**
 * Two environments of one account where one name starts with the other (`prod`, `prod-eu`, `prod2`)
 * would share the resource-name patterns that fence the CI roles (`*<project>-prod*` matches
 * `<project>-prod-eu-…`): refused.
 */
export function namePrefixProblems(all: readonly EnvironmentConfig[], displayDir: string): string[] {
  const out: string[] = [];
  for (const a of all) {
    for (const b of all) {
      if (a !== b && a.accountId === b.accountId && b.name.startsWith(a.name)) {
        out.push(
          `${displayDir}/${b.name}.yaml: name: must not start with "${a.name}" while ${a.name} is in the same account (${a.accountId}): the IAM name patterns *<project>-${a.name}* would cover it; rename it or give it its own account (got "${b.name}")`,
        );
      }
    }
  }
  return out;
}
