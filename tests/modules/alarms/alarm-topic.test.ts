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
      email: 'oncall@example.com',
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

  it('creates no subscription without an e-mail', () => {
    const { stack } = newStack();
    new AlarmTopic(stack, 'alarms', { environment: 'dev', accountId: FAKE_ACCOUNT });
    expect(listOf(synth(stack), 'aws_sns_topic_subscription')).toHaveLength(0);
  });

  it('refuses a malformed e-mail', () => {
    const { stack } = newStack();
    expect(
      () =>
        new AlarmTopic(stack, 'alarms', {
          environment: 'dev',
          accountId: FAKE_ACCOUNT,
          email: 'not-an-address',
        }),
    ).toThrow(/email "not-an-address" is not an e-mail address/);
  });
});
