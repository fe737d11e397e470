/**
 * Property: over random fault schedules, strategies, settings and seeds —
 *  - at every weight change, any target group with weight > 0 is the last known good colour's or one
 *    whose targets were all healthy when it started receiving traffic;
 *  - the run ends deployed (100% new colour) or rolled back (100% old colour), never split (or is
 *    refused untouched when SIGINT came before anything started);
 *  - without throttling, a restoring write lands within one poll interval of the first failed signal;
 *  - a restore never targets the colour being rolled back from, and never a colour with fewer healthy
 *    targets than the pre-deploy live count (restore-oracle.ts, read from the world at the write).
 */
import fc from 'fast-check';
import { deploy } from '../../../services/deployer/src/core/deploy';
import { CollectingSink } from '../../../services/deployer/src/core/events';
import { effectiveSettings } from '../../../services/deployer/src/core/settings';
import { abortDeploy, continueDeploy } from '../../../services/deployer/src/core/resume';
import { rollback } from '../../../services/deployer/src/ops/rollback';
import {
  createSimulation,
  type Fault,
  restoreStore,
  type Simulation,
} from '../../../services/deployer/src/sim';
import { firstFailedSignalAt } from '../../../services/deployer/src/sim/signals';
import { exampleTopology } from './harness';
import { propertyParams, propertyTimeoutMs } from './property-runs';
import { restoreChecked } from './restore-oracle';

const KEY = { environment: 'dev', service: 'api' };

const faultArb: fc.Arbitrary<Fault[]> = fc
  .record({
    // pre-traffic faults end most runs early: keep them rarer so post-traffic rollbacks get exercised
    crash: fc.integer({ min: 0, max: 4 }).map((x) => x === 0),
    unhealthy: fc.integer({ min: 0, max: 4 }).map((x) => x === 0),
    // the example topology has a smoke test: a release failing it must end with nothing moved
    smokeFail: fc.integer({ min: 0, max: 4 }).map((x) => x === 0),
    spike: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
    spikeRatio: fc.double({ min: 0.01, max: 0.6, noNaN: true }),
    alarm: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
    throttle: fc.boolean(),
    interrupt: fc.option(fc.integer({ min: 0, max: 900 }), { nil: undefined }),
  })
  .map((f) => {
    const out: Fault[] = [];
    if (f.crash) out.push({ name: 'task-crash' });
    if (f.unhealthy) out.push({ name: 'unhealthy-targets' });
    if (f.smokeFail) out.push({ name: 'smoke-fail' });
    if (f.spike !== undefined)
      out.push({ name: '5xx-spike', afterSeconds: f.spike, errorRatio: f.spikeRatio });
    if (f.alarm !== undefined) out.push({ name: 'alarm', afterSeconds: f.alarm });
    if (f.throttle) out.push({ name: 'throttle' });
    if (f.interrupt !== undefined) out.push({ name: 'interrupt', afterSeconds: f.interrupt });
    return out;
  });

