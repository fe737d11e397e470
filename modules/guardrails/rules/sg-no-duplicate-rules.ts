import { resourcesOfType } from '../config';
import type { GuardrailRule, ResourceView, RuleContext } from '../types';

const RULE_TYPES = ['aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule'] as const;

/** What makes two rules the same permission to EC2: group, direction, protocol, ports and the one source. */
function permissionKey(rule: ResourceView): string {
  const c = rule.config;
  return JSON.stringify([
    rule.type,
    c.security_group_id,
    c.ip_protocol,
    c.from_port ?? null,
    c.to_port ?? null,
    c.cidr_ipv4 ?? null,
    c.cidr_ipv6 ?? null,
    c.referenced_security_group_id ?? null,
    c.prefix_list_id ?? null,
  ]);
}

/** Per stack context: the first rule (construct path) granting each permission. Computed once per context. */
const firstByKey = new WeakMap<RuleContext, ReadonlyMap<string, string>>();
function firstPaths(context: RuleContext): ReadonlyMap<string, string> {
  let map = firstByKey.get(context);
  if (!map) {
    const m = new Map<string, string>();
    for (const rule of resourcesOfType(context, ...RULE_TYPES)) {
      const key = permissionKey(rule);
      if (!m.has(key)) m.set(key, rule.path);
    }
    firstByKey.set(context, m);
    map = m;
  }
  return map;
}

export const sgNoDuplicateRules: GuardrailRule = {
  id: 'SY-SG-2',
  severity: 'error',
  title: 'no two security-group rules grant the same permission',
  explanation:
    'EC2 refuses a rule that already exists on a group (`InvalidPermission.Duplicate`), so a second identical ' +
    '`aws_vpc_security_group_ingress_rule` / `_egress_rule` (same group, protocol, ports and source) fails the ' +
    'apply half-way, after other changes were made. The usual cause is a CIDR listed twice (e.g. in ' +
    '`alb.testListener.allowedCidrs`), which the ECS module now de-duplicates; remove the repeat. Rules whose ' +
    'group or source is the same Terraform reference count as equal.',
  appliesTo: RULE_TYPES,
  contextTypes: RULE_TYPES,
  check: (resource, context) => {
    const first = firstPaths(context).get(permissionKey(resource));
    if (first === undefined || first === resource.path) return [];
    return [`grants the same permission as ${first}; EC2 would reject it with InvalidPermission.Duplicate`];
  },
};
