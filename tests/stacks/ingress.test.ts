/**
 * The exact set of ingress rules of each real environment stack (environments/*.yaml through
 * stacks/platform-stack.ts and stacks/runtime.ts): the security-group chain and nothing else.
 * Every rule is listed as "<target group> <- <source> : <port> (<description>)".
 */
import { Testing } from 'cdktf';
import { loadConfiguration } from '../../environments/loader';
import type { EnvironmentConfig } from '../../environments/schema';
import { PlatformStack } from '../../stacks/platform-stack';

const config = loadConfiguration();
const app = Testing.app();
const built = config.all.map((env) => ({
  env,
  doc: JSON.parse(Testing.synth(new PlatformStack(app, { config: env }))) as {
    resource: Record<string, Record<string, Record<string, unknown>>>;
  },
}));

type Doc = (typeof built)[number]['doc'];

/** `${aws_security_group.<id>.id}` → the group's name; `${aws_eip.<id>.public_ip}/32` → `nat-eip/32`. */
function describeRules(doc: Doc): string[] {
  const groups = doc.resource.aws_security_group ?? {};
  const nameOf = (ref: unknown) => {
    const id = /^\$\{aws_security_group\.([^.]+)\.id\}$/.exec(String(ref))?.[1];
    return id ? String(groups[id]?.name) : `?${String(ref)}`;
  };
  return Object.values(doc.resource.aws_vpc_security_group_ingress_rule ?? {}).map((r) => {
    const source =
      r.referenced_security_group_id !== undefined
        ? `sg:${nameOf(r.referenced_security_group_id)}`
        : String(r.cidr_ipv4).replace(/^\$\{aws_eip\.[^.]+\.public_ip\}/, 'nat-eip');
    const port = r.from_port === r.to_port ? String(r.from_port) : `${r.from_port}-${r.to_port}`;
    return `${nameOf(r.security_group_id)} <- ${source} : ${r.ip_protocol}/${port} (${r.description})`;
  });
}

function expectedRules(env: EnvironmentConfig): string[] {
  const p = `switchyard-${env.name}`;
  const https = !!env.alb.certificateArn;
  const nat = env.vpc.natGateways === 'none' ? 0 : env.vpc.natGateways === 'single' ? 1 : env.vpc.azCount;
  const test = env.alb.testListener.port;
  return [
    ...(https
      ? [
          `${p}-alb <- 0.0.0.0/0 : tcp/443 (Internet to ALB HTTPS)`,
          `${p}-alb <- 0.0.0.0/0 : tcp/80 (Internet to ALB HTTP (redirected to HTTPS))`,
        ]
      : [`${p}-alb <- 0.0.0.0/0 : tcp/80 (Internet to ALB plain HTTP (explicit allowPlainHttp opt-in))`]),
    ...[...Array(nat).keys()].map(
      (i) =>
        `${p}-alb <- nat-eip/32 : tcp/${test} (Test listener (idle colour) from NAT gateway ${i} (clients inside the VPC))`,
    ),
    ...env.alb.testListener.allowedCidrs.map(
      (c) => `${p}-alb <- ${c} : tcp/${test} (Test listener (idle colour) from ${c})`,
    ),
    ...env.services.flatMap((s) => [
      `${p}-${s.name}-tasks <- sg:${p}-alb : tcp/${s.containerPort} (ALB to ${s.name} tasks on container port ${s.containerPort})`,
      `${p}-db <- sg:${p}-${s.name}-tasks : tcp/5432 (${s.name} tasks to postgres on 5432)`,
      `${p}-cache <- sg:${p}-${s.name}-tasks : tcp/6379 (${s.name} tasks to cache on 6379)`,
    ]),
    // The one CIDR-sourced rule inside the VPC, allowed on purpose: interface endpoints answer HTTPS
    // to anything in the VPC (tasks reach ECR, logs and Secrets Manager through them).
    ...(env.vpc.interfaceEndpoints.length > 0
      ? [`${p}-vpc-endpoints <- ${env.vpc.cidr} : tcp/443 (HTTPS from the VPC to the interface endpoints)`]
      : []),
  ].sort();
}

describe.each(built.map((b) => [b.env.name, b] as const))('%s stack ingress', (_name, { env, doc }) => {
  test('is exactly the security-group chain (plus the VPC endpoint exception)', () => {
    expect(describeRules(doc).sort()).toEqual(expectedRules(env));
  });

  test('no inline ingress, no legacy rules, default security group closed', () => {
    for (const sg of Object.values(doc.resource.aws_security_group ?? {})) expect(sg.ingress).toBeUndefined();
    expect(doc.resource.aws_security_group_rule).toBeUndefined();
    for (const sg of Object.values(doc.resource.aws_default_security_group ?? {}))
      expect(sg.ingress).toEqual([]);
  });
});

test('the three environments are covered, and prod has the endpoint exception', () => {
  expect(built.map((b) => b.env.name)).toEqual(['dev', 'staging', 'prod']);
  expect(describeRules(built[2]!.doc).some((r) => r.includes('interface endpoints'))).toBe(true);
});
