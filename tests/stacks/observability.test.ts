/**
 * The real environments wire the dashboard, the shared alarms and the alarm subscribers: every alarm the
 * stack creates is on the dashboard and notifies the topic; prod's topic has a subscriber.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { loadConfiguration } from '../../environments/loader';
import type { EnvironmentConfig } from '../../environments/schema';
import { serviceDefaults } from '../../environments/tiers';
import { evaluateGuardrails } from '../../modules/guardrails';
import { dashboardConsoleUrl, dashboardName } from '../../services/topology/dashboard';
import { PlatformStack } from '../../stacks/platform-stack';

const config = loadConfiguration();
const app = Testing.app();
const stacks = Object.fromEntries(
  config.all.map((env) => [env.name, new PlatformStack(app, { config: env })]),
);
interface Synthesized {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  output: Record<string, { value: unknown }>;
}
interface BodyWidget {
  type: string;
  properties: { title?: string; alarms?: string[] };
}
const parsed = Object.fromEntries(
  Object.entries(stacks).map(([name, s]) => [name, JSON.parse(Testing.synth(s)) as Synthesized]),
);
const resources = (name: string, type: string): Record<string, unknown>[] =>
  Object.values(parsed[name]!.resource[type] ?? {});
const bodyOf = (name: string) =>
  JSON.parse(resources(name, 'aws_cloudwatch_dashboard')[0]!.dashboard_body as string) as {
    widgets: BodyWidget[];
  };

describe.each(['dev', 'staging', 'prod'])('%s: dashboard, shared alarms, subscribers', (name) => {
  const stack = stacks[name]!;
  const env = config.all.find((e) => e.name === name)!;

  it('has one dashboard named like the contract says, its name and link as outputs', () => {
    const [dashboard, ...more] = resources(name, 'aws_cloudwatch_dashboard');
    expect(more).toEqual([]);
    expect(dashboard!.dashboard_name).toBe(dashboardName('switchyard', name));
    expect(parsed[name]!.output.dashboard_name.value).toBe(`switchyard-${name}`);
    expect(parsed[name]!.output.dashboard_url.value).toBe(
      dashboardConsoleUrl(env.region, `switchyard-${name}`),
    );
  });

  it('graphs every service of the environment and the real load balancer, cluster, database and cache', () => {
    const body = bodyOf(name);
    const text = JSON.stringify(body);
    const lb = Object.keys(parsed[name]!.resource.aws_lb)[0];
    expect(text).toContain(`\${aws_lb.${lb}.arn_suffix}`);
    for (const svc of env.services) {
      expect(
        body.widgets.some((w) => w.properties.title === `${svc.name}: traffic weight % (switchyard)`),
      ).toBe(true);
    }
    const tgs = Object.keys(parsed[name]!.resource.aws_lb_target_group);
    for (const tg of tgs) expect(text).toContain(`\${aws_lb_target_group.${tg}.arn_suffix}`);
    expect(text).toContain('"ClusterName","switchyard-' + name + '"');
    expect(text).toContain(`"DBInstanceIdentifier","switchyard-${name}-db"`);
    const nodes = Array.from({ length: 1 + env.cache.replicas }, (_, i) => `switchyard-${name}-00${i + 1}`);
    for (const node of nodes) expect(text).toContain(`"CacheClusterId","${node}"`);
    expect(text.includes('"ReplicationLag"')).toBe(env.cache.replicas > 0);
  });

  it('shows every alarm of the stack on the dashboard and sends every one to the alarm topic', () => {
    const shown = bodyOf(name)
      .widgets.filter((w) => w.type === 'alarm')
      .flatMap((w) => w.properties.alarms ?? []);
    const alarms = resources(name, 'aws_cloudwatch_metric_alarm');
    expect(shown.map((arn) => arn.split(':alarm:')[1]).sort()).toEqual(
      alarms.map((a) => String(a.alarm_name)).sort(),
    );
    for (const arn of shown) expect(arn).toMatch(/^arn:aws:cloudwatch:eu-west-1:123456789012:alarm:/);
    const topic = Object.keys(parsed[name]!.resource.aws_sns_topic)[0];
    for (const a of alarms) expect(a.alarm_actions).toEqual([`\${aws_sns_topic.${topic}.arn}`]);
  });

  it('exposes the shared alarms of every service as plain names', () => {
    for (const svc of env.services) {
      expect(stack.sharedAlarms.sharedAlarmNames(svc.name)).toEqual([
        `switchyard-${name}-alb-elb-5xx`,
        `switchyard-${name}-${svc.name}-no-healthy-hosts`,
      ]);
    }
  });

  it("publishes the shared alarms in each service's topology, and each names an alarm of the stack", () => {
    const alarmNames = new Set(
      resources(name, 'aws_cloudwatch_metric_alarm').map((a) => String(a.alarm_name)),
    );
    for (const svc of env.services) {
      const published = stack.runtime.ecs.services.find((s) => s.name === svc.name)!.topology.alarms;
      expect(published.shared).toEqual(stack.sharedAlarms.sharedAlarmNames(svc.name));
      for (const alarm of [...published.blue, ...published.green, ...published.shared]) {
        expect(alarmNames.has(alarm)).toBe(true);
      }
    }
  });

  it('subscribes what the environment lists, and passes the guardrails', () => {
    const subs = resources(name, 'aws_sns_topic_subscription');
    expect(subs.map((s) => [s.protocol, s.endpoint])).toEqual(
      env.alarms.subscriptions.map((s) => [s.protocol, s.endpoint]),
    );
    expect(evaluateGuardrails(stack, { tier: env.tier }).errors).toEqual([]);
  });
});

test('prod lists a subscriber', () => {
  expect(config.all.find((e) => e.name === 'prod')!.alarms.subscriptions.length).toBeGreaterThan(0);
});

test('a prod stack built without subscribers (validation bypassed) fails guardrail SY-SNS-1', () => {
  const prod = config.all.find((e) => e.name === 'prod')!;
  const bare: EnvironmentConfig = { ...prod, alarms: { subscriptions: [] } };
  const stack = new PlatformStack(Testing.app(), { config: bare });
  expect(evaluateGuardrails(stack, { tier: 'prod' }).errors.map((f) => `${f.ruleId} ${f.path}`)).toEqual([
    'SY-SNS-1 prod/alarms/topic',
  ]);
});

test('the README states the alarm windows against the bakes the tiers really use', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const header = readme.split('\n').find((l) => l.startsWith('| alarm | ALARM after |'));
  expect(header).toBeDefined();
  for (const tier of ['dev', 'staging', 'prod'] as const) {
    const { bakeSeconds, finalBakeSeconds } = serviceDefaults(tier).deploy as Record<string, number>;
    const final = finalBakeSeconds === 0 ? 'final 0' : `final ${finalBakeSeconds} s`;
    expect(header).toMatch(new RegExp(`${tier} \\((bake )?${bakeSeconds} s, ${final}\\)`));
  }
});
