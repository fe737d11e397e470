/**
 * The pure core of modules/dashboard: the CloudWatch dashboard body (the JSON `PutDashboard` takes) of one
 * environment, laid out on CloudWatch's 24-column grid, plus the counts CloudWatch limits.
 *
 * Metric names and dimensions, checked against AWS's documentation:
 * - AWS/ApplicationELB (ELB guide, "CloudWatch metrics for your Application Load Balancer"):
 *   RequestCount, HTTPCode_Target_5XX_Count, TargetResponseTime, HealthyHostCount with dimensions
 *   (LoadBalancer, TargetGroup); HTTPCode_ELB_5XX_Count with (LoadBalancer) only — "Dimensions:
 *   LoadBalancer; AvailabilityZone, LoadBalancer" — so ELB-generated 5xx exist per load balancer, never per
 *   service. AWS: "Elastic Load Balancing reports metrics to CloudWatch only when requests are flowing
 *   through the load balancer"; HealthyHostCount: "Reported if health checks are enabled".
 * - AWS/ECS (ECS guide, "Amazon ECS CloudWatch metrics"): CPUUtilization and MemoryUtilization with
 *   (ClusterName, ServiceName) — "Any Amazon ECS service hosted on Fargate has CloudWatch CPU and memory
 *   utilization metrics automatically"; "If a cluster, service, or other resource has no running tasks, no
 *   metrics will be reported for that resource" (the idle colour's lines stop, they do not drop to 0).
 * - ECS/ContainerInsights (CloudWatch guide, "Amazon ECS Container Insights metrics"): RunningTaskCount with
 *   (ClusterName, ServiceName); the ECS module turns Container Insights on for the cluster.
 * - AWS/RDS (RDS guide, "Amazon CloudWatch metrics for Amazon RDS"): CPUUtilization, DatabaseConnections,
 *   FreeStorageSpace (bytes), ReplicaLag (seconds, read replicas only) with (DBInstanceIdentifier).
 * - AWS/ElastiCache (ElastiCache guide, "Metrics for Valkey and Redis OSS"): EngineCPUUtilization,
 *   DatabaseMemoryUsagePercentage, Evictions, ReplicationLag (replica nodes only) with (CacheClusterId),
 *   the member cluster `<replication group>-00N` of each node.
 * - Switchyard/TrafficWeight (services/topology/metrics.ts): written by the deployer at each weight write.
 */
import type { Colour } from '../../services/topology';
import {
  SWITCHYARD_METRICS_NAMESPACE,
  TRAFFIC_WEIGHT_DIMENSIONS,
  TRAFFIC_WEIGHT_METRIC,
  TRAFFIC_WEIGHT_PERIOD_SECONDS,
  TRAFFIC_WEIGHT_STATISTIC,
} from '../../services/topology/metrics';

/** AWS: "A DashboardBody … can include an array of between 0 and 500 widget objects" (Dashboard Body Structure). */
export const MAX_WIDGETS = 500;
/**
 * AWS (CloudWatch quotas, Dashboards): up to 500 metrics per dashboard widget and 2,500 per dashboard
 * across all widgets, counting the metrics a math expression reads even when they are not displayed.
 * Expressions are counted here too (conservative).
 */
export const MAX_METRICS_PER_WIDGET = 500;
export const MAX_METRICS_PER_DASHBOARD = 2500;
/** AWS: an alarm status widget lists 1–100 alarm ARNs (Dashboard Body Structure, alarm widget `alarms`). */
export const MAX_ALARMS_PER_WIDGET = 100;
/** What one service adds to the dashboard (two rows of widgets). */
export const WIDGETS_PER_SERVICE = 7;
export const METRICS_PER_SERVICE = 21;
/** CloudWatch's dashboard grid is 24 columns wide. */
export const GRID_COLUMNS = 24;

export const COLOUR_HEX: Readonly<Record<Colour, string>> = { blue: '#1f77b4', green: '#2ca02c' };
const COLOURS: readonly Colour[] = ['blue', 'green'];

/** Rendering options of one line (`[namespace, metric, dim, value, …, options]`). */
export interface RenderOptions {
  readonly id?: string;
  readonly label?: string;
  readonly color?: string;
  readonly stat?: string;
  readonly visible?: boolean;
  readonly yAxis?: 'left' | 'right';
}
export type MetricRow = readonly (string | RenderOptions)[];
export interface ExpressionOptions extends RenderOptions {
  readonly expression: string;
  readonly id: string;
  readonly label: string;
}
export type ExpressionRow = readonly [ExpressionOptions];
export type Row = MetricRow | ExpressionRow;

