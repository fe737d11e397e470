/**
 * LoadBalancerPort on @aws-sdk/client-elastic-load-balancing-v2.
 *
 * A listener rule's forward action is rewritten with exactly one ModifyRule call. ModifyRule replaces
 * the whole action list, so the adapter keeps every other action (e.g. authenticate-oidc) and the
 * forward action's TargetGroupStickinessConfig as they were, as DescribeRules returns them right
 * before the write (one DescribeRules per ModifyRule: no cached copy that another writer may have
 * made stale).
 *
 * authenticate-oidc: DescribeRules never returns the OIDC client secret, and ModifyRule replaces the
 * action list, so the rewritten OIDC action must say `UseExistingClientSecret: true` or AWS rejects the
 * write for a missing secret. // AWS: "ClientSecret … This parameter is required if you are creating a
 * rule. If you are modifying a rule, you can omit this parameter if you set UseExistingClientSecret to
 * true." (ELB API Reference, AuthenticateOidcActionConfig)
 */
import {
  type Action,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  type Rule,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  type LoadBalancerPort,
  PortError,
  type RuleStickiness,
  type TargetHealth,
  type TargetState,
  type WeightedTarget,
} from '../ports';
import { aws } from './errors';

/** ALB accepts forward weights 0..999. */
export const MAX_WEIGHT = 999;

/**
 * Weight reported for a legacy forward action that names a single `TargetGroupArn` without a
 * ForwardConfig (all traffic goes there). AWS itself reports such a group with weight 1.
 */
export const LEGACY_SINGLE_TARGET_WEIGHT = 1;

/** Forward weights of a rule's forward action. */
export function forwardWeights(rule: Rule, ruleArn: string): WeightedTarget[] {
  const forward = (rule.Actions ?? []).find((a) => a.Type === 'forward');
  if (!forward) {
    throw new PortError('invalid', `listener rule ${ruleArn} has no forward action; the deployer needs one`);
  }
  const groups = forward.ForwardConfig?.TargetGroups ?? [];
  if (groups.length > 0) {
    return groups.map((g) => ({ targetGroupArn: g.TargetGroupArn ?? '', weight: g.Weight ?? 1 }));
  }
  if (forward.TargetGroupArn) {
    return [{ targetGroupArn: forward.TargetGroupArn, weight: LEGACY_SINGLE_TARGET_WEIGHT }];
  }
  throw new PortError('invalid', `listener rule ${ruleArn}: forward action names no target group`);
}

/**
 * An action as it must be sent back in a ModifyRule: an authenticate-oidc action keeps its configuration
 * but reuses the secret AWS already holds (DescribeRules omits it; no secret ever passes through here).
 */
export function resendable(action: Action): Action {
  if (action.Type !== 'authenticate-oidc' || !action.AuthenticateOidcConfig) return action;
  const { ClientSecret: _omitted, ...config } = action.AuthenticateOidcConfig;
  return { ...action, AuthenticateOidcConfig: { ...config, UseExistingClientSecret: true } };
}

/**
 * The rule's action list with the forward action replaced by one carrying `weights`; other actions
 * (authenticate-oidc with `UseExistingClientSecret: true`) and the stickiness config are kept.
 */
export function actionsWithWeights(current: readonly Action[], weights: readonly WeightedTarget[]): Action[] {
  const forward = current.find((a) => a.Type === 'forward');
  const newForward: Action = {
    Type: 'forward',
    ...(forward?.Order !== undefined ? { Order: forward.Order } : {}),
    ForwardConfig: {
      TargetGroups: weights.map((w) => ({ TargetGroupArn: w.targetGroupArn, Weight: w.weight })),
      ...(forward?.ForwardConfig?.TargetGroupStickinessConfig
        ? { TargetGroupStickinessConfig: forward.ForwardConfig.TargetGroupStickinessConfig }
        : {}),
    },
  };
  if (!forward) return [...current.map(resendable), newForward];
  return current.map((a) => (a === forward ? newForward : resendable(a)));
}

