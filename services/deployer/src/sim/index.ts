/**
 * `createSimulation`: the real deployer core's ports backed by one in-memory world (ECS + ALB +
 * CloudWatch + ECR), a virtual clock, a deployment store and injectable faults. Used by the tests,
 * `switchyard --simulate` and the benchmarks.
 *
 * ```ts
 * const sim = createSimulation({ topologies: [topology], faults: [{ name: '5xx-spike' }], seed: 7 });
 * const outcome = await deploy(sim.deps(events), request);
 * sim.world.trafficWeights(topology); // { blue: 100, green: 0 }
 * sim.writes();                        // every write call with its virtual timestamp
 * ```
 */
import type { ServiceTopology } from '../../../topology';
import type {
  Clock,
  EcsPort,
  EventSink,
  LoadBalancerPort,
  LockInfo,
  MetricsPort,
  RegistryPort,
  ReleaseRecord,
  ScalingPort,
  SmokePort,
  StorePort,
} from '../ports';
import { MemoryStore } from '../store/memory-store';
import { FakeClock } from './clock';
import type { Fault } from './faults';
import {
  checkNetwork,
  type SimControl,
  simEcs,
  simLoadBalancer,
  simMetrics,
  simRegistry,
  simScaling,
  simSmoke,
} from './ports';
import { type SeedOptions, SimWorld, type WorldState, type WriteCall } from './world';

export { FakeClock, seededRandom } from './clock';
export { FAULT_HELP, FAULT_NAMES, type Fault, type FaultName, parseFault } from './faults';
export {
  AUTOSCALER_ENFORCE_MS,
  digestOf,
  registryKey,
  SCALE_IN_AFTER_MS,
  type ScalingActivity,
  SimWorld,
  TARGET_REQUESTS_PER_TASK,
  type WorldState,
  type WriteCall,
} from './world';

export interface SimPorts {
  readonly ecs: EcsPort;
  readonly lb: LoadBalancerPort;
  readonly metrics: MetricsPort;
  readonly registry: RegistryPort;
  /** Application Auto Scaling; only topologies with `autoscaling` have scalable targets. */
  readonly scaling: ScalingPort;
  /** Smoke tests through the simulated test listener (fault `smoke-fail`). */
  readonly smoke: SmokePort;
}

/** Serializable state of a simulation (world + store + virtual time), for `--simulate` state files. */
export interface SimSnapshot {
  readonly version: 1;
  readonly now: number;
  readonly world: WorldState;
  readonly releases: ReleaseRecord[];
  readonly locks: LockInfo[];
}

export interface SimulationOptions {
  /** Services to create (both colours each); ignored when resuming from `snapshot`. */
  readonly topologies: readonly ServiceTopology[];
  /** @default a new FakeClock at 2026-01-01T00:00:00Z (or the snapshot's time) */
  readonly clock?: FakeClock;
  /** Faults armed against each topology's idle colour. @default [] */
  readonly faults?: readonly Fault[];
  /** PRNG seed for latencies, task start/health times and throttling. @default 1 */
  readonly seed?: number;
  /** How each topology is seeded (live colour, desired count, tags). */
  readonly seedOptions?: SeedOptions;
  /** Resume a saved simulation instead of seeding a new one. */
  readonly snapshot?: SimSnapshot;
  /** Virtual latency per API call in ms. @default [20, 150] */
  readonly latencyMs?: readonly [number, number];
}

