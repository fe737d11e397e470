import {
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ModifyRuleCommand,
  type Rule,
  RuleNotFoundException,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsLoadBalancerAdapter } from '../../../services/deployer/src/adapters/elbv2';
import { PortError } from '../../../services/deployer/src/ports';
import { sdkError } from './fixtures/sdk-error';

const client = new ElasticLoadBalancingV2Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
});
const elb = mockClient(client);

const RULE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/sy-dev/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const BLUE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/sy-dev-api-blue/73e2d6bc24d8a067';
const GREEN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/sy-dev-api-green/2453ed029918f21f';
const STICKINESS = { Enabled: true, DurationSeconds: 300 };
const OIDC = {
  Type: 'authenticate-oidc' as const,
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp.example.com',
    AuthorizationEndpoint: 'https://idp.example.com/authorize',
    TokenEndpoint: 'https://idp.example.com/token',
    UserInfoEndpoint: 'https://idp.example.com/userinfo',
    ClientId: 'switchyard',
  },
};

/** The OIDC action as ModifyRule must resend it: DescribeRules omits the secret, so AWS must reuse its own. */
const OIDC_RESENT = {
  ...OIDC,
  AuthenticateOidcConfig: { ...OIDC.AuthenticateOidcConfig, UseExistingClientSecret: true },
};

function rule(blue: number, green: number, extra: Partial<Rule> = {}): Rule {
  return {
    RuleArn: RULE,
    Priority: '10',
    Conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
    Actions: [
      OIDC,
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: BLUE, Weight: blue },
            { TargetGroupArn: GREEN, Weight: green },
          ],
          TargetGroupStickinessConfig: STICKINESS,
        },
      },
    ],
    IsDefault: false,
    ...extra,
  };
}

let adapter: AwsLoadBalancerAdapter;
beforeEach(() => {
  elb.reset();
  adapter = new AwsLoadBalancerAdapter(client);
});

describe('getRuleWeights', () => {
  it('reads the forward weights with one DescribeRules', async () => {
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule(100, 0)] });
    await expect(adapter.getRuleWeights(RULE)).resolves.toEqual([
      { targetGroupArn: BLUE, weight: 100 },
      { targetGroupArn: GREEN, weight: 0 },
    ]);
    expect(elb.commandCalls(DescribeRulesCommand).map((c) => c.args[0].input)).toEqual([
      { RuleArns: [RULE] },
    ]);
  });

  it('handles a legacy forward action that only names TargetGroupArn', async () => {
    elb
      .on(DescribeRulesCommand)
      .resolves({ Rules: [{ RuleArn: RULE, Actions: [{ Type: 'forward', TargetGroupArn: GREEN }] }] });
    await expect(adapter.getRuleWeights(RULE)).resolves.toEqual([{ targetGroupArn: GREEN, weight: 1 }]);
  });

  it('refuses a rule without a forward action', async () => {
    elb.on(DescribeRulesCommand).resolves({
      Rules: [
        { RuleArn: RULE, Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }] },
      ],
    });
    await expect(adapter.getRuleWeights(RULE)).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('maps RuleNotFound to not-found', async () => {
    elb
      .on(DescribeRulesCommand)
      .rejects(new RuleNotFoundException({ message: 'One or more rules not found', $metadata: {} }));
    const err = await adapter.getRuleWeights(RULE).catch((e) => e);
    expect(err).toBeInstanceOf(PortError);
    expect(err.kind).toBe('not-found');
    expect(err.message).toContain(RULE);
  });
});

