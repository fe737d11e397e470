/**
 * Own heartbeat vs own transaction (issue 9 item 6). The lock item is written by two requests of the
 * same run: the heartbeat's UpdateItem and the fenced release write's TransactWriteItems (ConditionCheck
 * on the lock item). When they meet, DynamoDB answers one of them with a conflict:
 *   - the UpdateItem: TransactionConflictException ("Operation was rejected because there is an ongoing
 *     transaction for the item", @aws-sdk/client-dynamodb models/errors.d.ts);
 *   - the TransactWriteItems: TransactionCanceledException whose CancellationReasons carry
 *     Code `TransactionConflict` ("Transaction is ongoing for the item.") for the lock item.
 * Both are races to retry — never a lost lock. Only a failed condition on the token is: the UpdateItem's
 * ConditionalCheckFailedException, or CancellationReasons[0].Code `ConditionalCheckFailed`.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactionCanceledException,
  TransactionConflictException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { CollectingSink } from '../../../services/deployer/src/core/events';
import { asLockLost, LockLostError, withLock } from '../../../services/deployer/src/core/lock';
import { withRetry } from '../../../services/deployer/src/core/retry';
import {
  LockFenceError,
  type LockOwner,
  PortError,
  type ReleaseRecord,
} from '../../../services/deployer/src/ports';
import { FakeClock } from '../../../services/deployer/src/sim/clock';
import { marshallItem } from '../../../services/deployer/src/store/dynamodb-codec';
import { DynamoStore } from '../../../services/deployer/src/store/dynamodb-store';
import { MemoryStore } from '../../../services/deployer/src/store/memory-store';

const client = new DynamoDBClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const ddb = mockClient(client);
const KEY = { environment: 'dev', service: 'api' };
const OWNER: LockOwner = { actor: 'alice', host: 'runner-1', operation: 'deploy' };
const LOCK_KEY = { pk: { S: 'dev#api' }, sk: { S: 'LOCK' } };

/** TransactionConflictException exactly as the SDK builds it from DynamoDB's 400 answer. */
const transactionConflict = () =>
  new TransactionConflictException({
    message: 'Transaction is ongoing for the item',
    $metadata: { httpStatusCode: 400, requestId: 'R1', attempts: 1, totalRetryDelay: 0 },
  });
/** TransactionCanceledException with DynamoDB's CancellationReasons (codes per item, in request order). */
const cancelled = (reasons: { Code: string; Message?: string; Item?: Record<string, unknown> }[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    $metadata: { httpStatusCode: 400, requestId: 'R2', attempts: 1, totalRetryDelay: 0 },
    CancellationReasons: reasons as never,
  });
const lockItem = (token: string, owner: LockOwner, expiresAt: number) => ({
  ...LOCK_KEY,
  itemType: { S: 'lock' },
  environment: { S: 'dev' },
  service: { S: 'api' },
  token: { S: token },
  owner: { M: marshallItem({ ...owner }) },
  acquiredAt: { N: String(expiresAt - 120_000) },
  expiresAt: { N: String(expiresAt) },
});

function setup() {
  ddb.reset();
  const clock = new FakeClock();
  const store = new DynamoStore({ client, tableName: 'switchyard-dev-deployments', clock });
  const events = new CollectingSink();
  ddb.on(PutItemCommand).resolves({});
  ddb.on(DeleteItemCommand).resolves({});
  const release = (): ReleaseRecord =>
    ({
      id: 'r-1',
      environment: 'dev',
      service: 'api',
      kind: 'deploy',
      imageTag: 'v2',
      imageDigest: `sha256:${'a'.repeat(64)}`,
      image: 'repo@sha256:x',
      colour: 'green',
      previousColour: 'blue',
      previousTaskDefinitionArn: 'td:1',
      strategy: 'canary',
      outcome: 'in-progress',
      step: 'started',
      actor: 'alice',
      startedAt: clock.now(),
      updatedAt: clock.now(),
    }) as ReleaseRecord;
  return { clock, store, events, release };
}

