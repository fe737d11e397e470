import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Testing } from 'cdktf';
import type {} from 'cdktf/lib/testing/adapters/jest';
import { loadConfiguration } from '../../environments/loader';
import { evaluateGuardrails } from '../../modules/guardrails';
import { environmentTags, PlatformStack } from '../../stacks/platform-stack';

Testing.setupJest();

// One app, the three real environments, one synth each.
const config = loadConfiguration();
const app = Testing.app();
const stacks = config.all.map((env) => new PlatformStack(app, { config: env }));
const synthesized = Object.fromEntries(stacks.map((s) => [s.config.name, Testing.synth(s)]));
const parsed = (name: string) => JSON.parse(synthesized[name]);
const ref = (expr: string) => `\${${expr}}`;
const count = (name: string, type: string) => Object.keys(parsed(name).resource[type] ?? {}).length;

test('one stack per environment, named like it', () => {
  expect(stacks.map((s) => s.node.id)).toEqual(['dev', 'staging', 'prod']);
});

describe.each(['dev', 'staging', 'prod'])('%s stack', (name) => {
  const env = config.all.find((e) => e.name === name)!;

  test('AWS provider pinned to the account and region, with default tags', () => {
    expect(synthesized[name]).toHaveProviderWithProperties(AwsProvider, {
      region: 'eu-west-1',
      allowed_account_ids: ['123456789012'],
      default_tags: [{ tags: { project: 'switchyard', environment: name, 'managed-by': 'switchyard' } }],
    });
    expect(environmentTags(env)).toEqual({
      project: 'switchyard',
      environment: name,
      'managed-by': 'switchyard',
    });
  });

  test('S3 backend with its own key and the DynamoDB lock table', () => {
    expect(parsed(name).terraform.backend.s3).toMatchObject({
      key: `switchyard/${name}/terraform.tfstate`,
      dynamodb_table: 'switchyard-tfstate-lock',
      encrypt: true,
    });
  });

  test('VPC sized by tier', () => {
    const azs = env.vpc.azCount;
    expect(count(name, 'aws_subnet')).toBe(3 * azs);
    expect(count(name, 'aws_nat_gateway')).toBe(env.vpc.natGateways === 'per-az' ? azs : 1);
    expect(parsed(name).resource.aws_vpc).toBeDefined();
    expect(Object.values(parsed(name).resource.aws_vpc)[0]).toMatchObject({ cidr_block: env.vpc.cidr });
  });

  test('log groups encrypted with a rotating customer key CloudWatch Logs may use', () => {
    const doc = parsed(name);
    expect(doc.resource.aws_kms_key['logs-key']).toEqual(
      expect.objectContaining({
        enable_key_rotation: true,
        policy: ref('data.aws_iam_policy_document.logs-key-policy.json'),
      }),
    );
    const uses = doc.data.aws_iam_policy_document['logs-key-policy'].statement[1];
    expect(uses.principals).toEqual([{ type: 'Service', identifiers: ['logs.eu-west-1.amazonaws.com'] }]);
    for (const group of Object.values(doc.resource.aws_cloudwatch_log_group) as Record<string, unknown>[]) {
      expect(group.kms_key_id).toBe(ref('aws_kms_key.logs-key.arn'));
    }
  });

  test('composes the runtime: blue/green pair per service, database, cache, deployment table, topology', () => {
    const doc = parsed(name);
    const services = Object.values(doc.resource.aws_ecs_service) as { name: string }[];
    expect(services.map((s) => s.name).sort()).toEqual(
      env.services.flatMap((svc) => [`${svc.name}-blue`, `${svc.name}-green`]).sort(),
    );
    expect(count(name, 'aws_lb_target_group')).toBe(2 * env.services.length);
    expect(count(name, 'aws_db_instance')).toBe(1);
    expect(count(name, 'aws_elasticache_replication_group')).toBe(1);
    const tables = Object.values(doc.resource.aws_dynamodb_table) as { name: string }[];
    expect(tables.map((t) => t.name)).toEqual([`switchyard-${name}-deployments`]);
    const params = Object.values(doc.resource.aws_ssm_parameter) as { name: string }[];
    expect(params.map((p) => p.name)).toEqual(
      expect.arrayContaining(env.services.map((svc) => `/switchyard/${name}/services/${svc.name}`)),
    );
  });

  test('cache authenticates with IAM (RBAC): no generated token anywhere in the state', () => {
    const doc = parsed(name);
    expect(env.cache.authMode).toBe('rbac');
    expect(doc.data?.aws_secretsmanager_random_password).toBeUndefined();
    expect(doc.resource.aws_secretsmanager_secret_version).toBeUndefined();
    for (const rg of Object.values(doc.resource.aws_elasticache_replication_group) as object[]) {
      expect(rg).not.toHaveProperty('auth_token');
    }
    for (const td of Object.values(doc.resource.aws_ecs_task_definition) as {
      container_definitions: string;
    }[]) {
      const [container] = JSON.parse(td.container_definitions);
      expect(container.environment).toContainEqual({ name: 'CACHE_USER', value: `switchyard-${name}-app` });
      expect(JSON.stringify(container.secrets ?? [])).not.toContain('CACHE_AUTH_TOKEN');
    }
    expect(synthesized[name]).toContain('elasticache:Connect');
  });

  test('database log exports go to Terraform-managed log groups with the tier retention and the logs key', () => {
    const groups = Object.values(parsed(name).resource.aws_cloudwatch_log_group) as {
      name: string;
      retention_in_days: number;
      kms_key_id: string;
    }[];
    const rds = groups.filter((g) => g.name.startsWith('/aws/rds/instance/'));
    expect(rds.map((g) => g.name).sort()).toEqual(
      env.database.logExports.map((t) => `/aws/rds/instance/switchyard-${name}-db/${t}`).sort(),
    );
    for (const g of rds) {
      expect(g).toMatchObject({
        retention_in_days: { dev: 14, staging: 30, prod: 90 }[name],
        kms_key_id: ref('aws_kms_key.logs-key.arn'),
      });
    }
  });

  test('services connect to the database as the app user with IAM auth (rds-db:connect on the instance)', () => {
    const doc = parsed(name);
    const [dbId] = Object.keys(doc.resource.aws_db_instance);
    const user = env.database.appUsername;
    expect(user).toBe('app');
    const expected = `arn:aws:rds-db:eu-west-1:123456789012:dbuser:\${aws_db_instance.${dbId}.resource_id}/${user}`;
    const taskPolicies = (
      Object.values(doc.resource.aws_iam_role_policy) as { name: string; policy: string }[]
    )
      .filter((p) => p.name === 'application')
      .map(
        (p) =>
          JSON.parse(p.policy) as { Statement: { Sid?: string; Action: string[]; Resource: string[] }[] },
      );
    expect(taskPolicies).toHaveLength(env.services.length);
    for (const policy of taskPolicies) {
      expect(policy.Statement).toContainEqual({
        Sid: 'DatabaseIamConnect',
        Effect: 'Allow',
        Action: ['rds-db:connect'],
        Resource: [expected],
      });
    }
    for (const td of Object.values(doc.resource.aws_ecs_task_definition) as {
      container_definitions: string;
    }[]) {
      const [container] = JSON.parse(td.container_definitions);
      expect(container.environment).toContainEqual({ name: 'DATABASE_USER', value: user });
    }
  });

  test("the flow-log role trusts the service only for this account's flow logs", () => {
    const docs = parsed(name).data.aws_iam_policy_document as Record<
      string,
      { statement: { condition: unknown }[] }
    >;
    const trust = Object.entries(docs).find(([id]) => id.includes('flow-log-trust'))![1];
    expect(trust.statement[0].condition).toEqual([
      { test: 'StringEquals', variable: 'aws:SourceAccount', values: ['123456789012'] },
      {
        test: 'ArnLike',
        variable: 'aws:SourceArn',
        values: ['arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*'],
      },
    ]);
  });

  test('every IAM role carries the environment permissions boundary bootstrap creates', () => {
    const roles = Object.values(parsed(name).resource.aws_iam_role) as { name: string }[];
    expect(roles.length).toBeGreaterThanOrEqual(1 + 2 * env.services.length); // flow logs + exec/task
    for (const role of roles) {
      expect(role).toMatchObject({
        permissions_boundary: `arn:aws:iam::123456789012:policy/switchyard-${name}-boundary`,
      });
      expect(role.name.startsWith(`switchyard-${name}-`)).toBe(true);
    }
  });

  test('the real stack passes every guardrail with no error', () => {
    const stack = stacks.find((s) => s.config.name === name)!;
    const report = evaluateGuardrails(stack, { tier: env.tier, suppressions: env.guardrails.suppressions });
    expect(report.errors).toEqual([]);
  });

  test('typed outputs', () => {
    expect(Object.keys(parsed(name).output).sort()).toEqual(
      [
        'availability_zones',
        'dashboard_name',
        'dashboard_url',
        'isolated_subnet_ids',
        'private_subnet_ids',
        'public_subnet_ids',
        ...env.services.map((svc) => `topology_${svc.name}`),
        'vpc_id',
      ].sort(),
    );
  });
});

