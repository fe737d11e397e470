import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { type TerraformResource, TerraformStack, Testing } from 'cdktf';
import type {} from 'cdktf/lib/testing/adapters/jest';
import { type NatGatewayMode, VpcModule, type VpcProps } from '../../../modules/vpc';
import { contains, parseCidr, planSubnets } from '../../../modules/vpc/subnet-plan';

Testing.setupJest();

type Resources = Record<string, Record<string, Record<string, unknown>>>;

interface Synth {
  json: string;
  r: Resources;
  vpc: VpcModule;
  /** The Terraform reference to a resource attribute, e.g. "${aws_subnet.vpc_public-0_ABC.id}". */
  ref: (resource: TerraformResource, attr?: string) => string;
}

function synth(props: Partial<VpcProps> = {}): Synth {
  const stack = new TerraformStack(Testing.app(), 'test');
  const vpc = new VpcModule(stack, 'vpc', {
    name: 'switchyard-test',
    region: 'eu-west-1',
    cidr: '10.0.0.0/16',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    ...props,
  });
  const json = Testing.synth(stack);
  return {
    json,
    r: JSON.parse(json).resource as Resources,
    vpc,
    ref: (res, attr = 'id') => `\${${res.terraformResourceType}.${stack.getLogicalId(res)}.${attr}}`,
  };
}

const list = (r: Resources, type: string) => Object.entries(r[type] ?? {});

/** Route-table reference the subnet is associated with (exactly one association). */
function routeTableOf(s: Synth, subnet: TerraformResource): string {
  const assoc = list(s.r, 'aws_route_table_association').filter(([, a]) => a.subnet_id === s.ref(subnet));
  expect(assoc).toHaveLength(1);
  return assoc[0][1].route_table_id as string;
}

describe('subnet plan', () => {
  test('a /16 gives /18 private and /21 public and isolated subnets, without overlap', () => {
    expect(planSubnets('10.0.0.0/16', 3)).toEqual({
      private: ['10.0.0.0/18', '10.0.64.0/18', '10.0.128.0/18'],
      public: ['10.0.192.0/21', '10.0.200.0/21', '10.0.208.0/21'],
      isolated: ['10.0.224.0/21', '10.0.232.0/21', '10.0.240.0/21'],
    });
  });
  test.each([16, 18, 20, 23])('every subnet of a /%i lies inside the VPC and none overlap', (prefix) => {
    const vpc = `10.8.0.0/${prefix}`;
    const plan = planSubnets(vpc, 3);
    const all = [...plan.public, ...plan.private, ...plan.isolated].map((c) => parseCidr(c)!);
    for (const c of all) expect(contains(parseCidr(vpc)!, c)).toBe(true);
    for (let i = 0; i < all.length; i++)
      for (let j = i + 1; j < all.length; j++) {
        expect(contains(all[i], all[j]) || contains(all[j], all[i])).toBe(false);
      }
  });
  test('refuses CIDRs outside the plan', () => {
    expect(() => planSubnets('10.0.0.0/24', 2)).toThrow('VPC CIDR 10.0.0.0/24 must be /16 to /23');
    expect(() => planSubnets('10.0.0.1/16', 2)).toThrow('invalid VPC CIDR 10.0.0.1/16');
  });
});

