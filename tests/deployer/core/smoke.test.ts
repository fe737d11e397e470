import { deploy } from '../../../services/deployer/src/core/deploy';
import { scenario } from './harness';

test('smoke: canary deploy in the simulation', async () => {
  const s = scenario();
  const out = await deploy(s.sim.deps(s.events), s.request());
  for (const e of s.events.events)
    console.log(new Date(e.at).toISOString().slice(11, 19), e.level, e.type, e.message);
  console.log(out.status, s.sim.world.trafficWeights(s.topology), s.sim.calls());
  expect(out.status).toBe('deployed');
});
