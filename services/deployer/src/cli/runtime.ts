/**
 * Where a command runs: real AWS (topology from SSM or --topology, ports from the SDK adapters) or the
 * offline simulation (`--simulate`, topology from --topology or the bundled examples, state kept in a
 * file so commands compose). Commands ask the runtime for a service and get its topology + DeployDeps.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseTopology, type ServiceTopology, TopologyError } from '../../../topology';
import { systemClock } from '../core/clock';
import type { DeployDeps } from '../core/deploy';
import { ExitCode, INTERNAL_ERROR_ADVICE } from '../exit-codes';
import { type EventSink, type LockOwner, PortError } from '../ports';
import type { Simulation } from '../sim';
import { DEFAULT_SIM_STATE, openSimulation } from '../sim/state-file';
import type { CommonFlags } from './args';
import { type CommandContext, UsageError } from './context';
import type { CommandResult } from './output';

/** Bundled example topologies used by `--simulate` without `--topology`. */
export const EXAMPLES_DIR = resolve(__dirname, '../../examples');

export interface ServiceHandle {
  readonly topology: ServiceTopology;
  /** Ports, store, clock, events and the SIGINT/SIGTERM signal for this service. */
  readonly deps: DeployDeps;
}

export interface Runtime {
  readonly simulated: boolean;
  /** The simulation (with --simulate): world inspection for reports and tests. */
  readonly sim?: Simulation;
  /**
   * Loads and validates the topology of env/service (bad input → UsageError with one clear message)
   * and returns the ports for it. `topologyFile` overrides --topology (e.g. promote's source env).
   */
  open(environment: string, service: string, opts?: { topologyFile?: string }): Promise<ServiceHandle>;
  /**
   * Awaits an operation, unless the simulated process is "killed" first (fault `kill`): then resolves
   * `{ killed: true }` and the operation is abandoned mid-flight, like a real `kill -9`.
   */
  guard<T>(operation: Promise<T>): Promise<{ killed: false; value: T } | { killed: true }>;
  /** Saves the simulation state (no-op on AWS). Call once at the end, also after failures. */
  close(): Promise<void>;
}

function localUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Who is acting, from the CI / shell environment (GITHUB_ACTOR, USER, then the OS account). */
export function ownerFromEnv(env: CommandContext['env'], operation: string): LockOwner {
  const runUrl =
    env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY
      ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  return {
    actor: env.GITHUB_ACTOR ?? env.USER ?? env.USERNAME ?? localUser(),
    host:
      env.GITHUB_ACTIONS === 'true'
        ? `github-actions${env.RUNNER_NAME ? `/${env.RUNNER_NAME}` : ''}`
        : hostname(),
    ...(env.GITHUB_RUN_ID ? { runId: env.GITHUB_RUN_ID } : {}),
    ...(runUrl ? { runUrl } : {}),
    operation,
  };
}

/** Reads a topology file; every problem is a UsageError naming the file. */
export function readTopologyFile(path: string): ServiceTopology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError(`topology file ${path} does not exist; check the --topology path`);
    throw new UsageError(`cannot read topology file ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`topology file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return parseTopology(json, path);
  } catch (e) {
    if (e instanceof TopologyError) throw new UsageError(e.message);
    throw e;
  }
}

function checkMatches(t: ServiceTopology, environment: string, service: string, source: string): void {
  if (t.environment !== environment || t.service !== service) {
    throw new UsageError(
      `${source} describes ${t.environment}/${t.service}, not ${environment}/${service}: pass the topology of ${environment}/${service} or fix --env/--service`,
    );
  }
}

