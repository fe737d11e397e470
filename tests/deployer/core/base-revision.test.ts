/**
 * Base task definition: with topology `baseTaskDefinitionArn` (the revision Terraform last registered)
 * the release is copied from it — so YAML changes (cpu, memory, env, secrets, roles) reach the next
 * release — and the dry-run plan says which revision is the base and what rides along.
 */

import { planLines } from '../../../services/deployer/src/cli/present';
import { deploy } from '../../../services/deployer/src/core/deploy';
import type { EcsPort } from '../../../services/deployer/src/ports';
import type { ServiceTopology } from '../../../services/topology';
import { exampleTopology, scenario } from './harness';

const LIVE = 'arn:aws:ecs:eu-west-1:111111111111:task-definition/switchyard-dev-api:1';
const BASE = 'arn:aws:ecs:eu-west-1:111111111111:task-definition/switchyard-dev-api:2';
const key = { environment: 'dev', service: 'api' };

/** What `terraform apply` does after a YAML change: registers a revision (with a placeholder image). */
function terraformRegisters(s: ReturnType<typeof scenario>, change: 'config' | 'none' = 'config'): void {
  const live = s.sim.world.state.taskDefinitions[LIVE];
  s.sim.world.state.taskDefinitions[BASE] = {
    ...structuredClone(live),
    arn: BASE,
    revision: 2,
    extra: change === 'config' ? { ...live.extra, cpu: '512', memory: '1024' } : structuredClone(live.extra),
    containers: live.containers.map((c) =>
      c.name !== 'api'
        ? { ...c }
        : {
            ...c,
            image: 'public.ecr.aws/nginx/nginx:placeholder',
            ...(change === 'config'
              ? {
                  environment: [
                    { name: 'APP_ENV', value: 'dev' },
                    { name: 'FEATURE_X', value: 'on' },
                  ],
                }
              : {}),
          },
    ),
  };
}

const withBase = (arn = BASE): ServiceTopology => ({ ...exampleTopology(), baseTaskDefinitionArn: arn });

test('copies the new revision from the base: configuration from Terraform, only the image from the release', async () => {
  const s = scenario({ topology: withBase() });
  terraformRegisters(s);
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'all-at-once' }));
  expect(out.status).toBe('deployed');
  const register = s.sim.writes().find((w) => w.api === 'ecs:RegisterTaskDefinition');
  expect(register?.args).toMatchObject({ baseArn: BASE, containerName: 'api' });
  const green = s.sim.world.colour(s.topology, 'green');
  const td = s.sim.world.state.taskDefinitions[green.taskDefinitionArn];
  expect(td.revision).toBe(3);
  expect(td.extra).toMatchObject({ cpu: '512', memory: '1024' });
  const api = td.containers.find((c) => c.name === 'api')!;
  expect(api.environment).toEqual([
    { name: 'APP_ENV', value: 'dev' },
    { name: 'FEATURE_X', value: 'on' },
  ]);
  expect(api.image).toBe(out.status === 'deployed' ? out.plan.image : '');
  expect(td.containers.find((c) => c.name === 'log-router')).toEqual(
    s.sim.world.state.taskDefinitions[BASE].containers.find((c) => c.name === 'log-router'),
  );
  const [release] = await s.sim.store.listReleases(key, 1);
  expect(release).toMatchObject({ baseTaskDefinitionArn: BASE, previousTaskDefinitionArn: LIVE });
});

test('dry run: names the base, the live revision, and the configuration that rides along', async () => {
  const s = scenario({ topology: withBase() });
  terraformRegisters(s);
  const out = await deploy(s.sim.deps(s.events), s.request({ dryRun: true }));
  if (out.status !== 'dry-run') throw new Error(out.status);
  expect(out.plan.taskDefinition).toMatchObject({
    base: BASE,
    baseSource: 'topology',
    live: LIVE,
    configurationChanges: { known: true, fields: ['cpu', 'memory'], containers: ['api (changed)'] },
  });
  const text = planLines(out.plan).join('\n');
  expect(text).toContain(
    `new revision from base ${BASE} (Terraform's desired revision, topology baseTaskDefinitionArn)`,
  );
  expect(text).toContain(
    `live revision is ${LIVE}: configuration changes ride along: fields cpu, memory; containers api (changed)`,
  );
  expect(text).not.toContain('FEATURE_X'); // values are never shown, only which fields differ
  expect(s.sim.writes()).toHaveLength(0);
});