describe('setRuleWeights', () => {
  it('sends one ModifyRule whose forward action carries the weights, keeping stickiness and other actions', async () => {
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule(100, 0)] });
    elb.on(ModifyRuleCommand).resolves({ Rules: [rule(90, 10)] });
    await adapter.getRuleWeights(RULE);
    await adapter.setRuleWeights(RULE, [
      { targetGroupArn: BLUE, weight: 90 },
      { targetGroupArn: GREEN, weight: 10 },
    ]);
    const calls = elb.commandCalls(ModifyRuleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      RuleArn: RULE,
      Actions: [
        OIDC_RESENT,
        {
          Type: 'forward',
          Order: 2,
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: BLUE, Weight: 90 },
              { TargetGroupArn: GREEN, Weight: 10 },
            ],
            TargetGroupStickinessConfig: STICKINESS,
          },
        },
      ],
    });
    // the rule is re-read right before the write even though it was read just before (no cached copy)
    expect(elb.commandCalls(DescribeRulesCommand)).toHaveLength(2);
  });

  it('writes on top of the rule as it is NOW: an action added since the last read is kept', async () => {
    const added = { Type: 'fixed-response' as const, Order: 3, FixedResponseConfig: { StatusCode: '503' } };
    elb
      .on(DescribeRulesCommand)
      .resolvesOnce({ Rules: [rule(100, 0)] })
      .resolves({ Rules: [{ ...rule(100, 0), Actions: [...(rule(100, 0).Actions ?? []), added] }] });
    elb.on(ModifyRuleCommand).resolves({});
    await adapter.getRuleWeights(RULE); // this process's earlier view (no fixed-response action)
    await adapter.setRuleWeights(RULE, [
      { targetGroupArn: BLUE, weight: 0 },
      { targetGroupArn: GREEN, weight: 100 },
    ]);
    expect(elb.commandCalls(ModifyRuleCommand)[0].args[0].input.Actions).toContainEqual(added);
  });

  it('reads the rule first when it has not seen it, and sends no stickiness when there was none', async () => {
    elb.on(DescribeRulesCommand).resolves({
      Rules: [{ RuleArn: RULE, Actions: [{ Type: 'forward', TargetGroupArn: BLUE }] }],
    });
    elb.on(ModifyRuleCommand).resolves({});
    await adapter.setRuleWeights(RULE, [
      { targetGroupArn: BLUE, weight: 0 },
      { targetGroupArn: GREEN, weight: 100 },
    ]);
    expect(elb.commandCalls(DescribeRulesCommand)).toHaveLength(1);
    expect(elb.commandCalls(ModifyRuleCommand)[0].args[0].input).toEqual({
      RuleArn: RULE,
      Actions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: BLUE, Weight: 0 },
              { TargetGroupArn: GREEN, Weight: 100 },
            ],
          },
        },
      ],
    });
  });

  it.each([
    [[{ targetGroupArn: BLUE, weight: 1000 }], /0\.\.999/],
    [[{ targetGroupArn: BLUE, weight: 12.5 }], /integer/],
    [[{ targetGroupArn: BLUE, weight: -1 }], /integer/],
    [[], /no target groups/],
    [
      [
        { targetGroupArn: BLUE, weight: 0 },
        { targetGroupArn: GREEN, weight: 0 },
      ],
      /all weights are 0/,
    ],
    [
      [
        { targetGroupArn: BLUE, weight: 50 },
        { targetGroupArn: BLUE, weight: 50 },
      ],
      /listed twice/,
    ],
  ])('refuses %j without calling AWS', async (weights, message) => {
    const err = await adapter.setRuleWeights(RULE, weights).catch((e) => e);
    expect(err).toBeInstanceOf(PortError);
    expect(err.kind).toBe('invalid');
    expect(err.message).toMatch(message);
    expect(elb.calls()).toHaveLength(0);
  });

  it('maps a throttled ModifyRule to throttled and re-reads the rule before the next write', async () => {
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule(100, 0)] });
    elb
      .on(ModifyRuleCommand)
      .rejectsOnce(sdkError('Throttling', 'Rate exceeded', 400, ElasticLoadBalancingV2ServiceException))
      .resolves({});
    await adapter.getRuleWeights(RULE);
    const weights = [
      { targetGroupArn: BLUE, weight: 0 },
      { targetGroupArn: GREEN, weight: 100 },
    ];
    await expect(adapter.setRuleWeights(RULE, weights)).rejects.toMatchObject({ kind: 'throttled' });
    await adapter.setRuleWeights(RULE, weights);
    expect(elb.commandCalls(DescribeRulesCommand)).toHaveLength(3); // 1 read + 1 before each write
    expect(elb.commandCalls(ModifyRuleCommand)).toHaveLength(2);
  });

  it('an authenticate-oidc action is resent with UseExistingClientSecret: true and no secret (DescribeRules omits it)', async () => {
    // what a real DescribeRules returns for a rule with OIDC authentication: every field but ClientSecret
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule(100, 0)] });
    elb.on(ModifyRuleCommand).resolves({});
    await adapter.setRuleWeights(RULE, [
      { targetGroupArn: BLUE, weight: 0 },
      { targetGroupArn: GREEN, weight: 100 },
    ]);
    const [oidc] = elb.commandCalls(ModifyRuleCommand)[0].args[0].input.Actions ?? [];
    expect(oidc).toEqual({
      Type: 'authenticate-oidc',
      Order: 1,
      AuthenticateOidcConfig: {
        Issuer: 'https://idp.example.com',
        AuthorizationEndpoint: 'https://idp.example.com/authorize',
        TokenEndpoint: 'https://idp.example.com/token',
        UserInfoEndpoint: 'https://idp.example.com/userinfo',
        ClientId: 'switchyard',
        UseExistingClientSecret: true,
      },
    });
    expect(oidc.AuthenticateOidcConfig).not.toHaveProperty('ClientSecret');
  });

  it('never forwards a client secret, even if one were reported', async () => {
    const leaked = {
      ...OIDC,
      AuthenticateOidcConfig: { ...OIDC.AuthenticateOidcConfig, ClientSecret: 'should-not-be-sent' },
    };
    elb
      .on(DescribeRulesCommand)
      .resolves({ Rules: [{ ...rule(100, 0), Actions: [leaked, rule(100, 0).Actions![1]] }] });
    elb.on(ModifyRuleCommand).resolves({});
    await adapter.setRuleWeights(RULE, [
      { targetGroupArn: BLUE, weight: 0 },
      { targetGroupArn: GREEN, weight: 100 },
    ]);
    expect(JSON.stringify(elb.commandCalls(ModifyRuleCommand)[0].args[0].input)).not.toContain(
      'should-not-be-sent',
    );
  });
});

