/**
 * Property over random prior histories (either colour live), faults and OTHER ACTORS acting during the
 * deploy — a kill -9 (then a new process recovers with `rollback --force-unlock`), a lock takeover
 * (`rollback --force-unlock` from another process while the deploy runs), an operator flipping the
 * production rule back to the known-good colour by hand, something outside switchyard scaling the
 * known-good colour in by one task:
 *
 *  - at EVERY production-rule write made by switchyard (deploy or rollback, any process), each target
 *    group given weight > 0 is the known-good colour (live before the run) or was already serving, or
 *    — when it starts receiving traffic in that write — has all its targets healthy (draining ones, which
 *    get no new requests, aside) and at least as many healthy targets as its service's desired count
 *    (read from the simulated world at that instant);
 *  - when the last switchyard operation ends deployed / rolled back, the weights are whole (never split)
 *    and the colour carrying 100% has healthy targets;
 *  - a restore (deploy's automatic one, a rollback's flip or recovery) never targets the colour being
 *    rolled back from, and never a colour with fewer healthy targets than the pre-deploy live count
 *    (restore-oracle.ts).
 *
 * A second property does the same for a rollback BY REDEPLOY during an incident (the live release's own
 * and a shared alarm firing) whose target colour may itself fail after traffic moved.
 *
 * The oracle reads the simulated world directly (target states, desired counts) — never the core's own
 * gate/judge functions.
 */
import fc from 'fast-check';
import { deploy } from '../../../services/deployer/src/core/deploy';
import { CollectingSink } from '../../../services/deployer/src/core/events';
import { rollback } from '../../../services/deployer/src/ops/rollback';
import type { LoadBalancerPort, WeightedTarget } from '../../../services/deployer/src/ports';
import {
  createSimulation,
  type Fault,
  restoreStore,
  type Simulation,
} from '../../../services/deployer/src/sim';
import type { Colour, ServiceTopology } from '../../../services/topology';
import { plainTopology } from './harness';
import { propertyParams, propertyTimeoutMs } from './property-runs';
import { restoreChecked } from './restore-oracle';

type Action = { readonly kind: 'kill' | 'takeover' | 'flip' | 'scale-in'; readonly atSeconds: number };

const actionArb: fc.Arbitrary<Action[]> = fc.array(
  fc.record({
    kind: fc.constantFrom('kill' as const, 'takeover' as const, 'flip' as const, 'scale-in' as const),
    atSeconds: fc.integer({ min: 0, max: 400 }),
  }),
  { maxLength: 2 },
);

const faultArb: fc.Arbitrary<Fault[]> = fc
  .record({
    spike: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
    alarm: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }),
    crash: fc.integer({ min: 0, max: 5 }).map((x) => x === 0),
  })
  .map((f) => {
    const out: Fault[] = [];
    if (f.spike !== undefined) out.push({ name: '5xx-spike', afterSeconds: f.spike, errorRatio: 0.5 });
    if (f.alarm !== undefined) out.push({ name: 'alarm', afterSeconds: f.alarm });
    if (f.crash) out.push({ name: 'task-crash' });
    return out;
  });

const OWNER = { actor: 'prop', host: 'test', operation: 'deploy' } as const;
const ONCALL = { actor: 'oncall', host: 'pager', operation: 'rollback' } as const;

/** Colour of a target group ARN. */
const colourOf = (t: ServiceTopology, arn: string): Colour | undefined =>
  arn === t.targetGroupArns.blue ? 'blue' : arn === t.targetGroupArns.green ? 'green' : undefined;

/**
 * An lb port that checks the invariant against the world right before each production-rule write.
 * `knownGood()` is the colour proven before the run.
 */
function checkedLb(
  sim: Simulation,
  t: ServiceTopology,
  knownGood: Colour,
  violations: string[],
): LoadBalancerPort {
  const lb = sim.portsFor(t).lb;
  return {
    ...lb,
    setRuleWeights: async (ruleArn: string, weights: readonly WeightedTarget[]) => {
      if (ruleArn === t.productionRuleArn) {
        const before = sim.world.trafficWeights(t);
        for (const w of weights) {
          const c = colourOf(t, w.targetGroupArn);
          if (w.weight === 0 || c === undefined || c === knownGood || before[c] > 0) continue;
          const tg = sim.world.state.targetGroups[w.targetGroupArn];
          const svc = sim.world.service(t.cluster, t.ecsServices[c]);
          sim.world.colour(t, c); // (read only)
          // Draining targets are being deregistered (old tasks replaced by a redeploy): the ALB sends them
          // no new requests, so "all targets healthy" is judged over the targets that can take traffic.
          const serving = tg.targets.filter((x) => x.state !== 'draining');
          const healthy = serving.filter((x) => x.state === 'healthy').length;
          const ok = healthy > 0 && healthy === serving.length && healthy >= svc.desiredCount;
          if (!ok)
            violations.push(
              `${c} got ${w.weight}% with ${healthy}/${serving.length} healthy non-draining targets, desired ${svc.desiredCount}`,
            );
        }
      }
      return lb.setRuleWeights(ruleArn, weights);
    },
  };
}

