/** The exact requests the DynamoDB deployment store sends, and how it reads AWS's answers. */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { LockInfo, LockOwner, ReleaseRecord } from '../../../services/deployer/src/ports';
import { LockFenceError, PortError } from '../../../services/deployer/src/ports';
import { marshallItem } from '../../../services/deployer/src/store/dynamodb-codec';
import { DynamoStore } from '../../../services/deployer/src/store/dynamodb-store';
import { sdkError } from '../adapters/fixtures/sdk-error';

const client = new DynamoDBClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const ddb = mockClient(client);
const TABLE = 'switchyard-dev-deployments';
const T0 = 1_795_000_000_000;
const KEY = { environment: 'dev', service: 'api' };
const LOCK_KEY = { pk: { S: 'dev#api' }, sk: { S: 'LOCK' } };
const OWNER: LockOwner = {
  actor: 'alice',
  host: 'runner-1',
  runId: '42',
  runUrl: 'https://ci/42',
  operation: 'deploy',
};
const clock = { t: T0, now: () => clock.t };
let store: DynamoStore;

const lockItem = (token: string, owner: LockOwner, acquiredAt: number, expiresAt: number) => ({
  ...LOCK_KEY,
  itemType: { S: 'lock' },
  environment: { S: 'dev' },
  service: { S: 'api' },
  token: { S: token },
  owner: { M: marshallItem({ ...owner }) },
  acquiredAt: { N: String(acquiredAt) },
  expiresAt: { N: String(expiresAt) },
});

const ccf = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: item as never } : {}),
  });

beforeEach(() => {
  ddb.reset();
  clock.t = T0;
  store = new DynamoStore({ client, tableName: TABLE, clock });
});

