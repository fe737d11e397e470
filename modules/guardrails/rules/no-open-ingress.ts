import { albSecurityGroupIds, asArray, asRecord, isWorldCidr, referencedLogicalId } from '../config';
import type { GuardrailRule, ResourceView, RuleContext } from '../types';

/** Ports the internet may reach, and only on a security group attached to an application load balancer. */
const ALB_PUBLIC_PORTS: readonly number[] = [80, 443];

interface IngressEntry {
  readonly cidrs: readonly unknown[];
  readonly protocol: unknown;
  readonly fromPort: unknown;
  readonly toPort: unknown;
  /** Logical id of the security group the entry belongs to, when known. */
  readonly groupId: string | undefined;
  readonly label: string;
}

function entriesOf(resource: ResourceView): readonly IngressEntry[] {
  const c = resource.config;
  switch (resource.type) {
    case 'aws_security_group':
    case 'aws_default_security_group':
      return asArray(c.ingress).map((raw, i) => {
        const e = asRecord(raw);
        return {
          cidrs: [...asArray(e.cidr_blocks), ...asArray(e.ipv6_cidr_blocks)],
          protocol: e.protocol,
          fromPort: e.from_port,
          toPort: e.to_port,
          groupId: resource.type === 'aws_security_group' ? resource.logicalId : undefined,
          label: `inline ingress #${i}`,
        };
      });
    case 'aws_security_group_rule':
      if (c.type !== 'ingress') return [];
      return [
        {
          cidrs: [...asArray(c.cidr_blocks), ...asArray(c.ipv6_cidr_blocks)],
          protocol: c.protocol,
          fromPort: c.from_port,
          toPort: c.to_port,
          groupId: referencedLogicalId(c.security_group_id, 'aws_security_group', ['id']),
          label: 'ingress rule',
        },
      ];
    case 'aws_vpc_security_group_ingress_rule':
      return [
        {
          cidrs: [c.cidr_ipv4, c.cidr_ipv6].filter((x) => x !== undefined),
          protocol: c.ip_protocol,
          fromPort: c.from_port,
          toPort: c.to_port,
          groupId: referencedLogicalId(c.security_group_id, 'aws_security_group', ['id']),
          label: 'ingress rule',
        },
      ];
    default:
      return [];
  }
}

function isAllowedAlbEntry(entry: IngressEntry, albGroups: ReadonlySet<string>): boolean {
  if (entry.groupId === undefined || !albGroups.has(entry.groupId)) return false;
  const tcp = entry.protocol === 'tcp' || entry.protocol === '6' || entry.protocol === 6;
  return (
    tcp &&
    typeof entry.fromPort === 'number' &&
    entry.fromPort === entry.toPort &&
    ALB_PUBLIC_PORTS.includes(entry.fromPort)
  );
}

function describePorts(entry: IngressEntry): string {
  if (entry.protocol === '-1' || entry.protocol === -1 || entry.protocol === 'all') return 'all traffic';
  const ports =
    entry.fromPort === entry.toPort
      ? String(entry.fromPort)
      : `${String(entry.fromPort)}-${String(entry.toPort)}`;
  return `${String(entry.protocol)} port ${ports}`;
}

export const noOpenIngress: GuardrailRule = {
  id: 'SY-SG-1',
  severity: 'error',
  title: 'no ingress from 0.0.0.0/0 or ::/0 except the ALB on 80/443',
  explanation:
    'The only thing the internet may reach is the application load balancer, on TCP 80 (redirect) and 443. Any ' +
    'other world-open ingress (SSH, a database port, a port range, all protocols, or 80/443 on anything that is ' +
    'not the ALB) exposes a service directly and bypasses TLS, WAF and the blue/green routing. Chain security ' +
    'groups instead (internet -> ALB -> tasks -> RDS/Redis) with `referencedSecurityGroupId` / ' +
    '`sourceSecurityGroupId`, or restrict the CIDR. The ALB group is recognised structurally: it is listed in ' +
    '`securityGroups` of an `aws_lb` of type application in the same stack. Checks inline `ingress` blocks, ' +
    '`aws_security_group_rule` and `aws_vpc_security_group_ingress_rule`.',
  appliesTo: [
    'aws_security_group',
    'aws_default_security_group',
    'aws_security_group_rule',
    'aws_vpc_security_group_ingress_rule',
  ],
  contextTypes: ['aws_lb', 'aws_alb'],
  check: (resource, context: RuleContext) => {
    const albGroups = albSecurityGroupIds(context);
    const problems: string[] = [];
    for (const entry of entriesOf(resource)) {
      const world = entry.cidrs.filter(isWorldCidr);
      if (world.length === 0 || isAllowedAlbEntry(entry, albGroups)) continue;
      const who = entry.groupId !== undefined && albGroups.has(entry.groupId) ? 'the ALB' : 'a non-ALB group';
      problems.push(
        `${entry.label} opens ${describePorts(entry)} on ${who} to ${world.join(', ')}; only the ALB on TCP 80/443 may be world-open`,
      );
    }
    return problems;
  },
};
