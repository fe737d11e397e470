/**
 * VPC module: 2–3 AZs with public, private and isolated (database) subnets carved from the VPC CIDR
 * (see ./subnet-plan.ts), NAT gateways single / per AZ / none, flow logs to CloudWatch, an S3 gateway
 * endpoint, optional interface endpoints, and the default security group locked down.
 *
 * Routing: public subnets → internet gateway; private subnets → their NAT gateway (none when
 * natGateways is "none"); isolated subnets → no route beyond the VPC at all.
 */
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { LOG_RETENTION_DAYS } from '../../environments/schema';
import { partitionOf } from './partition';
import { hasHostBits, MAX_VPC_PREFIX, MIN_VPC_PREFIX, parseCidr, planSubnets } from './subnet-plan';

export type NatGatewayMode = 'single' | 'per-az' | 'none';
export type SubnetTier = 'public' | 'private' | 'isolated';

export interface VpcProps {
  /** Prefix of resource names and `Name` tags, e.g. "switchyard-dev". */
  readonly name: string;
  /** Region, for endpoint service names (`com.amazonaws.<region>.s3`). */
  readonly region: string;
  /** VPC CIDR, /16 to /23, without host bits. */
  readonly cidr: string;
  /**
   * Availability zones, 2 or 3 of them, all in `region`. Checked at plan time against the zones the
   * account can use (a zone that needs opt-in or is not `available` fails the plan with the list).
   * @default undefined — the first `azCount` zones of the region, read at plan time (see azCount)
   */
  readonly availabilityZones?: readonly string[];
  /**
   * Number of zones when `availabilityZones` is not given: the subnets go into the first `azCount` names
   * (sorted) of the `aws_availability_zones` data source (state `available`, `opt-in-status` =
   * `opt-in-not-required`, so Local and Wavelength Zones are left out). Zone letters differ per region and
   * account (ca-central-1 has a, b, d; ap-northeast-1 a, c, d; us-west-1 two per account), so `<region>a/b/c`
   * is not assumed. A subnet keeps the zone it was created in (`ignore_changes`), so a zone leaving the
   * `available` list later never moves existing subnets. @default availabilityZones.length (one of the two is required)
   */
  readonly azCount?: number;
  /** NAT gateways: one shared, one per AZ, or none (private subnets then have no internet route). @default "single" */
  readonly natGateways?: NatGatewayMode;
  /** Flow-log retention in days (a CloudWatch retention value). @default 30 */
  readonly flowLogRetentionDays?: number;
  /** KMS key for the flow-log group. @default none (CloudWatch's own encryption) */
  readonly flowLogKmsKeyArn?: string;
  /** Interface endpoints (`ecr.api`, `logs`, …) in the private subnets, reachable on 443 from the VPC. @default [] */
  readonly interfaceEndpoints?: readonly string[];
  /** Account of the VPC: the flow-log role trusts the service only on behalf of it (confused deputy). @default undefined (no condition) */
  readonly accountId?: string;
  /** Managed policy ARN set as the permissions boundary of the flow-log role. @default undefined (no boundary) */
  readonly permissionsBoundaryArn?: string;
}

