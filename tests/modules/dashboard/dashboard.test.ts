import { Lazy, TerraformLocal, Testing } from 'cdktf';
import {
  EnvironmentDashboard,
  type EnvironmentDashboardProps,
  MAX_ALARMS_PER_WIDGET,
  MAX_WIDGETS,
  maxResolvedBodyBytes,
  METRICS_PER_SERVICE,
  type Widget,
  WIDGETS_PER_SERVICE,
} from '../../../modules/dashboard';
import {
  SWITCHYARD_METRICS_NAMESPACE,
  TRAFFIC_WEIGHT_DIMENSIONS,
  TRAFFIC_WEIGHT_METRIC,
} from '../../../services/topology/metrics';
import { FAKE_ACCOUNT, FAKE_REGION, listOf, newStack, synth } from '../../helpers/stack';

Testing.setupJest();

const LB = 'app/switchyard-prod/0123456789abcdef';
const tg = (svc: string, c: string) => `targetgroup/switchyard-prod-${svc}-${c}/0123456789abcdef`;
const alarmArn = (name: string) => `arn:aws:cloudwatch:${FAKE_REGION}:${FAKE_ACCOUNT}:alarm:${name}`;

function service(name: string) {
  return {
    name,
    targetGroupArnSuffixes: { blue: tg(name, 'blue'), green: tg(name, 'green') },
    ecsServiceNames: { blue: `${name}-blue`, green: `${name}-green` },
  };
}

function props(overrides: Partial<EnvironmentDashboardProps> = {}): EnvironmentDashboardProps {
  return {
    environment: 'prod',
    region: FAKE_REGION,
    loadBalancerArnSuffix: LB,
    clusterName: 'switchyard-prod',
    services: [service('api'), service('web')],
    database: { identifier: 'switchyard-prod-db' },
    cache: { nodeIds: ['switchyard-prod-cache-001', 'switchyard-prod-cache-002'] },
    alarmArns: [alarmArn('switchyard-prod-alb-elb-5xx')],
    ...overrides,
  };
}

interface Synthesized {
  readonly dashboard: EnvironmentDashboard;
  readonly name: unknown;
  readonly body: { start: string; widgets: Widget[] };
}

function build(p: EnvironmentDashboardProps): Synthesized {
  const { stack } = newStack();
  const dashboard = new EnvironmentDashboard(stack, 'dashboard', p);
  const [resource] = listOf(synth(stack), 'aws_cloudwatch_dashboard');
  return {
    dashboard,
    name: resource!.dashboard_name,
    body: JSON.parse(resource!.dashboard_body as string) as Synthesized['body'],
  };
}

/**
 * Every metric the dashboard may graph, with the dimension sets AWS documents for it (ELB, ECS, Container
 * Insights, RDS and ElastiCache metric tables) — a typo in a metric or dimension name fails here.
 */
const DOCUMENTED: Readonly<Record<string, readonly string[][]>> = {
  'AWS/ApplicationELB RequestCount': [['LoadBalancer'], ['LoadBalancer', 'TargetGroup']],
  'AWS/ApplicationELB HTTPCode_Target_5XX_Count': [['LoadBalancer'], ['LoadBalancer', 'TargetGroup']],
  'AWS/ApplicationELB HTTPCode_ELB_5XX_Count': [['LoadBalancer']],
  'AWS/ApplicationELB TargetResponseTime': [['LoadBalancer', 'TargetGroup']],
  'AWS/ApplicationELB HealthyHostCount': [['LoadBalancer', 'TargetGroup']],
  'AWS/ECS CPUUtilization': [['ClusterName', 'ServiceName']],
  'AWS/ECS MemoryUtilization': [['ClusterName', 'ServiceName']],
  'ECS/ContainerInsights RunningTaskCount': [['ClusterName', 'ServiceName']],
  'AWS/RDS CPUUtilization': [['DBInstanceIdentifier']],
  'AWS/RDS DatabaseConnections': [['DBInstanceIdentifier']],
  'AWS/RDS FreeStorageSpace': [['DBInstanceIdentifier']],
  'AWS/RDS ReplicaLag': [['DBInstanceIdentifier']],
  'AWS/ElastiCache EngineCPUUtilization': [['CacheClusterId']],
  'AWS/ElastiCache DatabaseMemoryUsagePercentage': [['CacheClusterId']],
  'AWS/ElastiCache Evictions': [['CacheClusterId']],
  'AWS/ElastiCache ReplicationLag': [['CacheClusterId']],
  [`${SWITCHYARD_METRICS_NAMESPACE} ${TRAFFIC_WEIGHT_METRIC}`]: [[...TRAFFIC_WEIGHT_DIMENSIONS]],
};