function validateWeights(ruleArn: string, weights: readonly WeightedTarget[]): void {
  if (weights.length === 0) throw new PortError('invalid', `rule ${ruleArn}: no target groups to forward to`);
  const seen = new Set<string>();
  for (const w of weights) {
    if (!w.targetGroupArn) throw new PortError('invalid', `rule ${ruleArn}: empty target group ARN`);
    if (seen.has(w.targetGroupArn)) {
      throw new PortError('invalid', `rule ${ruleArn}: target group ${w.targetGroupArn} listed twice`);
    }
    seen.add(w.targetGroupArn);
    if (!Number.isInteger(w.weight) || w.weight < 0 || w.weight > MAX_WEIGHT) {
      throw new PortError(
        'invalid',
        `rule ${ruleArn}: weight ${w.weight} for ${w.targetGroupArn} must be an integer 0..${MAX_WEIGHT}`,
      );
    }
  }
  if (weights.every((w) => w.weight === 0)) {
    throw new PortError('invalid', `rule ${ruleArn}: all weights are 0 (no traffic could be served)`);
  }
}

const STATES = new Set<TargetState>(['initial', 'healthy', 'unhealthy', 'unused', 'draining', 'unavailable']);

export function mapTargetState(state: TargetHealthStateEnum | string | undefined): TargetState {
  if (state === 'unhealthy.draining') return 'draining';
  return STATES.has(state as TargetState) ? (state as TargetState) : 'unavailable';
}

export class AwsLoadBalancerAdapter implements LoadBalancerPort {
  constructor(private readonly client: ElasticLoadBalancingV2Client) {}

  private async describeRule(ruleArn: string): Promise<Rule> {
    const what = `ELBv2 DescribeRules ${ruleArn}`;
    const out = await aws(what, () => this.client.send(new DescribeRulesCommand({ RuleArns: [ruleArn] })));
    const rule = out.Rules?.[0];
    if (!rule) throw new PortError('not-found', `${what}: rule not found`);
    return rule;
  }

  async getRuleWeights(ruleArn: string): Promise<WeightedTarget[]> {
    return forwardWeights(await this.describeRule(ruleArn), ruleArn);
  }

  async getRuleStickiness(ruleArn: string): Promise<RuleStickiness> {
    const forward = ((await this.describeRule(ruleArn)).Actions ?? []).find((a) => a.Type === 'forward');
    const cfg = forward?.ForwardConfig?.TargetGroupStickinessConfig;
    return cfg?.Enabled
      ? {
          enabled: true,
          ...(cfg.DurationSeconds !== undefined ? { durationSeconds: cfg.DurationSeconds } : {}),
        }
      : { enabled: false };
  }

  async setRuleWeights(ruleArn: string, weights: readonly WeightedTarget[]): Promise<void> {
    validateWeights(ruleArn, weights);
    // re-read the rule right before every write: its other actions / stickiness may have been changed
    // (console, Terraform, another process) since this process last saw it — never write a stale copy
    const current = (await this.describeRule(ruleArn)).Actions ?? [];
    await this.modify(ruleArn, actionsWithWeights(current, weights));
  }

  async setRuleTarget(ruleArn: string, targetGroupArn: string): Promise<void> {
    await this.setRuleWeights(ruleArn, [{ targetGroupArn, weight: 1 }]);
  }

  private async modify(ruleArn: string, actions: Action[]): Promise<void> {
    const what = `ELBv2 ModifyRule ${ruleArn}`;
    await aws(what, () => this.client.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: actions })));
  }

  async describeTargetHealth(targetGroupArn: string): Promise<TargetHealth[]> {
    const what = `ELBv2 DescribeTargetHealth ${targetGroupArn}`;
    const out = await aws(what, () =>
      this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
    );
    return (out.TargetHealthDescriptions ?? []).map((d) => {
      const reason = [d.TargetHealth?.Reason, d.TargetHealth?.Description].filter(Boolean).join(': ');
      return {
        id: d.Target?.Id ?? '',
        port: d.Target?.Port ?? 0,
        state: mapTargetState(d.TargetHealth?.State),
        ...(reason ? { reason } : {}),
      };
    });
  }
}