interface Position {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}
export interface MetricWidget extends Position {
  readonly type: 'metric';
  readonly properties: {
    readonly title: string;
    readonly region: string;
    readonly view: 'timeSeries';
    readonly stacked: false;
    readonly period: number;
    readonly stat: string;
    readonly metrics: readonly Row[];
    readonly yAxis?: {
      readonly left?: { readonly min?: number; readonly max?: number; readonly label?: string };
    };
  };
}
export interface TextWidget extends Position {
  readonly type: 'text';
  readonly properties: { readonly markdown: string };
}
export interface AlarmWidget extends Position {
  readonly type: 'alarm';
  readonly properties: {
    readonly title: string;
    readonly alarms: readonly string[];
    readonly sortBy: 'stateUpdatedTimestamp';
  };
}
export type Widget = MetricWidget | TextWidget | AlarmWidget;

export interface DashboardBody {
  readonly start: string;
  readonly periodOverride: 'inherit';
  readonly widgets: readonly Widget[];
}

/** One blue/green service as the dashboard needs it. */
export interface DashboardServiceInput {
  /** Service name (the widget titles start with it). */
  readonly name: string;
  /** CloudWatch `TargetGroup` dimension per colour (`targetgroup/<name>/<id>`). */
  readonly targetGroupArnSuffixes: Readonly<Record<Colour, string>>;
  /** ECS service name per colour (`<svc>-blue`, `<svc>-green`). */
  readonly ecsServiceNames: Readonly<Record<Colour, string>>;
}

export interface DashboardDatabaseInput {
  readonly identifier: string;
  /** Read replicas (their ReplicaLag is graphed); empty: no replica-lag widget. */
  readonly replicaIdentifiers: readonly string[];
}

export interface DashboardCacheInput {
  /** CacheClusterId of every node (`<replication group>-001`, …). */
  readonly nodeIds: readonly string[];
  /** Whether the group has replicas (then each node's ReplicationLag is graphed; the primary reports none). */
  readonly hasReplicas: boolean;
}

export interface DashboardInput {
  readonly environment: string;
  readonly region: string;
  readonly loadBalancerArnSuffix: string;
  readonly clusterName: string;
  readonly services: readonly DashboardServiceInput[];
  readonly database?: DashboardDatabaseInput;
  readonly cache?: DashboardCacheInput;
  readonly alarmArns: readonly string[];
  readonly periodSeconds: number;
  readonly start: string;
  /** Markdown lines shown under the title (links, commands). */
  readonly notes: readonly string[];
}

const ALB = 'AWS/ApplicationELB';

/** Places widgets row by row on the 24-column grid. */
class Grid {
  private y = 0;
  readonly widgets: Widget[] = [];

  /** Adds one row of widgets of equal width (the last one takes the remainder). */
  row(
    height: number,
    items: readonly (
      | Omit<MetricWidget, keyof Position>
      | Omit<TextWidget, keyof Position>
      | Omit<AlarmWidget, keyof Position>
    )[],
  ): void {
    const width = Math.floor(GRID_COLUMNS / items.length);
    items.forEach((item, i) => {
      const w = i === items.length - 1 ? GRID_COLUMNS - width * i : width;
      this.widgets.push({ ...item, x: width * i, y: this.y, width: w, height } as Widget);
    });
    this.y += height;
  }
}

function graph(
  input: DashboardInput,
  title: string,
  stat: string,
  metrics: readonly Row[],
  yAxis?: MetricWidget['properties']['yAxis'],
  period: number = input.periodSeconds,
): Omit<MetricWidget, keyof Position> {
  return {
    type: 'metric',
    properties: {
      title,
      region: input.region,
      view: 'timeSeries',
      stacked: false,
      period,
      stat,
      metrics,
      ...(yAxis ? { yAxis } : {}),
    },
  };
}

function tgMetric(
  input: DashboardInput,
  svc: DashboardServiceInput,
  colour: Colour,
  metric: string,
  options: RenderOptions,
): MetricRow {
  return [
    ALB,
    metric,
    'LoadBalancer',
    input.loadBalancerArnSuffix,
    'TargetGroup',
    svc.targetGroupArnSuffixes[colour],
    { color: COLOUR_HEX[colour], ...options },
  ];
}

function ecsMetric(
  namespace: string,
  metric: string,
  cluster: string,
  service: string,
  options: RenderOptions,
): MetricRow {
  return [namespace, metric, 'ClusterName', cluster, 'ServiceName', service, options];
}