interface Line {
  readonly key: string;
  readonly dims: Record<string, string>;
  readonly options: Record<string, unknown>;
  readonly widget: string;
}

/** Every metric line of the body, parsed from the `[namespace, metric, dim, value, …, options]` form. */
function lines(widgets: readonly Widget[]): Line[] {
  const out: Line[] = [];
  for (const w of widgets) {
    if (w.type !== 'metric') continue;
    for (const row of w.properties.metrics) {
      const strings = (row as readonly unknown[]).filter((x): x is string => typeof x === 'string');
      const options = ((row as readonly unknown[]).find((x) => typeof x === 'object') ?? {}) as Record<
        string,
        unknown
      >;
      if ('expression' in options) continue;
      expect(strings.length % 2).toBe(0);
      const [namespace, metric, ...pairs] = strings;
      const dims: Record<string, string> = {};
      for (let i = 0; i < pairs.length; i += 2) dims[pairs[i]!] = pairs[i + 1]!;
      out.push({ key: `${namespace} ${metric}`, dims, options, widget: w.properties.title });
    }
  }
  return out;
}

const titled = (body: Synthesized['body'], title: string) =>
  body.widgets.find((w) => w.type === 'metric' && w.properties.title === title) as Extract<
    Widget,
    { type: 'metric' }
  >;

