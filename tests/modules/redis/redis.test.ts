import { TerraformOutput, Testing } from 'cdktf';
import { tierDefaults } from '../../../environments/tiers';
import { CacheCluster, type CacheClusterProps, cacheConnectStatement } from '../../../modules/redis';
import {
  FAKE_ACCOUNT,
  FAKE_REGION,
  FAKE_VPC,
  listOf,
  newStack,
  type Synth,
  synth,
} from '../../helpers/stack';

Testing.setupJest();

const TOPIC = `arn:aws:sns:${FAKE_REGION}:${FAKE_ACCOUNT}:switchyard-x-alarms`;
type Tier = 'dev' | 'staging' | 'prod';

function tierProps(tier: Tier, overrides: Partial<CacheClusterProps> = {}): CacheClusterProps {
  const c = tierDefaults(tier).cache as Record<string, never>;
  return {
    environment: tier,
    vpcId: FAKE_VPC.vpcId,
    isolatedSubnetIds: FAKE_VPC.isolatedSubnetIds,
    allowedSecurityGroupIds: ['sg-tasks-api'],
    engine: c.engine,
    nodeType: c.nodeType,
    replicas: c.replicas,
    automaticFailover: c.automaticFailover,
    multiAz: c.multiAz,
    snapshotRetentionDays: c.snapshotRetentionDays,
    authMode: c.authMode,
    preventDestroy: (tierDefaults(tier).protection as { preventDestroy: boolean }).preventDestroy,
    alarmTopicArn: TOPIC,
    ...overrides,
  };
}

/** `probe` output: the authTokenSecretArn as Terraform will see it. */
function build(props: CacheClusterProps): { cache: CacheCluster; out: Synth } {
  const { stack } = newStack();
  const cache = new CacheCluster(stack, 'cache', props);
  if (cache.authTokenSecretArn) new TerraformOutput(stack, 'probe', { value: cache.authTokenSecretArn });
  return { cache, out: synth(stack) };
}

describe.each<Tier>(['dev', 'staging', 'prod'])('CacheCluster with %s tier defaults', (tier) => {
  const props = tierProps(tier);
  const { cache, out } = build(props);
  const [rg] = listOf(out, 'aws_elasticache_replication_group');

  it('encrypts at rest and in transit', () => {
    expect(rg).toMatchObject({
      at_rest_encryption_enabled: 'true',
      transit_encryption_enabled: true,
      transit_encryption_mode: 'required',
      engine: 'valkey',
      engine_version: '8.0',
      port: 6379,
    });
  });

  it('applies replicas, failover, Multi-AZ and snapshot retention of the tier', () => {
    expect(rg).toMatchObject({
      num_cache_clusters: 1 + (props.replicas ?? 0),
      automatic_failover_enabled: props.automaticFailover,
      multi_az_enabled: props.multiAz,
      snapshot_retention_limit: props.snapshotRetentionDays,
      node_type: props.nodeType,
    });
    expect((rg!.lifecycle as { prevent_destroy?: boolean } | undefined)?.prevent_destroy === true).toBe(
      props.preventDestroy,
    );
  });

  it('authenticates with an IAM user group by default: no token, no secret, nothing in the state', () => {
    expect(props.authMode).toBe('rbac');
    expect(rg).not.toHaveProperty('auth_token');
    expect(out.data?.aws_secretsmanager_random_password).toBeUndefined();
    expect(listOf(out, 'aws_secretsmanager_secret')).toHaveLength(0);
    expect(cache.authTokenSecretArn).toBeUndefined();
    expect(listOf(out, 'aws_elasticache_user_group')).toHaveLength(1);
  });
});

describe.each<Tier>(['dev', 'prod'])('CacheCluster with the secrets-manager opt-in (%s)', (tier) => {
  const { out } = build(tierProps(tier, { authMode: 'secrets-manager' }));
  const [rg] = listOf(out, 'aws_elasticache_replication_group');

  it('takes its AUTH token from a generated Secrets Manager value, never a literal', () => {
    expect(String(rg!.auth_token)).toMatch(
      /^\$\{data\.aws_secretsmanager_random_password\..+\.random_password\}$/,
    );
    expect(rg!.lifecycle).toMatchObject({ ignore_changes: ['auth_token'] });
    const [version] = listOf(out, 'aws_secretsmanager_secret_version');
    expect(version!.secret_string).toBe(rg!.auth_token);
    expect(listOf(out, 'aws_secretsmanager_secret')[0]).toMatchObject({
      name: `switchyard/${tier}/cache/auth-token`,
    });
    expect(out.output?.probe?.value).toMatch(/^\$\{aws_secretsmanager_secret\..+\.arn\}$/);
  });
});

