/**
 * Per-environment Terraform state backend: S3 with a DynamoDB lock table, S3-native locking
 * (`use_lockfile`, Terraform >= 1.10) or both while migrating. Computed in TypeScript at synth time
 * from the resolved environment config — no Terraform variables.
 *
 * `s3BackendSettings` is pure (unit-testable, framework-free); `addS3Backend` is the only place that
 * touches the CDKTF backend class (swap it here if moving to the cdktn fork).
 */
import { S3Backend, type TerraformStack } from 'cdktf';
import type { EnvironmentConfig } from './environments/schema';
import { bootstrapStateKey } from './stacks/names';

/** The settings of one environment's S3 backend, in Terraform's own (snake_case) names. */
export interface S3BackendSettings {
  readonly bucket: string;
  /** `<project>/<env>/terraform.tfstate` */
  readonly key: string;
  readonly region: string;
  readonly encrypt: true;
  readonly kms_key_id?: string;
  /** Present for `locking: dynamodb` and `both`. */
  readonly dynamodb_table?: string;
  /** Present (true) for `locking: s3-native` and `both`. */
  readonly use_lockfile?: true;
}

/** Terraform versions that understand `use_lockfile` (S3-native locking). */
export const S3_NATIVE_LOCKING_TERRAFORM = '>= 1.10';

/** State object key of an environment. */
export function stateKey(project: string, environment: string): string {
  return `${project}/${environment}/terraform.tfstate`;
}

export function s3BackendSettings(
  env: Pick<EnvironmentConfig, 'project' | 'name' | 'state'>,
): S3BackendSettings {
  const { state } = env;
  const dynamodb = state.locking === 'dynamodb' || state.locking === 'both';
  const lockfile = state.locking === 's3-native' || state.locking === 'both';
  return {
    bucket: state.bucket,
    key: stateKey(env.project, env.name),
    region: state.region,
    encrypt: true,
    ...(state.kmsKeyId ? { kms_key_id: state.kmsKeyId } : {}),
    ...(dynamodb ? { dynamodb_table: state.lockTable } : {}),
    ...(lockfile ? { use_lockfile: true as const } : {}),
  };
}

/** Adds the environment's S3 backend to a stack. */
export function addS3Backend(
  stack: TerraformStack,
  env: Pick<EnvironmentConfig, 'project' | 'name' | 'state'>,
): S3Backend {
  return addBackend(stack, s3BackendSettings(env));
}

/** The only place that touches cdktf's S3Backend class. */
function addBackend(stack: TerraformStack, s: S3BackendSettings): S3Backend {
  const backend = new S3Backend(stack, {
    bucket: s.bucket,
    key: s.key,
    region: s.region,
    encrypt: s.encrypt,
    kmsKeyId: s.kms_key_id,
    dynamodbTable: s.dynamodb_table,
  });
  // cdktf 0.21's S3BackendConfig predates `use_lockfile`; write it as a raw attribute.
  if (s.use_lockfile) {
    backend.addOverride('use_lockfile', true);
    // Older Terraform rejects the attribute only at init; say it up front.
    stack.addOverride('terraform.required_version', S3_NATIVE_LOCKING_TERRAFORM);
  }
  return backend;
}

/** What the bootstrap stack's own S3 backend needs (after the two-step migration; see README). */
export interface BootstrapBackendInput {
  readonly project: string;
  readonly bucket: string;
  readonly region: string;
  /** Alias ARN of the shared-services state key. */
  readonly kmsKeyId: string;
}

/**
 * The bootstrap stack's state in the bucket it created: `<project>/bootstrap/terraform.tfstate`,
 * encrypted with the shared-services key, locked with the S3 lock file (the bucket's account is the
 * bootstrap account; no lock table needed).
 */
export function bootstrapBackendSettings(input: BootstrapBackendInput): S3BackendSettings {
  return {
    bucket: input.bucket,
    key: bootstrapStateKey(input.project),
    region: input.region,
    encrypt: true,
    kms_key_id: input.kmsKeyId,
    use_lockfile: true,
  };
}

/** Adds the bootstrap stack's S3 backend. */
export function addBootstrapS3Backend(stack: TerraformStack, input: BootstrapBackendInput): S3Backend {
  return addBackend(stack, bootstrapBackendSettings(input));
}