/** The heartbeat's UpdateItem: answers with `first` once, then renews normally. */
function heartbeatAnswers(first: Error) {
  let calls = 0;
  ddb.on(UpdateItemCommand).callsFake((input) => {
    calls++;
    if (calls === 1) throw first;
    const v = input.ExpressionAttributeValues;
    return { Attributes: lockItem(v[':token'].S, OWNER, Number(v[':expiresAt'].N)) };
  });
}

describe('own heartbeat vs own TransactWriteItems on the lock item', () => {
  test('TransactionConflictException on the heartbeat and TransactionConflict in the transaction are retried; the lock is kept', async () => {
    const { clock, store, events, release } = setup();
    heartbeatAnswers(transactionConflict());
    let transactCalls = 0;
    ddb.on(TransactWriteItemsCommand).callsFake(() => {
      transactCalls++;
      // the lock item (index 0, the ConditionCheck) meets the heartbeat's UpdateItem
      if (transactCalls === 1)
        throw cancelled([
          { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item.' },
          { Code: 'None' },
        ]);
      return {};
    });
    let abortedWith: unknown;
    const res = await withLock({ store, clock, events }, KEY, OWNER, async (lock, signal) => {
      await clock.sleep(30_000); // the first heartbeat (lease 120 s / 4) renews now…
      // …and this run's fenced release write goes out at the same moment
      await withRetry(clock, 'store.putRelease', () => store.putRelease(release(), { token: lock.token }));
      await clock.sleep(60_000); // two more heartbeats
      abortedWith = signal.aborted ? signal.reason : undefined;
      return 'done';
    });
    expect(res).toMatchObject({ status: 'acquired', value: 'done' });
    expect(abortedWith).toBeUndefined();
    expect(events.ofType('lock.lost')).toEqual([]);
    expect(transactCalls).toBe(2);
    expect(ddb.commandCalls(UpdateItemCommand).length).toBeGreaterThanOrEqual(3);
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(1); // released at the end
  });

  test('a failed condition on the token (ConditionalCheckFailedException on the renewal) is a lost lock', async () => {
    const { clock, store, events } = setup();
    ddb.on(UpdateItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    let reason: unknown;
    await withLock({ store, clock, events }, KEY, OWNER, async (_lock, signal) => {
      await clock.sleep(60_000);
      reason = signal.reason;
    });
    expect(reason).toBeInstanceOf(LockLostError);
    expect(events.ofType('lock.lost')).toHaveLength(1);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1); // not retried
  });

  test('a failed ConditionCheck on the token in the transaction (CancellationReasons[0] ConditionalCheckFailed) is a lost lock', async () => {
    const { clock, store, release } = setup();
    const holder = lockItem(
      'someone-else',
      { ...OWNER, actor: 'carol', operation: 'rollback' },
      clock.now() + 60_000,
    );
    ddb
      .on(TransactWriteItemsCommand)
      .rejects(
        cancelled([
          { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: holder },
          { Code: 'None' },
        ]),
      );
    const err = await withRetry(clock, 'store.putRelease', () =>
      store.putRelease(release(), { token: 'tok' }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockFenceError);
    expect(asLockLost(err)).toBeInstanceOf(LockLostError);
    expect((err as Error).message).toMatch(/now held by another run \(rollback by carol\)/);
    expect(ddb.commandCalls(TransactWriteItemsCommand)).toHaveLength(1);
  });
});

test('core/lock: only the token condition (LockFenceError) loses the lock; any other renewal failure leaves the lease running', async () => {
  const clock = new FakeClock();
  const events = new CollectingSink();
  const mem = new MemoryStore(clock);
  let renewals = 0;
  const store = new Proxy(mem, {
    get(target, prop, receiver) {
      if (prop === 'renewLock')
        return async (...a: Parameters<MemoryStore['renewLock']>) => {
          renewals++;
          if (renewals === 1) throw new PortError('conflict', 'some other conflict of the renewal');
          return target.renewLock(...a);
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  let aborted = true;
  await withLock({ store, clock, events }, KEY, OWNER, async (_l, signal) => {
    await clock.sleep(90_000);
    aborted = signal.aborted;
  });
  expect(aborted).toBe(false);
  expect(events.ofType('lock.renew-failed')).toHaveLength(1);
  expect(events.ofType('lock.lost')).toEqual([]);
});