export class VpcModule extends Construct {
  readonly vpc: Vpc;
  readonly vpcId: string;
  readonly cidr: string;
  /** Zone of each AZ index: the explicit names, or `${element(data…names, i)}` references. */
  readonly availabilityZones: readonly string[];
  /** The region's usable zones, read at plan time (explicit zones are validated against it). */
  readonly zonesData: DataAwsAvailabilityZones;
  readonly publicSubnets: readonly Subnet[];
  readonly privateSubnets: readonly Subnet[];
  readonly isolatedSubnets: readonly Subnet[];
  readonly publicSubnetIds: readonly string[];
  readonly privateSubnetIds: readonly string[];
  readonly isolatedSubnetIds: readonly string[];
  /** Subnet CIDRs per tier, index = AZ index. */
  readonly subnetCidrs: Readonly<Record<SubnetTier, readonly string[]>>;
  readonly internetGateway: InternetGateway;
  readonly natGateways: readonly NatGateway[];
  /** Public (elastic) IPs of the NAT gateways: the addresses in-VPC clients reach the internet from. */
  readonly natPublicIps: readonly string[];
  readonly publicRouteTable: RouteTable;
  /** One per AZ. */
  readonly privateRouteTables: readonly RouteTable[];
  /** Shared by the isolated subnets; holds no route beyond the VPC. */
  readonly isolatedRouteTable: RouteTable;
  readonly defaultSecurityGroup: DefaultSecurityGroup;
  readonly flowLogGroup: CloudwatchLogGroup;
  readonly flowLog: FlowLog;
  readonly s3GatewayEndpoint: VpcEndpoint;
  /** Present when interface endpoints are configured. */
  readonly endpointSecurityGroup?: SecurityGroup;
  readonly interfaceEndpoints: Readonly<Record<string, VpcEndpoint>>;

