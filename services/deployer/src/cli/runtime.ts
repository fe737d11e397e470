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
import type { CredentialsLifetime } from '../adapters/clients';
import type { DeployDeps } from '../core/deploy';
import { ExitCode, internalErrorAdvice } from '../exit-codes';
import { type EventSink, type LockOwner, PortError } from '../ports';
import type { Simulation } from '../sim';
import { DEFAULT_SIM_STATE, openSimulation } from '../sim/state-file';
import type { CommonFlags } from './args';
import { type CommandContext, UsageError } from './context';
import { type ObservedSink, observeService } from './observe';
import type { CommandResult } from './output';

/** Bundled example topologies used by `--simulate` without `--topology`. */
export const EXAMPLES_DIR = resolve(__dirname, '../../examples');

export interface ServiceHandle {
  readonly topology: ServiceTopology;
  /** Ports, store, clock, events and the SIGINT/SIGTERM signal for this service. */
  readonly deps: DeployDeps;
}

export interface OpenOptions {
  /** Read the topology from this file instead of --topology / SSM (promote's source env). */
  readonly topologyFile?: string;
  /**
   * Attach the service's observers (TrafficWeight metric, notifications) and show its dashboard.
   * @default true — false for a service only read (promote's source)
   */
  readonly observe?: boolean;
}

export interface Runtime {
  readonly simulated: boolean;
  /** The simulation (with --simulate): world inspection for reports and tests. */
  readonly sim?: Simulation;
  /**
   * Loads and validates the topology of env/service (bad input → UsageError with one clear message)
   * and returns the ports for it. `topologyFile` overrides --topology (e.g. promote's source env).
   */
  open(environment: string, service: string, opts?: OpenOptions): Promise<ServiceHandle>;
  /**
   * Awaits an operation, unless the simulated process is "killed" first (fault `kill`): then resolves
   * `{ killed: true }` and the operation is abandoned mid-flight, like a real `kill -9`.
   */
  guard<T>(operation: Promise<T>): Promise<{ killed: false; value: T } | { killed: true }>;
  /** Saves the simulation state (no-op on AWS). Call once at the end, also after failures. */
  close(): Promise<void>;
  /** Services published in SSM for `environment` (AWS only; the simulation lists its own). */
  listServices?(environment: string): Promise<string[]>;
  /** Whether any AWS endpoint has answered this process (AWS only). */
  reachedAws?(): boolean;
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
  sink: ObservedSink,
): Promise<Runtime> {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(ctx.cwd, p));
  const dashboardsShown = new Set<string>();
  const owner = ownerFromEnv(ctx.env, 'observe');
  const webhookChannel = async () => (await import('../adapters/webhook')).webhookChannel;
  const observe = ctx.io.observe;
  const events: EventSink = observe
    ? {
        emit: (e) => {
          observe(e);
          sink.emit(e);
        },
      }
    : sink;
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
        // SWITCHYARD_SIM_PACE=N: N virtual ms per real ms, so a person or a real signal can act mid-run
        ...(simPace(ctx.env.SWITCHYARD_SIM_PACE) !== undefined
          ? { pace: simPace(ctx.env.SWITCHYARD_SIM_PACE) }
          : {}),
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
        if (opts.observe !== false)
          await observeService({
            sink,
            topology,
            env: ctx.env,
            clock: sim.clock,
            owner,
            dashboardsShown,
            webhookChannel: await webhookChannel(),
          });
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
  const clientsModule = await import('../adapters/clients');
  const smokeModule = await import('../adapters/smoke');
  const region = common.region ?? ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION;
  const tracker = ctx.io.calls?.tracker ?? new clientsModule.CallTracker();
  const clientOptions = {
    ...(ctx.io.calls ? { control: ctx.io.calls.control } : {}),
    tracker,
  };
  const ssmClients = new Map<string, ReturnType<typeof clientsModule.createSsmClient>>();
  const ssm = (r: string | undefined) => {
    const k = r ?? '';
    let c = ssmClients.get(k);
    if (!c) ssmClients.set(k, (c = clientsModule.createSsmClient({ ...clientOptions, region: r })));
    return c;
  };
  let credentialsChecked: Promise<CredentialsLifetime> | undefined;
  /** Region, then credentials: what is missing is a refusal naming what to set (nothing was read). */
  const preflight = async (environment: string, service: string, needsRegion: boolean) => {
    if (needsRegion && !(await clientsModule.resolveRegion(ssm(region)))) {
      throw new UsageError(
        `no AWS region for ${environment}/${service}: set AWS_REGION (the region of environments/${environment}.yaml) or pass --region; the topology /switchyard/${environment}/services/${service} is read from SSM there. Nothing was read or changed`,
      );
    }
    credentialsChecked ??= clientsModule.resolveCredentials(ssm(region)).catch((e: unknown) => {
      credentialsChecked = undefined;
      throw noCredentials(e, environment, service);
    });
    return credentialsChecked;
  };
  /** A failure before AWS answered anything changed nothing: a refusal that says what to check. */
  const beforeAnyAnswer = (e: unknown, environment: string, service: string): unknown => {
    if (tracker.answered > 0 || e instanceof UsageError) return e;
    if (e instanceof PortError && (e.kind === 'not-found' || e.kind === 'invalid' || e.kind === 'conflict'))
      return e;
    if (ctx.io.signal?.aborted)
      return new UsageError(
        `interrupted before AWS answered anything for ${environment}/${service}: nothing was read or changed`,
      );
    return new UsageError(unreachable(e, environment, service, region, ctx.env));
  };
  let current: { environment: string; service: string } | undefined;
  return {
    simulated: false,
    open: async (environment, service, opts = {}) => {
      const file = opts.topologyFile ?? common.topology;
      current ??= { environment, service };
      let topology: ServiceTopology;
      let lifetime: CredentialsLifetime;
      try {
        if (file) {
          topology = readTopologyFile(abs(file));
          checkMatches(topology, environment, service, file);
          lifetime = await preflight(environment, service, false);
        } else {
          lifetime = await preflight(environment, service, true);
          topology = await adapters.loadTopologyFromSsm(environment, service, region, {
            client: ssm(region),
          });
        }
      } catch (e) {
        if (e instanceof UsageError) throw e;
        if (e instanceof TopologyError) throw new UsageError(e.message);
        if (e instanceof PortError && (e.kind === 'not-found' || e.kind === 'invalid'))
          throw new UsageError(e.message);
        throw beforeAnyAnswer(e, environment, service);
      }
      const clients = clientsModule.createAwsClients({ ...clientOptions, region: region ?? topology.region });
      // ECR requests go to the repositories' account and region (the shared-services account; issue 11):
      // both come from the topology's repository URI.
      const registry = adapters.registryOf(topology.repositoryUri);
      const clientRegion = region ?? topology.region;
      const ecr =
        registry && registry.region !== clientRegion
          ? clientsModule.createEcrClient({ ...clientOptions, region: registry.region })
          : clients.ecr;
      const ports = adapters.createAwsPorts({
        tableName: topology.deploymentTable,
        clients: { ...clients, ecr },
        ...(registry ? { registry } : {}),
      });
      if (opts.observe !== false) {
        await observeService({
          sink,
          topology,
          env: ctx.env,
          clock: systemClock,
          owner,
          dashboardsShown,
          aws: {
            trafficWeight: new adapters.AwsTrafficWeightPublisher(clients.cloudwatch),
            snsChannel: async (topicArn) => {
              const sns = await import('../adapters/sns');
              return sns.snsChannel(
                sns.createSnsClient({ ...clientOptions, region: clientRegion }),
                topicArn,
              );
            },
          },
          webhookChannel: await webhookChannel(),
        });
      }
      return {
        topology,
        deps: {
          ...ports,
          // smoke tests run here, in the command's working directory (no AWS call)
          smoke: smokeModule.createSmokePort({ cwd: ctx.cwd, env: { ...process.env, ...ctx.env } }),
          clock: systemClock,
          events,
          ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
          ...(lifetime.hardExpiresAt !== undefined ? { credentialsExpireAt: lifetime.hardExpiresAt } : {}),
        },
      };
    },
    listServices: async (environment) => {
      await preflight(environment, '*', true);
      try {
        return await adapters.listTopologyServices(ssm(region), environment);
      } catch (e) {
        throw beforeAnyAnswer(e, environment, '*');
      }
    },
    reachedAws: () => tracker.answered > 0,
    guard: async (operation) => {
      try {
        return { killed: false, value: await operation };
      } catch (e) {
        throw current ? beforeAnyAnswer(e, current.environment, current.service) : e;
      }
    },
    close: async () => {},
  };
}

