/**
 * Issue 12 item 2: database changes that must not break a later apply or lose data — on the synthesized JSON.
 */
import { tierDefaults } from '../../../environments/tiers';
import {
  PostgresDatabase,
  type PostgresDatabaseProps,
  STORAGE_KMS_REPLACEMENT_TAG,
} from '../../../modules/rds';
import { evaluateHcl, terraformAvailable, unwrapInterpolation } from '../../helpers/hcl';
import { FAKE_VPC, listOf, newStack, type Synth, synth } from '../../helpers/stack';

type Tier = 'dev' | 'staging' | 'prod';

function tierProps(tier: Tier, overrides: Partial<PostgresDatabaseProps> = {}): PostgresDatabaseProps {
  const db = tierDefaults(tier).database as Record<string, never>;
  return {
    environment: tier,
    vpcId: FAKE_VPC.vpcId,
    isolatedSubnetIds: FAKE_VPC.isolatedSubnetIds,
    deletionProtection: db.deletionProtection,
    skipFinalSnapshot: db.skipFinalSnapshot,
    storageKms: db.storageKms,
    preventDestroy: (tierDefaults(tier).protection as { preventDestroy: boolean }).preventDestroy,
    ...overrides,
  };
}

function build(
  props: PostgresDatabaseProps,
): Synth & { data?: Record<string, Record<string, Record<string, unknown>>> } {
  const { stack } = newStack();
  new PostgresDatabase(stack, 'db', props);
  return synth(stack);
}

interface Guard {
  condition: string;
  error_message: string;
}
const instanceOf = (out: Synth) => listOf(out, 'aws_db_instance')[0]!;
const guardOf = (out: Synth): Guard | undefined =>
  ((instanceOf(out).lifecycle as { precondition?: Guard[] } | undefined)?.precondition ?? [])[0];

describe('PostgreSQL major version: allowed, in place', () => {
  const out = build(tierProps('prod', { engineVersion: '17' }));
  it('allows major upgrades and applies them during the apply', () => {
    expect(instanceOf(out)).toMatchObject({
      engine_version: '17',
      allow_major_version_upgrade: true,
      apply_immediately: true,
    });
  });
  it('swaps to a parameter group of the new family created before the old one is destroyed', () => {
    expect(listOf(out, 'aws_db_parameter_group')[0]).toMatchObject({
      family: 'postgres17',
      name_prefix: 'switchyard-prod-postgres17-',
      lifecycle: { create_before_destroy: true },
    });
  });
});

describe.each<[Tier, string]>([
  ['dev', 'AWS'],
  ['staging', 'AWS'],
  ['prod', 'CUSTOMER'],
])('storage key guard in %s (tier key manager %s)', (tier, manager) => {
  const out = build(tierProps(tier));
  const guard = guardOf(out)!;
  const data = out.data!;

  it('reads the running instance (if any) and its key with data sources during the plan', () => {
    const [[existingId, existing]] = Object.entries(data.aws_db_instances!);
    expect(existing).toEqual({ filter: [{ name: 'db-instance-id', values: [`switchyard-${tier}-db`] }] });
    const count = `\${length(data.aws_db_instances.${existingId}.instance_identifiers)}`;
    const [[liveId, live]] = Object.entries(data.aws_db_instance!);
    expect(live).toEqual({ count, db_instance_identifier: `switchyard-${tier}-db` });
    const [key] = Object.values(data.aws_kms_key!);
    expect(key).toEqual({ count, key_id: `\${data.aws_db_instance.${liveId}[count.index].kms_key_id}` });
  });

  it(`refuses a plan whose running database is not on ${manager === 'AWS' ? 'aws/rds' : 'a customer key'} unless the opt-in tag is live`, () => {
    expect(guard.condition).toContain(`lookup(i.tags, "${STORAGE_KMS_REPLACEMENT_TAG}", "") == "allowed"`);
    expect(guard.condition).toContain(`i.storage_encrypted && data.aws_kms_key.`);
    expect(guard.condition).toContain(`.key_manager == "${manager}"`);
    expect(guard.error_message).toContain('this plan would delete the database and create an empty one');
    expect(guard.error_message).toContain('database.allowStorageKmsReplacement: true');
  });

  it('depends only on data sources, so it is decided at plan time (before a replacement could delete anything)', () => {
    const refs = [...guard.condition.matchAll(/\b(data\.)?(aws_[a-z_]+)\.[A-Za-z0-9_-]+/g)];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref[1]).toBe('data.');
  });
});