test('without baseTaskDefinitionArn: copied from the live revision, as before', async () => {
  const { baseTaskDefinitionArn: _b, ...noBase } = exampleTopology();
  const s = scenario({ topology: noBase });
  terraformRegisters(s); // a newer revision exists, but the topology does not name it
  const dry = await deploy(s.sim.deps(s.events), s.request({ dryRun: true }));
  if (dry.status !== 'dry-run') throw new Error(dry.status);
  expect(dry.plan.taskDefinition).toMatchObject({ base: LIVE, baseSource: 'live', live: LIVE });
  expect(dry.plan.taskDefinition.configurationChanges).toBeUndefined();
  expect(planLines(dry.plan).join('\n')).toContain(
    `new revision from ${LIVE} (the live revision; the topology names no base revision)`,
  );
  const out = await deploy(s.sim.deps(s.events), s.request({ strategy: 'all-at-once' }));
  expect(out.status).toBe('deployed');
  expect(s.sim.writes().find((w) => w.api === 'ecs:RegisterTaskDefinition')?.args).toMatchObject({
    baseArn: LIVE,
  });
  const td = s.sim.world.state.taskDefinitions[s.sim.world.colour(s.topology, 'green').taskDefinitionArn];
  expect(td.extra).toEqual(s.sim.world.state.taskDefinitions[LIVE].extra);
});

test('a base equal to the live revision shows no diff', async () => {
  const s = scenario({ topology: withBase(LIVE) });
  const out = await deploy(s.sim.deps(s.events), s.request({ dryRun: true }));
  if (out.status !== 'dry-run') throw new Error(out.status);
  expect(out.plan.taskDefinition).toMatchObject({ base: LIVE, baseSource: 'topology' });
  expect(out.plan.taskDefinition.configurationChanges).toBeUndefined();
  expect(planLines(out.plan).join('\n')).toContain(`new revision from ${LIVE} (the live revision)`);
});

test('same image, changed configuration: a configuration-only release is not "nothing to do"', async () => {
  const s = scenario({ topology: withBase() });
  terraformRegisters(s);
  const out = await deploy(s.sim.deps(s.events), s.request({ imageTag: 'v1.0.0', strategy: 'all-at-once' }));
  expect(out.status).toBe('deployed');
  const td = s.sim.world.state.taskDefinitions[s.sim.world.colour(s.topology, 'green').taskDefinitionArn];
  expect(td.extra).toMatchObject({ cpu: '512' });
});

test('same image, same configuration (base differs only in image/revision): nothing to do', async () => {
  const s = scenario({ topology: withBase() });
  terraformRegisters(s, 'none');
  const out = await deploy(s.sim.deps(s.events), s.request({ imageTag: 'v1.0.0' }));
  expect(out).toMatchObject({ status: 'up-to-date' });
  expect(s.sim.writes()).toHaveLength(0);
});

test('a base revision that does not exist is refused before any write', async () => {
  const s = scenario({ topology: withBase(BASE.replace(':2', ':9')) });
  const out = await deploy(s.sim.deps(s.events), s.request());
  expect(out).toMatchObject({ status: 'refused', code: 'not-found' });
  expect(out.status === 'refused' && out.reason).toMatch(
    /cannot read the base task definition .*:9 \(topology baseTaskDefinitionArn\).*Re-apply the environment/,
  );
  expect(s.sim.writes()).toHaveLength(0);
  expect(s.sim.memoryStore.writes).toBe(0);
});

test('a base revision without the named container is refused before any write', async () => {
  const s = scenario({ topology: withBase() });
  terraformRegisters(s);
  const base = s.sim.world.state.taskDefinitions[BASE];
  s.sim.world.state.taskDefinitions[BASE] = {
    ...base,
    containers: base.containers.map((c) => (c.name === 'api' ? { ...c, name: 'app' } : c)),
  };
  const out = await deploy(s.sim.deps(s.events), s.request());
  expect(out).toMatchObject({ status: 'refused', code: 'invalid-request' });
  expect(out.status === 'refused' && out.reason).toContain(
    'has no container named "api" (containers: app, log-router)',
  );
  expect(s.sim.writes()).toHaveLength(0);
});

test('the request can name the base (e.g. a rollback to a recorded revision); it wins over the topology', async () => {
  const s = scenario({ topology: withBase() });
  terraformRegisters(s);
  const out = await deploy(s.sim.deps(s.events), s.request({ dryRun: true, baseTaskDefinitionArn: LIVE }));
  if (out.status !== 'dry-run') throw new Error(out.status);
  expect(out.plan.taskDefinition).toMatchObject({ base: LIVE, baseSource: 'request' });
});

test('an ECS port without configuration fingerprints: the plan says the base differs but cannot list how', async () => {
  const s = scenario({ topology: withBase() });
  terraformRegisters(s);
  const deps = s.sim.deps(s.events);
  const ecs: EcsPort = {
    ...deps.ecs,
    describeTaskDefinition: async (arn) => {
      const { configuration: _c, ...rest } = await deps.ecs.describeTaskDefinition(arn);
      return rest;
    },
  };
  const out = await deploy({ ...deps, ecs }, s.request({ dryRun: true }));
  if (out.status !== 'dry-run') throw new Error(out.status);
  expect(out.plan.taskDefinition.configurationChanges).toEqual({ known: false, fields: [], containers: [] });
  expect(planLines(out.plan).join('\n')).toContain('configuration differences cannot be listed');
});
