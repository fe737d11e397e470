/**
 * Flag parsing on `node:util` parseArgs (strict: unknown flags and missing values are usage errors),
 * plus the options every command shares.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Fault, parseFault } from '../sim/faults';
import { UsageError } from './context';
import { STRATEGIES, type Strategy } from '../../../topology';

export type OutputFormat = 'text' | 'json';

/** Options shared by all commands (documented in COMMON_HELP). */
export const COMMON_OPTIONS = {
  output: { type: 'string' },
  topology: { type: 'string' },
  region: { type: 'string' },
  simulate: { type: 'boolean' },
  fault: { type: 'string', multiple: true },
  seed: { type: 'string' },
  'sim-state': { type: 'string' },
  'sim-reset': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const COMMON_HELP = `Common options:
  --output text|json     text (default; plain lines with ::group::/::error:: under GitHub Actions)
                         or one JSON event per line
  --topology FILE        read the service topology from FILE instead of SSM
                         (/switchyard/<env>/services/<svc>)
  --region REGION        AWS region (default: $AWS_REGION / $AWS_DEFAULT_REGION, then the topology)
  --simulate             run against the offline simulation (no AWS; also SWITCHYARD_SIMULATE=1): seeded from --topology or
                         services/deployer/examples/topology.<env>.<svc>.json; state kept in
                         --sim-state (default .switchyard-sim/state.json) so commands compose
  --fault NAME[@SECONDS] with --simulate, inject a fault (repeatable): task-crash,
                         unhealthy-targets, 5xx-spike, slow, connection-errors, smoke-fail,
                         alarm, incident, throttle, interrupt, kill, outage
  --seed N               with --simulate, seed of the simulation's randomness (default 1)
  --sim-reset            with --simulate, start from a fresh simulated world
  -h, --help             this help`;

export interface CommonFlags {
  readonly output: OutputFormat;
  readonly topology?: string;
  readonly region?: string;
  readonly simulate: boolean;
  readonly faults: Fault[];
  readonly seed: number;
  readonly simState?: string;
  readonly simReset: boolean;
  readonly help: boolean;
}

/** Parses `args` with the common options plus `extra`; throws UsageError naming the bad flag. */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: readonly string[],
  extra: O,
  env: Readonly<Record<string, string | undefined>> = {},
): { common: CommonFlags; values: Record<string, string | boolean | string[] | undefined> } {
  let parsed: {
    values: Record<string, string | boolean | (string | boolean)[] | undefined>;
    positionals: string[];
  };
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...extra },
      strict: true,
      allowPositionals: true,
    }) as typeof parsed;
  } catch (e) {
    throw new UsageError(
      `switchyard ${command}: ${(e as Error).message.replace(/\. To specify a positional.*$/s, '')}; see switchyard ${command} --help`,
    );
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(
      `switchyard ${command}: unexpected argument "${parsed.positionals[0]}"; see switchyard ${command} --help`,
    );
  }
  const v = parsed.values;
  const output = (v.output as string | undefined) ?? 'text';
  if (output !== 'text' && output !== 'json') {
    throw new UsageError(`switchyard ${command}: --output must be text or json (got "${output}")`);
  }
  // SWITCHYARD_SIMULATE=1: every command simulates, as with --simulate (rehearse a workflow's exact
  // command lines offline; tests/workflows/signals.test.ts)
  const simulate = v.simulate === true || env.SWITCHYARD_SIMULATE === '1';
  const faultSpecs = (v.fault as string[] | undefined) ?? [];
  if (faultSpecs.length > 0 && !simulate) {
    throw new UsageError(
      `switchyard ${command}: --fault only works with --simulate (faults are injected into the simulation)`,
    );
  }
  let faults: Fault[];
  try {
    faults = faultSpecs.map(parseFault);
  } catch (e) {
    throw new UsageError(`switchyard ${command}: --fault ${(e as Error).message}`);
  }
  const seedText = v.seed as string | undefined;
  const seed = seedText === undefined ? 1 : Number(seedText);
  if (!Number.isInteger(seed))
    throw new UsageError(`switchyard ${command}: --seed must be an integer (got "${seedText}")`);
  return {
    common: {
      output,
      topology: v.topology as string | undefined,
      region: v.region as string | undefined,
      simulate,
      faults,
      seed,
      simState: v['sim-state'] as string | undefined,
      simReset: v['sim-reset'] === true,
      help: v.help === true,
    },
    values: v as Record<string, string | boolean | string[] | undefined>,
  };
}

/** A required string flag, or UsageError. */
export function required(
  command: string,
  values: Record<string, unknown>,
  name: string,
  hint: string,
): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') {
    throw new UsageError(
      `switchyard ${command}: --${name} is required (${hint}); see switchyard ${command} --help`,
    );
  }
  return v.trim();
}

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Validates an environment or service name before it is used in a parameter path. */
export function checkName(command: string, flag: string, value: string): string {
  if (!NAME_RE.test(value)) {
    throw new UsageError(
      `switchyard ${command}: --${flag} "${value}" is not a valid name (lower-case letters, digits and -)`,
    );
  }
  return value;
}

/** A required flag holding a name (environment, service): present and well-formed. */
export function requiredName(
  command: string,
  values: Record<string, unknown>,
  flag: string,
  hint: string,
): string {
  return checkName(command, flag, required(command, values, flag, hint));
}

/** `--strategy`, when given, must be one of STRATEGIES. */
/** `--force-unlock` and `--reason` (deploy, continue): a forced take-over must say why (it is recorded). */
export function forceUnlockAndReason(
  command: string,
  values: Record<string, unknown>,
): { readonly forceUnlock: boolean; readonly reason: string | undefined } {
  const forceUnlock = values['force-unlock'] === true;
  const reason = (values.reason as string | undefined)?.trim();
  if (forceUnlock && !reason) {
    throw new UsageError(
      `switchyard ${command}: --force-unlock needs --reason "…" saying why the lock is taken over (it is recorded)`,
    );
  }
  return { forceUnlock, reason };
}

/** `--hold-after canary|none` (deploy, promote), or undefined (the service's holdAfter). */
export function optionalHoldAfter(
  command: string,
  values: Record<string, unknown>,
): 'canary' | 'none' | undefined {
  const holdAfter = values['hold-after'] as string | undefined;
  if (holdAfter !== undefined && holdAfter !== 'canary' && holdAfter !== 'none') {
    throw new UsageError(
      `switchyard ${command}: --hold-after must be "canary" (hold for approval after the canary step) or "none" (got "${holdAfter}")`,
    );
  }
  return holdAfter;
}

export function optionalStrategy(command: string, values: Record<string, unknown>): Strategy | undefined {
  const strategy = values.strategy as string | undefined;
  if (strategy !== undefined && !(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new UsageError(
      `switchyard ${command}: --strategy must be one of ${STRATEGIES.join(', ')} (got "${strategy}")`,
    );
  }
  return strategy as Strategy | undefined;
}
