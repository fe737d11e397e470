/**
 * StorePort on DynamoDB (@aws-sdk/client-dynamodb): the deployment lock and the release history of one
 * environment's deployment table. Key design (shared with the Terraform table): modules/deployment-table/keys.ts.
 *
 * | item        | pk            | sk                                   | other                               |
 * |-------------|---------------|--------------------------------------|-------------------------------------|
 * | lock        | `<env>#<svc>` | `LOCK`                               | token, owner, acquiredAt, expiresAt |
 * | release     | `<env>#<svc>` | `RELEASE#<startedAt 13 digits>#<id>` | rid = `<env>#<svc>#<id>` (GSI), every ReleaseRecord field |
 * | force audit | `<env>#<svc>` | `UNLOCK#<at 13 digits>#<token>`      | by, reason, at, removed (the lock)  |
 *
 * - acquire: PutItem `attribute_not_exists(pk) OR expiresAt < :now` (ReturnValues ALL_OLD tells a
 *   take-over of an expired lease; ReturnValuesOnConditionCheckFailure ALL_OLD names the holder).
 * - renew: UpdateItem `SET expiresAt` with `token = :token`; a failed condition = the lock is no
 *   longer ours → LockFenceError (PortError 'conflict'); TransactionConflictException (an ongoing
 *   transaction on the lock item) is retryable.
 * - release: DeleteItem with `token = :token`; a failed condition (gone or taken over) is not an error.
 * - force-unlock: read the lock, then one transaction deleting exactly that lock and writing the audit item.
 * - fenced release writes (`fence` given): one TransactWriteItems = ConditionCheck on the lock item
 *   (`#token = :token`, ReturnValuesOnConditionCheckFailure ALL_OLD to name the new holder) + the Put /
 *   Update of the release with its usual condition. A failed lock check → LockFenceError ('lock lost: …').
 *   A transaction cannot return ALL_NEW: the fenced update returns the image this process wrote under
 *   the same token with the patch applied (exact: no other holder can have written while the token
 *   stayed on the lock, given every release writer fences), else one consistent GetItem after it.
 * - history: newest first with Query `begins_with(sk, 'RELEASE#')`, ScanIndexForward=false. A release id
 *   maps to its sort key through an in-process cache (releases this process wrote or read), else the
 *   `by-release-id` GSI, else — GSIs are eventually consistent — a strongly consistent Query of the
 *   partition filtered on the id.
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
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
} from '../../../../modules/deployment-table/keys';
import { aws, errorName, toPortError } from '../adapters/errors';
import {
  type AcquireResult,
  type Clock,
  type LockInfo,
  LockFenceError,
  type LockOwner,
  PortError,
  type ReleaseKey,
  type ReleaseRecord,
  type StoreFence,
  type StorePort,
} from '../ports';
import { type Item, marshallItem, marshallValue, unmarshallItem, unmarshallValue } from './dynamodb-codec';

/** Attributes the store adds to items besides the record's own fields. */
const ITEM_TYPE = 'itemType';
const INTERNAL_ATTRIBUTES = new Set([PARTITION_KEY, SORT_KEY, RELEASE_ID_ATTRIBUTE, ITEM_TYPE]);

/** Max attempts of the force-unlock read-then-transaction when the lock changes in between. */
const FORCE_UNLOCK_ATTEMPTS = 3;

export interface DynamoStoreOptions {
  readonly client: DynamoDBClient;
  /** The environment's deployment table (topology `deploymentTable`). */
  readonly tableName: string;
  /** Source of "now" for lease expiry. @default Date.now */
  readonly clock?: Pick<Clock, 'now'>;
}

/** Runs a key builder of keys.ts, turning its validation error into PortError('invalid'). */
function keyed<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    throw new PortError('invalid', (err as Error).message, err);
  }
}

const pkOf = (key: ReleaseKey): string => keyed(() => partitionKey(key.environment, key.service));

const label = (key: ReleaseKey) => `${key.environment}/${key.service}`;

