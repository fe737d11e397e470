import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { Lazy, Testing } from 'cdktf';
import { EcsPlatform, type EcsPlatformProps } from '../../../modules/ecs';
import { maxResolvedBytes, SSM_STANDARD_MAX_BYTES, ssmTierFor } from '../../../modules/ecs/topology-size';
import { parseTopology, topologyParameterName } from '../../../services/topology';
import {
  ecsPlatformProps,
  expectSynth,
  FAKE_ACCOUNT,
  FAKE_CERT,
  FAKE_REGION,
  FAKE_VPC,
  findBy,
  listOf,
  newStack,
  resolveInterpolations,
  resourcesOf,
  type Synth,
  synth,
} from '../../helpers/stack';

Testing.setupJest();

const SECRET = `arn:aws:secretsmanager:${FAKE_REGION}:${FAKE_ACCOUNT}:secret:api/db-AbCdEf`;
const PARAM = `arn:aws:ssm:${FAKE_REGION}:${FAKE_ACCOUNT}:parameter/api/key`;
const TOPIC = `arn:aws:sns:${FAKE_REGION}:${FAKE_ACCOUNT}:switchyard-prod-alarms`;

function base(overrides: Partial<EcsPlatformProps> = {}): EcsPlatformProps {
  return ecsPlatformProps({ environment: 'prod', ...overrides });
}

function build(props: EcsPlatformProps): { platform: EcsPlatform; out: Synth } {
  const { stack } = newStack();
  const platform = new EcsPlatform(stack, 'ecs', props);
  return { platform, out: synth(stack) };
}

function byName(out: Synth, type: string, name: string) {
  return findBy(out, type, 'name', name);
}