function noCredentials(e: unknown, environment: string, service: string): unknown {
  const name = (e as Error)?.name;
  if (name !== 'CredentialsProviderError' && !(e instanceof PortError && e.kind === 'invalid')) return e;
  return new UsageError(
    `no AWS credentials for ${environment}/${service} (${(e as Error).message}): set AWS_PROFILE (after \`aws sso login\`) or AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); in GitHub Actions run aws-actions/configure-aws-credentials with the role of GitHub Environment ${environment} before switchyard. Nothing was read or changed`,
  );
}

/** The refusal for an endpoint that never answered: which endpoint, what to check. */
function unreachable(
  e: unknown,
  environment: string,
  service: string,
  region: string | undefined,
  env: CommandContext['env'],
): string {
  const override = Object.entries(env).find(
    ([k, v]) => v && (k === 'AWS_ENDPOINT_URL' || k.startsWith('AWS_ENDPOINT_URL_')),
  );
  const where = override ? `${override[0]}=${override[1]}` : `the AWS endpoints of ${region ?? 'the region'}`;
  return `cannot reach AWS for ${environment}/${service}: ${(e as Error)?.message ?? String(e)}. No AWS endpoint answered (${where}), so nothing was read or changed. Check the network (proxy, VPN, egress), the region (--region / AWS_REGION) and any AWS_ENDPOINT_URL* variable, then run the command again`;
}

function simPace(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!(n > 0))
    throw new UsageError(
      `SWITCHYARD_SIM_PACE must be a positive number of virtual ms per real ms (got "${text}")`,
    );
  return n;
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
    reason: `process killed without cleanup (fault "kill"); the lock, the in-progress release record and the weights stay as they were. Recover with switchyard status / rollback --simulate. ${internalErrorAdvice(where)}`,
    data: { killed: true, weights: w },
  };
}
