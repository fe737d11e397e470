/**
 * The deploy as a step machine (core/steps.ts): every step is on record before it acts, in the table's
 * order, and the release carries the plan and progress another process needs to pick the run up.
 */
import { deploy } from '../../../services/deployer/src/core/deploy';
import { DEPLOY_STEPS, resumeAt } from '../../../services/deployer/src/core/steps';
import type { ReleaseRecord, StorePort } from '../../../services/deployer/src/ports';
import { plainTopology, scenario } from './harness';

type Entry =
  { kind: 'record'; step: string; weights?: unknown } | { kind: 'write'; api: string; args: unknown };

/** Store + ports that log, in one sequence, every release write (its step) and every ECS/ELB write. */
function journalled(s: ReturnType<typeof scenario>) {
  const log: Entry[] = [];
  const deps = s.sim.deps(s.events);
  const store: StorePort = new Proxy(deps.store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop === 'updateRelease')
        return async (key: unknown, id: string, patch: Partial<ReleaseRecord>, fence: unknown) => {
          if (patch.step) log.push({ kind: 'record', step: patch.step, weights: patch.intendedWeights });
          return (v as StorePort['updateRelease']).call(target, key as never, id, patch, fence as never);
        };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const ecs = {
    ...deps.ecs,
    registerTaskDefinitionFrom: async (...a: Parameters<typeof deps.ecs.registerTaskDefinitionFrom>) => {
      log.push({ kind: 'write', api: 'RegisterTaskDefinition', args: a[2] });
      return deps.ecs.registerTaskDefinitionFrom(...a);
    },
    updateService: async (...a: Parameters<typeof deps.ecs.updateService>) => {
      log.push({ kind: 'write', api: 'UpdateService', args: { service: a[1], ...a[2] } });
      return deps.ecs.updateService(...a);
    },
  };
  const lb = {
    ...deps.lb,
    setRuleWeights: async (...a: Parameters<typeof deps.lb.setRuleWeights>) => {
      log.push({ kind: 'write', api: 'ModifyRule', args: a[1] });
      return deps.lb.setRuleWeights(...a);
    },
  };
  return { log, deps: { ...deps, store, ecs, lb } };
}

test('a canary deploy records each step of the table, in order, before the write it announces', async () => {
  const s = scenario({ topology: plainTopology() });
  const { log, deps } = journalled(s);
  const out = await deploy(deps, s.request({ strategy: 'canary' }));
  expect(out.status).toBe('deployed');
  const recorded = log.filter((e) => e.kind === 'record').map((e) => (e as { step: string }).step);
  expect(recorded).toEqual([
    'registering-task-definition',
    'task-definition-registered',
    'scaling-idle',
    'waiting-healthy',
    'shifting',
    'baking',
    'shifting',
    'baking',
    'final-bake',
    'draining-old',
    'done',
  ]);
  // the table lists the steps in the order they ran (smoke-testing and held only when configured: see
  // smoke.test.ts and hold.test.ts)
  const order = Object.keys(DEPLOY_STEPS).filter((step) => step !== 'held' && step !== 'smoke-testing');
  const firsts = [...new Set(recorded.filter((r) => order.includes(r)))];
  expect(firsts).toEqual(order);
  // each write comes after the record that announces it
  const before = (i: number) =>
    log
      .slice(0, i)
      .filter((e) => e.kind === 'record')
      .pop() as { step: string; weights?: unknown };
  log.forEach((e, i) => {
    if (e.kind !== 'write') return;
    if (e.api === 'RegisterTaskDefinition') expect(before(i).step).toBe('registering-task-definition');
    if (e.api === 'UpdateService' && (e.args as { service: string }).service === s.topology.ecsServices.green)
      expect(before(i).step).toBe('scaling-idle');
    if (e.api === 'ModifyRule') {
      const green = (e.args as { targetGroupArn: string; weight: number }[]).find(
        (w) => w.targetGroupArn === s.topology.targetGroupArns.green,
      )!.weight;
      expect(before(i)).toMatchObject({ step: 'shifting', weights: { green } });
    }
  });
});

test('the release carries the plan, settings and progress a resumed run needs; resumeAt maps each step', async () => {
  const s = scenario({ topology: plainTopology() });
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'linear' }));
  if (out.status !== 'deployed') throw new Error(out.status);
  const [rec] = await s.sim.store.listReleases({ environment: 'dev', service: 'api' }, 1);
  expect(rec.plan?.deploy).toEqual(out.plan);
  expect(rec.plan?.settings.strategy).toBe('linear');
  expect(rec.progress).toMatchObject({
    stepIndex: out.plan.steps.length - 1,
    livePerMinute: expect.any(Number),
  });
  expect(rec.progress?.trafficSinceMs).toBeLessThanOrEqual(rec.progress!.weightsSinceMs!);
  const at = (step: ReleaseRecord['step'], stepIndex?: number) =>
    resumeAt({ ...rec, step, progress: { ...rec.progress, stepIndex } });
  expect(at('started')).toEqual({ step: 'registering-task-definition' });
  expect(at('task-definition-registered')).toEqual({ step: 'scaling-idle' });
  expect(at('shifting', 2)).toEqual({ step: 'shifting', index: 2 });
  expect(at('baking', 1)).toEqual({ step: 'baking', index: 1 });
  expect(at('draining-old')).toEqual({ step: 'draining-old' });
  expect(at('rolling-back')).toBeUndefined();
  expect(at('done')).toBeUndefined();
});
