import { STORAGE_KMS_REPLACEMENT_TAG } from '../../rds/limits';
import { asArray, asRecord, isFalseOrAbsent, isTrue } from '../config';
import type { GuardrailRule } from '../types';

/** A lifecycle precondition that reads the running instance's encryption (the module's storage-key guard). */
function hasStorageKeyGuard(lifecycle: Readonly<Record<string, unknown>>): boolean {
  return asArray(lifecycle.precondition).some((p) => {
    const condition = asRecord(p).condition;
    return (
      typeof condition === 'string' && condition.includes('storage_encrypted') && condition.includes('data.')
    );
  });
}

export const rdsStorageKeyGuard: GuardrailRule = {
  id: 'SY-RDS-5',
  severity: 'error',
  title: 'a storage-key change cannot replace a database unguarded',
  explanation:
    '`kms_key_id` and `storage_encrypted` force replacement of an RDS instance: RDS cannot re-encrypt one in ' +
    'place, so changing `database.storageKms` would delete the database and create an empty one. Every ' +
    'instance needs a guard: `lifecycle.prevent_destroy`, or a precondition that compares the running ' +
    "instance's key (read with data sources at plan time) with the configured one — what modules/rds adds — " +
    `or, as the explicit opt-in, the tag \`${STORAGE_KMS_REPLACEMENT_TAG}=allowed\` together with ` +
    '`skip_final_snapshot = false` so the delete takes a final snapshot.',
  appliesTo: ['aws_db_instance'],
  check: (resource) => {
    const c = resource.config;
    const lifecycle = asRecord(c.lifecycle);
    if (isTrue(lifecycle.prevent_destroy) || hasStorageKeyGuard(lifecycle)) return [];
    const optIn = asRecord(c.tags)[STORAGE_KMS_REPLACEMENT_TAG] === 'allowed';
    if (optIn && isFalseOrAbsent(c.skip_final_snapshot)) return [];
    if (optIn)
      return [
        'opts into storage-key replacement but skips the final snapshot; set skip_final_snapshot = false',
      ];
    return [
      'has no guard against a storage-key change replacing it (no prevent_destroy, no storage-key precondition, no explicit opt-in)',
    ];
  },
};
