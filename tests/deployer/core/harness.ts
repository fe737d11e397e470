/** Shared setup for deployer core scenarios: example topology + simulation + a deploy request. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploy, type DeployOutcome, type DeployRequest } from '../../../services/deployer/src/core/deploy';
import { CollectingSink } from '../../../services/deployer/src/core/events';
import type { MetricsPort } from '../../../services/deployer/src/ports';
import {
  createSimulation,
  type Fault,
  restoreStore,
  type Simulation,
} from '../../../services/deployer/src/sim';
import { parseTopology, type ServiceTopology } from '../../../services/topology';

export const EXAMPLES = join(__dirname, '../../../services/deployer/examples');

export function exampleTopology(env = 'dev'): ServiceTopology {
  const file = join(EXAMPLES, `topology.${env}.api.json`);
  return parseTopology(JSON.parse(readFileSync(file, 'utf8')), file);
}

/**
 * The topology without the optional fields `baseTaskDefinitionArn`, `autoscaling` and `smokeTest`,
 * whatever the example files carry: for tests of the behaviour without them (built here, not assumed
 * from the files).
 */
export function withoutOptional(t: ServiceTopology): ServiceTopology {
  const { baseTaskDefinitionArn: _base, autoscaling: _as, smokeTest: _smoke, ...rest } = t;
  return rest;
}

/** `exampleTopology(env)` without `baseTaskDefinitionArn`, `autoscaling` and `smokeTest`. */
export function plainTopology(env = 'dev'): ServiceTopology {
  return withoutOptional(exampleTopology(env));
}

export interface Scenario {
  readonly sim: Simulation;
  readonly topology: ServiceTopology;
  readonly events: CollectingSink;
  readonly request: (over?: Partial<DeployRequest>) => DeployRequest;
}

export function scenario(
  opts: { faults?: Fault[]; seed?: number; topology?: ServiceTopology } = {},
): Scenario {
  const topology = opts.topology ?? exampleTopology();
  const sim = createSimulation({ topologies: [topology], faults: opts.faults, seed: opts.seed ?? 1 });
  const events = new CollectingSink();
  return {
    sim,
    topology,
    events,
    request: (over = {}) => ({
      topology,
      imageTag: 'v1.1.0',
      owner: { actor: 'tester', host: 'test', operation: 'deploy' },
      ...over,
    }),
  };
}

/** Every request count of the metrics divided by `by` (a quieter world). */
export const quieter =
  (by: number) =>
  (base: MetricsPort): MetricsPort => ({
    ...base,
    targetGroupRequests: async (...a) => {
      const c = await base.targetGroupRequests(...a);
      return { requests: Math.floor(c.requests / by), errors5xx: 0 };
    },
    targetGroupLatency: async (...a) => {
      const c = await base.targetGroupLatency(...a);
      return { ...c, requests: Math.floor(c.requests / by) };
    },
  });

/** A canary topology for hold-for-approval scenarios: 10 % canary, 240 s bakes, holds expire after 30 min. */
export function heldTopology(): ServiceTopology {
  const base = plainTopology();
  return {
    ...base,
    deployment: {
      ...base.deployment,
      strategy: 'canary',
      canaryPercent: 10,
      bakeSeconds: 240,
      finalBakeSeconds: 240,
      terminationWaitSeconds: 60,
      holdTimeoutSeconds: 1800,
    },
  };
}

/** Deploys v1.1.0 of `t` held after the canary; returns a NEW process (simulation) on the world it left. */
export async function heldDeploy(
  t: ServiceTopology,
  owner: DeployRequest['owner'],
  opts: { faults?: Fault[] } = {},
): Promise<{ sim: Simulation; out: DeployOutcome }> {
  const first = createSimulation({ topologies: [t], seed: 3 });
  const out = await deploy(first.deps(new CollectingSink()), {
    topology: t,
    imageTag: 'v1.1.0',
    holdAfter: 'canary',
    owner,
  });
  const snap = await first.snapshot();
  const sim = createSimulation({ topologies: [t], snapshot: snap, faults: opts.faults, seed: 4 });
  await restoreStore(sim, snap);
  return { sim, out };
}
