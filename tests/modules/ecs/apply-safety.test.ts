/**
 * Issue 12: changes that must not break a later apply — on the synthesized JSON of the ECS module.
 */
import { registerScalableTargetInput } from '../../../services/deployer/src/adapters/autoscaling';
import { EcsPlatform, type EcsPlatformProps, uniqueCidrs } from '../../../modules/ecs';
import {
  FAKE_ACCOUNT,
  FAKE_CERT,
  FAKE_REGION,
  FAKE_VPC,
  listOf,
  newStack,
  synth,
  type Synth,
} from '../../helpers/stack';

function base(overrides: Partial<EcsPlatformProps> = {}): EcsPlatformProps {
  return {
    environment: 'dev',
    region: FAKE_REGION,
    accountId: FAKE_ACCOUNT,
    vpcId: FAKE_VPC.vpcId,
    vpcCidr: FAKE_VPC.vpcCidr,
    publicSubnetIds: FAKE_VPC.publicSubnetIds,
    privateSubnetIds: FAKE_VPC.privateSubnetIds,
    certificateArn: FAKE_CERT,
    deploymentTableName: 'switchyard-dev-deployments',
    testListener: { natPublicIps: FAKE_VPC.natPublicIps },
    services: [{ name: 'api' }],
    ...overrides,
  };
}

function build(props: EcsPlatformProps): Synth {
  const { stack } = newStack();
  new EcsPlatform(stack, 'ecs', props);
  return synth(stack);
}

/** snake_case Terraform attribute of an SDK field name (MinCapacity → min_capacity). */
const snake = (field: string) => field.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase();

describe('Application Auto Scaling: Terraform ignores every field the deployer writes', () => {
  const out = build(base());
  // What the deployer sends on each release (adapters/autoscaling.ts), minus the target's identity.
  const identity = new Set(['ServiceNamespace', 'ScalableDimension', 'ResourceId']);
  const written = Object.keys(registerScalableTargetInput('service/c/api-blue', 1, 4))
    .filter((k) => !identity.has(k))
    .map(snake);

  it('the deployer writes min and max capacity', () => {
    expect(written.sort()).toEqual(['max_capacity', 'min_capacity']);
  });

  it.each(['blue', 'green'])('the %s scalable target ignores all of them', (colour) => {
    const target = listOf(out, 'aws_appautoscaling_target').find((t) =>
      String(t.resource_id).includes(`service-${colour}`),
    )!;
    const ignored = (target.lifecycle as { ignore_changes: string[] }).ignore_changes;
    for (const field of written) expect(ignored).toContain(field);
  });
});

describe('test-listener sources: repeated allowedCidrs give one security-group rule each', () => {
  it('uniqueCidrs keeps the first of equal sources, in order', () => {
    expect(
      uniqueCidrs(['10.0.0.0/8', '192.0.2.0/24', '010.0.0.0/8', '192.0.2.0/24', '198.51.100.7/32']),
    ).toEqual(['10.0.0.0/8', '192.0.2.0/24', '198.51.100.7/32']);
  });

  it('synthesizes one ingress rule per distinct CIDR (EC2 rejects duplicates: InvalidPermission.Duplicate)', () => {
    const out = build(
      base({ testListener: { allowedCidrs: ['192.0.2.0/24', '192.0.2.0/24', '203.0.113.0/24'] } }),
    );
    const testPortRules = listOf(out, 'aws_vpc_security_group_ingress_rule').filter(
      (r) => r.from_port === 8443,
    );
    const sources = testPortRules.map((r) => r.cidr_ipv4);
    expect(sources.sort()).toEqual(['192.0.2.0/24', '203.0.113.0/24']);
  });
});
