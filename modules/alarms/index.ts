import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Construct } from 'constructs';
import { partitionOf } from '../vpc/partition';

export interface AlarmTopicProps {
  /** Project name, first part of the topic name. @default 'switchyard' */
  readonly project?: string;
  /** Environment name. Required. */
  readonly environment: string;
  /** 12-digit account of the environment (key policy principal and `aws:SourceAccount`). Required unless kmsMasterKeyId is given. */
  readonly accountId?: string;
  /** Region of the environment (decides the ARN partition). @default 'eu-west-1' (partition `aws`) */
  readonly region?: string;
  /**
   * An existing customer-managed KMS key (id, ARN or alias) for the topic. Its policy must let
   * `cloudwatch.amazonaws.com` use kms:Decrypt and kms:GenerateDataKey*. Never `alias/aws/sns`: the
   * AWS-managed key's policy cannot grant CloudWatch, so alarms could not publish.
   * @default undefined (a customer-managed key `alias/<project>-<env>-alarms` with rotation is created)
   */
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
  /** The key created for the topic (absent when kmsMasterKeyId was given). */
  readonly kmsKey?: KmsKey;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    if (!/^[a-z][a-z0-9-]*$/.test(props.environment)) {
      throw new Error(`AlarmTopic ${id}: environment "${props.environment}" must match [a-z][a-z0-9-]*`);
    }
    this.topicName = `${props.project ?? 'switchyard'}-${props.environment}-alarms`;
    if (props.kmsMasterKeyId !== undefined && /^alias\/aws\//.test(props.kmsMasterKeyId)) {
      throw new Error(
        `AlarmTopic ${id}: kmsMasterKeyId "${props.kmsMasterKeyId}" is an AWS-managed key; CloudWatch alarms cannot publish to a topic encrypted with it. Omit kmsMasterKeyId (a customer-managed key is created) or give a customer-managed key`,
      );
    }
    let keyId = props.kmsMasterKeyId;
    if (keyId === undefined) {
      if (props.accountId === undefined || !/^\d{12}$/.test(props.accountId)) {
        throw new Error(
          `AlarmTopic ${id}: accountId must be a 12-digit account id to create the topic's KMS key (got ${JSON.stringify(props.accountId)})`,
        );
      }
      this.kmsKey = new KmsKey(this, 'key', {
        description: `${this.topicName}: SNS topic encryption (CloudWatch alarms publish with it)`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: alarmTopicKeyPolicy(props.accountId, partitionOf(props.region ?? 'eu-west-1')),
      });
      new KmsAlias(this, 'key-alias', { name: `alias/${this.topicName}`, targetKeyId: this.kmsKey.keyId });
      keyId = this.kmsKey.arn;
    }
    this.topic = new SnsTopic(this, 'topic', { name: this.topicName, kmsMasterKeyId: keyId });
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

/**
 * Key policy of the alarm topic's key: the account administers it (IAM policies decide who else may),
 * CloudWatch may encrypt messages for the topic on behalf of this account only.
 */
export function alarmTopicKeyPolicy(accountId: string, partition: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AccountAdministers',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
      },
    ],
  });
}
