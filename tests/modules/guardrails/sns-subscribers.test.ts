import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import type { TerraformStack } from 'cdktf';
import { evaluate, findingsOf } from './build';

function topicWithAlarm(s: TerraformStack, action: (t: SnsTopic) => string = (t) => t.arn): SnsTopic {
  const topic = new SnsTopic(s, 'alarms', { name: 'switchyard-prod-alarms' });
  new CloudwatchMetricAlarm(s, 'cpu', {
    alarmName: 'cpu',
    comparisonOperator: 'GreaterThanThreshold',
    evaluationPeriods: 1,
    threshold: 80,
    namespace: 'AWS/RDS',
    metricName: 'CPUUtilization',
    period: 60,
    statistic: 'Average',
    alarmActions: [action(topic)],
  });
  return topic;
}

describe('SY-SNS-1 prod alarm topics have a subscriber', () => {
  it('fails a prod topic that alarms notify and nobody subscribes to', () => {
    expect(
      findingsOf(
        evaluate((s) => topicWithAlarm(s), 'prod'),
        'SY-SNS-1',
      ),
    ).toEqual([
      'prod/alarms: prod alarm topic notified by 1 alarm(s) has no subscription: add alarms.subscriptions to the environment',
    ]);
    // Also when the alarm names the topic by a literal ARN.
    const literal = (s: TerraformStack) =>
      topicWithAlarm(s, () => 'arn:aws:sns:eu-west-1:123456789012:switchyard-prod-alarms');
    expect(findingsOf(evaluate(literal, 'prod'), 'SY-SNS-1')).toHaveLength(1);
  });

  it('passes with a subscription, outside prod, and for topics no alarm notifies', () => {
    const subscribed = (s: TerraformStack) => {
      const topic = topicWithAlarm(s);
      new SnsTopicSubscription(s, 'oncall', {
        topicArn: topic.arn,
        protocol: 'email',
        endpoint: 'oncall@example.com',
      });
    };
    expect(findingsOf(evaluate(subscribed, 'prod'), 'SY-SNS-1')).toEqual([]);
    expect(
      findingsOf(
        evaluate((s) => topicWithAlarm(s), 'staging'),
        'SY-SNS-1',
      ),
    ).toEqual([]);
    expect(
      findingsOf(
        evaluate((s) => new SnsTopic(s, 'events', { name: 'events' }), 'prod'),
        'SY-SNS-1',
      ),
    ).toEqual([]);
  });

  it('does not count a subscription to another topic', () => {
    const elsewhere = (s: TerraformStack) => {
      topicWithAlarm(s);
      const other = new SnsTopic(s, 'other', { name: 'other' });
      new SnsTopicSubscription(s, 'oncall', {
        topicArn: other.arn,
        protocol: 'email',
        endpoint: 'oncall@example.com',
      });
    };
    expect(findingsOf(evaluate(elsewhere, 'prod'), 'SY-SNS-1')).toEqual([
      'prod/alarms: prod alarm topic notified by 1 alarm(s) has no subscription: add alarms.subscriptions to the environment',
    ]);
  });
});
