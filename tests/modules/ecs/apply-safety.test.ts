/**
 * Issue 12: changes that must not break a later apply — on the synthesized JSON of the ECS module.
 */
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { Construct } from 'constructs';
import { registerScalableTargetInput } from '../../../services/deployer/src/adapters/autoscaling';
import {
  EcsPlatform,
  type EcsPlatformProps,
  INITIAL_LIVE_COLOUR,
  TRAFFIC_TAGS,
  uniqueCidrs,
} from '../../../modules/ecs';
import { resourceAddressAt } from '../../../modules/ecs/legacy-ids';
import {
  ecsPlatformProps,
  FAKE_CERT,
  listOf,
  newStack,
  resourcesOf,
  synth,
  type Synth,
} from '../../helpers/stack';

const base = ecsPlatformProps;

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

describe('the production rule is never re-created by a listener change (issue 12 item 1)', () => {
  const plain = build(base({ certificateArn: undefined, allowPlainHttp: true }));
  const https = build(base());
  const listeners = (out: Synth) => resourcesOf(out, 'aws_lb_listener');
  const productionId = (out: Synth) =>
    Object.entries(listeners(out)).find(
      ([, l]) => (l.tags as Record<string, string>)?.['switchyard:listener'] === 'production',
    )![0];
  const rule = (out: Synth, kind: string) =>
    Object.entries(resourcesOf(out, 'aws_lb_listener_rule')).find(([k]) => k.includes(kind))![1];

  it('keeps one production listener address whether it serves HTTP or HTTPS (a certificate changes it in place)', () => {
    expect(productionId(plain)).toBe(productionId(https));
    expect(listeners(plain)[productionId(plain)]).toMatchObject({ port: 80, protocol: 'HTTP' });
    expect(listeners(https)[productionId(https)]).toMatchObject({
      port: 443,
      protocol: 'HTTPS',
      certificate_arn: FAKE_CERT,
    });
    for (const out of [plain, https]) {
      expect(rule(out, 'production-rule').listener_arn).toBe(`\${aws_lb_listener.${productionId(out)}.arn}`);
    }
  });

  it('takes over the listener an older synth created as "http" or "https" (moved block)', () => {
    const moved = (out: Synth) => (out as { moved?: { from: string; to: string }[] }).moved;
    expect(moved(plain)).toEqual([
      { from: 'aws_lb_listener.ecs_http_1EF09CFC', to: `aws_lb_listener.${productionId(plain)}` },
    ]);
    expect(moved(https)).toEqual([
      { from: 'aws_lb_listener.ecs_https_204AFE0D', to: `aws_lb_listener.${productionId(https)}` },
    ]);
  });

  it('computes those old addresses exactly as cdktf named the old listeners', () => {
    const { stack } = newStack();
    const scope = new Construct(stack, 'ecs');
    const old = new LbListener(scope, 'https', {
      loadBalancerArn: 'arn:aws:elasticloadbalancing:x',
      defaultAction: [],
    });
    expect(resourceAddressAt(scope, 'aws_lb_listener', 'https')).toBe(
      `aws_lb_listener.${stack.getLogicalId(old)}`,
    );
  });

  it('creates the 80 → 443 redirect only after the production listener left port 80', () => {
    const redirect = Object.values(listeners(https)).find((l) => l.port === 80)!;
    expect(redirect.depends_on).toEqual([`aws_lb_listener.${productionId(https)}`]);
  });

  it('tags the production rule with its service and the colour its declared action sends 100 % to', () => {
    const prod = rule(https, 'production-rule');
    expect(prod.tags).toMatchObject({
      [TRAFFIC_TAGS.service]: 'api',
      [TRAFFIC_TAGS.rule]: 'production',
      [TRAFFIC_TAGS.initialColour]: INITIAL_LIVE_COLOUR,
    });
    const groups = (prod.action as { forward: { target_group: { arn: string; weight: number }[] } }[])[0]!
      .forward.target_group;
    const full = groups.find((g) => g.weight === 100)!;
    expect(full.arn).toContain(`tg-${INITIAL_LIVE_COLOUR}`);
    for (const tg of listOf(https, 'aws_lb_target_group')) {
      expect(Object.keys(tg.tags as object)).toEqual(
        expect.arrayContaining([TRAFFIC_TAGS.service, TRAFFIC_TAGS.colour]),
      );
    }
  });
});
