/**
 * Who an environment's alarm topic notifies: pure validation shared by the environment schema
 * (`alarms.subscriptions` in environments/<env>.yaml) and the AlarmTopic construct.
 *
 * AWS (SNS Subscribe): "If the endpoint type is HTTP/S or email, or if the endpoint and the topic are not
 * in the same Amazon Web Services account, the endpoint owner must run the ConfirmSubscription action to
 * confirm the subscription" — an e-mail subscription receives nothing until its owner clicks the link in
 * the confirmation mail; an HTTPS endpoint must answer SNS's SubscriptionConfirmation request.
 * Terraform (aws_sns_topic_subscription): e-mail and HTTP(S) are "partially supported": an unconfirmed
 * subscription cannot be deleted by Terraform (destroy only drops it from the state).
 */

/** Protocols an alarm subscription may use. Plain `http` is refused: alarm contents would travel unencrypted. */
export const SUBSCRIPTION_PROTOCOLS = ['email', 'https'] as const;
export type SubscriptionProtocol = (typeof SUBSCRIPTION_PROTOCOLS)[number];

export interface AlarmSubscription {
  /** `email` (SMTP; needs a click on the confirmation link) or `https` (SNS POSTs JSON to the endpoint). */
  readonly protocol: SubscriptionProtocol;
  /** E-mail address, or `https://` URL. */
  readonly endpoint: string;
  /**
   * https only: the endpoint confirms the subscription by itself (it fetches the SubscribeURL of SNS's
   * confirmation request); Terraform then waits for the confirmed subscription. @default false
   */
  readonly autoConfirms?: boolean;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** Query parameters that carry credentials: they would land in the Terraform state and the plan output. */
const SECRET_PARAM = /(token|key|secret|passw|pwd|sig|auth|credential|code)/i;

/** What is wrong with an e-mail endpoint, or undefined. */
export function emailEndpointProblem(endpoint: string): string | undefined {
  return EMAIL.test(endpoint) ? undefined : 'must be an e-mail address';
}

/** What is wrong with an HTTPS endpoint, or undefined. */
export function httpsEndpointProblem(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'must be an https:// URL';
  }
  if (url.protocol !== 'https:') {
    return 'must be an https:// URL (SNS would send alarm contents over plain HTTP otherwise)';
  }
  if (url.username || url.password) {
    return 'must not carry credentials (user:password@): the endpoint is stored in the Terraform state and shown in plans; authenticate SNS by verifying its message signature instead';
  }
  const secret = [...url.searchParams.keys()].find((k) => SECRET_PARAM.test(k));
  if (secret !== undefined) {
    return `must not carry a credential in the query ("${secret}="): the endpoint is stored in the Terraform state and shown in plans; authenticate SNS by verifying its message signature instead`;
  }
  return undefined;
}

/** What is wrong with one subscription's endpoint for its protocol, or undefined. */
export function endpointProblem(subscription: AlarmSubscription): string | undefined {
  return subscription.protocol === 'email'
    ? emailEndpointProblem(subscription.endpoint)
    : httpsEndpointProblem(subscription.endpoint);
}

/** Identity of a subscription: SNS returns the same subscription for the same protocol and endpoint. */
export function subscriptionKey(subscription: AlarmSubscription): string {
  const endpoint =
    subscription.protocol === 'email'
      ? subscription.endpoint.trim().toLowerCase()
      : subscription.endpoint.trim();
  return `${subscription.protocol}:${endpoint}`;
}

/** Indexes of subscriptions that repeat an earlier one (same protocol and endpoint), with that index. */
export function duplicateSubscriptions(
  subscriptions: readonly AlarmSubscription[],
): { readonly index: number; readonly firstIndex: number }[] {
  const seen = new Map<string, number>();
  const out: { index: number; firstIndex: number }[] = [];
  subscriptions.forEach((s, index) => {
    const key = subscriptionKey(s);
    const firstIndex = seen.get(key);
    if (firstIndex === undefined) seen.set(key, index);
    else out.push({ index, firstIndex });
  });
  return out;
}
