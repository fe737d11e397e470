import { Testing } from 'cdktf';
import { AlarmTopic } from '../../../modules/alarms';
import { FAKE_ACCOUNT, listOf, newStack, resourcesOf, synth } from '../../helpers/stack';

Testing.setupJest();

interface KeyStatement {
  Sid: string;
  Principal: { AWS?: string; Service?: string };
  Action: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

describe('AlarmTopic', () => {
  it('encrypts the topic with its own customer-managed key that CloudWatch may use', () => {
    const { stack } = newStack();
    new AlarmTopic(stack, 'alarms', {
      environment: 'prod',
      accountId: FAKE_ACCOUNT,
      region: 'eu-west-1',
      subscriptions: [{ protocol: 'email', endpoint: 'oncall@example.com' }],
    });
    const out = synth(stack);
    const keys = resourcesOf(out, 'aws_kms_key');
    expect(Object.keys(keys)).toHaveLength(1);
    const [keyId, key] = Object.entries(keys)[0]!;
    expect(key).toMatchObject({ enable_key_rotation: true });
    const topics = listOf(out, 'aws_sns_topic');
    expect(topics).toEqual([
      { name: 'switchyard-prod-alarms', kms_master_key_id: `\${aws_kms_key.${keyId}.arn}` },
    ]);
    expect(JSON.stringify(topics)).not.toContain('alias/aws/sns');

    const statements = JSON.parse(key.policy as string).Statement as KeyStatement[];
    const cw = statements.find((st) => st.Principal.Service === 'cloudwatch.amazonaws.com');
    expect(cw).toMatchObject({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: { StringEquals: { 'aws:SourceAccount': FAKE_ACCOUNT } },
    });
    expect(statements.find((st) => st.Principal.AWS === `arn:aws:iam::${FAKE_ACCOUNT}:root`)).toBeDefined();
    expect(listOf(out, 'aws_kms_alias')).toEqual([
      expect.objectContaining({ name: 'alias/switchyard-prod-alarms' }),
    ]);
    expect(listOf(out, 'aws_sns_topic_subscription')).toEqual([
      expect.objectContaining({ protocol: 'email', endpoint: 'oncall@example.com' }),
    ]);
  });

  it('uses the partition of the region in the key policy', () => {
    const { stack } = newStack();
    new AlarmTopic(stack, 'alarms', { environment: 'dev', accountId: FAKE_ACCOUNT, region: 'cn-north-1' });
    const key = listOf(synth(stack), 'aws_kms_key')[0]!;
    expect(key.policy).toContain(`arn:aws-cn:iam::${FAKE_ACCOUNT}:root`);
  });

  it('refuses the AWS-managed SNS key, which CloudWatch cannot use', () => {
    const { stack } = newStack();
    expect(
      () => new AlarmTopic(stack, 'alarms', { environment: 'dev', kmsMasterKeyId: 'alias/aws/sns' }),
    ).toThrow(/AWS-managed key; CloudWatch alarms cannot publish/);
  });

  it('needs the account id to create its key', () => {
    const { stack } = newStack();
    expect(() => new AlarmTopic(stack, 'alarms', { environment: 'dev' })).toThrow(
      /accountId must be a 12-digit account id/,
    );
  });

  it('creates no subscription without subscribers', () => {
    const { stack } = newStack();
    new AlarmTopic(stack, 'alarms', { environment: 'dev', accountId: FAKE_ACCOUNT });
    expect(listOf(synth(stack), 'aws_sns_topic_subscription')).toHaveLength(0);
  });

  it('subscribes e-mail addresses and HTTPS endpoints, HTTPS auto-confirmation only when declared', () => {
    const { stack } = newStack();
    new AlarmTopic(stack, 'alarms', {
      environment: 'prod',
      accountId: FAKE_ACCOUNT,
      subscriptions: [
        { protocol: 'email', endpoint: 'oncall@example.com' },
        { protocol: 'https', endpoint: 'https://alerts.example.com/sns', autoConfirms: true },
        { protocol: 'https', endpoint: 'https://hooks.example.org/aws' },
      ],
    });
    const subs = listOf(synth(stack), 'aws_sns_topic_subscription');
    const rows = subs.map((s) => [s.protocol, s.endpoint, s.endpoint_auto_confirms]);
    expect(rows.sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
      ['https', 'https://alerts.example.com/sns', true],
      ['https', 'https://hooks.example.org/aws', false],
      ['email', 'oncall@example.com', undefined],
    ]);
    for (const s of subs) expect(s.topic_arn).toMatch(/^\$\{aws_sns_topic\.[A-Za-z0-9_]+\.arn\}$/);
  });

  it("keeps each subscription's identity when the list is reordered (no new confirmation mail)", () => {
    const ids = (order: string[]) => {
      const { stack } = newStack();
      new AlarmTopic(stack, 'alarms', {
        environment: 'prod',
        accountId: FAKE_ACCOUNT,
        subscriptions: order.map((endpoint) => ({ protocol: 'email' as const, endpoint })),
      });
      const subs = resourcesOf(synth(stack), 'aws_sns_topic_subscription');
      return Object.fromEntries(Object.entries(subs).map(([id, s]) => [s.endpoint as string, id]));
    };
    expect(ids(['a@example.com', 'b@example.com'])).toEqual(ids(['b@example.com', 'a@example.com']));
  });

  it('refuses malformed, plain-HTTP, credential-carrying and repeated subscriptions, listing each', () => {
    const { stack } = newStack();
    expect(
      () =>
        new AlarmTopic(stack, 'alarms', {
          environment: 'dev',
          accountId: FAKE_ACCOUNT,
          subscriptions: [
            { protocol: 'email', endpoint: 'not-an-address' },
            { protocol: 'https', endpoint: 'http://alerts.example.com/sns' },
            { protocol: 'https', endpoint: 'https://user:pw@alerts.example.com/sns' },
            { protocol: 'https', endpoint: 'https://alerts.example.com/sns?token=abc' },
            { protocol: 'email', endpoint: 'oncall@example.com' },
            { protocol: 'email', endpoint: 'OnCall@example.com' },
            { protocol: 'email', endpoint: 'x@example.com', autoConfirms: true },
          ],
        }),
    ).toThrow(
      new RegExp(
        [
          'subscriptions\\[0\\]\\.endpoint: must be an e-mail address',
          'subscriptions\\[1\\]\\.endpoint: must be an https:// URL \\(SNS would send alarm contents over plain HTTP',
          'subscriptions\\[2\\]\\.endpoint: must not carry credentials',
          'subscriptions\\[3\\]\\.endpoint: must not carry a credential in the query \\("token="\\)',
          'subscriptions\\[6\\]\\.autoConfirms: only applies to https endpoints',
          'subscriptions\\[5\\]: repeats subscriptions\\[4\\]',
        ].join('[\\s\\S]*'),
      ),
    );
  });
});
