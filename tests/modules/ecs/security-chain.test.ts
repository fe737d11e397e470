/**
 * The security-group chain across modules: internet → ALB 443/80 → tasks (container port) → RDS 5432 /
 * Redis 6379; the test listener from configured CIDRs only; nothing else opens ingress.
 */
import { Testing } from 'cdktf';
import { EcsPlatform } from '../../../modules/ecs';
import { PostgresDatabase } from '../../../modules/rds';
import { CacheCluster } from '../../../modules/redis';
import {
  FAKE_ACCOUNT,
  FAKE_CERT,
  FAKE_REGION,
  FAKE_VPC,
  listOf,
  newStack,
  resourcesOf,
  synth,
} from '../../helpers/stack';

Testing.setupJest();

const { stack } = newStack();
const ecs = new EcsPlatform(stack, 'ecs', {
  environment: 'staging',
  region: FAKE_REGION,
  accountId: FAKE_ACCOUNT,
  vpcId: FAKE_VPC.vpcId,
  vpcCidr: FAKE_VPC.vpcCidr,
  publicSubnetIds: FAKE_VPC.publicSubnetIds,
  privateSubnetIds: FAKE_VPC.privateSubnetIds,
  certificateArn: FAKE_CERT,
  testListener: { allowedCidrs: ['203.0.113.0/24'] },
  deploymentTableName: 'switchyard-staging-deployments',
  services: [
    { name: 'api', containerPort: 8080, routing: { pathPattern: '/api/*' } },
    { name: 'web', containerPort: 3000, routing: { pathPattern: '/*' } },
  ],
});
new PostgresDatabase(stack, 'db', {
  environment: 'staging',
  vpcId: FAKE_VPC.vpcId,
  isolatedSubnetIds: FAKE_VPC.isolatedSubnetIds,
  allowedSecurityGroupIds: ecs.taskSecurityGroupIds,
});
new CacheCluster(stack, 'cache', {
  environment: 'staging',
  vpcId: FAKE_VPC.vpcId,
  isolatedSubnetIds: FAKE_VPC.isolatedSubnetIds,
  allowedSecurityGroupIds: ecs.taskSecurityGroupIds,
});
const out = synth(stack);

/** Logical id → security group name. */
const sgNames = new Map(
  Object.entries(resourcesOf(out, 'aws_security_group')).map(([id, sg]) => [
    `\${aws_security_group.${id}.id}`,
    String(sg.name),
  ]),
);
const name = (ref: unknown) => sgNames.get(String(ref)) ?? String(ref);

type Rule = {
  security_group_id: string;
  referenced_security_group_id?: string;
  cidr_ipv4?: string;
  cidr_ipv6?: string;
  from_port: number;
  to_port: number;
  ip_protocol: string;
  description?: string;
};
const ingress = listOf(out, 'aws_vpc_security_group_ingress_rule') as unknown as Rule[];
const egress = listOf(out, 'aws_vpc_security_group_egress_rule') as unknown as Rule[];
const edge = (r: Rule, kind: 'in' | 'out') =>
  kind === 'in'
    ? `${r.cidr_ipv4 ?? name(r.referenced_security_group_id)} -> ${name(r.security_group_id)}:${r.from_port}-${r.to_port}`
    : `${name(r.security_group_id)} -> ${r.cidr_ipv4 ?? name(r.referenced_security_group_id)}:${r.from_port}-${r.to_port}`;

describe('security-group chain', () => {
  it('has exactly the ingress edges of the chain', () => {
    expect(ingress.map((r) => edge(r, 'in')).sort()).toEqual(
      [
        '0.0.0.0/0 -> switchyard-staging-alb:443-443',
        '0.0.0.0/0 -> switchyard-staging-alb:80-80',
        '203.0.113.0/24 -> switchyard-staging-alb:8443-8443',
        'switchyard-staging-alb -> switchyard-staging-api-tasks:8080-8080',
        'switchyard-staging-alb -> switchyard-staging-web-tasks:3000-3000',
        'switchyard-staging-api-tasks -> switchyard-staging-db:5432-5432',
        'switchyard-staging-web-tasks -> switchyard-staging-db:5432-5432',
        'switchyard-staging-api-tasks -> switchyard-staging-cache:6379-6379',
        'switchyard-staging-web-tasks -> switchyard-staging-cache:6379-6379',
      ].sort(),
    );
  });

  it('has exactly the egress edges of the chain (tasks also reach HTTPS for ECR, logs and secrets)', () => {
    expect(egress.map((r) => edge(r, 'out')).sort()).toEqual(
      [
        'switchyard-staging-alb -> switchyard-staging-api-tasks:8080-8080',
        'switchyard-staging-alb -> switchyard-staging-web-tasks:3000-3000',
        'switchyard-staging-api-tasks -> 0.0.0.0/0:443-443',
        'switchyard-staging-web-tasks -> 0.0.0.0/0:443-443',
        'switchyard-staging-api-tasks -> switchyard-staging-db:5432-5432',
        'switchyard-staging-web-tasks -> switchyard-staging-db:5432-5432',
        'switchyard-staging-api-tasks -> switchyard-staging-cache:6379-6379',
        'switchyard-staging-web-tasks -> switchyard-staging-cache:6379-6379',
      ].sort(),
    );
  });

  it('opens 0.0.0.0/0 or ::/0 ingress only on the ALB, ports 80 and 443', () => {
    const open = ingress.filter((r) => r.cidr_ipv4 === '0.0.0.0/0' || r.cidr_ipv6 === '::/0');
    expect(open.length).toBeGreaterThan(0);
    for (const r of open) {
      expect(name(r.security_group_id)).toBe('switchyard-staging-alb');
      expect([80, 443]).toContain(r.from_port);
      expect(r.to_port).toBe(r.from_port);
    }
  });

  it('describes every rule and uses TCP only', () => {
    for (const r of [...ingress, ...egress]) {
      expect(r.ip_protocol).toBe('tcp');
      expect(r.description?.length ?? 0).toBeGreaterThan(10);
    }
  });

  it('defines no inline rules on the security groups', () => {
    for (const sg of listOf(out, 'aws_security_group')) {
      expect(sg).not.toHaveProperty('ingress');
      expect(sg).not.toHaveProperty('egress');
    }
  });
});