function lockFromItem(item: Item | undefined): LockInfo | undefined {
  if (!item) return undefined;
  const r = unmarshallItem(item);
  if (typeof r.token !== 'string') return undefined;
  return {
    key: { environment: String(r.environment), service: String(r.service) },
    owner: r.owner as LockOwner,
    token: r.token,
    acquiredAt: Number(r.acquiredAt),
    expiresAt: Number(r.expiresAt),
  };
}

function releaseFromItem(item: Item | undefined): ReleaseRecord | undefined {
  if (!item) return undefined;
  const r = unmarshallItem(item);
  for (const k of INTERNAL_ATTRIBUTES) delete r[k];
  return r as unknown as ReleaseRecord;
}

function isConditionFailure(err: unknown): boolean {
  const name = errorName(err);
  if (name === 'ConditionalCheckFailedException') return true;
  if (name === 'TransactionCanceledException') {
    const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    return reasons.some((r) => r.Code === 'ConditionalCheckFailed');
  }
  return false;
}

interface CancellationReason {
  readonly Code?: string;
  readonly Item?: Item;
}

function cancellationReasons(err: unknown): CancellationReason[] {
  if (errorName(err) !== 'TransactionCanceledException') return [];
  return (err as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
}

/** A cancelled transaction that lost a race (another write on one of its items) or was throttled: retry. */
function isRetryableCancellation(err: unknown): boolean {
  const codes = cancellationReasons(err).map((r) => r.Code);
  return (
    !codes.includes('ConditionalCheckFailed') &&
    codes.some(
      (c) => c === 'TransactionConflict' || c === 'ThrottlingError' || c === 'ProvisionedThroughputExceeded',
    )
  );
}

type ReleasePatch = Partial<Omit<ReleaseRecord, 'id' | 'environment' | 'service'>>;

/** Fields of a patch the store writes (the key fields and the store's own attributes are never patched). */
function patchFields(patch: ReleasePatch): [string, unknown][] {
  return Object.entries(patch).filter(
    ([field]) =>
      field !== 'id' && field !== 'environment' && field !== 'service' && !INTERNAL_ATTRIBUTES.has(field),
  );
}

/** `record` with `patch` applied as DynamoDB stores it (undefined removes a field; values round-trip). */
function applyPatch(record: ReleaseRecord, patch: ReleasePatch): ReleaseRecord {
  const out: Record<string, unknown> = { ...record };
  for (const [field, value] of patchFields(patch)) {
    const av = marshallValue(value, field);
    if (av === undefined) delete out[field];
    else out[field] = unmarshallValue(av);
  }
  return out as unknown as ReleaseRecord;
}

export class DynamoStore implements StorePort {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly clock: Pick<Clock, 'now'>;
  /** release id (per partition) → sort key, for releases this process wrote or read. */
  private readonly sortKeys = new Map<string, string>();
  /** release id (per partition) → the item as this process last wrote it with a fence, and that token. */
  private readonly fencedImages = new Map<
    string,
    { readonly token: string; readonly record: ReleaseRecord }
  >();

  constructor(options: DynamoStoreOptions) {
    if (!options.tableName) throw new PortError('invalid', 'DynamoStore: tableName is required');
    this.client = options.client;
    this.table = options.tableName;
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  private lockKey(key: ReleaseKey): Item {
    return { [PARTITION_KEY]: { S: pkOf(key) }, [SORT_KEY]: { S: LOCK_SORT_KEY } };
  }

  /** The lock item of `lock` (key, type, owner, token, lease). */
  private lockItem(lock: LockInfo): Item {
    return {
      ...this.lockKey(lock.key),
      ...marshallItem({
        [ITEM_TYPE]: 'lock',
        environment: lock.key.environment,
        service: lock.key.service,
        token: lock.token,
        owner: lock.owner,
        acquiredAt: lock.acquiredAt,
        expiresAt: lock.expiresAt,
      }),
    };
  }

  /** The transaction item fencing a release write: the lock item must still carry the token. */
  private fenceCheck(key: ReleaseKey, fence: StoreFence) {
    return {
      ConditionCheck: {
        TableName: this.table,
        Key: this.lockKey(key),
        ConditionExpression: '#token = :token',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':token': { S: fence.token } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    };
  }

  /** The LockFenceError for a fenced transaction whose lock check (item 0) failed, else undefined. */
  private fenceRefusal(err: unknown, key: ReleaseKey, what: string): LockFenceError | undefined {
    const lockCheck = cancellationReasons(err)[0];
    if (lockCheck?.Code !== 'ConditionalCheckFailed') return undefined;
    const holder = lockFromItem(lockCheck.Item);
    return new LockFenceError(
      `lock lost: ${what} refused — the lock for ${label(key)} ${holder ? `is now held by another run (${holder.owner.operation} by ${holder.owner.actor})` : 'is no longer held'}`,
      err,
    );
  }

  /** toPortError, except that a transaction cancelled by contention or throttling is retryable. */
  private storeError(err: unknown, what: string): PortError {
    if (isRetryableCancellation(err)) {
      const codes = cancellationReasons(err).map((r) => r.Code ?? 'None');
      return new PortError('throttled', `${what}: transaction cancelled (${codes.join(', ')}); retry`, err);
    }
    return toPortError(err, what);
  }

  // ------------------------------------------------------------------------------------------- lock

  async acquireLock(key: ReleaseKey, owner: LockOwner, leaseMs: number): Promise<AcquireResult> {
    if (!(leaseMs > 0)) throw new PortError('invalid', `lock lease must be positive (got ${leaseMs} ms)`);
    const now = this.clock.now();
    const lock: LockInfo = { key, owner, token: randomUUID(), acquiredAt: now, expiresAt: now + leaseMs };
    const what = `DynamoDB PutItem lock ${label(key)} in ${this.table}`;
    try {
      const out = await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: this.lockItem(lock),
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':now': { N: String(now) } },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const previous = lockFromItem(out.Attributes);
      return previous ? { acquired: true, lock, tookOverExpired: previous } : { acquired: true, lock };
    } catch (err) {
      if (!isConditionFailure(err)) throw toPortError(err, what);
      const heldBy =
        lockFromItem((err as { Item?: Item }).Item) ??
        // Endpoints that do not return the item on a failed condition: read it.
        (await this.getLock(key));
      if (!heldBy) {
        throw new PortError(
          'conflict',
          `${what}: lock was held, then released while reading it; try again`,
          err,
        );
      }
      return { acquired: false, heldBy };
    }
  }

  async renewLock(lock: LockInfo, leaseMs: number): Promise<LockInfo> {
    if (!(leaseMs > 0)) throw new PortError('invalid', `lock lease must be positive (got ${leaseMs} ms)`);
    const now = this.clock.now();
    const what = `DynamoDB UpdateItem lock ${label(lock.key)} in ${this.table}`;
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: this.lockKey(lock.key),
          UpdateExpression: 'SET #expiresAt = :expiresAt, #renewedAt = :now',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: {
            '#expiresAt': 'expiresAt',
            '#renewedAt': 'renewedAt',
            '#token': 'token',
          },
          ExpressionAttributeValues: {
            ':expiresAt': { N: String(now + leaseMs) },
            ':now': { N: String(now) },
            ':token': { S: lock.token },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return lockFromItem(out.Attributes) ?? { ...lock, expiresAt: now + leaseMs };
    } catch (err) {
      // Only a failed condition on the token means the lock is lost (LockFenceError). A
      // TransactionConflictException — this UpdateItem met a TransactWriteItems on the lock item, e.g. this
      // run's own fenced release write — is a retryable race (adapters/errors.ts), never a lost lock.
      if (isConditionFailure(err)) {
        throw new LockFenceError(
          `lock for ${label(lock.key)} is no longer held by this deployer (released, forced or taken over)`,
          err,
        );
      }
      throw toPortError(err, what);
    }
  }

  async handOverLock(key: ReleaseKey, token: string, owner: LockOwner, leaseMs: number): Promise<LockInfo> {
    if (!(leaseMs > 0)) throw new PortError('invalid', `lock lease must be positive (got ${leaseMs} ms)`);
    const now = this.clock.now();
    const lock: LockInfo = { key, owner, token: randomUUID(), acquiredAt: now, expiresAt: now + leaseMs };
    const what = `DynamoDB PutItem lock hand-over ${label(key)} in ${this.table}`;
    try {
      // One conditional PutItem: the item is replaced only while it still carries the old token, so of two
      // concurrent hand-overs (two `continue`s) exactly one wins. // AWS: "PutItem … ConditionExpression:
      // A condition that must be satisfied in order for a conditional PutItem operation to succeed."
      // (DynamoDB API Reference, PutItem)
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: this.lockItem(lock),
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': { S: token } },
        }),
      );
      return lock;
    } catch (err) {
      if (isConditionFailure(err)) {
        throw new LockFenceError(
          `lock hand-over refused — the lock for ${label(key)} is no longer the one handed over (released, forced or taken over)`,
          err,
        );
      }
      throw toPortError(err, what);
    }
  }

  async releaseLock(lock: LockInfo): Promise<void> {
    const what = `DynamoDB DeleteItem lock ${label(lock.key)} in ${this.table}`;
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: this.lockKey(lock.key),
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': { S: lock.token } },
        }),
      );
    } catch (err) {
      // Already gone, or someone else holds it now: nothing of ours to release.
      if (isConditionFailure(err)) return;
      throw toPortError(err, what);
    }
  }

  async forceUnlock(key: ReleaseKey, by: string, reason: string): Promise<LockInfo | undefined> {
    if (!by.trim()) throw new PortError('invalid', 'force-unlock needs who is forcing it');
    if (!reason.trim()) throw new PortError('invalid', 'force-unlock needs a --reason');
    const what = `DynamoDB force-unlock ${label(key)} in ${this.table}`;
    for (let attempt = 1; ; attempt++) {
      const removed = await this.getLock(key);
      const at = this.clock.now();
      const audit = {
        [ITEM_TYPE]: 'force-unlock',
        environment: key.environment,
        service: key.service,
        by,
        reason,
        at,
        removed,
      };
      const auditSk = keyed(() => unlockAuditSortKey(at, removed?.token ?? `none-${randomUUID()}`));
      try {
        await this.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: this.table,
                  Key: this.lockKey(key),
                  ...(removed
                    ? {
                        ConditionExpression: '#token = :token',
                        ExpressionAttributeNames: { '#token': 'token' },
                        ExpressionAttributeValues: { ':token': { S: removed.token } },
                      }
                    : {
                        ConditionExpression: 'attribute_not_exists(#pk)',
                        ExpressionAttributeNames: { '#pk': PARTITION_KEY },
                      }),
                },
              },
              {
                Put: {
                  TableName: this.table,
                  Item: {
                    [PARTITION_KEY]: { S: pkOf(key) },
                    [SORT_KEY]: { S: auditSk },
                    ...marshallItem(audit),
                  },
                  ConditionExpression: 'attribute_not_exists(#pk)',
                  ExpressionAttributeNames: { '#pk': PARTITION_KEY },
                },
              },
            ],
          }),
        );
        return removed;
      } catch (err) {
        if (isConditionFailure(err) && attempt < FORCE_UNLOCK_ATTEMPTS) continue; // lock changed meanwhile
        if (isConditionFailure(err)) {
          throw new PortError('conflict', `${what}: the lock kept changing; try again`, err);
        }
        throw toPortError(err, what);
      }
    }
  }

  async getLock(key: ReleaseKey): Promise<LockInfo | undefined> {
    const out = await aws(`DynamoDB GetItem lock ${label(key)} in ${this.table}`, () =>
      this.client.send(
        new GetItemCommand({ TableName: this.table, Key: this.lockKey(key), ConsistentRead: true }),
      ),
    );
    return lockFromItem(out.Item);
  }

  // ---------------------------------------------------------------------------------------- history

  private cacheKey(key: ReleaseKey, id: string): string {
    return `${pkOf(key)}#${id}`;
  }

  private remember(record: ReleaseRecord): void {
    this.sortKeys.set(this.cacheKey(record, record.id), releaseSortKey(record.startedAt, record.id));
  }

  private releaseItemKey(key: ReleaseKey, sk: string): Item {
    return { [PARTITION_KEY]: { S: pkOf(key) }, [SORT_KEY]: { S: sk } };
  }

  async putRelease(record: ReleaseRecord, fence?: StoreFence): Promise<void> {
    const sk = keyed(() => releaseSortKey(record.startedAt, record.id));
    const rid = keyed(() => releaseIdKey(record.environment, record.service, record.id));
    const what = `DynamoDB ${fence ? 'TransactWriteItems (lock check + Put)' : 'PutItem'} release ${record.id} of ${label(record)} in ${this.table}`;
    const item: Item = {
      ...this.releaseItemKey(record, sk),
      [RELEASE_ID_ATTRIBUTE]: { S: rid },
      ...marshallItem({ ...record, [ITEM_TYPE]: 'release' }),
    };
    const put = {
      TableName: this.table,
      Item: item,
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY },
    };
    try {
      if (fence) {
        await this.client.send(
          new TransactWriteItemsCommand({ TransactItems: [this.fenceCheck(record, fence), { Put: put }] }),
        );
      } else {
        await this.client.send(new PutItemCommand(put));
      }
    } catch (err) {
      const refused = fence && this.fenceRefusal(err, record, `writing release ${record.id}`);
      if (refused) throw refused;
      if (isConditionFailure(err)) throw new PortError('conflict', `release ${record.id} exists`, err);
      throw this.storeError(err, what);
    }
    this.remember(record);
    const ck = this.cacheKey(record, record.id);
    if (fence) this.fencedImages.set(ck, { token: fence.token, record: releaseFromItem(item)! });
    else this.fencedImages.delete(ck);
  }

  /** Sort key of a release: cache, then the GSI, then a consistent partition query. */
  private async sortKeyOf(key: ReleaseKey, id: string): Promise<string | undefined> {
    const cached = this.sortKeys.get(this.cacheKey(key, id));
    if (cached) return cached;
    const rid = keyed(() => releaseIdKey(key.environment, key.service, id));
    const viaIndex = await aws(`DynamoDB Query ${RELEASE_ID_INDEX} ${rid} in ${this.table}`, () =>
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: RELEASE_ID_INDEX,
          KeyConditionExpression: '#rid = :rid',
          ExpressionAttributeNames: { '#rid': RELEASE_ID_ATTRIBUTE },
          ExpressionAttributeValues: { ':rid': { S: rid } },
        }),
      ),
    );
    let item = viaIndex.Items?.[0];
    if (!item) {
      item = (
        await this.queryReleases(key, {
          FilterExpression: '#id = :id',
          names: { '#id': 'id' },
          values: { ':id': { S: id } },
          max: 1,
        })
      )[0];
    }
    const record = releaseFromItem(item);
    if (!record) return undefined;
    this.remember(record);
    return item?.[SORT_KEY]?.S;
  }

  private async queryReleases(
    key: ReleaseKey,
    opts: { max: number; FilterExpression?: string; names?: Record<string, string>; values?: Item },
  ): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const input: QueryCommandInput = {
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#sk': SORT_KEY, ...opts.names },
        ExpressionAttributeValues: {
          ':pk': { S: pkOf(key) },
          ':prefix': { S: RELEASE_SORT_PREFIX },
          ...opts.values,
        },
        ScanIndexForward: false,
        ConsistentRead: true,
        ...(opts.FilterExpression
          ? { FilterExpression: opts.FilterExpression }
          : { Limit: opts.max - items.length }),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      };
      const out = await aws(`DynamoDB Query releases of ${label(key)} in ${this.table}`, () =>
        this.client.send(new QueryCommand(input)),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length < opts.max);
    return items.slice(0, opts.max);
  }

  async updateRelease(
    key: ReleaseKey,
    id: string,
    patch: ReleasePatch,
    fence?: StoreFence,
  ): Promise<ReleaseRecord> {
    const sk = await this.sortKeyOf(key, id);
    if (!sk) throw new PortError('not-found', `release ${id} not found for ${label(key)}`);
    const names: Record<string, string> = { '#pk': PARTITION_KEY };
    const values: Item = {};
    const sets: string[] = [];
    const removes: string[] = [];
    let i = 0;
    for (const [field, value] of patchFields(patch)) {
      const n = `#f${i}`;
      names[n] = field;
      const av = marshallValue(value, field);
      if (av === undefined) removes.push(n);
      else {
        values[`:v${i}`] = av;
        sets.push(`${n} = :v${i}`);
      }
      i++;
    }
    if (sets.length === 0 && removes.length === 0) {
      const current = await this.getRelease(key, id);
      if (!current) throw new PortError('not-found', `release ${id} not found for ${label(key)}`);
      return current;
    }
    // The sort key encodes startedAt: it cannot change.
    let condition = 'attribute_exists(#pk)';
    if (patch.startedAt !== undefined) {
      names['#startedAt'] = 'startedAt';
      condition += ' AND #startedAt = :startedAt';
      values[':startedAt'] = { N: String(patch.startedAt) };
    }
    const update = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const write = {
      TableName: this.table,
      Key: this.releaseItemKey(key, sk),
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
    };
    const ck = this.cacheKey(key, id);
    try {
      if (fence) {
        await this.client.send(
          new TransactWriteItemsCommand({ TransactItems: [this.fenceCheck(key, fence), { Update: write }] }),
        );
      } else {
        const out = await this.client.send(new UpdateItemCommand({ ...write, ReturnValues: 'ALL_NEW' }));
        const record = releaseFromItem(out.Attributes);
        if (!record)
          throw new PortError('internal', `DynamoDB UpdateItem release ${id}: no attributes returned`);
        this.fencedImages.delete(ck);
        return record;
      }
    } catch (err) {
      if (err instanceof PortError) throw err;
      const refused = fence && this.fenceRefusal(err, key, `updating release ${id}`);
      if (refused) throw refused;
      if (isConditionFailure(err)) {
        throw new PortError(
          'not-found',
          `release ${id} not found for ${label(key)}${patch.startedAt !== undefined ? ' (or its startedAt differs: it cannot change)' : ''}`,
          err,
        );
      }
      throw this.storeError(
        err,
        `DynamoDB ${fence ? 'TransactWriteItems (lock check + Update)' : 'UpdateItem'} release ${id} of ${label(key)} in ${this.table}`,
      );
    }
    // Fenced: a transaction returns no attributes. The image written under this same token is exact —
    // the token stayed on the lock since, so no other (fenced) writer can have changed the item.
    const seen = this.fencedImages.get(ck);
    const record =
      seen?.token === fence.token ? applyPatch(seen.record, patch) : await this.getRelease(key, id);
    if (!record)
      throw new PortError('internal', `DynamoDB release ${id} of ${label(key)}: written, then not found`);
    this.fencedImages.set(ck, { token: fence.token, record });
    return record;
  }

  async getRelease(key: ReleaseKey, id: string): Promise<ReleaseRecord | undefined> {
    const sk = await this.sortKeyOf(key, id);
    if (!sk) return undefined;
    const out = await aws(`DynamoDB GetItem release ${id} of ${label(key)} in ${this.table}`, () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.table,
          Key: this.releaseItemKey(key, sk),
          ConsistentRead: true,
        }),
      ),
    );
    return releaseFromItem(out.Item);
  }

  async listReleases(key: ReleaseKey, limit: number): Promise<ReleaseRecord[]> {
    if (!Number.isInteger(limit) || limit < 1)
      throw new PortError('invalid', `limit must be ≥ 1 (got ${limit})`);
    const records = (await this.queryReleases(key, { max: limit })).map((item) => releaseFromItem(item)!);
    for (const r of records) this.remember(r);
    return records;
  }
}
