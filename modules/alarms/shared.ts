import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { Construct } from 'constructs';
import type { Colour } from '../../services/topology';

/** One service whose live colour must keep at least one healthy target. */
export interface SharedAlarmService {
  /** Service name. Required. */
  readonly name: string;
  /** CloudWatch `TargetGroup` dimension (target group ARN suffix) per colour. Required. */
  readonly targetGroupArnSuffixes: Readonly<Record<Colour, string>>;
  /**
   * The service is meant to run tasks (desiredCount ≥ 1). A service deliberately scaled to 0 gets no
   * zero-healthy-hosts alarm: it would be in ALARM all the time. @default true
   */
  readonly expectsTasks?: boolean;
}

export interface SharedAlarmsProps {
  /** @default 'switchyard' */
  readonly project?: string;
  /** Environment name. Required. */
  readonly environment: string;
  /** SNS topic notified on ALARM and OK (the environment's alarm topic). Required. */
  readonly topicArn: string;
  /** ALB ARN suffix (`app/<name>/<id>`), the `LoadBalancer` dimension. Required. */
  readonly loadBalancerArnSuffix: string;
  /** The services (each gets a zero-healthy-hosts alarm unless it expects no tasks). Required, may be empty. */
  readonly services: readonly SharedAlarmService[];
  /** ELB-generated 5xx, in percent of the load balancer's requests, above which a minute breaches. @default 1 */
  readonly elb5xxPercent?: number;
  /** ELB 5xx in a minute below which the minute never breaches (a handful of errors on a quiet ALB). @default 5 */
  readonly elb5xxMinCount?: number;
  /** Breaching minutes, out of `elb5xxEvaluationMinutes`, that put the ELB 5xx alarm in ALARM. @default 2 */
  readonly elb5xxDatapointsToAlarm?: number;
  /** Window of the ELB 5xx alarm in 1-minute periods. @default 3 */
  readonly elb5xxEvaluationMinutes?: number;
  /** Consecutive minutes with no healthy target in either colour before the zero-healthy alarm fires. @default 2 */
  readonly noHealthyHostsMinutes?: number;
}

const ALB = 'AWS/ApplicationELB';
const NAME = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/** Name of the load-balancer-wide ELB 5xx alarm of an environment. */
export function loadBalancer5xxAlarmName(project: string, environment: string): string {
  return `${project}-${environment}-alb-elb-5xx`;
}

/** Name of a service's zero-healthy-hosts alarm. */
export function noHealthyHostsAlarmName(project: string, environment: string, service: string): string {
  return `${project}-${environment}-${service}-no-healthy-hosts`;
}

/**
 * The shared alarms of a service (the topology's `alarms.shared`), computable before any construct exists
 * (the ECS module builds the topology before SharedAlarms is built): the load balancer's ELB 5xx alarm, and
 * the service's zero-healthy-hosts alarm unless it expects no tasks.
 */
export function sharedAlarmNamesOf(
  project: string,
  environment: string,
  service: string,
  expectsTasks = true,
): string[] {
  return [
    loadBalancer5xxAlarmName(project, environment),
    ...(expectsTasks ? [noHealthyHostsAlarmName(project, environment, service)] : []),
  ];
}

/**
 * Environment- and service-wide alarms (the topology's `shared` alarms: they gate every deploy of a
 * service, whichever colour is live):
 *
 * - `<project>-<env>-alb-elb-5xx`: 5xx the load balancer itself generates (502 bad gateway, 503 no
 *   target, 504 timeout), in percent of the requests, load-balancer-wide. AWS publishes
 *   HTTPCode_ELB_5XX_Count per load balancer only ("Dimensions: LoadBalancer; AvailabilityZone,
 *   LoadBalancer"). RequestCount counts only requests for which "the load balancer node was able to choose
 *   a target", so the share is taken of RequestCount + ELB 5xx (never above 100 %, never a division by 0
 *   once the minimum count is met). No traffic publishes nothing: missing data is not breaching.
 * - `<project>-<env>-<svc>-no-healthy-hosts`: the live colour moves between blue and green, so the alarm
 *   adds both target groups' HealthyHostCount (metric math) and fires when the sum stays below 1.
 *   HealthyHostCount is "Reported if health checks are enabled": when neither target group reports, the
 *   load balancer no longer sees the service at all, so missing data is breaching.
 */
export class SharedAlarms extends Construct {
  readonly loadBalancer5xxAlarm: CloudwatchMetricAlarm;
  /** `<project>-<env>-alb-elb-5xx`. */
  readonly loadBalancer5xxAlarmName: string;
  /** Per service (services expecting tasks only): the zero-healthy-hosts alarm. */
  readonly noHealthyHostsAlarms: Readonly<Record<string, CloudwatchMetricAlarm>>;
  /** Per service (services expecting tasks only): `<project>-<env>-<svc>-no-healthy-hosts`. */
  readonly noHealthyHostsAlarmNames: Readonly<Record<string, string>>;
  /** Every alarm name this construct creates. */
  readonly alarmNames: readonly string[];