test(
  'no traffic on unproven colours; never ends split; rollback within one poll interval',
  async () => {
    const base = exampleTopology();
    await fc.assert(
      fc.asyncProperty(
        faultArb,
        fc.constantFrom('all-at-once' as const, 'canary' as const, 'linear' as const),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.record({
          bakeSeconds: fc.integer({ min: 0, max: 180 }),
          finalBakeSeconds: fc.integer({ min: 0, max: 180 }),
          pollIntervalSeconds: fc.integer({ min: 2, max: 30 }),
          canaryPercent: fc.integer({ min: 1, max: 50 }),
          linearStepPercent: fc.integer({ min: 10, max: 50 }),
          terminationWaitSeconds: fc.integer({ min: 0, max: 60 }),
        }),
        async (faults, strategy, seed, overrides) => {
          const topology = { ...base, deployment: { ...base.deployment, ...overrides } };
          const sim = createSimulation({ topologies: [topology], faults, seed });
          const events = new CollectingSink();
          const violations: string[] = [];
          const preDeployLiveCount = sim.world.colour(topology, 'blue').desiredCount;
          const lb = restoreChecked(sim, topology, sim.lb, preDeployLiveCount, violations);
          const out = await deploy(
            { ...sim.deps(events), lb },
            {
              topology,
              imageTag: 'v1.1.0',
              strategy,
              owner: { actor: 'prop', host: 'test', operation: 'deploy' },
            },
          );
          const blue = topology.targetGroupArns.blue;
          for (const change of sim.world.state.weightHistory) {
            for (const w of change.weights) {
              if (w.weight === 0 || w.targetGroupArn === blue) continue;
              // find when this group last started receiving traffic
              const idx = sim.world.state.weightHistory.indexOf(change);
              const started = [...sim.world.state.weightHistory.slice(0, idx + 1)]
                .reverse()
                .find((c) => c.newlyServing.some((n) => n.targetGroupArn === w.targetGroupArn));
              expect(
                started?.newlyServing.find((n) => n.targetGroupArn === w.targetGroupArn)?.allHealthy,
              ).toBe(true);
            }
          }
          expect(violations).toEqual([]);
          const weights = sim.world.trafficWeights(topology);
          if (out.status === 'refused') {
            // only a SIGINT before anything started is refused: nothing changed
            expect(out.code).toBe('interrupted');
            expect(faults.some((f) => f.name === 'interrupt')).toBe(true);
            expect(weights).toEqual({ blue: 100, green: 0 });
            expect(
              sim.world.state.weightHistory.filter((h) => h.ruleArn === topology.productionRuleArn),
            ).toEqual([]);
            return;
          }
          expect(['deployed', 'rolled-back']).toContain(out.status);
          if (faults.some((f) => f.name === 'smoke-fail')) {
            // a release failing its smoke test never deploys, and no production weight ever moved to it
            expect(out.status).toBe('rolled-back');
            expect(
              sim.world.state.weightHistory.filter(
                (h) =>
                  h.ruleArn === topology.productionRuleArn &&
                  h.weights.some((w) => w.targetGroupArn !== blue && w.weight > 0),
              ),
            ).toEqual([]);
          }
          if (out.status === 'deployed') expect(weights).toEqual({ blue: 0, green: 100 });
          if (out.status === 'rolled-back') {
            expect(weights).toEqual({ blue: 100, green: 0 });
            expect(sim.world.colour(topology, 'green').desiredCount).toBe(0);
            const [rec] = await sim.store.listReleases({ environment: 'dev', service: 'api' }, 1);
            expect(rec.outcome).toBe('rolled-back');
            expect(rec.reason).toBe(out.reason);
            const throttled = faults.some((f) => f.name === 'throttle');
            if (out.restoredAt !== undefined && !throttled) {
              const interrupt = faults.find((f) => f.name === 'interrupt');
              const settings = effectiveSettings(topology);
              const first = firstFailedSignalAt(sim.world, topology, settings, {
                colour: 'green',
                untilMs: out.restoredAt,
                interruptAt: interrupt
                  ? sim.world.state.startedAt + (interrupt.afterSeconds ?? 0) * 1000
                  : undefined,
                sustained: true,
              });
              expect(first).toBeDefined();
              expect(out.restoredAt - first!).toBeLessThanOrEqual(settings.pollIntervalSeconds * 1000);
            }
          }
          expect(await sim.store.getLock({ environment: 'dev', service: 'api' })).toBeUndefined();
        },
      ),
      propertyParams(20260101, 150),
    );
  },
  propertyTimeoutMs(120_000, 150),
);