export interface Simulation extends SimPorts {
  readonly clock: FakeClock;
  readonly world: SimWorld;
  /** Deployment store (in memory); hangs like everything else once killed. */
  readonly store: StorePort;
  readonly memoryStore: MemoryStore;
  /** Aborted by the `interrupt` fault or `interrupt()` — pass it as `deps.signal` (SIGINT/SIGTERM). */
  readonly signal: AbortSignal;
  /** Services known to this simulation (seeded or resumed). */
  readonly topologies: readonly ServiceTopology[];
  /**
   * Adds a service: seeds both colours unless the world already has them (resumed state), and arms
   * the simulation's faults against it.
   */
  addTopology(topology: ServiceTopology): void;
  /** Ports for one topology (its registry is the one of its repository URI's account). */
  portsFor(topology: ServiceTopology): SimPorts;
  /** Convenience: everything `deploy()`/`executeDeploy()` need, for the first topology's registry. */
  deps(
    events: EventSink,
    topology?: ServiceTopology,
  ): SimPorts & { store: StorePort; clock: Clock; events: EventSink; signal: AbortSignal };
  /** Simulates SIGINT: aborts `signal`. */
  interrupt(reason?: string): void;
  /**
   * From `fromMs` (virtual) for `durationMs`, every port and store call fails with a retryable network
   * error (PortError `unavailable`, "connect EHOSTUNREACH").
   */
  networkOutage(fromMs: number, durationMs: number): void;
  /** Simulates `kill -9`: from now on every port and store call never settles; state stays as it is. */
  kill(): void;
  /** Resolves when the process was killed (fault `kill` or `kill()`). */
  readonly killed: Promise<void>;
  isKilled(): boolean;
  /** Write calls (ECS/ELB/Application Auto Scaling) with virtual timestamps, in order. */
  writes(): readonly WriteCall[];
  /** Call counts per API. */
  calls(): Readonly<Record<string, number>>;
  snapshot(): Promise<SimSnapshot>;
}

const never = new Promise<never>(() => {});

