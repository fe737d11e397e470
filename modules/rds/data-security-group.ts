import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from 'constructs';

export interface DataSecurityGroupProps {
  readonly name: string;
  /** What sits behind it, for descriptions: "PostgreSQL", "Valkey". */
  readonly what: string;
  readonly vpcId: string;
  readonly port: number;
  /** Client security groups (the services' tasks) allowed in on `port`. */
  readonly clientSecurityGroupIds: readonly string[];
  /** Also add the matching egress rule on each client group (the other end of the link). */
  readonly manageClientEgress: boolean;
}

/**
 * Security group of a data store: ingress on one port from the listed client groups only, no egress.
 * Each rule is its own described resource. Owning both ends of the link here (client egress included)
 * lets the ECS module be built first and hand over its task groups without a construct cycle.
 */
export class DataSecurityGroup extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly securityGroupId: string;

  constructor(scope: Construct, id: string, props: DataSecurityGroupProps) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, 'sg', {
      name: props.name,
      description: `${props.what}: ingress on ${props.port} from the services' tasks only, no egress`,
      vpcId: props.vpcId,
      tags: { Name: props.name },
    });
    this.securityGroupId = this.securityGroup.id;
    props.clientSecurityGroupIds.forEach((client, i) => {
      new VpcSecurityGroupIngressRule(this, `from-client-${i}`, {
        securityGroupId: this.securityGroup.id,
        referencedSecurityGroupId: client,
        ipProtocol: 'tcp',
        fromPort: props.port,
        toPort: props.port,
        description: `Service tasks to ${props.what} on ${props.port}`,
      });
      if (props.manageClientEgress) {
        new VpcSecurityGroupEgressRule(this, `client-egress-${i}`, {
          securityGroupId: client,
          referencedSecurityGroupId: this.securityGroup.id,
          ipProtocol: 'tcp',
          fromPort: props.port,
          toPort: props.port,
          description: `Service tasks to ${props.what} on ${props.port}`,
        });
      }
    });
  }
}