test(
  'held deploys: continue, abort, expiry or a lost lock from another process — same invariants, never split',
  async () => {
    const base = exampleTopology();
    const actionArb = fc.constantFrom(
      'continue' as const,
      'abort' as const,
      'expire' as const,
      'lose' as const,
    );
    await fc.assert(
      fc.asyncProperty(
        faultArb.map((fs) => fs.filter((f) => f.name !== 'interrupt')),
        fc.constantFrom('canary' as const, 'linear' as const),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.record({
          bakeSeconds: fc.integer({ min: 0, max: 180 }),
          finalBakeSeconds: fc.integer({ min: 0, max: 180 }),
          pollIntervalSeconds: fc.integer({ min: 2, max: 30 }),
          canaryPercent: fc.integer({ min: 1, max: 50 }),
          linearStepPercent: fc.integer({ min: 10, max: 50 }),
          holdTimeoutSeconds: fc.integer({ min: 60, max: 3600 }),
        }),
        actionArb,
        fc.integer({ min: 0, max: 4000 }),
        async (faults, strategy, seed, overrides, action, waitSeconds) => {
          const topology = { ...base, deployment: { ...base.deployment, ...overrides } };
          const first = createSimulation({ topologies: [topology], seed });
          const violations: string[] = [];
          const checked = (s: Simulation) => restoreChecked(s, topology, s.lb, sim0Count, violations);
          const sim0Count = first.world.colour(topology, 'blue').desiredCount;
          const owner = { actor: 'prop', host: 'test', operation: 'deploy' };
          const out = await deploy(
            { ...first.deps(new CollectingSink()), lb: checked(first) },
            { topology, imageTag: 'v1.1.0', strategy, holdAfter: 'canary', owner },
          );
          let sim = first;
          let final: { status: string } = out;
          if (out.status === 'held') {
            // another process, maybe much later; the faults apply to it
            const snap = await first.snapshot();
            sim = createSimulation({ topologies: [topology], snapshot: snap, faults, seed: seed + 1 });
            await restoreStore(sim, snap);
            await sim.clock.sleep(waitSeconds * 1000);
            const d = { ...sim.deps(new CollectingSink()), lb: checked(sim), signal: undefined };
            const expired = sim.clock.now() >= out.until;
            if (action === 'lose') {
              await sim.store.forceUnlock(KEY, 'mallory', 'lost');
              expect(await continueDeploy(d, { topology, owner })).toMatchObject({
                code: expired ? 'hold-expired' : 'hold-lost',
              });
              final = await rollback(d, { topology, owner, reason: 'recover the void hold' });
            } else if (action === 'continue') {
              final = await continueDeploy(d, { topology, owner });
              if (expired) {
                expect(final).toMatchObject({ status: 'refused', code: 'hold-expired' });
                final = await abortDeploy(d, { topology, owner, reason: 'expired', expiredOnly: true });
              }
            } else {
              final = await abortDeploy(d, {
                topology,
                owner,
                reason: 'no',
                expiredOnly: action === 'expire',
              });
              if (action === 'expire' && !expired) {
                expect(final.status).toBe('nothing-to-do');
                await sim.clock.sleep(out.until - sim.clock.now());
                final = await abortDeploy(d, { topology, owner, reason: 'no', expiredOnly: true });
              }
            }
          }
          // traffic only ever reached green while all its targets were healthy
          for (const change of sim.world.state.weightHistory) {
            for (const n of change.newlyServing) {
              if (n.targetGroupArn !== topology.targetGroupArns.blue) expect(n.allHealthy).toBe(true);
            }
          }
          expect(violations).toEqual([]);
          const w = sim.world.trafficWeights(topology);
          expect([w.blue, w.green].sort()).toEqual([0, 100]);
          if (final.status === 'deployed') expect(w).toEqual({ blue: 0, green: 100 });
          else if (final.status === 'rolled-back') {
            expect(w).toEqual({ blue: 100, green: 0 });
            expect(sim.world.colour(topology, 'green').desiredCount).toBe(0);
          } else expect(final.status).toBe('refused'); // the deploy itself refused (nothing moved)
          const [rec] = await sim.store.listReleases(KEY, 1);
          if (rec) expect(rec.outcome).not.toBe('in-progress');
          expect(await sim.store.getLock(KEY)).toBeUndefined();
        },
      ),
      propertyParams(20260104, 60),
    );
  },
  propertyTimeoutMs(120_000, 60),
);