describe.each([
  ['dev', 2, 'single' as NatGatewayMode, 1],
  ['prod', 3, 'per-az' as NatGatewayMode, 3],
  ['no-nat', 2, 'none' as NatGatewayMode, 0],
])('VPC %s: %i AZs, NAT %s', (_label, azCount, natGateways, natCount) => {
  const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'].slice(0, azCount);
  const s = synth({ availabilityZones: zones, natGateways, flowLogRetentionDays: 30 });
  const { json, r, vpc, ref } = s;

  test('one public, one private and one isolated subnet per AZ, none mapping public IPs', () => {
    expect(list(r, 'aws_subnet')).toHaveLength(3 * azCount);
    const plan = planSubnets('10.0.0.0/16', azCount);
    for (const tier of ['public', 'private', 'isolated'] as const) {
      const subnets = {
        public: vpc.publicSubnets,
        private: vpc.privateSubnets,
        isolated: vpc.isolatedSubnets,
      }[tier];
      expect(subnets).toHaveLength(azCount);
      subnets.forEach((subnet, i) => {
        const [, body] = list(r, 'aws_subnet').find(([id]) => ref(subnet).includes(`.${id}.`))!;
        expect(body).toMatchObject({
          availability_zone: zones[i],
          cidr_block: plan[tier][i],
          map_public_ip_on_launch: false,
        });
      });
    }
  });

  test('NAT gateways in the public subnets', () => {
    expect(list(r, 'aws_nat_gateway')).toHaveLength(natCount);
    expect(list(r, 'aws_eip')).toHaveLength(natCount);
    expect(vpc.natGateways).toHaveLength(natCount);
    vpc.natGateways.forEach((nat, i) => {
      const [, body] = list(r, 'aws_nat_gateway').find(([id]) => ref(nat).includes(`.${id}.`))!;
      expect(body.subnet_id).toBe(ref(vpc.publicSubnets[i]));
    });
  });

  test('routes: public → IGW, private → NAT (own AZ when per-az), isolated → nothing outside the VPC', () => {
    const routes = list(r, 'aws_route').map(([, x]) => x);
    for (let i = 0; i < azCount; i++) {
      const pubTable = routeTableOf(s, vpc.publicSubnets[i]);
      expect(routes.filter((x) => x.route_table_id === pubTable)).toEqual([
        expect.objectContaining({
          destination_cidr_block: '0.0.0.0/0',
          gateway_id: ref(vpc.internetGateway),
        }),
      ]);
      const privTable = routeTableOf(s, vpc.privateSubnets[i]);
      expect(privTable).toBe(ref(vpc.privateRouteTables[i]));
      const priv = routes.filter((x) => x.route_table_id === privTable);
      if (natCount === 0) expect(priv).toEqual([]);
      else {
        const nat = vpc.natGateways[natGateways === 'per-az' ? i : 0];
        expect(priv).toEqual([
          expect.objectContaining({ destination_cidr_block: '0.0.0.0/0', nat_gateway_id: ref(nat) }),
        ]);
      }
      // Isolated: its table has no route at all (separate or inline) and no endpoint attaches to it.
      const isoTable = routeTableOf(s, vpc.isolatedSubnets[i]);
      expect(isoTable).toBe(ref(vpc.isolatedRouteTable));
      expect(routes.filter((x) => x.route_table_id === isoTable)).toEqual([]);
      const [, isoBody] = list(r, 'aws_route_table').find(([id]) => isoTable.includes(`.${id}.`))!;
      expect(isoBody.route).toBeUndefined();
      for (const [, e] of list(r, 'aws_vpc_endpoint')) {
        expect((e.route_table_ids as string[] | undefined) ?? []).not.toContain(isoTable);
      }
    }
    // No other route to a gateway: one IGW route, plus one NAT route per private table when NAT exists.
    const internetRoutes = routes.filter((x) => x.gateway_id || x.nat_gateway_id);
    expect(internetRoutes).toHaveLength(1 + (natCount === 0 ? 0 : azCount));
  });

  test('flow logs of all traffic to a CloudWatch group with retention', () => {
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: '/vpc/switchyard-test/flow-logs',
      retention_in_days: 30,
    });
    expect(json).toHaveResourceWithProperties(FlowLog, {
      traffic_type: 'ALL',
      log_destination_type: 'cloud-watch-logs',
      log_destination: ref(vpc.flowLogGroup, 'arn'),
      vpc_id: ref(vpc.vpc),
    });
  });

  test('S3 gateway endpoint on the private route tables; default SG has no rules', () => {
    const [[, s3]] = list(r, 'aws_vpc_endpoint').filter(([, e]) => e.vpc_endpoint_type === 'Gateway');
    expect(s3.service_name).toBe('com.amazonaws.eu-west-1.s3');
    expect(s3.route_table_ids).toEqual(vpc.privateRouteTables.map((t) => ref(t)));
    expect(json).toHaveResourceWithProperties(DefaultSecurityGroup, { ingress: [], egress: [] });
  });
});

describe('VPC options', () => {
  test('interface endpoints in the private subnets, HTTPS from the VPC only', () => {
    const { json, r, vpc, ref } = synth({ interfaceEndpoints: ['ecr.api', 'logs'] });
    const eps = list(r, 'aws_vpc_endpoint').filter(([, e]) => e.vpc_endpoint_type === 'Interface');
    expect(eps.map(([, e]) => e.service_name)).toEqual([
      'com.amazonaws.eu-west-1.ecr.api',
      'com.amazonaws.eu-west-1.logs',
    ]);
    for (const [, e] of eps) {
      expect(e.private_dns_enabled).toBe(true);
      expect(e.subnet_ids).toEqual(vpc.privateSubnets.map((x) => ref(x)));
    }
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      cidr_ipv4: '10.0.0.0/16',
      from_port: 443,
      to_port: 443,
    });
  });
  test('no interface endpoints → no endpoint security group', () => {
    const { r } = synth();
    expect(r.aws_security_group).toBeUndefined();
  });
  test('typed outputs', () => {
    const { vpc } = synth({ availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] });
    expect(vpc.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    expect(vpc.publicSubnetIds).toHaveLength(3);
    expect(vpc.privateSubnetIds).toHaveLength(3);
    expect(vpc.isolatedSubnetIds).toHaveLength(3);
    expect(vpc.natGateways).toHaveLength(1);
    expect(typeof vpc!.vpcId).toBe('string');
  });
  test.each([
    [{ cidr: '10.0.0.0/8' }, 'VpcModule switchyard-test: cidr must be /16 to /23 (got "10.0.0.0/8")'],
    [{ cidr: '10.0.0.5/16' }, 'VpcModule switchyard-test: cidr has host bits set (got "10.0.0.5/16")'],
    [
      { availabilityZones: ['eu-west-1a'] },
      'VpcModule switchyard-test: availabilityZones must list 2 or 3 zones (got 1)',
    ],
    [
      { availabilityZones: ['eu-west-1a', 'us-east-1a'] },
      'VpcModule switchyard-test: zone us-east-1a is not in region eu-west-1',
    ],
    [
      { flowLogRetentionDays: 10 },
      'VpcModule switchyard-test: flowLogRetentionDays must be a CloudWatch retention value (got 10)',
    ],
  ])('constructor refuses %j', (props, message) => {
    expect(() => synth(props as Partial<VpcProps>)).toThrow(message);
  });
});