export function createSimulation(opts: SimulationOptions): Simulation {
  const snap = opts.snapshot;
  const clock = opts.clock ?? new FakeClock(snap?.now);
  const world = snap
    ? new SimWorld(structuredClone(snap.world))
    : SimWorld.empty(clock.now(), opts.seed ?? 1);
  if (snap && clock.now() < snap.now) throw new Error('clock is behind the snapshot');
  if (snap) world.clearFaults(clock.now());
  for (const t of opts.topologies) {
    if (!world.state.rules[t.productionRuleArn]) world.seed(t, opts.seedOptions);
    else world.ensureScalableTargets(t);
  }

  const faults = opts.faults ?? [];
  const throttle = faults.find((f) => f.name === 'throttle');
  const ctl: SimControl = {
    world,
    clock,
    killed: false,
    options: {
      throttleRate: throttle ? (throttle.rate ?? 0.3) : 0,
      maxConsecutiveThrottles: 3,
      latencyMs: opts.latencyMs ?? [20, 150],
    },
  };
  for (const t of opts.topologies) for (const f of faults) world.armFault(t, f);

  const memoryStore = new MemoryStore(clock);
  const controller = new AbortController();
  let resolveKilled: () => void = () => {};
  const killed = new Promise<void>((r) => {
    resolveKilled = r;
  });
  const kill = () => {
    if (ctl.killed) return;
    ctl.killed = true;
    resolveKilled();
  };
  const interrupt = (reason = 'SIGINT') => {
    if (!controller.signal.aborted) controller.abort(new Error(reason));
  };

  // interrupt/kill: at a virtual time, or right after the first production traffic shift
  const productionRules = new Set(opts.topologies.map((t) => t.productionRuleArn));
  const afterFirstShift: (() => void)[] = [];
  for (const f of faults) {
    const act = f.name === 'kill' ? kill : f.name === 'interrupt' ? () => interrupt('SIGINT') : undefined;
    if (!act) continue;
    if (f.afterSeconds !== undefined) clock.at(world.state.startedAt + f.afterSeconds * 1000, act);
    else afterFirstShift.push(act);
  }
  let shifted = false;
  // only weight changes made in this process count (a resumed world's history holds earlier runs' shifts)
  let seen = world.state.weightHistory.length;
  ctl.onWrite = (api) => {
    if (shifted || api !== 'elbv2:ModifyRule') return;
    const fresh = world.state.weightHistory.slice(seen);
    seen = world.state.weightHistory.length;
    if (fresh.some((h) => productionRules.has(h.ruleArn) && h.newlyServing.length > 0)) {
      shifted = true;
      for (const act of afterFirstShift) act();
    }
  };

  const outage = (fromMs: number, durationMs: number) => {
    ctl.outages ??= [];
    ctl.outages.push({ from: fromMs, until: fromMs + durationMs });
  };
  // outage: at a virtual time, or when the deployer records that it starts restoring traffic
  const outageFault = faults.find((f) => f.name === 'outage');
  const outageMs = (outageFault?.durationSeconds ?? 30) * 1000;
  if (outageFault?.afterSeconds !== undefined)
    outage(world.state.startedAt + outageFault.afterSeconds * 1000, outageMs);
  let outageArmed = outageFault !== undefined && outageFault.afterSeconds === undefined;

  const store: StorePort = new Proxy(memoryStore, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        if (ctl.killed) return never;
        checkNetwork(ctl, `dynamodb:${String(prop)}`);
        const res = await v.apply(target, args);
        const patch = prop === 'updateRelease' ? (args[2] as { step?: string } | undefined) : undefined;
        if (outageArmed && patch?.step === 'rolling-back') {
          outageArmed = false;
          outage(clock.now(), outageMs);
        }
        return res;
      };
    },
  });

  const portsFor = (t: ServiceTopology): SimPorts => ({
    ecs: simEcs(ctl),
    lb: simLoadBalancer(ctl),
    metrics: simMetrics(ctl),
    registry: simRegistry(ctl, t.repositoryUri),
    scaling: simScaling(ctl),
    smoke: simSmoke(ctl, t),
  });
  const first = opts.topologies[0];
  const base: SimPorts = first
    ? portsFor(first)
    : {
        ecs: simEcs(ctl),
        lb: simLoadBalancer(ctl),
        metrics: simMetrics(ctl),
        registry: simRegistry(ctl, ''),
        scaling: simScaling(ctl),
        smoke: {
          http: () => Promise.reject(new Error('no simulated service')),
          run: () => Promise.reject(new Error('no simulated service')),
        },
      };

  const topologies: ServiceTopology[] = [...opts.topologies];
  const addTopology = (t: ServiceTopology) => {
    if (topologies.some((x) => x.environment === t.environment && x.service === t.service)) {
      // known service (resumed state): a topology that gained autoscaling gets its scalable targets
      if (world.state.rules[t.productionRuleArn]) world.ensureScalableTargets(t);
      return;
    }
    topologies.push(t);
    productionRules.add(t.productionRuleArn);
    if (!world.state.rules[t.productionRuleArn]) world.seed(t, opts.seedOptions);
    else world.ensureScalableTargets(t);
    for (const f of faults) world.armFault(t, f);
  };

  const sim: Simulation = {
    ...base,
    topologies,
    addTopology,
    clock,
    world,
    store,
    memoryStore,
    signal: controller.signal,
    portsFor,
    deps: (events, topology) => ({
      ...(topology ? portsFor(topology) : base),
      store,
      clock,
      events,
      signal: controller.signal,
    }),
    interrupt,
    networkOutage: outage,
    kill,
    killed,
    isKilled: () => ctl.killed,
    writes: () => world.state.writes,
    calls: () => world.state.calls,
    snapshot: async () => {
      const releases: ReleaseRecord[] = [];
      const locks: LockInfo[] = [];
      for (const t of topologies) {
        const key = { environment: t.environment, service: t.service };
        releases.push(...(await memoryStore.listReleases(key, Number.MAX_SAFE_INTEGER)));
        const lock = await memoryStore.getLock(key);
        if (lock) locks.push(lock);
      }
      return { version: 1, now: clock.now(), world: structuredClone(world.state), releases, locks };
    },
  };
  return sim;
}

/** Restores the store part of a snapshot into a simulation's store (releases oldest first, then locks). */
export async function restoreStore(sim: Simulation, snap: SimSnapshot): Promise<void> {
  for (const r of [...snap.releases].reverse()) await sim.memoryStore.putRelease(r);
  // verbatim (token, acquiredAt, expiresAt), expired ones too: status shows "lease expired Ns ago" and a
  // resumed dead holder's lock is not made to look fresh
  for (const l of snap.locks) sim.memoryStore.restoreLock(l);
}
