import { Testing } from 'cdktf';
import {
  DeploymentTable,
  deploymentTableName,
  LOCK_SORT_KEY,
  PARTITION_KEY,
  partitionKey,
  RELEASE_ID_ATTRIBUTE,
  RELEASE_ID_INDEX,
  RELEASE_SORT_PREFIX,
  releaseIdKey,
  releaseSortKey,
  SORT_KEY,
  unlockAuditSortKey,
} from '../../../modules/deployment-table';
import { listOf, newStack, synth } from '../../helpers/stack';

Testing.setupJest();

describe('deployment table keys', () => {
  it('builds the documented keys', () => {
    expect(partitionKey('prod', 'api')).toBe('prod#api');
    expect(LOCK_SORT_KEY).toBe('LOCK');
    expect(releaseSortKey(1_700_000_000_000, 'r1')).toBe('RELEASE#1700000000000#r1');
    expect(releaseSortKey(5, 'r1')).toBe('RELEASE#0000000000005#r1');
    expect(releaseIdKey('prod', 'api', 'r1')).toBe('prod#api#r1');
    expect(unlockAuditSortKey(42, 'tok')).toBe('UNLOCK#0000000000042#tok');
    expect(deploymentTableName('switchyard', 'prod')).toBe('switchyard-prod-deployments');
  });

  it('orders release sort keys chronologically (newest first = reverse lexical order)', () => {
    const times = [9, 1_000, 99_999, 1_700_000_000_000, 42];
    const keys = times.map((t) => releaseSortKey(t, 'x'));
    const byKey = [...keys].sort();
    const byTime = [...times].sort((a, b) => a - b).map((t) => releaseSortKey(t, 'x'));
    expect(byKey).toEqual(byTime);
    for (const k of keys) expect(k.startsWith(RELEASE_SORT_PREFIX)).toBe(true);
  });

  it.each([
    [
      'an environment with #',
      () => partitionKey('pr#od', 'api'),
      /environment must be non-empty and must not contain "#"/,
    ],
    ['an empty service', () => partitionKey('prod', ''), /service must be non-empty/],
    ['a negative time', () => releaseSortKey(-1, 'r'), /timestamp must be epoch milliseconds \(got -1\)/],
    ['a fractional time', () => releaseSortKey(1.5, 'r'), /timestamp must be epoch milliseconds/],
    ['a release id with #', () => releaseIdKey('prod', 'api', 'a#b'), /release id must be non-empty/],
  ])('refuses %s', (_c, fn, message) => {
    expect(fn).toThrow(message);
  });
});

describe('DeploymentTable', () => {
  const { stack } = newStack();
  new DeploymentTable(stack, 'dev-table', { environment: 'dev' });
  new DeploymentTable(stack, 'prod-table', { environment: 'prod', preventDestroy: true });
  const tables = listOf(synth(stack), 'aws_dynamodb_table');
  const dev = tables.find((t) => t.name === 'switchyard-dev-deployments')!;
  const prod = tables.find((t) => t.name === 'switchyard-prod-deployments')!;

  it('is on-demand with PITR, SSE and deletion protection, keyed as keys.ts says', () => {
    for (const t of [dev, prod]) {
      expect(t).toMatchObject({
        billing_mode: 'PAY_PER_REQUEST',
        hash_key: PARTITION_KEY,
        range_key: SORT_KEY,
        point_in_time_recovery: { enabled: true },
        server_side_encryption: { enabled: true },
        deletion_protection_enabled: true,
        global_secondary_index: [
          { name: RELEASE_ID_INDEX, hash_key: RELEASE_ID_ATTRIBUTE, projection_type: 'ALL' },
        ],
      });
    }
  });

  it('carries prevent_destroy only when asked (prod)', () => {
    expect(prod.lifecycle).toEqual({ prevent_destroy: true });
    expect(dev).not.toHaveProperty('lifecycle');
  });

  it('refuses an invalid table name', () => {
    const { stack: s } = newStack();
    expect(() => new DeploymentTable(s, 't', { environment: 'dev', tableName: 'a b' })).toThrow(
      /table name "a b" is invalid/,
    );
  });
});
