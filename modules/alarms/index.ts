import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** Project name, first part of the topic name. @default 'switchyard' */
  readonly project?: string;
  /** Environment name. Required. */
  readonly environment: string;
  /** KMS key (id, ARN or alias) encrypting the topic. @default 'alias/aws/sns' (AWS-managed key) */
  readonly kmsMasterKeyId?: string;
  /** E-mail address subscribed to the topic (`alarms.snsEmail`; AWS sends a confirmation mail). @default undefined */
  readonly email?: string;
}

/**
 * The one SNS topic of an environment that every alarm (services, database, cache) notifies.
 * Subscriptions (e-mail, chat) are added outside Terraform or by the platform stack.
 */
export class AlarmTopic extends Construct {
  readonly topic: SnsTopic;
  readonly topicArn: string;
  readonly topicName: string;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    if (!/^[a-z][a-z0-9-]*$/.test(props.environment)) {
      throw new Error(`AlarmTopic ${id}: environment "${props.environment}" must match [a-z][a-z0-9-]*`);
    }
    this.topicName = `${props.project ?? 'switchyard'}-${props.environment}-alarms`;
    this.topic = new SnsTopic(this, 'topic', {
      name: this.topicName,
      kmsMasterKeyId: props.kmsMasterKeyId ?? 'alias/aws/sns',
    });
    this.topicArn = this.topic.arn;
    if (props.email !== undefined) {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.email)) {
        throw new Error(`AlarmTopic ${id}: email "${props.email}" is not an e-mail address`);
      }
      new SnsTopicSubscription(this, 'email', {
        topicArn: this.topic.arn,
        protocol: 'email',
        endpoint: props.email,
      });
    }
  }
}

/** Settings shared by every alarm a module creates. */
export interface AlarmSettings {
  /** SNS topic ARN for ALARM and OK notifications. @default undefined (no alarms are created) */
  readonly topicArn?: string;
}