test(
  'at every write: traffic only on proven colours; whole at the end — with kills, takeovers and manual flips',
  async () => {
    const topology: ServiceTopology = {
      ...plainTopology(),
      deployment: {
        ...plainTopology().deployment,
        bakeSeconds: 60,
        finalBakeSeconds: 60,
        terminationWaitSeconds: 30,
      },
    };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 }), // prior releases: 0 → blue live, 1 → green live, 2 → blue live again
        faultArb,
        actionArb,
        fc.constantFrom('all-at-once' as const, 'canary' as const, 'linear' as const),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (prior, faults, actions, strategy, seed) => {
          let sim = createSimulation({ topologies: [topology], seed });
          for (let i = 0; i < prior; i++) {
            const out = await deploy(sim.deps(new CollectingSink()), {
              topology,
              imageTag: i === 0 ? 'v1.1.0' : 'v1.2.0',
              strategy: 'all-at-once',
              owner: OWNER,
            });
            if (out.status !== 'deployed') throw new Error(`prior deploy ${i}: ${out.status}`);
          }
          const knownGood: Colour = prior === 1 ? 'green' : 'blue';
          expect(sim.world.trafficWeights(topology)[knownGood]).toBe(100);
          // the faults of this run start now (the prior deploys ran without them)
          const snap = await sim.snapshot();
          sim = createSimulation({ topologies: [topology], snapshot: snap, faults, seed });
          await restoreStore(sim, snap);
          sim.world.pushImage(topology.repositoryUri, topology.repositoryName, 'v2.0.0');

          const violations: string[] = [];
          // "Pre-deploy" = what the run could see: the known-good colour's desired count when the run's
          // first release record is written (after the deploy read the live state). A scale-in racing the
          // deploy's own first reads (atSeconds 0) is one it could not know about — it plans with the
          // smaller count, and restoring to that count is right.
          let preDeployLiveCount = sim.world.colour(topology, knownGood).desiredCount;
          let committed = false;
          const put = sim.memoryStore.putRelease.bind(sim.memoryStore);
          const world = sim.world;
          sim.memoryStore.putRelease = async (r, f) => {
            if (!committed) {
              committed = true;
              preDeployLiveCount = world.colour(topology, knownGood).desiredCount;
            }
            return put(r, f);
          };
          const depsOf = (s: Simulation) => ({
            ...s.deps(new CollectingSink()),
            lb: restoreChecked(
              s,
              topology,
              checkedLb(s, topology, knownGood, violations),
              () => preDeployLiveCount,
              violations,
            ),
            signal: new AbortController().signal,
          });
          const start = sim.clock.now();
          const others: Promise<unknown>[] = [];
          let last: { status: string } | undefined;
          let killed = false;
          let drainedByOthers = false;
          for (const a of actions) {
            sim.clock.at(start + a.atSeconds * 1000, () => {
              if (killed) return;
              if (a.kind === 'kill') {
                killed = true;
                sim.kill();
              } else if (a.kind === 'scale-in') {
                // something outside switchyard takes a task away from the known-good colour
                const svc = sim.world.service(topology.cluster, topology.ecsServices[knownGood]);
                svc.desiredCount = Math.max(0, svc.desiredCount - 1);
                if (svc.desiredCount === 0) drainedByOthers = true;
                const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
                if (primary) primary.desiredCount = svc.desiredCount;
              } else if (a.kind === 'flip') {
                void sim.lb.setRuleWeights(topology.productionRuleArn, [
                  { targetGroupArn: topology.targetGroupArns.blue, weight: knownGood === 'blue' ? 100 : 0 },
                  { targetGroupArn: topology.targetGroupArns.green, weight: knownGood === 'green' ? 100 : 0 },
                ]);
              } else {
                others.push(
                  rollback(depsOf(sim), {
                    topology,
                    reason: 'takeover',
                    forceUnlock: true,
                    owner: ONCALL,
                  }).then(
                    (o) => {
                      last = o;
                    },
                    () => undefined,
                  ),
                );
              }
            });
          }
          const run = deploy(depsOf(sim), { topology, imageTag: 'v2.0.0', strategy, owner: OWNER }).then(
            (o) => {
              if (others.length === 0) last = o;
              return o;
            },
            () => undefined, // DeployError: lock lost / restore failed (the oracle still checks every write)
          );
          await Promise.race([run, sim.killed]);
          // A kill freezes this simulated world, and with it a takeover started in it before the kill (both
          // processes share the world here: as if both died), so waiting for it would never end — the
          // recovery below starts from the dead world. (Found by a random seed: takeover at 54 s, kill at 55 s.)
          await Promise.race([Promise.all(others), sim.killed]);
          if (killed) {
            // a new process on the dead one's world recovers it
            const dead = await sim.snapshot();
            const next = createSimulation({ topologies: [topology], snapshot: dead, seed });
            await restoreStore(next, dead);
            await next.clock.sleep(1_000);
            last = await rollback(depsOf(next), {
              topology,
              reason: 'recover',
              forceUnlock: true,
              owner: ONCALL,
            });
            sim = next;
          }
          expect(violations).toEqual([]);
          if (last && (last.status === 'deployed' || last.status === 'rolled-back')) {
            const w = sim.world.trafficWeights(topology);
            expect([w.blue, w.green].sort()).toEqual([0, 100]);
            const on: Colour = w.blue === 100 ? 'blue' : 'green';
            await sim.lb.describeTargetHealth(topology.targetGroupArns[on]); // advances the world
            // Unless something outside switchyard scaled the known-good colour to zero: a deploy that then
            // fails before traffic moved leaves traffic where it was, on that outage (a restore that moves
            // traffic onto it scales it up first — restore-oracle.ts checks that at the write).
            if (!(drainedByOthers && on === knownGood))
              expect(sim.world.colour(topology, on).running).toBeGreaterThan(0);
          }
        },
      ),
      propertyParams(20260102, 60),
    );
  },
  propertyTimeoutMs(60_000, 60),
);

