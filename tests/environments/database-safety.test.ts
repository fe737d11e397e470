/**
 * Issue 12 item 2: the explicit opt-in that lets a storageKms change replace the database.
 */
import { problemsOf, resolved, validDoc } from './fixtures';

const dev = (database: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...validDoc('dev'),
  vpc: { cidr: '10.10.0.0/16' },
  database,
  ...extra,
});

describe('database.allowStorageKmsReplacement', () => {
  it('defaults to false in every tier', () => {
    expect(resolved(dev({}), 'dev').database.allowStorageKmsReplacement).toBe(false);
    expect(resolved(validDoc('prod')).database.allowStorageKmsReplacement).toBe(false);
  });

  it('is accepted outside prod with a final snapshot and no deletion protection', () => {
    const doc = dev({
      allowStorageKmsReplacement: true,
      skipFinalSnapshot: false,
      deletionProtection: false,
    });
    expect(resolved(doc, 'dev').database).toMatchObject({
      allowStorageKmsReplacement: true,
      skipFinalSnapshot: false,
    });
  });

  it('never without a final snapshot, and only where the delete can succeed', () => {
    expect(problemsOf(dev({ allowStorageKmsReplacement: true }), 'dev')).toEqual([
      'environments/dev.yaml: database.skipFinalSnapshot: must be false while database.allowStorageKmsReplacement is true (the replacement deletes the database after a final snapshot) (got true)',
    ]);
    const staging = { ...validDoc('staging'), vpc: { cidr: '10.20.0.0/16' } };
    expect(
      problemsOf(
        { ...staging, database: { allowStorageKmsReplacement: true }, protection: { preventDestroy: true } },
        'staging',
      ),
    ).toEqual([
      'environments/staging.yaml: database.deletionProtection: must be false while database.allowStorageKmsReplacement is true (the replacement deletes the database after a final snapshot) (got true)',
      'environments/staging.yaml: protection.preventDestroy: must be false while database.allowStorageKmsReplacement is true (prevent_destroy refuses the replacement plan) (got true)',
    ]);
  });

  it('is refused in prod with the way to change the key there', () => {
    expect(problemsOf({ ...validDoc('prod'), database: { allowStorageKmsReplacement: true } })).toEqual([
      'environments/prod.yaml: database.allowStorageKmsReplacement: must be false in prod (the prod database keeps deletion protection); change the key by snapshot copy and restore instead (got true)',
    ]);
  });
});