describe('setRuleTarget', () => {
  it('points the rule at one target group with weight 1', async () => {
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule(1, 0)] });
    elb.on(ModifyRuleCommand).resolves({});
    await adapter.setRuleTarget(RULE, GREEN);
    expect(elb.commandCalls(ModifyRuleCommand)[0].args[0].input).toEqual({
      RuleArn: RULE,
      Actions: [
        OIDC_RESENT,
        {
          Type: 'forward',
          Order: 2,
          ForwardConfig: {
            TargetGroups: [{ TargetGroupArn: GREEN, Weight: 1 }],
            TargetGroupStickinessConfig: STICKINESS,
          },
        },
      ],
    });
  });
});

describe('describeTargetHealth', () => {
  it('sends the target group and maps states and reasons', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        {
          Target: { Id: '10.0.1.10', Port: 8080 },
          HealthCheckPort: '8080',
          TargetHealth: { State: 'healthy' },
        },
        {
          Target: { Id: '10.0.2.11', Port: 8080 },
          TargetHealth: {
            State: 'unhealthy',
            Reason: 'Target.ResponseCodeMismatch',
            Description: 'Health checks failed with these codes: [502]',
          },
        },
        {
          Target: { Id: '10.0.3.12', Port: 8080 },
          TargetHealth: { State: 'initial', Reason: 'Elb.RegistrationInProgress' },
        },
        { Target: { Id: '10.0.3.13', Port: 8080 }, TargetHealth: { State: 'unhealthy.draining' } },
      ],
    });
    await expect(adapter.describeTargetHealth(GREEN)).resolves.toEqual([
      { id: '10.0.1.10', port: 8080, state: 'healthy' },
      {
        id: '10.0.2.11',
        port: 8080,
        state: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch: Health checks failed with these codes: [502]',
      },
      { id: '10.0.3.12', port: 8080, state: 'initial', reason: 'Elb.RegistrationInProgress' },
      { id: '10.0.3.13', port: 8080, state: 'draining' },
    ]);
    expect(elb.commandCalls(DescribeTargetHealthCommand).map((c) => c.args[0].input)).toEqual([
      { TargetGroupArn: GREEN },
    ]);
  });

  it('maps TargetGroupNotFound to not-found', async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .rejects(
        new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} }),
      );
    await expect(adapter.describeTargetHealth(GREEN)).rejects.toMatchObject({ kind: 'not-found' });
  });
});

describe('getRuleStickiness', () => {
  it('reports the forward action stickiness (enabled + duration) from DescribeRules, and disabled without it', async () => {
    elb.on(DescribeRulesCommand).resolvesOnce({ Rules: [rule(100, 0)] });
    expect(await adapter.getRuleStickiness(RULE)).toEqual({
      enabled: STICKINESS.Enabled,
      durationSeconds: STICKINESS.DurationSeconds,
    });
    elb.on(DescribeRulesCommand).resolves({
      Rules: [{ RuleArn: RULE, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [] } }] }],
    });
    expect(await adapter.getRuleStickiness(RULE)).toEqual({ enabled: false });
  });
});