/** The widgets of one service: two rows. */
function serviceRows(grid: Grid, input: DashboardInput, svc: DashboardServiceInput, index: number): void {
  const s = svc.name;
  const ids = (colour: Colour) => `w${index}${colour[0]}`;
  const weightDims = (colour: Colour): string[] => {
    const values: Record<(typeof TRAFFIC_WEIGHT_DIMENSIONS)[number], string> = {
      Environment: input.environment,
      Service: s,
      Colour: colour,
    };
    return TRAFFIC_WEIGHT_DIMENSIONS.flatMap((d) => [d, values[d]]);
  };
  const weight: Row[] = [
    ...COLOURS.map((colour): MetricRow => [
      SWITCHYARD_METRICS_NAMESPACE,
      TRAFFIC_WEIGHT_METRIC,
      ...weightDims(colour),
      { id: ids(colour), visible: false, stat: TRAFFIC_WEIGHT_STATISTIC },
    ]),
    // The metric is written only when weights change: REPEAT carries the last written value forward
    // (from the first write inside the time range) so the graph shows the weight at every minute.
    ...COLOURS.map((colour): ExpressionRow => [
      {
        expression: `FILL(${ids(colour)}, REPEAT)`,
        id: `${ids(colour)}f`,
        label: colour,
        color: COLOUR_HEX[colour],
      },
    ]),
  ];
  grid.row(6, [
    graph(
      input,
      `${s}: traffic weight % (switchyard)`,
      TRAFFIC_WEIGHT_STATISTIC,
      weight,
      { left: { min: 0, max: 100, label: '%' } },
      TRAFFIC_WEIGHT_PERIOD_SECONDS,
    ),
    graph(
      input,
      `${s}: requests per colour`,
      'Sum',
      COLOURS.map((c) => tgMetric(input, svc, c, 'RequestCount', { label: c })),
    ),
    graph(input, `${s}: 5xx (target per colour, ELB for the whole load balancer)`, 'Sum', [
      ...COLOURS.map((c) =>
        tgMetric(input, svc, c, 'HTTPCode_Target_5XX_Count', { label: `target 5xx ${c}` }),
      ),
      [
        ALB,
        'HTTPCode_ELB_5XX_Count',
        'LoadBalancer',
        input.loadBalancerArnSuffix,
        { label: 'ELB 5xx (load balancer)', color: '#d62728' },
      ],
    ]),
    graph(input, `${s}: response time p95 / p99 (s)`, 'p95', [
      ...COLOURS.flatMap((c) => [
        tgMetric(input, svc, c, 'TargetResponseTime', { label: `p95 ${c}`, stat: 'p95' }),
        tgMetric(input, svc, c, 'TargetResponseTime', { label: `p99 ${c}`, stat: 'p99' }),
      ]),
    ]),
  ]);
  grid.row(6, [
    graph(input, `${s}: healthy hosts and running tasks per colour`, 'Minimum', [
      ...COLOURS.map((c) =>
        tgMetric(input, svc, c, 'HealthyHostCount', { label: `healthy ${c}`, stat: 'Minimum' }),
      ),
      ...COLOURS.map((c) =>
        ecsMetric('ECS/ContainerInsights', 'RunningTaskCount', input.clusterName, svc.ecsServiceNames[c], {
          label: `running tasks ${c}`,
          color: COLOUR_HEX[c],
          stat: 'Average',
        }),
      ),
    ]),
    ...(['CPU', 'Memory'] as const).map((what) =>
      graph(
        input,
        `${s}: ECS ${what === 'CPU' ? 'CPU' : 'memory'} % per colour`,
        'Average',
        COLOURS.map((c) =>
          ecsMetric('AWS/ECS', `${what}Utilization`, input.clusterName, svc.ecsServiceNames[c], {
            label: c,
            color: COLOUR_HEX[c],
          }),
        ),
        { left: { min: 0, label: '%' } },
      ),
    ),
  ]);
}

/** One graph of a data-store row: one line per resource id. */
interface DataGraph {
  readonly title: string;
  readonly metric: string;
  readonly stat: string;
  /** Resources graphed; a graph without any is left out. */
  readonly ids: readonly string[];
  /** A percentage: y axis 0–100. */
  readonly percent?: boolean;
}

