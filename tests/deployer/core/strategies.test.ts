import { deploy } from '../../../services/deployer/src/core/deploy';
import type { Strategy } from '../../../services/topology';
import { plainTopology, scenario } from './harness';

const productionWrites = (s: ReturnType<typeof scenario>) =>
  s.sim
    .writes()
    .filter(
      (w) =>
        w.api === 'elbv2:ModifyRule' &&
        (w.args as { ruleArn: string }).ruleArn === s.topology.productionRuleArn,
    )
    .map((w) =>
      (w.args as { weights: { targetGroupArn: string; weight: number }[] }).weights.map((x) => x.weight),
    );

describe.each<[Strategy, number[][]]>([
  ['all-at-once', [[0, 100]]],
  [
    'canary',
    [
      [90, 10],
      [0, 100],
    ],
  ],
  [
    'linear',
    [
      [75, 25],
      [50, 50],
      [25, 75],
      [0, 100],
    ],
  ],
])('happy path: %s', (strategy, expectedWrites) => {
  test('ends deployed: 100% on green, blue scaled to 0, release recorded, lock released', async () => {
    const s = scenario();
    const digest = s.sim.world.state.images['111111111111/switchyard/api'].tags['v1.1.0'];
    const out = await deploy(s.sim.deps(s.events), s.request({ strategy }));
    expect(out.status).toBe('deployed');
    if (out.status !== 'deployed') return;

    expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 0, green: 100 });
    expect(productionWrites(s)).toEqual(expectedWrites.map(([b, g]) => [b, g]));
    const green = s.sim.world.colour(s.topology, 'green');
    expect(green.image).toBe(`${s.topology.repositoryUri}@${digest}`);
    expect(green.running).toBe(2);
    expect(s.sim.world.colour(s.topology, 'blue').desiredCount).toBe(0);
    // new revision copies every other field of the live one
    const tds = s.sim.world.state.taskDefinitions;
    const live = tds[out.plan.taskDefinition.base];
    const next = tds[green.taskDefinitionArn];
    expect(next.revision).toBe(live.revision + 1);
    expect(next.extra).toEqual(live.extra);
    expect(next.containers.filter((c) => c.name !== 'api')).toEqual(
      live.containers.filter((c) => c.name !== 'api'),
    );
    const { image: _a, ...liveApi } = live.containers.find((c) => c.name === 'api')!;
    const { image: _b, ...nextApi } = next.containers.find((c) => c.name === 'api')!;
    expect(nextApi).toEqual(liveApi);
    // the old revision still exists (never deregistered)
    expect(tds[out.plan.taskDefinition.base]).toBeDefined();

    const [rec] = await s.sim.store.listReleases({ environment: 'dev', service: 'api' }, 5);
    expect(rec).toMatchObject({
      outcome: 'deployed',
      step: 'done',
      colour: 'green',
      previousColour: 'blue',
      imageDigest: digest,
    });
    expect(rec.taskDefinitionArn).toBe(green.taskDefinitionArn);
    expect(await s.sim.store.getLock({ environment: 'dev', service: 'api' })).toBeUndefined();
    // the test rule reaches the new colour; the rule was read twice (preflight + under the lock) and
    // read back after every production write
    expect(s.sim.world.state.rules[s.topology.testRuleArn]).toEqual([
      { targetGroupArn: s.topology.targetGroupArns.green, weight: 1 },
    ]);
    // live-state reads + one read back per write + one re-read right before and one right after the old
    // colour's scale-down
    expect(s.sim.calls()['elbv2:DescribeRules']).toBe(4 + expectedWrites.length);
  });
});

test('a second deploy goes back to blue (green is now live)', async () => {
  const s = scenario();
  expect((await deploy(s.sim.deps(s.events), s.request({ strategy: 'all-at-once' }))).status).toBe(
    'deployed',
  );
  const out = await deploy(s.sim.deps(s.events), s.request({ imageTag: 'v1.2.0', strategy: 'all-at-once' }));
  expect(out.status).toBe('deployed');
  expect(s.sim.world.trafficWeights(s.topology)).toEqual({ blue: 100, green: 0 });
  expect(s.sim.world.colour(s.topology, 'green').desiredCount).toBe(0);
  expect(s.sim.world.colour(s.topology, 'blue').image).toContain(
    s.sim.world.state.images['111111111111/switchyard/api'].tags['v1.2.0'],
  );
});

test('the step is written to the store before each action', async () => {
  const s = scenario({ topology: plainTopology() }); // counts ECS/ELB writes only: no scalable-target writes
  const steps: string[] = [];
  const store = s.sim.store;
  const spy = {
    ...s.sim.deps(s.events),
    store: new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop === 'updateRelease') {
          return async (
            k: never,
            id: string,
            patch: { step?: string; intendedWeights?: { green: number } },
            fence?: { token: string },
          ) => {
            if (patch.step) {
              const writes = s.sim.writes().length;
              steps.push(
                `${patch.step}${patch.intendedWeights ? `@${patch.intendedWeights.green}` : ''}#${writes}`,
              );
            }
            return (v as typeof store.updateRelease).call(target, k, id, patch as never, fence);
          };
        }
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }),
  };
  await deploy(spy, s.request({ strategy: 'canary' }));
  // #n = number of ECS/ELB writes made before the step was recorded
  expect(steps).toEqual([
    'registering-task-definition#0', // the intent is on record before RegisterTaskDefinition
    'task-definition-registered#1',
    'scaling-idle#1',
    'waiting-healthy#2',
    'shifting@10#3',
    'baking#4',
    'shifting@100#4',
    'baking#5',
    'final-bake#5',
    'draining-old#5',
    'done#6',
  ]);
});
