/**
 * The environment's SNS topic as a notification channel (observers/notifications.ts): one Publish per
 * notification with a plain-text `Message` (e-mail subscribers read it as is; HTTPS subscribers get it in
 * SNS's JSON envelope), a `Subject` (e-mail subject line) and message attributes `event`, `environment`
 * and `service` for subscription filter policies.
 *
 * IAM: `sns:Publish` on the topic; the topic is encrypted with a customer-managed key, and AWS requires a
 * publisher to an encrypted topic to hold `kms:GenerateDataKey*` and `kms:Decrypt` on it (SNS docs, "Key
 * management") — both granted to the release role in adapters/permissions.ts (`notification-topic`,
 * `notification-topic-key`).
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  type NotificationChannel,
  type NotificationMessage,
  snsMessage,
  snsSubject,
} from '../observers/notifications';
import { type AwsClientOptions, build } from './clients';
import { aws } from './errors';

/** The SNS client (loaded only when a topology names a topic): same region, retries, timeouts as the others. */
export const createSnsClient = (o?: AwsClientOptions) => build(SNSClient, o);

export function snsChannel(client: SNSClient, topicArn: string): NotificationChannel {
  return {
    label: `SNS topic ${topicArn}`,
    async send(m: NotificationMessage, signal: AbortSignal) {
      await aws(`SNS Publish ${topicArn}`, () =>
        client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: snsSubject(m),
            Message: snsMessage(m),
            MessageAttributes: {
              event: { DataType: 'String', StringValue: m.event },
              environment: { DataType: 'String', StringValue: m.environment },
              service: { DataType: 'String', StringValue: m.service },
            },
          }),
          { abortSignal: signal },
        ),
      );
    },
  };
}
