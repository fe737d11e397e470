import { Token } from 'cdktf';
import { SharedAlarms, type SharedAlarmsProps, sharedAlarmNamesOf } from '../../../modules/alarms';
import { FAKE_ACCOUNT, FAKE_REGION, findBy, listOf, newStack, synth } from '../../helpers/stack';

const TOPIC = `arn:aws:sns:${FAKE_REGION}:${FAKE_ACCOUNT}:switchyard-prod-alarms`;
const LB = 'app/switchyard-prod/0123456789abcdef';
const tg = (svc: string, c: string) => `targetgroup/switchyard-prod-${svc}-${c}/0123456789abcdef`;
const service = (name: string, expectsTasks?: boolean) => ({
  name,
  targetGroupArnSuffixes: { blue: tg(name, 'blue'), green: tg(name, 'green') },
  ...(expectsTasks === undefined ? {} : { expectsTasks }),
});

function build(overrides: Partial<SharedAlarmsProps> = {}) {
  const { stack } = newStack();
  const alarms = new SharedAlarms(stack, 'shared-alarms', {
    environment: 'prod',
    topicArn: TOPIC,
    loadBalancerArnSuffix: LB,
    services: [service('api'), service('web'), service('batch', false)],
    ...overrides,
  });
  return { alarms, out: synth(stack) };
}

interface Query {
  id: string;
  expression?: string;
  return_data?: boolean;
  metric?: {
    namespace: string;
    metric_name: string;
    dimensions: Record<string, string>;
    period: number;
    stat: string;
  };
}

describe('SharedAlarms', () => {
  const { alarms, out } = build();

  it("exposes plain alarm names (no Terraform references) for the topology's shared alarms", () => {
    expect(alarms.loadBalancer5xxAlarmName).toBe('switchyard-prod-alb-elb-5xx');
    expect(alarms.noHealthyHostsAlarmNames).toEqual({
      api: 'switchyard-prod-api-no-healthy-hosts',
      web: 'switchyard-prod-web-no-healthy-hosts',
    });
    expect(alarms.sharedAlarmNames('api')).toEqual([
      'switchyard-prod-alb-elb-5xx',
      'switchyard-prod-api-no-healthy-hosts',
    ]);
    // A service deliberately at 0 tasks gets the load-balancer alarm only.
    expect(alarms.sharedAlarmNames('batch')).toEqual(['switchyard-prod-alb-elb-5xx']);
    for (const name of alarms.alarmNames) expect(Token.isUnresolved(name)).toBe(false);
    // The same names without the construct (for the topology, built before the alarms).
    expect(sharedAlarmNamesOf('switchyard', 'prod', 'api')).toEqual(alarms.sharedAlarmNames('api'));
    expect(sharedAlarmNamesOf('switchyard', 'prod', 'batch', false)).toEqual(
      alarms.sharedAlarmNames('batch'),
    );
    expect(
      listOf(out, 'aws_cloudwatch_metric_alarm')
        .map((a) => a.alarm_name)
        .sort(),
    ).toEqual([...alarms.alarmNames].sort());
  });

  it("alarms on the load balancer's own 5xx share, load-balancer-wide, 2 of 3 minutes, quiet ALB not breaching", () => {
    const a = findBy(out, 'aws_cloudwatch_metric_alarm', 'alarm_name', 'switchyard-prod-alb-elb-5xx');
    expect(a).toMatchObject({
      comparison_operator: 'GreaterThanThreshold',
      threshold: 1,
      evaluation_periods: 3,
      datapoints_to_alarm: 2,
      treat_missing_data: 'notBreaching',
      alarm_actions: [TOPIC],
      ok_actions: [TOPIC],
    });
    const queries = a.metric_query as Query[];
    expect(queries.filter((q) => q.return_data)).toEqual([
      expect.objectContaining({
        id: 'share',
        expression:
          'IF(FILL(elb5xx, 0) >= 5, 100 * FILL(elb5xx, 0) / (FILL(requests, 0) + FILL(elb5xx, 0)), 0)',
      }),
    ]);
    const metrics = queries
      .filter((q) => q.metric)
      .map((q) => [q.id, q.metric!.metric_name, q.metric!.dimensions, q.metric!.stat, q.metric!.period]);
    expect(metrics).toEqual([
      ['elb5xx', 'HTTPCode_ELB_5XX_Count', { LoadBalancer: LB }, 'Sum', 60],
      ['requests', 'RequestCount', { LoadBalancer: LB }, 'Sum', 60],
    ]);
    for (const q of queries) if (q.metric) expect(q.metric.namespace).toBe('AWS/ApplicationELB');
  });

  it('alarms when neither colour of a service has a healthy target, missing data breaching', () => {
    const a = findBy(
      out,
      'aws_cloudwatch_metric_alarm',
      'alarm_name',
      'switchyard-prod-api-no-healthy-hosts',
    );
    expect(a).toMatchObject({
      comparison_operator: 'LessThanThreshold',
      threshold: 1,
      evaluation_periods: 2,
      datapoints_to_alarm: 2,
      treat_missing_data: 'breaching',
      alarm_actions: [TOPIC],
      ok_actions: [TOPIC],
    });
    const queries = a.metric_query as Query[];
    const expression = queries.find((q) => q.return_data)!.expression!;
    expect(expression).toBe('SUM([FILL(blue, 0), FILL(green, 0)])');
    const metrics = queries.filter((q) => q.metric);
    expect(metrics.map((q) => [q.id, q.metric!.metric_name, q.metric!.dimensions, q.metric!.stat])).toEqual([
      ['blue', 'HealthyHostCount', { LoadBalancer: LB, TargetGroup: tg('api', 'blue') }, 'Maximum'],
      ['green', 'HealthyHostCount', { LoadBalancer: LB, TargetGroup: tg('api', 'green') }, 'Maximum'],
    ]);
    // Every id the expression reads is defined in the query (CloudWatch rejects unknown ids at apply).
    for (const id of expression.match(/\b(blue|green)\b/g)!) expect(metrics.map((q) => q.id)).toContain(id);
  });

  it('uses the configured windows', () => {
    const { out: custom } = build({
      elb5xxPercent: 5,
      elb5xxMinCount: 20,
      elb5xxDatapointsToAlarm: 3,
      elb5xxEvaluationMinutes: 5,
      noHealthyHostsMinutes: 3,
    });
    const lb = findBy(custom, 'aws_cloudwatch_metric_alarm', 'alarm_name', 'switchyard-prod-alb-elb-5xx');
    expect(lb).toMatchObject({ threshold: 5, evaluation_periods: 5, datapoints_to_alarm: 3 });
    expect((lb.metric_query as Query[])[0]!.expression).toMatch(/^IF\(FILL\(elb5xx, 0\) >= 20,/);
    expect(
      findBy(custom, 'aws_cloudwatch_metric_alarm', 'alarm_name', 'switchyard-prod-web-no-healthy-hosts'),
    ).toMatchObject({
      evaluation_periods: 3,
      datapoints_to_alarm: 3,
    });
  });

  it('refuses bad settings, listing every problem', () => {
    expect(() =>
      build({
        topicArn: '',
        elb5xxPercent: 0,
        elb5xxDatapointsToAlarm: 4,
        services: [service('api'), service('api')],
      }),
    ).toThrow(
      /topicArn: is required[\s\S]*elb5xxPercent: must be a percentage[\s\S]*elb5xxDatapointsToAlarm: must be an integer 1-3[\s\S]*services\[1\]\.name: must be unique/,
    );
  });
});