describe('EcsPlatform: one HTTPS service with prod-tier settings', () => {
  const { platform, out } = build(
    base({
      deletionProtection: true,
      accessLogs: {},
      alarmTopicArn: TOPIC,
      logRetentionDays: 90,
      testListener: { allowedCidrs: ['10.20.0.0/16', '192.0.2.0/24'] },
      services: [
        {
          name: 'api',
          containerPort: 8080,
          cpu: 512,
          memory: 1024,
          desiredCount: 3,
          healthCheck: { path: '/ready', matcher: '200', intervalSeconds: 10 },
          deregistrationDelaySeconds: 20,
          autoscaling: { min: 3, max: 12, cpuTarget: 55, memoryTarget: 70 },
          environment: { LOG_LEVEL: 'info' },
          secrets: { DATABASE_PASSWORD: `${SECRET}:password::`, API_KEY: PARAM },
          routing: { hostHeader: 'api.example.com', priority: 10 },
          deploy: { strategy: 'linear', bakeSeconds: 300 },
          user: '1000:1000',
          promoteFrom: 'staging',
        },
      ],
    }),
  );
  const json = JSON.stringify(out);

  it('creates a cluster with Container Insights', () => {
    expectSynth(json).toHaveResourceWithProperties(EcsCluster, {
      name: 'switchyard-prod',
      setting: [{ name: 'containerInsights', value: 'enabled' }],
    });
  });

  it('creates an internet-facing ALB that drops invalid headers, with deletion protection and access logs', () => {
    const [alb] = listOf(out, 'aws_lb');
    expect(alb).toMatchObject({
      internal: false,
      load_balancer_type: 'application',
      drop_invalid_header_fields: true,
      enable_deletion_protection: true,
      subnets: FAKE_VPC.publicSubnetIds,
      access_logs: { enabled: true, prefix: 'switchyard/prod/alb' },
    });
    const bucket = findBy(out, 'aws_s3_bucket', 'bucket', `switchyard-prod-alb-logs-${FAKE_ACCOUNT}`);
    expect(bucket).toBeDefined();
    expect((alb!.access_logs as { bucket: string }).bucket).toBe(bucket.bucket);
    expect(String(alb!.depends_on)).toMatch(/aws_s3_bucket_policy\./);
    expect(listOf(out, 'aws_s3_bucket_server_side_encryption_configuration')).toHaveLength(1);
    expect(listOf(out, 'aws_s3_bucket_public_access_block')[0]).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it('listens HTTPS on 443 with the TLS 1.3/1.2 policy and redirects 80 to 443', () => {
    const listeners = listOf(out, 'aws_lb_listener');
    const https = listeners.find((l) => l.port === 443);
    expect(https).toMatchObject({
      protocol: 'HTTPS',
      ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      certificate_arn: FAKE_CERT,
    });
    const http = listeners.find((l) => l.port === 80);
    expect(http).toMatchObject({
      protocol: 'HTTP',
      default_action: [
        { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', status_code: 'HTTP_301' } },
      ],
    });
    const test = listeners.find((l) => l.port === 8443);
    expect(test).toMatchObject({ protocol: 'HTTPS', ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
    expect(listeners).toHaveLength(3);
  });

  it('creates <svc>-blue and <svc>-green in private subnets without public IPs, green at 0', () => {
    const blue = byName(out, 'aws_ecs_service', 'api-blue');
    const green = byName(out, 'aws_ecs_service', 'api-green');
    for (const svc of [blue, green]) {
      expect(svc).toMatchObject({
        launch_type: 'FARGATE',
        deployment_circuit_breaker: { enable: true, rollback: true },
        network_configuration: { assign_public_ip: false, subnets: FAKE_VPC.privateSubnetIds },
        lifecycle: { ignore_changes: ['task_definition', 'desired_count'] },
      });
    }
    expectSynth(json).toHaveResourceWithProperties(EcsService, {
      name: 'api-green',
      desired_count: 0,
      lifecycle: { ignore_changes: ['task_definition', 'desired_count'] },
    });
    expect(blue.desired_count).toBe(3);
    expect(green.desired_count).toBe(0);
    expect((blue.load_balancer as { target_group_arn: string }[])[0]!.target_group_arn).toContain('tg-blue');
    expect((green.load_balancer as { target_group_arn: string }[])[0]!.target_group_arn).toContain(
      'tg-green',
    );
  });

  it('creates two ip target groups with the configured health check and deregistration delay', () => {
    for (const colour of ['blue', 'green']) {
      expect(byName(out, 'aws_lb_target_group', `switchyard-prod-api-${colour}`)).toMatchObject({
        target_type: 'ip',
        port: 8080,
        protocol: 'HTTP',
        deregistration_delay: '20',
        health_check: {
          path: '/ready',
          matcher: '200',
          interval: 10,
          healthy_threshold: 2,
          unhealthy_threshold: 3,
        },
      });
    }
  });

  it('forwards the production rule 100 blue / 0 green and lets the deployer own its action', () => {
    const rules = resourcesOf(out, 'aws_lb_listener_rule');
    const [prodId, prod] = Object.entries(rules).find(([k]) => k.includes('production-rule'))!;
    expect(prodId).toBeDefined();
    expect(prod).toMatchObject({
      priority: 10,
      condition: [{ host_header: { values: ['api.example.com'] } }],
      lifecycle: { ignore_changes: ['action'] },
    });
    const tgs = (prod.action as { forward: { target_group: { arn: string; weight: number }[] } }[])[0]!
      .forward.target_group;
    expect(tgs).toHaveLength(2);
    expect(tgs.find((t) => t.arn.includes('tg-blue'))!.weight).toBe(100);
    expect(tgs.find((t) => t.arn.includes('tg-green'))!.weight).toBe(0);
    expect(String(prod.listener_arn)).toContain('aws_lb_listener.ecs_production');
    expectSynth(json).toHaveResourceWithProperties(LbListenerRule, {
      priority: 10,
      lifecycle: { ignore_changes: ['action'] },
    });
  });

  it('points the test rule (test listener) at the idle green colour and ignores its action', () => {
    const rules = resourcesOf(out, 'aws_lb_listener_rule');
    const test = Object.entries(rules).find(([k]) => k.includes('test-rule'))![1];
    expect(test).toMatchObject({ lifecycle: { ignore_changes: ['action'] } });
    expect(String(test.listener_arn)).toContain('aws_lb_listener.ecs_test');
    const tgs = (test.action as { forward: { target_group: { arn: string }[] } }[])[0]!.forward.target_group;
    expect(tgs).toHaveLength(1);
    expect(tgs[0]!.arn).toContain('tg-green');
  });

  it('scales both colours on CPU and memory; blue starts at min, green at 0; min and max capacity are the deployer’s', () => {
    const targets = listOf(out, 'aws_appautoscaling_target');
    expect(targets).toHaveLength(2);
    const blue = targets.find((t) => String(t.resource_id).includes('service-blue'))!;
    const green = targets.find((t) => String(t.resource_id).includes('service-green'))!;
    expect(blue).toMatchObject({
      min_capacity: 3,
      max_capacity: 12,
      lifecycle: { ignore_changes: ['min_capacity', 'max_capacity'] },
    });
    expect(green).toMatchObject({
      min_capacity: 0,
      max_capacity: 12,
      lifecycle: { ignore_changes: ['min_capacity', 'max_capacity'] },
    });
    const policies = listOf(out, 'aws_appautoscaling_policy');
    expect(policies).toHaveLength(4);
    const metrics = policies.map(
      (p) =>
        `${(p.target_tracking_scaling_policy_configuration as { predefined_metric_specification: { predefined_metric_type: string } }).predefined_metric_specification.predefined_metric_type}=${(p.target_tracking_scaling_policy_configuration as { target_value: number }).target_value}`,
    );
    expect(metrics.sort()).toEqual([
      'ECSServiceAverageCPUUtilization=55',
      'ECSServiceAverageCPUUtilization=55',
      'ECSServiceAverageMemoryUtilization=70',
      'ECSServiceAverageMemoryUtilization=70',
    ]);
  });

  it('defines a Fargate task with a read-only root filesystem, non-root user and secrets via valueFrom only', () => {
    const [td] = listOf(out, 'aws_ecs_task_definition');
    expect(td).toMatchObject({
      family: 'switchyard-prod-api',
      network_mode: 'awsvpc',
      requires_compatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      skip_destroy: true,
    });
    const [c] = JSON.parse(String(td!.container_definitions)) as Record<string, unknown>[];
    expect(c).toMatchObject({
      name: 'api',
      readonlyRootFilesystem: true,
      user: '1000:1000',
      image: `${FAKE_ACCOUNT}.dkr.ecr.${FAKE_REGION}.amazonaws.com/switchyard/api:bootstrap`,
      portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
      environment: [{ name: 'LOG_LEVEL', value: 'info' }],
      secrets: [
        { name: 'API_KEY', valueFrom: PARAM },
        { name: 'DATABASE_PASSWORD', valueFrom: `${SECRET}:password::` },
      ],
      mountPoints: [{ containerPath: '/tmp', readOnly: false }],
    });
    expect(JSON.stringify(c!.environment)).not.toContain('arn:');
  });

  it('gives the execution role ECR pull, its own log group and exactly the listed secrets; the task role nothing', () => {
    const policies = resourcesOf(out, 'aws_iam_role_policy');
    expect(Object.keys(policies)).toHaveLength(1);
    const doc = JSON.parse(String(Object.values(policies)[0]!.policy)) as {
      Statement: { Sid: string; Action: unknown; Resource: unknown }[];
    };
    const sid = (s: string) => doc.Statement.find((st) => st.Sid === s);
    expect(sid('EcrPull')!.Resource).toBe(
      `arn:aws:ecr:${FAKE_REGION}:${FAKE_ACCOUNT}:repository/switchyard/api`,
    );
    expect(String(sid('Logs')!.Resource)).toMatch(/^\$\{aws_cloudwatch_log_group\..+\.arn\}:log-stream:\*$/);
    expect(sid('ReadListedSecrets')!.Resource).toEqual([SECRET]);
    expect(sid('ReadListedParameters')!.Resource).toEqual([PARAM]);
    expect(json).not.toContain('AmazonECSTaskExecutionRolePolicy');
    const roles = listOf(out, 'aws_iam_role');
    expect(roles.map((r) => r.name).sort()).toEqual(['switchyard-prod-api-exec', 'switchyard-prod-api-task']);
    for (const r of roles) {
      expect(JSON.parse(String(r.assume_role_policy)).Statement[0]).toMatchObject({
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': FAKE_ACCOUNT } },
      });
    }
  });

  it('keeps the log group for the configured retention', () => {
    expect(byName(out, 'aws_cloudwatch_log_group', '/switchyard/prod/api')).toMatchObject({
      retention_in_days: 90,
    });
  });

  it('alarms on 5xx share, p95 latency and unhealthy hosts per colour, to the environment topic', () => {
    const alarms = listOf(out, 'aws_cloudwatch_metric_alarm');
    expect(alarms.map((a) => a.alarm_name).sort()).toEqual(
      [
        'switchyard-prod-api-blue-5xx-share',
        'switchyard-prod-api-blue-p95-latency',
        'switchyard-prod-api-blue-unhealthy-hosts',
        'switchyard-prod-api-green-5xx-share',
        'switchyard-prod-api-green-p95-latency',
        'switchyard-prod-api-green-unhealthy-hosts',
      ].sort(),
    );
    for (const a of alarms) expect(a.alarm_actions).toEqual([TOPIC]);
    const share = alarms.find((a) => a.alarm_name === 'switchyard-prod-api-blue-5xx-share')!;
    expect(share).toMatchObject({
      threshold: 1,
      evaluation_periods: 5,
      comparison_operator: 'GreaterThanThreshold',
    });
    const p95 = alarms.find((a) => a.alarm_name === 'switchyard-prod-api-blue-p95-latency')!;
    expect(p95).toMatchObject({ extended_statistic: 'p95', threshold: 3, metric_name: 'TargetResponseTime' });
  });

  it('publishes a topology document that parses once Terraform resolves it, as SSM parameter and output', () => {
    const param = findBy(out, 'aws_ssm_parameter', 'name', topologyParameterName('prod', 'api'));
    expect(param.type).toBe('String');
    const resolved = JSON.parse(resolveInterpolations(String(param.value)));
    const topo = parseTopology(resolved, 'synth');
    expect(topo).toMatchObject({
      environment: 'prod',
      service: 'api',
      cluster: 'switchyard-prod',
      containerName: 'api',
      containerPort: 8080,
      repositoryName: 'switchyard/api',
      deploymentTable: 'switchyard-prod-deployments',
      deregistrationDelaySeconds: 20,
      promoteFrom: 'staging',
      deployment: { strategy: 'linear', bakeSeconds: 300, terminationWaitSeconds: 320 },
    });
    expect(topo.targetGroupArns.blue).toMatch(/^resolved:aws_lb_target_group\..*tg-blue.*\.arn$/);
    expect(topo.targetGroupArnSuffixes.green).toMatch(/tg-green.*\.arn_suffix$/);
    expect(topo.ecsServices.blue).toMatch(/service-blue.*\.name$/);
    expect(topo.productionRuleArn).toMatch(/production-rule.*\.arn$/);
    expect(topo.testRuleArn).toMatch(/test-rule.*\.arn$/);
    expect(topo.listenerArn).toMatch(/aws_lb_listener\.ecs_production.*\.arn$/);
    expect(topo.testListenerArn).toMatch(/aws_lb_listener\.ecs_test.*\.arn$/);
    expect(topo.loadBalancerArnSuffix).toMatch(/aws_lb\..*\.arn_suffix$/);
    // scoped per colour: a release to one colour is judged on its own alarms (+ shared), never the other's
    expect(topo.alarms).toEqual({
      blue: [
        'switchyard-prod-api-blue-5xx-share',
        'switchyard-prod-api-blue-p95-latency',
        'switchyard-prod-api-blue-unhealthy-hosts',
      ],
      green: [
        'switchyard-prod-api-green-5xx-share',
        'switchyard-prod-api-green-p95-latency',
        'switchyard-prod-api-green-unhealthy-hosts',
      ],
      shared: [],
    });
    expect([...topo.alarms.blue, ...topo.alarms.green].sort()).toEqual(
      [...platform.services[0]!.alarmNames].sort(),
    );
    const alarmOf = (name: string) =>
      listOf(out, 'aws_cloudwatch_metric_alarm').find((a) => a.alarm_name === name)!;
    for (const c of ['blue', 'green'] as const) {
      for (const name of topo.alarms[c]) {
        // each colour's alarm watches that colour's own target group
        const dims = JSON.stringify(alarmOf(name));
        expect(dims).toContain(`tg-${c}`);
        expect(dims).not.toContain(`tg-${c === 'blue' ? 'green' : 'blue'}`);
      }
    }
    expect(out.output?.topology_api?.value).toBe(param.value);
  });

  it("publishes Terraform's task definition revision and the autoscaling floor/ceiling per colour", () => {
    const param = findBy(out, 'aws_ssm_parameter', 'name', topologyParameterName('prod', 'api'));
    const topo = parseTopology(JSON.parse(resolveInterpolations(String(param.value))), 'synth');
    const [tdId] = Object.keys(out.resource?.aws_ecs_task_definition ?? {});
    expect(topo.baseTaskDefinitionArn).toBe(`resolved:aws_ecs_task_definition.${tdId}.arn`);
    const scaling = listOf(out, 'aws_appautoscaling_target');
    expect(topo.autoscaling).toEqual({
      minCapacity: Math.max(...scaling.map((t) => Number(t.min_capacity))),
      maxCapacity: Number(scaling[0]!.max_capacity),
      resourceIds: { blue: 'service/switchyard-prod/api-blue', green: 'service/switchyard-prod/api-green' },
    });
    // The scalable targets the deployer moves are the ones Terraform created.
    expect(scaling.map((t) => resolveInterpolations(String(t.resource_id))).sort()).toEqual([
      expect.stringMatching(/^service\/switchyard-prod\/resolved:aws_ecs_service\..*service-blue.*\.name$/),
      expect.stringMatching(/^service\/switchyard-prod\/resolved:aws_ecs_service\..*service-green.*\.name$/),
    ]);
  });

  it('keeps the topology in a Standard SSM parameter: its resolved size is bounded below 4 KB', () => {
    const svc = platform.services[0]!;
    expect(svc.topologyMaxBytes).toBeLessThanOrEqual(SSM_STANDARD_MAX_BYTES);
    expect(svc.topologyMaxBytes).toBeGreaterThan(svc.topologyJson.length / 2);
    expect(findBy(out, 'aws_ssm_parameter', 'name', topologyParameterName('prod', 'api')).tier).toBe(
      'Standard',
    );
  });
});

describe('EcsPlatform: two services over plain HTTP (dev-tier settings)', () => {
  const { platform, out } = build(
    base({
      environment: 'dev',
      certificateArn: undefined,
      allowPlainHttp: true,
      deploymentTableName: 'switchyard-dev-deployments',
      services: [
        { name: 'api', routing: { pathPattern: '/api/*', priority: 100 } },
        { name: 'web', containerPort: 3000, routing: { hostHeader: 'www.example.com' } },
      ],
    }),
  );

  it('serves plain HTTP on 80 (no redirect, no 443) and the test listener on 8080', () => {
    const listeners = listOf(out, 'aws_lb_listener');
    expect(listeners.map((l) => `${l.protocol}:${l.port}`).sort()).toEqual(['HTTP:80', 'HTTP:8080']);
    const ingress = listOf(out, 'aws_vpc_security_group_ingress_rule').filter(
      (r) => r.cidr_ipv4 === '0.0.0.0/0',
    );
    expect(ingress.map((r) => r.from_port)).toEqual([80]);
  });

  it('creates two ECS services and two target groups per service', () => {
    const names = listOf(out, 'aws_ecs_service').map((s) => s.name);
    expect(names.sort()).toEqual(['api-blue', 'api-green', 'web-blue', 'web-green']);
    const tgNames = listOf(out, 'aws_lb_target_group').map((t) => String(t.name));
    expect(tgNames.sort()).toEqual([
      'switchyard-dev-api-blue',
      'switchyard-dev-api-green',
      'switchyard-dev-web-blue',
      'switchyard-dev-web-green',
    ]);
    expect(listOf(out, 'aws_lb_target_group').find((t) => t.name === 'switchyard-dev-web-blue')!.port).toBe(
      3000,
    );
  });

  it('keeps target group names within 32 characters and unique for the longest names', () => {
    const long = 'a'.repeat(24);
    const { out: longOut } = build(
      base({
        project: 'a-very-long-project-name',
        environment: 'staging-eu',
        services: [
          { name: long, routing: { pathPattern: '/a/*' } },
          { name: `${long.slice(0, 23)}b`, routing: { pathPattern: '/b/*' } },
        ],
      }),
    );
    const names = listOf(longOut, 'aws_lb_target_group').map((t) => String(t.name));
    expect(names).toHaveLength(4);
    expect(new Set(names).size).toBe(4);
    for (const n of names) {
      expect(n.length).toBeLessThanOrEqual(32);
      expect(n).toMatch(/^a-very-long-project-name/);
    }
  });

  it('routes by path and by host with distinct priorities on both listeners', () => {
    const rules = listOf(out, 'aws_lb_listener_rule');
    expect(rules).toHaveLength(4);
    const conds = rules.map((r) => `${r.priority}:${JSON.stringify(r.condition)}`).sort();
    expect(conds).toEqual([
      '100:[{"path_pattern":{"values":["/api/*"]}}]',
      '100:[{"path_pattern":{"values":["/api/*"]}}]',
      '110:[{"host_header":{"values":["www.example.com"]}}]',
      '110:[{"host_header":{"values":["www.example.com"]}}]',
    ]);
  });

  it('publishes one topology per service, with no alarms when no topic is configured', () => {
    expect(platform.services.map((s) => s.topology.service)).toEqual(['api', 'web']);
    expect(listOf(out, 'aws_ssm_parameter').map((p) => p.name)).toEqual([
      '/switchyard/dev/services/api',
      '/switchyard/dev/services/web',
    ]);
    expect(Object.keys(out.output ?? {}).sort()).toEqual(['topology_api', 'topology_web']);
    expect(platform.services[1]!.topology.alarms).toEqual({ blue: [], green: [], shared: [] });
    expect(listOf(out, 'aws_cloudwatch_metric_alarm')).toHaveLength(0);
  });

  it('has one tasks security group per service and exposes their ids', () => {
    expect(platform.taskSecurityGroupIds).toHaveLength(2);
    const sgs = listOf(out, 'aws_security_group').map((s) => s.name);
    expect(sgs.sort()).toEqual([
      'switchyard-dev-alb',
      'switchyard-dev-api-tasks',
      'switchyard-dev-web-tasks',
    ]);
  });
});

describe('shared alarms', () => {
  const { platform } = build(
    base({
      environment: 'dev',
      certificateArn: undefined,
      allowPlainHttp: true,
      deploymentTableName: 'switchyard-dev-deployments',
      alarmTopicArn: TOPIC,
      sharedAlarmNames: {
        all: ['switchyard-dev-alb-5xx'],
        byService: { web: ['switchyard-dev-web-zero-healthy'] },
      },
      services: [
        { name: 'api', routing: { pathPattern: '/api/*', priority: 100 } },
        { name: 'web', containerPort: 3000, routing: { hostHeader: 'www.example.com' } },
      ],
    }),
  );

  it('publishes environment-wide and per-service shared alarms in alarms.shared, not in a colour', () => {
    const [api, web] = platform.services;
    expect(api!.topology.alarms.shared).toEqual(['switchyard-dev-alb-5xx']);
    expect(web!.topology.alarms.shared).toEqual([
      'switchyard-dev-alb-5xx',
      'switchyard-dev-web-zero-healthy',
    ]);
    expect(web!.topology.alarms.blue).toHaveLength(3);
    expect(web!.topology.alarms.blue.every((n) => n.includes('-blue-'))).toBe(true);
  });
});

describe('ARNs follow the partition of the region', () => {
  it('builds the ECR repository ARN of the execution role in aws-cn for a China region', () => {
    const { out } = build(
      base({ region: 'cn-north-1', certificateArn: 'arn:aws-cn:acm:cn-north-1:123456789012:certificate/x' }),
    );
    const exec = listOf(out, 'aws_iam_role_policy').find((p) => p.name === 'execution')!;
    const pull = JSON.parse(exec.policy as string).Statement.find(
      (st: { Sid: string }) => st.Sid === 'EcrPull',
    );
    expect(pull.Resource).toBe(`arn:aws-cn:ecr:cn-north-1:${FAKE_ACCOUNT}:repository/switchyard/api`);
  });
});

describe('topology size bound', () => {
  it('counts each unresolved reference at the longest value AWS can return for its field', () => {
    const token = Lazy.stringValue({ produce: () => 'x' });
    expect(maxResolvedBytes({ listenerArn: token })).toBe(
      JSON.stringify({ listenerArn: 'x'.repeat(200) }).length,
    );
    expect(maxResolvedBytes({ targetGroupArns: { blue: token } })).toBe(
      JSON.stringify({ targetGroupArns: { blue: 'x'.repeat(160) } }).length,
    );
    expect(maxResolvedBytes({ unknownField: token })).toBe(
      JSON.stringify({ unknownField: 'x'.repeat(1024) }).length,
    );
    expect(maxResolvedBytes({ literal: 'abc' })).toBe(JSON.stringify({ literal: 'abc' }).length);
  });

  it('chooses Standard up to 4 KB, Advanced up to 8 KB, nothing above', () => {
    expect(ssmTierFor(4096)).toBe('Standard');
    expect(ssmTierFor(4097)).toBe('Advanced');
    expect(ssmTierFor(8192)).toBe('Advanced');
    expect(ssmTierFor(8193)).toBeUndefined();
  });
});

describe('EcsPlatform test listener sources', () => {
  it("allows the NAT gateways' public IPs as /32 plus the listed CIDRs, never the VPC CIDR", () => {
    const natIp = `\${aws_eip.nat0.public_ip}`;
    const { out } = build(base({ testListener: { natPublicIps: [natIp], allowedCidrs: ['192.0.2.0/24'] } }));
    const sources = listOf(out, 'aws_vpc_security_group_ingress_rule')
      .filter((r) => r.from_port === 8443)
      .map((r) => r.cidr_ipv4)
      .sort();
    expect(sources).toEqual([`${natIp}/32`, '192.0.2.0/24']);
    expect(sources).not.toContain(FAKE_VPC.vpcCidr);
  });
});

describe('EcsPlatform validation', () => {
  const attempt = (overrides: Partial<EcsPlatformProps>) => () => {
    const { stack } = newStack();
    new EcsPlatform(stack, 'ecs', base(overrides));
  };

  it.each<[string, Partial<EcsPlatformProps>, RegExp]>([
    [
      'no certificate and no opt-in',
      { certificateArn: undefined },
      /certificateArn: is required; set allowPlainHttp: true/,
    ],
    [
      'plain HTTP with a certificate',
      { allowPlainHttp: true },
      /allowPlainHttp: must not be set when a certificateArn/,
    ],
    [
      'an old TLS policy',
      { sslPolicy: 'ELBSecurityPolicy-2016-08' },
      /sslPolicy: must be a TLS 1.3\/1.2 policy/,
    ],
    [
      'a test listener open to the internet',
      { testListener: { allowedCidrs: ['0.0.0.0/0'] } },
      /testListener.allowedCidrs: must not open the test listener to the internet/,
    ],
    [
      'a test listener source wider than /8',
      { testListener: { allowedCidrs: ['0.0.0.0/1'] } },
      /testListener.allowedCidrs: must not open the test listener to the internet \(a prefix of \/8 or narrower\)/,
    ],
    [
      'a test listener nothing can reach',
      { testListener: { port: 8443 } },
      /testListener: nothing could reach the test listener: give allowedCidrs .* or natPublicIps/,
    ],
    [
      'a test listener on 443',
      { testListener: { port: 443 } },
      /testListener.port: must be an integer 1-65535 other than 80 and 443/,
    ],
    [
      'two services without routing',
      { services: [{ name: 'api' }, { name: 'web' }] },
      /services\[0\] \(api\)\.routing: with several services each needs routing/,
    ],
    [
      'duplicate service names',
      {
        services: [
          { name: 'api', routing: { pathPattern: '/a/*' } },
          { name: 'api', routing: { pathPattern: '/b/*' } },
        ],
      },
      /services\[1\] \(api\)\.name: duplicate service name/,
    ],
    [
      'duplicate priorities',
      {
        services: [
          { name: 'api', routing: { pathPattern: '/a/*', priority: 5 } },
          { name: 'web', routing: { pathPattern: '/b/*', priority: 5 } },
        ],
      },
      /services\[1\] \(web\)\.routing\.priority: already used by service api \(got 5\)/,
    ],
    [
      'an invalid Fargate size',
      { services: [{ name: 'api', cpu: 256, memory: 4096 }] },
      /cpu\/memory: memory 4096 is not valid with cpu 256/,
    ],
    [
      'a secret that is not an ARN',
      { services: [{ name: 'api', secrets: { DB_PASSWORD: 'hunter2' } }] },
      /secrets\.DB_PASSWORD: must be a Secrets Manager secret ARN or an SSM parameter ARN/,
    ],
    [
      'a variable both plain and secret',
      { services: [{ name: 'api', environment: { TOKEN: 'x' }, secrets: { TOKEN: PARAM } }] },
      /environment\.TOKEN: is also listed in secrets/,
    ],
    [
      'autoscaling max below min',
      { services: [{ name: 'api', autoscaling: { min: 4, max: 2 } }] },
      /autoscaling\.max: must be an integer 1-1000 and at least min \(4\)/,
    ],
    [
      'a wildcard task-role action',
      { services: [{ name: 'api', taskRolePolicyStatements: [{ actions: ['s3:*'], resources: ['*'] }] }] },
      /taskRolePolicyStatements\[0\]: action "s3:\*" grants a whole service/,
    ],
    [
      'a bad service name',
      { services: [{ name: 'API_1' }] },
      /services\[0\] \(API_1\)\.name: must be 1-24 lower-case/,
    ],
    [
      'a bad deploy setting',
      { services: [{ name: 'api', deploy: { canaryPercent: 150 } }] },
      /deploy\.canaryPercent:/,
    ],
    ['an invalid log retention', { logRetentionDays: 42 }, /logRetentionDays: must be one of 1, 3, 5/],
    [
      'a single public subnet',
      { publicSubnetIds: ['subnet-a'] },
      /publicSubnetIds: an ALB needs at least 2 subnets/,
    ],
  ])('refuses %s with one clear message', (_case, overrides, message) => {
    expect(attempt(overrides)).toThrow(message);
  });

  it('lists every problem at once', () => {
    expect(attempt({ sslPolicy: 'old', services: [{ name: 'api', cpu: 3, containerPort: 0 }] })).toThrow(
      /sslPolicy[\s\S]*containerPort[\s\S]*cpu\/memory/,
    );
  });
});