describe('acquireLock', () => {
  it('puts the lock item on condition "absent or expired"', async () => {
    ddb.on(PutItemCommand).resolves({});
    const r = await store.acquireLock(KEY, OWNER, 120_000);
    if (!r.acquired) throw new Error('not acquired');
    const input = ddb.commandCalls(PutItemCommand)[0].args[0].input;
    expect(input).toEqual({
      TableName: TABLE,
      Item: lockItem(r.lock.token, OWNER, T0, T0 + 120_000),
      ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
      ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':now': { N: String(T0) } },
      ReturnValues: 'ALL_OLD',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(r.lock.token).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.tookOverExpired).toBeUndefined();
  });

  it('reports the expired lease it took over (from ALL_OLD)', async () => {
    const bob: LockOwner = { actor: 'bob', host: 'laptop', operation: 'rollback' };
    ddb.on(PutItemCommand).resolves({ Attributes: lockItem('old-token', bob, T0 - 300_000, T0 - 1) });
    const r = await store.acquireLock(KEY, OWNER, 120_000);
    if (!r.acquired) throw new Error('not acquired');
    expect(r.tookOverExpired).toEqual({
      key: KEY,
      owner: bob,
      token: 'old-token',
      acquiredAt: T0 - 300_000,
      expiresAt: T0 - 1,
    });
  });

  it('names the holder from the failed condition without another read', async () => {
    const bob: LockOwner = { actor: 'bob', host: 'laptop', operation: 'rollback' };
    ddb.on(PutItemCommand).rejects(ccf(lockItem('bob-token', bob, T0 - 1000, T0 + 59_000)));
    const r = await store.acquireLock(KEY, OWNER, 120_000);
    expect(r).toEqual({
      acquired: false,
      heldBy: { key: KEY, owner: bob, token: 'bob-token', acquiredAt: T0 - 1000, expiresAt: T0 + 59_000 },
    });
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('reads the holder with a consistent GetItem when the endpoint returns no item', async () => {
    const bob: LockOwner = { actor: 'bob', host: 'laptop', operation: 'rollback' };
    ddb.on(PutItemCommand).rejects(ccf());
    ddb.on(GetItemCommand).resolves({ Item: lockItem('bob-token', bob, T0, T0 + 1) });
    const r = await store.acquireLock(KEY, OWNER, 120_000);
    expect(r.acquired).toBe(false);
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: LOCK_KEY,
      ConsistentRead: true,
    });
  });

  it('maps throughput errors to throttled', async () => {
    ddb
      .on(PutItemCommand)
      .rejects(
        new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds', $metadata: {} }),
      );
    await expect(store.acquireLock(KEY, OWNER, 1000)).rejects.toMatchObject({ kind: 'throttled' });
  });

  it('refuses keys containing "#" and a non-positive lease, without calling AWS', async () => {
    await expect(
      store.acquireLock({ environment: 'dev#x', service: 'api' }, OWNER, 1000),
    ).rejects.toMatchObject({
      kind: 'invalid',
    });
    await expect(store.acquireLock(KEY, OWNER, 0)).rejects.toMatchObject({ kind: 'invalid' });
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('renewLock (heartbeat) and releaseLock', () => {
  const lock: LockInfo = { key: KEY, owner: OWNER, token: 'tok-1', acquiredAt: T0, expiresAt: T0 + 60_000 };

  it('renews with UpdateItem conditioned on the token', async () => {
    ddb.on(UpdateItemCommand).callsFake((input) => ({
      Attributes: lockItem('tok-1', OWNER, T0, Number(input.ExpressionAttributeValues[':expiresAt'].N)),
    }));
    clock.t = T0 + 30_000;
    const renewed = await store.renewLock(lock, 60_000);
    expect(renewed).toEqual({ ...lock, expiresAt: T0 + 90_000 });
    expect(ddb.commandCalls(UpdateItemCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: LOCK_KEY,
      UpdateExpression: 'SET #expiresAt = :expiresAt, #renewedAt = :now',
      ConditionExpression: '#token = :token',
      ExpressionAttributeNames: { '#expiresAt': 'expiresAt', '#renewedAt': 'renewedAt', '#token': 'token' },
      ExpressionAttributeValues: {
        ':expiresAt': { N: String(T0 + 90_000) },
        ':now': { N: String(T0 + 30_000) },
        ':token': { S: 'tok-1' },
      },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('a failed renew condition is a conflict (the lock is no longer ours)', async () => {
    ddb.on(UpdateItemCommand).rejects(ccf());
    const err = await store.renewLock(lock, 60_000).catch((e) => e);
    expect(err).toBeInstanceOf(PortError);
    expect(err.kind).toBe('conflict');
    expect(err.message).toMatch(/no longer held/);
  });

  it('a throttled renew is throttled, not conflict (the core may retry)', async () => {
    ddb
      .on(UpdateItemCommand)
      .rejects(sdkError('ThrottlingException', 'slow down', 400, DynamoDBServiceException));
    await expect(store.renewLock(lock, 60_000)).rejects.toMatchObject({ kind: 'throttled' });
  });

  it('releases with DeleteItem conditioned on the token; a failed condition is not an error', async () => {
    ddb.on(DeleteItemCommand).rejects(ccf());
    await expect(store.releaseLock(lock)).resolves.toBeUndefined();
    expect(ddb.commandCalls(DeleteItemCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: LOCK_KEY,
      ConditionExpression: '#token = :token',
      ExpressionAttributeNames: { '#token': 'token' },
      ExpressionAttributeValues: { ':token': { S: 'tok-1' } },
    });
  });

  it('hands a lock over with ONE PutItem conditioned on the old token (new token, owner, lease)', async () => {
    ddb.on(PutItemCommand).resolves({});
    clock.t = T0 + 7_200_000; // a held deploy's lease may have run out: the token still names it
    const next: LockOwner = { ...OWNER, actor: 'bob', operation: 'continue' };
    const lockOut = await store.handOverLock(KEY, 'tok-1', next, 120_000);
    expect(lockOut).toMatchObject({
      key: KEY,
      owner: next,
      acquiredAt: clock.t,
      expiresAt: clock.t + 120_000,
    });
    expect(lockOut.token).not.toBe('tok-1');
    expect(ddb.commandCalls(PutItemCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Item: lockItem(lockOut.token, next, clock.t, clock.t + 120_000),
      ConditionExpression: '#token = :token',
      ExpressionAttributeNames: { '#token': 'token' },
      ExpressionAttributeValues: { ':token': { S: 'tok-1' } },
    });
  });

  it('a failed hand-over condition is LockFenceError (conflict); throttling stays retryable', async () => {
    ddb.on(PutItemCommand).rejectsOnce(ccf());
    const err = await store.handOverLock(KEY, 'tok-1', OWNER, 60_000).catch((e) => e);
    expect(err).toBeInstanceOf(LockFenceError);
    expect(err.kind).toBe('conflict');
    ddb
      .on(PutItemCommand)
      .rejects(sdkError('ThrottlingException', 'slow down', 400, DynamoDBServiceException));
    await expect(store.handOverLock(KEY, 'tok-1', OWNER, 60_000)).rejects.toMatchObject({
      kind: 'throttled',
    });
  });

  it('other release failures surface', async () => {
    ddb.on(DeleteItemCommand).rejects(sdkError('InternalServerError', 'boom', 500, DynamoDBServiceException));
    await expect(store.releaseLock(lock)).rejects.toMatchObject({ kind: 'unavailable' });
  });
});

describe('forceUnlock', () => {
  it('reads the lock, then deletes exactly it and writes the audit item in one transaction', async () => {
    const owner: LockOwner = { actor: 'bob', host: 'laptop', operation: 'deploy' };
    ddb.on(GetItemCommand).resolves({ Item: lockItem('held', owner, T0 - 10, T0 + 1000) });
    ddb.on(TransactWriteItemsCommand).resolves({});
    const removed = await store.forceUnlock(KEY, 'alice', 'deployer of run 41 was killed');
    expect(removed).toEqual({ key: KEY, owner, token: 'held', acquiredAt: T0 - 10, expiresAt: T0 + 1000 });
    expect(ddb.commandCalls(TransactWriteItemsCommand)[0].args[0].input).toEqual({
      TransactItems: [
        {
          Delete: {
            TableName: TABLE,
            Key: LOCK_KEY,
            ConditionExpression: '#token = :token',
            ExpressionAttributeNames: { '#token': 'token' },
            ExpressionAttributeValues: { ':token': { S: 'held' } },
          },
        },
        {
          Put: {
            TableName: TABLE,
            Item: {
              pk: { S: 'dev#api' },
              sk: { S: `UNLOCK#${T0}#held` },
              ...marshallItem({
                itemType: 'force-unlock',
                environment: 'dev',
                service: 'api',
                by: 'alice',
                reason: 'deployer of run 41 was killed',
                at: T0,
                removed,
              }),
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk' },
          },
        },
      ],
    });
  });

  it('retries when the lock changed between the read and the transaction', async () => {
    ddb
      .on(GetItemCommand)
      .resolvesOnce({ Item: lockItem('t1', OWNER, T0, T0 + 1) })
      .resolves({ Item: lockItem('t2', OWNER, T0, T0 + 2) });
    ddb
      .on(TransactWriteItemsCommand)
      .rejectsOnce(
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
        }),
      )
      .resolves({});
    const removed = await store.forceUnlock(KEY, 'alice', 'stuck');
    expect(removed?.token).toBe('t2');
    expect(ddb.commandCalls(TransactWriteItemsCommand)).toHaveLength(2);
  });

  it('needs a reason and who, without calling AWS', async () => {
    await expect(store.forceUnlock(KEY, 'alice', '  ')).rejects.toMatchObject({ kind: 'invalid' });
    await expect(store.forceUnlock(KEY, '', 'x')).rejects.toMatchObject({ kind: 'invalid' });
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('release history', () => {
  const record: ReleaseRecord = {
    id: 'r-20261123-1',
    environment: 'dev',
    service: 'api',
    kind: 'deploy',
    imageTag: 'v1.4.2',
    imageDigest: 'sha256:2222',
    image: 'repo@sha256:2222',
    taskDefinitionArn: 'arn:td:42',
    colour: 'green',
    previousColour: 'blue',
    previousTaskDefinitionArn: 'arn:td:41',
    strategy: 'canary',
    outcome: 'in-progress',
    step: 'started',
    intendedWeights: { blue: 100, green: 0 },
    actor: 'alice',
    commitSha: '4f2a9c1',
    runUrl: 'https://ci/42',
    startedAt: T0,
    updatedAt: T0,
  };
  const SK = `RELEASE#${T0}#r-20261123-1`;
  const item: Record<string, AttributeValue> = {
    pk: { S: 'dev#api' },
    sk: { S: SK },
    rid: { S: 'dev#api#r-20261123-1' },
    ...marshallItem({ ...record, itemType: 'release' }),
  };

  it('puts a release with sort key RELEASE#<startedAt>#<id> and the id index attribute, never overwriting', async () => {
    ddb.on(PutItemCommand).resolves({});
    await store.putRelease(record);
    expect(ddb.commandCalls(PutItemCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Item: item,
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    });
    expect(item.intendedWeights).toEqual({ M: { blue: { N: '100' }, green: { N: '0' } } });
  });

  it('the audit trail and the image revision go to DynamoDB and come back as written', async () => {
    const audited: ReleaseRecord = {
      ...record,
      audit: {
        runAttempt: 2,
        triggeringActor: 'carol',
        approvedBy: ['dave', 'erin'],
        workflowRef: 'example-org/switchyard/.github/workflows/deploy.yml@refs/heads/main',
        event: 'workflow_dispatch',
      },
      imageRevision: '0123456789abcdef0123456789abcdef01234567',
    };
    ddb.on(PutItemCommand).resolves({});
    await store.putRelease(audited);
    const sent = ddb.commandCalls(PutItemCommand)[0].args[0].input.Item!;
    expect(sent.audit).toEqual({
      M: {
        runAttempt: { N: '2' },
        triggeringActor: { S: 'carol' },
        approvedBy: { L: [{ S: 'dave' }, { S: 'erin' }] },
        workflowRef: { S: 'example-org/switchyard/.github/workflows/deploy.yml@refs/heads/main' },
        event: { S: 'workflow_dispatch' },
      },
    });
    expect(sent.imageRevision).toEqual({ S: '0123456789abcdef0123456789abcdef01234567' });
    // "looked up, nobody approved" ([]) stays distinct from "unknown" (absent)
    expect(marshallItem({ approvedBy: [] })).toEqual({ approvedBy: { L: [] } });
    ddb.on(GetItemCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [sent] });
    const [back] = await store.listReleases(KEY, 1);
    expect(back).toEqual(audited);
  });

  it('continue/abort records (resumes: who, when, approvers, run) go to DynamoDB and come back as written', async () => {
    const resumed: ReleaseRecord = {
      ...record,
      resumes: [
        {
          op: 'continue',
          at: 1_767_225_600_000,
          actor: 'bob',
          runUrl: 'https://github.com/example-org/switchyard/actions/runs/4242',
          runAttempt: 1,
          approvedBy: ['dave'],
        },
        { op: 'abort', at: 1_767_225_700_000, actor: 'carol', approvedBy: [] },
      ],
    };
    ddb.on(PutItemCommand).resolves({});
    await store.putRelease(resumed);
    const sent = ddb.commandCalls(PutItemCommand)[0].args[0].input.Item!;
    expect(sent.resumes?.L?.[0]?.M?.approvedBy).toEqual({ L: [{ S: 'dave' }] });
    ddb.on(GetItemCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [sent] });
    const [back] = await store.listReleases(KEY, 1);
    expect(back).toEqual(resumed);
  });

  it('a duplicate id is a conflict', async () => {
    ddb.on(PutItemCommand).rejects(ccf());
    await expect(store.putRelease(record)).rejects.toMatchObject({ kind: 'conflict' });
  });

  it('updates a release it wrote by key, with SET/REMOVE and an existence condition', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({ Attributes: { ...item, step: { S: 'shifting' } } });
    await store.putRelease(record);
    const updated = await store.updateRelease(KEY, record.id, {
      step: 'shifting',
      intendedWeights: { blue: 90, green: 10 },
      reason: undefined,
      updatedAt: T0 + 1,
    });
    expect(updated).toEqual({ ...record, step: 'shifting' });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateItemCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'dev#api' }, sk: { S: SK } },
      UpdateExpression: 'SET #f0 = :v0, #f1 = :v1, #f3 = :v3 REMOVE #f2',
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: {
        '#pk': 'pk',
        '#f0': 'step',
        '#f1': 'intendedWeights',
        '#f2': 'reason',
        '#f3': 'updatedAt',
      },
      ExpressionAttributeValues: {
        ':v0': { S: 'shifting' },
        ':v1': { M: { blue: { N: '90' }, green: { N: '10' } } },
        ':v3': { N: String(T0 + 1) },
      },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('finds a release it has not seen through the by-release-id index, then reads it consistently', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item] });
    ddb.on(GetItemCommand).resolves({ Item: item });
    await expect(store.getRelease(KEY, record.id)).resolves.toEqual(record);
    expect(ddb.commandCalls(QueryCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      IndexName: 'by-release-id',
      KeyConditionExpression: '#rid = :rid',
      ExpressionAttributeNames: { '#rid': 'rid' },
      ExpressionAttributeValues: { ':rid': { S: 'dev#api#r-20261123-1' } },
    });
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'dev#api' }, sk: { S: SK } },
      ConsistentRead: true,
    });
  });

  it('falls back to a consistent partition query filtered on the id when the index has not caught up', async () => {
    ddb.on(QueryCommand, { IndexName: 'by-release-id' }).resolves({ Items: [] });
    ddb
      .on(QueryCommand, { KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)' })
      .resolves({ Items: [item] });
    ddb.on(GetItemCommand).resolves({ Item: item });
    await expect(store.getRelease(KEY, record.id)).resolves.toEqual(record);
    const fallback = ddb.commandCalls(QueryCommand)[1].args[0].input;
    expect(fallback).toEqual({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      FilterExpression: '#id = :id',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#id': 'id' },
      ExpressionAttributeValues: {
        ':pk': { S: 'dev#api' },
        ':prefix': { S: 'RELEASE#' },
        ':id': { S: record.id },
      },
      ScanIndexForward: false,
      ConsistentRead: true,
    });
  });

  it('lists newest first with one Query (ScanIndexForward=false, Limit) and strips internal attributes', async () => {
    const older = { ...record, id: 'r-0', startedAt: T0 - 1000, updatedAt: T0 - 1000 };
    ddb.on(QueryCommand).resolves({
      Items: [
        item,
        {
          pk: item.pk,
          sk: { S: `RELEASE#${T0 - 1000}#r-0` },
          rid: { S: 'dev#api#r-0' },
          ...marshallItem(older),
        },
      ],
    });
    await expect(store.listReleases(KEY, 2)).resolves.toEqual([record, older]);
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': { S: 'dev#api' }, ':prefix': { S: 'RELEASE#' } },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 2,
      },
    ]);
  });

  it('follows LastEvaluatedKey until the limit is reached', async () => {
    const page2Key = { pk: item.pk, sk: item.sk };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [item], LastEvaluatedKey: page2Key })
      .resolvesOnce({
        Items: [{ ...item, id: { S: 'r-0' } }],
        LastEvaluatedKey: { pk: item.pk, sk: { S: 'x' } },
      });
    const list = await store.listReleases(KEY, 2);
    expect(list.map((r) => r.id)).toEqual([record.id, 'r-0']);
    const calls = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({ Limit: 1, ExclusiveStartKey: page2Key });
  });

  it('refuses a limit below 1', async () => {
    await expect(store.listReleases(KEY, 0)).rejects.toMatchObject({ kind: 'invalid' });
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('fenced release writes (lock token)', () => {
  const record: ReleaseRecord = {
    id: 'r-20261123-2',
    environment: 'dev',
    service: 'api',
    kind: 'rollback',
    imageTag: 'v1.4.1',
    imageDigest: 'sha256:1111',
    image: 'repo@sha256:1111',
    colour: 'blue',
    previousColour: 'green',
    strategy: 'all-at-once',
    outcome: 'in-progress',
    step: 'rolling-back',
    intendedWeights: { blue: 100, green: 0 },
    actor: 'bob',
    startedAt: T0,
    updatedAt: T0,
  };
  const SK = `RELEASE#${T0}#r-20261123-2`;
  const RELEASE_KEY = { pk: { S: 'dev#api' }, sk: { S: SK } };
  const item: Record<string, AttributeValue> = {
    ...RELEASE_KEY,
    rid: { S: 'dev#api#r-20261123-2' },
    ...marshallItem({ ...record, itemType: 'release' }),
  };
  const TOKEN = 'tok-mine';
  const lockCheck = {
    ConditionCheck: {
      TableName: TABLE,
      Key: LOCK_KEY,
      ConditionExpression: '#token = :token',
      ExpressionAttributeNames: { '#token': 'token' },
      ExpressionAttributeValues: { ':token': { S: TOKEN } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
  const cancelled = (codes: string[], lock?: Record<string, AttributeValue>) =>
    new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: codes.map((Code, i) => ({ Code, ...(i === 0 && lock ? { Item: lock } : {}) })),
    });

  it('put = ONE TransactWriteItems: ConditionCheck on the lock token + the usual conditional Put', async () => {
    ddb.on(TransactWriteItemsCommand).resolves({});
    await store.putRelease(record, { token: TOKEN });
    expect(ddb.calls()).toHaveLength(1);
    expect(ddb.commandCalls(TransactWriteItemsCommand)[0].args[0].input).toEqual({
      TransactItems: [
        lockCheck,
        {
          Put: {
            TableName: TABLE,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk' },
          },
        },
      ],
    });
  });

  it('update = ONE TransactWriteItems: ConditionCheck + the usual conditional Update; returns the new image without a read', async () => {
    ddb.on(TransactWriteItemsCommand).resolves({});
    await store.putRelease(record, { token: TOKEN });
    const updated = await store.updateRelease(
      KEY,
      record.id,
      { outcome: 'deployed', step: 'done', intendedWeights: undefined, updatedAt: T0 + 5, endedAt: T0 + 5 },
      { token: TOKEN },
    );
    const { intendedWeights: _dropped, ...rest } = record;
    expect(updated).toEqual({
      ...rest,
      outcome: 'deployed',
      step: 'done',
      updatedAt: T0 + 5,
      endedAt: T0 + 5,
    });
    expect(ddb.calls()).toHaveLength(2); // the put's transaction and the update's: no Query, no GetItem
    expect(ddb.commandCalls(TransactWriteItemsCommand)[1].args[0].input).toEqual({
      TransactItems: [
        lockCheck,
        {
          Update: {
            TableName: TABLE,
            Key: RELEASE_KEY,
            UpdateExpression: 'SET #f0 = :v0, #f1 = :v1, #f3 = :v3, #f4 = :v4 REMOVE #f2',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: {
              '#pk': 'pk',
              '#f0': 'outcome',
              '#f1': 'step',
              '#f2': 'intendedWeights',
              '#f3': 'updatedAt',
              '#f4': 'endedAt',
            },
            ExpressionAttributeValues: {
              ':v0': { S: 'deployed' },
              ':v1': { S: 'done' },
              ':v3': { N: String(T0 + 5) },
              ':v4': { N: String(T0 + 5) },
            },
          },
        },
      ],
    });
  });

  it('a fenced update of a release not written under this token reads the result back (one consistent GetItem)', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item] });
    ddb.on(TransactWriteItemsCommand).resolves({});
    ddb.on(GetItemCommand).resolves({ Item: { ...item, outcome: { S: 'failed' } } });
    const updated = await store.updateRelease(KEY, record.id, { outcome: 'failed' }, { token: TOKEN });
    expect(updated).toEqual({ ...record, outcome: 'failed' });
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: RELEASE_KEY,
      ConsistentRead: true,
    });
  });

  it('a failed lock check is LockFenceError (conflict, "lock lost: …") naming the new holder', async () => {
    const other = lockItem('tok-new', { ...OWNER, actor: 'carol', operation: 'rollback' }, T0, T0 + 60_000);
    ddb.on(TransactWriteItemsCommand).rejects(cancelled(['ConditionalCheckFailed', 'None'], other));
    const err = await store.putRelease(record, { token: TOKEN }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockFenceError);
    expect(err).toBeInstanceOf(PortError);
    expect(err).toMatchObject({ kind: 'conflict' });
    expect((err as Error).message).toBe(
      'lock lost: writing release r-20261123-2 refused — the lock for dev/api is now held by another run (rollback by carol)',
    );
  });

  it('the lock check wins over a failed release condition; a release-only failure keeps its own meaning', async () => {
    ddb
      .on(TransactWriteItemsCommand)
      .rejects(cancelled(['ConditionalCheckFailed', 'ConditionalCheckFailed']));
    await expect(store.putRelease(record, { token: TOKEN })).rejects.toThrow(
      /^lock lost: .* the lock for dev\/api is no longer held$/,
    );
    ddb.reset();
    ddb.on(TransactWriteItemsCommand).rejects(cancelled(['None', 'ConditionalCheckFailed']));
    const dup = await store.putRelease(record, { token: TOKEN }).catch((e: unknown) => e);
    expect(dup).not.toBeInstanceOf(LockFenceError);
    expect(dup).toMatchObject({ kind: 'conflict', message: 'release r-20261123-2 exists' });
  });

  it('a transaction cancelled by contention on the lock item (heartbeat renewing it) is retryable, not a conflict', async () => {
    ddb.on(TransactWriteItemsCommand).rejects(cancelled(['TransactionConflict', 'None']));
    const err = await store.putRelease(record, { token: TOKEN }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(LockFenceError);
    expect(err).toMatchObject({ kind: 'throttled' });
  });

  it('without a fence the writes stay single PutItem / UpdateItem (existing callers unchanged)', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({ Attributes: item });
    await store.putRelease(record);
    await store.updateRelease(KEY, record.id, { updatedAt: T0 });
    expect(ddb.commandCalls(TransactWriteItemsCommand)).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(2);
  });
});