function exampleFor(environment: string, service: string): string {
  const file = join(EXAMPLES_DIR, `topology.${environment}.${service}.json`);
  if (existsSync(file)) return file;
  const have = readdirSync(EXAMPLES_DIR)
    .map((f) => /^topology\.([^.]+)\.([^.]+)\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}/${m[2]}`);
  throw new UsageError(
    `--simulate: unknown environment/service ${environment}/${service} — no example topology for it (examples: ${have.join(', ')}); pass --topology FILE`,
  );
}

export async function openRuntime(
  ctx: CommandContext,
  common: CommonFlags,
  events: EventSink,
): Promise<Runtime> {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(ctx.cwd, p));
  if (common.simulate) {
    const path = abs(common.simState ?? ctx.env.SWITCHYARD_SIM_STATE ?? DEFAULT_SIM_STATE);
    let opened: Awaited<ReturnType<typeof openSimulation>>;
    try {
      opened = await openSimulation({
        path,
        reset: common.simReset,
        faults: common.faults,
        seed: common.seed,
        // between commands virtual time follows the wall clock (SWITCHYARD_SIM_WALL_CLOCK=off: frozen, for tests)
        followWallClock: ctx.env.SWITCHYARD_SIM_WALL_CLOCK !== 'off',
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { sim, save } = opened;
    const signal = ctx.io.signal ? AbortSignal.any([ctx.io.signal, sim.signal]) : sim.signal;
    return {
      simulated: true,
      sim,
      open: async (environment, service, opts = {}) => {
        const file = opts.topologyFile ?? common.topology;
        const topology = file
          ? readTopologyFile(abs(file))
          : readTopologyFile(exampleFor(environment, service));
        checkMatches(topology, environment, service, file ?? `example topology`);
        try {
          sim.addTopology(topology);
        } catch (e) {
          throw new UsageError(`--simulate: ${(e as Error).message}`);
        }
        return {
          topology,
          deps: { ...sim.portsFor(topology), store: sim.store, clock: sim.clock, events, signal },
        };
      },
      guard: (operation) =>
        Promise.race([
          operation.then((value) => ({ killed: false as const, value })),
          sim.killed.then(() => ({ killed: true as const })),
        ]),
      // a "killed" run saves its state too: what a real crash leaves behind is what recovery must handle
      close: save,
    };
  }

  // real AWS: loaded lazily so --simulate and tests never load the SDK
  const adapters = await import('../adapters');
  const region = common.region ?? ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION;
  return {
    simulated: false,
    open: async (environment, service, opts = {}) => {
      const file = opts.topologyFile ?? common.topology;
      let topology: ServiceTopology;
      try {
        if (file) {
          topology = readTopologyFile(abs(file));
          checkMatches(topology, environment, service, file);
        } else {
          topology = await adapters.loadTopologyFromSsm(environment, service, region);
        }
      } catch (e) {
        if (e instanceof UsageError) throw e;
        if (e instanceof TopologyError) throw new UsageError(e.message);
        if (e instanceof PortError && (e.kind === 'not-found' || e.kind === 'invalid'))
          throw new UsageError(e.message);
        throw e;
      }
      const ports = adapters.createAwsPorts({
        region: region ?? topology.region,
        tableName: topology.deploymentTable,
      });
      return {
        topology,
        deps: { ...ports, clock: systemClock, events, ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) },
      };
    },
    guard: async (operation) => ({ killed: false, value: await operation }),
    close: async () => {},
  };
}

/** Result of a simulated `kill -9` (fault `kill`): exit 1, state left exactly as the dead process left it. */
export function killedResult(command: string, where: string, runtime: Runtime): CommandResult {
  const w =
    runtime.sim && runtime.sim.topologies.length > 0
      ? runtime.sim.world.trafficWeights(runtime.sim.topologies[runtime.sim.topologies.length - 1])
      : undefined;
  return {
    command,
    exitCode: ExitCode.InternalError,
    status: 'failed',
    headline: `simulated kill: the deployer died during ${command} of ${where}${w ? ` with traffic at blue ${w.blue}% / green ${w.green}%` : ''} [simulated]`,
    reason: `process killed without cleanup (fault "kill"); the lock, the in-progress release record and the weights stay as they were. Recover with switchyard status / rollback --simulate. ${INTERNAL_ERROR_ADVICE}`,
    data: { killed: true, weights: w },
  };
}
