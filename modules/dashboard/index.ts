import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { Construct } from 'constructs';
import { dashboardConsoleUrl, dashboardName } from '../../services/topology/dashboard';
import {
  type DashboardBody,
  dashboardBody,
  type DashboardCacheInput,
  type DashboardDatabaseInput,
  type DashboardServiceInput,
  limitProblems,
  METRICS_PER_SERVICE,
  metricCount,
  WIDGETS_PER_SERVICE,
} from './body';

export {
  type DashboardBody,
  dashboardBody,
  limitProblems,
  MAX_ALARMS_PER_WIDGET,
  MAX_METRICS_PER_DASHBOARD,
  MAX_METRICS_PER_WIDGET,
  MAX_WIDGETS,
  METRICS_PER_SERVICE,
  type Widget,
  WIDGETS_PER_SERVICE,
} from './body';

/** One blue/green service on the dashboard (every field required). */
export type DashboardServiceProps = DashboardServiceInput;

export interface DashboardDatabaseProps {
  /** DB instance identifier (the `DBInstanceIdentifier` dimension). Required. */
  readonly identifier: string;
  /** Read replica identifiers; their ReplicaLag gets a widget. @default [] (no replica-lag widget) */
  readonly replicaIdentifiers?: readonly string[];
}

export interface DashboardCacheProps {
  /** `CacheClusterId` of every node of the replication group (`<group>-001`, …). Required, ≥ 1. */
  readonly nodeIds: readonly string[];
  /** The group has read replicas (graph ReplicationLag per node). @default nodeIds.length > 1 */
  readonly hasReplicas?: boolean;
}

export interface EnvironmentDashboardProps {
  /** Project name, first part of the dashboard name. @default 'switchyard' */
  readonly project?: string;
  /** Environment name. Required. */
  readonly environment: string;
  /** Region of every metric on the dashboard (dashboards are global; widgets name their region). Required. */
  readonly region: string;
  /** ALB ARN suffix (`app/<name>/<id>`), the `LoadBalancer` dimension. Required. */
  readonly loadBalancerArnSuffix: string;
  /** ECS cluster name (the `ClusterName` dimension). Required. */
  readonly clusterName: string;
  /** The services, in the order their rows appear. Required (may be empty: load balancer and data rows only). */
  readonly services: readonly DashboardServiceProps[];
  /** The database row. @default undefined (no database row) */
  readonly database?: DashboardDatabaseProps;
  /** The cache row. @default undefined (no cache row) */
  readonly cache?: DashboardCacheProps;
  /** Alarm ARNs shown in alarm status widgets (100 per widget) at the top. @default [] (no alarm widget) */
  readonly alarmArns?: readonly string[];
  /** Period of every graph except the traffic weight (always 60 s), a multiple of 60. @default 60 */
  readonly periodSeconds?: number;
  /** Time range the dashboard opens with, an ISO 8601 duration before now. @default '-PT3H' */
  readonly start?: string;
  /** Extra Markdown lines under the title (runbook links, contacts). @default [] */
  readonly notes?: readonly string[];
}

const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/** Longest value Terraform can substitute for an unresolved reference in the body (names and ids ≤ 255). */
const TOKEN_BOUND = 255;
const TOKEN = /\$\{TfToken\[[^\]]+\]\}/g;

/** Bytes of the body once Terraform has resolved every reference, at most. */
export function maxResolvedBodyBytes(json: string): number {
  return Buffer.byteLength(json.replace(TOKEN, 'x'.repeat(TOKEN_BOUND)), 'utf8');
}

/**
 * The CloudWatch dashboard of one environment (`<project>-<env>`): alarm status, load balancer, then per
 * service the traffic weight per colour (Switchyard/TrafficWeight, written by the deployer), requests,
 * target and ELB 5xx, p95/p99 response time, healthy hosts and running tasks, ECS CPU and memory per
 * colour; then the database (CPU, connections, free storage, replica lag) and the cache (engine CPU,
 * memory, evictions, replication lag). Validates the props and CloudWatch's limits at synth time.
 */
