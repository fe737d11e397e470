/**
 * The contract between the platform and this service, checked on the real synthesized stacks of
 * environments/*.yaml: every variable the service needs is injected, the IAM permissions match the users
 * it signs for, the ALB probes the service's liveness path on its port, and the timeouts line up
 * (keep-alive > ALB idle timeout; shutdown budget + pool closing < the container's stopTimeout).
 */
import { Testing } from 'cdktf';
import { loadConfig } from '../../../apps/api/src/config';
import { loadConfiguration } from '../../../environments/loader';
import { PlatformStack } from '../../../stacks/platform-stack';

/** Fargate's stopTimeout when the container definition sets none (ContainerDefinition.stopTimeout). */
const FARGATE_DEFAULT_STOP_TIMEOUT_S = 30;
/** shutdown.ts: each pool gets at most this long to close after the HTTP server. */
const RESOURCE_CLOSE_BUDGET_S = 3;

const config = loadConfiguration();
const app = Testing.app();
const stacks = config.all.map((env) => new PlatformStack(app, { config: env }));
type Doc = { resource: Record<string, Record<string, Record<string, unknown>>> };
const docs = Object.fromEntries(stacks.map((s) => [s.config.name, JSON.parse(Testing.synth(s)) as Doc]));
const list = (doc: Doc, type: string) => Object.values(doc.resource[type] ?? {});

interface Container {
  name: string;
  environment: Array<{ name: string; value: string }>;
  secrets?: Array<{ name: string }>;
  portMappings: Array<{ containerPort: number }>;
  readonlyRootFilesystem: boolean;
  linuxParameters: { capabilities: { drop: string[] } };
  stopTimeout?: number;
  user?: string;
}

describe.each(config.all.map((e) => e.name))('%s: the api service gets what it needs', (name) => {
  const doc = docs[name]!;
  const env = config.all.find((e) => e.name === name)!;
  const svc = env.services.find((s) => s.name === 'api')!;
  const [taskDef] = list(doc, 'aws_ecs_task_definition').filter((t) => String(t['family']).endsWith('-api'));
  const [container] = JSON.parse(String(taskDef!['container_definitions'])) as Container[];
  const injected = Object.fromEntries(container!.environment.map((e) => [e.name, e.value]));
  // ECS adds AWS_REGION to every task (ECS Developer Guide, "Amazon ECS environment variables").
  const loaded = loadConfig({ ...injected, AWS_REGION: env.region });

  it('the injected environment is a complete, valid configuration', () => {
    expect(loaded).toMatchObject({ ok: true });
  });

  it('the cache is reached as the IAM user of the replication group the token is signed for', () => {
    if (!loaded.ok) throw new Error('configuration invalid');
    const [rg] = list(doc, 'aws_elasticache_replication_group');
    const iamUsers = list(doc, 'aws_elasticache_user').filter(
      (u) => (u['authentication_mode'] as { type: string }).type === 'iam',
    );
    expect(loaded.config.cache.auth).toEqual({
      kind: 'iam',
      user: iamUsers[0]!['user_id'],
      cacheName: rg!['replication_group_id'],
    });
    expect(iamUsers[0]!['user_name']).toBe(iamUsers[0]!['user_id']); // required for IAM auth
    expect(loaded.config.cache.tls).toBe(true);
    expect(rg!['transit_encryption_enabled']).toBe(true);
    expect((container!.secrets ?? []).map((s) => s.name)).not.toContain('CACHE_AUTH_TOKEN');
  });

  it('the task role may connect exactly as the users the service signs tokens for', () => {
    if (!loaded.ok) throw new Error('configuration invalid');
    const policies = list(doc, 'aws_iam_role_policy')
      .map((p) => JSON.stringify(p['policy']))
      .join('\n');
    expect(policies).toContain('rds-db:connect');
    expect(policies).toMatch(new RegExp(`dbuser:[^"]*/${loaded.config.database.user}\\b`));
    expect(policies).toContain('elasticache:Connect');
    const auth = loaded.config.cache.auth as { user: string; cacheName: string };
    expect(policies).toContain(`:replicationgroup:${auth.cacheName}`);
    expect(policies).toContain(`:user:${auth.user}`);
  });

  it('the ALB reaches the port the service listens on and probes its liveness path', () => {
    if (!loaded.ok) throw new Error('configuration invalid');
    expect(container!.portMappings[0]!.containerPort).toBe(loaded.config.port);
    const tgs = list(doc, 'aws_lb_target_group');
    expect(tgs).toHaveLength(2);
    for (const tg of tgs) {
      expect(tg['port']).toBe(loaded.config.port);
      expect(tg['health_check']).toMatchObject({ path: '/health', port: 'traffic-port' });
    }
    expect(svc.healthCheck.path).toBe('/health');
  });

  it('keep-alive outlasts the ALB idle timeout; shutdown fits in the stopTimeout', () => {
    if (!loaded.ok) throw new Error('configuration invalid');
    const [alb] = list(doc, 'aws_lb');
    expect(loaded.config.keepAliveTimeoutMs / 1000).toBeGreaterThan(Number(alb!['idle_timeout']));
    const stopTimeout = container!.stopTimeout ?? FARGATE_DEFAULT_STOP_TIMEOUT_S;
    expect(loaded.config.shutdownTimeoutMs / 1000 + RESOURCE_CLOSE_BUDGET_S).toBeLessThan(stopTimeout);
  });

  it('runs with a read-only root file system and no capabilities (the image needs neither)', () => {
    expect(container!.readonlyRootFilesystem).toBe(true);
    expect(container!.linuxParameters.capabilities.drop).toEqual(['ALL']);
    // No user override: the image's non-root USER applies (tests/apps/dockerfile.test.ts).
    expect(container!.user).toBeUndefined();
  });
});
