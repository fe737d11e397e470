import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { partitionOf } from '../vpc/partition';
import {
  type AlarmSubscription,
  duplicateSubscriptions,
  endpointProblem,
  SUBSCRIPTION_PROTOCOLS,
  subscriptionKey,
} from './subscriptions';

export * from './subscriptions';
export {
  loadBalancer5xxAlarmName,
  noHealthyHostsAlarmName,
  SharedAlarms,
  type SharedAlarmService,
  type SharedAlarmsProps,
  sharedAlarmNamesOf,
} from './shared';

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
  /**
   * Who the topic notifies (`alarms.subscriptions`): e-mail addresses and HTTPS endpoints. Each must be
   * confirmed by its owner before it receives anything (AWS sends a confirmation mail / request).
   * @default [] (nobody is notified; prod refuses that in validation and guardrail SY-SNS-1)
   */
  readonly subscriptions?: readonly AlarmSubscription[];
}

/**
 * The one SNS topic of an environment that every alarm (services, database, cache, shared) notifies,
 * encrypted with a customer-managed key CloudWatch may use, and its subscriptions (e-mail, HTTPS).
 *
 * The topic keeps SNS's default access policy: it lets the owning account publish and subscribe, which
 * covers this account's CloudWatch alarms and the subscriptions Terraform creates. Delivery to e-mail and
 * HTTPS needs no key grant (SNS decrypts before delivering); publishers need kms:GenerateDataKey* and
 * kms:Decrypt on the key (AWS, SNS "Key management"), granted to cloudwatch.amazonaws.com below.
 */
export class AlarmTopic extends Construct {
  readonly topic: SnsTopic;
  readonly topicArn: string;
  readonly topicName: string;
  /** One per configured subscription, in configuration order. */
  readonly subscriptions: readonly SnsTopicSubscription[];
  /** The key created for the topic (absent when kmsMasterKeyId was given). */
  readonly kmsKey?: KmsKey;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    if (!/^[a-z][a-z0-9-]*$/.test(props.environment)) {
      throw new Error(`AlarmTopic ${id}: environment "${props.environment}" must match [a-z][a-z0-9-]*`);
    }
    this.topicName = `${props.project ?? 'switchyard'}-${props.environment}-alarms`;
    const subscriptionProblems = subscriptionListProblems(props.subscriptions ?? []);
    if (subscriptionProblems.length > 0) {
      throw new Error(`AlarmTopic ${id}: invalid subscriptions:\n  ${subscriptionProblems.join('\n  ')}`);
    }
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
    this.subscriptions = (props.subscriptions ?? []).map(
      (sub) =>
        // The id follows the subscription, not its position: reordering the list changes nothing, so a
        // confirmed e-mail subscription is never destroyed and re-created (a new confirmation mail).
        new SnsTopicSubscription(this, `subscription-${sub.protocol}-${shortHash(subscriptionKey(sub))}`, {
          topicArn: this.topic.arn,
          protocol: sub.protocol,
          endpoint: sub.endpoint,
          ...(sub.protocol === 'https' ? { endpointAutoConfirms: sub.autoConfirms ?? false } : {}),
        }),
    );
  }
}

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 10);
}

/** Problems of a subscription list, one line each (protocol, endpoint, duplicates). */
export function subscriptionListProblems(subscriptions: readonly AlarmSubscription[]): string[] {
  const problems: string[] = [];
  subscriptions.forEach((sub, i) => {
    if (!(SUBSCRIPTION_PROTOCOLS as readonly string[]).includes(sub.protocol)) {
      problems.push(
        `subscriptions[${i}].protocol: must be ${SUBSCRIPTION_PROTOCOLS.join(' or ')} (got ${JSON.stringify(sub.protocol)})`,
      );
      return;
    }
    const problem = endpointProblem(sub);
    if (problem)
      problems.push(`subscriptions[${i}].endpoint: ${problem} (got ${JSON.stringify(sub.endpoint)})`);
    if (sub.autoConfirms !== undefined && sub.protocol !== 'https') {
      problems.push(`subscriptions[${i}].autoConfirms: only applies to https endpoints`);
    }
  });
  for (const d of duplicateSubscriptions(subscriptions)) {
    problems.push(
      `subscriptions[${d.index}]: repeats subscriptions[${d.firstIndex}] (SNS keeps one subscription per endpoint)`,
    );
  }
  return problems;
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