export class EnvironmentDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;
  /** `<project>-<env>` (services/topology/dashboard.ts `dashboardName`). */
  readonly dashboardName: string;
  /** Console link (services/topology/dashboard.ts `dashboardConsoleUrl`). */
  readonly consoleUrl: string;
  /** The body as an object (references still unresolved). */
  readonly body: DashboardBody;
  readonly widgetCount: number;
  /** Metrics and expressions over all widgets. */
  readonly metricCount: number;
  /** Upper bound of the body's size in bytes once Terraform resolves it. */
  readonly maxBodyBytes: number;

  constructor(scope: Construct, id: string, props: EnvironmentDashboardProps) {
    super(scope, id);
    const project = props.project ?? 'switchyard';
    const problems: string[] = [];
    const bad = (field: string, what: string, got: unknown) =>
      problems.push(`${field}: ${what} (got ${JSON.stringify(got)})`);
    if (!DNS_LABEL.test(props.environment))
      bad('environment', 'must be lower-case letters, digits, hyphens', props.environment);
    if (!DNS_LABEL.test(project)) bad('project', 'must be lower-case letters, digits, hyphens', project);
    if (!REGION.test(props.region)) bad('region', 'must be an AWS region such as eu-west-1', props.region);
    if (!props.loadBalancerArnSuffix)
      bad('loadBalancerArnSuffix', 'is required', props.loadBalancerArnSuffix);
    if (!props.clusterName) bad('clusterName', 'is required', props.clusterName);
    const seen = new Set<string>();
    props.services.forEach((s, i) => {
      if (!s.name || seen.has(s.name)) bad(`services[${i}].name`, 'must be unique and non-empty', s.name);
      seen.add(s.name);
      for (const c of ['blue', 'green'] as const) {
        if (!s.targetGroupArnSuffixes[c])
          bad(`services[${i}].targetGroupArnSuffixes.${c}`, 'is required', null);
        if (!s.ecsServiceNames[c]) bad(`services[${i}].ecsServiceNames.${c}`, 'is required', null);
      }
    });
    const period = props.periodSeconds ?? 60;
    if (!Number.isInteger(period) || period < 60 || period % 60 !== 0) {
      bad('periodSeconds', 'must be a multiple of 60', period);
    }
    const start = props.start ?? '-PT3H';
    if (!/^-P(\d+[WD])?(T(\d+H)?(\d+M)?)?$/.test(start) || start === '-P' || start.endsWith('T')) {
      bad('start', 'must be a duration before now such as -PT3H or -P1D', start);
    }
    const database: DashboardDatabaseInput | undefined = props.database && {
      identifier: props.database.identifier,
      replicaIdentifiers: props.database.replicaIdentifiers ?? [],
    };
    if (database && !database.identifier) bad('database.identifier', 'is required', database.identifier);
    const cache: DashboardCacheInput | undefined = props.cache && {
      nodeIds: props.cache.nodeIds,
      hasReplicas: props.cache.hasReplicas ?? props.cache.nodeIds.length > 1,
    };
    if (cache && cache.nodeIds.length === 0) bad('cache.nodeIds', 'must list at least one node', []);
    for (const arn of props.alarmArns ?? []) {
      if (!/^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/.test(arn)) {
        bad('alarmArns', 'must be CloudWatch alarm ARNs', arn);
      }
    }
    let name = '';
    try {
      name = dashboardName(project, props.environment);
    } catch (e) {
      problems.push((e as Error).message);
    }
    if (problems.length > 0) {
      throw new Error(`EnvironmentDashboard ${id}: invalid configuration:\n  ${problems.join('\n  ')}`);
    }
    this.dashboardName = name;
    this.consoleUrl = dashboardConsoleUrl(props.region, this.dashboardName);

    this.body = dashboardBody({
      environment: props.environment,
      region: props.region,
      loadBalancerArnSuffix: props.loadBalancerArnSuffix,
      clusterName: props.clusterName,
      services: props.services,
      database,
      cache,
      alarmArns: props.alarmArns ?? [],
      periodSeconds: period,
      start,
      notes: [
        `Traffic weights: metric \`Switchyard/TrafficWeight\`, written by switchyard at every weight change (the live colour carries 100 %). Releases and the deploy lock: \`npx switchyard status --env ${props.environment}\`.`,
        ...(props.notes ?? []),
      ],
    });
    const limits = limitProblems(this.body);
    if (limits.length > 0) {
      throw new Error(
        `EnvironmentDashboard ${id}: the dashboard of ${props.environment} exceeds CloudWatch's limits: ${limits.join('; ')}. ` +
          `Each service takes ${WIDGETS_PER_SERVICE} widgets and ${METRICS_PER_SERVICE} metrics: move services to another environment or split the dashboard.`,
      );
    }
    this.widgetCount = this.body.widgets.length;
    this.metricCount = this.body.widgets.reduce((n, w) => n + metricCount(w), 0);
    const json = JSON.stringify(this.body);
    this.maxBodyBytes = maxResolvedBodyBytes(json);

    // AWS (PutDashboard): "If this result includes only warning messages, then the input was valid enough
    // for the dashboard to be created or modified, but some elements of the dashboard might not render" —
    // alarms or metrics that do not exist yet do not fail the apply.
    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: this.dashboardName,
      dashboardBody: json,
    });
  }
}
