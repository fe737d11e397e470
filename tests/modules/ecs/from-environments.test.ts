/**
 * The runtime modules driven by the real environments/*.yaml (through the loader and the mapping in
 * stacks/runtime.ts), per tier, with a fake VPC. Also: a second service needs no
 * code change, and the guardrail pack finds no error in the result.
 */
import { Testing } from 'cdktf';
import { loadConfiguration } from '../../../environments/loader';
import type { EnvironmentConfig } from '../../../environments/schema';
import { evaluateGuardrails, formatFinding } from '../../../modules/guardrails';
import { parseTopology } from '../../../services/topology';
import { buildRuntime, type Runtime } from '../../../stacks/runtime';
import { FAKE_VPC, listOf, newStack, resolveInterpolations, type Synth, synth } from '../../helpers/stack';

Testing.setupJest();

const { all } = loadConfiguration();
const byName = (name: string): EnvironmentConfig => {
  const env = all.find((e) => e.name === name);
  if (!env) throw new Error(`environments/${name}.yaml not found`);
  return env;
};

function build(config: EnvironmentConfig): { runtime: Runtime; out: Synth; errors: string[] } {
  const { stack } = newStack(config.name);
  const runtime = buildRuntime(stack, config, FAKE_VPC);
  const report = evaluateGuardrails(stack, { tier: config.tier });
  const errors = report.errors.map(formatFinding);
  return { runtime, out: synth(stack), errors };
}

describe.each(['dev', 'staging', 'prod'])('runtime of environments/%s.yaml', (name) => {
  const config = byName(name);
  const { runtime, out, errors } = build(config);

  it('passes the guardrail pack without errors', () => {
    expect(errors).toEqual([]);
  });

  it('creates per service two ECS services, two target groups, a weighted production rule and a test rule', () => {
    const services = listOf(out, 'aws_ecs_service').map((s) => s.name);
    expect(services.sort()).toEqual(
      config.services.flatMap((s) => [`${s.name}-blue`, `${s.name}-green`]).sort(),
    );
    expect(listOf(out, 'aws_lb_target_group')).toHaveLength(2 * config.services.length);
    expect(listOf(out, 'aws_lb_listener_rule')).toHaveLength(2 * config.services.length);
  });

  it('applies the tier: HTTPS or explicit plain HTTP, ALB protection, log retention, task size', () => {
    const listeners = listOf(out, 'aws_lb_listener')
      .map((l) => `${l.protocol}:${l.port}`)
      .sort();
    if (config.alb.certificateArn)
      expect(listeners).toEqual(['HTTP:80', 'HTTPS:443', `HTTPS:${config.alb.testListener.port}`].sort());
    else expect(listeners).toEqual(['HTTP:80', `HTTP:${config.alb.testListener.port}`].sort());
    const [alb] = listOf(out, 'aws_lb');
    expect(alb!.enable_deletion_protection).toBe(config.alb.deletionProtection);
    expect(alb!.access_logs !== undefined).toBe(config.alb.accessLogs.enabled);
    const svc = config.services[0]!;
    const [td] = listOf(out, 'aws_ecs_task_definition');
    expect(td).toMatchObject({ cpu: String(svc.cpu), memory: String(svc.memory) });
    expect(listOf(out, 'aws_cloudwatch_log_group')[0]).toMatchObject({
      retention_in_days: svc.logRetentionDays,
    });
  });

  it('applies the tier to the database and cache and protects stateful resources in prod', () => {
    const [db] = listOf(out, 'aws_db_instance');
    expect(db).toMatchObject({
      multi_az: config.database.multiAz,
      deletion_protection: config.database.deletionProtection,
    });
    const [rg] = listOf(out, 'aws_elasticache_replication_group');
    expect(rg).toMatchObject({
      multi_az_enabled: config.cache.multiAz,
      num_cache_clusters: 1 + config.cache.replicas,
    });
    const protectedTypes = ['aws_db_instance', 'aws_elasticache_replication_group', 'aws_dynamodb_table'];
    for (const type of protectedTypes) {
      const [r] = listOf(out, type);
      expect((r!.lifecycle as { prevent_destroy?: boolean } | undefined)?.prevent_destroy === true).toBe(
        config.protection.preventDestroy,
      );
    }
  });

  it('publishes topologies naming the deployment table and every alarm, with the YAML deploy settings', () => {
    for (const svc of runtime.ecs.services) {
      const param = listOf(out, 'aws_ssm_parameter').find(
        (p) => p.name === `/switchyard/${name}/services/${svc.name}`,
      )!;
      const topo = parseTopology(
        JSON.parse(resolveInterpolations(String(param.value))),
        param.name as string,
      );
      const yaml = config.services.find((s) => s.name === svc.name)!;
      expect(topo.deploymentTable).toBe(`switchyard-${name}-deployments`);
      expect(topo.repositoryName).toBe(yaml.imageRepository);
      expect(topo.deployment).toEqual(yaml.deploy);
      expect(topo.promoteFrom).toBe(config.promotion.from);
      expect(topo.alarms.blue).toHaveLength(3);
      expect(topo.alarms.green).toHaveLength(3);
      expect(topo.baseTaskDefinitionArn).toMatch(/^resolved:aws_ecs_task_definition\..+\.arn$/);
      expect(topo.autoscaling).toEqual({
        minCapacity: yaml.autoscaling.min,
        maxCapacity: yaml.autoscaling.max,
        resourceIds: {
          blue: `service/switchyard-${name}/${svc.name}-blue`,
          green: `service/switchyard-${name}/${svc.name}-green`,
        },
      });
      expect(param.tier).toBe('Standard');
      for (const alarm of [...topo.alarms.blue, ...topo.alarms.green, ...topo.alarms.shared]) {
        expect(listOf(out, 'aws_cloudwatch_metric_alarm').some((a) => a.alarm_name === alarm)).toBe(true);
      }
    }
    const dataAlarms = [...runtime.database.alarmNames, ...runtime.cache.alarmNames];
    expect(dataAlarms.length).toBeGreaterThanOrEqual(4);
  });

  it('opens the data stores to the tasks only, on 5432 and 6379', () => {
    const ingress = listOf(out, 'aws_vpc_security_group_ingress_rule');
    const dbPorts = ingress.filter((r) => r.from_port === 5432 || r.from_port === 6379);
    expect(dbPorts).toHaveLength(2 * config.services.length);
    for (const r of dbPorts) expect(String(r.referenced_security_group_id)).toMatch(/tasks-sg/);
  });
});

describe('a second service in dev needs configuration only', () => {
  const dev = byName('dev');
  const first = dev.services[0]!;
  const config: EnvironmentConfig = {
    ...dev,
    services: [
      { ...first, routing: { ...first.routing, pathPattern: '/api/*', priority: 100 } },
      {
        ...first,
        name: 'worker',
        imageRepository: 'switchyard/worker',
        routing: { pathPattern: '/*', priority: 200 },
      },
    ],
  };
  const { runtime, out, errors } = build(config);

  it('builds both blue/green pairs and both topologies', () => {
    expect(errors).toEqual([]);
    expect(
      listOf(out, 'aws_ecs_service')
        .map((s) => s.name)
        .sort(),
    ).toEqual(['api-blue', 'api-green', 'worker-blue', 'worker-green']);
    expect(runtime.ecs.services.map((s) => s.topology.repositoryName)).toEqual([
      'switchyard/api',
      'switchyard/worker',
    ]);
    expect(Object.keys(out.output ?? {}).sort()).toEqual(['topology_api', 'topology_worker']);
  });
});
