/**
 * Oracle of the restore invariant (issue 9): "a restore never targets the colour being rolled back from,
 * and never a colour with fewer healthy targets than the pre-deploy live count".
 *
 * A restore is a production-rule write putting 100% on one colour while the newest release of the
 * service is recorded at step `rolling-back` (every restore — a deploy's automatic one, a rollback's flip
 * or recovery — records that step before it writes). The colour rolled back from is that record's new
 * colour for a deploy/promote, and the colour that was live (`previousColour`) for a rollback. Healthy
 * targets are read from the simulated world at the instant of the write — never from the core.
 */
import type { LoadBalancerPort, WeightedTarget } from '../../../services/deployer/src/ports';
import type { Simulation } from '../../../services/deployer/src/sim';
import type { Colour, ServiceTopology } from '../../../services/topology';

export function restoreChecked(
  sim: Simulation,
  t: ServiceTopology,
  lb: LoadBalancerPort,
  /** A number, or read at each restore (e.g. fixed when the run's first release record was written). */
  preDeployLiveCount: number | (() => number),
  violations: string[],
): LoadBalancerPort {
  const required = () => (typeof preDeployLiveCount === 'number' ? preDeployLiveCount : preDeployLiveCount());
  return {
    ...lb,
    setRuleWeights: async (ruleArn: string, weights: readonly WeightedTarget[]) => {
      if (ruleArn === t.productionRuleArn) {
        const full = weights.find((w) => w.weight > 0 && weights.every((x) => x === w || x.weight === 0));
        const colour: Colour | undefined =
          full?.targetGroupArn === t.targetGroupArns.blue
            ? 'blue'
            : full?.targetGroupArn === t.targetGroupArns.green
              ? 'green'
              : undefined;
        const [rec] = await sim.memoryStore.listReleases(
          { environment: t.environment, service: t.service },
          1,
        );
        if (colour && rec?.outcome === 'in-progress' && rec.step === 'rolling-back') {
          const from = rec.kind === 'rollback' ? rec.previousColour : rec.colour;
          if (colour === from)
            violations.push(
              `restore of ${rec.kind} ${rec.id} targets ${colour}, the colour rolled back from`,
            );
          sim.world.advanceTo(sim.clock.now());
          const healthy = sim.world.state.targetGroups[t.targetGroupArns[colour]].targets.filter(
            (x) => x.state === 'healthy',
          ).length;
          if (healthy < required())
            violations.push(
              `restore of ${rec.kind} ${rec.id} puts 100% on ${colour} with ${healthy} healthy targets, fewer than the pre-deploy live count ${required()}`,
            );
        }
      }
      return lb.setRuleWeights(ruleArn, weights);
    },
  };
}
