/** Target-health gate during bakes: `initial` targets (task replacement, scale-out) do not roll back. */
import { deploy } from '../../../services/deployer/src/core/deploy';
import type { TargetHealth, TargetState } from '../../../services/deployer/src/ports';
import { plainTopology, scenario } from './harness';

/** Deps whose DescribeTargetHealth of green adds one extra target in `state` once traffic moved. */
function withExtraTarget(s: ReturnType<typeof scenario>, state: TargetState) {
  const deps = s.sim.deps(s.events);
  let polls = 0;
  return {
    deps: {
      ...deps,
      lb: {
        ...deps.lb,
        describeTargetHealth: async (tg: string): Promise<TargetHealth[]> => {
          const real = await deps.lb.describeTargetHealth(tg);
          const moved = s.sim.world.trafficWeights(s.topology).green > 0;
          if (tg !== s.topology.targetGroupArns.green || !moved) return real;
          polls++;
          return [...real, { id: '10.0.9.9', port: 8080, state }];
        },
      },
    },
    polls: () => polls,
  };
}

test('a target in initial during a bake (scale-out / replacement) does not roll back while healthy ≥ desired', async () => {
  const s = scenario({ topology: plainTopology() });
  const { deps, polls } = withExtraTarget(s, 'initial');
  const out = await deploy(deps, s.request({ strategy: 'canary' }));
  expect(out.status).toBe('deployed');
  expect(polls()).toBeGreaterThan(3);
});

test('an extra target unhealthy on 3 consecutive checks rolls back (not on the first)', async () => {
  const s = scenario({ topology: plainTopology() });
  const { deps, polls } = withExtraTarget(s, 'unhealthy');
  const out = await deploy(deps, s.request({ strategy: 'canary' }));
  expect(out).toMatchObject({ status: 'rolled-back', gate: 'target-health' });
  expect(out.status === 'rolled-back' && out.reason).toMatch(
    /unhealthy\/unavailable on 3 consecutive checks/,
  );
  expect(polls()).toBe(3);
  expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 100, green: 0 });
});