test(
  'rollback by redeploy during an incident: never back onto the release rolled back from; whole at the end',
  async () => {
    const base = plainTopology();
    const topology: ServiceTopology = {
      ...base,
      deployment: { ...base.deployment, bakeSeconds: 60, finalBakeSeconds: 60, terminationWaitSeconds: 30 },
    };
    const targetFaults: fc.Arbitrary<Fault[]> = fc
      .record({
        spike: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
        alarm: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
        crash: fc.integer({ min: 0, max: 5 }).map((x) => x === 0),
        incident: fc.boolean(),
        interrupt: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
      })
      .map((f) => {
        const out: Fault[] = [];
        if (f.spike !== undefined) out.push({ name: '5xx-spike', afterSeconds: f.spike, errorRatio: 0.5 });
        if (f.alarm !== undefined) out.push({ name: 'alarm', afterSeconds: f.alarm });
        if (f.crash) out.push({ name: 'task-crash' });
        if (f.incident) out.push({ name: 'incident' });
        if (f.interrupt !== undefined) out.push({ name: 'interrupt', afterSeconds: f.interrupt });
        return out;
      });
    await fc.assert(
      fc.asyncProperty(
        targetFaults,
        fc.constantFrom(undefined, 'canary' as const, 'linear' as const),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (faults, strategy, seed) => {
          // v1.1.0 on green, then the bad v1.2.0 on blue (green scaled to 0): a rollback must redeploy
          const first = createSimulation({ topologies: [topology], seed });
          for (const tag of ['v1.1.0', 'v1.2.0']) {
            const out = await deploy(first.deps(new CollectingSink()), {
              topology,
              imageTag: tag,
              strategy: 'all-at-once',
              owner: OWNER,
            });
            if (out.status !== 'deployed') throw new Error(`prior deploy ${tag}: ${out.status}`);
          }
          const snap = await first.snapshot();
          const sim = createSimulation({ topologies: [topology], snapshot: snap, faults, seed });
          await restoreStore(sim, snap);
          expect(sim.world.trafficWeights(topology)).toEqual({ blue: 100, green: 0 });
          const violations: string[] = [];
          const preDeployLiveCount = sim.world.colour(topology, 'blue').desiredCount;
          const before = sim.world.state.weightHistory.length;
          const out = await rollback(
            {
              ...sim.deps(new CollectingSink()),
              lb: restoreChecked(sim, topology, sim.lb, preDeployLiveCount, violations),
            },
            { topology, reason: 'incident', owner: ONCALL, ...(strategy ? { strategy } : {}) },
          ).catch((e: unknown) => ({ status: 'error', reason: String(e) }));
          expect(violations).toEqual([]);
          // once a production write gave green traffic, no later write took it all back to blue
          const green = sim.world.state.weightHistory
            .slice(before)
            .filter((h) => h.ruleArn === topology.productionRuleArn)
            .map((h) => h.weights.find((w) => w.targetGroupArn === topology.targetGroupArns.green)!.weight);
          const moved = green.findIndex((g) => g > 0);
          if (moved >= 0) expect(green.slice(moved)).not.toContain(0);
          const w = sim.world.trafficWeights(topology);
          if (out.status === 'rolled-back' || out.status === 'gates-failed')
            expect([w.blue, w.green].sort()).toEqual([0, 100]);
          if (out.status === 'rolled-back') expect(w).toEqual({ blue: 0, green: 100 });
        },
      ),
      propertyParams(20260103, 40),
    );
  },
  propertyTimeoutMs(60_000, 40),
);
