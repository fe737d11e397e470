import { asArray, referencedLogicalId, resourcesOfType } from '../config';
import type { GuardrailRule, ResourceView } from '../types';

/** Whether `value` designates the topic: a reference to its arn/id, or a literal ARN ending in its name. */
function pointsAt(value: unknown, topic: ResourceView): boolean {
  if (referencedLogicalId(value, 'aws_sns_topic', ['arn', 'id']) === topic.logicalId) return true;
  const name = topic.config.name;
  return (
    typeof name === 'string' &&
    typeof value === 'string' &&
    /^arn:aws[a-z-]*:sns:/.test(value) &&
    value.endsWith(`:${name}`)
  );
}

export const snsProdAlarmSubscribers: GuardrailRule = {
  id: 'SY-SNS-1',
  severity: 'error',
  title: 'prod alarm topics have at least one subscriber',
  explanation:
    'An SNS topic that CloudWatch alarms notify but nobody subscribes to turns every prod alarm into a silent ' +
    'state change: the outage is noticed by customers first. List at least one subscriber in ' +
    '`alarms.subscriptions` (e-mail or HTTPS) and confirm it after the first apply (AWS sends a confirmation ' +
    'mail or request; nothing is delivered before). Only checked when the tier is prod, and only for topics ' +
    'that an alarm in the stack notifies.',
  appliesTo: ['aws_sns_topic'],
  contextTypes: ['aws_cloudwatch_metric_alarm', 'aws_sns_topic_subscription'],
  check: (topic, context) => {
    if (context.tier !== 'prod') return [];
    const alarms = resourcesOfType(context, 'aws_cloudwatch_metric_alarm').filter((a) =>
      [...asArray(a.config.alarm_actions), ...asArray(a.config.ok_actions)].some((v) => pointsAt(v, topic)),
    );
    if (alarms.length === 0) return [];
    const subscribers = resourcesOfType(context, 'aws_sns_topic_subscription').filter((s) =>
      pointsAt(s.config.topic_arn, topic),
    );
    return subscribers.length > 0
      ? []
      : [
          `prod alarm topic notified by ${alarms.length} alarm(s) has no subscription: add alarms.subscriptions to the environment`,
        ];
  },
};
