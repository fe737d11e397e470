import { TerraformStack, Testing } from 'cdktf';
import { addS3Backend, s3BackendSettings, stateKey } from '../../backend';
import { loadConfiguration } from '../../environments/loader';
import type { EnvironmentConfig } from '../../environments/schema';

const config = loadConfiguration();

function withLocking(env: EnvironmentConfig, locking: 'dynamodb' | 's3-native' | 'both'): EnvironmentConfig {
  return { ...env, state: { ...env.state, locking } };
}

/** The `terraform.backend` block a stack with this environment's backend synthesizes. */
function synthesizedBackend(env: EnvironmentConfig): Record<string, unknown> {
  const stack = new TerraformStack(Testing.app(), env.name);
  addS3Backend(stack, env);
  return JSON.parse(Testing.synth(stack)).terraform.backend;
}

describe('per-environment S3 backend from environments/*.yaml', () => {
  test.each(['dev', 'staging', 'prod'])(
    '%s: own key, shared encrypted bucket, DynamoDB lock table',
    (name) => {
      const env = config.all.find((e) => e.name === name)!;
      expect(synthesizedBackend(env)).toEqual({
        s3: {
          bucket: 'switchyard-tfstate-123456789012',
          key: `switchyard/${name}/terraform.tfstate`,
          region: 'eu-west-1',
          encrypt: true,
          kms_key_id: `arn:aws:kms:eu-west-1:123456789012:alias/switchyard-${name}-tfstate`,
          dynamodb_table: 'switchyard-tfstate-lock',
        },
      });
    },
  );
  test('keys differ between environments', () => {
    const keys = config.all.map((e) => s3BackendSettings(e).key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(stateKey('p', 'e')).toBe('p/e/terraform.tfstate');
  });
});

describe('locking modes', () => {
  const dev = config.all.find((e) => e.name === 'dev')!;
  test('dynamodb: lock table only', () => {
    const s = synthesizedBackend(withLocking(dev, 'dynamodb')).s3 as Record<string, unknown>;
    expect(s.dynamodb_table).toBe('switchyard-tfstate-lock');
    expect(s).not.toHaveProperty('use_lockfile');
  });
  test('s3-native: use_lockfile only', () => {
    const s = synthesizedBackend(withLocking(dev, 's3-native')).s3 as Record<string, unknown>;
    expect(s.use_lockfile).toBe(true);
    expect(s).not.toHaveProperty('dynamodb_table');
  });
  test('S3-native locking requires Terraform >= 1.10; DynamoDB locking sets no version', () => {
    const terraformBlock = (env: EnvironmentConfig) => {
      const stack = new TerraformStack(Testing.app(), env.name);
      addS3Backend(stack, env);
      return JSON.parse(Testing.synth(stack)).terraform;
    };
    expect(terraformBlock(withLocking(dev, 's3-native')).required_version).toBe('>= 1.10');
    expect(terraformBlock(withLocking(dev, 'both')).required_version).toBe('>= 1.10');
    expect(terraformBlock(withLocking(dev, 'dynamodb')).required_version).toBeUndefined();
  });
  test('both (migration): lock table and use_lockfile', () => {
    const s = synthesizedBackend(withLocking(dev, 'both')).s3 as Record<string, unknown>;
    expect(s.use_lockfile).toBe(true);
    expect(s.dynamodb_table).toBe('switchyard-tfstate-lock');
  });
  test('custom bucket, table and key from the YAML', () => {
    const env = {
      ...dev,
      state: { ...dev.state, bucket: 'b', lockTable: 't', kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/k' },
    };
    expect(s3BackendSettings(env)).toEqual({
      bucket: 'b',
      key: 'switchyard/dev/terraform.tfstate',
      region: 'eu-west-1',
      encrypt: true,
      kms_key_id: 'arn:aws:kms:eu-west-1:1:key/k',
      dynamodb_table: 't',
    });
  });
});