describe('EnvironmentDashboard: synthesized dashboard_body', () => {
  const { dashboard, name, body } = build(props());

  it('is named <project>-<env> and links to the console in the region', () => {
    expect(name).toBe('switchyard-prod');
    expect(dashboard.consoleUrl).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/switchyard-prod',
    );
    expect(body.start).toBe('-PT3H');
  });

  it('graphs only documented metrics with their documented dimensions, in the environment region', () => {
    const all = lines(body.widgets);
    expect(all.length).toBeGreaterThan(0);
    for (const line of all) {
      const allowed = DOCUMENTED[line.key];
      expect({ line: line.key, known: allowed !== undefined }).toEqual({ line: line.key, known: true });
      expect(allowed).toContainEqual(Object.keys(line.dims));
    }
    for (const w of body.widgets) if (w.type === 'metric') expect(w.properties.region).toBe(FAKE_REGION);
  });

  it('lays widgets out on the 24-column grid without overlaps', () => {
    for (const w of body.widgets) {
      expect(w.x).toBeGreaterThanOrEqual(0);
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      expect(w.height).toBeGreaterThan(0);
    }
    for (const [i, a] of body.widgets.entries()) {
      for (const b of body.widgets.slice(i + 1)) {
        const overlap =
          a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
        expect(overlap).toBe(false);
      }
    }
  });

  it('shows every service per colour: requests, target 5xx, p95/p99, healthy hosts, running tasks, CPU, memory', () => {
    const all = lines(body.widgets);
    for (const svc of ['api', 'web']) {
      for (const colour of ['blue', 'green']) {
        const onTg = (metric: string) =>
          all.filter(
            (l) => l.key === `AWS/ApplicationELB ${metric}` && l.dims.TargetGroup === tg(svc, colour),
          );
        expect(onTg('RequestCount')).toHaveLength(1);
        expect(onTg('HTTPCode_Target_5XX_Count')).toHaveLength(1);
        expect(onTg('HealthyHostCount')).toHaveLength(1);
        expect(onTg('TargetResponseTime').map((l) => l.options.stat)).toEqual(['p95', 'p99']);
        for (const l of onTg('RequestCount')) expect(l.dims.LoadBalancer).toBe(LB);
        const onService = (key: string) =>
          all.filter((l) => l.key === key && l.dims.ServiceName === `${svc}-${colour}`);
        for (const key of [
          'AWS/ECS CPUUtilization',
          'AWS/ECS MemoryUtilization',
          'ECS/ContainerInsights RunningTaskCount',
        ]) {
          expect(onService(key)).toEqual([
            expect.objectContaining({
              dims: { ClusterName: 'switchyard-prod', ServiceName: `${svc}-${colour}` },
            }),
          ]);
        }
      }
      // ELB 5xx exist per load balancer only: each service's 5xx widget carries the load-balancer-wide line.
      const fivexx = titled(body, `${svc}: 5xx (target per colour, ELB for the whole load balancer)`);
      expect(lines([fivexx]).map((l) => l.key)).toContain('AWS/ApplicationELB HTTPCode_ELB_5XX_Count');
    }
  });

  it('graphs the deployer contract metric (TrafficWeight) per colour, carried forward between writes', () => {
    const w = titled(body, 'api: traffic weight % (switchyard)');
    expect(w.properties.period).toBe(60);
    const hidden = lines([w]);
    expect(hidden.map((l) => l.dims)).toEqual([
      { Environment: 'prod', Service: 'api', Colour: 'blue' },
      { Environment: 'prod', Service: 'api', Colour: 'green' },
    ]);
    for (const l of hidden) expect(l.options.visible).toBe(false);
    const expressions = w.properties.metrics
      .map((row) => row[0])
      .filter(
        (x): x is { expression: string; label: string; id: string } =>
          typeof x === 'object' && 'expression' in x,
      );
    expect(expressions.map((e) => [e.label, e.expression])).toEqual([
      ['blue', `FILL(${String(hidden[0]!.options.id)}, REPEAT)`],
      ['green', `FILL(${String(hidden[1]!.options.id)}, REPEAT)`],
    ]);
    // Expression ids are unique over the whole dashboard's widgets (each widget is its own query anyway).
    const ids = body.widgets.flatMap((x) =>
      x.type === 'metric'
        ? x.properties.metrics.map((r) => (r.find((o) => typeof o === 'object') as { id?: string })?.id)
        : [],
    );
    const defined = ids.filter((i) => i !== undefined);
    expect(new Set(defined).size).toBe(defined.length);
  });

  it('shows the database and the cache; no replica lag where there are no replicas', () => {
    const keys = lines(body.widgets).map((l) => l.key);
    for (const k of ['AWS/RDS CPUUtilization', 'AWS/RDS DatabaseConnections', 'AWS/RDS FreeStorageSpace']) {
      expect(keys).toContain(k);
    }
    expect(keys).not.toContain('AWS/RDS ReplicaLag');
    for (const k of [
      'EngineCPUUtilization',
      'DatabaseMemoryUsagePercentage',
      'Evictions',
      'ReplicationLag',
    ]) {
      expect(keys).toContain(`AWS/ElastiCache ${k}`);
    }
    const single = build(props({ cache: { nodeIds: ['switchyard-prod-cache-001'] } }));
    expect(lines(single.body.widgets).map((l) => l.key)).not.toContain('AWS/ElastiCache ReplicationLag');
    const replicas = build(props({ database: { identifier: 'db', replicaIdentifiers: ['db-replica-1'] } }));
    expect(
      lines(replicas.body.widgets)
        .filter((l) => l.key === 'AWS/RDS ReplicaLag')
        .map((l) => l.dims),
    ).toEqual([{ DBInstanceIdentifier: 'db-replica-1' }]);
  });

  it('puts the alarms at the top, at most 100 per status widget', () => {
    const top = body.widgets.find((w) => w.type === 'alarm');
    expect(top?.type === 'alarm' && top.properties.alarms).toEqual([alarmArn('switchyard-prod-alb-elb-5xx')]);
    const many = Array.from({ length: 230 }, (_, i) => alarmArn(`a${i}`));
    const chunks = build(props({ alarmArns: many })).body.widgets.filter((w) => w.type === 'alarm');
    expect(chunks.map((w) => (w.type === 'alarm' ? w.properties.alarms.length : 0))).toEqual([
      MAX_ALARMS_PER_WIDGET,
      MAX_ALARMS_PER_WIDGET,
      30,
    ]);
    expect(chunks.flatMap((w) => (w.type === 'alarm' ? w.properties.alarms : []))).toEqual(many);
  });

  it('counts what one service adds', () => {
    const one = build(props({ services: [service('api')] })).dashboard;
    const two = build(props({ services: [service('api'), service('web')] })).dashboard;
    expect(two.widgetCount - one.widgetCount).toBe(WIDGETS_PER_SERVICE);
    expect(two.metricCount - one.metricCount).toBe(METRICS_PER_SERVICE);
  });
});