  constructor(scope: Construct, id: string, props: SharedAlarmsProps) {
    super(scope, id);
    const project = props.project ?? 'switchyard';
    const env = props.environment;
    const percent = props.elb5xxPercent ?? 1;
    const minCount = props.elb5xxMinCount ?? 5;
    const toAlarm = props.elb5xxDatapointsToAlarm ?? 2;
    const window = props.elb5xxEvaluationMinutes ?? 3;
    const noHealthyMinutes = props.noHealthyHostsMinutes ?? 2;

    const problems: string[] = [];
    const bad = (field: string, what: string, got: unknown) =>
      problems.push(`${field}: ${what} (got ${JSON.stringify(got)})`);
    if (!NAME.test(env)) bad('environment', 'must be lower-case letters, digits, hyphens', env);
    if (!NAME.test(project)) bad('project', 'must be lower-case letters, digits, hyphens', project);
    if (!props.topicArn) bad('topicArn', 'is required: an alarm nobody receives is useless', props.topicArn);
    if (!props.loadBalancerArnSuffix)
      bad('loadBalancerArnSuffix', 'is required', props.loadBalancerArnSuffix);
    if (!(percent > 0 && percent < 100))
      bad('elb5xxPercent', 'must be a percentage between 0 and 100', percent);
    if (!Number.isInteger(minCount) || minCount < 1)
      bad('elb5xxMinCount', 'must be an integer ≥ 1', minCount);
    // AWS: period × evaluation periods may not exceed one day (CloudWatch quotas).
    if (!Number.isInteger(window) || window < 1 || window > 1440)
      bad('elb5xxEvaluationMinutes', 'must be an integer 1-1440', window);
    if (!Number.isInteger(toAlarm) || toAlarm < 1 || toAlarm > window)
      bad('elb5xxDatapointsToAlarm', `must be an integer 1-${window} (elb5xxEvaluationMinutes)`, toAlarm);
    if (!Number.isInteger(noHealthyMinutes) || noHealthyMinutes < 1 || noHealthyMinutes > 1440)
      bad('noHealthyHostsMinutes', 'must be an integer 1-1440', noHealthyMinutes);
    const seen = new Set<string>();
    props.services.forEach((s, i) => {
      if (!NAME.test(s.name) || seen.has(s.name))
        bad(`services[${i}].name`, 'must be unique lower-case names', s.name);
      seen.add(s.name);
      for (const c of ['blue', 'green'] as const) {
        if (!s.targetGroupArnSuffixes[c])
          bad(`services[${i}].targetGroupArnSuffixes.${c}`, 'is required', null);
      }
    });
    if (problems.length > 0) {
      throw new Error(`SharedAlarms ${id}: invalid configuration:\n  ${problems.join('\n  ')}`);
    }

    const actions = [props.topicArn];
    const lb = { LoadBalancer: props.loadBalancerArnSuffix };
    const perMinute = (metricName: string, dimensions: Record<string, string>, stat: string) => ({
      namespace: ALB,
      metricName,
      dimensions,
      period: 60,
      stat,
    });

    this.loadBalancer5xxAlarmName = loadBalancer5xxAlarmName(project, env);
    this.loadBalancer5xxAlarm = new CloudwatchMetricAlarm(this, 'elb-5xx', {
      alarmName: this.loadBalancer5xxAlarmName,
      alarmDescription:
        `${env}: the load balancer itself answered 5xx (502/503/504: no healthy target, bad gateway, timeout) ` +
        `for more than ${percent}% of requests (and at least ${minCount} a minute) in ${toAlarm} of ${window} minutes`,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: percent,
      evaluationPeriods: window,
      datapointsToAlarm: toAlarm,
      treatMissingData: 'notBreaching',
      alarmActions: actions,
      okActions: actions,
      metricQuery: [
        {
          id: 'share',
          expression: `IF(FILL(elb5xx, 0) >= ${minCount}, 100 * FILL(elb5xx, 0) / (FILL(requests, 0) + FILL(elb5xx, 0)), 0)`,
          label: 'ELB 5xx share (%)',
          returnData: true,
        },
        { id: 'elb5xx', metric: perMinute('HTTPCode_ELB_5XX_Count', lb, 'Sum') },
        { id: 'requests', metric: perMinute('RequestCount', lb, 'Sum') },
      ],
    });

    const alarms: Record<string, CloudwatchMetricAlarm> = {};
    const names: Record<string, string> = {};
    for (const svc of props.services) {
      if (svc.expectsTasks === false) continue;
      const name = noHealthyHostsAlarmName(project, env, svc.name);
      const tg = (colour: Colour) => ({ ...lb, TargetGroup: svc.targetGroupArnSuffixes[colour] });
      names[svc.name] = name;
      alarms[svc.name] = new CloudwatchMetricAlarm(this, `no-healthy-hosts-${svc.name}`, {
        alarmName: name,
        alarmDescription:
          `${svc.name} (${env}): no healthy target in either colour (blue + green) for ${noHealthyMinutes} min — ` +
          'the load balancer has nothing to send its traffic to',
        comparisonOperator: 'LessThanThreshold',
        threshold: 1,
        evaluationPeriods: noHealthyMinutes,
        datapointsToAlarm: noHealthyMinutes,
        treatMissingData: 'breaching',
        alarmActions: actions,
        okActions: actions,
        metricQuery: [
          {
            id: 'healthy',
            // SUM over the array adds the colours at each minute; FILL keeps a colour without data (no
            // registered targets) from removing the minute.
            expression: 'SUM([FILL(blue, 0), FILL(green, 0)])',
            label: 'healthy targets, blue + green',
            returnData: true,
          },
          // Maximum: a minute breaches only when no sample in it saw a healthy target.
          { id: 'blue', metric: perMinute('HealthyHostCount', tg('blue'), 'Maximum') },
          { id: 'green', metric: perMinute('HealthyHostCount', tg('green'), 'Maximum') },
        ],
      });
    }
    this.noHealthyHostsAlarms = alarms;
    this.noHealthyHostsAlarmNames = names;
    this.alarmNames = [this.loadBalancer5xxAlarmName, ...Object.values(names)];
  }

  /** The shared alarms that gate a deploy of `service` (the topology's `alarms.shared`). */
  sharedAlarmNames(service: string): string[] {
    const own = this.noHealthyHostsAlarmNames[service];
    return [this.loadBalancer5xxAlarmName, ...(own ? [own] : [])];
  }
}