test('tiers: dev 2 AZs single NAT, prod 3 AZs NAT per AZ with interface endpoints', () => {
  expect(count('dev', 'aws_subnet')).toBe(6);
  expect(count('dev', 'aws_nat_gateway')).toBe(1);
  expect(count('prod', 'aws_subnet')).toBe(9);
  expect(count('prod', 'aws_nat_gateway')).toBe(3);
  expect(count('dev', 'aws_vpc_endpoint')).toBe(1); // S3 gateway only
  expect(count('prod', 'aws_vpc_endpoint')).toBe(5); // S3 + ecr.api, ecr.dkr, logs, secretsmanager
});

test('the stack keeps the resolved config for the modules', () => {
  const prod = stacks[2];
  expect(prod.config.database.multiAz).toBe(true);
  // No zones listed in prod.yaml: the first three the region offers the account, read at plan time.
  expect(prod.network.availabilityZones).toHaveLength(3);
  const zones = Object.values(parsed('prod').data.aws_availability_zones) as Record<string, unknown>[];
  expect(zones).toHaveLength(1);
  const subnetZones = (Object.values(parsed('prod').resource.aws_subnet) as { availability_zone: string }[])
    .map((s) => s.availability_zone)
    .sort();
  expect(new Set(subnetZones).size).toBe(3);
  for (const az of subnetZones) {
    expect(az).toMatch(/^\$\{element\(data\.aws_availability_zones\.vpc_zones_[A-Z0-9]+\.names, [012]\)\}$/);
  }
});
