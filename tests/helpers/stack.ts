/**
 * Shared test fixtures: an empty stack with a fake VPC (plain ids, no VPC resources), and helpers to
 * read a synthesized stack. Nothing here reaches the network.
 */
import { type App, TerraformStack, Testing } from 'cdktf';
import type { TerraformConstructor } from 'cdktf/lib/testing/matchers';
import type { EcsPlatformProps } from '../../modules/ecs';

export const FAKE_ACCOUNT = '123456789012';
export const FAKE_REGION = 'eu-west-1';
export const FAKE_CERT = `arn:aws:acm:${FAKE_REGION}:${FAKE_ACCOUNT}:certificate/11111111-2222-3333-4444-555555555555`;

/** A fake VPC: ids only, as a VPC module would expose them. */
export const FAKE_VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  vpcCidr: '10.20.0.0/16',
  publicSubnetIds: ['subnet-pub-a', 'subnet-pub-b'],
  privateSubnetIds: ['subnet-priv-a', 'subnet-priv-b'],
  isolatedSubnetIds: ['subnet-iso-a', 'subnet-iso-b'],
  /** Documentation addresses (RFC 5737) standing in for the NAT gateways' elastic IPs. */
  natPublicIps: ['198.51.100.10'],
} as const;

export function newStack(name = 'test'): { app: App; stack: TerraformStack } {
  const app = Testing.app();
  return { app, stack: new TerraformStack(app, name) };
}

/** Synthesized Terraform JSON of a stack. */
export interface Synth {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; description?: string }>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
}

export function synth(stack: TerraformStack): Synth {
  return JSON.parse(Testing.synth(stack)) as Synth;
}

/** Every resource of one type, keyed by its logical id. */
export function resourcesOf(s: Synth, type: string): Record<string, Record<string, unknown>> {
  return s.resource?.[type] ?? {};
}

/** The resources of one type as a list. */
export function listOf(s: Synth, type: string): Record<string, unknown>[] {
  return Object.values(resourcesOf(s, type));
}

/** The one resource of a type whose attribute `key` equals `value`; throws when not exactly one. */
export function findBy(s: Synth, type: string, key: string, value: unknown): Record<string, unknown> {
  const hits = listOf(s, type).filter((r) => JSON.stringify(r[key]) === JSON.stringify(value));
  if (hits.length !== 1)
    throw new Error(`expected one ${type} with ${key}=${JSON.stringify(value)}, found ${hits.length}`);
  return hits[0]!;
}

/** `${aws_x.y.attr}` → the logical reference `aws_x.y` of a token-resolved string. */
export function refOf(value: unknown): string | undefined {
  const m = typeof value === 'string' ? /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\.[a-z_]+\}$/.exec(value) : null;
  return m?.[1];
}

/**
 * Replaces every Terraform interpolation `${…}` in a string by a placeholder derived from it, as if
 * Terraform had resolved it (`${aws_lb.x.arn}` → `resolved:aws_lb.x.arn`).
 */
export function resolveInterpolations(value: string): string {
  return value.replace(/\$\{([^}]+)\}/g, (_m, expr: string) => `resolved:${expr}`);
}

/** The cdktf matchers registered by `Testing.setupJest()` (their global typing clashes with @types/jest 30). */
export interface CdktfMatchers {
  toHaveResource(resource: TerraformConstructor): void;
  toHaveResourceWithProperties(resource: TerraformConstructor, properties: Record<string, unknown>): void;
  readonly not: Omit<CdktfMatchers, 'not'>;
}

/** `expect(synthesizedJson)` typed with the cdktf matchers. */
export function expectSynth(json: string): CdktfMatchers {
  return expect(json) as unknown as CdktfMatchers;
}

/**
 * Minimal valid props of the ECS platform module on the fake VPC (HTTPS, NAT IP as test-listener source,
 * one service `api`); override what a test is about.
 */
export function ecsPlatformProps(overrides: Partial<EcsPlatformProps> = {}): EcsPlatformProps {
  const environment = overrides.environment ?? 'dev';
  return {
    environment,
    region: FAKE_REGION,
    accountId: FAKE_ACCOUNT,
    vpcId: FAKE_VPC.vpcId,
    vpcCidr: FAKE_VPC.vpcCidr,
    publicSubnetIds: FAKE_VPC.publicSubnetIds,
    privateSubnetIds: FAKE_VPC.privateSubnetIds,
    certificateArn: FAKE_CERT,
    deploymentTableName: `switchyard-${environment}-deployments`,
    testListener: { natPublicIps: FAKE_VPC.natPublicIps },
    services: [{ name: 'api' }],
    ...overrides,
  };
}
