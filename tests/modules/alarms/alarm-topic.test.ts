import { Testing } from 'cdktf';
import { AlarmTopic } from '../../../modules/alarms';
import { listOf, newStack, synth } from '../../helpers/stack';

Testing.setupJest();

describe('AlarmTopic', () => {
  it('creates one encrypted topic per environment with an optional e-mail subscription', () => {
    const { stack } = newStack();
    new AlarmTopic(stack, 'alarms', { environment: 'prod', email: 'oncall@example.com' });
    const out = synth(stack);
    expect(listOf(out, 'aws_sns_topic')).toEqual([
      { name: 'switchyard-prod-alarms', kms_master_key_id: 'alias/aws/sns' },
    ]);
    expect(listOf(out, 'aws_sns_topic_subscription')).toEqual([
      expect.objectContaining({ protocol: 'email', endpoint: 'oncall@example.com' }),
    ]);
  });

  it('creates no subscription without an e-mail', () => {
    const { stack } = newStack();
    new AlarmTopic(stack, 'alarms', { environment: 'dev' });
    expect(listOf(synth(stack), 'aws_sns_topic_subscription')).toHaveLength(0);
  });

  it('refuses a malformed e-mail', () => {
    const { stack } = newStack();
    expect(() => new AlarmTopic(stack, 'alarms', { environment: 'dev', email: 'not-an-address' })).toThrow(
      /email "not-an-address" is not an e-mail address/,
    );
  });
});