/** A row of data-store graphs whose metrics take one dimension (`DBInstanceIdentifier`, `CacheClusterId`). */
function dataRow(
  grid: Grid,
  input: DashboardInput,
  namespace: string,
  dimension: string,
  graphs: readonly DataGraph[],
): void {
  grid.row(
    6,
    graphs
      .filter((g) => g.ids.length > 0)
      .map((g) =>
        graph(
          input,
          g.title,
          g.stat,
          g.ids.map((id): MetricRow => [namespace, g.metric, dimension, id, { label: id }]),
          g.percent ? { left: { min: 0, max: 100, label: '%' } } : { left: { min: 0 } },
        ),
      ),
  );
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The dashboard body of one environment. Pure: the same input always gives the same body. */
export function dashboardBody(input: DashboardInput): DashboardBody {
  const grid = new Grid();
  grid.row(3, [
    { type: 'text', properties: { markdown: [`# ${input.environment}`, ...input.notes].join('\n\n') } },
  ]);
  for (const alarms of chunks(input.alarmArns, MAX_ALARMS_PER_WIDGET)) {
    grid.row(4, [
      {
        type: 'alarm',
        properties: { title: `${input.environment}: alarms`, alarms, sortBy: 'stateUpdatedTimestamp' },
      },
    ]);
  }
  const lb = input.loadBalancerArnSuffix;
  grid.row(6, [
    graph(input, 'Load balancer: requests', 'Sum', [
      [ALB, 'RequestCount', 'LoadBalancer', lb, { label: 'requests' }],
    ]),
    graph(input, 'Load balancer: 5xx', 'Sum', [
      [ALB, 'HTTPCode_ELB_5XX_Count', 'LoadBalancer', lb, { label: 'ELB 5xx', color: '#d62728' }],
      [
        ALB,
        'HTTPCode_Target_5XX_Count',
        'LoadBalancer',
        lb,
        { label: 'target 5xx (all services)', color: '#ff7f0e' },
      ],
    ]),
  ]);
  input.services.forEach((svc, i) => serviceRows(grid, input, svc, i));

  const db = input.database;
  if (db) {
    const instances = [db.identifier, ...db.replicaIdentifiers];
    dataRow(grid, input, 'AWS/RDS', 'DBInstanceIdentifier', [
      { title: 'Database: CPU %', metric: 'CPUUtilization', stat: 'Average', ids: instances, percent: true },
      { title: 'Database: connections', metric: 'DatabaseConnections', stat: 'Maximum', ids: instances },
      {
        title: 'Database: free storage (bytes)',
        metric: 'FreeStorageSpace',
        stat: 'Minimum',
        ids: instances,
      },
      {
        title: 'Database: replica lag (s)',
        metric: 'ReplicaLag',
        stat: 'Maximum',
        ids: db.replicaIdentifiers,
      },
    ]);
  }
  const cache = input.cache;
  if (cache) {
    const ids = cache.nodeIds;
    dataRow(grid, input, 'AWS/ElastiCache', 'CacheClusterId', [
      { title: 'Cache: engine CPU %', metric: 'EngineCPUUtilization', stat: 'Average', ids, percent: true },
      {
        title: 'Cache: memory used %',
        metric: 'DatabaseMemoryUsagePercentage',
        stat: 'Maximum',
        ids,
        percent: true,
      },
      { title: 'Cache: evictions', metric: 'Evictions', stat: 'Sum', ids },
      {
        title: 'Cache: replication lag (s)',
        metric: 'ReplicationLag',
        stat: 'Maximum',
        ids: cache.hasReplicas ? ids : [],
      },
    ]);
  }

  return { start: input.start, periodOverride: 'inherit', widgets: grid.widgets };
}

/** Lines (metrics and expressions) of a widget; 0 for text and alarm widgets. */
export function metricCount(widget: Widget): number {
  return widget.type === 'metric' ? widget.properties.metrics.length : 0;
}

/** Problems with CloudWatch's documented limits, one line each (empty when the body fits). */
export function limitProblems(body: DashboardBody): string[] {
  const problems: string[] = [];
  if (body.widgets.length > MAX_WIDGETS) {
    problems.push(`${body.widgets.length} widgets, CloudWatch allows ${MAX_WIDGETS} per dashboard`);
  }
  const total = body.widgets.reduce((n, w) => n + metricCount(w), 0);
  if (total > MAX_METRICS_PER_DASHBOARD) {
    problems.push(
      `${total} metrics and expressions, CloudWatch allows ${MAX_METRICS_PER_DASHBOARD} per dashboard`,
    );
  }
  for (const w of body.widgets) {
    if (metricCount(w) > MAX_METRICS_PER_WIDGET && w.type === 'metric') {
      problems.push(
        `widget "${w.properties.title}" has ${metricCount(w)} metrics, CloudWatch allows ${MAX_METRICS_PER_WIDGET}`,
      );
    }
  }
  return problems;
}