describe('an explicit customer key', () => {
  const key = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
  it('is compared with the running instance key itself', () => {
    expect(guardOf(build(tierProps('staging', { kmsKeyArn: key })))!.condition).toContain(
      `i.kms_key_id == "${key}"`,
    );
  });
});

describe('the explicit opt-in allowStorageKmsReplacement', () => {
  const props = tierProps('dev', {
    allowStorageKmsReplacement: true,
    skipFinalSnapshot: false,
    deletionProtection: false,
  });
  const out = build(props);
  it('drops the guard, tags the instance (the recorded opt-in) and keeps a final snapshot', () => {
    expect(guardOf(out)).toBeUndefined();
    expect(instanceOf(out)).toMatchObject({
      tags: { [STORAGE_KMS_REPLACEMENT_TAG]: 'allowed' },
      skip_final_snapshot: false,
      final_snapshot_identifier: 'switchyard-dev-db-final',
      deletion_protection: false,
    });
  });
  it.each<[Partial<PostgresDatabaseProps>, string]>([
    [{ skipFinalSnapshot: true }, 'skipFinalSnapshot (must be false: a final snapshot is taken)'],
    [{ deletionProtection: true }, 'deletionProtection (must be false, or the delete fails)'],
    [{ preventDestroy: true, deletionProtection: true }, 'preventDestroy (must be false, or the plan fails)'],
  ])('is refused with %j', (overrides, message) => {
    expect(() => build({ ...props, ...overrides })).toThrow(message);
  });
});

/** Terraform's own evaluation of the synthesized condition (data sources replaced by locals). */
(terraformAvailable ? describe : describe.skip)('the guard evaluated by terraform console', () => {
  it.each<[Tier, string, boolean]>([
    ['dev', 'no database yet', true],
    ['dev', 'running on aws/rds (unchanged)', true],
    ['dev', 'running on a customer key (storageKms changed to aws-managed)', false],
    ['dev', 'running on a customer key, opt-in tag live', true],
    ['dev', 'running unencrypted', false],
    ['prod', 'running on a customer key (unchanged)', true],
    ['prod', 'running on aws/rds (storageKms changed to customer-managed)', false],
  ])('%s: %s → %s', (tier, scenario, expected) => {
    const guard = guardOf(build(tierProps(tier)))!;
    const expr = unwrapInterpolation(guard.condition)
      .replace(/data\.aws_db_instance\.[A-Za-z0-9_-]+/g, 'local.live')
      .replace(/data\.aws_kms_key\.[A-Za-z0-9_-]+/g, 'local.keys');
    const running = (manager: string, tags = '{}', encrypted = true) =>
      `live = [{ tags = ${tags}, storage_encrypted = ${encrypted}, kms_key_id = "arn:aws:kms:eu-west-1:1:key/x" }]\n` +
      `keys = [{ key_manager = "${manager}" }]`;
    const locals: Record<string, string> = {
      'no database yet': 'live = []\nkeys = []',
      'running on aws/rds (unchanged)': running('AWS'),
      'running on a customer key (storageKms changed to aws-managed)': running('CUSTOMER'),
      'running on a customer key, opt-in tag live': running(
        'CUSTOMER',
        `{ "${STORAGE_KMS_REPLACEMENT_TAG}" = "allowed" }`,
      ),
      'running unencrypted': running('AWS', '{}', false),
      'running on a customer key (unchanged)': running('CUSTOMER'),
      'running on aws/rds (storageKms changed to customer-managed)': running('AWS'),
    };
    expect(evaluateHcl(locals[scenario]!, [expr])).toEqual([expected]);
  });
});
