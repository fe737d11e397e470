/** Shared setup for release-operation scenarios: example topologies, simulation, per-env stores, write logs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DeployDeps, type DeployRequest, deploy } from '../../../services/deployer/src/core/deploy';
import { CollectingSink } from '../../../services/deployer/src/core/events';
import type { StorePort } from '../../../services/deployer/src/ports';
import { createSimulation, type Fault, type Simulation } from '../../../services/deployer/src/sim';
import { MemoryStore } from '../../../services/deployer/src/store/memory-store';
import { parseTopology, type ServiceTopology } from '../../../services/topology';

const EXAMPLES = join(__dirname, '../../../services/deployer/examples');

export function topology(env: 'dev' | 'staging' | 'prod' = 'dev'): ServiceTopology {
  const file = join(EXAMPLES, `topology.${env}.api.json`);
  return parseTopology(JSON.parse(readFileSync(file, 'utf8')), file);
}

/**
 * `topology(env)` without the optional `baseTaskDefinitionArn`, `autoscaling` and `smokeTest`, whatever
 * the example files carry: for scenarios written for the behaviour without them.
 */
export function plainTopology(env: 'dev' | 'staging' | 'prod' = 'dev'): ServiceTopology {
  const { baseTaskDefinitionArn: _base, autoscaling: _as, smokeTest: _smoke, ...rest } = topology(env);
  return rest;
}

/**
 * A second service in the same environment (its own ECS services, target groups, rules and scalable
 * targets). It has no base revision of its own (the first service's would name the wrong family).
 */
export function otherService(t: ServiceTopology, service = 'worker'): ServiceTopology {
  const swap = (s: string) =>
    s.replace(/-api-/g, `-${service}-`).replace(/0000000000000001$/, '0000000000000011');
  const { baseTaskDefinitionArn: _base, autoscaling, ...rest } = t;
  const renamed = (id: string) => id.replace(/\/api-(blue|green)$/, `/${service}-$1`);
  return {
    ...rest,
    ...(autoscaling && {
      autoscaling: {
        ...autoscaling,
        resourceIds: {
          blue: renamed(autoscaling.resourceIds.blue),
          green: renamed(autoscaling.resourceIds.green),
        },
      },
    }),
    service,
    ecsServices: { blue: `${service}-blue`, green: `${service}-green` },
    targetGroupArns: { blue: swap(t.targetGroupArns.blue), green: swap(t.targetGroupArns.green) },
    targetGroupArnSuffixes: {
      blue: swap(t.targetGroupArnSuffixes.blue),
      green: swap(t.targetGroupArnSuffixes.green),
    },
    productionRuleArn: `${t.productionRuleArn}1`,
    testRuleArn: `${t.testRuleArn}1`,
    containerName: service,
  };
}

export const OWNER = { actor: 'alice', host: 'laptop', operation: 'deploy' } as const;

export function request(t: ServiceTopology, tag: string, over: Partial<DeployRequest> = {}): DeployRequest {
  return { topology: t, imageTag: tag, owner: OWNER, ...over };
}

export interface Env {
  readonly sim: Simulation;
  readonly events: CollectingSink;
  /** One deployment store per environment (separate tables); `dev` (or the first) is the simulation's store. */
  readonly stores: Record<string, StorePort>;
  deps(t: ServiceTopology, over?: Partial<DeployDeps>): DeployDeps;
}

export function makeEnv(
  topologies: readonly ServiceTopology[],
  opts: { faults?: Fault[]; seed?: number; sim?: Simulation } = {},
): Env {
  const sim = opts.sim ?? createSimulation({ topologies, faults: opts.faults, seed: opts.seed ?? 1 });
  const events = new CollectingSink();
  const stores: Record<string, StorePort> = {};
  for (const t of topologies) {
    stores[t.environment] ??= Object.keys(stores).length === 0 ? sim.store : new MemoryStore(sim.clock);
  }
  return {
    sim,
    events,
    stores,
    deps: (t, over = {}) => ({
      ...sim.portsFor(t),
      store: stores[t.environment],
      clock: sim.clock,
      events,
      // a fresh signal per operation (the simulation's own one stays aborted after an interrupt)
      signal: new AbortController().signal,
      ...over,
    }),
  };
}

export async function deployOk(env: Env, t: ServiceTopology, tag: string, over: Partial<DeployRequest> = {}) {
  const out = await deploy(env.deps(t), request(t, tag, over));
  if (out.status !== 'deployed')
    throw new Error(`deploy ${tag} ${out.status}: ${JSON.stringify(out).slice(0, 400)}`);
  return out;
}

/**
 * Deploys `tag` and interrupts it (SIGINT) as soon as it recorded `deployed`, during its termination
 * wait: the old colour stays running, as after an operator stopped a finished deploy.
 */
export async function deployLeavingOldRunning(env: Env, t: ServiceTopology, tag: string) {
  const ac = new AbortController();
  const store = env.stores[t.environment];
  const watching: StorePort = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'updateRelease') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: Parameters<StorePort['updateRelease']>) => {
        const res = await store.updateRelease(...args);
        if (args[2].outcome === 'deployed') ac.abort(new Error('SIGINT'));
        return res;
      };
    },
  });
  const out = await deploy(env.deps(t, { store: watching, signal: ac.signal }), request(t, tag));
  if (out.status !== 'deployed' || out.oldColourScaledDown) throw new Error(`unexpected ${out.status}`);
  return out;
}

/** Everything that changes state: ECS/ELB write calls in the world + store mutations. */
export function writeCount(env: Env): number {
  let n = env.sim.writes().length + env.sim.memoryStore.writes;
  for (const s of Object.values(env.stores)) if (s !== env.sim.store) n += (s as MemoryStore).writes;
  return n;
}

/** Logs every call of the given methods of a port (name + whether it changed anything). */
export function logged<T extends object>(
  port: T,
  label: string,
  log: string[],
  methods: readonly string[],
): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      if (!methods.includes(String(prop))) return v.bind(target);
      return async (...args: unknown[]) => {
        const res = await v.apply(target, args);
        const failed = prop === 'acquireLock' && (res as { acquired: boolean }).acquired === false;
        log.push(`${label}.${String(prop)}${failed ? ':refused' : ''}`);
        return res;
      };
    },
  });
}

export const WRITE_METHODS = {
  ecs: ['registerTaskDefinitionFrom', 'updateService'],
  lb: ['setRuleWeights', 'setRuleTarget'],
  store: ['acquireLock', 'renewLock', 'releaseLock', 'forceUnlock', 'putRelease', 'updateRelease'],
} as const;

/** Deps whose write calls are logged into `log`. */
export function loggedDeps(deps: DeployDeps, log: string[]): DeployDeps {
  return {
    ...deps,
    ecs: logged(deps.ecs, 'ecs', log, WRITE_METHODS.ecs),
    lb: logged(deps.lb, 'lb', log, WRITE_METHODS.lb),
    store: logged(deps.store, 'store', log, WRITE_METHODS.store),
  };
}
