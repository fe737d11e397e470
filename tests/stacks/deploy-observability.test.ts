/**
 * The environment YAML → topology path of issue 13's deployer settings: response-gate thresholds by tier
 * (overridable per service), and deploy notifications (the alarm topic; a webhook only by the NAME of the
 * variable holding its URL — a URL in the YAML is refused).
 */
import { Testing } from 'cdktf';
import type { EnvironmentConfig } from '../../environments/schema';
import { parseTopology } from '../../services/topology';
import { buildRuntime } from '../../stacks/runtime';
import { problemsOf, resolved, validDoc } from '../environments/fixtures';
import { FAKE_VPC, newStack } from '../helpers/stack';

Testing.setupJest();

function topologyOf(config: EnvironmentConfig) {
  const { stack } = newStack(config.name);
  const runtime = buildRuntime(stack, config, FAKE_VPC);
  const svc = runtime.ecs.services[0]!;
  return { topology: parseTopology(svc.topology, 'synth'), maxBytes: svc.topologyMaxBytes, runtime };
}

describe('response gates by tier', () => {
  test.each([
    ['dev', 5, 3],
    ['staging', 3, 2],
    ['prod', 2, 1.5],
  ] as const)('%s: p99 ceiling %ss, baseline × %s, connection errors ≤ 1 %%', (tier, ceiling, factor) => {
    const { topology } = topologyOf(resolved(validDoc(tier), tier));
    expect(topology.deployment).toMatchObject({
      maxP99LatencySeconds: ceiling,
      p99BaselineFactor: factor,
      minLatencySampleRequests: 200,
      maxConnectionErrorRatio: 0.01,
    });
  });

  test('a service overrides them in its deploy: section (0 turns the latency gate off)', () => {
    const doc = validDoc('prod');
    (doc.services as Record<string, unknown>[])[0]!.deploy = {
      maxP99LatencySeconds: 0,
      maxConnectionErrorRatio: 0.05,
    };
    const { topology } = topologyOf(resolved(doc));
    expect(topology.deployment).toMatchObject({ maxP99LatencySeconds: 0, maxConnectionErrorRatio: 0.05 });
  });

  test('bad thresholds are refused with the field named', () => {
    const doc = validDoc('prod');
    (doc.services as Record<string, unknown>[])[0]!.deploy = {
      p99BaselineFactor: 0.5,
      maxConnectionErrorRatio: 2,
    };
    const problems = problemsOf(doc).join('\n');
    expect(problems).toMatch(/services\[0\]\.deploy\.p99BaselineFactor: must be at least 1 \(got 0\.5\)/);
    expect(problems).toMatch(/services\[0\]\.deploy\.maxConnectionErrorRatio: /);
  });
});

describe('deploy notifications', () => {
  test('off by default: no notifications in the topology', () => {
    expect(topologyOf(resolved(validDoc('dev'), 'dev')).topology.notifications).toBeUndefined();
  });

  test("sns: true publishes the environment's alarm topic; a webhook by variable name; the events chosen", () => {
    const doc = {
      ...validDoc('prod'),
      notifications: { sns: true, webhookUrlEnv: 'SLACK_WEBHOOK_URL', events: ['rollback', 'failure'] },
    };
    const { topology, runtime, maxBytes } = topologyOf(resolved(doc));
    expect(topology.notifications).toEqual({
      snsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:switchyard-prod-alarms',
      webhookUrlEnv: 'SLACK_WEBHOOK_URL',
      events: ['rollback', 'failure'],
    });
    // the ARN names the topic the stack creates (built from names, so the document's size is exact)
    expect(topology.notifications?.snsTopicArn?.endsWith(`:${runtime.alarms.topicName}`)).toBe(true);
    expect(maxBytes).toBeLessThanOrEqual(4096); // still a Standard SSM parameter
  });

  test('a webhook URL in the YAML is refused, naming what to do instead', () => {
    const problems = problemsOf({
      ...validDoc('prod'),
      notifications: { sns: true, webhookUrl: 'https://hooks.slack.com/services/T/B/SECRET' },
    }).join('\n');
    expect(problems).toMatch(
      /notifications\.webhookUrl: a webhook URL is a secret and must not be in the YAML: store it as a GitHub Environment secret/,
    );
    expect(
      problemsOf({ ...validDoc('prod'), notifications: { webhookUrlEnv: 'https://x' } }).join('\n'),
    ).toMatch(/notifications\.webhookUrlEnv: must be an environment variable name/);
  });
});