  constructor(scope: Construct, id: string, props: VpcProps) {
    super(scope, id);
    const natMode = props.natGateways ?? 'single';
    const retention = props.flowLogRetentionDays ?? 30;
    validate(props, natMode, retention);

    const explicit = props.availabilityZones;
    const azCount = explicit?.length ?? props.azCount ?? 0;
    // AWS: DescribeAvailabilityZones "results include only the zones for the Regions where you have chosen
    // the option to opt in"; the opt-in-status filter also drops Local and Wavelength Zones (EC2 API
    // reference). The provider sorts the names, so index i is stable while the set is.
    this.zonesData = new DataAwsAvailabilityZones(this, 'zones', {
      state: 'available',
      filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
      lifecycle: {
        postcondition: [
          explicit
            ? {
                condition: `\${alltrue([for z in ${JSON.stringify(explicit)} : contains(self.names, z)])}`,
                errorMessage: `vpc.availabilityZones (${explicit.join(', ')}) names a zone that is not available to this account in ${props.region} without opt-in; available: \${join(", ", self.names)}. Fix the list or remove it to use the first ${azCount} available zones.`,
              }
            : {
                condition: `\${length(self.names) >= ${azCount}}`,
                errorMessage: `${props.region} offers this account only \${length(self.names)} available zone(s) (\${join(", ", self.names)}); vpc.azCount is ${azCount}. Lower vpc.azCount.`,
              },
        ],
      },
    });
    const azs = explicit ?? [...Array(azCount).keys()].map((i) => Fn.element(this.zonesData.names, i));
    const plan = planSubnets(props.cidr, azs.length);
    this.subnetCidrs = plan;
    this.cidr = props.cidr;
    this.availabilityZones = [...azs];
    const tag = (suffix: string) => ({ Name: `${props.name}-${suffix}` });

    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: props.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: tag('vpc'),
    });
    this.vpcId = this.vpc.id;

    // No rules at all: nothing may use the default security group.
    this.defaultSecurityGroup = new DefaultSecurityGroup(this, 'default-sg', {
      vpcId: this.vpc.id,
      ingress: [],
      egress: [],
      tags: tag('default-locked'),
    });

    const subnets = (tier: SubnetTier) =>
      azs.map(
        (az, i) =>
          new Subnet(this, `${tier}-${i}`, {
            vpcId: this.vpc.id,
            cidrBlock: plan[tier][i],
            availabilityZone: az,
            mapPublicIpOnLaunch: false,
            tags: { ...tag(`${tier}-${az}`), 'switchyard:tier': tier },
            // Zones read from the region: a subnet stays where it was created even if the list shifts.
            lifecycle: explicit ? undefined : { ignoreChanges: ['availability_zone'] },
          }),
      );
    this.publicSubnets = subnets('public');
    this.privateSubnets = subnets('private');
    this.isolatedSubnets = subnets('isolated');
    this.publicSubnetIds = this.publicSubnets.map((s) => s.id);
    this.privateSubnetIds = this.privateSubnets.map((s) => s.id);
    this.isolatedSubnetIds = this.isolatedSubnets.map((s) => s.id);

    // Public: default route to the internet gateway.
    this.internetGateway = new InternetGateway(this, 'igw', { vpcId: this.vpc.id, tags: tag('igw') });
    this.publicRouteTable = new RouteTable(this, 'public-rt', { vpcId: this.vpc.id, tags: tag('public') });
    new Route(this, 'public-default-route', {
      routeTableId: this.publicRouteTable.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: this.internetGateway.id,
    });
    this.publicSubnets.forEach((s, i) => {
      new RouteTableAssociation(this, `public-rta-${i}`, {
        subnetId: s.id,
        routeTableId: this.publicRouteTable.id,
      });
    });

    // NAT gateways in the public subnets.
    const natCount = natMode === 'none' ? 0 : natMode === 'single' ? 1 : azs.length;
    const natIps: string[] = [];
    this.natGateways = [...Array(natCount).keys()].map((i) => {
      const eip = new Eip(this, `nat-eip-${i}`, { domain: 'vpc', tags: tag(`nat-${azs[i]}`) });
      natIps.push(eip.publicIp);
      return new NatGateway(this, `nat-${i}`, {
        allocationId: eip.allocationId,
        subnetId: this.publicSubnets[i].id,
        tags: tag(`nat-${azs[i]}`),
        dependsOn: [this.internetGateway],
      });
    });
    this.natPublicIps = natIps;

    // Private: one route table per AZ, default route to its NAT gateway (the shared one when single).
    this.privateRouteTables = this.privateSubnets.map((s, i) => {
      const rt = new RouteTable(this, `private-rt-${i}`, {
        vpcId: this.vpc.id,
        tags: tag(`private-${azs[i]}`),
      });
      if (this.natGateways.length > 0) {
        new Route(this, `private-default-route-${i}`, {
          routeTableId: rt.id,
          destinationCidrBlock: '0.0.0.0/0',
          natGatewayId: this.natGateways[Math.min(i, this.natGateways.length - 1)].id,
        });
      }
      new RouteTableAssociation(this, `private-rta-${i}`, { subnetId: s.id, routeTableId: rt.id });
      return rt;
    });

    // Isolated: local routing only.
    this.isolatedRouteTable = new RouteTable(this, 'isolated-rt', {
      vpcId: this.vpc.id,
      tags: tag('isolated'),
    });
    this.isolatedSubnets.forEach((s, i) => {
      new RouteTableAssociation(this, `isolated-rta-${i}`, {
        subnetId: s.id,
        routeTableId: this.isolatedRouteTable.id,
      });
    });

    // Flow logs → CloudWatch Logs.
    this.flowLogGroup = new CloudwatchLogGroup(this, 'flow-log-group', {
      name: `/vpc/${props.name}/flow-logs`,
      retentionInDays: retention,
      kmsKeyId: props.flowLogKmsKeyArn,
      tags: tag('flow-logs'),
    });
    const trust = new DataAwsIamPolicyDocument(this, 'flow-log-trust', {
      statement: [
        {
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['vpc-flow-logs.amazonaws.com'] }],
          condition: props.accountId
            ? [
                { test: 'StringEquals', variable: 'aws:SourceAccount', values: [props.accountId] },
                {
                  test: 'ArnLike',
                  variable: 'aws:SourceArn',
                  values: [
                    `arn:${partitionOf(props.region)}:ec2:${props.region}:${props.accountId}:vpc-flow-log/*`,
                  ],
                },
              ]
            : undefined,
        },
      ],
    });
    const role = new IamRole(this, 'flow-log-role', {
      name: `${props.name}-vpc-flow-logs`,
      permissionsBoundary: props.permissionsBoundaryArn,
      assumeRolePolicy: trust.json,
      tags: tag('vpc-flow-logs'),
    });
    const write = new DataAwsIamPolicyDocument(this, 'flow-log-write', {
      statement: [
        {
          effect: 'Allow',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [this.flowLogGroup.arn, `${this.flowLogGroup.arn}:*`],
        },
      ],
    });
    new IamRolePolicy(this, 'flow-log-policy', {
      name: 'write-flow-logs',
      role: role.id,
      policy: write.json,
    });
    this.flowLog = new FlowLog(this, 'flow-log', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
      tags: tag('flow-log'),
    });

    // S3 gateway endpoint on the private route tables (ECR image layers come from S3).
    this.s3GatewayEndpoint = new VpcEndpoint(this, 's3-endpoint', {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: this.privateRouteTables.map((rt) => rt.id),
      tags: tag('s3'),
    });

    // Interface endpoints in the private subnets, HTTPS from inside the VPC only.
    const endpoints: Record<string, VpcEndpoint> = {};
    const names = props.interfaceEndpoints ?? [];
    if (names.length > 0) {
      const sg = new SecurityGroup(this, 'endpoint-sg', {
        name: `${props.name}-vpc-endpoints`,
        description: 'Interface VPC endpoints: HTTPS from inside the VPC',
        vpcId: this.vpc.id,
        tags: tag('vpc-endpoints'),
      });
      new VpcSecurityGroupIngressRule(this, 'endpoint-https-from-vpc', {
        securityGroupId: sg.id,
        description: 'HTTPS from the VPC to the interface endpoints',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: props.cidr,
      });
      this.endpointSecurityGroup = sg;
      for (const name of names) {
        endpoints[name] = new VpcEndpoint(this, `endpoint-${name.replace(/\./g, '-')}`, {
          vpcId: this.vpc.id,
          serviceName: `com.amazonaws.${props.region}.${name}`,
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: this.privateSubnetIds as string[],
          securityGroupIds: [sg.id],
          tags: tag(name),
        });
      }
    }
    this.interfaceEndpoints = endpoints;
  }
}