describe.each<Tier>(['dev', 'staging', 'prod'])('CacheCluster alarms and network (%s)', (tier) => {
  const props = tierProps(tier);
  const { cache, out } = build(props);

  it('alarms on CPU and evictions for every node', () => {
    const names = listOf(out, 'aws_cloudwatch_metric_alarm').map((a) => a.alarm_name);
    expect(names).toHaveLength(2 * (1 + (props.replicas ?? 0)));
    expect(names).toContain(`switchyard-${tier}-001-cpu`);
    expect(names).toContain(`switchyard-${tier}-001-evictions`);
    expect([...cache.alarmNames].sort()).toEqual([...names].sort());
  });

  it('lives in the isolated subnets and admits 6379 from the tasks only', () => {
    expect(listOf(out, 'aws_elasticache_subnet_group')[0]).toMatchObject({
      subnet_ids: FAKE_VPC.isolatedSubnetIds,
    });
    const ingress = listOf(out, 'aws_vpc_security_group_ingress_rule');
    expect(ingress).toEqual([
      expect.objectContaining({
        from_port: 6379,
        to_port: 6379,
        referenced_security_group_id: 'sg-tasks-api',
      }),
    ]);
  });
});

test('the module itself defaults to RBAC (no auth token) when authMode is not given', () => {
  const { out } = build(tierProps('dev', { authMode: undefined }));
  expect(listOf(out, 'aws_elasticache_replication_group')[0]).not.toHaveProperty('auth_token');
  expect(listOf(out, 'aws_elasticache_user_group')).toHaveLength(1);
});

describe('CacheCluster in RBAC mode', () => {
  const { cache, out } = build(tierProps('prod', { authMode: 'rbac' }));
  const [rg] = listOf(out, 'aws_elasticache_replication_group');

  it('uses a user group with a disabled default user and an IAM-authenticated app user, no token at all', () => {
    expect(rg).not.toHaveProperty('auth_token');
    expect(listOf(out, 'aws_secretsmanager_secret')).toHaveLength(0);
    const users = listOf(out, 'aws_elasticache_user');
    const def = users.find((u) => u.user_name === 'default')!;
    expect(def.access_string).toMatch(/^off /);
    const app = users.find((u) => u.user_name !== 'default')!;
    expect(app).toMatchObject({ authentication_mode: { type: 'iam' }, user_id: app.user_name });
    expect(String((rg!.user_group_ids as string[])[0])).toContain('aws_elasticache_user_group');
    expect(cache.appUser).toBeDefined();
  });

  it('offers the task-role statement services need to connect', () => {
    const st = cacheConnectStatement('switchyard', 'prod', FAKE_REGION, FAKE_ACCOUNT);
    expect(st.actions).toEqual(['elasticache:Connect']);
    expect(st.resources).toEqual([
      `arn:aws:elasticache:${FAKE_REGION}:${FAKE_ACCOUNT}:replicationgroup:${cache.replicationGroupId}`,
      `arn:aws:elasticache:${FAKE_REGION}:${FAKE_ACCOUNT}:user:switchyard-prod-app`,
    ]);
  });
});

describe('CacheCluster validation', () => {
  const attempt = (overrides: Partial<CacheClusterProps>) => () => {
    const { stack } = newStack();
    new CacheCluster(stack, 'cache', tierProps('dev', overrides));
  };
  it.each<[string, Partial<CacheClusterProps>, RegExp]>([
    [
      'failover without replicas',
      { replicas: 0, automaticFailover: true },
      /automaticFailover: needs replicas ≥ 1/,
    ],
    [
      'Multi-AZ without failover',
      { replicas: 1, multiAz: true, automaticFailover: false },
      /multiAz: needs automaticFailover: true/,
    ],
    [
      'an old Redis',
      { engine: 'redis', engineVersion: '6.2' },
      /engineVersion: Redis 7.0 or newer is required/,
    ],
    ['too many replicas', { replicas: 6 }, /replicas: must be an integer 0-5/],
    [
      'an unknown auth mode',
      { authMode: 'password' as never },
      /authMode: must be "secrets-manager" or "rbac"/,
    ],
  ])('refuses %s', (_c, overrides, message) => {
    expect(attempt(overrides)).toThrow(message);
  });
});