describe('EnvironmentDashboard: CloudWatch limits', () => {
  it('refuses an environment whose dashboard would exceed 500 widgets, with the counts', () => {
    const fixed = build(props({ services: [] })).dashboard.widgetCount;
    const fits = Math.floor((MAX_WIDGETS - fixed) / WIDGETS_PER_SERVICE);
    const names = (n: number) => Array.from({ length: n }, (_, i) => service(`s${i}`));
    expect(build(props({ services: names(fits) })).dashboard.widgetCount).toBeLessThanOrEqual(MAX_WIDGETS);
    expect(() => build(props({ services: names(fits + 1) }))).toThrow(
      /exceeds CloudWatch's limits: \d+ widgets, CloudWatch allows 500 per dashboard.*Each service takes 7 widgets/,
    );
  });

  it('is a body Terraform renders as written: every ${ is a reference, no %{ directive', () => {
    const { stack } = newStack();
    const lb = new TerraformLocal(stack, 'lb', LB);
    new EnvironmentDashboard(stack, 'dashboard', props({ loadBalancerArnSuffix: lb.asString }));
    const raw = listOf(synth(stack), 'aws_cloudwatch_dashboard')[0]!.dashboard_body as string;
    expect(raw).not.toContain('%{');
    const interpolations = raw.match(/\$\{[^}]*\}/g) ?? [];
    expect(interpolations.length).toBeGreaterThan(0);
    expect(raw.split('${').length - 1).toBe(interpolations.length);
    expect(JSON.parse(raw.replace(/\$\{[^}]*\}/g, 'resolved'))).toBeDefined();
  });

  it('bounds the resolved size of a body holding Terraform references', () => {
    const ref = Lazy.stringValue({ produce: () => 'x' });
    const { dashboard } = build(props({ loadBalancerArnSuffix: ref }));
    const literal = build(props()).dashboard;
    // Every reference counts as 255 characters once resolved: the bound exceeds the literal body.
    expect(dashboard.maxBodyBytes).toBeGreaterThan(literal.maxBodyBytes);
    expect(maxResolvedBodyBytes('{"a":"${TfToken[TOKEN.1]}"}')).toBe('{"a":""}'.length + 255);
    // 50 services (the most one load balancer's 100 target groups hold), with references: well under 1 MB.
    const big = build(
      props({ services: Array.from({ length: 50 }, (_, i) => service(`s${i}`)), loadBalancerArnSuffix: ref }),
    );
    expect(big.dashboard.maxBodyBytes).toBeLessThan(1_000_000);
  });
});

describe('EnvironmentDashboard: validation', () => {
  it('lists every problem of the props at once', () => {
    expect(() =>
      build(
        props({
          environment: 'Prod',
          region: 'europe',
          periodSeconds: 90,
          start: 'yesterday',
          services: [service('api'), service('api')],
          cache: { nodeIds: [] },
          alarmArns: ['arn:aws:sns:eu-west-1:123456789012:topic'],
        }),
      ),
    ).toThrow(
      new RegExp(
        [
          'environment: must be lower-case',
          'region: must be an AWS region',
          'services\\[1\\]\\.name: must be unique',
          'periodSeconds: must be a multiple of 60 \\(got 90\\)',
          'start: must be a duration',
          'cache\\.nodeIds: must list at least one node',
          'alarmArns: must be CloudWatch alarm ARNs',
        ].join('[\\s\\S]*'),
      ),
    );
  });
});