function validate(props: VpcProps, natMode: string, retention: number): void {
  const fail = (msg: string): never => {
    throw new Error(`VpcModule ${props.name}: ${msg}`);
  };
  const cidr = parseCidr(props.cidr);
  if (!cidr) fail(`cidr must be an IPv4 CIDR such as 10.0.0.0/16 (got "${props.cidr}")`);
  else if (hasHostBits(cidr)) fail(`cidr has host bits set (got "${props.cidr}")`);
  else if (cidr.prefix < MIN_VPC_PREFIX || cidr.prefix > MAX_VPC_PREFIX)
    fail(`cidr must be /${MIN_VPC_PREFIX} to /${MAX_VPC_PREFIX} (got "${props.cidr}")`);
  const azs = props.availabilityZones;
  if (azs) {
    if (azs.length < 2 || azs.length > 3)
      fail(`availabilityZones must list 2 or 3 zones (got ${azs.length})`);
    if (new Set(azs).size !== azs.length) fail(`availabilityZones must be distinct (got ${azs.join(', ')})`);
    for (const az of azs) {
      if (!new RegExp(`^${props.region}[a-z]$`).test(az)) fail(`zone ${az} is not in region ${props.region}`);
    }
    if (props.azCount !== undefined && props.azCount !== azs.length)
      fail(`azCount (${props.azCount}) must equal the number of availabilityZones (${azs.length})`);
  } else if (props.azCount !== 2 && props.azCount !== 3) {
    fail(`azCount must be 2 or 3 when availabilityZones is not given (got ${String(props.azCount)})`);
  }
  if (!['single', 'per-az', 'none'].includes(natMode))
    fail(`natGateways must be single, per-az or none (got "${natMode}")`);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention))
    fail(`flowLogRetentionDays must be a CloudWatch retention value (got ${retention})`);
  const eps = props.interfaceEndpoints ?? [];
  for (const e of eps)
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(e)) fail(`interface endpoint "${e}" is not a service name`);
  if (new Set(eps).size !== eps.length) fail('interfaceEndpoints must not repeat a service');
}
